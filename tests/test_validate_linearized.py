"""(b) Linearised NTK dynamics against training: lazy agreement, drift, breakdown, independent recomputations."""

import dataclasses
import json
import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from spectra.ntk import empirical_ntk
from spectra.plots.linearized import (
    plot_linearized_drift,
    plot_linearized_errors,
    plot_linearized_spectra,
    plot_linearized_widths,
)
from spectra.validate.linearized import (
    LinearizedComparison,
    LinearizedSettings,
    breakdown_times,
    linearized_against_training,
    linearized_model,
    linearized_target,
)

SMALL = {
    "frequencies": (1.0, 2.0, 4.0),
    "n_train": 32,
    "depth": 1,
    "ff_features": 16,
    "steps": 200,
    "record_every": 10,
    "n_eigenvalues": 5,
}
# The lazy regime: a wide NTK-parameterised FF-MLP at a quarter of the largest stable step, with a width
# study below it. The kernel regime is a statement about width, so the width study is part of the check.
LAZY = LinearizedSettings(
    **SMALL, models=("FF-MLP",), width=2048, lr_fraction=0.25, widths=(64, 256), width_models=("FF-MLP",)
)
# Out of it: narrow networks at 0.9 of the largest stable step.
NARROW = LinearizedSettings(**SMALL, models=("MLP", "RepNet"), width=16, lr_fraction=0.9, widths=())


@pytest.fixture(scope="module")
def lazy() -> LinearizedComparison:
    return linearized_against_training(LAZY, progress=False)


@pytest.fixture(scope="module")
def narrow() -> LinearizedComparison:
    return linearized_against_training(NARROW, progress=False)


def error_gap(result: LinearizedComparison, name: str) -> float:
    return float(np.abs(result.observed_error[name] - result.predicted_error[name]).max())


def test_wide_network_follows_its_linearisation_per_frequency(lazy):
    """Tolerance 0.005 (0.5% of each line's amplitude, a quarter of the breakdown rule's atol). It is tight
    enough to tell the exact gradient-descent prediction from gradient flow (which differs by flow_gap > 0.005
    here, so a prediction of the wrong kind fails), and the gap must fall with width as the kernel regime says."""
    name = "FF-MLP"
    assert error_gap(lazy, name) < 0.005
    assert lazy.agreement(name) < 0.005
    assert lazy.flow_gap[name] > 0.005
    assert np.all(np.isinf(lazy.breakdown_time[name])) and np.all(np.isnan(lazy.breakdown_drift[name]))
    np.testing.assert_array_equal(lazy.observed_error[name][0], lazy.predicted_error[name][0])  # same θ_0
    sharpness = lazy.lr[name] * lazy.top_eigenvalues[name][:, 0] / LAZY.n_train  # NTKRecorder against max_stable_lr
    assert sharpness[0] == pytest.approx(2 * LAZY.lr_fraction, rel=1e-9) and sharpness.max() < 1
    assert np.all(lazy.observed_error[name][-1] < 0.01)  # the comparison covers the whole learning
    # Width: 64 -> 256 -> 2048, each step at least halves the per-frequency gap (1/√width would give 2 and 2.8).
    gaps = [*lazy.width_error_gap[name], error_gap(lazy, name)]
    assert gaps[0] > 2 * gaps[1] > 4 * gaps[2], gaps
    # Drift is small in the lazy regime and an order of magnitude larger for the narrow network.
    assert lazy.drift[name][-1] < 0.01
    assert lazy.width_drift[name][0] > 10 * lazy.drift[name][-1]
    assert lazy.width_slopes()[name]["final_drift"] < -0.5


def test_narrow_networks_at_a_large_step_break_down_where_the_kernel_drifts(lazy, narrow):
    for name in narrow.models:
        times, drifts = narrow.breakdown_time[name], narrow.breakdown_drift[name]
        assert np.isfinite(times[0]), name  # the lowest frequency carries most of the residual
        broken = np.isfinite(times)
        assert np.all(drifts[broken] > 10 * lazy.drift["FF-MLP"][-1]), (name, drifts)
        record = np.searchsorted(narrow.time[name], times[0])
        assert drifts[0] == narrow.drift[name][record]
        gap = np.abs(narrow.observed_error[name] - narrow.predicted_error[name])[record, 0]
        assert gap > NARROW.atol + NARROW.rtol * narrow.predicted_error[name][record, 0]
        assert narrow.summary_frame().set_index("model").loc[name, "first_breakdown_time"] == times.min()
    # Spectral bias in the ReLU MLP's kernel: its rate κ_k at a frequency falls steeply with k.
    kappa = narrow.mode_eigenvalue["MLP"]
    assert np.all(np.diff(kappa) < 0) and kappa[0] > 10 * kappa[-1]


