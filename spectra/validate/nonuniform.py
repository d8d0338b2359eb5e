"""The general frequency equation against training on non-uniformly sampled data (1-D).

Theory (:mod:`spectra.fem.nonuniform`, docs/theory.rst, "Non-uniform data"): for the two-layer Fourier-feature
network f(x) = m^(-1/2) Σ_j [a_j cos(2π w_j x) + b_j sin(2π w_j x)], w_j ~ rho_w, a_j, b_j ~ N(0, sigma_a²),
trained by gradient descent on the mean loss (1/2N) Σ_k (f(x_k) - g(x_k))², t = lr × steps, the transform
of the residual against the data measure, v_hat(xi, t) = (1/N) Σ_k u(x_k, t) exp(-2πi xi x_k) (cycles per
unit length), follows the general equation ∂_t v_hat = mu_hat * [sigma_a² ∂(rho_w ∂ v_hat) - rho_w v_hat],
mu_hat the transform of the data measure. The damped heat equation of :mod:`spectra.fem` assumes uniform data
of density c instead, ∂_t v_hat = c [sigma_a² ∂(rho_w ∂ v_hat) - rho_w v_hat].

Experiment (:func:`nonuniform_against_training`):

- data: N points on [-ℓ, ℓ] from the density p(x) = (1 - α)/(2ℓ) + α N(x; x0, τ²)/Z (Z: the Gaussian's mass
  on the interval), a cluster beside the target: either the warped grid x_k = P^(-1)((k + 1/2)/N) (P the
  distribution function; ``sampling="quantile"``) or N independent draws (``"random"``, from the seed);
- target: windowed cosines g(x) = exp(-x²/(2 s_g²)) Σ_j cos(2π κ_j x) (:func:`spectra.targets.windowed_cosines`;
  the default is exp(-x²/4.5)(cos 2x + cos 6x) of docs/theory.rst, "A worked example");
- network: :class:`~spectra.models.TwoLayerFourierNet`, m doubled neurons (f ≡ 0 at the start), Gaussian
  rho_w of std 3/(2π) and sigma_a = 1/(2π) (section 7's setting in cycles), float64; full-batch gradient
  descent (:func:`spectra.training.fit`, ``optimizer="sgd"``) with lr = lr_fraction × 2N/λ_max of the
  infinite-width NTK, made to divide the first recorded time;
- theory, from the same residual at t = 0: the general equation (:class:`~spectra.fem.NonuniformSolver`);
  the uniform-data equation with c = 1/(2ℓ) (what one would assume for data on the interval) and with the
  best constant c (fitted to the network's v_hat over time, by least squares); and the infinite-width
  kernel flow r(t) = exp(-t Θ/N) r(0) on the data (:func:`spectra.ntk.linearized_prediction`), against
  which the solver converges at O(h²) in the cell size (the ``convergence_*`` fields).

Metric: the relative L2 gap over the window [-Xi, Xi] where rho_w is active,
``||v_hat_a(·, t) - v_hat_b(·, t)||_2`` / ``||v_hat(·, 0)||_2`` (docs/theory.rst, "Comparing with training"), on a
uniform xi grid.
"""

from __future__ import annotations

import dataclasses
import math
import time as timer
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.special
import torch

from spectra._validation import (
    _Described,
    as_real_array,
    check_choice,
    check_positive_float,
    check_positive_int,
    fail,
)
from spectra.fem.nonuniform import NonuniformSolver, UniformDataEquation
from spectra.fem.problem import ResolutionWarning
from spectra.fourier import continuous_ft
from spectra.frequencies import Gaussian
from spectra.models import TwoLayerFourierNet
from spectra.ntk import linearized_prediction, max_stable_lr, two_layer_fourier_ntk
from spectra.results import Result, library_versions, to_jsonable
from spectra.seeding import make_generator
from spectra.targets import WindowedCosines, windowed_cosines
from spectra.training import fit

