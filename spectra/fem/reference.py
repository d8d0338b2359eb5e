"""Independent solutions of the frequency-space PDE with NumPy and SciPy only (no DOLFINx).

The PDE, its conventions and its boundary condition are those of :mod:`spectra.fem.problem`:
∂_t u_hat = c [ sigma_a² ∇·( rho_w ∇u_hat ) - rho_w u_hat ] on the window, zero flux at its edge,
frequencies in cycles per unit length.

- :class:`ReferenceSolver`: 1-D P1 elements on a uniform mesh, with rho_w evaluated at the 3 Gauss–Legendre
  points of every cell (``spectra.fem.grid.coefficient_points``), as the DOLFINx solver does. The
  matrices are written out (``p1_matrices``): on a cell [a, b] of length h with hat functions φ_a, φ_b
  and the rule's points s_q ∈ [0, 1] and weights w_q (Σ w_q = 1), mass h/6 [[2, 1], [1, 2]], weighted
  stiffness (Σ_q w_q rho_q)/h [[1, -1], [-1, 1]] and weighted mass h Σ_q w_q rho_q φ_i(s_q) φ_j(s_q);
  K = c (sigma_a² A + B). Time integration is modal: with K W = M W diag(mu) and Wᵀ M W = I,
  u(t) = W g(mu, t) Wᵀ M u0 where g is exp(-mu t) (scheme "exact"), ((1 - mu h/2)/(1 + mu h/2))^n
  (Crank–Nicolson) or (1 + mu h)^(-n) (backward Euler): the same numbers as stepping, with no stepping.
- :func:`lazy_limit`: sigma_a = 0 (frequencies frozen), u_hat(xi, t) = u0(xi) exp(-c rho_w(xi) t).
- :func:`cosine_series_solution`: rho_w ≡ rho0 on a box window (1-D or 2-D), where the zero-flux
  eigenfunctions are Π_j cos(k_j π (xi_j - lo_j) / L_j) with rates c rho0 (1 + sigma_a² Σ_j (k_j π / L_j)²).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import scipy.linalg
import scipy.sparse

from spectra._validation import (
    as_real_array,
    check_memory,
    check_positive_float,
    check_positive_int,
    fail,
    largest,
)
from spectra.domain import BoxLike
from spectra.fem.grid import NodeGrid, coefficient_points
from spectra.fem.initial_data import InitialDataLike, as_initial_data
from spectra.fem.problem import FrequencyProblem, ResolutionWarning, as_window, check_times, density_values
from spectra.frequencies import FrequencyDistribution, _as_xi

DENSE_ARRAYS = 5  # n × n float64 arrays of the reference solver's dense eigenproblem (matrices, modes, workspace)


def p1_matrices(
    nodes: np.ndarray, rho: np.ndarray, sigma_a: float, c: float
) -> tuple[scipy.sparse.csr_array, scipy.sparse.csr_array]:
    """Mass M and operator K = c (sigma_a² A + B) of 1-D P1 elements on sorted ``nodes`` (n,), sparse.

    ``rho`` is the coefficient either at the nodes, (n,), standing for its P1 interpolant (sampled exactly
    by 2 Gauss points: the integrands are cubic), or at the q Gauss–Legendre points of every cell,
    (n - 1, q), in the order of ``numpy.polynomial.legendre.leggauss(q)`` (module docstring for the entries).
    """
    h = np.diff(nodes)
    if rho.shape == nodes.shape:
        s = (np.polynomial.legendre.leggauss(2)[0] + 1) / 2
        rho = rho[:-1, None] * (1 - s) + rho[1:, None] * s
    elif rho.ndim != 2 or rho.shape[0] != len(h):
        fail("rho", f"{len(nodes)} nodal values or ({len(h)}, q) values at the Gauss points of each cell", rho.shape)
    gauss, weights = np.polynomial.legendre.leggauss(rho.shape[1])
    s, w = (gauss + 1) / 2, weights / 2
    hats = np.stack([1 - s, s])  # φ_a, φ_b at the points, (2, q)
    stiffness = (rho @ w) / h
    n = len(nodes)
    local = ((0, 0), (1, 1), (0, 1), (1, 0))
    index = (np.arange(n - 1), np.arange(1, n))
    rows = np.concatenate([index[i] for i, _ in local])
    cols = np.concatenate([index[j] for _, j in local])
    mass = np.concatenate([h * (2 if i == j else 1) / 6 for i, j in local])
    sign = {(0, 0): 1.0, (1, 1): 1.0, (0, 1): -1.0, (1, 0): -1.0}  # of the local stiffness [[1, -1], [-1, 1]]
    operator = np.concatenate(
        [c * (sign[i, j] * sigma_a**2 * stiffness + h * (rho @ (w * hats[i] * hats[j]))) for i, j in local]
    )
    return (
        scipy.sparse.coo_array((mass, (rows, cols)), shape=(n, n)).tocsr(),
        scipy.sparse.coo_array((operator, (rows, cols)), shape=(n, n)).tocsr(),
    )


class _ModalOperator:
    """The P1 matrices on a 1-D grid and their generalised eigendecomposition."""

    processes = 1

    def __init__(self, rho_w: FrequencyDistribution, sigma_a: float, c: float, grid: NodeGrid) -> None:
        self.nodes = grid.nodes()
        self.index = np.arange(grid.size)
        self.density = density_values(rho_w, self.nodes)
        points = grid.quadrature(coefficient_points(grid.degree))[0]  # cell by cell, leggauss order within
        coefficient = density_values(rho_w, points).reshape(grid.cells[0], -1)
        self.mass, self.operator = p1_matrices(self.nodes[:, 0], coefficient, sigma_a, c)
        self.lumped = self.mass.sum(axis=1)
        self.rates, self.modes = scipy.linalg.eigh(  # modesᵀ M modes = I
            self.operator.toarray(), self.mass.toarray(), driver="gvd"
        )

    def gather(self, local: np.ndarray) -> np.ndarray:
        return local

    def rate_moments(self, u: np.ndarray) -> tuple[float, float]:
        norm = math.sqrt(np.sum(self.lumped * np.abs(u) ** 2))
        v = self.operator @ u / self.lumped
        w = self.operator @ v / self.lumped
        return (
            math.sqrt(np.sum(self.lumped * np.abs(v) ** 2)) / norm,
            math.sqrt(np.sum(self.lumped * np.abs(w) ** 2)) / norm,
        )

    def integrate(
        self, u: np.ndarray, plan: list[tuple[int, float]], scheme: str, progress: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        coefficients = self.modes.T @ (self.mass @ u)
        mu = self.rates
        factor = np.ones_like(mu)
        amplitudes, energy = [], []
        for count, h in plan:
            if count:
                if scheme == "exact":
                    factor = factor * np.exp(-mu * h * count)
                elif scheme == "crank-nicolson":
                    factor = factor * ((1 - mu * h / 2) / (1 + mu * h / 2)) ** count
                else:
                    factor = factor * (1 + mu * h) ** (-float(count))
            amplitudes.append(coefficients * factor)
            energy.append(np.sum(np.abs(coefficients * factor) ** 2))  # ||u||_M² in M-orthonormal modes
        stacked = np.array(amplitudes).T  # (n, T); real and imaginary parts through the real modes, all times at once
        values = (self.modes @ stacked.real + 1j * (self.modes @ stacked.imag)).T
        return values, np.array(energy)


class ReferenceSolver(FrequencyProblem):
    """NumPy/SciPy P1 solver in 1-D with modal time integration (module docstring).

    Same arguments and defaults as :class:`~spectra.fem.frequency_pde.FrequencyPDE`, in 1-D with P1
    only. ``solve(..., scheme="exact")`` (the default) integrates the semi-discrete system exactly in
    time, with no dt; "crank-nicolson" and "backward-euler" reproduce those schemes' steps exactly. A dense
    eigendecomposition: meant for up to a few thousand cells.
    """

    schemes = ("exact", "crank-nicolson", "backward-euler")
    solver_name = "reference"

    def __init__(
        self,
        rho_w: FrequencyDistribution,
        sigma_a: float,
        c: float,
        window: BoxLike | float | None = None,
        cells: int | None = None,
        *,
        tolerance: float = 1e-4,
    ) -> None:
        if isinstance(rho_w, FrequencyDistribution) and rho_w.dim != 1:
            fail("rho_w", "a 1-D density (the reference solver is 1-D; FrequencyPDE does 2-D)", rho_w)
        super().__init__(rho_w, sigma_a, c, window, 1, cells, 1, tolerance=tolerance)

    def _make_operator(self, grid: NodeGrid) -> _ModalOperator:
        return _ModalOperator(self.rho_w, self.sigma_a, self.c, grid)

    def _grid_bytes(self, nodes: int) -> float:
        return DENSE_ARRAYS * nodes**2 * 8  # the dense generalised eigenproblem

    def _step_seconds(self, nodes: int) -> float:
        return 0.0  # modal: any number of steps is one power per mode


def lazy_limit(
    u0: InitialDataLike,
    rho_w: FrequencyDistribution,
    c: float,
    times: Sequence[float] | np.ndarray,
    xi: np.ndarray,
) -> np.ndarray:
    """u0(xi) exp(-c rho_w(xi) t), the sigma_a -> 0 limit, at ``times`` and frequencies ``xi`` (k, d): (T, k)."""
    if not isinstance(rho_w, FrequencyDistribution):
        fail("rho_w", "a FrequencyDistribution from spectra.frequencies", type(rho_w).__name__, TypeError)
    c = check_positive_float("c", c)
    times = check_times(times)
    xi = _as_xi("xi", xi, rho_w.dim)
    initial = as_initial_data(u0, rho_w.dim, c)
    return initial(xi)[None, :] * np.exp(-c * rho_w.density(xi)[None, :] * times[:, None])


def cosine_series_solution(
    u0: InitialDataLike,
    window: BoxLike | float,
    rho0: float,
    sigma_a: float,
    c: float,
    times: Sequence[float] | np.ndarray,
    xi: np.ndarray,
    terms: int = 96,
    quadrature_points: int | None = None,
) -> np.ndarray:
    """The constant-coefficient solution (rho_w ≡ rho0 on the window) at ``times`` and ``xi`` (k, d): (T, k).

    u_hat(xi, t) = Σ_k a_k Π_j cos(k_j π (xi_j - lo_j) / L_j) exp(-c rho0 (1 + sigma_a² Σ_j (k_j π / L_j)²) t),
    k_j = 0..terms-1, with a_k the cosine coefficients of u0 by Gauss–Legendre quadrature
    (``quadrature_points`` per axis, default 8·terms). Warns if the last coefficients are not negligible.
    """
    xi_array = as_real_array("xi", xi)
    dim = xi_array.shape[1] if xi_array.ndim == 2 else 1
    box = as_window(window, dim)
    xi_array = _as_xi("xi", xi_array, box.dim)
    rho0, c = check_positive_float("rho0", rho0), check_positive_float("c", c)
    sigma_a = check_positive_float("sigma_a", sigma_a, allow_zero=True)
    terms = check_positive_int("terms", terms)
    points = 8 * terms if quadrature_points is None else check_positive_int("quadrature_points", quadrature_points)
    times = check_times(times)
    sizes = {"terms": terms} if quadrature_points is None else {"terms": terms, "quadrature_points": points}
    check_memory(
        *largest(sizes),
        16 * (points**box.dim + box.dim * terms * points + (len(times) + 1) * terms**box.dim + len(xi_array) * terms),
        subject=f"a cosine series of {terms} terms per axis on {points} quadrature points per axis",
        advice="use fewer terms (or quadrature_points)",
    )
    initial = as_initial_data(u0, box.dim, c)
    gauss, weights = np.polynomial.legendre.leggauss(points)
    k = np.arange(terms)
    quadrature_axes, cosines_q, cosines_xi = [], [], []
    for axis in range(box.dim):
        lo, length = box.lo[axis], box.lengths[axis]
        points = lo + length * (gauss + 1) / 2
        quadrature_axes.append((points, weights * length / 2))
        normalise = np.where(k == 0, 1.0, 2.0) / length
        cosines_q.append(normalise[:, None] * np.cos(np.pi * k[:, None] * (points - lo) / length))
        cosines_xi.append(np.cos(np.pi * k[:, None] * (xi_array[:, axis] - lo) / length))
    mesh = np.meshgrid(*[p for p, _ in quadrature_axes], indexing="ij")
    weight = np.prod(np.meshgrid(*[w for _, w in quadrature_axes], indexing="ij"), axis=0)
    samples = (initial(np.stack([m.reshape(-1) for m in mesh], axis=1)).reshape(weight.shape)) * weight
    eigenvalue = sum(
        np.meshgrid(*[(k * np.pi / box.lengths[a]) ** 2 for a in range(box.dim)], indexing="ij")
    )  # Σ_j (k_j π / L_j)²
    rate = c * rho0 * (1 + sigma_a**2 * eigenvalue)
    if box.dim == 1:
        coefficients = cosines_q[0] @ samples
        tail = np.abs(coefficients[-2:]).max()
        out = (coefficients[None, :] * np.exp(-rate[None, :] * times[:, None])) @ cosines_xi[0]
    else:
        coefficients = cosines_q[0] @ samples @ cosines_q[1].T
        tail = max(np.abs(coefficients[-2:, :]).max(), np.abs(coefficients[:, -2:]).max())
        decayed = coefficients[None] * np.exp(-rate[None] * times[:, None, None])
        out = np.stack([np.sum((cosines_xi[0].T @ d) * cosines_xi[1].T, axis=1) for d in decayed])
    if tail > 1e-10 * np.abs(coefficients).max():
        warnings.warn(
            f"terms: {terms} cosine terms per axis leave coefficients of relative size "
            f"{tail / np.abs(coefficients).max():.2g} at the end of the series; raise terms",
            ResolutionWarning,
            stacklevel=2,
        )
    return out
