"""Kernel dynamics and eigen-analysis: closed forms against independent computations and against real training."""

import math

import numpy as np
import pytest
import scipy.linalg
import torch
from matplotlib.figure import Figure

from spectra.models import MLP, RepNet
from spectra.ntk import (
    NTKRecorder,
    NTKSpectrum,
    eigenvector_frequencies,
    empirical_ntk,
    kernel_drift,
    linearized_prediction,
    max_stable_lr,
    ntk_spectrum,
    top_eigenpairs,
)
from spectra.plots.ntk import plot_eigenvalue_frequency, plot_kernel_drift, plot_ntk_spectrum
from spectra.training import fit

F64 = torch.float64


@pytest.fixture
def problem():
    """A PSD kernel of rank 6 on N = 10 points, two outputs, and a cross-kernel to 4 test points."""
    g = torch.Generator().manual_seed(0)
    features = torch.randn(14, 6, generator=g, dtype=F64)
    kernel = features @ features.T
    return {
        "K": kernel[:10, :10],
        "K_test": kernel[10:, :10],
        "y": torch.randn(10, 2, generator=g, dtype=F64),
        "f0": torch.randn(10, 2, generator=g, dtype=F64),
        "f0_test": torch.randn(4, 2, generator=g, dtype=F64),
    }


def test_gradient_flow_matches_the_matrix_exponential(problem):
    K, y, f0, n = problem["K"].numpy(), problem["y"].numpy(), problem["f0"].numpy(), 10
    times = np.array([0.0, 0.3, 2.0, 40.0])
    prediction = linearized_prediction(K, y, f0, 0.1, times, problem["K_test"], problem["f0_test"])
    assert prediction.train.shape == (4, 10, 2) and prediction.test.shape == (4, 4, 2)
    kernel_test, f0_test = problem["K_test"].numpy(), problem["f0_test"].numpy()
    for t, train, test in zip(times, prediction.train.numpy(), prediction.test.numpy(), strict=True):
        residual = scipy.linalg.expm(-K * t / n) @ (f0 - y)
        np.testing.assert_allclose(train, y + residual, atol=1e-12)
        # f_test(t) = f0_test - (1/N) Θ_test,train ∫_0^t r(s) ds, integrated by quadrature.
        nodes, weights = np.polynomial.legendre.leggauss(60)
        s = t / 2 * (nodes + 1)
        integral = sum(w * t / 2 * scipy.linalg.expm(-K * si / n) @ (f0 - y) for w, si in zip(weights, s, strict=True))
        np.testing.assert_allclose(test, f0_test - kernel_test @ integral / n, atol=1e-9)


def test_gradient_descent_matches_explicit_iteration_and_diverges_above_the_stable_step(problem):
    K, y, f0, n = problem["K"], problem["y"], problem["f0"], 10
    lr = 0.9 * max_stable_lr(K)
    assert max_stable_lr(K) == pytest.approx(2 * n / float(torch.linalg.eigvalsh(K)[-1]), rel=1e-12)
    steps = np.arange(0, 60, 7)
    prediction = linearized_prediction(K, y, f0, lr, lr * steps, problem["K_test"], problem["f0_test"], discrete=True)
    f, f_test = f0.clone(), problem["f0_test"].clone()
    for s in range(steps[-1] + 1):
        if s in steps:
            k = list(steps).index(s)
            torch.testing.assert_close(prediction.train[k], f, rtol=0, atol=1e-11)
            torch.testing.assert_close(prediction.test[k], f_test, rtol=0, atol=1e-11)
        residual = f - y
        f, f_test = f - lr / n * K @ residual, f_test - lr / n * problem["K_test"] @ residual
    with pytest.raises(ValueError, match="lr: expected a step below the largest stable one"):
        linearized_prediction(K, y, f0, 1.01 * max_stable_lr(K), [1.0], discrete=True)
    with pytest.raises(ValueError, match="times: expected multiples of lr"):
        linearized_prediction(K, y, f0, lr, [lr * 2.5], discrete=True)


def test_infinite_time_is_the_pseudo_inverse_solution_and_null_modes_are_never_learned(problem):
    K, y, f0 = problem["K"], problem["y"], problem["f0"]  # rank 6 < N = 10
    for discrete in (False, True):
        end = linearized_prediction(
            K, y, f0, 0.5 * max_stable_lr(K), [math.inf], problem["K_test"], problem["f0_test"], discrete=discrete
        )
        projector = K @ torch.linalg.pinv(K, hermitian=True)
        torch.testing.assert_close(end.train[0], f0 + projector @ (y - f0), atol=1e-9, rtol=0)
        expected = problem["f0_test"] + problem["K_test"] @ torch.linalg.pinv(K, hermitian=True) @ (y - f0)
        torch.testing.assert_close(end.test[0], expected, atol=1e-8, rtol=0)
    # Rounding can make eigenvalues slightly negative: they are clamped, not amplified.
    values, vectors = torch.linalg.eigh(K)
    values[0] = -1e-3
    noisy = vectors @ torch.diag(values) @ vectors.T
    clamped = vectors @ torch.diag(values.clamp(min=0)) @ vectors.T
    times = [0.5, 50.0]
    torch.testing.assert_close(
        linearized_prediction(noisy, y, f0, 0.1, times).train,
        linearized_prediction(clamped, y, f0, 0.1, times).train,
        atol=1e-12,
        rtol=0,
    )


