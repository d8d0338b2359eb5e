"""DeepONet (Lu, Jin, Pang, Zhang & Karniadakis 2021) and a synthetic multiscale operator to train it on.

An operator G maps an input function u to an output function G(u)(y). DeepONet reads u at m fixed
sensors s_1..s_m and approximates

    G(u)(y) ≈ Σ_{k=1}^p b_k(u(s_1), ..., u(s_m)) t_k(y) + b_0,

with a *branch* network b: R^m -> R^p and a *trunk* network t: R^d -> R^p (for c outputs both produce p·c
numbers and the sum runs over p for each output). The trunk is an ordinary coordinate network, so it can
be a vanilla :class:`~spectra.models.MLP`, a :class:`~spectra.models.RepNet` or a
:class:`~spectra.models.FourierFeatureMLP`: spectral bias of the trunk limits how fine a structure in y
the operator's outputs can carry.

Two ways to evaluate, with the same numbers:

- ``forward(x)`` on pairs, x = [u(s_1), ..., u(s_m), y] of shape (n, m + d) -> (n, c): the sample-axis-first
  convention of the rest of spectra (probes, ``fit``);
- ``operator(u, y)`` on the Cartesian product of F input functions (F, m) and P points (P, d) ->
  (F, P, c): the branch runs F times and the trunk P times instead of F·P times each.
  ``OperatorLoss`` trains through it (``fit(..., objective=OperatorLoss(...))``).

Synthetic operator (``antiderivative_data``): G(u)(y) = ∫_0^y u(x) dx for random multiscale inputs
u(x) = Σ_k c_k sin(2π k x + 2π φ_k) over integer frequency bands, whose antiderivative is exact,

    G(u)(y) = Σ_k c_k [cos(2π φ_k) - cos(2π (k y + φ_k))] / (2π k).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from spectra._validation import check_positive_int, fail
from spectra.models.layers import check_input, check_network_size
from spectra.results import Result
from spectra.seeding import Seed, numpy_rng


class DeepONet(nn.Module):
    """G(u)(y) ≈ Σ_k b_k(u) t_k(y) + b_0 (see module docstring).

    Parameters
    ----------
    branch
        Module mapping sensor values (n, n_sensors) to (n, n_basis · out_features).
    trunk
        Module mapping points (n, in_features) to (n, n_basis · out_features).
    n_sensors, in_features, n_basis, out_features
        m, d, p and c.
    """

    def __init__(
        self,
        branch: nn.Module,
        trunk: nn.Module,
        *,
        n_sensors: int,
        in_features: int = 1,
        n_basis: int,
        out_features: int = 1,
    ) -> None:
        super().__init__()
        for name, module in (("branch", branch), ("trunk", trunk)):
            if not isinstance(module, nn.Module):
                fail(name, "a torch.nn.Module", type(module).__name__, TypeError)
        self.branch = branch
        self.trunk = trunk
        self.n_sensors = check_positive_int("n_sensors", n_sensors)
        self.in_features = check_positive_int("in_features", in_features)
        self.n_basis = check_positive_int("n_basis", n_basis)
        self.out_features = check_positive_int("out_features", out_features)
        reference = next(iter(trunk.parameters()), None)
        dtype = reference.dtype if reference is not None else torch.get_default_dtype()
        check_network_size({"out_features": out_features}, out_features, dtype)
        self.bias = nn.Parameter(torch.zeros(out_features, dtype=dtype))

    def _basis(self, module: nn.Module, name: str, inputs: torch.Tensor) -> torch.Tensor:
        values = module(inputs)
        expected = (inputs.shape[0], self.n_basis * self.out_features)
        if tuple(values.shape) != expected:
            fail(name, f"a module returning shape {expected} (n_basis · out_features per row)", tuple(values.shape))
        return values.unflatten(1, (self.out_features, self.n_basis))

    def operator(self, u: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """G(u_f)(y_q) for every input function f (rows of u, (F, m)) and point q (rows of y, (P, d)): (F, P, c)."""
        check_input(u, self.n_sensors)
        check_input(y, self.in_features)
        b = self._basis(self.branch, "branch", u)  # (F, c, p)
        t = self._basis(self.trunk, "trunk", y)  # (P, c, p)
        return torch.einsum("fck,qck->fqc", b, t) + self.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x = [u(s_1), ..., u(s_m), y] of shape (n, m + d) -> G(u)(y) of shape (n, c)."""
        check_input(x, self.n_sensors + self.in_features)
        b = self._basis(self.branch, "branch", x[:, : self.n_sensors])
        t = self._basis(self.trunk, "trunk", x[:, self.n_sensors :])
        return (b * t).sum(dim=-1) + self.bias

    def extra_repr(self) -> str:
        return f"n_sensors={self.n_sensors}, in_features={self.in_features}, n_basis={self.n_basis}"


