"""The frequency-space PDE as a problem: coefficients, window, mesh, time grid, and their checks.

The damped heat equation of a two-layer Fourier-feature network's error (reference/frequency-pde.md,
section 3), with frequencies xi in cycles per unit length and theory time t = learning rate × steps:

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
  the zero-flux edge is harmless), widened to hold all but 1e-10 of the initial data's energy;
- cells: from an a priori estimate of the interpolation error of the lazy-limit profiles
  u0·exp(-c rho_w t) (which are sharper than u0 wherever rho_w varies), C_p Σ_j h_j^(p+1) ||∂_j^(p+1) u||
  / ||u0|| with C_1 = 1/√120 and C_2 = 1/(6√840), chosen below ``tolerance / 2``;
- dt: from the modal error of the scheme at the output times (:func:`time_error_constant`), with
  L = M⁻¹K the discrete operator (lumped mass), chosen below ``tolerance / 2``. Steps between output
  times are equal and at most dt; each distinct step size is factorised once.

Given choices are checked with the same estimates: a window that leaves more than 1e-6 of the initial
energy outside raises a :class:`WindowWarning` with the fraction; cells or dt whose estimated error
exceeds 1e-2 raise a :class:`ResolutionWarning` with the estimate and a value that would do.

Requests too large to run are refused (a ValueError naming the argument, with the estimate) before anything
is assembled: cells whose operator would need more than ``spectra._validation.MAX_MEMORY_GB`` (each solver
estimates its own memory per node), and a time plan estimated to take longer than ``MAX_SOLVE_SECONDS``
(steps × the solver's cost per step; the modal reference solver's steps cost nothing).
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Sequence
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
from spectra.fem.initial_data import InitialData, InitialDataLike, as_initial_data
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


class ResolutionWarning(UserWarning):
    """Cells or dt too coarse for the problem, by the a priori estimate."""


class WindowWarning(UserWarning):
    """The window leaves part of the initial data's energy outside."""


def _warn(message: str, category: type[Warning]) -> None:
    warnings.warn(message, category, stacklevel=4)


def probe_grid(box: Box, points_per_axis: int) -> tuple[list[np.ndarray], np.ndarray]:
    """A uniform grid including the box's edges: axes and points (n, d), last axis fastest."""
    axes = [np.linspace(lo, hi, points_per_axis) for lo, hi in zip(box.lo, box.hi, strict=True)]
    mesh = np.meshgrid(*axes, indexing="ij")
    return axes, np.stack([m.reshape(-1) for m in mesh], axis=1)


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


def check_density_values(rho: np.ndarray, points: np.ndarray) -> np.ndarray:
    """rho_w's values must be finite and non-negative; say where they are not."""
    bad = ~np.isfinite(rho) | (rho < 0)
    if bad.any():
        where = int(np.argmax(bad))
        fail(
            "rho_w",
            "a finite, non-negative density",
            _Described(f"rho_w(xi) = {float(rho[where]):.6g} at xi = {np.round(points[where], 6).tolist()}"),
        )
    return rho


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
        rho = check_density_values(rho_w.density(points), points)
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


def _energy(u0: InitialData, box: Box) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    axes, points = probe_grid(box, PROBE_POINTS[box.dim])
    energy = np.abs(u0(points)) ** 2
    if energy.sum() == 0:
        fail("u0", "initial data that is not zero everywhere", _Described(f"{u0.description} ≡ 0 on {box}"))
    return axes, points, energy


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
    """The box holding all but 1e-10 of u0's energy, searched from ``start`` widened, doubling as needed."""
    probe = widen(start, 2.0)
    for _ in range(5):
        axes, _, energy = _energy(u0, probe)
        box = _energy_box(energy, axes)
        if np.all(np.asarray(box.lo) > probe.lo) and np.all(np.asarray(box.hi) < probe.hi):
            return box
        probe = widen(probe, 2.0)
    _warn(
        f"u0: {u0.description} does not decay within {probe} (transforms of samples are periodic with "
        "period 1/spacing); the default window stops there — pass window= to choose",
        WindowWarning,
    )
    return probe


