"""Initial data u_hat(xi, 0) of the frequency-space PDE, from a function, a target or residual samples.

Conventions (docs/conventions.rst): frequencies xi in cycles per unit length, Fourier transform
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

What the solvers need to know beyond the values (:attr:`InitialData.reach`, the box beyond which looking
at u0 tells nothing new):

- a ``support``: a box outside which u0 is zero by declaration (an eigenmode of the window, say). u0 is
  then neither evaluated nor probed outside it.
- a ``period`` per axis: the transform of samples whose coordinates along axis j lie on a lattice of
  spacing Δ_j is periodic in xi_j with period 1/Δ_j (in modulus: ``|u_hat(xi + e_j/Δ_j)|`` = ``|u_hat(xi)|``), so
  one period box, centred at 0, holds all its energy once; farther boxes only repeat it.

Evaluation on a tensor grid of frequencies (:meth:`InitialData.on_grid`; the solvers probe and use u0 only
on such grids) is separable for samples: Σ_i a_i exp(-2πi (xi_1 x_i1 + xi_2 x_i2)) on the grid
xi_1 ∈ A_1, xi_2 ∈ A_2 is E_1 T E_2ᵀ with E_j = exp(-2πi A_j ⊗ (distinct coordinates along j)) and T the
sparse table of the amplitudes a_i = w_i u(x_i) by distinct coordinates. On n grid samples (m × m) that is
O(``|A|`` m) work instead of O(``|A|²`` n) for the direct sum.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse
import torch

from spectra._validation import _Described, as_real_array, check_positive_float, check_positive_int, describe, fail
from spectra.domain import Box
from spectra.targets import Target

InitialDataLike = Callable[[np.ndarray], Any] | Target | tuple
BLOCK_ENTRIES = 1 << 22  # complex entries per tile of the separable evaluation (64 MiB)
LATTICE_TOLERANCE = 1e-3  # fraction of the spacing: float32 grids built from float64 linspace stay well inside it


def grid_points(axes: list[np.ndarray]) -> np.ndarray:
    """The points (Π len(axis), d) of the tensor grid of ``axes``, last axis fastest."""
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.reshape(-1) for m in mesh], axis=1)


@dataclass(frozen=True)
class InitialData:
    """u_hat(xi, 0) as a checked function: frequencies (k, d) -> complex values (k,).

    ``support`` (a Box, or None) and ``period`` (one per axis, or None) are described in the module
    docstring; ``grid_function``, when given, evaluates u0 on the tensor grid of a list of axes (flat values,
    last axis fastest) faster than at the grid's points one by one.
    """

    function: Callable[[np.ndarray], Any]
    dim: int
    description: str
    support: Box | None = None
    period: tuple[float, ...] | None = None
    grid_function: Callable[[list[np.ndarray]], np.ndarray] | None = None

    def __call__(self, xi: np.ndarray) -> np.ndarray:
        xi = np.ascontiguousarray(xi, dtype=np.float64).reshape(-1, self.dim)
        if self.support is None:
            return self._checked(self.function(xi), xi)
        values = np.zeros(len(xi), dtype=np.complex128)
        inside = self.support.contains(xi)
        if inside.any():
            values[inside] = self._checked(self.function(xi[inside]), xi[inside])
        return values

    def on_grid(self, axes: list[np.ndarray]) -> np.ndarray:
        """u0 on the tensor grid of ``axes`` (one coordinate array per axis): flat values, last axis fastest."""
        points = grid_points(axes)
        if self.grid_function is None:
            return self(points)
        values = self._checked(self.grid_function(axes), points)
        if self.support is not None:
            values[~self.support.contains(points)] = 0
        return values

    def restricted(self, support: Box) -> InitialData:
        """The same u0 declared zero outside ``support``."""
        if support.dim != self.dim:
            fail("support", f"a box in {self.dim} dimension(s), like u0", support)
        return dataclasses.replace(self, support=support, description=f"{self.description} on {support}")

    @property
    def reach(self) -> Box | None:
        """The box beyond which u0 holds nothing new: its support, else one period centred at 0, else None."""
        if self.support is not None:
            return self.support
        if self.period is not None:
            half = np.asarray(self.period) / 2
            return Box(tuple((-half).tolist()), tuple(half.tolist()))
        return None

    def _checked(self, raw: Any, xi: np.ndarray) -> np.ndarray:
        """``raw`` as complex values, one per frequency of ``xi`` (k, d), or fail saying what is wrong."""
        if isinstance(raw, torch.Tensor):
            raw = raw.detach().cpu().numpy()
        values = np.asarray(raw)
        if values.shape == (len(xi), 1):
            values = values[:, 0]
        if values.shape != (len(xi),) or not np.issubdtype(values.dtype, np.number):
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


def _residual_transform(x: np.ndarray, amplitudes: np.ndarray) -> Callable[[np.ndarray], Any]:
    def transform(xi: np.ndarray) -> np.ndarray:
        from spectra.fourier import continuous_ft  # the analyses layer; imported on use

        return continuous_ft(x, amplitudes, xi, weights=1.0)

    return transform


def separable_transform(x: np.ndarray, amplitudes: np.ndarray, axes: list[np.ndarray]) -> np.ndarray:
    """Σ_i a_i exp(-2πi xi·x_i) on the tensor grid of ``axes`` (1-D or 2-D), as E_1 T E_2ᵀ (module docstring).

    Tiled so that no phase table holds more than ``BLOCK_ENTRIES`` entries. Returns flat values, last axis
    fastest.
    """
    if len(axes) == 1:  # a second axis with one coordinate (0) and one frequency (0): phases of 1
        x, axes = np.column_stack([x, np.zeros(len(x))]), [axes[0], np.zeros(1)]
    (first, row), (second, column) = (np.unique(x[:, j], return_inverse=True) for j in (0, 1))
    table = scipy.sparse.coo_array((amplitudes, (row, column)), shape=(len(first), len(second))).tocsr()
    out = np.empty((len(axes[0]), len(axes[1])), dtype=np.complex128)
    block = max(1, BLOCK_ENTRIES // max(len(first), len(second)))
    for j in range(0, len(axes[1]), block):
        partial = table @ np.exp(-2j * np.pi * np.outer(second, axes[1][j : j + block]))
        for i in range(0, len(axes[0]), block):
            out[i : i + block, j : j + block] = np.exp(-2j * np.pi * np.outer(axes[0][i : i + block], first)) @ partial
    return out.reshape(-1)


def lattice_period(coordinates: np.ndarray) -> float | None:
    """1/Δ when ``coordinates`` all lie on a lattice x_0 + kΔ (Δ about their smallest gap), else None."""
    distinct = np.unique(coordinates)
    if len(distinct) < 2:
        return None
    span = float(distinct[-1] - distinct[0])
    spacing = span / round(span / float(np.diff(distinct).min()))  # the smallest gap, averaged over the span
    steps = (distinct - distinct[0]) / spacing
    return 1.0 / spacing if np.abs(steps - np.rint(steps)).max() <= LATTICE_TOLERANCE else None


def _samples(u0: tuple, dim: int, c: float) -> InitialData:
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
    amplitudes = weights * values
    periods = [lattice_period(x[:, j]) for j in range(dim)]
    return InitialData(
        _residual_transform(x, amplitudes),
        dim,
        f"the transform of {len(x)} residual samples",
        period=None if None in periods else tuple(periods),
        grid_function=lambda axes: separable_transform(x, amplitudes, axes),
    )


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
        return _samples(u0, dim, c)
    if callable(u0):
        return InitialData(u0, dim, f"u0 = {getattr(u0, '__name__', type(u0).__name__)}")
    fail(
        "u0",
        "a callable of xi, a Target with a Fourier transform, or samples (x, values[, weights])",
        _Described(describe(u0)),
        TypeError,
    )
    raise AssertionError  # unreachable: fail() raises
