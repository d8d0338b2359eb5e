"""Fourier diagnostics: exact spectra of sinusoids, transforms against FFT and analytic transforms,
Xu's and Rahaman's per-frequency measures, the d > 1 methods, decay fits, the training recorder."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.spatial
import torch
from matplotlib.figure import Figure

from spectra.domain import uniform_grid
from spectra.fourier import (
    ErrorDynamics,
    FourierErrorRecorder,
    FrequencyError,
    Spectrum,
    continuous_ft,
    decay_rates,
    error_dynamics,
    filtered_errors,
    frequency_error,
    gaussian_smooth,
    grid_layout,
    nudft,
    principal_direction,
    projected_transform,
    projection_error,
    radial_average,
    spectral_peaks,
    spectrum,
    target_amplitudes,
    time_to_threshold,
)
from spectra.models import MLP
from spectra.plots.fourier import plot_frequency_curves, plot_frequency_heatmap, plot_spectra
from spectra.targets import SumOfSines, rahaman
from spectra.training import History, fit


def amplitude_at(spec: Spectrum, frequency) -> float:
    index = np.flatnonzero(np.all(np.isclose(spec.frequency, frequency, atol=1e-9), axis=1))
    assert len(index) == 1, frequency
    return float(spec.amplitude[index[0]])


# --- spectra on uniform grids -------------------------------------------------------------------


@pytest.mark.parametrize("window", [None, "hann"])
def test_sinusoid_on_a_bin_gives_its_amplitude_exactly_1d(window):
    x = uniform_grid((0.3, 2.3), 100)  # period 2: bins are multiples of 0.5 cycles per unit, Nyquist 25
    u = 0.7 * torch.sin(2 * math.pi * 3.5 * x + 0.4) + 0.2 + 0.1 * torch.cos(2 * math.pi * 25 * x)
    spec = spectrum(u, x, window=window)
    assert spec.shape == [51]
    assert spec.frequency[1, 0] == pytest.approx(0.5, abs=1e-12) and spec.frequency[-1, 0] == pytest.approx(25.0)
    for frequency, amplitude in [(3.5, 0.7), (0.0, 0.2), (25.0, 0.1)]:  # a line, the mean, the Nyquist bin
        assert amplitude_at(spec, [frequency]) == pytest.approx(amplitude, abs=1e-13)
    if window is None:
        others = ~np.isin(spec.frequency[:, 0], [0.0, 3.5, 25.0])
        assert spec.amplitude[others].max() < 1e-13
    else:  # Hann leaks half the line into each neighbour, and nothing further
        assert amplitude_at(spec, [3.0]) == pytest.approx(0.35, abs=1e-13)
        assert amplitude_at(spec, [1.5]) < 1e-13
    if window is None:  # the coefficient carries the phase about the true origin: u_hat(k) = L c(k)
        np.testing.assert_allclose(continuous_ft(x, u, spec.frequency), 2.0 * spec.coefficient, atol=1e-12)


@pytest.mark.parametrize(
    "box, counts, lines",
    [
        ([(0, 1), (-1, 1)], [32, 40], [((3.0, 2.0), 1.5), ((5.0, 0.0), 0.5), ((-4.0, 3.5), 0.25)]),
        ([(0, 1), (0, 2), (0, 1)], [8, 10, 12], [((1.0, 2.0, 3.0), 0.8), ((-2.0, 0.5, 0.0), 0.3)]),
    ],
    ids=["2d", "3d"],
)
def test_sinusoid_on_a_bin_gives_its_amplitude_exactly_nd(box, counts, lines):
    x = uniform_grid(box, counts)
    target = SumOfSines(np.array([k for k, _ in lines]), np.array([a for _, a in lines]), 0.3, domain=box)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))  # any point order
    spec = spectrum(target(x)[order], x[order])
    for k, a in lines:
        half = np.asarray(k) if k[-1] >= 0 else -np.asarray(k)  # the spectrum stores k_d >= 0
        assert amplitude_at(spec, half) == pytest.approx(a, abs=1e-12)
    assert spec.amplitude.sum() == pytest.approx(sum(a * (2 if k[-1] == 0 else 1) for k, a in lines), abs=1e-10)
    assert spec.amplitude_array().shape == tuple(spec.shape)
    peaks = spectral_peaks(target(x), x)
    assert len(peaks) == len(lines)


def test_spectrum_on_torch_stays_torch_free_of_device_moves_and_agrees_with_numpy():
    x = uniform_grid((0, 1), 64, dtype=torch.float32)
    u = torch.sin(2 * math.pi * 5 * x) + 0.5 * torch.cos(2 * math.pi * 12 * x)
    spec_torch, spec_numpy = spectrum(u, x), spectrum(u.double().numpy(), x.double().numpy())
    np.testing.assert_allclose(spec_torch.amplitude, spec_numpy.amplitude, atol=1e-6)
    frame = spec_numpy.to_frame()
    assert list(frame.columns) == ["f0", "|f|", "amplitude"] and len(frame) == 33


def test_radial_average_matches_a_groupby_of_the_bins():
    x = uniform_grid([(0, 1), (0, 1)], [16, 16])
    u = torch.sin(2 * math.pi * (3 * x[:, 0] + 4 * x[:, 1])) + torch.cos(2 * math.pi * 2 * x[:, 1])
    spec = spectrum(u, x)
    radial = radial_average(spec)
    frame = spec.to_frame()
    expected = frame.groupby(np.rint(frame["|f|"]).astype(int))["amplitude"].mean()
    np.testing.assert_allclose(radial.amplitude, expected.to_numpy(), atol=1e-14)
    np.testing.assert_allclose(radial.radius, expected.index.to_numpy())
    assert radial.count.sum() == len(frame)
    assert radial.amplitude[radial.radius == 5.0][0] == pytest.approx(1.0 / radial.count[radial.radius == 5.0][0])


# --- transforms -------------------------------------------------------------------------------


@pytest.mark.parametrize("block", [2**20, 37])  # one tile, and many ragged tiles
def test_nudft_on_a_uniform_grid_equals_the_fft(block):
    rng = np.random.default_rng(0)
    n = 96
    values = rng.normal(size=n) + 1j * rng.normal(size=n)
    x = np.arange(n) / n
    np.testing.assert_allclose(nudft(x, values, np.arange(n), block=block), np.fft.fft(values), atol=1e-10, rtol=0)
    grid = uniform_grid([(0, 1), (0, 1)], [12, 10]).numpy()
    real = rng.normal(size=120)
    k = np.stack(np.meshgrid(np.arange(12), np.arange(10), indexing="ij"), -1).reshape(-1, 2)
    expected = np.fft.fft2(real.reshape(12, 10)).reshape(-1)
    np.testing.assert_allclose(nudft(grid, real, k, block=block), expected, atol=1e-10, rtol=0)


def test_nudft_torch_input_returns_a_tensor_on_the_same_device():
    x = torch.rand(50, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    values = torch.randn(50, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    freqs = np.array([[0.0, 0.0], [1.0, -2.0], [3.5, 0.25]])
    result = nudft(x, values, freqs)
    assert isinstance(result, torch.Tensor) and result.dtype == torch.complex128 and result.device == x.device
    expected = np.exp(-2j * np.pi * freqs @ x.numpy().T) @ values.numpy()[:, 0]
    np.testing.assert_allclose(result.numpy(), expected, atol=1e-12)
    assert nudft(x.float(), values.float(), freqs).dtype == torch.complex64


def test_finufft_path_matches_direct_sums():
    pytest.importorskip("finufft")
    rng = np.random.default_rng(3)
    for dim in (1, 2, 3):
        x, c, xi = rng.uniform(-1, 2, (800, dim)), rng.normal(size=800), rng.uniform(-15, 15, (300, dim))
        direct, fast = nudft(x, c, xi, method="direct"), nudft(x, c, xi, method="finufft")
        assert np.abs(fast - direct).max() < 1e-9 * np.abs(direct).max()


def gaussian_hat(xi: np.ndarray, sigma: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Transform of exp(-Σ_j (x_j - c_j)² / (2 σ_j²)) under exp(-2πi xi·x)."""
    scale = np.prod(np.sqrt(2 * np.pi) * sigma)
    return scale * np.exp(-2 * np.pi**2 * (xi**2 * sigma**2).sum(axis=1) - 2j * np.pi * xi @ center)