def energy_outside(u0: InitialData, window: Box) -> tuple[float, Box]:
    """Fraction of u0's energy outside ``window``, measured on a box that holds (nearly) all of it."""
    probe = union(window, initial_data_region(u0, window))
    _, points, energy = _energy(u0, probe)
    outside = ~np.all((points >= np.asarray(window.lo)) & (points <= np.asarray(window.hi)), axis=1)
    return float(energy[outside].sum() / energy.sum()), probe


@dataclass(frozen=True)
class SpaceEstimate:
    """Interpolation error of the lazy profiles: error(h) = C_p Σ_j h_j^(p+1) derivative_norms[j]."""

    window: Box
    degree: int
    derivative_norms: np.ndarray  # max over t of ||∂_j^(p+1) (u0 exp(-c rho_w t))|| / ||u0||, per axis

    def error(self, cells: Sequence[int]) -> float:
        h = self.window.lengths / np.asarray(cells)
        return float(INTERPOLATION_CONSTANT[self.degree] * np.sum(h ** (self.degree + 1) * self.derivative_norms))

    def cells_for(self, tolerance: float) -> tuple[int, ...]:
        share = tolerance / (len(self.derivative_norms) * INTERPOLATION_CONSTANT[self.degree])
        with np.errstate(divide="ignore"):
            h = (share / self.derivative_norms) ** (1 / (self.degree + 1))
        cells = np.ceil(self.window.lengths / h)
        return tuple(int(max(n, MIN_CELLS)) for n in cells)


def space_estimate(
    u0: InitialData, rho_w: FrequencyDistribution, c: float, times: np.ndarray, window: Box, degree: int
) -> SpaceEstimate:
    """Finite differences of u0·exp(-c rho_w t) on a probe grid of the window, at up to 9 of the times."""
    axes, points = probe_grid(window, PROBE_POINTS[window.dim])
    u = u0(points)
    rho = rho_w.density(points)
    spacing = np.array([a[1] - a[0] for a in axes])
    shape = [len(a) for a in axes]
    norm0 = math.sqrt(np.sum(np.abs(u) ** 2))
    norms = np.zeros(window.dim)
    for t in np.unique(np.quantile(np.concatenate([[0.0], times]), np.linspace(0, 1, 9))):
        profile = (u * np.exp(-c * rho * t)).reshape(shape)
        for a in range(window.dim):
            derivative = np.diff(profile, degree + 1, axis=a) / spacing[a] ** (degree + 1)
            norms[a] = max(norms[a], math.sqrt(np.sum(np.abs(derivative) ** 2) / norm0**2))
    return SpaceEstimate(window, degree, norms)


def time_error_constant(scheme: str, moments: tuple[float, float], first_time: float) -> tuple[float, int]:
    """(C, q) with estimated relative error C·dt^q at the output times t ≥ ``first_time`` > 0.

    Per mode of rate λ, at time t: CN errs by e^(-λt) λt (λh)²/12, at most (λh)²/(12e) over t and at most
    27 h²/(12 e³ t²) over λ; backward Euler by e^(-λt) λt λh/2, at most λh/(2e) and 2h/(e² t). The first
    bounds are summed over u0's modes through ``moments`` = (||L u0||, ||L² u0||) / ||u0||.
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


def as_window(window: BoxLike | float, dim: int) -> Box:
    """The frequency window: a number Xi for [-Xi, Xi]^dim, or a box in ``dim`` dimensions."""
    if isinstance(window, (int, float, np.integer, np.floating)) and not isinstance(window, bool):
        half = check_positive_float("window", window)
        return Box.cube(-half, half, dim)
    box = as_box("window", window)
    if box.dim != dim:
        fail("window", f"a box in {dim} dimension(s)", window)
    return box


def check_times(times: Any) -> np.ndarray:
    array = np.atleast_1d(as_real_array("times", times))
    if array.ndim != 1 or len(array) == 0 or array[0] < 0:
        fail("times", "a non-empty 1-D array of finite times t ≥ 0", brief(times))
    if np.any(np.diff(array) <= 0):
        fail("times", "strictly increasing times", brief(times))
    return array


class Operator(Protocol):
    """A solver's assembled discrete operator on one grid (see :meth:`FrequencyProblem._operator`)."""

    nodes: np.ndarray  # the nodes this process evaluates u0 at, (n_local, d)
    density: np.ndarray  # rho_w at those nodes

    def gather(self, local: np.ndarray) -> np.ndarray: ...

    def rate_moments(self, u: np.ndarray) -> tuple[float, float]: ...

    def integrate(
        self, u: np.ndarray, plan: list[tuple[int, float]], scheme: str, progress: bool
    ) -> tuple[np.ndarray, np.ndarray]: ...