def test_per_output_blocks_and_shared_kernel_agree(problem):
    K, y, f0 = problem["K"], problem["y"], problem["f0"]
    blocks = torch.einsum("ij,op->ijop", K, torch.eye(2, dtype=F64))  # Θ_op = K δ_op
    blocks_test = torch.einsum("ij,op->ijop", problem["K_test"], torch.eye(2, dtype=F64))
    shared = linearized_prediction(K, y, f0, 0.1, [0.2, 3.0], problem["K_test"], problem["f0_test"])
    full = linearized_prediction(blocks, y, f0, 0.1, [0.2, 3.0], blocks_test, problem["f0_test"])
    torch.testing.assert_close(full.train, shared.train, atol=1e-12, rtol=0)
    torch.testing.assert_close(full.test, shared.test, atol=1e-12, rtol=0)
    with pytest.raises(ValueError, match="K_test_train: expected shape"):
        linearized_prediction(blocks, y, f0, 0.1, [1.0], problem["K_test"], problem["f0_test"])
    with pytest.raises(ValueError, match="f0_test: expected the initial predictions"):
        linearized_prediction(K, y, f0, 0.1, [1.0], problem["K_test"])
    with pytest.raises(ValueError, match="y: expected one row per training point"):
        linearized_prediction(K, y[:7], f0, 0.1, [1.0])
    with pytest.raises(ValueError, match="times: expected non-negative times"):
        linearized_prediction(K, y, f0, 0.1, [-1.0])


def test_linearized_prediction_matches_gradient_descent_on_a_wide_ntk_network():
    """Width 8192 (sigma_b = 1 spreads the ReLU kinks over the data); predictions on 41 test points
    against fit() with plain full-batch gradient descent, relative to how far the network moved."""
    x = torch.linspace(-1, 1, 16, dtype=F64)[:, None]
    y = torch.sin(math.pi * x)
    x_test = torch.linspace(-1, 1, 41, dtype=F64)[:, None]

    def network():
        return MLP(1, 1, 8192, 1, parameterization="ntk", sigma_b=1.0, seed=3, dtype=F64)

    model = network()
    K = empirical_ntk(model, x, progress=False).kernel
    K_test = empirical_ntk(model, x_test, x, progress=False).kernel
    with torch.no_grad():
        f0, f0_test = model(x), model(x_test)
    for fraction, steps, discrete in ((0.5, 100, True), (0.1, 500, False)):
        lr = fraction * max_stable_lr(K)
        history = fit(
            network(), x, y, optimizer="sgd", lr=lr, steps=steps, record_every=steps // 4, probe=x_test, progress=False
        )
        prediction = linearized_prediction(K, y, f0, lr, history.time, K_test, f0_test, discrete=discrete)
        real = torch.from_numpy(history.predictions)
        moved = (real - f0_test).flatten(1).norm(dim=1)[1:]
        error = (prediction.test - real).flatten(1).norm(dim=1)[1:] / moved
        assert float(error.max()) < 0.02, (discrete, error)
        predicted_loss = 0.5 * ((prediction.train - y) ** 2).sum(-1).mean(-1).numpy()
        np.testing.assert_allclose(predicted_loss, history.loss, rtol=0.15)
        assert history.loss[-1] < 0.05 * history.loss[0]  # the comparison covers most of the training


def test_kernel_drift_and_its_errors():
    a = torch.eye(3, dtype=F64)
    assert kernel_drift(2 * a, a) == pytest.approx(1.0)
    assert kernel_drift(a.numpy(), a) == 0.0
    with pytest.raises(ValueError, match="reference: expected a non-zero kernel"):
        kernel_drift(a, 0 * a)
    with pytest.raises(ValueError, match="kernel: expected the shape of reference"):
        kernel_drift(torch.eye(2), a)