def test_continuous_ft_of_a_gaussian_matches_its_analytic_transform():
    # 1-D on a grid with the default weights (the cell volume)
    x = uniform_grid((-8, 8), 800).numpy()
    xi = np.linspace(-3, 3, 61)
    u = np.exp(-((x[:, 0] - 0.4) ** 2) / (2 * 0.9**2))
    estimate = continuous_ft(x, u, xi)
    assert estimate.dtype == np.complex128 and estimate.shape == (61,)
    np.testing.assert_allclose(estimate, gaussian_hat(xi[:, None], np.array([0.9]), np.array([0.4])), atol=1e-6, rtol=0)
    np.testing.assert_allclose(continuous_ft(x, u[:, None], xi, 16 / 800), estimate, atol=1e-15)
    # 2-D anisotropic, shifted, points shuffled, torch float64: a tensor back
    grid = uniform_grid([(-6, 6), (-7, 5)], [120, 130])
    sigma, center = np.array([0.7, 1.1]), np.array([0.3, -0.8])
    values = torch.exp(-(((grid - torch.as_tensor(center)) / torch.as_tensor(sigma)) ** 2).sum(1) / 2)
    order = torch.randperm(len(grid), generator=torch.Generator().manual_seed(0))
    xi2 = np.random.default_rng(0).uniform(-1.2, 1.2, (40, 2))
    estimate2 = continuous_ft(grid[order], values[order], xi2)
    assert isinstance(estimate2, torch.Tensor) and estimate2.dtype == torch.complex128
    np.testing.assert_allclose(estimate2.numpy(), gaussian_hat(xi2, sigma, center), atol=1e-6, rtol=0)
    # scattered Gauss–Legendre nodes with their weights (n,): no grid needed
    nodes, weights = np.polynomial.legendre.leggauss(300)
    nodes, weights = 8 * nodes, 8 * weights
    u_gl = np.exp(-((nodes - 0.4) ** 2) / (2 * 0.9**2))
    expected = gaussian_hat(xi[:, None], np.array([0.9]), np.array([0.4]))
    np.testing.assert_allclose(continuous_ft(nodes, u_gl, xi, weights), expected, atol=1e-6, rtol=0)
    # float32 inputs: complex64, to float32 accuracy
    estimate32 = continuous_ft(torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(u, dtype=torch.float32), xi)
    assert estimate32.dtype == torch.complex64
    np.testing.assert_allclose(estimate32.numpy(), estimate, atol=1e-5)


