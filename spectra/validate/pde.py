"""(a) The frequency-space PDE against real training of the two-layer Fourier-feature network.

Setting (docs/theory.rst, "The frequency PDE"): the network of :class:`~spectra.models.TwoLayerFourierNet`,

    f(x) = m^(-1/2) Σ_j [ a_j cos(2π w_j·x) + b_j sin(2π w_j·x) ],   w_j ~ rho_w,  a_j, b_j ~ N(0, sigma_a²),

width m counting every neuron, the doubled pairs included (doubled initialisation: m/2 frequencies drawn,
each neuron paired with a copy whose output weights are negated, so f ≡ 0 at the start and the residual
starts at -g; every width is even), all parameters
trained by full-batch gradient descent on the mean loss (1/2N) Σ_i (f(x_i) - g(x_i))² over the periodic
uniform grid of the target's box (data density c = 1 / box volume). Frequencies are in cycles per unit
length, u_hat(xi) = ∫ u(x) exp(-2πi xi·x) dx, and t = lr × steps.

Three curves for the transform u_hat(xi, t) of the residual u = f - g:

- network: u_hat_net(xi, t) = Σ_i u(x_i, t) exp(-2πi xi·x_i) h^d on the data grid (spacing h), through
  :func:`spectra.fourier.continuous_ft`;
- PDE: ∂_t u_hat = c [ sigma_a² ∇·( rho_w ∇u_hat ) - rho_w u_hat ], u_hat(·, 0) = -g_hat (the target's
  analytic transform), solved by :class:`~spectra.fem.FrequencyPDE` (DOLFINx; degree 2) or, without
  DOLFINx and in 1-D, by :class:`~spectra.fem.ReferenceSolver` (P1, exact in time);
- kernel flow: the infinite-width limit on the same data points, r(t) = exp(-Θ t / N) r(0) with the
  analytic NTK Θ(x, x') = (1 + 4π² sigma_a² x·x') k(x - x') (:func:`spectra.ntk.linearized_prediction`),
  transformed like the network. It splits the gap in two: finite width (network against kernel flow,
  expected O(m^(-1/2))) and the continuum model (kernel flow against PDE: discrete data, finite box).

Metrics, over the comparison window W = [-window, window]^d (trapezoid rule on a grid of xi):

    gap(t)        = ``||u_hat_net(·, t) - u_hat_pde(·, t)||_2`` / ``||u_hat_pde(·, 0)||_2``,
    decay(xi*, t) = ``|u_hat(xi*, t)|`` / ``|u_hat(xi*, 0)|``   at the target's frequencies xi* = κ_k,
    width slope   = least-squares slope of log max_t gap against log m over every width and seed,
    frequency bias: decay(xi_high, t_b) / decay(xi_low, t_b) for the highest and lowest ``|κ_k|``.

Step size: lr = Δt / ceil(Δt / min(lr_fraction · 2N / λ_max(Θ), max_lr)), the largest step below both
caps that puts every record time (multiples of Δt = ``record_interval``) on a step. The first cap keeps
linearised gradient descent stable (Θ the analytic kernel; the empirical one of a width-1000 network is
within 10% of it). The second keeps single steps small against the network's own scales: in the lazy
picture gradient descent differs from gradient flow only by about t·lr·μ²/2 in the log of a mode of
rate μ, negligible for modes not yet learned, but with sigma_a = 0.25/(2π) at m = 1000 a step of 3.6
(half the stability limit) moves every output weight by a good part of sigma_a per step and the gap
to the PDE grew to 0.39, against 0.09 at lr = 0.25. The ``lr_quarter`` case of the full profile
measures the sensitivity at the default step.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from spectra._validation import check_choice, check_positive_float, check_positive_int, fail
from spectra.domain import Box, uniform_grid
from spectra.fem import FrequencyPDE, PDESolution, ReferenceSolver
from spectra.fem.frequency_pde import dolfinx_modules
from spectra.fourier import continuous_ft
from spectra.frequencies import FrequencyDistribution, Gaussian, Uniform
from spectra.models import TwoLayerFourierNet
from spectra.ntk import linearized_prediction, max_stable_lr, two_layer_fourier_ntk
from spectra.parallel import map_tasks
from spectra.results import Result, library_versions, to_jsonable
from spectra.targets import WindowedCosines, windowed_cosines
from spectra.training import Recorder, Snapshot, fit

SOLVERS = ("auto", "dolfinx", "reference")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
SOURCES = ("network", "pde", "kernel flow")

# docs/theory.rst, "A worked example", in cycles per unit length: its angular std 3, band [-8, 8]
# and sigma_a = 1 (features cos(w x)) become 3/(2π), 8/(2π) and 1/(2π) here.
STD = 3 / (2 * math.pi)
BAND = 8 / (2 * math.pi)
SIGMA_A = 1 / (2 * math.pi)


@dataclass(frozen=True)
class PDECase:
    """One training set-up and the PDE it is compared with.

    Fields: ``name`` (a key of the result); ``target`` (windowed cosines: analytic transform, and its
    frequencies κ_k are the decay frequencies); ``rho_w`` (with a closed-form kernel, for the kernel flow)
    and ``sigma_a``; ``n_points`` data points per axis on the periodic grid of the target's box; records
    every ``record_interval`` up to ``horizon`` (theory time); the comparison window [-window, window]^d
    (cycles per unit length) sampled with ``xi_points`` per axis; the ``widths`` (even: doubled neurons; kept
    in increasing order) and
    ``seeds`` trained; the step size, at most ``lr_fraction`` of the stability limit and at most ``max_lr``
    (module docstring); ``pde_tolerance`` for the a priori choice of the PDE's cells and time step.
    """

    name: str
    target: WindowedCosines
    rho_w: FrequencyDistribution
    sigma_a: float = SIGMA_A
    n_points: int = 600
    horizon: float = 400.0
    record_interval: float = 25.0
    window: float = 1.5
    xi_points: int = 601
    widths: tuple[int, ...] = (4000,)
    seeds: tuple[int, ...] = (0,)
    lr_fraction: float = 0.5
    max_lr: float = 0.25
    pde_tolerance: float = 1e-4

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or "/" in self.name:
            fail("name", "a non-empty case name without '/'", self.name)
        if not isinstance(self.target, WindowedCosines):
            fail("target", "a spectra.targets.WindowedCosines", type(self.target).__name__, TypeError)
        if self.target.dim not in (1, 2):
            fail("target", "a target in 1 or 2 dimensions", f"{self.target.dim} dimensions")
        if not isinstance(self.rho_w, FrequencyDistribution):
            fail("rho_w", "a FrequencyDistribution (spectra.frequencies)", type(self.rho_w).__name__, TypeError)
        if self.rho_w.dim != self.target.dim:
            fail("rho_w", f"a distribution on R^{self.target.dim}, like the target", f"one on R^{self.rho_w.dim}")
        if not self.rho_w.has_kernel:
            fail("rho_w", "a distribution with a closed-form kernel k(z) (for the kernel flow)", self.rho_w)
        check_positive_float("sigma_a", self.sigma_a)
        if check_positive_int("n_points", self.n_points) < 8:
            fail("n_points", "at least 8 data points per axis", self.n_points)
        horizon = check_positive_float("horizon", self.horizon)
        interval = check_positive_float("record_interval", self.record_interval)
        if abs(horizon / interval - round(horizon / interval)) > 1e-9:
            fail("horizon", f"a multiple of record_interval ({interval:g})", horizon)
        window = check_positive_float("window", self.window)
        nyquist = self.n_points / (2 * float(self.target.domain.lengths.max()))
        if window >= nyquist:
            fail("window", f"a half-width below the data grid's Nyquist frequency {nyquist:.4g}", window)
        if check_positive_int("xi_points", self.xi_points) < 3:
            fail("xi_points", "at least 3 frequencies per axis", self.xi_points)
        object.__setattr__(self, "widths", tuple(sorted(_integers("widths", self.widths, even=True))))
        object.__setattr__(self, "seeds", _integers("seeds", self.seeds, even=False))
        fraction = check_positive_float("lr_fraction", self.lr_fraction)
        if fraction >= 1:
            fail("lr_fraction", "a fraction of the stability limit in (0, 1)", fraction)
        check_positive_float("max_lr", self.max_lr)
        check_positive_float("pde_tolerance", self.pde_tolerance)

    @property
    def dim(self) -> int:
        return self.target.dim

    @property
    def times(self) -> np.ndarray:
        """The recorded times 0, Δt, 2Δt, ..., horizon."""
        return self.record_interval * np.arange(round(self.horizon / self.record_interval) + 1)

    def replace(self, **changes: Any) -> PDECase:
        return dataclasses.replace(self, **changes)

    def describe(self) -> dict[str, Any]:
        """The case as JSON-ready values (distributions and targets by their fields)."""
        out: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if dataclasses.is_dataclass(value):
                value = {"type": type(value).__name__, **dataclasses.asdict(value)}
            out[item.name] = to_jsonable(value)
        return out


def _integers(argument: str, values: Sequence[int], *, even: bool) -> tuple[int, ...]:
    if isinstance(values, (int, np.integer)) or not isinstance(values, Sequence) or len(values) == 0:
        fail(argument, "a non-empty sequence of integers", values)
    checked = tuple(check_positive_int(argument, v, allow_zero=not even) for v in values)
    if even and any(v % 2 for v in checked):
        fail(argument, "even widths (the doubled initialisation pairs the neurons)", values)
    if len(set(checked)) != len(checked):
        fail(argument, "distinct values", values)
    return checked


def window_target_2d() -> WindowedCosines:
    """The 2-D case's target: exp(-``|x|²``/2.88) [cos(2π 0.3 x_1) + cos(2π 0.75 x_1)] on [-6, 6]².

    Both frequencies lie on the ξ_1 axis, so one line through the window shows both bumps; the window,
    rho_w and the diffusion are fully 2-D.
    """
    return WindowedCosines(np.array([[0.3, 0.0], [0.75, 0.0]]), 1.0, 1.2, 0.0, [(-6.0, 6.0), (-6.0, 6.0)])


def standard_cases(
    *,
    widths: Sequence[int],
    seeds: Sequence[int],
    case_width: int,
    n_points: int = 600,
    horizon: float = 400.0,
    record_interval: float = 25.0,
    xi_points: int = 601,
    pde_tolerance: float = 1e-4,
    sigma_a_width: int | None = None,
    lr_check_width: int | None = None,
    two_d_width: int | None = None,
    two_d_points: int = 40,
) -> tuple[PDECase, ...]:
    """The cases of issue 7 (a), on windowed_cosines() (docs/theory.rst, "A worked example"):

    - ``gaussian``: Gaussian rho_w (std 3/(2π)), sigma_a = 1/(2π), at every width and seed (the width sweep);
    - ``uniform``: rho_w uniform on [-8/(2π), 8/(2π)] (the frequency-bias contrast), at ``case_width``;
    - ``small_sigma_a`` and ``large_sigma_a``: sigma_a = 0.25/(2π) and 2/(2π) at ``sigma_a_width``;
    - ``lr_quarter``: the Gaussian case with a quarter of its step size at ``lr_check_width``;
    - ``gaussian_2d``: :func:`window_target_2d` with a 2-D Gaussian rho_w at ``two_d_width`` (horizon 400,
      records every 50, ``two_d_points``² data points, comparison window [-1.5, 1.5]² on 61² frequencies,
      PDE tolerance 1e-3). Its step is capped only by stability (max_lr 5: lr ≈ 4.2): at m = 2000 the gaps
      at lr 4.2, 1 and 0.25 agreed within 1e-3 at every recorded t.

    A width of None leaves that case out. The other cases use the first seed.
    """
    target = windowed_cosines()
    first = (tuple(seeds)[0],)
    common = {"n_points": n_points, "horizon": horizon, "record_interval": record_interval, "xi_points": xi_points}
    common["pde_tolerance"] = pde_tolerance
    gaussian = PDECase("gaussian", target, Gaussian(STD), widths=tuple(widths), seeds=tuple(seeds), **common)
    cases = [gaussian, PDECase("uniform", target, Uniform.band(BAND), widths=(case_width,), seeds=first, **common)]
    if sigma_a_width is not None:
        for name, sigma_a in (("small_sigma_a", 0.25 * SIGMA_A), ("large_sigma_a", 2 * SIGMA_A)):
            cases.append(gaussian.replace(name=name, sigma_a=sigma_a, widths=(sigma_a_width,), seeds=first))
    if lr_check_width is not None:
        quarter = {"lr_fraction": gaussian.lr_fraction / 4, "max_lr": gaussian.max_lr / 4}
        cases.append(gaussian.replace(name="lr_quarter", widths=(lr_check_width,), seeds=first, **quarter))
    if two_d_width is not None:
        cases.append(
            PDECase(
                "gaussian_2d",
                window_target_2d(),
                Gaussian(STD, 2),
                n_points=two_d_points,
                horizon=400.0,
                record_interval=50.0,
                xi_points=61,
                widths=(two_d_width,),
                seeds=first,
                max_lr=5.0,
                pde_tolerance=1e-3,
            )
        )
    return tuple(cases)


@dataclass(frozen=True)
class PDEComparisonSettings:
    """What :func:`pde_against_network` runs.

    ``cases`` (default: ``standard_cases`` at full size, 8 minutes measured on one thread of a shared
    2-core machine); ``reference``, the case whose widths give the width slope; ``bias``, the two cases whose
    decay ratios at ``bias_time`` show the frequency bias (Gaussian against uniform rho_w; ``()`` for none);
    ``solver``: ``"auto"`` (DOLFINx's
    :class:`~spectra.fem.FrequencyPDE` when installed, else :class:`~spectra.fem.ReferenceSolver`, and the
    2-D cases are skipped with a warning), ``"dolfinx"`` or ``"reference"`` (1-D only); ``dtype`` of
    training (``"float32"``: the measured gaps are ~1e-2, far above its rounding).

    Profiles: ``PDEComparisonSettings()`` (full: Gaussian at m = 500, 1000, 2000, 4000 and seeds 0, 1, 2;
    uniform and 2-D at 4000; small and large sigma_a at 2000; a quarter step at 1000), :meth:`quick`
    (≲ 60 s on one core) and :meth:`smoke` (seconds, for tests).
    """

    cases: tuple[PDECase, ...] = field(
        default_factory=lambda: standard_cases(
            widths=(500, 1000, 2000, 4000),
            seeds=(0, 1, 2),
            case_width=4000,
            sigma_a_width=2000,
            lr_check_width=1000,
            two_d_width=4000,
        )
    )
    reference: str = "gaussian"
    bias: tuple[str, ...] = ("gaussian", "uniform")
    bias_time: float = 50.0
    solver: str = "auto"
    dtype: str = "float32"

    def __post_init__(self) -> None:
        cases = tuple(self.cases) if isinstance(self.cases, Sequence) else ()
        if not cases or not all(isinstance(c, PDECase) for c in cases):
            fail("cases", "a non-empty sequence of PDECase", self.cases, TypeError)
        names = [c.name for c in cases]
        if len(set(names)) != len(names):
            fail("cases", "cases with distinct names", names)
        object.__setattr__(self, "cases", cases)
        check_choice("reference", self.reference, names)
        bias = tuple(self.bias) if isinstance(self.bias, Sequence) and not isinstance(self.bias, str) else (None,)
        if len(bias) not in (0, 2) or len(set(bias)) != len(bias):
            fail("bias", "two different case names (or none)", self.bias)
        for name in bias:
            check_choice("bias", name, names)
        object.__setattr__(self, "bias", bias)
        bias_time = check_positive_float("bias_time", self.bias_time)
        for case in (self.case(name) for name in bias):
            if len(case.target.frequencies) < 2:
                fail("bias", "cases whose targets have at least two frequencies", case.name)
            if not np.any(np.isclose(case.times, bias_time)):
                expected = f"a recorded time of case {case.name!r} (a multiple of {case.record_interval:g})"
                fail("bias_time", expected, bias_time)
        check_choice("solver", self.solver, SOLVERS)
        if self.solver == "reference" and any(c.dim == 2 for c in cases):
            fail("solver", "'auto' or 'dolfinx' for 2-D cases (ReferenceSolver is 1-D)", self.solver)
        check_choice("dtype", self.dtype, tuple(DTYPES))

    def case(self, name: str) -> PDECase:
        for case in self.cases:
            if case.name == name:
                return case
        fail("name", "one of " + ", ".join(repr(c.name) for c in self.cases), name)
        raise AssertionError  # unreachable: fail() raises

    @classmethod
    def quick(cls) -> PDEComparisonSettings:
        """≲ 60 s on one core: 300 data points, t ≤ 200, m = 250, 1000, 4000 (one seed), uniform and 2-D at 1000."""
        cases = standard_cases(
            widths=(250, 1000, 4000),
            seeds=(0,),
            case_width=1000,
            n_points=300,
            horizon=200.0,
            xi_points=301,
            pde_tolerance=1e-3,
            two_d_width=1000,
        )
        return cls(cases=cases)

    @classmethod
    def smoke(cls) -> PDEComparisonSettings:
        """Seconds: 200 data points, t ≤ 100, m = 200, 800, 3200 (one seed), uniform at 800, 1-D only."""
        cases = standard_cases(
            widths=(200, 800, 3200),
            seeds=(0,),
            case_width=800,
            n_points=200,
            horizon=100.0,
            xi_points=201,
            pde_tolerance=1e-3,
        )
        return cls(cases=cases)

    def with_seeds(self, seeds: Sequence[int]) -> PDEComparisonSettings:
        """The reference case on ``seeds``, every other case on the first of them."""
        seeds = _integers("seeds", seeds, even=False)
        cases = tuple(c.replace(seeds=seeds if c.name == self.reference else seeds[:1]) for c in self.cases)
        return dataclasses.replace(self, cases=cases)

    def describe(self) -> dict[str, Any]:
        """The settings as JSON-ready values."""
        return {
            "cases": [c.describe() for c in self.cases],
            "reference": self.reference,
            "bias": list(self.bias),
            "bias_time": self.bias_time,
            "solver": self.solver,
            "dtype": self.dtype,
        }


class WidthFit(NamedTuple):
    """log(gap) ≈ intercept + slope · log(m), fitted to the worst gap over t of every width and seed."""

    slope: float
    intercept: float
    stderr: float  # standard error of the slope (nan with fewer than three runs)


@dataclass
class PDEComparison(Result):
    """Network against PDE against kernel flow (module docstring), one entry per case in each dictionary.

    Arrays, per case name: ``times`` (R,); ``widths`` (W,) and ``seeds`` (S,) trained; ``gap`` (W, S, R)
    network against PDE; ``gap_kernel`` (W, S, R) network against kernel flow; ``kernel_gap`` (R,) kernel
    flow against PDE; ``frequencies`` (K, d), the target's κ_k; ``decay_network`` (W, S, R, K),
    ``decay_pde`` and ``decay_kernel`` (R, K); ``line`` (X,), frequencies along the first axis through the
    origin (the others 0) across the comparison window, with ``|u_hat|`` there in ``spectrum_network``
    (W, S, R, X), ``spectrum_pde`` and ``spectrum_kernel`` (R, X); ``train_seconds`` (W, S) wall time of
    each training. ``cases``: per case its settings and what was derived (c, lr, steps, the PDE's solver,
    window, cells and error estimates). ``skipped``: cases not run, with the reason.
    """

    times: dict[str, np.ndarray] = Result.array_dict_field(("R",), per_key=True)  # per case: its own R, W, S, K, d, X
    widths: dict[str, np.ndarray] = Result.array_dict_field(("W",), "int", per_key=True)
    seeds: dict[str, np.ndarray] = Result.array_dict_field(("S",), "int", per_key=True)
    gap: dict[str, np.ndarray] = Result.array_dict_field(("W", "S", "R"), per_key=True)
    gap_kernel: dict[str, np.ndarray] = Result.array_dict_field(("W", "S", "R"), per_key=True)
    kernel_gap: dict[str, np.ndarray] = Result.array_dict_field(("R",), per_key=True)
    frequencies: dict[str, np.ndarray] = Result.array_dict_field(("K", "d"), per_key=True)
    decay_network: dict[str, np.ndarray] = Result.array_dict_field(("W", "S", "R", "K"), per_key=True)
    decay_pde: dict[str, np.ndarray] = Result.array_dict_field(("R", "K"), per_key=True)
    decay_kernel: dict[str, np.ndarray] = Result.array_dict_field(("R", "K"), per_key=True)
    line: dict[str, np.ndarray] = Result.array_dict_field(("X",), per_key=True)
    spectrum_network: dict[str, np.ndarray] = Result.array_dict_field(("W", "S", "R", "X"), per_key=True)
    spectrum_pde: dict[str, np.ndarray] = Result.array_dict_field(("R", "X"), per_key=True)
    spectrum_kernel: dict[str, np.ndarray] = Result.array_dict_field(("R", "X"), per_key=True)
    train_seconds: dict[str, np.ndarray] = Result.array_dict_field(("W", "S"), per_key=True)
    cases: dict[str, dict[str, Any]]
    reference: str
    bias: list[str]
    bias_time: float
    skipped: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    wall_time: float = float("nan")

    @property
    def names(self) -> list[str]:
        """The cases that ran, in order."""
        return list(self.times)

    def resolve_case(self, case: str | None) -> str:
        """``case`` checked against the cases that ran (None: the reference case)."""
        case = self.reference if case is None else case
        if case not in self.times:
            extra = f" ({case!r} was skipped: {self.skipped[case]})" if case in self.skipped else ""
            fail("case", "one of " + ", ".join(repr(n) for n in self.names) + extra, case)
        return case

    def width_index(self, case: str, width: int | None) -> int:
        """Index of ``width`` among the case's widths (None: the widest, which is last)."""
        widths = self.widths[case]
        if width is None:
            return len(widths) - 1
        hits = np.flatnonzero(widths == width)
        if len(hits) == 0:
            fail("width", f"one of the widths of case {case!r}: {widths.tolist()}", width)
        return int(hits[0])

    def worst_gap(self, case: str | None = None, against: str = "pde") -> np.ndarray:
        """max over the recorded t of the network's gap to the PDE (or the ``"kernel flow"``): (W, S)."""
        case = self.resolve_case(case)
        check_choice("against", against, SOURCES[1:])
        return (self.gap if against == "pde" else self.gap_kernel)[case].max(axis=-1)

    def width_fit(self, case: str | None = None, against: str = "pde") -> WidthFit:
        """Slope of log(worst gap) against log(m) over all widths and seeds (expected about -1/2)."""
        case = self.resolve_case(case)
        worst = self.worst_gap(case, against)
        if len(self.widths[case]) < 2:
            fail("case", "a case trained at two widths or more", f"{case!r} at {self.widths[case].tolist()}")
        log_m = np.repeat(np.log(self.widths[case].astype(float)), worst.shape[1])
        log_gap = np.log(worst.reshape(-1))
        slope, intercept = np.polyfit(log_m, log_gap, 1)
        stderr = float("nan")
        if len(log_m) > 2:
            residual = log_gap - (intercept + slope * log_m)
            stderr = math.sqrt(np.sum(residual**2) / (len(log_m) - 2) / np.sum((log_m - log_m.mean()) ** 2))
        return WidthFit(float(slope), float(intercept), stderr)

    def decay_ratios(self, time: float | None = None, width: int | None = None) -> pd.DataFrame:
        """Per case and source: decays at the lowest and highest ``|κ_k|`` at ``time`` (default bias_time), and
        ratio = decay(high) / decay(low). The network's is the mean over seeds at ``width`` (default: the widest)."""
        time = self.bias_time if time is None else float(time)
        rows = []
        for case in self.names:
            times = self.times[case]
            index = np.flatnonzero(np.isclose(times, time))
            if len(index) == 0 or len(self.frequencies[case]) < 2:
                continue
            r = int(index[0])
            norms = np.linalg.norm(self.frequencies[case], axis=1)
            low, high = int(np.argmin(norms)), int(np.argmax(norms))
            w = self.width_index(case, width if width in self.widths[case] else None)
            decays = {
                "network": self.decay_network[case][w, :, r].mean(axis=0),
                "pde": self.decay_pde[case][r],
                "kernel flow": self.decay_kernel[case][r],
            }
            for source, decay in decays.items():
                rows.append(
                    {
                        "case": case,
                        "source": source,
                        "width": int(self.widths[case][w]) if source == "network" else pd.NA,
                        "t": time,
                        "xi_low": norms[low],
                        "xi_high": norms[high],
                        "decay_low": decay[low],
                        "decay_high": decay[high],
                        "ratio": decay[high] / decay[low],
                    }
                )
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """Tidy gaps: one row per (case, width, seed, t) with gap, gap_kernel and kernel_gap."""
        frames = []
        for case in self.names:
            widths, seeds, times = self.widths[case], self.seeds[case], self.times[case]
            w, s, r = np.meshgrid(np.arange(len(widths)), np.arange(len(seeds)), np.arange(len(times)), indexing="ij")
            frames.append(
                pd.DataFrame(
                    {
                        "case": case,
                        "width": widths[w.ravel()],
                        "seed": seeds[s.ravel()],
                        "t": times[r.ravel()],
                        "gap": self.gap[case].ravel(),
                        "gap_kernel": self.gap_kernel[case].ravel(),
                        "kernel_gap": self.kernel_gap[case][r.ravel()],
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def decay_frame(self) -> pd.DataFrame:
        """Tidy decay curves: case, source, width and seed (network rows only), t, k, xi (= ``|κ_k|``), decay."""
        frames = []
        for case in self.names:
            block = _DecayBlock(case, self.times[case], np.linalg.norm(self.frequencies[case], axis=1))
            for i, width in enumerate(self.widths[case]):
                for j, seed in enumerate(self.seeds[case]):
                    frames.append(block.frame(self.decay_network[case][i, j], "network", int(width), int(seed)))
            frames.append(block.frame(self.decay_pde[case], "pde"))
            frames.append(block.frame(self.decay_kernel[case], "kernel flow"))
        return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class _DecayBlock:
    """Rows of :meth:`PDEComparison.decay_frame` for one case."""

    case: str
    times: np.ndarray
    norms: np.ndarray

    def frame(self, values: np.ndarray, source: str, width: Any = pd.NA, seed: Any = pd.NA) -> pd.DataFrame:
        count = len(self.norms)
        return pd.DataFrame(
            {
                "case": self.case,
                "source": source,
                "width": pd.array([width] * values.size, dtype="Int64"),
                "seed": pd.array([seed] * values.size, dtype="Int64"),
                "t": np.repeat(self.times, count),
                "k": np.tile(np.arange(count), len(self.times)),
                "xi": np.tile(self.norms, len(self.times)),
                "decay": values.ravel(),
            }
        )


class _WorkProgress(Recorder):
    """Advances a progress bar by the work done between snapshots (records nothing).

    Work is counted as steps × width × samples, what a step of gradient descent costs, so that the bar's
    rate and remaining time hold across widths and cases.
    """

    name = "progress"

    def __init__(self, bar: tqdm, work_per_record: int) -> None:
        self.bar, self.work_per_record = bar, work_per_record

    def record(self, model: nn.Module, snapshot: Snapshot) -> dict[str, Any]:
        if snapshot.step:
            self.bar.update(self.work_per_record)
        return {}


@dataclass(frozen=True)
class _Prepared:
    """A case's data, kernel and step size, computed before any training."""

    case: PDECase
    x: torch.Tensor  # (N, d) float64
    y: torch.Tensor  # (N, 1) float64
    kernel: torch.Tensor  # analytic NTK on x, (N, N)
    stable_lr: float
    lr: float
    record_every: int

    @property
    def steps(self) -> int:
        return self.record_every * (len(self.case.times) - 1)


def _prepare(case: PDECase) -> _Prepared:
    x = uniform_grid(case.target.domain, case.n_points)
    kernel = two_layer_fourier_ntk(x, rho_w=case.rho_w, sigma_a=case.sigma_a)
    stable = max_stable_lr(kernel)
    record_every = math.ceil(case.record_interval / min(case.lr_fraction * stable, case.max_lr) * (1 - 1e-12))
    return _Prepared(case, x, case.target(x), kernel, stable, case.record_interval / record_every, record_every)


def _resolve_solver(solver: str) -> str:
    """'dolfinx' or 'reference' for ``solver`` ('auto' picks DOLFINx when it imports)."""
    if solver == "reference":
        return solver
    try:
        dolfinx_modules()
    except ImportError:
        if solver == "dolfinx":
            raise
        return "reference"
    return "dolfinx"


def _solve_pde(case: PDECase, solver: str) -> PDESolution:
    """The PDE for ``case`` on a window that holds the comparison window (widened when the default does not)."""
    problem: Callable[..., Any] = FrequencyPDE.from_target if solver == "dolfinx" else ReferenceSolver.from_target
    options: dict[str, Any] = {"tolerance": case.pde_tolerance}
    if solver == "dolfinx":
        options["degree"] = 2
    solution = problem(case.target, case.rho_w, case.sigma_a, **options).solve(case.target, case.times)
    lo, hi = np.asarray(solution.grid.window.lo), np.asarray(solution.grid.window.hi)
    if np.all(lo <= -case.window) and np.all(hi >= case.window):
        return solution
    window = Box(tuple(np.minimum(lo, -case.window)), tuple(np.maximum(hi, case.window)))
    return problem(case.target, case.rho_w, case.sigma_a, window=window, **options).solve(case.target, case.times)


def _comparison_grid(case: PDECase) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies (P, d) on [-window, window]^d, xi_points per axis, and their trapezoid weights (P,)."""
    axis = np.linspace(-case.window, case.window, case.xi_points)
    weights = np.full(case.xi_points, axis[1] - axis[0])
    weights[[0, -1]] /= 2
    mesh = np.meshgrid(*[axis] * case.dim, indexing="ij")
    points = np.stack([m.reshape(-1) for m in mesh], axis=1)
    return points, np.prod(np.meshgrid(*[weights] * case.dim, indexing="ij"), axis=0).reshape(-1)


def _line(case: PDECase) -> np.ndarray:
    """Frequencies (X, d) along the first axis across the comparison window, the other coordinates 0."""
    line = np.zeros((case.xi_points, case.dim))
    line[:, 0] = np.linspace(-case.window, case.window, case.xi_points)
    return line


def _transforms(x: np.ndarray, residuals: np.ndarray, xi: np.ndarray) -> np.ndarray:
    """u_hat at ``xi`` (P, d) of each residual (R, N) on the grid ``x`` (N, d), rectangle rule: (R, P)."""
    return np.stack([continuous_ft(x, r, xi) for r in residuals])


def _relative_l2(a: np.ndarray, b: np.ndarray, weights: np.ndarray, norm0: float) -> np.ndarray:
    return np.sqrt(np.abs(a - b) ** 2 @ weights) / norm0


class _Probes:
    """The frequencies where every curve is evaluated: the comparison grid, the plotting line, the κ_k."""

    def __init__(self, case: PDECase) -> None:
        self.grid, self.weights = _comparison_grid(case)
        self.line = _line(case)
        self.kappa = case.target.frequencies
        self.points = np.concatenate([self.grid, self.line, self.kappa])
        self.splits = np.cumsum([len(self.grid), len(self.line)])

    def split(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        grid, line, kappa = np.split(values, self.splits, axis=-1)
        return grid, line, kappa


def _run_case(prepared: _Prepared, solver: str, dtype: torch.dtype, bar: tqdm) -> dict[str, Any]:
    case = prepared.case
    times = case.times
    solution = _solve_pde(case, solver)
    probes = _Probes(case)
    pde_grid, pde_line, pde_kappa = probes.split(solution.evaluate(probes.points))
    norm0 = float(np.sqrt(np.abs(pde_grid[0]) ** 2 @ probes.weights))
    x = prepared.x.numpy()
    y = prepared.y[:, 0].numpy()
    flow = linearized_prediction(prepared.kernel, prepared.y, torch.zeros_like(prepared.y), prepared.lr, times)
    flow_residuals = flow.train[:, :, 0].numpy() - y
    kernel_grid, kernel_line, kernel_kappa = probes.split(_transforms(x, flow_residuals, probes.points))

    shape = (len(case.widths), len(case.seeds))
    gap, gap_kernel = np.zeros((*shape, len(times))), np.zeros((*shape, len(times)))
    decay = np.zeros((*shape, len(times), len(probes.kappa)))
    spectrum = np.zeros((*shape, len(times), len(probes.line)))
    seconds = np.zeros(shape)
    for i, width in enumerate(case.widths):
        for j, seed in enumerate(case.seeds):
            bar.set_postfix_str(f"{case.name}, m = {width}, seed {seed}")
            model = TwoLayerFourierNet(case.dim, width, case.rho_w, case.sigma_a, doubled=True, seed=seed, dtype=dtype)
            history = fit(
                model,
                prepared.x.to(dtype),
                prepared.y.to(dtype),
                optimizer="sgd",
                lr=prepared.lr,
                steps=prepared.steps,
                record_every=prepared.record_every,
                recorders=[_WorkProgress(bar, prepared.record_every * width * len(x))],
                seed=seed,
                progress=False,
            )
            residuals = history.predictions[:, :, 0].astype(np.float64) - y
            net_grid, net_line, net_kappa = probes.split(_transforms(x, residuals, probes.points))
            gap[i, j] = _relative_l2(net_grid, pde_grid, probes.weights, norm0)
            gap_kernel[i, j] = _relative_l2(net_grid, kernel_grid, probes.weights, norm0)
            decay[i, j] = np.abs(net_kappa) / np.abs(net_kappa[0])
            spectrum[i, j] = np.abs(net_line)
            seconds[i, j] = history.wall_time[-1]
    return {
        "times": times,
        "widths": np.asarray(case.widths, dtype=np.int64),
        "seeds": np.asarray(case.seeds, dtype=np.int64),
        "gap": gap,
        "gap_kernel": gap_kernel,
        "kernel_gap": _relative_l2(kernel_grid, pde_grid, probes.weights, norm0),
        "frequencies": probes.kappa,
        "decay_network": decay,
        "decay_pde": np.abs(pde_kappa) / np.abs(pde_kappa[:1]),
        "decay_kernel": np.abs(kernel_kappa) / np.abs(kernel_kappa[:1]),
        "line": probes.line[:, 0],
        "spectrum_network": spectrum,
        "spectrum_pde": np.abs(pde_line),
        "spectrum_kernel": np.abs(kernel_line),
        "train_seconds": seconds,
        "meta": {
            "dim": case.dim,
            "c": solution.c,
            "n_samples": len(x),
            "stable_lr": prepared.stable_lr,
            "lr": prepared.lr,
            "steps": prepared.steps,
            "record_every": prepared.record_every,
            "pde_solver": solution.solver,
            "pde_window": solution.window,
            "pde_cells": solution.cells,
            "pde_degree": solution.degree,
            "pde_space_error_estimate": solution.space_error_estimate,
            "pde_time_error_estimate": solution.time_error_estimate,
            "settings": case.describe(),
        },
    }


def _case_task(task: tuple[_Prepared, str, torch.dtype, bool]) -> dict[str, Any]:
    """One case, wherever the executor runs it, with a progress bar over its training work when asked."""
    prepared, solver, dtype, progress = task
    total = prepared.steps * sum(prepared.case.widths) * len(prepared.case.seeds) * len(prepared.x)
    desc = f"pde vs network: {prepared.case.name}"
    with tqdm(total=total, disable=not progress, desc=desc, unit=" neuron·sample·steps", unit_scale=True) as bar:
        return _run_case(prepared, solver, dtype, bar)


def pde_against_network(
    settings: PDEComparisonSettings | None = None, *, progress: bool = True, executor: Executor | None = None
) -> PDEComparison:
    """Train the network of every case, solve its PDE and kernel flow, and measure the gaps (module docstring).

    The cases are independent tasks run through ``executor`` (:func:`spectra.parallel.task_executor`: a
    local pool or a Dask cluster; None runs them here), each with one torch thread, so the numbers do
    not depend on where they ran.

    Raises ImportError when ``settings.solver == "dolfinx"`` and DOLFINx is missing; with ``"auto"`` the
    2-D cases are then skipped (a warning, and ``result.skipped`` says why) unless one of them is the
    reference or a bias case.
    """
    settings = PDEComparisonSettings() if settings is None else settings
    if not isinstance(settings, PDEComparisonSettings):
        fail("settings", "a PDEComparisonSettings", type(settings).__name__, TypeError)
    start = time.perf_counter()
    solver = _resolve_solver(settings.solver)
    skipped: dict[str, str] = {}
    cases = []
    for case in settings.cases:
        if case.dim == 2 and solver == "reference":
            if case.name == settings.reference or case.name in settings.bias:
                dolfinx_modules()  # raises the ImportError that says how to install DOLFINx
            skipped[case.name] = "2-D needs DOLFINx's FrequencyPDE, which is not installed"
            warnings.warn(f"case {case.name!r} skipped: {skipped[case.name]}", stacklevel=2)
        else:
            cases.append(case)
    prepared = [_prepare(case) for case in cases]
    dtype = DTYPES[settings.dtype]
    tasks = [(item, solver, dtype, progress and executor is None) for item in prepared]
    results = map_tasks(
        _case_task, tasks, executor, progress=progress and executor is not None, description="pde vs network"
    )
    runs = {item.case.name: run for item, run in zip(prepared, results, strict=True)}
    arrays = {key: {name: run[key] for name, run in runs.items()} for key in next(iter(runs.values())) if key != "meta"}
    return PDEComparison(
        **arrays,
        cases={name: run["meta"] for name, run in runs.items()},
        reference=settings.reference,
        bias=list(settings.bias),
        bias_time=settings.bias_time,
        skipped=skipped,
        settings=settings.describe(),
        versions=library_versions(),
        wall_time=time.perf_counter() - start,
    )