def test_ntk_recorder_records_eigenvalues_and_drift_and_survives_checkpoints(tmp_path):
    x = torch.linspace(0, 1, 32, dtype=F64)[:, None]
    y = torch.sin(2 * math.pi * x)
    probe = x[::2]

    def run(steps, **kwargs):
        model = RepNet(1, 1, 16, 2, domain=(0, 1), seed=0, dtype=F64)
        recorder = NTKRecorder(probe, n_eigenvalues=5)
        history = fit(
            model,
            x,
            y,
            optimizer="adam",
            lr=1e-2,
            steps=steps,
            record_every=10,
            progress=False,
            recorders=[recorder],
            **kwargs,
        )
        return model, history

    model, full = run(40)
    assert full.records["ntk/eigenvalues"].shape == (5, 5) and full.records["ntk/drift"][0] == 0.0
    assert np.all(np.diff(full.records["ntk/eigenvalues"], axis=1) <= 0)
    final = empirical_ntk(model, probe, progress=False).kernel
    np.testing.assert_allclose(
        full.records["ntk/eigenvalues"][-1], torch.linalg.eigvalsh(final).flip(0)[:5], rtol=1e-10
    )
    initial = empirical_ntk(RepNet(1, 1, 16, 2, domain=(0, 1), seed=0, dtype=F64), probe, progress=False)
    assert full.records["ntk/drift"][-1] == pytest.approx(kernel_drift(final, initial), rel=1e-10)
    assert full.records["ntk/drift"][-1] > 0.01  # Adam moves a narrow RepNet out of the kernel regime
    path = tmp_path / "run.pt"
    run(20, checkpoint=path)
    _, resumed = run(40, checkpoint=path)
    np.testing.assert_array_equal(resumed.records["ntk/drift"], full.records["ntk/drift"])
    np.testing.assert_array_equal(resumed.records["ntk/eigenvalues"], full.records["ntk/eigenvalues"])
    figure = plot_kernel_drift({"RepNet": full})
    assert isinstance(figure, Figure) and all(ax.get_xlabel() and ax.get_ylabel() for ax in figure.axes)
    with pytest.raises(ValueError, match="histories: expected histories recorded with an NTKRecorder"):
        plot_kernel_drift(fit(MLP(1, 1, 4, 1, seed=0), x.float(), y.float(), steps=2, progress=False))


def test_eigenvectors_of_a_circulant_kernel_carry_their_fourier_frequencies(tmp_path):
    """K_ij = Σ_k 2^-k cos(2πk(x_i - x_j)) on a periodic grid of [0, 2): eigenvectors are the Fourier modes
    at k / 2 cycles per unit length, with eigenvalues N 2^-k / 2 (k >= 1, twice) and N (k = 0)."""
    n = 32
    x = 2 * torch.arange(n, dtype=F64)[:, None] / n
    z = x - x.T
    K = sum(2.0**-k * torch.cos(2 * math.pi * k * z / 2) for k in range(6))
    spectrum = ntk_spectrum(K, x, k=11)
    expected_k = np.array([0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    np.testing.assert_allclose(spectrum.eigenvalues, np.where(expected_k == 0, n, n * 2.0**-expected_k / 2), rtol=1e-12)
    np.testing.assert_allclose(spectrum.dominant_frequency, expected_k / 2)
    np.testing.assert_allclose(spectrum.spectral_centroid, expected_k / 2, atol=1e-9)
    shuffled = torch.randperm(n, generator=torch.Generator().manual_seed(0))
    dominant, _ = eigenvector_frequencies(spectrum.eigenvectors[shuffled.numpy()], x[shuffled])
    np.testing.assert_allclose(dominant, expected_k / 2)  # any order of the grid points
    # On a 2-D grid the frequency is |k|: cos(2π(x + 2y)) on [0, 1)² has |k| = √5 cycles per unit length.
    axis = torch.arange(16, dtype=F64) / 16
    grid = torch.cartesian_prod(axis, axis)
    wave = torch.cos(2 * math.pi * (grid[:, 0] + 2 * grid[:, 1]))[:, None]
    dominant, centroid = eigenvector_frequencies(wave, grid)
    np.testing.assert_allclose([dominant[0], centroid[0]], math.sqrt(5), rtol=1e-12)
    loaded = NTKSpectrum.load(spectrum.save(tmp_path / "spectrum.npz"))
    np.testing.assert_array_equal(loaded.eigenvalues, spectrum.eigenvalues)
    assert list(loaded.to_frame().columns) == ["rank", "eigenvalue", "dominant_frequency", "spectral_centroid"]
    for figure in (plot_ntk_spectrum(spectrum), plot_eigenvalue_frequency({"circulant": spectrum})):
        assert isinstance(figure, Figure) and all(ax.get_xlabel() and ax.get_ylabel() for ax in figure.axes)
    with pytest.raises(ValueError, match="x: expected a uniform grid"):
        ntk_spectrum(K, torch.rand(n, 1, dtype=F64))
    with pytest.raises(ValueError, match="k: expected at most the kernel size 32"):
        ntk_spectrum(K, k=33)
    with pytest.raises(ValueError, match="K_train: expected a square kernel"):
        linearized_prediction(torch.zeros(3, 4), torch.zeros(3), torch.zeros(3), 0.1, [1.0])


def test_frequency_bias_of_a_relu_network_shows_in_its_spectrum():
    """Eigenvectors of larger eigenvalues oscillate less: the spectral centroid grows down the spectrum."""
    model = MLP(1, 1, 256, 2, parameterization="ntk", sigma_b=1.0, seed=0, dtype=F64)
    x = torch.linspace(-1, 1, 128, dtype=F64)[:, None]
    spectrum = top_eigenpairs(model, x, 12, progress=False)
    centroid = spectrum.spectral_centroid
    assert np.all(centroid[6:12].mean() > centroid[:3].mean() * 2), centroid
    assert spectrum.eigenvalues[0] / spectrum.eigenvalues[11] > 100
    with pytest.raises(ValueError, match="spectra: expected spectra computed on a uniform grid"):
        plot_eigenvalue_frequency(ntk_spectrum(empirical_ntk(model, x[:8], progress=False), k=3))