# --- per-frequency errors -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["complex", "magnitude"])
def test_frequency_error_is_zero_for_a_perfect_prediction_and_one_for_zero(kind):
    target = rahaman(seed=1)
    x = uniform_grid(target.domain, 200)
    y = target(x)
    perfect = frequency_error(y, y, x, kind=kind)
    np.testing.assert_allclose(perfect.frequency[:, 0], np.arange(5, 55, 5), atol=1e-9)
    np.testing.assert_allclose(perfect.target_amplitude, 1.0, atol=1e-12)
    assert np.abs(perfect.error).max() < 1e-12
    np.testing.assert_allclose(frequency_error(torch.zeros(200), y, x, kind=kind).error, 1.0, atol=1e-12)
    both = frequency_error(torch.stack([y, 0 * y]), y, x, peaks=[10.0, 35.0], kind=kind)
    np.testing.assert_allclose(both.error, [[0, 0], [1, 1]], atol=1e-12)
    frame = both.to_frame()
    assert len(frame) == 4 and set(frame.columns) >= {"record", "f0", "|f|", "error"}


def test_frequency_error_complex_sees_phase_and_magnitude_does_not():
    x = uniform_grid((0, 1), 128)
    y = torch.sin(2 * math.pi * 4 * x) + 0.5 * torch.sin(2 * math.pi * 9 * x)
    shift = 0.3  # radians on the 9-cycle line, half amplitude on the 4-cycle line
    h = 0.5 * torch.sin(2 * math.pi * 4 * x) + 0.5 * torch.sin(2 * math.pi * 9 * x + shift)
    complex_error = frequency_error(h, y, x).error
    magnitude_error = frequency_error(h, y, x, kind="magnitude").error
    np.testing.assert_allclose(complex_error, [0.5, 2 * math.sin(shift / 2)], atol=1e-12)
    np.testing.assert_allclose(magnitude_error, [0.5, 0.0], atol=1e-12)


