"""(c) The multi-layer claim: does FF(rho_w) -> MLP inherit the frequency bias set by rho_w?

Two-layer theory (docs/theory.rst, "The frequency PDE"): for f(x) = m^(-1/2) Σ_j [a_j cos(2π w_j·x) +
b_j sin(2π w_j·x)], w_j ~ rho_w, trained by gradient descent on the mean loss (1/2N) Σ (f - g)² on
uniform data of density c, the error at frequency xi decays at the rate c·rho_w(xi); in the lazy
limit u_hat(xi, t) = u_hat(xi, 0) exp(-c rho_w(xi) t), t = lr × steps. A Gaussian rho_w learns low
frequencies much faster than high ones; a uniform rho_w on a band covering the target's spectrum
learns them at about one rate. The claim tested here: the same holds when an MLP sits on top of
the features, f = MLP(γ(x)), γ = :class:`~spectra.models.FourierFeatures` drawn from rho_w.

Experiment (:func:`multilayer_frequency_bias`), per seed and per rho_w:

- target: g(x) = Σ_k sin(2π k x + 2π φ_k) on the periodic grid of ``n_points`` points of [0, 1),
  equal amplitudes, integer frequencies k (cycles per unit length, on the DFT bins), phases φ_k ~ U(0, 1)
  drawn from the seed (Rahaman et al.'s construction, :func:`spectra.targets.rahaman`);
- the two rho_w are matched: the same number m of features, the same MLP (same initial weights
  for one seed), the same data. The uniform rho_w is the band [-B, B] with B = ``band_margin`` ×
  k_max, which covers the whole target spectrum with a margin; the Gaussian N(0, s²) has
  s = k_max / ``tail``, so the highest target frequency sits ``tail`` standard deviations out, in its
  tail. With the defaults (k_max = 14, tail 2.5, margin 1.25) rho_w(k_min) / rho_w(k_max) is 21.4
  for the Gaussian and 1 for the uniform band;
- full-batch gradient descent (``optimizer="sgd"``) on the mean loss, learning rate
  lr = ``lr_fraction`` × 2N / λ_max, λ_max the largest eigenvalue of the empirical NTK at
  initialisation (:func:`spectra.ntk.max_stable_lr`, the linearised dynamics' stability limit);
- Xu's relative error Δ(k, t) = ``|r_hat(k, t)|`` / ``|g_hat(k)|`` at every target frequency
  (:class:`~spectra.fourier.FourierErrorRecorder`), and from it per frequency:
  the decay rate λ(k) of Δ ≈ C exp(-λ t) (:func:`~spectra.fourier.decay_rates`), fitted from t = 0
  until Δ first reaches ``level`` (the first decade of decay with the default 0.1: later the slow
  frequencies' residual leaks into the fast ones and every curve decays at the slowest rate), and
  the time to reach ``level`` (:func:`~spectra.fourier.time_to_threshold`);
- the kernel's rate at initialisation, κ(k) = e_kᴴ Θ_0 e_k / N², e_k(x_j) = exp(2πi k x_j): the rate
  the linearised dynamics ∂_t r = -(1/N) Θ_0 r give to frequency k (exact when Θ_0 is stationary and
  periodic on the grid). It separates what the MLP's kernel does to the bias from what training
  away from the kernel regime does.

Headline numbers (:meth:`MultilayerResult.summary`): per rho_w the ratio λ(k_min) / λ(k_max), mean ±
spread over seeds (large for the Gaussian, near 1 for the uniform band if the claim holds), and the
slope of log λ(k) against log rho_w(k) over the target frequencies (1 for the two-layer network in
the lazy limit; for the Gaussian alone, and pooled over both rho_w).

What the MLP changes, in the kernel regime: its NTK is a function F of the feature kernel
k(x - x') = ∫ cos(2π w·(x - x')) rho_w(w) dw, and F(k) = Σ_n c_n k^n with c_n >= 0 gives the rate
profile Σ_n c_n ``rho_w^(*n)`` (n-fold self-convolutions): the n = 1 term is the two-layer profile, the
others are wider. The bias survives with a slope below 1, and a uniform band gains a mild
preference for low frequencies. Deeper MLPs weigh the wide terms more.

Your own network and data: ``network(encoder, seed)`` builds any ``nn.Module`` on top of the features
drawn from rho_w in place of the MLP, and ``data`` = (x, y) replaces the sum of sines (the same data
for every seed); the rest of the experiment is unchanged.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from spectra._validation import (
    _Described,
    as_points,
    check_choice,
    check_model,
    check_positive_float,
    check_positive_int,
    describe,
    fail,
)
from spectra.domain import uniform_grid
from spectra.fourier import FourierErrorRecorder, decay_rates, error_dynamics, time_to_threshold
from spectra.frequencies import FrequencyDistribution, Gaussian, Uniform
from spectra.models import FourierFeatureMLP, FourierFeatures
from spectra.models.layers import ACTIVATIONS, PARAMETERIZATIONS
from spectra.ntk import empirical_ntk, max_stable_lr
from spectra.results import Result, library_versions, spread, to_jsonable
from spectra.seeding import Seed, make_generator, numpy_rng
from spectra.targets import SumOfSines
from spectra.training import fit

DISTRIBUTIONS = ("gaussian", "uniform")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
MIN_FIT_RECORDS = 3  # a rate fitted on fewer records is a difference quotient, not a fit
LOSS_RISE_TOLERANCE = 1.1  # gradient descent below the stability limit never raises the loss by more


@dataclass(frozen=True)
class MultilayerSettings:
    """Settings of :func:`multilayer_frequency_bias` (module docstring for the experiment).

    The default is the "full" size (about a minute on an idle core, a few under load); :meth:`quick` (under ~40 s) and
    :meth:`smoke` (seconds) are the report's smaller profiles.

    Attributes
    ----------
    frequencies
        Target frequencies k (positive integers, cycles per unit length on [0, 1)), all with amplitude 1.
    n_points
        N, points of the periodic training grid on [0, 1); 2 × band_margin × k_max must stay below N
        so that no feature frequency aliases.
    n_features
        m, frequencies drawn from rho_w (the encoder has 2m outputs: cos and sin).
    feature_scale
        Amplitude a of every feature, γ(x) = [a cos(2π x Bᵀ), a sin(2π x Bᵀ)] (1: Tancik's mapping). It sets
        the first layer's pre-activation scale against its bias, hence the shape of the MLP's kernel.
    width, depth, activation, parameterization
        The MLP on top of the features (:class:`~spectra.models.MLP`). The NTK parameterisation
        (default) keeps training close to the kernel regime at these widths; in the standard one the
        kernel grows during training and lr_fraction must be about 0.1 to avoid catapults.
    tail
        Gaussian std s = k_max / tail: the highest target frequency lies ``tail`` stds out.
    band_margin
        Uniform band [-B, B] with B = band_margin × k_max (>= 1: the band covers the target spectrum).
    lr_fraction
        lr = lr_fraction × 2N / λ_max(Θ_0), in (0, 1).
    steps, record_every
        Gradient-descent steps and the steps between recorded errors (the fastest frequency must
        stay above ``level`` for a few records for its rate to be fitted).
    level
        Errors are fitted from t = 0 until they reach ``level``; also the level of the reported times.
    seeds
        One run per seed and rho_w (phases, features and MLP weights drawn from it).
    dtype
        "float64" (default) or "float32".
    """

    frequencies: tuple[int, ...] = (2, 5, 8, 11, 14)
    n_points: int = 128
    n_features: int = 256
    feature_scale: float = 1.0
    width: int = 256
    depth: int = 2
    activation: str = "relu"
    parameterization: str = "ntk"
    tail: float = 2.5
    band_margin: float = 1.25
    lr_fraction: float = 0.5
    steps: int = 400
    record_every: int = 1
    level: float = 0.1
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    dtype: str = "float64"

    def __post_init__(self) -> None:
        frequencies = np.asarray(self.frequencies)
        if (
            frequencies.ndim != 1
            or len(frequencies) < 2
            or not np.issubdtype(frequencies.dtype, np.number)
            or np.any(frequencies != np.round(frequencies))
            or np.any(frequencies <= 0)
            or len(np.unique(frequencies)) != len(frequencies)
        ):
            fail(
                "frequencies",
                "at least two distinct positive integers (cycles per unit length on [0, 1))",
                self.frequencies,
            )
        object.__setattr__(self, "frequencies", tuple(sorted(int(k) for k in frequencies)))
        for name in ("n_points", "n_features", "width", "depth", "steps", "record_every"):
            object.__setattr__(self, name, check_positive_int(name, getattr(self, name)))
        check_choice("activation", self.activation, ACTIVATIONS)
        check_choice("parameterization", self.parameterization, PARAMETERIZATIONS)
        check_choice("dtype", self.dtype, DTYPES)
        object.__setattr__(self, "tail", check_positive_float("tail", self.tail))
        object.__setattr__(self, "feature_scale", check_positive_float("feature_scale", self.feature_scale))
        margin = check_positive_float("band_margin", self.band_margin)
        if margin < 1:
            fail("band_margin", "a number >= 1 (the uniform band must cover the target's frequencies)", margin)
        object.__setattr__(self, "band_margin", margin)
        for name in ("lr_fraction", "level"):
            value = check_positive_float(name, getattr(self, name))
            if value >= 1:
                fail(name, "a number in (0, 1)", value)
            object.__setattr__(self, name, value)
        band = margin * self.frequencies[-1]
        if 2 * band >= self.n_points:
            fail(
                "n_points",
                f"more than 2 × band_margin × max(frequencies) = {2 * band:g} points (features below Nyquist)",
                self.n_points,
            )
        if self.steps < MIN_FIT_RECORDS * self.record_every:
            fail(
                "steps",
                f"at least {MIN_FIT_RECORDS} × record_every = {MIN_FIT_RECORDS * self.record_every}",
                self.steps,
            )
        seeds = tuple(self.seeds) if isinstance(self.seeds, (tuple, list)) else None
        if (
            not seeds
            or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in seeds)
            or len(set(seeds)) != len(seeds)
        ):
            fail("seeds", "a non-empty sequence of distinct integers", self.seeds)
        object.__setattr__(self, "seeds", tuple(int(s) for s in seeds))

    @classmethod
    def full(cls) -> MultilayerSettings:
        """The default size: m = 256 features, a 2 × 256 MLP, 5 seeds (about a minute on an idle core)."""
        return cls()

    @classmethod
    def quick(cls) -> MultilayerSettings:
        """m = 128, a 2 × 128 MLP, 3 seeds, 300 steps: under ~40 s on one core."""
        return cls(n_features=128, width=128, steps=300, seeds=(0, 1, 2))

    @classmethod
    def smoke(cls) -> MultilayerSettings:
        """m = 64, a 2 × 64 MLP on 64 points, 2 seeds, 200 steps: a few seconds."""
        return cls(n_points=64, n_features=64, width=64, steps=200, record_every=2, seeds=(0, 1))


def frequency_distributions(settings: MultilayerSettings) -> dict[str, FrequencyDistribution]:
    """The matched pair: Gaussian N(0, (k_max / tail)²) and uniform on [-band_margin k_max, band_margin k_max]."""
    k_max = settings.frequencies[-1]
    return {"gaussian": Gaussian(k_max / settings.tail), "uniform": Uniform.band(settings.band_margin * k_max)}


def multilayer_target(settings: MultilayerSettings, seed: Seed) -> SumOfSines:
    """g(x) = Σ_k sin(2π k x + 2π φ_k) on [0, 1), φ_k ~ U(0, 1) from ``seed``."""
    phases = numpy_rng(seed).uniform(0.0, 1.0, len(settings.frequencies))
    return SumOfSines(np.asarray(settings.frequencies, dtype=float), 1.0, phases, domain=(0.0, 1.0))


def kernel_rates(kernel: torch.Tensor, x: torch.Tensor, frequencies: np.ndarray) -> np.ndarray:
    """κ(k) = e_kᴴ Θ e_k / N² with e_k(x_j) = exp(2πi k·x_j): the linearised decay rate of frequency k.

    Under ∂_t r = -(1/N) Θ r (mean loss, t = lr × steps) a residual e_k decays at κ(k) when e_k is an
    eigenvector of Θ (a stationary kernel, periodic on the grid); otherwise κ(k) is its initial rate.
    ``kernel`` (N, N), ``x`` (N, d), ``frequencies`` (K, d) or (K,); returns (K,).
    """
    n = len(x)
    k = torch.as_tensor(np.asarray(frequencies, dtype=float).reshape(len(frequencies), -1), device=x.device)
    modes = torch.exp(2j * math.pi * (x.to(torch.float64) @ k.T))  # (N, K)
    quadratic = (modes.conj() * (kernel.to(modes.dtype) @ modes)).sum(dim=0).real
    return (quadratic / n**2).cpu().numpy()


def fitted_rates(error: np.ndarray, time: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-frequency decay rates of ``error`` (R, K) over time (R,), each fitted from the start until it
    first reaches ``level`` (at least the first :data:`MIN_FIT_RECORDS` records; the whole run if never),
    and the times to reach ``level`` (``inf``: never). Returns (rates (K,), times (K,))."""
    reached = time_to_threshold(error, time, level)
    shortest = time[MIN_FIT_RECORDS - 1]
    ends = np.where(np.isfinite(reached), np.maximum(reached, shortest), time[-1])
    rates = np.array(
        [decay_rates(error[:, j], time, t_range=(time[0], end))[0] for j, end in enumerate(ends)], dtype=float
    )
    return rates, reached


@dataclass
class _Run:
    lr: float
    steps: np.ndarray  # (R,)
    error: np.ndarray  # (R, K)
    time: np.ndarray  # (R,)
    rate: np.ndarray  # (K,)
    kernel_rate: np.ndarray  # (K,)
    time_to_level: np.ndarray  # (K,)
    loss_rise: float


Network = Callable[[FourierFeatures, int], nn.Module]


def mlp_network(settings: MultilayerSettings) -> Network:
    """The built-in network: ``(encoder, seed) -> FourierFeatureMLP`` with the settings' MLP on top."""

    def build(encoder: FourierFeatures, seed: int) -> nn.Module:
        return FourierFeatureMLP(
            encoder,
            1,
            settings.width,
            settings.depth,
            activation=settings.activation,
            parameterization=settings.parameterization,
            seed=seed,
            dtype=DTYPES[settings.dtype],
        )

    return build


def _train(
    settings: MultilayerSettings,
    rho_w: FrequencyDistribution,
    seed: int,
    device: torch.device | str | None,
    network: Network,
    data: tuple[torch.Tensor, torch.Tensor] | None,
) -> _Run:
    dtype = DTYPES[settings.dtype]
    # Separate streams for phases, features and weights: the MLP starts from the same weights under both
    # rho_w, and no draw of the features is reused as a weight.
    phase_seed, feature_seed, model_seed = torch.randint(0, 2**62, (3,), generator=make_generator(seed)).tolist()
    if data is None:
        target = multilayer_target(settings, phase_seed)
        x = uniform_grid(target.domain, settings.n_points, dtype=dtype)
        x = x if device is None else x.to(device)
        y = target(x)
    else:
        x, y = (t if device is None else t.to(device) for t in data)
    encoder = FourierFeatures(
        rho_w.sample(settings.n_features, feature_seed),
        torch.full((settings.n_features,), settings.feature_scale, dtype=torch.float64),
    )
    model = check_model("network", network(encoder, model_seed)).to(x.device)
    kernel = empirical_ntk(model, x, progress=False).kernel
    lr = settings.lr_fraction * max_stable_lr(kernel)
    frequencies = np.asarray(settings.frequencies, dtype=float)
    history = fit(
        model,
        x,
        y,
        optimizer="sgd",
        lr=lr,
        steps=settings.steps,
        record_every=settings.record_every,
        recorders=[FourierErrorRecorder(frequencies, residual_spectrum=False)],
        progress=False,
    )
    dynamics = error_dynamics(history)
    rate, reached = fitted_rates(dynamics.relative_error, dynamics.time, settings.level)
    return _Run(
        lr=lr,
        steps=dynamics.steps,
        error=dynamics.relative_error,
        time=dynamics.time,
        rate=rate,
        kernel_rate=kernel_rates(kernel, x, frequencies),
        time_to_level=reached,
        loss_rise=float(np.max(history.loss[1:] / history.loss[:-1])),
    )


def _user_data(data: object, settings: MultilayerSettings) -> tuple[torch.Tensor, torch.Tensor]:
    """``data`` = (x, y) as (N, 1) tensors in the settings' dtype (rho_w and the features are 1-D)."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        expected = "a pair (x, y) of training inputs (N, 1) and targets (N, 1)"
        fail("data", expected, _Described(describe(data)), TypeError)
    dtype = DTYPES[settings.dtype]
    x = as_points("x", data[0], 1, dtype=dtype)
    y = as_points("y", data[1], dtype=dtype).to(x.device)
    if y.shape != (len(x), 1):
        fail("y", f"one target value per point of x, shape ({len(x)}, 1)", _Described(describe(data[1])))
    return x, y


def multilayer_frequency_bias(
    settings: MultilayerSettings | None = None,
    *,
    network: Network | None = None,
    data: tuple[torch.Tensor | np.ndarray, torch.Tensor | np.ndarray] | None = None,
    progress: bool = True,
    device: torch.device | str | None = None,
) -> MultilayerResult:
    """Train FF(rho_w) -> network with Gaussian and uniform rho_w on every seed (module docstring).

    Parameters
    ----------
    settings
        :class:`MultilayerSettings` (default: the full size).
    network
        ``network(encoder, seed)`` returns the model to train: any ``nn.Module`` mapping inputs (N, 1) to
        outputs (N, 1) through ``encoder``, the :class:`~spectra.models.FourierFeatures` drawn from rho_w
        (the claim under test is about what sits on top of it), with weights drawn from ``seed`` (the
        same seed under both rho_w, so that the two runs differ only by their features). It trains in
        its own dtype. Default ``mlp_network``: the settings' MLP.
    data
        (x, y): training inputs (N, 1) and targets (N,) or (N, 1), the same for every seed, in place of
        the sum of sines with per-seed phases; ``settings.frequencies`` are where the errors are measured
        (the target must have a non-zero coefficient there; on a non-uniform x the coefficients are
        non-uniform DFTs) and ``settings.n_points`` is unused.
    progress, device
        A progress bar over the runs; where to train (default: where the data are).

    Returns
    -------
    MultilayerResult
        Errors, fitted rates and kernel rates per rho_w, seed and frequency.

    Warns
    -----
    RuntimeWarning
        When a run's loss rose between records by more than 10% (training above the stability limit:
        lower ``lr_fraction``) or when a frequency reached ``level`` before the third record (its rate
        is then underestimated: lower ``record_every``).
    """
    settings = MultilayerSettings() if settings is None else settings
    if not isinstance(settings, MultilayerSettings):
        fail("settings", "a MultilayerSettings", _Described(type(settings).__name__), TypeError)
    if network is not None and (isinstance(network, nn.Module) or not callable(network)):
        fail("network", "a factory (encoder, seed) -> nn.Module", type(network).__name__, TypeError)
    network = mlp_network(settings) if network is None else network
    user_data = None if data is None else _user_data(data, settings)
    distributions = frequency_distributions(settings)
    runs: dict[tuple[str, int], _Run] = {}
    jobs = [(name, seed) for seed in settings.seeds for name in DISTRIBUTIONS]
    for name, seed in tqdm(jobs, disable=not progress, desc="FF(rho_w) -> MLP"):
        runs[name, seed] = _train(settings, distributions[name], seed, device, network, user_data)

    def stack(key: str) -> np.ndarray:
        return np.array([[getattr(runs[name, seed], key) for seed in settings.seeds] for name in DISTRIBUTIONS])

    frequencies = np.asarray(settings.frequencies, dtype=float)
    result = MultilayerResult(
        frequencies=frequencies,
        distributions=list(DISTRIBUTIONS),
        density=np.array([distributions[name].density(frequencies) for name in DISTRIBUTIONS]),
        seeds=np.asarray(settings.seeds, dtype=np.int64),
        steps=runs[jobs[0]].steps,
        lr=stack("lr"),
        time=stack("time"),
        error=stack("error"),
        rate=stack("rate"),
        kernel_rate=stack("kernel_rate"),
        time_to_level=stack("time_to_level"),
        loss_rise=stack("loss_rise"),
        settings=to_jsonable(dataclasses.asdict(settings)),
        versions=library_versions(),
    )
    _warn_about(result)
    return result


def _warn_about(result: MultilayerResult) -> None:
    rising = result.loss_rise > LOSS_RISE_TOLERANCE
    if rising.any():
        warnings.warn(
            f"the loss rose by up to {result.loss_rise.max():.3g}x between records in {int(rising.sum())} run(s): "
            "training left the stable regime; lower lr_fraction",
            RuntimeWarning,
            stacklevel=3,
        )
    early = result.time_to_level < result.time[..., MIN_FIT_RECORDS - 1, None]
    if early.any():
        warnings.warn(
            f"{int(early.sum())} error curve(s) reached level {result.settings['level']} before record "
            f"{MIN_FIT_RECORDS - 1}: their rates are underestimated; lower record_every",
            RuntimeWarning,
            stacklevel=3,
        )


def _loglog_fit(log_density: np.ndarray, log_rate: np.ndarray) -> tuple[float, float]:
    """Least-squares slope of log_rate against log_density, and their Pearson correlation."""
    slope = np.polyfit(log_density, log_rate, 1)[0]
    return float(slope), float(np.corrcoef(log_density, log_rate)[0, 1])


@dataclass
class MultilayerResult(Result):
    """Per-frequency decay of FF(rho_w) -> MLP under each rho_w (module docstring).

    Axes: D distributions (``distributions``, "gaussian" then "uniform"), S seeds, R records, K target
    frequencies (ascending). Arrays: ``frequencies`` (K,) cycles per unit length; ``density`` (D, K)
    rho_w(k); ``seeds`` (S,); ``steps`` (R,); ``lr`` (D, S); ``time`` (D, S, R) = lr × steps;
    ``error`` (D, S, R, K) Xu's relative error ``|r_hat(k)|`` / ``|g_hat(k)|``; ``rate`` (D, S, K) fitted
    decay rates and ``kernel_rate`` (D, S, K) the initial NTK's rates κ(k), both per unit of t;
    ``time_to_level`` (D, S, K) first t with error <= settings["level"] (inf: never); ``loss_rise``
    (D, S) the largest ratio of consecutive recorded losses (<= 1: monotone training).
    """

    frequencies: np.ndarray = Result.array_field(("K",))
    distributions: list[str]
    density: np.ndarray = Result.array_field(("D", "K"))
    seeds: np.ndarray = Result.array_field(("S",), "int")
    steps: np.ndarray = Result.array_field(("R",), "int")
    lr: np.ndarray = Result.array_field(("D", "S"))
    time: np.ndarray = Result.array_field(("D", "S", "R"))
    error: np.ndarray = Result.array_field(("D", "S", "R", "K"))
    rate: np.ndarray = Result.array_field(("D", "S", "K"))
    kernel_rate: np.ndarray = Result.array_field(("D", "S", "K"))
    time_to_level: np.ndarray = Result.array_field(("D", "S", "K"))
    loss_rise: np.ndarray = Result.array_field(("D", "S"))
    settings: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    def rho_w(self) -> dict[str, FrequencyDistribution]:
        """The frequency distributions of the run, rebuilt from ``settings``."""
        return frequency_distributions(MultilayerSettings(**self.settings))

    def ratio(self, kind: str = "rate") -> np.ndarray:
        """(D, S): rate at the lowest target frequency over rate at the highest (``kind`` "rate" or "kernel_rate")."""
        values = getattr(self, check_choice("kind", kind, ("rate", "kernel_rate")))
        return values[..., 0] / values[..., -1]

    def loglog_slopes(self, kind: str = "rate") -> dict[str, dict[str, np.ndarray]]:
        """Slope and correlation of log rate against log rho_w(k) per seed: ``{"slope": (S,), "r": (S,)}``
        for every rho_w whose density varies over the target frequencies, and ``"pooled"`` over all rho_w.

        The two-layer network in the lazy limit has slope 1 and r = 1. Seeds with a non-positive rate
        (an error that did not decay) are left out with a warning.
        """
        values = getattr(self, check_choice("kind", kind, ("rate", "kernel_rate")))
        groups = {name: [i] for i, name in enumerate(self.distributions) if np.ptp(np.log(self.density[i])) > 1e-12}
        groups["pooled"] = list(range(len(self.distributions)))
        out: dict[str, dict[str, np.ndarray]] = {}
        for group, rows in groups.items():
            fits = []
            for s in range(len(self.seeds)):
                rates = values[rows, s].reshape(-1)
                if np.any(rates <= 0):
                    warnings.warn(
                        f"{group}, seed {self.seeds[s]}: a non-positive rate, left out of the slope", stacklevel=2
                    )
                    continue
                fits.append(_loglog_fit(np.log(self.density[rows].reshape(-1)), np.log(rates)))
            if fits:
                out[group] = {"slope": np.array([f[0] for f in fits]), "r": np.array([f[1] for f in fits])}
        return out

    def summary(self) -> dict[str, Any]:
        """The headline numbers (JSON-ready), each as mean, std over seeds (ddof 1) and the per-seed values.

        Per rho_w: ``ratio`` λ(k_min)/λ(k_max) of the trained network, ``kernel_ratio`` the same for the
        initial NTK's rates, ``density_ratio`` rho_w(k_min)/rho_w(k_max) (the two-layer lazy prediction),
        and where rho_w varies ``loglog_slope`` / ``loglog_r``; then ``pooled`` slope and correlation, and
        ``gaussian_over_uniform``, the per-seed quotient of the two ratios.
        """
        ratio, kernel_ratio = self.ratio("rate"), self.ratio("kernel_rate")
        slopes = self.loglog_slopes("rate")
        kernel_slopes = self.loglog_slopes("kernel_rate")
        out: dict[str, Any] = {}
        for i, name in enumerate(self.distributions):
            entry = {
                "ratio": spread(ratio[i]),
                "kernel_ratio": spread(kernel_ratio[i]),
                "density_ratio": float(self.density[i, 0] / self.density[i, -1]),
            }
            if name in slopes:
                entry["loglog_slope"] = spread(slopes[name]["slope"])
                entry["loglog_r"] = spread(slopes[name]["r"])
            if name in kernel_slopes:
                entry["kernel_loglog_slope"] = spread(kernel_slopes[name]["slope"])
            out[name] = entry
        if "pooled" in slopes:
            out["pooled"] = {
                "loglog_slope": spread(slopes["pooled"]["slope"]),
                "loglog_r": spread(slopes["pooled"]["r"]),
            }
        gaussian, uniform = self.distributions.index("gaussian"), self.distributions.index("uniform")
        out["gaussian_over_uniform"] = spread(ratio[gaussian] / ratio[uniform])
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per (distribution, seed, frequency): density, lr, rate, kernel_rate, time_to_level."""
        d, s, k = self.rate.shape
        return pd.DataFrame(
            {
                "distribution": np.repeat(self.distributions, s * k),
                "seed": np.tile(np.repeat(self.seeds, k), d),
                "frequency": np.tile(self.frequencies, d * s),
                "density": np.repeat(self.density, s, axis=0).reshape(-1),
                "lr": np.repeat(self.lr.reshape(-1), k),
                "rate": self.rate.reshape(-1),
                "kernel_rate": self.kernel_rate.reshape(-1),
                "time_to_level": self.time_to_level.reshape(-1),
            }
        )

    def curves_frame(self) -> pd.DataFrame:
        """The error curves, one row per (distribution, seed, record, frequency): step, time, error."""
        d, s, r, k = self.error.shape
        return pd.DataFrame(
            {
                "distribution": np.repeat(self.distributions, s * r * k),
                "seed": np.tile(np.repeat(self.seeds, r * k), d),
                "step": np.tile(np.repeat(self.steps, k), d * s),
                "time": np.repeat(self.time.reshape(-1), k),
                "frequency": np.tile(self.frequencies, d * s * r),
                "error": self.error.reshape(-1),
            }
        )

    def summary_frame(self) -> pd.DataFrame:
        """One row per distribution: the ratios and slopes of :meth:`summary` as mean and std."""
        summary = self.summary()
        rows = []
        for name in self.distributions:
            entry = summary[name]
            row = {"distribution": name, "density_ratio": entry["density_ratio"]}
            for key in ("ratio", "kernel_ratio", "loglog_slope", "loglog_r"):
                if key in entry:
                    row[f"{key}_mean"], row[f"{key}_std"] = entry[key]["mean"], entry[key]["std"]
            rows.append(row)
        return pd.DataFrame(rows)
