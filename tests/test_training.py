"""fit(): repeatable, resumable, honest about divergence, strict about inputs; History round-trips."""

import os

import numpy as np
import pytest
import torch

from spectra.domain import uniform_grid
from spectra.frequencies import Gaussian
from spectra.models import MLP, RepNet, TwoLayerFourierNet
from spectra.targets import multiscale_1d
from spectra.training import History, ParameterDriftRecorder, Recorder, TrainingDivergedError, fit, mean_loss


@pytest.fixture
def data():
    target = multiscale_1d()
    x = uniform_grid(target.domain, 64).float()
    return x, target(x)


def run(data, seed=1, **kwargs):
    x, y = data
    options = dict(
        steps=40,
        lr=1e-2,
        record_every=10,
        batch_size=16,
        seed=seed,
        progress=False,
        recorders=[ParameterDriftRecorder()],
    )
    options.update(kwargs)
    return fit(RepNet(1, width=16, depth=2, domain=(0, 1), seed=0), x, y, **options)


def test_same_seed_gives_the_same_history(data):
    a, b = run(data), run(data)
    for field in ("steps", "loss", "predictions"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert np.array_equal(a.records["parameters/drift"], b.records["parameters/drift"])
    assert not np.array_equal(a.loss, run(data, seed=2).loss)  # the seed drives the minibatches


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "lbfgs"])
def test_checkpoint_resume_equals_the_uninterrupted_run(data, tmp_path, optimizer):
    lr = 0.5 if optimizer == "lbfgs" else 1e-2
    batch = None if optimizer == "lbfgs" else 16
    full = run(data, optimizer=optimizer, lr=lr, batch_size=batch)
    path = tmp_path / "run.pt"
    run(data, optimizer=optimizer, lr=lr, batch_size=batch, steps=20, checkpoint=path, checkpoint_every=10)
    resumed = run(data, optimizer=optimizer, lr=lr, batch_size=batch, checkpoint=path, checkpoint_every=10)
    for field in ("steps", "loss", "predictions"):
        assert np.array_equal(getattr(full, field), getattr(resumed, field)), field
    assert np.array_equal(full.records["parameters/drift"], resumed.records["parameters/drift"])


def test_checkpoint_of_another_setup_is_refused(data, tmp_path):
    path = tmp_path / "run.pt"
    run(data, steps=10, checkpoint=path)
    with pytest.raises(
        ValueError,
        match=r"checkpoint: expected a checkpoint of this training run.*another lr \(saved '0.01', now '0.5'\)",
    ):
        run(data, steps=20, lr=0.5, checkpoint=path)


def test_full_batch_gradient_descent_time_and_loss_convention(data):
    x, y = data
    model = TwoLayerFourierNet(1, 64, Gaussian(3.0), doubled=True, seed=0, dtype=torch.float64)
    history = fit(model, x.double(), y.double(), optimizer="sgd", lr=0.05, steps=3, record_every=1, progress=False)
    np.testing.assert_allclose(history.time, 0.05 * np.arange(4))
    # Doubled initialisation: f_0 = 0, so the first loss is (1/2N) Σ y².
    assert history.loss[0] == pytest.approx(0.5 * float((y.double() ** 2).mean()), rel=1e-12)
    assert history.loss[-1] < history.loss[0]


def test_divergence_names_the_step_and_keeps_the_history(data):
    x, y = data
    with pytest.raises(TrainingDivergedError, match=r"loss became (nan|inf) at step \d+") as caught:
        fit(MLP(1, 1, 16, 2, seed=0), x, y * 1e3, optimizer="sgd", lr=50.0, steps=200, record_every=1, progress=False)
    history = caught.value.history
    assert isinstance(history, History) and len(history.steps) >= 1
    assert history.steps[-1] < caught.value.step
    assert np.isfinite(history.loss).all()


def test_history_save_load_round_trip_and_frames(data, tmp_path):
    history = run(data)
    path = history.save(tmp_path / "history.npz")
    loaded = History.load(path)
    for field in ("steps", "time", "loss", "predictions", "probe", "probe_target"):
        assert np.array_equal(getattr(history, field), getattr(loaded, field))
    assert loaded.config == history.config and loaded.seed == 1
    assert list(loaded.records) == list(history.records)
    assert os.listdir(tmp_path) == ["history.npz"]  # no temporary file left behind
    frame = loaded.to_frame()
    assert list(frame.columns[:4]) == ["step", "time", "loss", "wall_time"] and "parameters/drift" in frame
    tidy = loaded.predictions_frame()
    assert len(tidy) == history.predictions.size
    with pytest.raises(ValueError, match="expected a saved MagnitudeEstimate, got a saved .History."):
        from spectra.models.repnet import MagnitudeEstimate

        MagnitudeEstimate.load(path)


def test_loss_is_the_mean_half_squared_error():
    prediction = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    target = torch.zeros(2, 2)
    assert float(mean_loss(prediction, target)) == pytest.approx(0.5 * (1 + 4) / 2)


class BadRecorder(Recorder):
    name = "parameters"

    def record(self, model, snapshot):
        return {"x": 0.0}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(optimizer="rmsprop"), "optimizer"),
        (dict(lr=-1.0), "lr"),
        (dict(steps=0), "steps"),
        (dict(batch_size=1000), "batch_size"),
        (dict(y=torch.zeros(3, 1)), "y: expected 64 rows"),
        (dict(x=torch.zeros(64, 1, 1)), "x: expected shape"),
        (dict(x=torch.full((64, 1), float("nan"))), "x: expected finite"),
        (dict(recorders=[ParameterDriftRecorder(), BadRecorder()]), "distinct names"),
        (dict(recorders=[object()]), "recorders"),
        (dict(probe=torch.zeros(5, 2)), "probe"),
    ],
)
def test_bad_input_names_the_argument(data, kwargs, message):
    x, y = data
    arguments = dict(x=x, y=y, steps=5, progress=False)
    arguments.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=message):
        fit(MLP(1, 1, 8, 1, seed=0), arguments.pop("x"), arguments.pop("y"), **arguments)