def test_frequency_error_2d_peaks_and_roundtrip(tmp_path):
    box = [(0, 1), (0, 1)]
    x = uniform_grid(box, [24, 24])
    target = SumOfSines(np.array([[2.0, 1.0], [0.0, 5.0]]), np.array([1.0, 0.4]), 0.1, domain=box)
    result = frequency_error(0.75 * target(x), target(x), x)
    np.testing.assert_allclose(result.frequency, [[2.0, 1.0], [0.0, 5.0]])
    np.testing.assert_allclose(result.error, 0.25, atol=1e-12)
    result.save(tmp_path / "error.npz")
    loaded = FrequencyError.load(tmp_path / "error.npz")
    np.testing.assert_array_equal(loaded.error, result.error)
    assert loaded.kind == "complex" and loaded.direction is None


def test_target_amplitudes_are_rahamans_normalised_amplitudes():
    target = rahaman(amplitudes="increasing", seed=0)
    x = uniform_grid(target.domain, 200)
    learned = np.linspace(0.0, 1.0, 10)  # fraction of each line present in the prediction
    partial = SumOfSines(target.frequencies, target.amplitudes * learned, target.phases)
    pred = np.stack([partial(x.numpy())[:, 0], target(x.numpy())[:, 0]])
    result = target_amplitudes(pred, target.frequencies[:, 0], target.amplitudes)
    np.testing.assert_allclose(result, [learned, np.ones(10)], atol=1e-12)
    on_grid = target_amplitudes(torch.as_tensor(pred[:, :, None]), target.frequencies, target.amplitudes, grid=x)
    np.testing.assert_allclose(on_grid.numpy(), result, atol=1e-12)


# --- methods for d > 1 ---------------------------------------------------------------------------


def test_projection_method_finds_the_direction_and_measures_errors_along_it():
    rng = np.random.default_rng(0)
    p = np.array([0.6, 0.8])
    x = rng.normal(size=(3000, 2)) * 0.1 + rng.uniform(-2, 2, (3000, 1)) * p  # stretched along p
    np.testing.assert_allclose(principal_direction(x), p, atol=0.01)
    t = x @ p
    y = np.sin(2 * np.pi * 1.0 * t) + 0.5 * np.sin(2 * np.pi * 3.0 * t)
    freqs = np.array([1.0, 3.0])
    expected = np.exp(-2j * np.pi * np.outer(freqs, t)) @ y / len(t)
    np.testing.assert_allclose(projected_transform(x, y, freqs, direction=p), expected, atol=1e-12)
    result = projection_error(np.stack([y, 0 * y, 0.5 * y]), y, x, freqs, direction=p)
    np.testing.assert_allclose(result.error, [[0, 0], [1, 1], [0.5, 0.5]], atol=1e-12)
    np.testing.assert_allclose(result.frequency, np.outer(freqs, p), atol=1e-12)
    assert result.method == "projection"


