"""The general frequency equation for non-uniform data (docs/theory.rst, "Non-uniform data"), in 1-D.

Conventions: frequencies xi in cycles per unit length, u_hat(xi) = ∫ u(x) exp(-2πi xi x) dx, the loss
(1/2) Σ_k w_k (f(x_k) - y_k)² with weights w_k (the mean loss: w_k = 1/N), theory time t = lr × steps.

The two-layer Fourier-feature network f(x) = m^(-1/2) Σ_j [a_j cos(2π w_j x) + b_j sin(2π w_j x)] has the
NTK Θ(x, x') = (1 + 4π² sigma_a² x x') k(x - x'), k(z) = ∫ cos(2π w z) rho_w(w) dw, and its residual
u = f - g follows the kernel gradient flow ∂_t u(x) = -∫ Θ(x, x') u(x') dμ(x') over the data measure
μ = Σ_k w_k δ_(x_k). With v_hat = F[u μ], v_hat(xi, t) = Σ_k w_k u(x_k, t) exp(-2πi xi x_k) (computable
from a network's residual on its training points), k_hat = rho_s = (rho_w(xi) + rho_w(-xi)) / 2 and
F[x q] = (i/2π) ∂_xi q_hat, the two terms of Θ give

    ∂_t u_hat = sigma_a² ∂_xi( rho_s ∂_xi v_hat ) - rho_s v_hat                      (general)

(the x x' term: (i/2π)² ∂(rho_s ∂ v_hat) · (-4π² sigma_a²) = + sigma_a² ∂(rho_s ∂ v_hat)). Since
v_hat = u_hat * mu_hat with mu_hat(zeta) = Σ_k w_k exp(-2πi zeta x_k), the equation closes in v_hat:

    ∂_t v_hat = mu_hat * [ sigma_a² ∂_xi( rho_s ∂_xi v_hat ) - rho_s v_hat ].

Uniform data of density c on a box make mu_hat act like c δ and give the damped heat equation of
:mod:`spectra.fem.problem` for v_hat = c u_hat; :class:`UniformDataEquation` solves that one for comparison.

Discretisation (:class:`NonuniformSolver`). P1 elements on the symmetric window [-Xi, Xi], outside which
rho_w is negligible, with the matrices of ``spectra.fem.reference.p1_matrices``: K = sigma_a² A + B
(weighted stiffness and mass, zero flux at the edge). The bracket is tested against the P1 interpolant of
mu_hat(xi_i - ·), so the nodal values V of v_hat obey

    dV/dt = -R K V,    R_ij = mu_hat(xi_i - xi_j) = (E W E^H)_ij,   E_ik = exp(-2πi xi_i x_k),  W = diag(w).

R is Hermitian positive semi-definite (Bochner: z^H R z = Σ_k w_k ``|Σ_i conj(z_i) E_ik|²`` ≥ 0), so R K has
real eigenvalues ≥ 0, and V stays in the range of E W: V(t) = E W r(t), where r(t) is the residual on the
data points that the discrete equation implies. With a factor K = C Cᵀ (C from K's eigendecomposition) and
M = W^(1/2) E^H C, R K has the non-zero eigenvalues of Cᵀ R C = M^H M, and exp(-t R K) is integrated exactly
through either Hermitian form:

- "data" (N × N): S = M M^H = W^(1/2) E^H K E W^(1/2), and r(t) = W^(-1/2) exp(-t S) W^(1/2) r(0);
- "nodes" (n × n): S' = M^H M = Cᵀ R C, and r(t) = r(0) - E^H C φ_t(S') Cᵀ V(0), with
  φ_t(λ) = (1 - exp(-t λ)) / λ  (exp(-t M M^H) = I - M φ_t(M^H M) M^H);

"auto" takes the smaller. Because the window and rho_s are symmetric, S is real (cos and sin parts) and
r(t) real. The entries S_kl = w_k^(1/2) [E^H K E]_kl w_l^(1/2) are the P1 quadrature of
∫ rho_s(xi) (1 + 4π² sigma_a² x_k x_l) cos(2π xi (x_k - x_l)) dxi = Θ(x_k, x_l): the finite elements in
frequency reproduce the kernel flow r(t) = exp(-t Θ W) r(0) of the data, to O(h²) in the cell size h.
v_hat(xi, t) = Σ_k w_k r_k(t) exp(-2πi xi x_k) is then evaluated exactly at any xi, inside the window or not.

Resolution: the mesh must resolve the phases exp(-2πi xi x_k), on the scale 1/``|x|`` (mu_hat varies on the
scale 1/(extent of the data)), and rho_w. For data on a uniform grid of spacing Δx, mu_hat is periodic with
period 1/Δx: frequencies xi and xi ± 1/Δx are the same on the data. The general equation keeps every alias
(R holds mu_hat's peaks at multiples of 1/Δx), but the uniform-data equation does not, so
:class:`UniformDataEquation` refuses a rho_w that is active beyond the Nyquist frequency 1/(2Δx).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
import torch

from spectra._validation import (
    _Described,
    as_points,
    as_real_array,
    check_choice,
    check_memory,
    check_positive_float,
    check_positive_int,
    describe,
    fail,
)
from spectra.domain import Box
from spectra.fem.initial_data import InitialData
from spectra.fem.problem import (
    MAX_CELLS,
    MIN_CELLS,
    UNRESOLVED,
    ResolutionWarning,
    WindowWarning,
    check_density_values,
    check_times,
    density_region,
    space_estimate,
)
from spectra.fem.reference import ReferenceSolver, p1_matrices
from spectra.fourier import continuous_ft, grid_layout, is_uniform_grid, nudft
from spectra.frequencies import FrequencyDistribution, _as_xi
from spectra.results import Result
from spectra.targets import Target

METHODS = ("auto", "data", "nodes")
MAX_DENSE = 8192  # largest side of the dense Hermitian eigenproblem
CELLS_PER_PERIOD = 4  # at least this many cells per period of exp(-2πi xi x) at the farthest data point
BLOCK_ENTRIES = 1 << 22  # nodes × data points per tile of the assembly of S (32 MiB of float64)
NODE_ARRAYS = 16  # float64 arrays per node of the P1 assembly (nodes, density, sparse matrices, phases)


def _as_data(x: Any, weights: Any) -> tuple[np.ndarray, np.ndarray]:
    """1-D data points (N,) and positive loss weights (N,) (default 1/N, the mean loss) as float64."""
    points = as_points("x", x, 1, dtype=torch.float64).cpu().numpy()[:, 0]
    if weights is None:
        return points, np.full(len(points), 1.0 / len(points))
    w = as_real_array("weights", weights).reshape(-1)
    if w.shape != points.shape or not np.all(np.isfinite(w)) or np.any(w <= 0):
        fail("weights", f"{len(points)} finite positive loss weights, one per point of x", _Described(describe(w)))
    return points, w


def _as_residual(residual: Any, x: np.ndarray) -> np.ndarray:
    """Residual values u(x_k, 0) (N,), or -g(x_k) for a Target g (a network that starts at f ≡ 0)."""
    if isinstance(residual, Target):
        if residual.dim != 1:
            fail("residual", "a 1-D target", residual)
        return -np.asarray(residual(x[:, None]), dtype=np.float64).reshape(-1)
    if isinstance(residual, torch.Tensor):
        residual = residual.detach().cpu().numpy()
    values = np.asarray(residual)
    if not np.issubdtype(values.dtype, np.number) or np.iscomplexobj(values):
        fail("residual", f"{len(x)} real residual values or a Target", _Described(describe(values)), TypeError)
    values = values.astype(np.float64)
    if values.shape not in ((len(x),), (len(x), 1)):
        fail("residual", f"{len(x)} residual values, one per point of x (shape ({len(x)},))", f"shape {values.shape}")
    if not np.all(np.isfinite(values)):
        fail(
            "residual",
            "finite residual values (no NaN or inf)",
            _Described(describe(values) + " containing non-finite values"),
        )
    return values.reshape(-1)


def peak_data_density(x: np.ndarray, weights: np.ndarray) -> float:
    """The largest data density on ⌈√N⌉ equal bins over the data's extent: Σ_(bin) w_k / (bin width).

    It plays the part of c in the uniform-data equation for choosing the window (where c·rho_w·t is
    negligible): an over-estimate only widens the window, by a logarithmic amount.
    """
    extent = float(x.max() - x.min())
    if extent == 0:
        fail("x", "at least two distinct data points", _Described(f"{len(x)} copies of x = {x[0]:.6g}"))
    bins = math.ceil(math.sqrt(len(x)))
    counts, _ = np.histogram(x, bins=bins, range=(float(x.min()), float(x.max())), weights=weights)
    return float(counts.max() * bins / extent)


@dataclass
class NonuniformSolution(Result):
    """The general equation's solution, held as the residual r(t) it implies on the data points.

    Fields: ``times`` (T,); ``residual`` (T, N), r(x_k, t); ``x`` (N,) and ``weights`` (N,), the data measure;
    ``initial`` (N,), r(x_k, 0); the discretisation (``window`` = Xi of [-Xi, Xi], ``cells``, ``method``);
    ``sigma_a``; ``rates`` (the eigenvalues of the Hermitian form, ascending: the decay rates of the modes);
    ``space_error_estimate``, the a priori relative L2 error of the mesh; ``data_density``, the peak density
    of the data (``peak_data_density``).
    """

    times: np.ndarray = Result.array_field(("T",))
    residual: np.ndarray = Result.array_field(("T", "N"))
    x: np.ndarray = Result.array_field(("N",))
    weights: np.ndarray = Result.array_field(("N",))
    initial: np.ndarray = Result.array_field(("N",))
    window: float
    cells: int
    method: str
    sigma_a: float
    rates: np.ndarray = Result.array_field(("M",))  # M modes of the discretisation
    space_error_estimate: float = float("nan")
    data_density: float = float("nan")

    def evaluate(self, xi: np.ndarray | Sequence[float]) -> np.ndarray:
        """v_hat(xi, t) = Σ_k w_k r_k(t) exp(-2πi xi x_k) at frequencies ``xi`` (k,) or (k, 1): complex (T, k)."""
        xi = _as_xi("xi", xi, 1)[:, 0]
        return np.stack([continuous_ft(self.x, r, xi, weights=self.weights) for r in self.residual])

    def initial_at(self, xi: np.ndarray | Sequence[float]) -> np.ndarray:
        """v_hat(xi, 0): complex (k,)."""
        return continuous_ft(self.x, self.initial, _as_xi("xi", xi, 1)[:, 0], weights=self.weights)

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per (t, data point) with columns t, point, x, residual."""
        n = len(self.x)
        return pd.DataFrame(
            {
                "t": np.repeat(self.times, n),
                "point": np.tile(np.arange(n), len(self.times)),
                "x": np.tile(self.x, len(self.times)),
                "residual": self.residual.reshape(-1),
            }
        )