SAMPLINGS = ("quantile", "random")
CDF_TABLE = 1 << 16  # points of the tabulated distribution function inverted for the quantile grid
BEST_C_SCAN = 41  # log-spaced values of c per scan for the best constant c
COMPARISONS = {  # name -> field of NonuniformComparison holding its relative L2 gap over time
    "network vs general equation": "gap_general",
    "network vs uniform-data equation, c = 1/length": "gap_uniform",
    "network vs uniform-data equation, best c": "gap_best_uniform",
    "network vs kernel flow": "gap_network_kernel",
    "general equation vs kernel flow": "gap_kernel_general",
    "kernel gradient descent vs kernel flow": "gap_step",
}


@dataclass(frozen=True)
class NonuniformSettings:
    """Settings of :func:`nonuniform_against_training` (module docstring for the experiment).

    The default is the full size (a few minutes on one core); :meth:`quick` (under a minute) and
    :meth:`smoke` (seconds) are smaller.

    Attributes
    ----------
    n_points, half_length:
        N data points on [-ℓ, ℓ], ℓ = half_length.
    cluster_weight, cluster_center, cluster_width:
        α in [0, 1), x0 and τ of the data density p(x) = (1 - α)/(2ℓ) + α N(x; x0, τ²)/Z (α = 0: uniform).
    sampling:
        "quantile" (the deterministic warped grid x_k = P^(-1)((k + 1/2)/N)) or "random" (draws from ``seed``).
    width:
        m, neurons of the network (even: doubled initialisation).
    rho_std, sigma_a:
        Std of the Gaussian rho_w and of the output weights (cycles per unit length).
    target_frequencies, target_width:
        κ_j and s_g of the windowed cosines, centred at 0.
    times:
        Recorded times t = lr × steps: 0 first, then multiples of the first positive one.
    lr_fraction:
        lr ≈ lr_fraction × 2N / λ_max(Θ), in (0, 1), lowered so that lr divides the first positive time.
    cells:
        P1 cells of the general equation and of the uniform-data equation (None: the solver's default).
    convergence_cells:
        Increasing cell counts for the convergence of the solver against the kernel flow.
    xi_points:
        Points of the uniform xi grid on the window where v_hat is compared.
    seed:
        Seeds the network's initialisation (and the data when ``sampling="random"``).
    """

    n_points: int = 320
    half_length: float = 8.0
    cluster_weight: float = 0.7
    cluster_center: float = 1.5
    cluster_width: float = 1.5
    sampling: str = "quantile"
    width: int = 4000
    rho_std: float = 3 / (2 * math.pi)
    sigma_a: float = 1 / (2 * math.pi)
    target_frequencies: tuple[float, ...] = (1 / math.pi, 3 / math.pi)
    target_width: float = 1.5
    times: tuple[float, ...] = (0.0, 25.0, 50.0, 100.0, 200.0, 400.0)
    lr_fraction: float = 0.25
    cells: int | None = None
    convergence_cells: tuple[int, ...] = (100, 200, 400, 800)
    xi_points: int = 1201
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("n_points", "width", "xi_points"):
            object.__setattr__(self, name, check_positive_int(name, getattr(self, name)))
        if self.width % 2:
            fail("width", "an even number of neurons (doubled initialisation)", self.width)
        if self.n_points < 2:
            fail("n_points", "at least 2 data points", self.n_points)
        for name in ("half_length", "cluster_width", "rho_std", "sigma_a", "target_width"):
            object.__setattr__(self, name, check_positive_float(name, getattr(self, name)))
        alpha = check_positive_float("cluster_weight", self.cluster_weight, allow_zero=True)
        if alpha >= 1:
            fail("cluster_weight", "a weight α in [0, 1) (1 - α of the data stays uniform)", alpha)
        object.__setattr__(self, "cluster_weight", alpha)
        if not math.isfinite(self.cluster_center) or abs(self.cluster_center) > self.half_length:
            fail(
                "cluster_center",
                f"a point of the data interval [-{self.half_length:g}, {self.half_length:g}]",
                self.cluster_center,
            )
        check_choice("sampling", self.sampling, SAMPLINGS)
        fraction = check_positive_float("lr_fraction", self.lr_fraction)
        if fraction >= 1:
            fail("lr_fraction", "a number in (0, 1)", fraction)
        times = as_real_array("times", self.times)
        if times.ndim != 1 or len(times) < 2 or times[0] != 0 or not np.all(np.isfinite(times)):
            fail("times", "at least two finite times, the first 0", self.times)
        multiples = times / times[1]
        if np.any(np.diff(times) <= 0) or np.any(np.abs(multiples - np.round(multiples)) > 1e-9):
            fail("times", "increasing multiples of the first positive time", self.times)
        object.__setattr__(self, "times", tuple(float(t) for t in times))
        frequencies = as_real_array("target_frequencies", self.target_frequencies).reshape(-1)
        if len(frequencies) == 0 or not np.all(np.isfinite(frequencies)) or np.any(frequencies < 0):
            fail(
                "target_frequencies",
                "non-negative finite frequencies (cycles per unit length)",
                self.target_frequencies,
            )
        object.__setattr__(self, "target_frequencies", tuple(float(k) for k in frequencies))
        if self.cells is not None:
            object.__setattr__(self, "cells", check_positive_int("cells", self.cells))
        cells = tuple(check_positive_int("convergence_cells", n) for n in self.convergence_cells)
        if len(cells) < 2 or any(b <= a for a, b in zip(cells, cells[1:], strict=False)):
            fail("convergence_cells", "at least two increasing cell counts", self.convergence_cells)
        object.__setattr__(self, "convergence_cells", cells)
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            fail("seed", "an integer", self.seed, TypeError)

    @classmethod
    def full(cls) -> NonuniformSettings:
        """The default: N = 320, m = 4000 doubled neurons, t up to 400 (a few minutes on one core)."""
        return cls()

    @classmethod
    def quick(cls) -> NonuniformSettings:
        """N = 200, m = 2000, t up to 200: under a minute on one core."""
        return cls(
            n_points=200,
            width=2000,
            times=(0.0, 25.0, 50.0, 100.0, 200.0),
            lr_fraction=0.4,
            convergence_cells=(100, 200, 400),
            xi_points=801,
        )

    @classmethod
    def smoke(cls) -> NonuniformSettings:
        """N = 64 on [-6, 6], m = 200, t up to 40, a coarse mesh: seconds."""
        return cls(
            n_points=64,
            half_length=6.0,
            width=200,
            times=(0.0, 10.0, 20.0, 40.0),
            lr_fraction=0.5,
            cells=300,
            convergence_cells=(60, 120),
            xi_points=301,
        )

    @property
    def rho_w(self) -> Gaussian:
        return Gaussian(self.rho_std)

    @property
    def target(self) -> WindowedCosines:
        return windowed_cosines(self.target_frequencies, 1.0, self.target_width, 0.0, self.half_length)

    @property
    def uniform_density(self) -> float:
        """c = 1/(2ℓ), the density of uniform data on the interval."""
        return 1.0 / (2 * self.half_length)