def test_filtering_tiled_matches_the_dense_kernel_and_separates_scales():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (400, 2))
    y = np.sin(2 * np.pi * x[:, 0]) + 0.3 * np.sin(2 * np.pi * 9 * x[:, 1])
    deltas = [0.002, 0.01]
    kernels = [np.exp(-scipy.spatial.distance.cdist(x, x, "sqeuclidean") / (2 * d)) for d in deltas]
    dense = np.stack([kernel @ y / kernel.sum(axis=1) for kernel in kernels])
    np.testing.assert_allclose(gaussian_smooth(x, y, deltas, block=1000), dense, atol=1e-12)  # tiles of 2 rows
    low_error = y + 0.1 * np.sin(2 * np.pi * x[:, 0])  # an error in the low part only
    high_error = y + 0.03 * np.sin(2 * np.pi * 9 * x[:, 1])
    result = filtered_errors(np.stack([y, 0 * y, low_error, high_error]), y, x, deltas)
    np.testing.assert_allclose(result.low[:2], [[0, 0], [1, 1]], atol=1e-12)
    np.testing.assert_allclose(result.high[:2], [[0, 0], [1, 1]], atol=1e-12)
    # 10% error on the low line, 10% on the high line: each shows (about 0.1) on its own side only
    assert np.all(result.low[2] > 0.09) and np.all(result.low[2] > 1.7 * result.high[2])
    assert np.all(result.high[3] > 0.07) and np.all(result.high[3] > 5 * result.low[3])
    assert len(result.to_frame()) == 8


# --- dynamics ------------------------------------------------------------------------------------


def test_decay_rates_and_time_to_threshold_on_exponentials():
    t = np.linspace(0, 10, 41)
    rates = np.array([0.1, 0.7, 2.0])
    err = 3.0 * np.exp(-np.outer(t, rates))
    np.testing.assert_allclose(decay_rates(err, t), rates, rtol=1e-12)
    plateau = np.maximum(err, 1e-6)  # a floor at the end is left out by the fitting window
    np.testing.assert_allclose(decay_rates(plateau, t, t_range=(0, 5)), rates, rtol=1e-12)
    reached = time_to_threshold(err, t, 0.3)
    expected = [t[np.argmax(3 * np.exp(-r * t) <= 0.3)] if 3 * np.exp(-r * 10) <= 0.3 else np.inf for r in rates]
    np.testing.assert_array_equal(reached, expected)
    assert reached[0] == np.inf and reached[2] == 1.25  # 3 e^{-2t} <= 0.3 from t = ln(10)/2 = 1.15
    np.testing.assert_array_equal(time_to_threshold(1 - err / 3, t, 0.5, direction="above"), [7.0, 1.0, 0.5])


# --- the recorder -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_with_recorder():
    target = rahaman(seed=0)
    x = uniform_grid(target.domain, 200)
    recorder = FourierErrorRecorder()
    model = MLP(1, 1, 32, 2, seed=0, dtype=torch.float64)
    history = fit(model, x, target(x), lr=3e-3, steps=150, record_every=30, recorders=[recorder], progress=False)
    return target, history


def test_recorder_matches_the_offline_measures(run_with_recorder):
    target, history = run_with_recorder
    dynamics = error_dynamics(history)
    assert dynamics.relative_error.shape == (6, 10) and dynamics.residual_spectrum.shape == (6, 101)
    np.testing.assert_allclose(dynamics.frequency[:, 0], target.frequencies[:, 0], atol=1e-9)
    offline = frequency_error(history.predictions, history.probe_target, history.probe)
    np.testing.assert_allclose(dynamics.relative_error, offline.error, atol=1e-12)
    magnitude = frequency_error(history.predictions, history.probe_target, history.probe, kind="magnitude")
    np.testing.assert_allclose(dynamics.magnitude_error, magnitude.error, atol=1e-12)
    amplitudes = target_amplitudes(history.predictions, target.frequencies, target.amplitudes)
    np.testing.assert_allclose(dynamics.amplitude_ratio, amplitudes, atol=1e-12)
    residual = history.predictions[-1, :, 0] - history.probe_target[:, 0]
    np.testing.assert_allclose(dynamics.residual_spectrum[-1], spectrum(residual, history.probe).amplitude, atol=1e-12)
    np.testing.assert_allclose(dynamics.relative_error, np.abs(dynamics.residual_coefficient) * 2, atol=1e-12)
    assert dynamics.relative_error[-1, 0] < dynamics.relative_error[0, 0]  # the lowest line is being learned
    assert dynamics.time_to_threshold(1e-9).tolist() == [np.inf] * 10
    frame = dynamics.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 60


