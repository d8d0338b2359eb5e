"""The frequency-space PDE as a problem: coefficients, window, mesh, time grid, and their checks.

The damped heat equation of a two-layer Fourier-feature network's error (docs/theory.rst, "Uniform data: the
damped heat equation"), with frequencies xi in cycles per unit length and theory time t = learning rate × steps:

    ∂_t u_hat = c [ sigma_a² ∇_xi·( rho_w(xi) ∇_xi u_hat ) - rho_w(xi) u_hat ]   on the window W,
    rho_w ∂_n u_hat = 0 on ∂W (zero flux),      u_hat(xi, 0) = u0(xi).

rho_w is used as given. Only its symmetric part (rho(xi) + rho(-xi)) / 2 enters the network's kernel, so
for an asymmetric rho_w the solution here is not the transform of a real residual (u_hat(-xi) ≠
conj u_hat(xi)); pass ``rho_w.symmetrized()`` to model training. Real and imaginary parts of u_hat evolve
independently under the same real operator.

:class:`FrequencyProblem` holds the description shared by the DOLFINx solver
(:class:`~spectra.fem.frequency_pde.FrequencyPDE`) and the NumPy reference
(:class:`~spectra.fem.reference.ReferenceSolver`), checks it, and fills in what is left open:

- window: the box outside which c·rho_w·t < 1e-6 for every requested t (learning there is negligible, so
  the zero-flux edge is harmless), widened to hold all but 1e-10 of the initial data's energy (within its
  :attr:`~spectra.fem.initial_data.InitialData.reach`: a declared support, or one period of a samples'
  transform, which would otherwise never decay);
- cells: from an estimate of the space error in two parts (:class:`SpaceEstimate`). Where rho_w is
  smooth, a priori, from the interpolation error of the lazy-limit profiles u0·exp(-c rho_w t) (sharper than
  u0 wherever rho_w varies): C_p Σ_j h_j^(p+1) ``||∂_j^(p+1) u||`` / ``||u0||`` with C_1 = 1/√120 and
  C_2 = 1/(6√840). Where rho_w jumps (the edges of a band; found on the probe grid by
  ``density_jumps``), the solution jumps too where rho_w drops to 0 (nothing is learned outside), by far
  more than the lazy profiles say (diffusion piles u_hat up against the zero-flux edge), and continuous
  elements approach a jump only at the rate h^(1/2). That part is read off the solution, a posteriori:
  C_J max_t (Σ_j h_j ∫ ``|[u_h]_j|²`` ds)^(1/2) / ``||u0||``, with [u_h]_j the change of u_h across each jump along
  axis j, from two cells before it to two cells after (``JUMP_CONSTANT``, measured). Default cells make
  the smooth part at most ``tolerance / 2``; the jump part is reported, not chased (halving it takes four
  times the cells), with a :class:`ResolutionWarning` when it takes the estimate above ``tolerance``;
- dt: from the modal error of the scheme at the output times (``time_error_constant``), with
  L = M⁻¹K the discrete operator (lumped mass), chosen below ``tolerance / 2``. Steps between output
  times are equal and at most dt; each distinct step size is factorised once.

Given choices are checked with the same estimates: a window that leaves more than 1e-6 of the initial
energy outside (counted within u0's reach when it has one) raises a :class:`WindowWarning` with the
fraction; cells or dt whose estimated error exceeds 1e-2 raise a :class:`ResolutionWarning` with the
estimate and a value that would do.

u0 is only ever evaluated on tensor grids (probe grids and the node grid) through
:meth:`~spectra.fem.initial_data.InitialData.on_grid`, which is separable, hence cheap, for samples.

Requests too large to run are refused (a ValueError naming the argument, with the estimate) before anything
is assembled: cells whose operator would need more than ``spectra._validation.MAX_MEMORY_GB`` (each solver
estimates its own memory per node), and a time plan estimated to take longer than ``MAX_SOLVE_SECONDS``
(steps × the solver's cost per step; the modal reference solver's steps cost nothing).
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Self

import numpy as np
from scipy.integrate import trapezoid

from spectra._validation import (
    _Described,
    as_real_array,
    brief,
    check_choice,
    check_memory,
    check_positive_float,
    check_positive_int,
    fail,
)
from spectra.domain import Box, BoxLike, as_box
from spectra.fem.grid import NodeGrid
from spectra.fem.initial_data import InitialData, InitialDataLike, as_initial_data, grid_points
from spectra.fem.solution import PDESolution
from spectra.frequencies import FrequencyDistribution
from spectra.targets import Target

ACTIVE = 1e-6  # c·rho_w·t below this: the frequency is not learned over the horizon
WINDOW_ENERGY = 1e-10  # fraction of the initial energy the default window may leave out
ENERGY_OUTSIDE_WARNING = 1e-6  # fraction outside a given window that earns a warning
UNRESOLVED = 1e-2  # estimated relative L2 error above which cells or dt "cannot resolve" the problem
PROBE_POINTS = {1: 8193, 2: 257}  # probe grid per axis for densities, energies and error estimates
MIN_CELLS = 16
MAX_CELLS = {1: 100_000, 2: 512}  # per axis, for the default mesh
MAX_DEFAULT_STEPS = 200_000
MAX_SOLVE_SECONDS = 3600.0  # a solve estimated to take longer is refused before it starts
INTERPOLATION_CONSTANT = {1: 1 / math.sqrt(120), 2: 1 / (6 * math.sqrt(840))}
JUMP_CONSTANT = 0.5  # C_J: measured L2 error / (Σ_j h_j ∫|[u_h]_j|²)^(1/2) / ||u0||, P1 and P2, 1-D and 2-D
JUMP_REACH = 2  # cells either side of a jump between which u_h's change is read
JUMP_SHARE = 0.75  # a probe interval jumps if one quarter of it holds this share of rho_w's change across it
JUMP_SIZE = 1e-3  # ... and that change is at least this fraction of rho_w's peak (smooth extrema stay out)


class ResolutionWarning(UserWarning):
    """Cells or dt too coarse for the problem, by the a priori estimate."""


class WindowWarning(UserWarning):
    """The window leaves part of the initial data's energy outside."""