def data_density(settings: NonuniformSettings, x: np.ndarray) -> np.ndarray:
    """p(x) = (1 - α)/(2ℓ) + α N(x; x0, τ²)/Z on [-ℓ, ℓ] (0 outside), Z the Gaussian's mass on the interval."""
    x = np.asarray(x, dtype=np.float64)
    ell, x0, tau, alpha = settings.half_length, settings.cluster_center, settings.cluster_width, settings.cluster_weight
    mass = scipy.special.ndtr((ell - x0) / tau) - scipy.special.ndtr((-ell - x0) / tau)
    gaussian = np.exp(-((x - x0) ** 2) / (2 * tau**2)) / (math.sqrt(2 * math.pi) * tau * mass)
    return np.where(np.abs(x) <= ell, (1 - alpha) / (2 * ell) + alpha * gaussian, 0.0)


def _distribution_function(settings: NonuniformSettings, x: np.ndarray) -> np.ndarray:
    ell, x0, tau, alpha = settings.half_length, settings.cluster_center, settings.cluster_width, settings.cluster_weight
    low = scipy.special.ndtr((-ell - x0) / tau)
    mass = scipy.special.ndtr((ell - x0) / tau) - low
    return (1 - alpha) * (x + ell) / (2 * ell) + alpha * (scipy.special.ndtr((x - x0) / tau) - low) / mass


def data_points(settings: NonuniformSettings) -> np.ndarray:
    """The N training points (sorted), the quantile grid or random draws of :func:`data_density`."""
    if settings.sampling == "quantile":
        levels = (np.arange(settings.n_points) + 0.5) / settings.n_points
    else:
        generator = make_generator(settings.seed)
        levels = np.sort(torch.rand(settings.n_points, generator=generator, dtype=torch.float64).numpy())
    table = np.linspace(-settings.half_length, settings.half_length, CDF_TABLE + 1)
    return np.interp(levels, _distribution_function(settings, table), table)  # P is strictly increasing