def test_recorder_data_round_trips_through_history_save_and_load(run_with_recorder, tmp_path):
    _, history = run_with_recorder
    history.save(tmp_path / "run.npz")
    loaded = History.load(tmp_path / "run.npz")
    assert sorted(loaded.records) == sorted(history.records)
    for key, value in history.records.items():
        assert loaded.records[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded.records[key], value)
    assert loaded.records["fourier/residual_coefficient"].dtype == np.complex128
    original, reread = error_dynamics(history), error_dynamics(loaded)
    for field in ("relative_error", "residual_coefficient", "residual_spectrum", "spectrum_frequency"):
        np.testing.assert_array_equal(getattr(reread, field), getattr(original, field))
    reread.save(tmp_path / "dynamics.npz")
    np.testing.assert_array_equal(
        ErrorDynamics.load(tmp_path / "dynamics.npz").amplitude_ratio, original.amplitude_ratio
    )


def test_recorder_on_scattered_probe_uses_the_nudft_and_resumes_from_checkpoints(tmp_path):
    target = rahaman(seed=2)
    x = uniform_grid(target.domain, 128, dtype=torch.float32)
    probe = torch.rand(300, 1, generator=torch.Generator().manual_seed(0))
    peaks = target.frequencies[:3]

    def run(steps, checkpoint=None):
        recorder = FourierErrorRecorder(peaks, residual_spectrum=False)
        model = MLP(1, 1, 16, 2, seed=0)
        return fit(
            model,
            x,
            target(x),
            steps=steps,
            record_every=10,
            probe=probe,
            probe_target=target(probe),
            recorders=[recorder],
            progress=False,
            checkpoint=checkpoint,
        )

    full = run(30)
    dynamics = error_dynamics(full)
    y = full.probe_target[:, 0]
    expected = [
        np.abs(nudft(full.probe, p - y, peaks[:, 0])) / np.abs(nudft(full.probe, y, peaks[:, 0]))
        for p in full.predictions[:, :, 0]
    ]
    np.testing.assert_allclose(dynamics.relative_error, expected, rtol=1e-4)
    assert dynamics.residual_spectrum.shape == (4, 0)
    run(20, tmp_path / "run.pt")
    resumed = run(30, tmp_path / "run.pt")
    np.testing.assert_array_equal(resumed.records["fourier/relative_error"], full.records["fourier/relative_error"])
    with pytest.raises(ValueError, match="peaks: expected explicit frequencies"):
        fit(MLP(1, 1, 4, 1, seed=0), x, target(x), steps=1, probe=probe, probe_target=target(probe),
            recorders=[FourierErrorRecorder()], progress=False)  # fmt: skip


# --- plots ------------------------------------------------------------------------------------


def test_plots_return_labelled_figures(run_with_recorder):
    _, history = run_with_recorder
    dynamics = error_dynamics(history)
    figures = [
        plot_frequency_heatmap(dynamics.steps, dynamics.frequency, dynamics.relative_error),
        plot_frequency_heatmap(
            dynamics.steps, dynamics.frequency, dynamics.amplitude_ratio, label="|f̂|/|ĝ|", log=False
        ),
        plot_frequency_curves(dynamics.steps, dynamics.frequency, dynamics.relative_error),
        plot_spectra(
            {"target": history.probe_target, "prediction": history.predictions[-1]}, history.probe, residual=True
        ),
        plot_spectra(
            {"target": np.sin(2 * np.pi * 3 * uniform_grid([(0, 1), (0, 1)], 16).numpy().sum(1))},
            uniform_grid([(0, 1), (0, 1)], 16),
        ),  # fmt: skip
    ]
    for figure in figures:
        assert isinstance(figure, Figure)
        for ax in figure.axes:
            if ax.get_label() == "<colorbar>":
                continue
            assert ax.get_xlabel() and ax.get_ylabel()