def _cells_text(cells: Iterable[int]) -> str:
    """Cells per axis as a reader writes them: "400", or "64 × 64"."""
    return " × ".join(str(n) for n in cells)


def _warn(message: str, category: type[Warning]) -> None:
    warnings.warn(message, category, stacklevel=4)


def probe_grid(box: Box, points_per_axis: int) -> tuple[list[np.ndarray], np.ndarray]:
    """A uniform grid including the box's edges: axes and points (n, d), last axis fastest."""
    axes = [np.linspace(lo, hi, points_per_axis) for lo, hi in zip(box.lo, box.hi, strict=True)]
    return axes, grid_points(axes)


def _integrate(values: np.ndarray, axes: list[np.ndarray]) -> float:
    grid = values.reshape([len(a) for a in axes])
    for axis in reversed(axes):
        grid = trapezoid(grid, axis, axis=-1)
    return float(grid)


def _box(lo: Sequence[float] | np.ndarray, hi: Sequence[float] | np.ndarray) -> Box:
    return Box(tuple(float(v) for v in lo), tuple(float(v) for v in hi))


def widen(box: Box, factor: float) -> Box:
    """The box scaled by ``factor`` about its centre."""
    half = factor * box.lengths / 2
    return _box(box.center - half, box.center + half)


def union(a: Box, b: Box) -> Box:
    return _box(np.minimum(a.lo, b.lo), np.maximum(a.hi, b.hi))


def density_error(rho: np.ndarray, points: np.ndarray) -> str | None:
    """Where rho_w's values ``rho`` at ``points`` (k, d) are first not finite and non-negative; None if nowhere."""
    bad = ~np.isfinite(rho) | (rho < 0)
    if not bad.any():
        return None
    where = int(np.argmax(bad))
    return f"rho_w(xi) = {float(rho[where]):.6g} at xi = {np.round(points[where], 6).tolist()}"


def check_density_values(rho: np.ndarray, points: np.ndarray) -> np.ndarray:
    """rho_w's values must be finite and non-negative; say where they are not."""
    message = density_error(rho, points)
    if message is not None:
        fail("rho_w", "a finite, non-negative density", _Described(message))
    return rho


def density_values(rho_w: FrequencyDistribution, points: np.ndarray) -> np.ndarray:
    """rho_w at ``points`` (k, d), checked finite and non-negative."""
    return check_density_values(rho_w.density(points), points)


def _edge_touched(mask: np.ndarray) -> bool:
    """Whether ``mask`` (a grid) holds True on any face of the grid."""
    return any(np.take(mask, i, axis=a).any() for a in range(mask.ndim) for i in (0, -1))


