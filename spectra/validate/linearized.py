"""(b) Linearised NTK dynamics against training: MLP, RepNet and FF-MLP, per frequency, over time.

Theory (docs/theory.rst, "Linearised dynamics"; :mod:`spectra.ntk.dynamics`). Linearised around its
initialisation θ_0, a network trained by full-batch gradient descent on the mean loss (1/2N) Σ_i (f(x_i) - y_i)²
with step lr has the training residual r = f - y::

    r_s = V (1 - lr Λ / N)^s Vᵀ r_0   after s steps,   Θ_0 = V Λ Vᵀ the empirical NTK at θ_0,

and its per-frequency error follows from the DFT of r_s. The prediction used here is this exact
discrete one (``linearized_prediction(..., discrete=True)``), not gradient flow exp(-Λ t / N): at
lr = 0.5 × 2N/λ_max a mode's factor per step is 1 - lr λ/N against exp(-lr λ/N), which differ at
O(1) for the fastest modes (gradient descent removes the top mode in one step, the flow by a factor e
per step). With the discrete prediction the only difference between prediction and training is the
network leaving its linearisation, with no discretisation error mixed in. How much the flow would
differ is reported (``flow_gap``, the largest ‖r_flow - r_gd‖ / ‖y‖ over the records; small once the
fast modes are learned, i.e. after the first records). Time is the theory's t = lr × steps.

Experiment (:func:`linearized_against_training`), for each model:

- target g(x) = Σ_k sin(2π k x + 2π φ_k), unit amplitudes, frequencies k on the DFT bins of the
  periodic grid x_j = j / N of [0, 1) (cycles per unit length), phases φ_k ~ U(0, 1) from the seed;
  the training set is that grid, so per-frequency errors are exact DFT bins;
- Θ_0 = :func:`~spectra.ntk.empirical_ntk` on the grid (structured path, float64), f_0 = f(x; θ_0);
- lr = ``lr_fraction`` × :func:`~spectra.ntk.max_stable_lr` (Θ_0), the same number of steps for every
  model (so each model runs the same multiple of its own fastest time scale N / (lr λ_max));
- the real network trained by :func:`~spectra.training.fit` with ``optimizer="sgd"`` (plain gradient
  descent, full batch), recording its predictions and, with :class:`~spectra.ntk.NTKRecorder`, the
  kernel drift ‖Θ_t - Θ_0‖_F / ‖Θ_0‖_F and the top eigenvalues at every record step;
- Xu's complex relative error per target frequency (:func:`~spectra.fourier.frequency_error`),
  Δ(k, t) = ``|r_hat(k, t)|`` / ``|y_hat(k)|``, for the observed and the predicted residual.

Where and when the prediction breaks down. Frequency k of a model breaks down at the first recorded
time at which

    ``|Δ_obs(k, t) - Δ_pred(k, t)|`` > atol + rtol · Δ_pred(k, t)

(numpy.isclose's rule with the prediction as reference). Defaults atol = 0.02 (disagreements below 2%
of the line's amplitude are ignored: the residual at k is then learned to within 2% either way) and
rtol = 0.1 (a 10% error in the remaining error). :func:`breakdown_times` applies the rule; the kernel
drift at that record is reported beside it. Overall agreement of a model: the relative L2 gap of the
residual trajectories, max over recorded t ≤ T of ‖r_obs(t) - r_pred(t)‖ / ‖y‖ (normalised by the
target, not by r_0, whose size varies with the random initial function).

Why the Frobenius drift understates the breakdown: it is dominated by the top of the spectrum, while
a mode of eigenvalue λ_k feels the absolute change ‖Θ_t - Θ_0‖ against λ_k. For a ReLU MLP in 1-D,
λ_max / λ_k at k = 2 cycles per unit is several hundred, so a drift of 1% already changes that mode's
dynamics at O(1); each breakdown is reported with ``perturbation`` = drift · ‖Θ_0‖_F / κ_k, where
κ_k = e_kᴴ Θ_0 e_k (e_k(x_j) = exp(2πi k x_j) / √N) is the kernel's eigenvalue-like rate at frequency k.

Width dependence (``widths``): the same comparison for the NTK-parameterised models (MLP, FF-MLP) with
one hidden layer (where width is cheap) at several widths. In the kernel regime drift and gap fall
like powers of the width; the fitted log-log slopes are reported (:meth:`LinearizedComparison.width_slopes`).

Your own network and data: ``models`` (name -> any ``nn.Module`` with one input and one output),
``width_models`` (name -> a factory ``width -> nn.Module`` for the width study) and ``data`` ((x, y) on
a uniform 1-D grid, with ``settings.frequencies`` on its DFT bins) replace the built-in models and
target; everything above applies unchanged (the built-in names stay the default).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time as timer
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from spectra._validation import (
    _Described,
    as_points,
    as_real_array,
    check_choice,
    check_model,
    check_positive_float,
    check_positive_int,
    describe,
    fail,
)
from spectra.domain import uniform_grid
from spectra.fourier import frequency_error
from spectra.fourier.grid import grid_layout
from spectra.fourier.spectrum import bins_of
from spectra.models import MLP, FourierFeatureMLP, FourierFeatures, RepNet, count_parameters
from spectra.ntk import NTKRecorder, empirical_ntk, linearized_prediction, max_stable_lr, ntk_spectrum
from spectra.results import Result, library_versions, to_jsonable
from spectra.seeding import numpy_rng
from spectra.targets import SumOfSines
from spectra.training import fit
from spectra.validate.multilayer import kernel_rates

MODELS = ("MLP", "RepNet", "FF-MLP")
WIDTH_MODELS = ("MLP", "FF-MLP")  # NTK-parameterised: their kernel converges as the width grows
DTYPE = torch.float64  # thousands of steps compared at the 1e-3 level: float32 rounding would show


@dataclass(frozen=True)
class LinearizedSettings:
    """Settings of :func:`linearized_against_training` (module docstring for the experiment).

    The default is the "full" size (about 2 minutes with one torch thread); :meth:`quick` (about 15 s,
    the report's quick profile) and :meth:`smoke` (a few seconds) are smaller. On a shared machine use one
    torch thread (``torch.set_num_threads(1)``): these small dense problems slow down many-fold when
    threads are oversubscribed.

    Attributes
    ----------
    frequencies
        Target frequencies (cycles per unit length on [0, 1)), unit amplitudes; on the grid's DFT bins
        (multiples of 1) and below the Nyquist frequency n_train / 2.
    n_train
        N, points of the periodic training grid j / N on [0, 1).
    width, depth
        Hidden width and number of hidden layers, the same for the three models (comparable sizes):

        - "MLP": ReLU :class:`~spectra.models.MLP`, NTK parameterisation, sigma_w = √2, sigma_b = ``sigma_b``;
        - "RepNet": ReLU :class:`~spectra.models.RepNet`, first layer z_i = s (v_i x - p_i) with the kinks
          on a uniform grid of [0, 1], shared trained slope scale s_0 = ``repnet_s0``, He-initialised
          hidden layers and an output layer calibrated to unit output scale (RepNet's own design,
          standard parameterisation);
        - "FF-MLP": :class:`~spectra.models.FourierFeatureMLP`, fixed Gaussian features
          (``ff_features`` frequencies ~ N(0, ff_sigma²), 2 × ff_features inputs) into the same
          MLP as "MLP" (NTK parameterisation; sigma_b = 0.1, the FourierFeatureMLP default).
    sigma_b
        The MLP's bias scale (1 spreads its ReLU kinks over the data on [0, 1)).
    repnet_s0, ff_features, ff_sigma
        See ``width``.
    lr_fraction
        lr = lr_fraction × 2N / λ_max(Θ_0), in (0, 1).
    steps, record_every
        Gradient-descent steps (the same for every model) and steps between records.
    rtol, atol
        The breakdown rule ``|Δ_obs - Δ_pred|`` > atol + rtol · Δ_pred (module docstring).
    n_eigenvalues
        Top eigenvalues of Θ_t recorded at every record step.
    widths, width_models, width_depth
        The width study: each of ``width_models`` ("MLP" and "FF-MLP", the NTK-parameterised ones) with
        ``width_depth`` hidden layers (one: where width is cheap) at each width; () skips it.
    models
        Which of "MLP", "RepNet", "FF-MLP" to compare.
    seed
        Seeds the phases, the models' initial weights and the Fourier features.
    """

    frequencies: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
    n_train: int = 64
    width: int = 512
    depth: int = 2
    sigma_b: float = 1.0
    repnet_s0: float = 1.0
    ff_features: int = 32
    ff_sigma: float = 2.0
    lr_fraction: float = 0.5
    steps: int = 2000
    record_every: int = 20
    rtol: float = 0.1
    atol: float = 0.02
    n_eigenvalues: int = 10
    widths: tuple[int, ...] = (64, 256, 1024, 4096, 16384)
    width_models: tuple[str, ...] = ("MLP", "FF-MLP")
    width_depth: int = 1
    models: tuple[str, ...] = MODELS
    seed: int = 0

    def __post_init__(self) -> None:
        n = check_positive_int("n_train", self.n_train)
        frequencies = as_real_array("frequencies", self.frequencies)
        if (
            frequencies.ndim != 1
            or len(frequencies) == 0
            or not np.all(np.isfinite(frequencies))
            or np.any(frequencies <= 0)
            or np.any(frequencies != np.round(frequencies))
            or np.any(frequencies >= n / 2)
            or len(set(frequencies.tolist())) != len(frequencies)
        ):
            fail(
                "frequencies",
                f"distinct positive integers (DFT bins of [0, 1)) below the Nyquist frequency {n / 2:g}",
                self.frequencies,
            )
        for name in ("width", "depth", "ff_features", "steps", "record_every", "n_eigenvalues", "width_depth"):
            check_positive_int(name, getattr(self, name))
        for name in ("sigma_b", "repnet_s0", "ff_sigma", "rtol", "atol"):
            check_positive_float(name, getattr(self, name), allow_zero=name in ("sigma_b", "rtol"))
        fraction = check_positive_float("lr_fraction", self.lr_fraction)
        if fraction >= 1:
            fail("lr_fraction", "a fraction of the largest stable step in (0, 1)", self.lr_fraction)
        if self.record_every > self.steps:
            fail("record_every", f"at most steps ({self.steps})", self.record_every)
        for width in self.widths:
            check_positive_int("widths", width)
        if len(self.models) == 0 or len(set(self.models)) != len(self.models):
            fail("models", "a non-empty tuple of distinct model names", self.models)
        for name in self.models:
            check_choice("models", name, MODELS)
        if len(set(self.widths)) != len(self.widths) or len(set(self.width_models)) != len(self.width_models):
            fail("widths", "distinct widths and distinct width_models", (self.widths, self.width_models))
        for name in self.width_models:
            check_choice("width_models", name, WIDTH_MODELS)
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            fail("seed", "an int", self.seed, TypeError)

    @classmethod
    def quick(cls) -> LinearizedSettings:
        """Under a minute on one core: narrower, fewer steps, a two-point width study."""
        return cls(width=256, steps=1000, record_every=20, widths=(64, 1024, 4096))

    @classmethod
    def smoke(cls) -> LinearizedSettings:
        """Seconds: tiny networks on 32 points, no width study (checks that everything runs)."""
        return cls(
            frequencies=(1.0, 2.0, 4.0),
            n_train=32,
            width=64,
            depth=1,
            ff_features=16,
            steps=100,
            record_every=10,
            n_eigenvalues=5,
            widths=(),
        )


def linearized_model(
    name: str, settings: LinearizedSettings, *, width: int | None = None, depth: int | None = None
) -> nn.Module:
    """A fresh model ``name`` ("MLP", "RepNet" or "FF-MLP") as described in :class:`LinearizedSettings`
    (width and depth default to the settings'), float64, initialised from ``settings.seed``."""
    check_choice("name", name, MODELS)
    width = settings.width if width is None else check_positive_int("width", width)
    depth = settings.depth if depth is None else check_positive_int("depth", depth)
    seed = settings.seed
    if name == "MLP":
        return MLP(1, 1, width, depth, parameterization="ntk", sigma_b=settings.sigma_b, seed=seed, dtype=DTYPE)
    if name == "RepNet":
        return RepNet(
            1,
            1,
            width,
            depth,
            s0=settings.repnet_s0,
            placement="uniform_grid",
            domain=(0.0, 1.0),
            seed=seed,
            dtype=DTYPE,
        )
    encoder = FourierFeatures.gaussian(1, settings.ff_features, settings.ff_sigma, seed=seed)
    return FourierFeatureMLP(encoder, 1, width, depth, parameterization="ntk", seed=seed, dtype=DTYPE)


def _architecture(name: str, settings: LinearizedSettings, width: int, depth: int) -> str:
    hidden = f"{depth} × {width} ReLU"
    return {
        "MLP": f"MLP 1 → {hidden} → 1, NTK parameterisation (sigma_w = √2, sigma_b = {settings.sigma_b:g})",
        "RepNet": f"RepNet 1 → {hidden} → 1, kinks on a uniform grid of [0, 1], s0 = {settings.repnet_s0:g}, "
        "calibrated output",
        "FF-MLP": f"Gaussian FF ({settings.ff_features} frequencies, σ = {settings.ff_sigma:g} cycles/unit, fixed) "
        f"→ {hidden} → 1, NTK parameterisation",
    }[name]


def linearized_target(settings: LinearizedSettings) -> tuple[torch.Tensor, torch.Tensor]:
    """The training grid x (N, 1) and the target values y (N, 1), float64 (module docstring)."""
    phases = numpy_rng(settings.seed).uniform(0.0, 1.0, len(settings.frequencies))
    target = SumOfSines(np.asarray(settings.frequencies, dtype=float), 1.0, phases, domain=(0.0, 1.0))
    x = uniform_grid((0.0, 1.0), settings.n_train, dtype=DTYPE)
    return x, target(x)


def breakdown_times(
    time: np.ndarray, observed: np.ndarray, predicted: np.ndarray, *, rtol: float = 0.1, atol: float = 0.02
) -> np.ndarray:
    """First time at which ``|observed - predicted|`` > atol + rtol · predicted, per column; ``inf`` if never.

    ``time`` (R,) strictly increasing; ``observed`` and ``predicted`` (R, K) per-frequency errors at
    those times (e.g. Xu's Δ of the trained network and of its linearisation). Returns (K,).
    """
    time = as_real_array("time", time, finite=False)
    observed = as_real_array("observed", observed, finite=False)
    predicted = as_real_array("predicted", predicted, finite=False)
    if time.ndim != 1 or len(time) == 0 or not np.all(np.isfinite(time)) or np.any(np.diff(time) <= 0):
        fail("time", "a non-empty, finite, strictly increasing array (R,)", _Described(describe(time)))
    for name, values in (("observed", observed), ("predicted", predicted)):
        if values.ndim != 2 or values.shape[0] != len(time) or values.shape[1] == 0:
            fail(name, f"an array (R, K) with one row per time (R = {len(time)})", _Described(describe(values)))
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            fail(
                name, "finite non-negative errors", _Described(describe(values) + " with negative or non-finite values")
            )
    if observed.shape != predicted.shape:
        fail("predicted", f"the shape of observed {observed.shape}", _Described(describe(predicted)))
    rtol = check_positive_float("rtol", rtol, allow_zero=True)
    atol = check_positive_float("atol", atol, allow_zero=True)
    broken = np.abs(observed - predicted) > atol + rtol * predicted
    return np.where(broken.any(axis=0), time[np.argmax(broken, axis=0)], np.inf)


@dataclass
class _Run:
    """One model's comparison (what :func:`_compare` measures)."""

    time: np.ndarray
    steps: np.ndarray
    predicted_error: np.ndarray
    observed_error: np.ndarray
    residual_gap: np.ndarray
    flow_gap: float
    drift: np.ndarray
    top_eigenvalues: np.ndarray
    lr: float
    max_stable_lr: float
    kernel_norm: float
    mode_eigenvalue: np.ndarray
    eigenvalues: np.ndarray
    dominant_frequency: np.ndarray
    spectral_centroid: np.ndarray


def _mode_eigenvalues(kernel: torch.Tensor, x: torch.Tensor, frequencies: np.ndarray) -> np.ndarray:
    """κ_k = e_kᴴ Θ e_k with e_k(x_j) = exp(2πi k x_j) / √N (module docstring): N × the rate of
    :func:`~spectra.validate.multilayer.kernel_rates`, whose modes are not normalised."""
    return len(x) * kernel_rates(kernel, x, frequencies)


def _compare(
    argument: str, model: nn.Module, x: torch.Tensor, y: torch.Tensor, settings: LinearizedSettings, progress: bool
) -> _Run:
    """Linearised prediction and real gradient-descent training of ``model`` from the same θ_0.

    ``argument`` names the model in errors (e.g. ``models['mine']``)."""
    with torch.no_grad():
        f0 = model(x)
    if not isinstance(f0, torch.Tensor) or f0.shape != y.shape:
        shape = tuple(f0.shape) if isinstance(f0, torch.Tensor) else type(f0).__name__
        fail(argument, f"a module mapping the inputs {tuple(x.shape)} to outputs {tuple(y.shape)}", shape)
    kernel = empirical_ntk(model, x, dtype=DTYPE, progress=False).kernel
    stable = max_stable_lr(kernel)
    lr = settings.lr_fraction * stable
    history = fit(
        model,
        x,
        y,
        optimizer="sgd",
        lr=lr,
        steps=settings.steps,
        record_every=settings.record_every,
        recorders=[NTKRecorder(n_eigenvalues=settings.n_eigenvalues)],
        progress=progress,
    )
    predicted = linearized_prediction(kernel, y, f0, lr, history.time, discrete=True).train
    flow = linearized_prediction(kernel, y, f0, lr, history.time).train
    observed = torch.from_numpy(history.predictions)
    frequencies = np.asarray(settings.frequencies, dtype=float)
    norm = float(torch.linalg.norm(y))

    def gap(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
        return (torch.linalg.norm((a - b).flatten(1), dim=1) / norm).cpu().numpy()

    spectrum = ntk_spectrum(kernel, x)
    return _Run(
        time=history.time,
        steps=history.steps,
        predicted_error=frequency_error(predicted, y, x, frequencies).error,
        observed_error=frequency_error(observed, y, x, frequencies).error,
        residual_gap=gap(observed, predicted),
        flow_gap=float(gap(flow, predicted).max()),
        drift=history.records["ntk/drift"],
        top_eigenvalues=history.records["ntk/eigenvalues"],
        lr=lr,
        max_stable_lr=stable,
        kernel_norm=float(torch.linalg.norm(kernel)),
        mode_eigenvalue=_mode_eigenvalues(kernel, x, frequencies),
        eigenvalues=spectrum.eigenvalues,
        dominant_frequency=spectrum.dominant_frequency,
        spectral_centroid=spectrum.spectral_centroid,
    )


def _breakdown(run: _Run, settings: LinearizedSettings) -> np.ndarray:
    return breakdown_times(run.time, run.observed_error, run.predicted_error, rtol=settings.rtol, atol=settings.atol)


def _error_gap(run: _Run) -> float:
    """max over t and k of ``|Δ_obs - Δ_pred|``."""
    return float(np.abs(run.observed_error - run.predicted_error).max())


def _drift_at(times: np.ndarray, time: np.ndarray, drift: np.ndarray) -> np.ndarray:
    """Drift at the record of each (recorded) time; NaN where the time is inf (no breakdown)."""
    index = np.searchsorted(time, np.where(np.isfinite(times), times, time[0]))
    return np.where(np.isfinite(times), drift[index], np.nan)


def _slope(widths: np.ndarray, values: np.ndarray) -> float:
    """Least-squares slope of log(values) against log(widths); NaN with fewer than two widths."""
    if len(widths) < 2 or np.any(values <= 0):
        return float("nan")
    return float(np.polyfit(np.log(widths), np.log(values), 1)[0])


@dataclass
class LinearizedComparison(Result):
    """Linearised prediction against training, per model (module docstring for the definitions).

    Per model name (dictionaries keyed by ``models``): ``time`` (R,) t = lr × steps;
    ``predicted_error``, ``observed_error`` (R, K) Xu's complex Δ at ``frequency`` (K,);
    ``residual_gap`` (R,) ‖r_obs - r_pred‖ / ‖y‖; ``drift`` (R,) ‖Θ_t - Θ_0‖_F / ‖Θ_0‖_F;
    ``top_eigenvalues`` (R, n_eigenvalues) of Θ_t; ``breakdown_time`` (K,) (inf: never) and
    ``breakdown_drift`` (K,) (NaN: never); ``mode_eigenvalue`` (K,) κ_k of Θ_0; the spectrum of Θ_0:
    ``eigenvalues`` (N,) descending with each eigenvector's ``dominant_frequency`` and
    ``spectral_centroid`` (N,). ``steps`` (R,) is shared. Scalars per model: ``lr``, ``max_stable_lr``,
    ``kernel_norm`` ‖Θ_0‖_F, ``flow_gap`` (max_t ‖r_flow - r_gd‖ / ‖y‖ of the two linearised
    predictions), ``n_parameters``, ``architecture``. Width study: ``widths`` (W,) and, per model of the
    study, ``width_agreement``, ``width_error_gap`` (max over t and k of ``|Δ_obs - Δ_pred|``), ``width_drift``
    (final) and ``width_breakdown`` (first breakdown time over the frequencies; inf: never), each (W,).
    """

    models: list[str]
    frequency: np.ndarray = Result.array_field(("K",))
    steps: np.ndarray = Result.array_field(("R",), "int")
    time: dict[str, np.ndarray] = Result.array_dict_field(("R",))
    predicted_error: dict[str, np.ndarray] = Result.array_dict_field(("R", "K"))
    observed_error: dict[str, np.ndarray] = Result.array_dict_field(("R", "K"))
    residual_gap: dict[str, np.ndarray] = Result.array_dict_field(("R",))
    drift: dict[str, np.ndarray] = Result.array_dict_field(("R",))
    top_eigenvalues: dict[str, np.ndarray] = Result.array_dict_field(("R", "n_eigenvalues"))
    breakdown_time: dict[str, np.ndarray] = Result.array_dict_field(("K",))
    breakdown_drift: dict[str, np.ndarray] = Result.array_dict_field(("K",))
    mode_eigenvalue: dict[str, np.ndarray] = Result.array_dict_field(("K",))
    eigenvalues: dict[str, np.ndarray] = Result.array_dict_field(("N",))
    dominant_frequency: dict[str, np.ndarray] = Result.array_dict_field(("N",))
    spectral_centroid: dict[str, np.ndarray] = Result.array_dict_field(("N",))
    lr: dict[str, float]
    max_stable_lr: dict[str, float]
    kernel_norm: dict[str, float]
    flow_gap: dict[str, float]
    n_parameters: dict[str, int]
    architecture: dict[str, str]
    widths: np.ndarray = Result.array_field(("W",), ("int", "float"))  # written as float
    width_agreement: dict[str, np.ndarray] = Result.array_dict_field(("W",))
    width_error_gap: dict[str, np.ndarray] = Result.array_dict_field(("W",))
    width_drift: dict[str, np.ndarray] = Result.array_dict_field(("W",))
    width_breakdown: dict[str, np.ndarray] = Result.array_dict_field(("W",))
    settings: dict[str, Any] = field(default_factory=dict)
    wall_time: float = 0.0
    versions: dict[str, str] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per (model, record step, frequency): model, step, time, frequency, predicted_error,
        observed_error, error_gap = ``|observed - predicted|``, drift."""
        frames = []
        for name in self.models:
            records, k = self.observed_error[name].shape
            frames.append(
                pd.DataFrame(
                    {
                        "model": name,
                        "step": np.repeat(self.steps, k),
                        "time": np.repeat(self.time[name], k),
                        "frequency": np.tile(self.frequency, records),
                        "predicted_error": self.predicted_error[name].reshape(-1),
                        "observed_error": self.observed_error[name].reshape(-1),
                        "error_gap": np.abs(self.observed_error[name] - self.predicted_error[name]).reshape(-1),
                        "drift": np.repeat(self.drift[name], k),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def agreement(self, name: str) -> float:
        """max over recorded t of ‖r_obs(t) - r_pred(t)‖ / ‖y‖ for model ``name`` (0: perfect)."""
        return float(self.residual_gap[check_choice("name", name, self.models)].max())

    def breakdown_frame(self) -> pd.DataFrame:
        """One row per (model, frequency): breakdown_time (inf: never), breakdown_step, drift_at_breakdown,
        perturbation = drift · ‖Θ_0‖_F / κ_k there, mode_eigenvalue κ_k, max_error_gap over time, and the
        final predicted and observed errors."""
        rows = []
        for name in self.models:
            lr = self.lr[name]
            for j, k in enumerate(self.frequency):
                t = float(self.breakdown_time[name][j])
                drift = float(self.breakdown_drift[name][j])
                kappa = float(self.mode_eigenvalue[name][j])
                rows.append(
                    {
                        "model": name,
                        "frequency": float(k),
                        "breakdown_time": t,
                        "breakdown_step": round(t / lr) if math.isfinite(t) else -1,
                        "drift_at_breakdown": drift,
                        "perturbation": drift * self.kernel_norm[name] / kappa,
                        "mode_eigenvalue": kappa,
                        "max_error_gap": float(
                            np.abs(self.observed_error[name][:, j] - self.predicted_error[name][:, j]).max()
                        ),
                        "predicted_final": float(self.predicted_error[name][-1, j]),
                        "observed_final": float(self.observed_error[name][-1, j]),
                    }
                )
        return pd.DataFrame(rows)

    def summary_frame(self) -> pd.DataFrame:
        """One row per model: parameters, lr, agreement, max_error_gap, first_breakdown (time and frequency),
        drift there, final drift, final_sharpness lr·λ_max(Θ_T)/N (2·lr_fraction at t = 0; gradient descent
        is stable below 2, so a value near 2 means training reached the edge of stability), flow_gap."""
        rows = []
        for name in self.models:
            times = self.breakdown_time[name]
            first = int(np.argmin(times))
            broke = bool(np.isfinite(times[first]))
            rows.append(
                {
                    "model": name,
                    "parameters": self.n_parameters[name],
                    "lr": self.lr[name],
                    "agreement": self.agreement(name),
                    "max_error_gap": float(np.abs(self.observed_error[name] - self.predicted_error[name]).max()),
                    "first_breakdown_time": float(times[first]) if broke else math.inf,
                    "first_breakdown_frequency": float(self.frequency[first]) if broke else math.nan,
                    "drift_at_first_breakdown": float(self.breakdown_drift[name][first]) if broke else math.nan,
                    "final_drift": float(self.drift[name][-1]),
                    "final_sharpness": self.lr[name]
                    * float(self.top_eigenvalues[name][-1, 0])
                    / len(self.eigenvalues[name]),
                    "flow_gap": self.flow_gap[name],
                }
            )
        return pd.DataFrame(rows)

    def spectrum_frame(self) -> pd.DataFrame:
        """One row per (model, eigenpair of Θ_0): rank, eigenvalue, rate_per_step = lr λ / N,
        dominant_frequency, spectral_centroid."""
        frames = []
        for name in self.models:
            values = self.eigenvalues[name]
            frames.append(
                pd.DataFrame(
                    {
                        "model": name,
                        "rank": np.arange(1, len(values) + 1),
                        "eigenvalue": values,
                        "rate_per_step": self.lr[name] * values / len(values),
                        "dominant_frequency": self.dominant_frequency[name],
                        "spectral_centroid": self.spectral_centroid[name],
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def width_frame(self) -> pd.DataFrame:
        """The width study, one row per (model, width): agreement, max_error_gap, final_drift,
        first_breakdown_time (inf: never). Empty if the study was not run."""
        columns = ("agreement", "max_error_gap", "final_drift", "first_breakdown_time")
        fields = (self.width_agreement, self.width_error_gap, self.width_drift, self.width_breakdown)
        frames = [
            pd.DataFrame(
                {
                    "model": name,
                    "width": self.widths.astype(int),
                    **{c: f[name] for c, f in zip(columns, fields, strict=True)},
                }
            )
            for name in self.width_agreement
        ]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["model", "width", *columns])

    def width_slopes(self) -> dict[str, dict[str, float]]:
        """Per model of the width study, least-squares slopes of log(agreement), log(max_error_gap) and
        log(final_drift) against log(width) (NaN with fewer than two widths)."""
        return {
            name: {
                "agreement": _slope(self.widths, self.width_agreement[name]),
                "max_error_gap": _slope(self.widths, self.width_error_gap[name]),
                "final_drift": _slope(self.widths, self.width_drift[name]),
            }
            for name in self.width_agreement
        }

    def summary(self) -> dict[str, Any]:
        """Headline numbers (JSON-ready): per model the rows of :meth:`summary_frame` with the breakdown
        time of each frequency (None: never); the width study and its slope; the wall time."""
        out: dict[str, Any] = {"models": {}}
        for row in self.summary_frame().to_dict("records"):
            name = row.pop("model")
            row["breakdown_time"] = {
                f"{k:g}": (float(t) if math.isfinite(t) else None)
                for k, t in zip(self.frequency, self.breakdown_time[name], strict=True)
            }
            out["models"][name] = {
                key: (None if isinstance(v, float) and not math.isfinite(v) else v) for key, v in row.items()
            }
        out["width_study"] = {
            name: {
                "widths": self.widths.astype(int).tolist(),
                "agreement": self.width_agreement[name].tolist(),
                "max_error_gap": self.width_error_gap[name].tolist(),
                "final_drift": self.width_drift[name].tolist(),
                "slopes": slopes,
            }
            for name, slopes in self.width_slopes().items()
        }
        out["wall_time_s"] = self.wall_time
        return to_jsonable(out)


def _user_models(argument: str, models: Any, kind: str) -> dict[str, Any]:
    """``models`` as a dict of names to ``kind`` ("module" or "factory"), or a clear error."""
    if not isinstance(models, Mapping) or len(models) == 0:
        expected = "nn.Module" if kind == "module" else "factories width -> nn.Module"
        fail(argument, f"a non-empty mapping from names to {expected}", models, TypeError)
    for name, value in models.items():
        if not isinstance(name, str):
            fail(argument, "names that are strings", name, TypeError)
        if kind == "module":
            check_model(f"{argument}[{name!r}]", value)
        elif isinstance(value, nn.Module) or not callable(value):
            fail(f"{argument}[{name!r}]", "a factory width -> nn.Module", type(value).__name__, TypeError)
    return dict(models)


def _as_float64(argument: str, model: Any) -> nn.Module:
    """A float64 copy of ``model`` (the comparison trains it; the caller's module stays at θ_0)."""
    return copy.deepcopy(check_model(argument, model)).to(DTYPE)


def _user_data(data: Any, settings: LinearizedSettings) -> tuple[torch.Tensor, torch.Tensor]:
    """``data`` = (x, y) as float64 (N, 1) tensors on a uniform grid with the settings' frequencies on its bins."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        fail(
            "data", "a pair (x, y) of training inputs (N, 1) and targets (N, 1)", _Described(describe(data)), TypeError
        )
    x = as_points("x", data[0], 1, dtype=DTYPE)
    y = as_points("y", data[1], dtype=DTYPE).to(x.device)
    if y.shape != (len(x), 1):
        fail("y", f"one target value per point of x, shape ({len(x)}, 1)", _Described(describe(data[1])))
    # Per-frequency errors are exact DFT bins of a uniform grid (spectra.fourier.frequency_error).
    bins_of("frequencies", settings.frequencies, grid_layout("x", x))
    return x, y


def linearized_against_training(
    settings: LinearizedSettings | None = None,
    *,
    models: Mapping[str, nn.Module] | None = None,
    width_models: Mapping[str, Callable[[int], nn.Module]] | None = None,
    data: tuple[torch.Tensor | np.ndarray, torch.Tensor | np.ndarray] | None = None,
    progress: bool = True,
) -> LinearizedComparison:
    """Run the comparison of the module docstring for every model and the width study.

    Parameters
    ----------
    settings
        :class:`LinearizedSettings` (default: the full size).
    models
        Name -> any ``nn.Module`` mapping inputs (N, 1) to outputs (N, 1), compared in place of the
        built-in ``settings.models``. Each is copied and converted to float64 (the comparison trains the
        copy; your module stays at θ_0). ``linearized_model(name, settings)`` adds a built-in one.
    width_models
        Name -> factory ``width -> nn.Module``, called at each of ``settings.widths`` for the width study
        in place of the built-in ``settings.width_models`` (copied and converted like ``models``).
    data
        (x, y): training points (N, 1) on a uniform grid and targets (N,) or (N, 1), in place of the
        built-in sum of sines; ``settings.frequencies`` must lie on the grid's DFT bins (multiples of
        1 / L for a grid of period L) up to its Nyquist frequency, and ``settings.n_train`` is unused.
    progress
        Show :func:`~spectra.training.fit`'s progress bar for each training run.
    """
    settings = LinearizedSettings() if settings is None else settings
    if not isinstance(settings, LinearizedSettings):
        fail("settings", "a LinearizedSettings", _Described(type(settings).__name__), TypeError)
    start = timer.perf_counter()
    x, y = linearized_target(settings) if data is None else _user_data(data, settings)
    if models is None:
        compared = {name: linearized_model(name, settings) for name in settings.models}
        architecture = {name: _architecture(name, settings, settings.width, settings.depth) for name in compared}
        argument = {name: f"settings.models {name!r}" for name in compared}
    else:
        user = _user_models("models", models, "module")
        compared = {name: _as_float64(f"models[{name!r}]", model) for name, model in user.items()}
        architecture = {name: f"{type(model).__name__} (your model)" for name, model in user.items()}
        argument = {name: f"models[{name!r}]" for name in compared}
    if width_models is not None and not settings.widths:
        fail("width_models", "settings.widths to run them at (the width study is off)", list(width_models))
    if width_models is None:
        factories: dict[str, Callable[[int], nn.Module]] = {
            name: (lambda w, name=name: linearized_model(name, settings, width=w, depth=settings.width_depth))
            for name in (settings.width_models if settings.widths else ())
        }
    else:
        factories = {
            name: (lambda w, name=name, factory=factory: _as_float64(f"width_models[{name!r}]", factory(w)))
            for name, factory in _user_models("width_models", width_models, "factory").items()
        }
    runs = {name: _compare(argument[name], model, x, y, settings, progress) for name, model in compared.items()}
    n_parameters = {name: count_parameters(model) for name, model in compared.items()}
    width_runs = {
        name: [_compare(f"width_models[{name!r}]", factory(w), x, y, settings, progress) for w in settings.widths]
        for name, factory in factories.items()
    }

    def per_model(key: str) -> dict[str, Any]:
        return {name: getattr(run, key) for name, run in runs.items()}

    breakdown = {name: _breakdown(run, settings) for name, run in runs.items()}
    return LinearizedComparison(
        models=list(compared),
        frequency=np.asarray(settings.frequencies, dtype=float),
        steps=next(iter(runs.values())).steps,
        time=per_model("time"),
        predicted_error=per_model("predicted_error"),
        observed_error=per_model("observed_error"),
        residual_gap=per_model("residual_gap"),
        drift=per_model("drift"),
        top_eigenvalues=per_model("top_eigenvalues"),
        breakdown_time=breakdown,
        breakdown_drift={name: _drift_at(breakdown[name], run.time, run.drift) for name, run in runs.items()},
        mode_eigenvalue=per_model("mode_eigenvalue"),
        eigenvalues=per_model("eigenvalues"),
        dominant_frequency=per_model("dominant_frequency"),
        spectral_centroid=per_model("spectral_centroid"),
        lr=per_model("lr"),
        max_stable_lr=per_model("max_stable_lr"),
        kernel_norm=per_model("kernel_norm"),
        flow_gap=per_model("flow_gap"),
        n_parameters=n_parameters,
        architecture=architecture,
        widths=np.asarray(settings.widths, dtype=float),
        width_agreement={name: np.array([r.residual_gap.max() for r in rs]) for name, rs in width_runs.items()},
        width_error_gap={name: np.array([_error_gap(r) for r in rs]) for name, rs in width_runs.items()},
        width_drift={name: np.array([r.drift[-1] for r in rs]) for name, rs in width_runs.items()},
        width_breakdown={
            name: np.array([_breakdown(r, settings).min() for r in rs]) for name, rs in width_runs.items()
        },
        settings=to_jsonable(dataclasses.asdict(settings)),
        wall_time=timer.perf_counter() - start,
        versions=library_versions(),
    )