def relative_l2_gap(values: np.ndarray, reference: np.ndarray, xi: np.ndarray, initial: np.ndarray) -> np.ndarray:
    """``||values(·, t) - reference(·, t)||_2`` / ``||initial||_2`` over the uniform grid ``xi`` (trapezoid rule): (T,).

    ``values`` and ``reference`` are (T, k), ``initial`` (k,) the common v_hat(·, 0).
    """
    difference = np.trapezoid(np.abs(values - reference) ** 2, xi, axis=-1)
    return np.sqrt(difference / np.trapezoid(np.abs(initial) ** 2, xi))


def _transform(x: np.ndarray, residual: np.ndarray, xi: np.ndarray) -> np.ndarray:
    """v_hat(xi, t) = (1/N) Σ_k r_k(t) exp(-2πi xi x_k) for residuals (T, N): complex (T, k)."""
    return np.stack([continuous_ft(x, r, xi, weights=1.0 / len(x)) for r in residual])


def _best_constant(
    equation: UniformDataEquation,
    x: np.ndarray,
    r0: np.ndarray,
    times: np.ndarray,
    xi: np.ndarray,
    observed: np.ndarray,
    bounds: tuple[float, float],
) -> tuple[float, np.ndarray]:
    """The c minimising the mean over t > 0 of the squared gap to ``observed`` (T, k), and its v_hat (T, k).

    Two log-spaced scans of ``BEST_C_SCAN`` values, the second between the neighbours of the first's best:
    the relative resolution in c is about (log(bounds ratio) / BEST_C_SCAN)² / 2.
    """
    low, high = math.log(bounds[0]), math.log(bounds[1])
    for _ in range(2):
        constants = np.exp(np.linspace(low, high, BEST_C_SCAN))
        predicted = equation.solve_many(x, r0, constants, times, xi)
        losses = [np.mean(relative_l2_gap(p, observed, xi, observed[0])[1:] ** 2) for p in predicted]
        best = int(np.argmin(losses))
        low = math.log(constants[max(best - 1, 0)])
        high = math.log(constants[min(best + 1, BEST_C_SCAN - 1)])
    return float(constants[best]), predicted[best]


