"""Images as coordinate data: the held-out protocol, PSNR, radial bands, models at equal parameters, a real fit."""

import copy
import math

import numpy as np
import pytest
import torch

from spectra import fit
from spectra.data import ImageData, image_data, image_dynamics, load_image, ntk_band_prediction, psnr
from spectra.fourier import band_energy, band_errors, band_pass, octave_edges, radial_frequencies
from spectra.models import COORDINATE_KINDS, CoordinateNetwork, Siren, count_parameters

BOX = [(0.0, 1.0), (0.0, 1.0)]


def smooth_image(size: int = 32, channels: int = 1) -> np.ndarray:
    """0.5 + 0.3 sin(2π x0) cos(2π x1) (+ a phase per channel) on the pixel centres."""
    x0, x1 = np.meshgrid((np.arange(size) + 0.5) / size, (np.arange(size) + 0.5) / size, indexing="ij")
    layers = [0.5 + 0.3 * np.sin(2 * np.pi * x0 + c) * np.cos(2 * np.pi * x1) for c in range(channels)]
    return np.stack(layers, axis=-1)


def test_the_held_out_protocol_trains_on_every_other_pixel_and_tests_on_the_rest() -> None:
    data = image_data(smooth_image(16, 3), size=None)
    train, test = set(data.train_index.tolist()), set(data.test_index.tolist())
    assert not train & test and len(train | test) == 16 * 16 and len(train) == 8 * 8
    rows, cols = np.unravel_index(data.train_index, data.shape)
    assert (rows % 2 == 0).all() and (cols % 2 == 0).all()
    x_train, y_train = data.train()
    x_test, y_test = data.test()
    assert x_train.shape == (64, 2) and y_test.shape == (192, 3)
    # Coordinates are pixel centres in C order, and the values those pixels' values.
    assert torch.allclose(x_train[1], torch.tensor([0.5 / 16, 2.5 / 16]))
    assert torch.equal(data.values()[torch.from_numpy(data.test_index)], y_test)
    assert not (set(map(tuple, x_train.tolist())) & set(map(tuple, x_test.tolist())))
    # PSNR on each split reads only that split: exact on the test pixels, wrong on the training pixels.
    prediction = data.values(torch.float64).clone()
    prediction[torch.from_numpy(data.train_index)] += 0.1
    scores = data.psnr(prediction)
    assert scores["test"] == math.inf and scores["train"] == pytest.approx(20.0)
    prediction = data.values(torch.float64).clone()
    prediction[torch.from_numpy(data.test_index)] += 0.01
    assert data.psnr(prediction) == {"train": math.inf, "test": pytest.approx(40.0)}


def test_psnr_and_loading() -> None:
    assert psnr(np.full(10, 0.1), np.zeros(10)) == pytest.approx(20.0)
    assert psnr(np.full(10, 2.0), np.zeros(10), data_range=2.0) == pytest.approx(0.0)
    camera = load_image("camera", 32)
    astronaut = load_image("astronaut", (16, 24), grey=True)
    assert camera.shape == (32, 32, 1) and astronaut.shape == (16, 24, 1)
    assert load_image("coffee", 8).shape == (8, 8, 3)
    for image in (camera, astronaut):
        assert 0 <= image.min() < image.max() <= 1


def test_an_image_file_and_an_array_give_the_same_data(tmp_path) -> None:
    from PIL import Image

    pixels = (np.arange(12 * 12 * 3).reshape(12, 12, 3) % 256).astype(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "mine.png")
    from_file = image_data(tmp_path / "mine.png", size=None)
    from_array = image_data(pixels, size=None)
    assert from_file.name == "mine" and from_array.name == "array"
    np.testing.assert_allclose(from_file.image, pixels / 255.0)
    np.testing.assert_array_equal(from_file.image, from_array.image)
    path = from_file.save(tmp_path / "data.npz")
    assert np.array_equal(ImageData.load(path).image, from_file.image)
    assert len(from_file.to_frame()) == 144 and "ImageData" in repr(from_file) and len(repr(from_file)) < 300