# --- bad input ------------------------------------------------------------------------------------


GRID = uniform_grid((0, 1), 32)
EMPTY_HISTORY = History(*(np.zeros(1),) * 4, probe=np.zeros((2, 1)), predictions=np.zeros((1, 2, 1)))
Y = torch.sin(2 * math.pi * 3 * GRID)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: spectrum(Y, GRID**2), "grid: expected a uniform grid"),
        (lambda: spectrum(Y, GRID[:-3]), r"values: expected one value per point, shape \(29,\)"),
        (lambda: spectrum(Y[:, 0] + 1j, GRID), "values: expected real values"),
        (lambda: spectrum(Y * float("nan"), GRID), "values: expected finite values"),
        (lambda: spectrum(Y, GRID, window="boxy"), "window"),
        (lambda: spectrum(Y, uniform_grid([(0, 1), (0, 1)], 8)[:-1]), "grid: expected a full tensor-product grid"),
        (lambda: spectral_peaks(torch.zeros(32), GRID), "values: expected a spectrum with at least one peak"),
        (lambda: frequency_error(Y, Y, GRID, peaks=[]), "peaks: expected a non-empty set"),
        (lambda: frequency_error(Y, Y, GRID, peaks=[3.3]), "peaks: expected frequencies on the grid's DFT bins"),
        (lambda: frequency_error(Y, Y, GRID, peaks=[20.0]), "peaks: expected frequencies up to the Nyquist"),
        (lambda: frequency_error(Y, Y, GRID, peaks=[5.0]), "peaks: expected frequencies where the target"),
        (lambda: frequency_error(Y[:20], Y, GRID), "pred: expected values on the 32 points"),
        (lambda: frequency_error(Y, Y, GRID, kind="phase"), "kind"),
        (lambda: frequency_error(Y, torch.zeros(32), GRID), "target: expected a spectrum with at least one peak"),
        (lambda: continuous_ft(np.random.rand(9), np.ones(9), [1.0]), "weights: expected quadrature weights"),
        (
            lambda: continuous_ft(GRID, Y, [1.0], np.ones(5)),
            r"weights: expected real quadrature weights of shape \(32,\)",
        ),
        (
            lambda: continuous_ft(uniform_grid([(0, 1), (0, 1)], 4), np.ones(16), [1.0, 2.0]),
            r"xi: expected frequencies",
        ),
        (lambda: continuous_ft(GRID, Y, [float("inf")]), "xi: expected finite values"),
        (lambda: nudft(GRID, Y, [1.0], method="fast"), "method"),
        (lambda: nudft(np.random.rand(4, 5), np.ones(4), np.ones((2, 5)), method="finufft"), "method"),
        (lambda: target_amplitudes(Y[None], [0.0], [1.0]), "freqs: expected non-zero frequencies"),
        (lambda: target_amplitudes(Y[None], [3.0], [-1.0]), "amplitudes: expected 1 positive amplitudes"),
        (lambda: filtered_errors(Y, Y, GRID, [1e-9]), "deltas: expected widths at which the target has both"),
        (lambda: filtered_errors(Y, Y, GRID, []), "deltas: expected one or more positive widths"),
        (lambda: decay_rates(np.ones((3, 2)), np.arange(4)), r"t: expected one time per row of err_t \(3,\)"),
        (lambda: decay_rates(np.zeros((3, 2)), np.arange(3)), "err_t: expected non-zero errors"),
        (lambda: time_to_threshold(np.ones((3, 1)), [0, 2, 1], 0.5), "t: expected strictly increasing times"),
        (lambda: FourierErrorRecorder(peaks="peaky"), "peaks"),
        (lambda: error_dynamics(EMPTY_HISTORY), "name: expected the name of a FourierErrorRecorder"),
        (lambda: grid_layout("grid", torch.zeros(4, 1)), "grid: expected a uniform grid with at least 2"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises((ValueError, TypeError, ImportError), match=message):
        call()