@dataclass
class NonuniformComparison(Result):
    """The network's v_hat against the general and the uniform-data equations over time (module docstring).

    Data: ``x`` (N,) the training points, ``target`` (N,) g there, ``density_grid`` (P,) and ``density`` (P,)
    the data density p(x). Times ``times`` (T,) = lr × steps, with ``lr`` and ``steps`` the last step.
    Frequencies: ``xi`` (K,) uniform on the window [-``window``, ``window``]; ``rho`` (K,) rho_w(xi);
    ``mu_hat`` (K,) complex, the data measure's transform (1/N) Σ_k exp(-2πi xi x_k). v_hat (T, K), complex:
    ``v_network`` (training), ``v_general`` (general equation), ``v_uniform`` (uniform data, c = ``c_uniform``
    = 1/(2ℓ)), ``v_best_uniform`` (uniform data, the fitted c = ``c_best``), ``v_kernel`` (infinite-width
    kernel flow). Relative L2 gaps (T,): ``gap_general``, ``gap_uniform``, ``gap_best_uniform`` (network
    against each equation), ``gap_network_kernel`` (network against the kernel flow: finite width and step
    size), ``gap_kernel_general`` (kernel flow against the general equation: the discretisation), ``gap_step``
    (the kernel's gradient descent with step lr against its flow: the step size's share of the network's gap).
    Convergence of the solver against the kernel flow: ``convergence_cells`` (C,), ``convergence_gap`` (C,)
    the largest gap over t, ``convergence_order`` (C - 1,) the observed orders log(gap ratio)/log(h ratio).
    ``cells`` of the solver's mesh, ``wall_time`` (s) and ``training_time`` (s).
    """

    times: np.ndarray = Result.array_field(("T",))
    x: np.ndarray = Result.array_field(("N",))
    target: np.ndarray = Result.array_field(("N",))
    density_grid: np.ndarray = Result.array_field(("P",))
    density: np.ndarray = Result.array_field(("P",))
    xi: np.ndarray = Result.array_field(("K",))
    rho: np.ndarray = Result.array_field(("K",))
    mu_hat: np.ndarray = Result.array_field(("K",), "complex")
    v_network: np.ndarray = Result.array_field(("T", "K"), "complex")
    v_general: np.ndarray = Result.array_field(("T", "K"), "complex")
    v_uniform: np.ndarray = Result.array_field(("T", "K"), "complex")
    v_best_uniform: np.ndarray = Result.array_field(("T", "K"), "complex")
    v_kernel: np.ndarray = Result.array_field(("T", "K"), "complex")
    gap_general: np.ndarray = Result.array_field(("T",))
    gap_uniform: np.ndarray = Result.array_field(("T",))
    gap_best_uniform: np.ndarray = Result.array_field(("T",))
    gap_network_kernel: np.ndarray = Result.array_field(("T",))
    gap_kernel_general: np.ndarray = Result.array_field(("T",))
    gap_step: np.ndarray = Result.array_field(("T",))
    convergence_cells: np.ndarray = Result.array_field(("C",), "int")
    convergence_gap: np.ndarray = Result.array_field(("C",))
    convergence_order: np.ndarray = Result.array_field(("C-1",))
    c_uniform: float
    c_best: float
    lr: float
    steps: int
    window: float
    cells: int
    wall_time: float
    training_time: float
    settings: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Tidy gaps: one row per (t, comparison) with columns t, comparison, gap (comparisons: ``COMPARISONS``)."""
        return pd.DataFrame(
            {
                "t": np.tile(self.times, len(COMPARISONS)),
                "comparison": np.repeat(list(COMPARISONS), len(self.times)),
                "gap": np.concatenate([getattr(self, key) for key in COMPARISONS.values()]),
            }
        )

    def spectra_frame(self) -> pd.DataFrame:
        """Tidy ``|v_hat|``: one row per (t, xi, source), sources network, general, uniform, best uniform, kernel."""
        sources = {
            "network": self.v_network,
            "general equation": self.v_general,
            "uniform-data equation": self.v_uniform,
            "uniform-data equation, best c": self.v_best_uniform,
            "kernel flow": self.v_kernel,
        }
        t, k = self.v_network.shape
        return pd.DataFrame(
            {
                "t": np.tile(np.repeat(self.times, k), len(sources)),
                "xi": np.tile(self.xi, t * len(sources)),
                "source": np.repeat(list(sources), t * k),
                "abs": np.concatenate([np.abs(v).reshape(-1) for v in sources.values()]),
            }
        )

    def summary(self) -> dict[str, Any]:
        """Headline numbers (JSON-ready): the largest gap over t > 0 and the gaps over time per comparison
        (``COMPARISONS``), the constants c, and the solver's convergence against the kernel flow."""
        later = slice(1, None)
        return {
            "times": self.times.tolist(),
            "max_gap": {name: float(getattr(self, key)[later].max()) for name, key in COMPARISONS.items()},
            "gaps": {name: getattr(self, key).tolist() for name, key in COMPARISONS.items()},
            "c_uniform": self.c_uniform,
            "c_best": self.c_best,
            "convergence": {
                "cells": self.convergence_cells.tolist(),
                "max_gap": self.convergence_gap.tolist(),
                "order": self.convergence_order.tolist(),
            },
            "lr": self.lr,
            "steps": self.steps,
            "window": self.window,
            "cells": self.cells,
            "wall_time_s": self.wall_time,
        }


