"""Initial data u_hat(xi, 0) of the frequency-space PDE, from a function, a target or residual samples.

Conventions (reference/frequency-pde.md): frequencies xi in cycles per unit length, Fourier transform
u_hat(xi) = ∫ u(x) exp(-2πi xi·x) dx of the residual u = f - g.

Accepted forms of ``u0``:
- a callable ``u0(xi)`` taking frequencies of shape (k, d) (NumPy float64) and returning k real or
  complex values;
- a :class:`~spectra.targets.Target` with an analytic transform: the residual of a network that starts
  at f ≡ 0 (doubled initialisation), so u_hat(xi, 0) = -g_hat(xi);
- samples ``(x, values)`` or ``(x, values, weights)`` of the residual at the training inputs x (n, d):
  u_hat(xi) = Σ_i w_i u(x_i) exp(-2πi xi·x_i) through :func:`spectra.fourier.continuous_ft`. Without
  weights, w_i = 1 / (c n): on data of constant density c this is the quadrature Σ u(x_i) e^(...) ·
  (cell volume), and it is the exact relation v_hat = F[u·rho] = c·u_hat of the PDE for the empirical
  data measure rho = (1/n) Σ δ_(x_i).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from spectra._validation import _Described, as_real_array, check_positive_float, check_positive_int, describe, fail
from spectra.targets import Target

InitialDataLike = Callable[[np.ndarray], Any] | Target | tuple


@dataclass(frozen=True)
class InitialData:
    """u_hat(xi, 0) as a checked function: frequencies (k, d) -> complex values (k,)."""

    function: Callable[[np.ndarray], Any]
    dim: int
    description: str

    def __call__(self, xi: np.ndarray) -> np.ndarray:
        xi = np.ascontiguousarray(xi, dtype=np.float64).reshape(-1, self.dim)
        raw = self.function(xi)
        if isinstance(raw, torch.Tensor):
            raw = raw.detach().cpu().numpy()
        values = np.asarray(raw)
        if values.shape in ((len(xi), 1),):
            values = values[:, 0]
        if values.shape != (len(xi),) or not (np.issubdtype(values.dtype, np.number)):
            fail(
                "u0",
                f"{len(xi)} numbers, one per frequency (xi was shape {xi.shape})",
                _Described(f"{self.description} returning {describe(values)}"),
            )
        values = values.astype(np.complex128)
        bad = ~np.isfinite(values)
        if bad.any():
            fail(
                "u0",
                "finite values (no NaN or inf)",
                _Described(f"{self.description} with {int(bad.sum())} non-finite value(s), e.g. at xi = {xi[bad][0]}"),
            )
        return values


def _residual_transform(x: np.ndarray, values: np.ndarray, weights: np.ndarray) -> Callable[[np.ndarray], Any]:
    def transform(xi: np.ndarray) -> np.ndarray:
        from spectra.fourier import continuous_ft  # the analyses layer; imported on use

        return continuous_ft(x, values, xi, weights=weights)

    return transform


def _as_array(value: Any) -> np.ndarray:
    return as_real_array("u0", value, finite=False)  # finiteness is checked with its own message


def as_initial_data(u0: InitialDataLike, dim: int, c: float) -> InitialData:
    """Read ``u0`` in any of the accepted forms (module docstring) as an :class:`InitialData`."""
    dim, c = check_positive_int("dim", dim), check_positive_float("c", c)
    if isinstance(u0, InitialData):
        if u0.dim != dim:
            fail("u0", f"initial data in {dim} dimension(s)", _Described(f"{u0.description} in {u0.dim}"))
        return u0
    if isinstance(u0, Target):
        if u0.dim != dim:
            fail("u0", f"a target in {dim} dimension(s), like rho_w", u0)
        if not u0.has_fourier_transform:
            fail(
                "u0",
                "a target with an analytic Fourier transform (or samples (x, residual values))",
                _Described(f"{type(u0).__name__}, which is not integrable on R^{dim}"),
            )
        target = u0
        return InitialData(lambda xi: -target.fourier_transform(xi), dim, f"-g_hat of {type(u0).__name__}")
    if isinstance(u0, tuple):
        if len(u0) not in (2, 3):
            fail("u0", "samples (x, values) or (x, values, weights)", _Described(f"a tuple of length {len(u0)}"))
        x = _as_array(u0[0])
        x = x.reshape(-1, 1) if x.ndim == 1 and dim == 1 else x
        values = _as_array(u0[1]).reshape(-1)
        if x.ndim != 2 or x.shape[1] != dim or len(values) != len(x):
            fail(
                "u0",
                f"samples x of shape (n, {dim}) and n residual values",
                _Described(f"x of shape {x.shape} and {len(values)} values"),
            )
        if not (np.isfinite(x).all() and np.isfinite(values).all()):
            fail("u0", "finite sample points and residual values", _Described("samples containing NaN or inf"))
        weights = np.full(len(x), 1.0 / (c * len(x))) if len(u0) == 2 else _as_array(u0[2]).reshape(-1)
        if weights.shape != (len(x),) or not np.isfinite(weights).all():
            fail("u0", f"{len(x)} finite quadrature weights", _Described(f"weights of shape {weights.shape}"))
        return InitialData(_residual_transform(x, values, weights), dim, f"the transform of {len(x)} residual samples")
    if callable(u0):
        return InitialData(u0, dim, f"u0 = {getattr(u0, '__name__', type(u0).__name__)}")
    fail(
        "u0",
        "a callable of xi, a Target with a Fourier transform, or samples (x, values[, weights])",
        _Described(describe(u0)),
        TypeError,
    )
    raise AssertionError  # unreachable: fail() raises