class FrequencyProblem(ABC):
    """Description of the frequency-space PDE (module docstring), shared by its solvers.

    Args:
        rho_w: the frequency density (a :class:`~spectra.frequencies.FrequencyDistribution`), used as given.
        sigma_a: standard deviation of the output weights; the diffusion is c·sigma_a²·rho_w.
        c: the data density (1 / volume of the box for uniform data).
        window: the box of frequencies (a :class:`~spectra.domain.Box`, (lo, hi), [(lo, hi), ...], or a
            number Xi for [-Xi, Xi]^d); None chooses it at ``solve`` from rho_w, the times and u0.
        dim: 1 or 2 (default: rho_w's).
        cells: cells per axis (an int or one per axis); None chooses them at ``solve``.
        degree: 1 (P1 / Q1) or 2 (P2 / Q2).
        tolerance: the relative L2 error the default cells and dt aim at (half each).
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

    def discretise(self, u0: InitialData, times: np.ndarray) -> tuple[NodeGrid, float]:
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
            self._check_grid(cells, f"the estimate asks for {cells} cells; pass fewer cells= or a larger tolerance")
            if cells != wanted:
                _warn(
                    f"cells: the estimate asks for {wanted} cells to reach {self.tolerance:g}; capped at {cells}, "
                    f"estimated relative error {estimate.error(cells):.2g} — pass cells= to override",
                    ResolutionWarning,
                )
        else:
            cells = self.cells
            if estimate.error(cells) > UNRESOLVED:
                _warn(
                    f"cells: {cells} cannot resolve u0·exp(-c rho_w t) on {window}: estimated relative L2 error "
                    f"{estimate.error(cells):.2g}; about {estimate.cells_for(self.tolerance / 2)} cells reach "
                    f"{self.tolerance:g}",
                    ResolutionWarning,
                )
        return NodeGrid(window, cells, self.degree), estimate.error(cells)

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
        progress: bool = False,
    ) -> PDESolution:
        """u_hat(xi, t) at ``times`` from u_hat(xi, 0) = u0.

        Args:
            u0: a callable of xi (k, d), a Target (u0 = -g_hat), or residual samples (x, values[, weights]);
                see :mod:`spectra.fem.initial_data`.
            times: increasing output times t ≥ 0 (learning rate × steps).
            scheme: one of ``schemes``; default the first (Crank–Nicolson for FrequencyPDE).
            dt: the largest time step; default from ``tolerance`` (module docstring).
            progress: show a progress bar over the steps.
        """
        times = check_times(times)
        scheme = check_choice("scheme", self.schemes[0] if scheme is None else scheme, self.schemes)
        dt = None if dt is None else check_positive_float("dt", dt)
        initial = as_initial_data(u0, self.dim, self.c)
        grid, space_error = self.discretise(initial, times)
        operator = self._operator(grid)
        check_density_values(operator.density, operator.nodes)
        u = initial(operator.nodes)
        if scheme == "exact":
            step, error, plan = 0.0, 0.0, time_plan(times, math.inf)
        else:
            step, error = self._time_step(scheme, dt, times, operator.rate_moments(u))
            plan = time_plan(times, step)
        self._check_duration(sum(n for n, _ in plan), grid, dt)
        values, energy = operator.integrate(u, plan, scheme, progress)
        return PDESolution(
            times=times,
            values=values,
            initial=operator.gather(u),
            density=operator.gather(operator.density),
            energy=energy,
            window=[list(grid.window.lo), list(grid.window.hi)],
            cells=list(grid.cells),
            degree=grid.degree,
            sigma_a=self.sigma_a,
            c=self.c,
            scheme=scheme,
            dt=max((h for _, h in plan), default=0.0) if scheme != "exact" else 0.0,
            steps=sum(n for n, _ in plan) if scheme != "exact" else 0,
            solver=self.solver_name,
            processes=getattr(operator, "processes", 1),
            space_error_estimate=space_error,
            time_error_estimate=error,
        )