def test_a_16_bit_grey_file_is_scaled_not_clipped(tmp_path) -> None:
    from PIL import Image

    pixels = np.linspace(0, 65535, 8 * 8).reshape(8, 8).astype(np.uint16)
    Image.fromarray(pixels).save(tmp_path / "deep.png")
    np.testing.assert_allclose(load_image(tmp_path / "deep.png", None)[:, :, 0], pixels / 65535.0)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: image_data(np.zeros((4, 4, 4, 4))), "source"),
        (lambda: image_data(np.full((8, 8), np.nan)), "source"),
        (lambda: image_data(np.full((8, 8), 2.0)), "source"),
        (lambda: image_data("no_such_image"), "source"),
        (lambda: image_data("camera", size=10**6), "size"),
        (lambda: image_data("camera", size=(8, 8, 8)), "size"),
        (lambda: image_data("camera", size=8, stride=1), "stride"),
        (lambda: psnr(np.zeros(3), np.zeros(4)), "prediction"),
    ],
)
def test_what_cannot_be_used_is_refused_by_name(call, argument) -> None:
    with pytest.raises((ValueError, TypeError), match=f"^{argument}:"):
        call()


def test_a_radial_band_reduction_puts_the_energy_of_a_known_signal_in_its_band() -> None:
    n = 64
    x0, x1 = np.meshgrid((np.arange(n) + 0.5) / n, (np.arange(n) + 0.5) / n, indexing="ij")
    wave = np.cos(2 * np.pi * (3 * x0 + 4 * x1))  # |k| = 5 cycles per unit length
    edges = octave_edges((n, n))
    assert edges.tolist() == [0, 1, 2, 4, 8, 16, 32, 46]
    energy = band_energy(wave, edges)
    band = int(np.searchsorted(edges, 5.0, side="right") - 1)  # [4, 8)
    assert energy[band] == pytest.approx(0.5) and np.delete(energy, band).max() < 1e-20
    signal = 0.2 + wave + 0.5 * np.sin(2 * np.pi * 20 * x1)  # plus a mean and a line at |k| = 20
    energy = band_energy(signal, edges)
    assert energy[[0, band, 5]] == pytest.approx([0.04, 0.5, 0.125])
    assert energy.sum() == pytest.approx((signal**2).mean())  # Parseval
    parts = band_pass(signal, edges)
    np.testing.assert_allclose(parts.sum(axis=0), signal, atol=1e-12)
    np.testing.assert_allclose(parts[band], wave, atol=1e-12)
    # A residual that misses the high line only: error 1 in its band, 0 elsewhere, on all or on some pixels.
    residual = -0.5 * np.sin(2 * np.pi * 20 * x1)
    errors = band_errors(residual, signal, edges)
    assert errors[5] == pytest.approx(1.0) and np.nanmax(np.delete(errors, 5)) < 1e-12
    mask = np.zeros((n, n), dtype=bool)
    mask[1::2] = True
    assert band_errors(residual, signal, edges, mask=mask)[5] == pytest.approx(1.0)
    assert radial_frequencies((4, 4))[1, 3] == pytest.approx(math.sqrt(2))


def test_models_are_built_at_equal_parameter_counts() -> None:
    budget = count_parameters(CoordinateNetwork("mlp").build(2, 3, 48, BOX, seed=0))
    for kind in COORDINATE_KINDS:
        network = CoordinateNetwork(kind, n_frequencies=32)
        width = network.width_for(budget, 2, 3, BOX)
        model = network.build(2, 3, width, BOX, seed=0)
        assert abs(count_parameters(model) / budget - 1) < 0.02, (kind, width, count_parameters(model))
        assert model(torch.rand(5, 2)).shape == (5, 3)


def test_siren_has_the_published_initialisation() -> None:
    model = Siren(2, 1, 64, 3, seed=0, input_domain=BOX)
    first, hidden = model.layers[0].weight, model.layers[1:]
    assert first.abs().max() <= 1 / 2 and first.abs().max() > 0.4  # U(-1/n, 1/n), n = 2
    for layer in hidden:
        bound = math.sqrt(6 / layer.in_features) / 30
        assert layer.weight.abs().max() <= bound and layer.weight.abs().max() > 0.9 * bound
    corner = model.layers[0].normalise(torch.tensor([[0.0, 1.0]]))
    assert torch.allclose(corner, torch.tensor([[-1.0, 1.0]]))  # inputs mapped onto [-1, 1]², as in the paper
    x = torch.rand(5, 2, generator=torch.Generator().manual_seed(1))
    h = x
    for layer in model.layers[:-1]:  # sin(ω0 (W h + b)) in every hidden layer, ω0 = 30, then a linear output
        h = torch.sin(30 * layer(h))
    assert torch.allclose(model(x), model.layers[-1](h))