def test_prediction_and_observation_match_independent_recomputations(lazy, narrow):
    """The predicted errors from an explicit linear gradient-descent iteration with the Jacobian-contraction
    kernel, the observed ones from a plain torch training loop, both read off with numpy's FFT."""
    x, y = linearized_target(NARROW)
    n = len(x)
    bins = np.rint(np.asarray(NARROW.frequencies)).astype(int)  # [0, 1): frequency k is DFT bin k
    y_hat = np.fft.fft(y.numpy()[:, 0])[bins]

    def errors(values: torch.Tensor) -> np.ndarray:
        return np.abs(np.fft.fft(values.detach().numpy()[:, 0] - y.numpy()[:, 0])[bins]) / np.abs(y_hat)

    model = linearized_model("MLP", NARROW)
    kernel = empirical_ntk(model, x, method="jacobian", progress=False).kernel
    top = float(torch.linalg.eigvalsh(kernel)[-1])
    lr = NARROW.lr_fraction * 2 * n / top
    assert narrow.lr["MLP"] == pytest.approx(lr, rel=1e-10)
    with torch.no_grad():
        f_linear = model(x)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for step in range(NARROW.steps + 1):
        if step % NARROW.record_every == 0:
            record = step // NARROW.record_every
            with torch.no_grad():
                observed = errors(model(x))
            np.testing.assert_allclose(narrow.predicted_error["MLP"][record], errors(f_linear), rtol=1e-8, atol=1e-10)
            np.testing.assert_allclose(narrow.observed_error["MLP"][record], observed, rtol=1e-7, atol=1e-9)
        f_linear = f_linear - lr / n * kernel @ (f_linear - y)
        optimizer.zero_grad()
        (0.5 * ((model(x) - y) ** 2).mean()).backward()
        optimizer.step()
    # κ_k = e_kᴴ Θ_0 e_k with e_k = exp(2πi k x) / √N, through the FFT of the kernel on both sides.
    theta = empirical_ntk(linearized_model("FF-MLP", LAZY), x, progress=False).kernel.numpy()
    both_sides = np.fft.ifft(np.fft.fft(theta, axis=0), axis=1)  # (1/N) Σ_jl e^{-2πik x_j} Θ_jl e^{2πim x_l}
    np.testing.assert_allclose(lazy.mode_eigenvalue["FF-MLP"], both_sides[bins, bins].real, rtol=1e-10)


def test_breakdown_rule_on_known_curves():
    time = np.array([0.0, 1.0, 2.0, 3.0])
    predicted = np.array([[1.0, 1.0, 0.5], [0.5, 0.5, 0.1], [0.2, 0.2, 0.01], [0.1, 0.1, 0.001]])
    observed = predicted.copy()
    observed[2, 0] = 0.2 + 0.02 + 0.1 * 0.2 + 1e-9  # just above atol + rtol · predicted
    observed[1, 1] = 0.5 + 0.02 + 0.1 * 0.5 - 1e-9  # just below
    observed[3, 2] = 0.0205  # a factor 20 off, but within atol once learned: ignored
    np.testing.assert_array_equal(breakdown_times(time, observed, predicted), [2.0, np.inf, np.inf])
    np.testing.assert_array_equal(breakdown_times(time, observed, predicted, atol=0.0, rtol=0.0), [2.0, 1.0, 3.0])
    with pytest.raises(ValueError, match="time: expected a non-empty, finite, strictly increasing"):
        breakdown_times(time[::-1], observed, predicted)
    with pytest.raises(ValueError, match=r"observed: expected an array \(R, K\) with one row per time \(R = 4\)"):
        breakdown_times(time, observed[:3], predicted)
    with pytest.raises(ValueError, match="predicted: expected finite non-negative errors"):
        breakdown_times(time, observed, -predicted)
    with pytest.raises(ValueError, match="predicted: expected the shape of observed"):
        breakdown_times(time, observed, predicted[:, :2])
    with pytest.raises(ValueError, match="atol: expected a finite non-negative number"):
        breakdown_times(time, observed, predicted, atol=-1.0)


