"""Empirical NNGP kernel: the covariance of a network's outputs over its random initialisation.

    K_op(x, x') = Cov[f_o(x), f_p(x')],   θ ~ the initialisation,

estimated from S independently initialised models, ``make_model(seed)`` for each of ``seeds``, by the
sample covariance

    K̂_op(x, x') = 1/(S - 1) Σ_s (f_s,o(x) - f̄_o(x)) (f_s,p(x') - f̄_p(x')),   f̄ = (1/S) Σ_s f_s,

which is unbiased whatever the mean (the networks of :mod:`spectra.models` have mean 0 by symmetry).
Shapes as for the eNTK (:mod:`spectra.ntk.empirical`): ``outputs="trace"`` gives (N1, N2) = Σ_o K̂_oo,
``outputs="full"`` gives (N1, N2, c, c). Accumulated in float64 whatever the models' dtype.

Accuracy: where the outputs are jointly Gaussian (the NNGP limit), each entry of K̂ for one output has
standard error √((K(x, x) K(x', x') + K(x, x')²) / (S - 1)) (the Wishart variance), so S draws give the
kernel to a relative accuracy of about √(2/S). The closed forms are
:func:`~spectra.ntk.analytic.analytic_nngp`, :func:`~spectra.ntk.analytic.relu_mlp_nngp` and
:func:`~spectra.ntk.analytic.two_layer_fourier_nngp`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from tqdm.auto import tqdm

from spectra._validation import as_points, brief, check_choice, check_memory, fail
from spectra.ntk._model import check_independent_samples, input_width
from spectra.ntk.empirical import OUTPUTS, KernelTensor
from spectra.results import Result
from spectra.seeding import check_seed


@dataclass
class EmpiricalNNGP(KernelTensor, Result):
    """A sample covariance of outputs over initialisations (module docstring).

    ``kernel``: float64 tensor (N1, N2) (outputs="trace") or (N1, N2, c, c) (outputs="full") on the models'
    device; ``n_draws``: the number S of models it averages over.
    """

    kernel: torch.Tensor = Result.array_field([("N1", "N2"), ("N1", "N2", "c", "c")])  # saved as a NumPy array
    outputs: str
    n_draws: int


def _check_seeds(seeds: Sequence[int]) -> None:
    """A sequence of at least two seeds (each is checked before the draws start)."""
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence):
        fail("seeds", "a sequence of integer seeds such as range(1000)", brief(seeds), TypeError)
    if len(seeds) < 2:
        fail("seeds", "at least two seeds (a covariance needs two draws)", brief(seeds))


def _draw(make_model: Callable[[int], nn.Module], seed: int) -> nn.Module:
    model = make_model(seed)
    if not isinstance(model, nn.Module):
        fail("make_model", "a function returning a torch.nn.Module for a seed", type(model).__name__, TypeError)
    check_independent_samples(model)
    return model


def empirical_nngp(
    make_model: Callable[[int], nn.Module],
    x1: torch.Tensor,
    x2: torch.Tensor | None = None,
    *,
    seeds: Sequence[int],
    outputs: str = "trace",
    progress: bool = True,
) -> EmpiricalNNGP:
    """Sample covariance K̂(x1, x2) of the outputs of ``make_model(seed)`` over ``seeds`` (module docstring).

    Parameters
    ----------
    make_model
        A function seed -> freshly initialised model, e.g. ``lambda seed: MLP(1, 1, 256, 2, seed=seed)``.
    x1, x2
        Points (N1, d) and (N2, d) in the models' input width, converted to their dtype and device;
        ``x2=None`` means x1.
    seeds
        The seeds of the S >= 2 draws, e.g. ``range(2000)``: one model per seed, built, evaluated and dropped.
    outputs
        ``"trace"`` for (N1, N2) = Σ_o K̂_oo, ``"full"`` for (N1, N2, c, c).
    progress
        Show a progress bar over the draws.
    """
    if not callable(make_model):
        fail("make_model", "a function seed -> torch.nn.Module", type(make_model).__name__, TypeError)
    _check_seeds(seeds)
    check_choice("outputs", outputs, OUTPUTS)
    first = _draw(make_model, check_seed("seeds", seeds[0]))
    reference = next(iter(first.parameters()), None)
    dtype, device = (None, None) if reference is None else (reference.dtype, reference.device)
    x1 = as_points("x1", x1, input_width(first), dtype=dtype, device=device)
    x2 = x1 if x2 is None else as_points("x2", x2, x1.shape[1], dtype=dtype, device=device)
    points = x1 if x2 is x1 else torch.cat([x1, x2])
    with torch.no_grad():
        n_out = first(x1[:1]).reshape(1, -1).shape[1]
    check_memory(
        "seeds",
        brief(seeds),
        8 * (len(seeds) * len(points) * n_out + len(x1) * len(x2) * n_out**2),
        subject=f"the outputs of {len(seeds)} models at {len(points)} points",
        advice="use fewer seeds or points",
    )
    seeds = [check_seed("seeds", seed) for seed in seeds]
    draws = torch.empty(len(seeds), len(points), n_out, dtype=torch.float64, device=x1.device)
    for index, seed in enumerate(tqdm(seeds, disable=not progress, desc="NNGP draws")):
        model = first if index == 0 else _draw(make_model, seed)
        with torch.no_grad():
            draws[index] = model(points).reshape(len(points), n_out)
    centred = draws - draws.mean(dim=0)
    rows, cols = centred[:, : len(x1)], centred[:, len(points) - len(x2) :]
    pattern = "sio,sjp->ijop" if outputs == "full" else "sio,sjo->ij"
    return EmpiricalNNGP(torch.einsum(pattern, rows, cols) / (len(seeds) - 1), outputs, len(seeds))