def test_a_network_fits_a_smooth_image_beyond_what_a_broken_pipeline_reaches() -> None:
    torch.manual_seed(0)
    data = image_data(smooth_image(32), size=None)
    x, y = data.train()
    model = CoordinateNetwork("positional", levels=4).build(2, 1, 32, BOX, seed=0)
    history = fit(model, x, y, lr=3e-3, steps=300, record_every=100, probe=data.coordinates(), progress=False)
    scores = data.psnr(history.predictions[-1])
    # The mean image (what a pipeline that lost the coordinates can at best predict) scores ~18 dB; shuffling
    # the pixels against their coordinates, below that.
    mean = np.broadcast_to(data.image.mean(), data.image.shape).reshape(-1, 1)
    assert data.psnr(mean)["test"] < 19
    assert scores["train"] > 32 and scores["test"] > 32, scores
    dynamics = image_dynamics(history, data)
    assert dynamics.psnr_test[-1] == pytest.approx(scores["test"])
    assert dynamics.band_error[-1, 1] < 0.05  # the image lives in the band [1, 2): |k| = sqrt(2)
    assert dynamics.to_frame().shape[0] == len(dynamics.steps) * (len(dynamics.edges) - 1)


def test_the_ntk_prediction_reads_the_kernel_of_the_training_grid() -> None:
    data = image_data("camera", 16, grey=True)
    model = CoordinateNetwork("mlp").build(2, 1, 16, BOX, seed=0).double()
    prediction = ntk_band_prediction(model, data, np.geomspace(1e-2, 1e10, 20), max_points=16)
    assert prediction.grid_stride == 4 and prediction.eigenvectors.shape == (8, 4, 4)
    assert np.all(np.diff(prediction.eigenvalues) <= 1e-9)
    assert prediction.band_error.shape == (20, len(prediction.edges) - 1)
    assert np.nanmax(prediction.band_error[-1]) < 1e-3  # the kernel is invertible: every band is fitted at t = ∞
    order = prediction.learning_order()
    assert order[0] == 0  # the mean is learned first


def test_the_ntk_prediction_follows_gradient_descent_in_theory_time() -> None:
    """Linearised dynamics against plain gradient descent on a wide MLP: band errors on the training grid agree
    at t = lr × steps (a factor 2 in the time scale, e.g. a loss normalised by N instead of 2N, would not)."""
    data = image_data("astronaut", 16)
    model = CoordinateNetwork("mlp", 2).build(2, 3, 256, BOX, seed=0, dtype=torch.float64)
    lr, steps = 0.05, 100
    times = lr * np.arange(0, steps + 1, 50, dtype=float)
    prediction = ntk_band_prediction(copy.deepcopy(model), data, times, max_points=64)
    x, y = data.train(torch.float64)
    probe = data.coordinates(torch.float64)
    history = fit(model, x, y, lr=lr, steps=steps, record_every=50, optimizer="sgd", probe=probe, progress=False)
    observed, predicted = image_dynamics(history, data).train_band_error, prediction.band_error
    assert 1 / 1.5 < observed[1, 0] / predicted[1, 0] < 1.5  # the mean, at step 50: 0.0097 against 0.0115
    assert observed[2, 1] == pytest.approx(predicted[2, 1], rel=0.15)  # band [1, 2) at step 100: 0.67 against 0.60


def test_image_regression_study_quick(run_study) -> None:
    stdout, summary = run_study("image_regression")
    assert "test PSNR late" in stdout and "Learning order" in stdout
    models = {"MLP", "PE (L = 4)", "FF (σ = 1)", "FF (σ = 3)", "RepNet", "SIREN (ω0 = 30)"}
    for image in ("camera", "astronaut"):
        assert set(summary["results"][image]) == models
        assert summary["parameter_deviation"][image] <= 0.06
        for numbers in summary["results"][image].values():
            assert 5 < numbers["psnr_test_late"]["mean"] < 200 and numbers["lr"] in (1e-3, 3e-3)
    assert len(summary["learning_order"]) == 12 and len(summary["partition"]) == 4
    assert {"fits", "band_heatmap_camera", "ntk_spectrum_camera", "ntk_eigenvectors_camera"} <= set(summary["figures"])