def nonuniform_against_training(
    settings: NonuniformSettings | None = None, *, progress: bool = True
) -> NonuniformComparison:
    """Train the two-layer Fourier-feature network on non-uniform data and compare its v_hat with the general
    equation, the uniform-data equation (c = 1/length and the best c) and the kernel flow (module docstring)."""
    settings = NonuniformSettings() if settings is None else settings
    if not isinstance(settings, NonuniformSettings):
        fail("settings", "a NonuniformSettings", _Described(type(settings).__name__), TypeError)
    start = timer.perf_counter()
    rho_w, target = settings.rho_w, settings.target
    x = data_points(settings)
    points = torch.from_numpy(x[:, None])
    y = target(points)
    times = np.asarray(settings.times)

    kernel = two_layer_fourier_ntk(points, rho_w=rho_w, sigma_a=settings.sigma_a)
    per_record = math.ceil(times[1] / (settings.lr_fraction * max_stable_lr(kernel)))
    lr = times[1] / per_record
    record_steps = np.rint(times / lr).astype(np.int64)
    model = TwoLayerFourierNet(
        1, settings.width, rho_w, settings.sigma_a, doubled=True, seed=settings.seed, dtype=torch.float64
    )
    trained = timer.perf_counter()
    history = fit(
        model,
        points,
        y,
        optimizer="sgd",
        lr=lr,
        steps=int(record_steps[-1]),
        record_every=per_record,
        progress=progress,
    )
    training_time = timer.perf_counter() - trained
    index = np.searchsorted(history.steps, record_steps)
    residual = history.predictions[index, :, 0] - y.numpy()[None, :, 0]  # (T, N)
    r0 = residual[0]

    solver = NonuniformSolver(rho_w, settings.sigma_a, x, cells=settings.cells)
    general = solver.solve(r0, times)
    xi = np.linspace(-general.window, general.window, settings.xi_points)
    v_network = _transform(x, residual, xi)
    v_general = general.evaluate(xi)
    flows = [
        linearized_prediction(kernel, y, torch.zeros_like(y), lr, times, discrete=discrete).train[:, :, 0].numpy()
        for discrete in (False, True)
    ]
    v_kernel, v_descent = (_transform(x, flow - y.numpy()[None, :, 0], xi) for flow in flows)

    equation = UniformDataEquation(rho_w, settings.sigma_a, general.window, general.cells)
    c_uniform = settings.uniform_density
    v_uniform = equation.solve(x, r0, c_uniform, times, xi)
    c_peak = float(data_density(settings, np.linspace(-settings.half_length, settings.half_length, 4097)).max())
    c_best, v_best = _best_constant(equation, x, r0, times, xi, v_network, (c_uniform / 4, 4 * c_peak))

    convergence = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResolutionWarning)  # the coarse meshes are coarse on purpose
        for cells in settings.convergence_cells:
            coarse = NonuniformSolver(rho_w, settings.sigma_a, x, window=general.window, cells=cells).solve(r0, times)
            convergence.append(relative_l2_gap(coarse.evaluate(xi), v_kernel, xi, v_kernel[0]).max())
    convergence = np.asarray(convergence)
    cells = np.asarray(settings.convergence_cells, dtype=np.float64)
    order = np.log(convergence[:-1] / convergence[1:]) / np.log(cells[1:] / cells[:-1])

    density_grid = np.linspace(-settings.half_length, settings.half_length, 801)

    def gap(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
        return relative_l2_gap(values, reference, xi, v_network[0])

    return NonuniformComparison(
        times=times,
        x=x,
        target=y.numpy()[:, 0],
        density_grid=density_grid,
        density=data_density(settings, density_grid),
        xi=xi,
        rho=rho_w.density(xi),
        mu_hat=continuous_ft(x, np.ones_like(x), xi, weights=1.0 / len(x)),
        v_network=v_network,
        v_general=v_general,
        v_uniform=v_uniform,
        v_best_uniform=v_best,
        v_kernel=v_kernel,
        gap_general=gap(v_general, v_network),
        gap_uniform=gap(v_uniform, v_network),
        gap_best_uniform=gap(v_best, v_network),
        gap_network_kernel=gap(v_kernel, v_network),
        gap_kernel_general=gap(v_general, v_kernel),
        gap_step=gap(v_descent, v_kernel),
        convergence_cells=np.asarray(settings.convergence_cells, dtype=np.int64),
        convergence_gap=convergence,
        convergence_order=order,
        c_uniform=c_uniform,
        c_best=c_best,
        lr=float(lr),
        steps=int(record_steps[-1]),
        window=float(general.window),
        cells=int(general.cells),
        wall_time=timer.perf_counter() - start,
        training_time=training_time,
        settings=to_jsonable(dataclasses.asdict(settings)),
        versions=library_versions(),
    )