def _mask_box(mask: np.ndarray, axes: list[np.ndarray]) -> Box:
    """Bounding box of the True cells of ``mask``, one probe spacing wider on each side."""
    lo, hi = [], []
    for a, coordinates in enumerate(axes):
        hit = np.flatnonzero(mask.any(axis=tuple(b for b in range(mask.ndim) if b != a)))
        lo.append(coordinates[max(hit[0] - 1, 0)])
        hi.append(coordinates[min(hit[-1] + 1, len(coordinates) - 1)])
    return _box(lo, hi)


def density_region(rho_w: FrequencyDistribution, c: float, horizon: float) -> Box:
    """The box outside which c·rho_w(xi)·T < ``ACTIVE``, T = max(horizon, 1 / (c max rho_w)).

    Found on a probe grid around 4096 seeded draws of rho_w, doubled until the active set stays inside;
    on the way rho_w is checked to be finite, non-negative and normalised (∫ rho_w = 1 within 5%).
    """
    samples = rho_w.sample(4096, seed=0).numpy()
    centre = np.median(samples, axis=0)
    half = np.maximum(np.abs(samples - centre).max(axis=0), 1e-6)
    for _ in range(8):
        box = _box(centre - 2 * half, centre + 2 * half)
        axes, points = probe_grid(box, PROBE_POINTS[rho_w.dim])
        rho = density_values(rho_w, points)
        peak = rho.max()
        if peak <= 0:
            fail("rho_w", "a density that is positive somewhere", _Described(f"rho_w = 0 on all of {box}"))
        active = (rho >= ACTIVE * peak / max(1.0, c * peak * horizon)).reshape([len(a) for a in axes])
        if _edge_touched(active):
            half = 2 * half
            continue
        mass = _integrate(rho, axes)
        if abs(mass - 1) > 0.05:
            fail(
                "rho_w",
                "a normalised density (∫ rho_w = 1)",
                _Described(f"∫ rho_w ≈ {mass:.4g} over {box}, outside which rho_w is negligible"),
            )
        return _mask_box(active, axes)
    fail(
        "rho_w",
        "a normalisable density, one that decays away from its samples",
        _Described(f"c·rho_w·t ≥ {ACTIVE:g} still at the edge of {box}"),
    )
    raise AssertionError  # unreachable: fail() raises


def _energy(u0: InitialData, box: Box) -> tuple[list[np.ndarray], np.ndarray]:
    """Probe axes on ``box`` and ``|u0|²`` on their grid (flat, last axis fastest); u0 must not vanish there."""
    axes = probe_grid(box, PROBE_POINTS[box.dim])[0]
    energy = np.abs(u0.on_grid(axes)) ** 2
    if energy.sum() == 0:
        fail("u0", "initial data that is not zero everywhere", _Described(f"{u0.description} ≡ 0 on {box}"))
    return axes, energy


def _energy_box(energy: np.ndarray, axes: list[np.ndarray]) -> Box:
    """Smallest probe box holding all but ``WINDOW_ENERGY`` of the energy (its marginals trimmed at both ends)."""
    grid = energy.reshape([len(a) for a in axes])
    trim = WINDOW_ENERGY / (2 * grid.ndim)
    lo, hi = [], []
    for a, coordinates in enumerate(axes):
        marginal = grid.sum(axis=tuple(b for b in range(grid.ndim) if b != a))
        cumulative = np.cumsum(marginal) / marginal.sum()
        first = int(np.searchsorted(cumulative, trim, side="right"))
        last = int(np.searchsorted(cumulative, 1 - trim, side="left"))
        lo.append(coordinates[max(first - 1, 0)])
        hi.append(coordinates[min(last + 1, len(coordinates) - 1)])
    return _box(lo, hi)


def initial_data_region(u0: InitialData, start: Box) -> Box:
    """The box holding all but 1e-10 of u0's energy.

    Within u0's reach (its support, or one period) when it has one: one probe. Otherwise searched from
    ``start`` widened, doubling up to 5 times, with a :class:`WindowWarning` if u0 has not decayed by then.
    """
    if u0.reach is not None:
        axes, energy = _energy(u0, u0.reach)
        return _energy_box(energy, axes)
    probe = widen(start, 2.0)
    for _ in range(5):
        axes, energy = _energy(u0, probe)
        box = _energy_box(energy, axes)
        if np.all(np.asarray(box.lo) > probe.lo) and np.all(np.asarray(box.hi) < probe.hi):
            return box
        probe = widen(probe, 2.0)
    _warn(
        f"u0: {u0.description} does not decay within {probe}; the default window stops there — pass window= to "
        "choose, or declare where u0 lives with solve(..., support=)",
        WindowWarning,
    )
    return probe