def test_result_saves_frames_and_plots(lazy, narrow, tmp_path):
    loaded = LinearizedComparison.load(lazy.save(tmp_path / "lazy.npz"))
    for key in ("observed_error", "predicted_error", "drift", "breakdown_time", "width_error_gap"):
        for name, value in getattr(lazy, key).items():
            np.testing.assert_array_equal(getattr(loaded, key)[name], value)
    assert loaded.lr == lazy.lr and loaded.settings == lazy.settings
    frame = narrow.to_frame()
    records = NARROW.steps // NARROW.record_every + 1
    assert len(frame) == 2 * records * len(NARROW.frequencies)
    assert set(frame.columns) >= {"model", "step", "time", "frequency", "predicted_error", "observed_error", "drift"}
    assert len(narrow.breakdown_frame()) == 2 * len(NARROW.frequencies)
    assert narrow.width_frame().empty and len(lazy.width_frame()) == 2
    assert len(lazy.spectrum_frame()) == NARROW.n_train
    summary = json.loads(json.dumps(narrow.summary()))
    assert summary["models"]["MLP"]["breakdown_time"]["1"] == narrow.breakdown_time["MLP"][0]
    assert json.loads(json.dumps(lazy.summary()))["models"]["FF-MLP"]["first_breakdown_time"] is None
    figures = [
        plot_linearized_errors(narrow),
        plot_linearized_drift(narrow, ["RepNet"]),
        plot_linearized_spectra(narrow),
        plot_linearized_widths(lazy),
    ]
    for figure in figures:
        assert isinstance(figure, Figure)
        assert all(ax.get_xlabel() and ax.get_ylabel() for ax in figure.axes)
        figure.canvas.draw()  # layout and text rendering run only when drawn
    with pytest.raises(ValueError, match="models: expected one of 'MLP', 'RepNet'"):
        plot_linearized_errors(narrow, ["FF-MLP"])
    with pytest.raises(ValueError, match="result: expected a comparison with a width study"):
        plot_linearized_widths(narrow)
    with pytest.raises(TypeError, match="result: expected a LinearizedComparison"):
        plot_linearized_drift({"MLP": None})


def test_profiles_and_bad_settings_are_refused_clearly():
    for profile in (LinearizedSettings(), LinearizedSettings.quick(), LinearizedSettings.smoke()):
        assert profile.lr_fraction < 1 and profile.record_every <= profile.steps
    assert LinearizedSettings.smoke().steps < LinearizedSettings.quick().steps < LinearizedSettings().steps
    base = LinearizedSettings.smoke()
    cases = {
        "frequencies: expected distinct positive integers": {"frequencies": (1.5,)},
        "frequencies: expected distinct positive integers .* below the Nyquist frequency 16": {"frequencies": (16.0,)},
        "lr_fraction: expected a fraction of the largest stable step": {"lr_fraction": 1.0},
        "record_every: expected at most steps": {"record_every": 1000},
        "models: expected one of 'MLP', 'RepNet', 'FF-MLP'": {"models": ("CNN",)},
        "width_models: expected one of 'MLP', 'FF-MLP'": {"width_models": ("RepNet",)},
        "width: expected a positive integer": {"width": 0},
        "atol: expected a finite positive number": {"atol": math.nan},
    }
    for message, change in cases.items():
        with pytest.raises(ValueError, match=message):
            dataclasses.replace(base, **change)
    with pytest.raises(TypeError, match="seed: expected an int"):
        dataclasses.replace(base, seed=1.5)
    with pytest.raises(TypeError, match="settings: expected a LinearizedSettings"):
        linearized_against_training({"steps": 10}, progress=False)
    with pytest.raises(ValueError, match="name: expected one of 'MLP', 'RepNet', 'FF-MLP'"):
        linearized_model("ResNet", base)
