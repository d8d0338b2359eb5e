"""(c) The multi-layer claim: FF(rho_w) -> MLP keeps the frequency bias that rho_w sets."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from spectra.domain import uniform_grid
from spectra.frequencies import Gaussian
from spectra.models import TwoLayerFourierNet
from spectra.ntk import empirical_ntk
from spectra.plots.multilayer import plot_multilayer
from spectra.validate.multilayer import (
    MultilayerResult,
    MultilayerSettings,
    fitted_rates,
    kernel_rates,
    multilayer_frequency_bias,
)


@pytest.fixture(scope="module")
def smoke() -> MultilayerResult:
    return multilayer_frequency_bias(MultilayerSettings.smoke(), progress=False)


def test_gaussian_rho_w_learns_low_frequencies_faster_and_uniform_does_not(smoke):
    gaussian, uniform = smoke.distributions.index("gaussian"), smoke.distributions.index("uniform")
    ratio = smoke.ratio()
    # Trained network: per seed, λ(k_min)/λ(k_max) is several times larger under the Gaussian rho_w
    # (rho_w itself differs by 21x between the two frequencies) than under the uniform band.
    assert np.all(ratio[gaussian] > 2.5 * ratio[uniform])
    assert ratio[gaussian].mean() > 3.0
    assert np.all((ratio[uniform] > 0.5) & (ratio[uniform] < 2.0))
    # The initial NTK already carries the bias: the MLP's kernel inherits rho_w's shape.
    kernel = smoke.ratio("kernel_rate")
    assert np.all(kernel[gaussian] > 2.5 * kernel[uniform])
    # Rates follow rho_w, with a slope below the two-layer network's 1 (the MLP widens the profile).
    summary = smoke.summary()
    slope = summary["gaussian"]["loglog_slope"]
    assert 0.2 < slope["mean"] < 1.0
    assert summary["gaussian"]["loglog_r"]["mean"] > 0.8
    assert summary["gaussian"]["density_ratio"] == pytest.approx(math.exp((14**2 - 2**2) / (2 * (14 / 2.5) ** 2)))
    assert summary["uniform"]["density_ratio"] == 1.0
    # Time to reach the level is ordered like the rates under the Gaussian.
    assert np.all(smoke.time_to_level[gaussian, :, 0] < smoke.time_to_level[gaussian, :, -1])
    assert np.all(smoke.loss_rise <= 1.0)  # gradient descent stayed below its stability limit


def test_result_shapes_frames_and_save_load_round_trip(smoke, tmp_path):
    d, s, k = 2, len(smoke.seeds), len(smoke.frequencies)
    r = len(smoke.steps)
    assert smoke.error.shape == (d, s, r, k) and smoke.time.shape == (d, s, r)
    np.testing.assert_allclose(smoke.time, smoke.lr[..., None] * smoke.steps)
    frame = smoke.to_frame()
    assert len(frame) == d * s * k
    assert {"distribution", "seed", "frequency", "density", "rate", "kernel_rate", "time_to_level"} <= set(frame)
    curves = smoke.curves_frame()
    assert len(curves) == d * s * r * k
    row = curves.iloc[-1]
    assert row["error"] == smoke.error[-1, -1, -1, -1] and row["frequency"] == smoke.frequencies[-1]

    path = smoke.save(tmp_path / "multilayer.npz")
    loaded = MultilayerResult.load(path)
    for field in dataclasses.fields(MultilayerResult):
        value = getattr(smoke, field.name)
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(loaded, field.name), value)
    assert loaded.distributions == smoke.distributions
    assert loaded.summary() == smoke.summary()
    assert loaded.settings == smoke.settings
    assert [tmp_path / "multilayer.npz"] == list(tmp_path.iterdir())  # no temporary file left


def test_plot_has_labelled_axes(smoke):
    fig = plot_multilayer(smoke)
    assert len(fig.axes) == 3
    for ax in fig.axes:
        assert "(" in ax.get_xlabel() and "(" in ax.get_ylabel()  # units in parentheses
    assert "ξ" in fig.axes[2].get_xlabel()
    with pytest.raises(TypeError, match="result: expected a MultilayerResult"):
        plot_multilayer({"rate": 1})


def test_kernel_rates_of_a_stationary_periodic_kernel_are_its_fourier_coefficients():
    x = uniform_grid((0.0, 1.0), 32)
    z = x - x.T
    # Θ(x, x') = 3 cos(2π·2·(x - x')) + 0.5 cos(2π·5·(x - x')): rate κ(k) = c_k / 2 at k = 2, 5, else 0.
    kernel = 3 * torch.cos(2 * math.pi * 2 * z) + 0.5 * torch.cos(2 * math.pi * 5 * z)
    np.testing.assert_allclose(kernel_rates(kernel, x, np.array([2.0, 5.0, 7.0])), [1.5, 0.25, 0.0], atol=1e-12)


def test_kernel_rates_of_the_two_layer_network_are_rho_w_through_the_grid():
    # Frozen frequencies: Θ = (1/m) Σ_j cos(2π w_j (x - x')), so κ(k) = (1/2m) Σ_j |S(w_j - k)|² + |S(w_j + k)|²
    # with S(u) = (1/N) Σ_n exp(2πi u n/N): rho_w's draws seen through the grid's Fejér kernel.
    n, m = 48, 300
    model = TwoLayerFourierNet(1, m, Gaussian(4.0), train_frequencies=False, seed=3, dtype=torch.float64)
    x = uniform_grid((0.0, 1.0), n)
    rates = kernel_rates(empirical_ntk(model, x, progress=False).kernel, x, np.array([1.0, 4.0, 9.0]))
    w = model.frequencies.numpy()[:, 0]

    def fejer(u: np.ndarray) -> np.ndarray:
        return np.abs(np.exp(2j * np.pi * np.outer(u, np.arange(n)) / n).mean(axis=1)) ** 2

    expected = [(fejer(w - k) + fejer(w + k)).sum() / (2 * m) for k in (1.0, 4.0, 9.0)]
    np.testing.assert_allclose(rates, expected, rtol=1e-9)


def test_fitted_rates_recover_exponentials_and_stop_at_the_level():
    time = np.linspace(0.0, 10.0, 101)
    rates = np.array([2.0, 0.5, 0.05])
    error = np.exp(-np.outer(time, rates))
    error[:, 0] = np.maximum(error[:, 0], 1e-3)  # a plateau after the level must not bias the fit
    fitted, reached = fitted_rates(error, time, 0.1)
    np.testing.assert_allclose(fitted, rates, rtol=1e-9)
    np.testing.assert_allclose(reached[:2], np.ceil(10 * np.log(10) / rates[:2]) / 10, atol=1e-12)
    assert np.isinf(reached[2])  # never reached: fitted over the whole run


def test_too_coarse_records_warn():
    settings = dataclasses.replace(MultilayerSettings.smoke(), seeds=(0,), steps=100, record_every=25)
    with pytest.warns(RuntimeWarning, match="lower record_every"):
        multilayer_frequency_bias(settings, progress=False)


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"frequencies": (2, 5.5)}, ValueError, "frequencies: expected at least two distinct positive integers"),
        ({"frequencies": (3,)}, ValueError, "frequencies: expected at least two"),
        ({"frequencies": (0, 4)}, ValueError, "frequencies: expected"),
        ({"band_margin": 0.8}, ValueError, r"band_margin: expected a number >= 1"),
        ({"lr_fraction": 1.2}, ValueError, r"lr_fraction: expected a number in \(0, 1\)"),
        ({"lr_fraction": -0.1}, ValueError, "lr_fraction: expected a finite positive number"),
        ({"level": 1.0}, ValueError, r"level: expected a number in \(0, 1\)"),
        ({"n_points": 32}, ValueError, "n_points: expected more than 2 × band_margin × max"),
        ({"seeds": ()}, ValueError, "seeds: expected a non-empty sequence of distinct integers"),
        ({"seeds": (1, 1)}, ValueError, "seeds: expected"),
        ({"seeds": 3}, ValueError, "seeds: expected"),
        ({"activation": "gelu"}, ValueError, "activation: expected one of"),
        ({"parameterization": "mup"}, ValueError, "parameterization: expected one of"),
        ({"dtype": "float16"}, ValueError, "dtype: expected one of"),
        ({"width": 0}, ValueError, "width: expected a positive integer"),
        ({"steps": 4, "record_every": 2}, ValueError, "steps: expected at least 3 × record_every"),
        ({"tail": "wide"}, TypeError, "tail: expected a real number"),
        ({"feature_scale": 0.0}, ValueError, "feature_scale: expected a finite positive number"),
    ],
)
def test_bad_settings_are_refused_clearly(changes, error, match):
    with pytest.raises(error, match=match):
        dataclasses.replace(MultilayerSettings.smoke(), **changes)


def test_settings_profiles_and_wrong_settings_type():
    smoke, quick, full = MultilayerSettings.smoke(), MultilayerSettings.quick(), MultilayerSettings()
    assert MultilayerSettings.full() == full
    assert smoke.n_features < quick.n_features < full.n_features and len(smoke.seeds) < len(full.seeds)
    assert MultilayerSettings(frequencies=(9, 3)).frequencies == (3, 9)  # sorted: k_min first
    with pytest.raises(TypeError, match="settings: expected a MultilayerSettings"):
        multilayer_frequency_bias({"steps": 10}, progress=False)