def energy_outside(u0: InitialData, window: Box) -> tuple[float, Box]:
    """Fraction of u0's energy outside ``window``, measured on u0's reach, or on a box that holds nearly all of it."""
    probe = u0.reach if u0.reach is not None else union(window, initial_data_region(u0, window))
    axes, energy = _energy(u0, probe)
    outside = ~window.contains(grid_points(axes))
    return float(energy[outside].sum() / energy.sum()), probe


def density_jumps(rho_w: FrequencyDistribution, axes: list[np.ndarray], rho: np.ndarray) -> list[np.ndarray]:
    """Per axis j, the probe intervals along j across which rho_w jumps: boolean grids (n_j - 1 along j).

    Each grid is laid out like the grid of the intervals' lower ends (last axis fastest).

    rho_w is evaluated at the quarter points of every interval (``rho``: its values at the probe grid of
    ``axes``, flat). A jump puts nearly all of the change across an interval into one quarter (a smooth
    rho_w about a quarter into each): one quarter holding ``JUMP_SHARE`` of a change of at least
    ``JUMP_SIZE`` of rho_w's peak marks the interval.
    """
    grid = rho.reshape([len(a) for a in axes])
    jumps = []
    for j, coordinates in enumerate(axes):
        steps = np.diff(coordinates)
        quarters = [np.moveaxis(grid, j, -1)[..., :-1]]
        for k in (1, 2, 3):
            shifted = [*axes[:j], coordinates[:-1] + k * steps / 4, *axes[j + 1 :]]
            quarters.append(
                np.moveaxis(density_values(rho_w, grid_points(shifted)).reshape([len(a) for a in shifted]), j, -1)
            )
        quarters.append(np.moveaxis(grid, j, -1)[..., 1:])
        parts = np.abs(np.diff(np.stack(quarters), axis=0))
        change = np.abs(quarters[-1] - quarters[0])
        marked = (parts.max(axis=0) > JUMP_SHARE * change) & (change > JUMP_SIZE * grid.max())
        jumps.append(np.moveaxis(marked, -1, j))
    return jumps


@dataclass(frozen=True)
class SpaceEstimate:
    """The space error estimate of the module docstring: a priori where rho_w is smooth, a posteriori at its jumps.

    ``derivative_norms``: per axis j, max over t of ``||∂_j^(p+1) (u0 exp(-c rho_w t))||`` / ``||u0||`` over the
    stencils that cross no jump. ``jumps``: per axis j, the lower ends (k, d) of the probe intervals (length
    ``spacing[j]`` along j) across which rho_w jumps. ``norm0``: ``||u0||`` on the window.
    """

    window: Box
    degree: int
    derivative_norms: np.ndarray
    jumps: tuple[np.ndarray, ...]
    spacing: np.ndarray
    norm0: float

    def error(self, cells: Sequence[int]) -> float:
        """The smooth part, C_p Σ_j h_j^(p+1) derivative_norms[j], for ``cells`` per axis."""
        h = self.window.lengths / np.asarray(cells)
        return float(INTERPOLATION_CONSTANT[self.degree] * np.sum(h ** (self.degree + 1) * self.derivative_norms))

    def cells_for(self, tolerance: float) -> tuple[int, ...]:
        """Cells per axis that bring the smooth part to ``tolerance`` (at least ``MIN_CELLS``)."""
        share = tolerance / (len(self.derivative_norms) * INTERPOLATION_CONSTANT[self.degree])
        with np.errstate(divide="ignore"):
            h = (share / self.derivative_norms) ** (1 / (self.degree + 1))
        return tuple(int(max(n, MIN_CELLS)) for n in np.ceil(self.window.lengths / h))

    def jump_error(self, grid: NodeGrid, values: np.ndarray) -> float:
        """The jump part for the solution ``values`` (T, n) on ``grid`` (module docstring).

        C_J max_t (Σ_j h_j ∫|[u_h]_j|² ds)^(1/2) / ``||u0||``, where [u_h]_j is u_h ``JUMP_REACH`` cells after the
        jump's probe interval minus u_h as many cells before it (clipped to the window), and ds the probe
        spacing across axis j (1 in 1-D).
        """
        lo, hi = np.asarray(grid.window.lo), np.asarray(grid.window.hi)
        squares = np.zeros(len(values))
        for j, lower in enumerate(self.jumps):
            if len(lower):
                reach = np.eye(grid.dim)[j] * JUMP_REACH * grid.cell_size[j]
                before = np.clip(lower - reach, lo, hi)
                after = np.clip(lower + np.eye(grid.dim)[j] * self.spacing[j] + reach, lo, hi)
                change = grid.interpolate(values, after) - grid.interpolate(values, before)
                ds = np.prod(np.delete(self.spacing, j))
                squares += grid.cell_size[j] * ds * np.sum(np.abs(change) ** 2, axis=1)
        return float(JUMP_CONSTANT * math.sqrt(squares.max(initial=0.0)) / self.norm0)