def _phase_cells(x: np.ndarray, window: float) -> int:
    """Cells that give ``CELLS_PER_PERIOD`` cells per period 1/``|x|`` of the fastest phase exp(-2πi xi x)."""
    return math.ceil(2 * window * CELLS_PER_PERIOD * float(np.abs(x).max()))


class _DataForm:
    """exp(-t S) with S = W^(1/2) E^H K E W^(1/2), real: N × N."""

    method = "data"

    def __init__(self, nodes: np.ndarray, stiffness: Any, x: np.ndarray, weights: np.ndarray) -> None:
        n, root = len(nodes), np.sqrt(weights)
        form = np.zeros((len(x), len(x)))
        block = max(1, BLOCK_ENTRIES // len(x))
        for start in range(0, n, block):
            rows = slice(start, min(start + block, n))
            near = slice(max(start - 1, 0), min(start + block + 1, n))  # K is tridiagonal
            local = stiffness[rows, near]
            for wave in (np.cos, np.sin):  # Re E^H K E = cosᵀ K cos + sinᵀ K sin, E = cos - i sin
                phases = wave(2 * math.pi * np.outer(nodes[near], x))
                form += phases[rows.start - near.start : rows.stop - near.start].T @ (local @ phases)
        form = root[:, None] * (form + form.T) / 2 * root[None, :]
        rates, self.vectors = scipy.linalg.eigh(form, driver="evd")
        self.rates = np.clip(rates, 0.0, None)  # PSD: negative values are rounding
        self.root = root

    def residual(self, r0: np.ndarray, times: np.ndarray) -> np.ndarray:
        coefficients = self.vectors.T @ (self.root * r0)
        decayed = np.exp(-np.outer(times, self.rates)) * coefficients[None, :]
        return (decayed @ self.vectors.T) / self.root[None, :]


class _NodeForm:
    """exp(-t R K) through S' = Cᵀ R C, K = C Cᵀ, Hermitian: n × n."""

    method = "nodes"

    def __init__(self, nodes: np.ndarray, stiffness: Any, x: np.ndarray, weights: np.ndarray) -> None:
        spacing = nodes[1] - nodes[0]
        mu_hat = nudft(x, weights, spacing * np.arange(len(nodes)))  # mu_hat(xi_i - xi_0), i = 0..n-1
        transfer = scipy.linalg.toeplitz(mu_hat, np.conj(mu_hat))  # R_ij = mu_hat((i - j) h), Hermitian
        kappa, basis = scipy.linalg.eigh(stiffness.toarray(), driver="evd")
        self.factor = basis * np.sqrt(np.clip(kappa, 0.0, None))[None, :]  # C with K = C Cᵀ
        form = self.factor.T @ transfer @ self.factor
        rates, self.vectors = scipy.linalg.eigh((form + form.conj().T) / 2, driver="evd")
        self.rates = np.clip(rates, 0.0, None)
        self.nodes, self.x, self.weights = nodes, x, weights

    def residual(self, r0: np.ndarray, times: np.ndarray) -> np.ndarray:
        v0 = nudft(self.x, self.weights * r0, self.nodes)  # V(0) = E W r(0)
        coefficients = self.vectors.conj().T @ (self.factor.T @ v0)
        out = []
        for t in times:
            with np.errstate(divide="ignore", invalid="ignore"):
                phi = np.where(self.rates > 0, -np.expm1(-t * self.rates) / self.rates, t)
            pushed = self.factor @ (self.vectors @ (phi * coefficients))
            # r is real: Re (E^H c)_k = Re Σ_i exp(+2πi xi_i x_k) c_i = Re Σ_i exp(-2πi x_k xi_i) conj(c_i)
            out.append(r0 - nudft(self.nodes, np.conj(pushed), self.x).real)
        return np.array(out)


class NonuniformSolver:
    """Solves the general equation on the data ``x`` (module docstring) with P1 elements and exact time.

    A NumPy/SciPy solver in float64: tensors on any device are copied to the CPU. Dense: the Hermitian form
    has min(N, cells + 1) rows, at most ``MAX_DENSE``.

    Parameters
    ----------
    rho_w
        The frequency density (1-D); its symmetric part enters, as it does the network's kernel.
    sigma_a
        Standard deviation of the output weights (0: frequencies frozen, no diffusion).
    x
        The training points (N,) or (N, 1).
    weights
        The loss weights w_k (N,); default 1/N, the mean loss.
    window
        Xi of the symmetric window [-Xi, Xi]; None: where c·rho_w·t ≥ 1e-6 over the horizon, with c the
        data's peak density (``peak_data_density``), as :class:`~spectra.fem.ReferenceSolver` does.
    cells
        P1 cells on the window; None: from the a priori interpolation estimate of the initial v_hat under
        decay (as :mod:`spectra.fem.problem`), aiming at ``tolerance / 2``, and at least
        ``CELLS_PER_PERIOD`` cells per period of the phase exp(-2πi xi x) at the farthest data point.
    method
        ``"data"`` (N × N form), ``"nodes"`` (n × n form) or ``"auto"`` (the smaller).
    tolerance
        The relative L2 error the default cells aim at.
    """

    def __init__(
        self,
        rho_w: FrequencyDistribution,
        sigma_a: float,
        x: np.ndarray | torch.Tensor,
        weights: np.ndarray | torch.Tensor | None = None,
        window: float | None = None,
        cells: int | None = None,
        *,
        method: str = "auto",
        tolerance: float = 1e-4,
    ) -> None:
        if not isinstance(rho_w, FrequencyDistribution):
            fail("rho_w", "a FrequencyDistribution from spectra.frequencies", type(rho_w).__name__, TypeError)
        if rho_w.dim != 1:
            fail("rho_w", "a 1-D density (the general equation is solved in 1-D)", rho_w)
        self.rho_w = rho_w.symmetrized()
        self.sigma_a = check_positive_float("sigma_a", sigma_a, allow_zero=True)
        self.x, self.weights = _as_data(x, weights)
        self.data_density = peak_data_density(self.x, self.weights)
        self.window = None if window is None else check_positive_float("window", window)
        self.cells = None if cells is None else check_positive_int("cells", cells)
        if self.cells is not None:
            need = NODE_ARRAYS * 8 * (cells + 1)
            check_memory("cells", cells, need, subject=f"a mesh of {cells} cells", advice="use fewer cells")
        self.method = check_choice("method", method, METHODS)
        self.tolerance = check_positive_float("tolerance", tolerance)
        self._cache: tuple[tuple[float, int], _DataForm | _NodeForm] | None = None

    def _active_half_width(self, horizon: float) -> float:
        """The largest ``|xi|`` where c·rho_w(xi)·T ≥ 1e-6 (c the peak data density, T the horizon)."""
        region = density_region(self.rho_w, self.data_density, horizon)
        return float(max(abs(region.lo[0]), abs(region.hi[0])))

    def _discretise(self, v0: InitialData, times: np.ndarray) -> tuple[float, int, float]:
        """The window Xi, the cells and the estimated relative space error (defaults filled in, choices checked)."""
        active = self._active_half_width(float(times[-1]))
        window = active if self.window is None else self.window
        if window < active * (1 - 1e-9):
            warnings.warn(
                f"window: rho_w is active up to |xi| = {active:.4g} over the horizon, beyond the window "
                f"[-{window:.4g}, {window:.4g}]; the learning it drives there is left out — widen it (None chooses)",
                WindowWarning,
                stacklevel=3,
            )
        box = Box.interval(-window, window)
        estimate = space_estimate(v0, self.rho_w, self.data_density, times, box, 1)
        phase = _phase_cells(self.x, window)
        if self.cells is None:
            wanted = max(estimate.cells_for(self.tolerance / 2)[0], phase, MIN_CELLS)
            cells = min(wanted, MAX_CELLS[1])
            if cells != wanted:
                warnings.warn(
                    f"cells: the estimate asks for {wanted} cells; capped at {cells}, estimated relative error "
                    f"{estimate.error((cells,)):.2g} — pass cells= to override",
                    ResolutionWarning,
                    stacklevel=3,
                )
        else:
            cells = self.cells
            if estimate.error((cells,)) > UNRESOLVED or cells < phase / 2:
                warnings.warn(
                    f"cells: {cells} cannot resolve the problem on [-{window:.4g}, {window:.4g}]: estimated relative "
                    f"L2 error {estimate.error((cells,)):.2g}, and {2 * window * float(np.abs(self.x).max()):.3g} "
                    f"periods of exp(-2πi xi x) at the farthest data point; about "
                    f"{max(estimate.cells_for(self.tolerance / 2)[0], phase)} cells reach {self.tolerance:g}",
                    ResolutionWarning,
                    stacklevel=3,
                )
        return window, cells, estimate.error((cells,))

    def _form(self, window: float, cells: int) -> _DataForm | _NodeForm:
        if self._cache is not None and self._cache[0] == (window, cells):
            return self._cache[1]
        nodes = np.linspace(-window, window, cells + 1)
        method = self.method
        if method == "auto":
            method = "data" if len(self.x) <= len(nodes) else "nodes"
        size = len(self.x) if method == "data" else len(nodes)
        if size > MAX_DENSE:
            fail(
                "cells" if method == "nodes" else "x",
                f"a dense Hermitian form of at most {MAX_DENSE} rows (method {method!r})",
                _Described(f"{size} rows ({len(self.x)} data points, {len(nodes)} nodes)"),
            )
        density = check_density_values(self.rho_w.density(nodes), nodes[:, None])
        _, stiffness = p1_matrices(nodes, density, self.sigma_a, 1.0)  # K = sigma_a² A + B
        form = (_DataForm if method == "data" else _NodeForm)(nodes, stiffness, self.x, self.weights)
        self._cache = ((window, cells), form)
        return form

    def solve(
        self, residual: np.ndarray | torch.Tensor | Target, times: Sequence[float] | np.ndarray
    ) -> NonuniformSolution:
        """The residual r(x_k, t) and v_hat(xi, t) at ``times`` from the residual r(x_k, 0) on the data.

        Parameters
        ----------
        residual
            u(x_k, 0) = f(x_k; θ_0) - g(x_k), (N,); or a Target g, for a network that starts at f ≡ 0
            (doubled initialisation): u(x_k, 0) = -g(x_k).
        times
            Increasing times t ≥ 0 (learning rate × steps).
        """
        r0 = _as_residual(residual, self.x)
        times = check_times(times)
        if not np.any(r0):
            fail("residual", "a residual that is not zero at every data point", _Described("zeros"))
        x, weights = self.x, self.weights
        v0 = InitialData(lambda xi: continuous_ft(x, r0, xi[:, 0], weights=weights), 1, "v_hat(·, 0) of the data")
        window, cells, error = self._discretise(v0, times)
        form = self._form(window, cells)
        return NonuniformSolution(
            times=times,
            residual=form.residual(r0, times),
            x=self.x,
            weights=self.weights,
            initial=r0,
            window=window,
            cells=cells,
            method=form.method,
            sigma_a=self.sigma_a,
            rates=form.rates,
            space_error_estimate=error,
            data_density=self.data_density,
        )


def nyquist_frequency(x: np.ndarray) -> float | None:
    """1/(2Δx) when the points ``x`` (N,) form a uniform grid of spacing Δx; None otherwise."""
    points = torch.from_numpy(np.asarray(x, dtype=np.float64).reshape(-1, 1))
    if len(points) < 2 or not is_uniform_grid(points):
        return None
    return 1.0 / (2 * grid_layout("x", points).spacing[0])


class UniformDataEquation:
    """The damped heat equation that assumes uniform data of density c, written for v_hat = c u_hat:

        ∂_t v_hat = c [ sigma_a² ∂_xi( rho_w ∂_xi v_hat ) - rho_w v_hat ],
        v_hat(xi, 0) = Σ_k w_k r_k(0) exp(-2πi xi x_k),

    solved by :class:`~spectra.fem.ReferenceSolver` on [-Xi, Xi] with ``cells`` P1 cells. c only rescales
    time (v_hat_c(t) = v_hat_1(c t)), so one modal decomposition at c = 1 serves every c.
    """

    def __init__(self, rho_w: FrequencyDistribution, sigma_a: float, window: float, cells: int) -> None:
        self.rho_w = rho_w
        self.window = check_positive_float("window", window)
        self.solver = ReferenceSolver(rho_w, sigma_a, 1.0, self.window, check_positive_int("cells", cells))

    def solve(
        self,
        x: np.ndarray | torch.Tensor,
        residual: np.ndarray | torch.Tensor | Target,
        c: float,
        times: Sequence[float] | np.ndarray,
        xi: np.ndarray | Sequence[float],
        weights: np.ndarray | torch.Tensor | None = None,
    ) -> np.ndarray:
        """v_hat(xi, t) = c u_hat(xi, t) at ``times`` and ``xi`` (k,): complex (T, k).

        Raises a ValueError when ``x`` is a uniform grid and rho_w is active beyond its Nyquist frequency
        1/(2Δx): there the network learns aliases xi ± k/Δx that this equation does not know of.
        """
        return self.solve_many(x, residual, [c], times, xi, weights)[0]

    def solve_many(
        self,
        x: np.ndarray | torch.Tensor,
        residual: np.ndarray | torch.Tensor | Target,
        c: Sequence[float] | np.ndarray,
        times: Sequence[float] | np.ndarray,
        xi: np.ndarray | Sequence[float],
        weights: np.ndarray | torch.Tensor | None = None,
    ) -> np.ndarray:
        """:meth:`solve` for several densities c (C,) at once, from one modal solution: complex (C, T, k)."""
        points, w = _as_data(x, weights)
        r0 = _as_residual(residual, points)
        constants = as_real_array("c", c).reshape(-1)
        if len(constants) == 0 or np.any(constants <= 0):
            fail("c", "finite positive data densities", c)
        times = check_times(times)
        nyquist = nyquist_frequency(points)
        if nyquist is not None:
            region = density_region(self.rho_w, float(constants.max()), float(times[-1]))
            active = float(max(abs(region.lo[0]), abs(region.hi[0])))
            if active > nyquist:
                fail(
                    "rho_w",
                    f"a density negligible beyond the grid's Nyquist frequency 1/(2Δx) = {nyquist:.4g} (the data "
                    "cannot tell xi from xi ± 1/Δx, and the uniform-data equation ignores those aliases; the "
                    "general equation, NonuniformSolver, keeps them)",
                    _Described(f"rho_w active up to |xi| = {active:.4g}"),
                )
        scaled = constants[:, None] * times[None, :]  # v_hat_c(t) = v_hat_1(c t)
        unique = np.unique(scaled)
        with warnings.catch_warnings():
            # v_hat(·, 0) of samples does not decay in xi (it is periodic on a grid): energy outside the window is
            # expected, and the equation is posed on the window only.
            warnings.simplefilter("ignore", WindowWarning)
            solution = self.solver.solve((points[:, None], r0, w), unique, scheme="exact")
        values = solution.evaluate(_as_xi("xi", xi, 1))
        return values[np.searchsorted(unique, scaled)]