def pairs(u: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Every (function, point) pair as rows [u_f, y_q], function-major: (F·P, m + d), the order of
    ``operator(u, y).reshape(F·P, c)``."""
    n_functions, n_points = u.shape[0], y.shape[0]
    return torch.cat([u.repeat_interleave(n_points, dim=0), y.repeat(n_functions, 1)], dim=1)


@dataclass
class OperatorData(Result):
    """Input functions at the sensors and output functions at the query points.

    ``sensors`` (m,), ``u`` (F, m) the inputs u_f(s_j), ``y`` (P, d) the query points, ``s`` (F, P, c) the
    outputs G(u_f)(y_q); ``frequencies`` (K,), ``coefficients`` and ``phases`` (F, K) define the inputs.
    """

    sensors: np.ndarray = Result.array_field(("m",))
    u: np.ndarray = Result.array_field(("F", "m"))
    y: np.ndarray = Result.array_field(("P", "d"))
    s: np.ndarray = Result.array_field(("F", "P", "c"))
    frequencies: np.ndarray = Result.array_field(("K",))
    coefficients: np.ndarray = Result.array_field(("F", "K"))
    phases: np.ndarray = Result.array_field(("F", "K"))

    def tensors(self, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(u, y, s) as tensors for :meth:`DeepONet.operator` and ``OperatorLoss``."""
        return tuple(torch.as_tensor(a, dtype=dtype) for a in (self.u, self.y, self.s))

    def to_frame(self) -> pd.DataFrame:
        """One row per (function, point): function, y0..y{d-1}, output, s."""
        n_functions, n_points, n_outputs = self.s.shape
        f, q, c = np.meshgrid(np.arange(n_functions), np.arange(n_points), np.arange(n_outputs), indexing="ij")
        frame = pd.DataFrame({"function": f.ravel(), "output": c.ravel()})
        for k in range(self.y.shape[1]):
            frame[f"y{k}"] = self.y[q.ravel(), k]
        frame["s"] = self.s.ravel()
        return frame


def antiderivative_data(
    n_functions: int,
    n_sensors: int = 100,
    n_points: int = 200,
    *,
    bands: Sequence[tuple[int, int]] = ((1, 3), (20, 25)),
    scales: Sequence[float] = (1.0, 0.1),
    seed: Seed = 0,
) -> OperatorData:
    """Random multiscale inputs and their exact antiderivatives G(u)(y) = ∫_0^y u (see module docstring).

    Frequencies k run over the integer ``bands`` (inclusive, cycles per unit length) on [0, 1]; in band j
    the coefficients are c_k = 2π k · scales[j] / sqrt(#band) · ξ, ξ ~ N(0, 1), and φ_k ~ U(0, 1), so each band
    of the *output* has root-mean-square amplitude about scales[j] / sqrt(2): with the defaults, a slow
    component of size 1 and a fast one (20–25 cycles) of size 0.1. Sensors: ``n_sensors`` evenly spaced
    points of [0, 1] (ends included); query points: the periodic grid y_q = q / n_points, q < n_points (the
    outputs are periodic with period 1 since every k is an integer, so their spectra on this grid are exact,
    :func:`spectra.fourier.spectrum`).
    """
    n_functions = check_positive_int("n_functions", n_functions)
    n_sensors = check_positive_int("n_sensors", n_sensors)
    n_points = check_positive_int("n_points", n_points)
    if len(bands) != len(scales) or len(bands) == 0:
        fail("scales", f"one scale per band ({len(bands)} bands)", scales)
    frequencies, band_scale = [], []
    for band, scale in zip(bands, scales, strict=True):
        lo, hi = (check_positive_int("bands", k) for k in band)
        if hi < lo:
            fail("bands", "(lowest, highest) integer frequencies with lowest <= highest", band)
        ks = np.arange(lo, hi + 1, dtype=float)
        frequencies.append(ks)
        band_scale.append(np.full(len(ks), float(scale) / math.sqrt(len(ks))))
    k = np.concatenate(frequencies)
    rng = numpy_rng(seed)
    coefficients = 2 * math.pi * k * np.concatenate(band_scale) * rng.standard_normal((n_functions, len(k)))
    phases = rng.uniform(0.0, 1.0, (n_functions, len(k)))
    sensors = np.linspace(0.0, 1.0, n_sensors)
    y = np.arange(n_points) / n_points

    def phase(x: np.ndarray) -> np.ndarray:  # 2π (k x + φ) for every function, frequency and point: (F, n, K)
        return 2 * math.pi * (x[None, :, None] * k + phases[:, None, :])

    u = np.einsum("fnk,fk->fn", np.sin(phase(sensors)), coefficients)
    s = np.einsum(
        "fnk,fk->fn", np.cos(2 * math.pi * phases)[:, None, :] - np.cos(phase(y)), coefficients / (2 * math.pi * k)
    )
    return OperatorData(sensors, u, y[:, None], s[:, :, None], k, coefficients, phases)


class OperatorLoss:
    """Mean loss (1/2FP) Σ_f Σ_q ``|G_θ(u_f)(y_q) - s_f(y_q)|²`` over the Cartesian product, as an ``objective``.

    The same loss as ``mean_loss(model(pairs(u, y)), s.reshape(-1, c))``, evaluated through
    :meth:`DeepONet.operator`.
    """

    def __init__(self, u: torch.Tensor, y: torch.Tensor, s: torch.Tensor) -> None:
        if s.dim() != 3 or s.shape[:2] != (u.shape[0], y.shape[0]):
            fail("s", f"outputs of shape ({u.shape[0]}, {y.shape[0]}, c)", tuple(s.shape))
        self.u, self.y, self.s = u, y, s

    def __call__(self, model: DeepONet) -> torch.Tensor:
        reference = next(iter(model.parameters()))
        self.u, self.y, self.s = (t.to(reference) for t in (self.u, self.y, self.s))
        return 0.5 * ((model.operator(self.u, self.y) - self.s) ** 2).sum(dim=-1).mean()