def space_estimate(
    u0: InitialData, rho_w: FrequencyDistribution, c: float, times: np.ndarray, window: Box, degree: int
) -> SpaceEstimate:
    """The smooth part from u0·exp(-c rho_w t) on a probe grid of the window, at up to 9 of the times.

    Finite differences of order p + 1 whose stencils cross none of rho_w's jumps (``density_jumps``).
    """
    axes = probe_grid(window, PROBE_POINTS[window.dim])[0]
    u = u0.on_grid(axes)
    points = grid_points(axes)
    rho = density_values(rho_w, points)
    jumps = density_jumps(rho_w, axes, rho)
    spacing = np.array([a[1] - a[0] for a in axes])
    shape = [len(a) for a in axes]
    energy0 = np.sum(np.abs(u) ** 2)
    norms = np.zeros(window.dim)
    crossing = [  # stencil k of ∂_j^(p+1) spans the intervals k..k+p
        np.lib.stride_tricks.sliding_window_view(jumps[j], degree + 1, axis=j).any(axis=-1) for j in range(window.dim)
    ]
    for t in np.unique(np.quantile(np.concatenate([[0.0], times]), np.linspace(0, 1, 9))):
        profile = (u * np.exp(-c * rho * t)).reshape(shape)
        for j in range(window.dim):
            derivative = np.where(crossing[j], 0.0, np.diff(profile, degree + 1, axis=j)) / spacing[j] ** (degree + 1)
            norms[j] = max(norms[j], math.sqrt(np.sum(np.abs(derivative) ** 2) / energy0))
    starts = [[*axes[:j], axes[j][:-1], *axes[j + 1 :]] for j in range(window.dim)]  # lower ends of intervals
    lower = tuple(grid_points(start)[jumps[j].reshape(-1)] for j, start in enumerate(starts))
    return SpaceEstimate(window, degree, norms, lower, spacing, math.sqrt(energy0 * np.prod(spacing)))


def time_error_constant(scheme: str, moments: tuple[float, float], first_time: float) -> tuple[float, int]:
    """(C, q) with estimated relative error C·dt^q at the output times t ≥ ``first_time`` > 0.

    Per mode of rate λ, at time t: CN errs by e^(-λt) λt (λh)²/12, at most (λh)²/(12e) over t and at most
    27 h²/(12 e³ t²) over λ; backward Euler by e^(-λt) λt λh/2, at most λh/(2e) and 2h/(e² t). The first
    bounds are summed over u0's modes through ``moments`` = (``||L u0||``, ``||L² u0||``) / ``||u0||``.
    """
    rate, rate_squared = moments
    if scheme == "crank-nicolson":
        return min(rate_squared / (12 * math.e), 27 / (12 * math.e**3 * first_time**2)), 2
    return min(rate / (2 * math.e), 2 / (math.e**2 * first_time)), 1


def time_plan(times: np.ndarray, dt: float) -> list[tuple[int, float]]:
    """Steps (count, size) from each output time to the next: ceil(gap / dt) equal steps per gap."""
    plan, previous = [], 0.0
    for t in times:
        gap = float(t - previous)
        count = 0 if gap == 0 else max(1, math.ceil(gap / dt * (1 - 1e-12)))
        plan.append((count, gap / count if count else 0.0))
        previous = float(t)
    return plan


def as_window(window: BoxLike | float, dim: int, argument: str = "window") -> Box:
    """The frequency window: a number Xi for [-Xi, Xi]^dim, or a box in ``dim`` dimensions (``argument`` names it)."""
    if isinstance(window, (int, float, np.integer, np.floating)) and not isinstance(window, bool):
        half = check_positive_float(argument, window)
        return Box.cube(-half, half, dim)
    box = as_box(argument, window)
    if box.dim != dim:
        fail(argument, f"a box in {dim} dimension(s)", window)
    return box


def window_pairs(box: Box) -> list[list[float]]:
    """A window as [[lo_1, hi_1], ..., [lo_d, hi_d]]: one (lo, hi) per axis, the form ``window=`` reads."""
    return [[float(lo), float(hi)] for lo, hi in zip(box.lo, box.hi, strict=True)]


