"""Task functions for sweeps: keyword arguments in, a flat dictionary of numbers out.

A sweep (:mod:`spectra.sweep`) calls one task function once per point of its parameter grid. Any
importable function ``task(**parameters) -> Mapping[str, number]`` can be one, as long as its result
depends on its arguments alone: it seeds everything it draws from its own ``seed`` argument, so the
numbers do not depend on which worker ran it or when. This module holds the toolkit's own.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from spectra._validation import check_choice, check_positive_float, check_positive_int, fail
from spectra.domain import uniform_grid
from spectra.models import MLP, FourierFeatureMLP, FourierFeatures, RepNet, count_parameters, normalised_mlp
from spectra.seeding import check_seed
from spectra.targets import multiscale_1d
from spectra.training import fit, late_median

MODELS = ("mlp", "mlp_normalised", "repnet", "fourier_features")


def _build(model: str, width: int, depth: int, activation: str, seed: int, sigma: float, s0: float) -> nn.Module:
    domain = (0.0, 1.0)
    if model == "mlp":
        return MLP(1, 1, width, depth, activation=activation, seed=seed)
    if model == "mlp_normalised":
        return normalised_mlp(1, 1, width, depth, domain, activation=activation, seed=seed)
    if model == "repnet":
        return RepNet(1, 1, width, depth, activation=activation, s0=s0, domain=domain, seed=seed)
    features = FourierFeatures.gaussian(1, width // 2, sigma, seed=seed)
    return FourierFeatureMLP(features, width=width, depth=depth, activation=activation, seed=seed)


def train_multiscale(
    *,
    model: str = "mlp",
    width: int = 64,
    depth: int = 2,
    activation: str = "relu",
    lr: float = 1e-3,
    steps: int = 1000,
    seed: int = 0,
    frequencies: Sequence[int] = (1, 25),
    amplitudes: Sequence[float] = (1.0, 0.1),
    n_train: int = 256,
    n_probe: int = 512,
    sigma: float = 10.0,
    s0: float = 1.0,
    device: str = "cpu",
) -> dict[str, float]:
    """Train one model with Adam (full batch, mean squared loss) on g(x) = Σ_i A_i sin(2π k_i x) on [0, 1].

    Parameters
    ----------
    model
        ``"mlp"`` (PyTorch's defaults on the raw input), ``"mlp_normalised"``
        (:func:`~spectra.models.repnet.normalised_mlp`), ``"repnet"`` (domain [0, 1], scale ``s0``) or
        ``"fourier_features"`` (width/2 Gaussian frequencies of standard deviation ``sigma`` cycles per unit).
    width, depth, activation
        Hidden width, number of hidden layers, activation name.
    lr, steps, seed
        Adam's learning rate, number of full-batch steps, and the seed of the initialisation.
    frequencies, amplitudes
        Integer k_i (cycles per unit, below n_probe / 2) and A_i of the target.
    n_train, n_probe
        Training points (evenly spaced on [0, 1], ends included) and probe points (periodic grid of
        [0, 1), so that the discrete Fourier transform's bins fall on the integer k_i).
    sigma, s0
        The Fourier-feature scale and RepNet's initial slope scale (ignored by the other models).
    device
        Where to train (``"cuda"`` on a GPU worker); the numbers are computed in float32 there too.

    Returns
    -------
    dict
        ``relative_l2_final`` and ``relative_l2_late`` (``|f - g| / |g|`` on the probe grid, at the last
        record and the median over the last 20% of records), ``train_loss_final`` (mean squared error on
        the training points), ``n_parameters``, ``wall_time_s``, and ``relative_error_k<k>`` for each target
        frequency: Xu's ``|F[f - g](k)| / |F[g](k)|`` at the last step, with F the discrete Fourier transform
        on the probe grid.
    """
    check_choice("model", model, MODELS)
    width, depth = check_positive_int("width", width), check_positive_int("depth", depth)
    steps, seed = check_positive_int("steps", steps), check_seed("seed", seed)
    n_train, n_probe = check_positive_int("n_train", n_train), check_positive_int("n_probe", n_probe)
    lr, sigma, s0 = check_positive_float("lr", lr), check_positive_float("sigma", sigma), check_positive_float("s0", s0)
    ks = [int(k) for k in frequencies]
    if any(k != f or not 0 < k < n_probe // 2 for k, f in zip(ks, frequencies, strict=True)):
        fail("frequencies", f"integers between 1 and n_probe/2 - 1 = {n_probe // 2 - 1}", list(frequencies))
    target = multiscale_1d(ks, amplitudes)
    start = time.perf_counter()
    network = _build(model, width, depth, activation, seed, sigma, s0)
    x = uniform_grid(target.domain, n_train, endpoint=True, dtype=torch.float32)
    probe = uniform_grid(target.domain, n_probe, dtype=torch.float32)
    history = fit(
        network,
        x,
        target(x),
        lr=lr,
        steps=steps,
        probe=probe,
        probe_target=target(probe),
        seed=seed,
        device=device,
        progress=False,
    )
    errors = history.relative_l2_error()
    residual = np.fft.rfft(history.predictions[-1, :, 0] - history.probe_target[:, 0])
    reference = np.fft.rfft(history.probe_target[:, 0])
    return {
        "relative_l2_final": float(errors[-1]),
        "relative_l2_late": late_median(errors),
        "train_loss_final": float(history.loss[-1]),
        "n_parameters": count_parameters(network),
        "wall_time_s": time.perf_counter() - start,
        **{f"relative_error_k{k}": float(abs(residual[k]) / abs(reference[k])) for k in ks},
    }