def check_times(times: Any) -> np.ndarray:
    array = np.atleast_1d(as_real_array("times", times))
    if array.ndim != 1 or len(array) == 0 or array[0] < 0:
        fail("times", "a non-empty 1-D array of finite times t ≥ 0", brief(times))
    if np.any(np.diff(array) <= 0):
        fail("times", "strictly increasing times", brief(times))
    return array


class Operator(Protocol):
    """A solver's assembled discrete operator on one grid (see :meth:`FrequencyProblem._operator`)."""

    nodes: np.ndarray  # the nodes this process owns, (n_local, d)
    index: np.ndarray  # their flat indices in the grid's node order, (n_local,)
    density: np.ndarray  # rho_w at those nodes (checked; the elements use rho_w at their Gauss points)

    def gather(self, local: np.ndarray) -> np.ndarray: ...

    def rate_moments(self, u: np.ndarray) -> tuple[float, float]: ...

    def integrate(
        self, u: np.ndarray, plan: list[tuple[int, float]], scheme: str, progress: bool
    ) -> tuple[np.ndarray, np.ndarray]: ...


class FrequencyProblem(ABC):
    """Description of the frequency-space PDE (module docstring), shared by its solvers.

    Parameters
    ----------
    rho_w
        The frequency density (a :class:`~spectra.frequencies.FrequencyDistribution`), used as given.
    sigma_a
        Standard deviation of the output weights; the diffusion is c·sigma_a²·rho_w.
    c
        The data density (1 / volume of the box for uniform data).
    window
        The box of frequencies (a :class:`~spectra.domain.Box`, (lo, hi), [(lo, hi), ...] with one
        (lo, hi) per axis, as ``PDESolution.window`` stores it, or
        a number Xi for ``[-Xi, Xi]^d``); None chooses it at ``solve`` from rho_w, the times and u0.
    dim
        1 or 2 (default: rho_w's).
    cells
        Cells per axis (an int or one per axis); None chooses them at ``solve``.
    degree
        1 (P1 / Q1) or 2 (P2 / Q2).
    tolerance
        The relative L2 error the default cells and dt aim at (half each).
    """

    schemes: tuple[str, ...] = ("crank-nicolson", "backward-euler")
    solver_name: str = ""

    def __init__(
        self,
        rho_w: FrequencyDistribution,
        sigma_a: float,
        c: float,
        window: BoxLike | float | None = None,
        dim: int | None = None,
        cells: int | Sequence[int] | None = None,
        degree: int = 1,
        *,
        tolerance: float = 1e-4,
    ) -> None:
        if not isinstance(rho_w, FrequencyDistribution):
            fail("rho_w", "a FrequencyDistribution from spectra.frequencies", type(rho_w).__name__, TypeError)
        if rho_w.dim not in (1, 2):
            fail("rho_w", "a density in 1 or 2 dimensions", _Described(f"one in {rho_w.dim}"))
        self.dim = rho_w.dim if dim is None else check_positive_int("dim", dim)
        if self.dim != rho_w.dim:
            fail("dim", f"the dimension of rho_w ({rho_w.dim})", dim)
        self.rho_w = rho_w
        self.sigma_a = check_positive_float("sigma_a", sigma_a, allow_zero=True)
        self.c = check_positive_float("c", c)
        self.window = None if window is None else as_window(window, self.dim)
        self.degree = int(check_choice("degree", degree, (1, 2)))
        self.cells = None if cells is None else self._as_cells(cells)
        if self.cells is not None:
            self._check_grid(self.cells, "pass fewer cells")
        self.tolerance = check_positive_float("tolerance", tolerance)
        self._cache: tuple[NodeGrid, Operator] | None = None

    @classmethod
    def from_target(cls, target: Target, rho_w: FrequencyDistribution, sigma_a: float, **kwargs: Any) -> Self:
        """The problem for training on ``target``'s domain with uniform data: c = 1 / (box volume)."""
        if not isinstance(target, Target):
            fail("target", "a spectra.targets.Target", type(target).__name__, TypeError)
        return cls(rho_w, sigma_a, 1.0 / target.domain.volume, **kwargs)

    def _as_cells(self, cells: int | Sequence[int]) -> tuple[int, ...]:
        sequence = isinstance(cells, (Sequence, np.ndarray)) and not isinstance(cells, str)
        counts = list(cells) if sequence else [cells] * self.dim
        if len(counts) != self.dim:
            fail("cells", f"an int or {self.dim} ints, one per axis", cells)
        return tuple(check_positive_int("cells", n) for n in counts)

    @abstractmethod
    def _grid_bytes(self, nodes: int) -> float:
        """Estimated memory of the solver's discrete operator on a grid of ``nodes`` nodes."""

    @abstractmethod
    def _step_seconds(self, nodes: int) -> float:
        """Estimated seconds of one time step on ``nodes`` nodes (0 when steps cost nothing)."""

    def _check_grid(self, cells: tuple[int, ...], advice: str) -> None:
        """Refuse, before assembling anything, a mesh whose operator would not fit in memory."""
        nodes = math.prod(n * self.degree + 1 for n in cells)
        subject = f"the {self.solver_name} operator on {nodes} nodes ({' × '.join(map(str, cells))} cells)"
        check_memory("cells", cells, self._grid_bytes(nodes), subject=subject, advice=advice)

    def _check_duration(self, steps: int, grid: NodeGrid, dt: float | None) -> None:
        """Refuse, before stepping, a solve estimated to take longer than ``MAX_SOLVE_SECONDS``."""
        seconds = steps * self._step_seconds(grid.size)
        if seconds > MAX_SOLVE_SECONDS:
            fail(
                "dt",
                f"a time step that keeps the solve under {MAX_SOLVE_SECONDS:g} s ({steps} steps on {grid.size} nodes "
                f"would take about {seconds:.3g} s): pass a larger dt, fewer output times or fewer cells",
                dt,
            )

    def discretise(self, u0: InitialData, times: np.ndarray) -> tuple[NodeGrid, SpaceEstimate]:
        """The grid for ``u0`` over ``times`` (defaults filled in, choices checked) and its space error estimate."""
        region = density_region(self.rho_w, self.c, float(times[-1]))
        if self.window is None:
            window = union(region, initial_data_region(u0, region))
        else:
            window = self.window
            fraction, probe = energy_outside(u0, window)
            if fraction > ENERGY_OUTSIDE_WARNING:
                _warn(
                    f"window: {window} leaves {fraction:.3g} of the initial data's energy outside (measured on "
                    f"{probe}); the solution there is not computed — widen it (window=None chooses one)",
                    WindowWarning,
                )
        estimate = space_estimate(u0, self.rho_w, self.c, times, window, self.degree)
        if self.cells is None:
            wanted = estimate.cells_for(self.tolerance / 2)
            cells = tuple(min(n, MAX_CELLS[self.dim]) for n in wanted)
            self._check_grid(
                cells, f"the estimate asks for {_cells_text(cells)} cells; pass fewer cells= or a larger tolerance"
            )
            if cells != wanted:
                _warn(
                    f"cells: the estimate asks for {_cells_text(wanted)} cells to reach {self.tolerance:g}; capped at "
                    f"{_cells_text(cells)}, "
                    f"estimated relative error {estimate.error(cells):.2g} — pass cells= to override",
                    ResolutionWarning,
                )
        else:
            cells = self.cells
            if estimate.error(cells) > UNRESOLVED:
                _warn(
                    f"cells: {_cells_text(cells)} cannot resolve u0·exp(-c rho_w t) on {window}: estimated relative "
                    f"L2 error {estimate.error(cells):.2g}; about "
                    f"{_cells_text(estimate.cells_for(self.tolerance / 2))} cells reach "
                    f"{self.tolerance:g}",
                    ResolutionWarning,
                )
        return NodeGrid(window, cells, self.degree), estimate

    def _check_jumps(self, estimate: SpaceEstimate, grid: NodeGrid, jump_error: float) -> None:
        """Warn when the jump part takes the estimate above the tolerance (default cells) or 1e-2 (given cells)."""
        smooth = estimate.error(grid.cells)
        limit = self.tolerance if self.cells is None else UNRESOLVED
        if smooth + jump_error > limit >= smooth:
            refine = max(1.0, (jump_error / (self.tolerance / 2)) ** 2)  # the jump part falls like h^(1/2)
            _warn(
                f"cells: rho_w jumps (e.g. at the edges of a band), and so does the solution, which "
                f"{_cells_text(grid.cells)} cells approach only like h^(1/2): estimated relative L2 error "
                f"{smooth + jump_error:.2g}, {jump_error:.2g} of it at the jumps; about "
                f"{_cells_text(math.ceil(n * refine) for n in grid.cells)} cells would reach {self.tolerance:g} "
                "— pass cells= to choose",
                ResolutionWarning,
            )

    def _time_step(
        self, scheme: str, dt: float | None, times: np.ndarray, moments: tuple[float, float]
    ) -> tuple[float, float]:
        """The largest step and its estimated error; default dt from ``tolerance``, a given one checked."""
        horizon = float(times[-1])
        if horizon == 0:
            return 0.0, 0.0
        constant, order = time_error_constant(scheme, moments, float(times[times > 0][0]))
        wanted = (self.tolerance / 2 / constant) ** (1 / order) if constant > 0 else horizon
        if dt is None:
            dt = min(wanted, horizon)
            if horizon / dt > MAX_DEFAULT_STEPS:
                dt = horizon / MAX_DEFAULT_STEPS
                _warn(
                    f"dt: capped at {dt:.3g} ({MAX_DEFAULT_STEPS} steps); estimated relative error "
                    f"{constant * dt**order:.2g} — pass dt= to override",
                    ResolutionWarning,
                )
        elif constant * dt**order > UNRESOLVED:
            _warn(
                f"dt: {dt:g} cannot resolve the decay of u0 with {scheme}: estimated relative error "
                f"{constant * dt**order:.2g}; dt ≈ {wanted:.3g} reaches {self.tolerance:g}",
                ResolutionWarning,
            )
        return dt, constant * dt**order

    @abstractmethod
    def _make_operator(self, grid: NodeGrid) -> Operator:
        """Assemble the solver's discrete operator on ``grid``."""

    def _operator(self, grid: NodeGrid) -> Operator:
        if self._cache is None or self._cache[0] != grid:
            self._cache = (grid, self._make_operator(grid))
        return self._cache[1]

    def solve(
        self,
        u0: InitialDataLike,
        times: Sequence[float] | np.ndarray,
        scheme: str | None = None,
        dt: float | None = None,
        *,
        support: BoxLike | float | str | None = None,
        progress: bool = False,
    ) -> PDESolution:
        """u_hat(xi, t) at ``times`` from u_hat(xi, 0) = u0.

        Parameters
        ----------
        u0
            A callable of xi (k, d), a Target (u0 = -g_hat), or residual samples ``(x, values[, weights])``;
            see :mod:`spectra.fem.initial_data`.
        times
            Increasing output times t ≥ 0 (learning rate × steps).
        scheme
            One of ``schemes``; default the first (Crank–Nicolson for FrequencyPDE).
        dt
            The largest time step; default from ``tolerance`` (module docstring).
        support
            Where u0 lives, when it is meant only there (an eigenmode of the window, say): a box in any form
            ``window`` takes, or ``"window"`` for this problem's window. u0 is taken as 0 outside it, is
            neither evaluated nor probed there, and only energy inside it counts (a window holding the
            support leaves nothing outside). None: u0 lives on all of R^d.
        progress
            Show a progress bar over the steps.
        """
        times = check_times(times)
        scheme = check_choice("scheme", self.schemes[0] if scheme is None else scheme, self.schemes)
        dt = None if dt is None else check_positive_float("dt", dt)
        initial = as_initial_data(u0, self.dim, self.c)
        if support is not None:
            initial = initial.restricted(self._as_support(support))
        grid, estimate = self.discretise(initial, times)
        operator = self._operator(grid)
        u = initial.on_grid(grid.axes())[operator.index]
        if scheme == "exact":
            step, error, plan = 0.0, 0.0, time_plan(times, math.inf)
        else:
            step, error = self._time_step(scheme, dt, times, operator.rate_moments(u))
            plan = time_plan(times, step)
        self._check_duration(sum(n for n, _ in plan), grid, dt)
        values, energy = operator.integrate(u, plan, scheme, progress)
        jump_error = estimate.jump_error(grid, values)
        self._check_jumps(estimate, grid, jump_error)
        return PDESolution(
            times=times,
            values=values,
            initial=operator.gather(u),
            density=operator.gather(operator.density),
            energy=energy,
            window=window_pairs(grid.window),
            cells=list(grid.cells),
            degree=grid.degree,
            sigma_a=self.sigma_a,
            c=self.c,
            scheme=scheme,
            dt=max((h for _, h in plan), default=0.0) if scheme != "exact" else 0.0,
            steps=sum(n for n, _ in plan) if scheme != "exact" else 0,
            solver=self.solver_name,
            processes=getattr(operator, "processes", 1),
            space_error_estimate=estimate.error(grid.cells) + jump_error,
            time_error_estimate=error,
        )

    def _as_support(self, support: BoxLike | float | str) -> Box:
        if isinstance(support, str):
            if support != "window" or self.window is None:
                fail("support", "a box, a number Xi, or 'window' for a problem given a window", support)
            return self.window
        return as_window(support, self.dim, "support")
