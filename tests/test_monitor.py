"""Monitor: a hand-written loop records the History that fit() records for the same run; the Lightning
callback records the Monitor's History; recording never changes the run; bad input is named."""

import importlib
import sys

import numpy as np
import pytest
import torch
from torch import nn

from spectra.domain import uniform_grid
from spectra.fourier import FourierErrorRecorder
from spectra.models import MLP
from spectra.ntk import NTKRecorder
from spectra.seeding import make_generator
from spectra.targets import SumOfSines
from spectra.training import History, Monitor, ParameterDriftRecorder, TrainingDivergedError, fit, mean_loss

STEPS, RECORD_EVERY = 23, 5  # 23 is not a multiple of 5: the last step is recorded on its own


@pytest.fixture
def data():
    target = SumOfSines(np.array([1.0, 3.0]), 1.0, np.array([0.1, 0.7]), domain=(0.0, 1.0))
    x = uniform_grid(target.domain, 32)
    return x, target(x)


def model():
    return MLP(1, 1, 16, 2, seed=0, dtype=torch.float64)


def recorders():
    """Cheap recorders of each kind: parameters, Fourier errors on the grid, the eNTK on the 32 points."""
    return [ParameterDriftRecorder(), FourierErrorRecorder(), NTKRecorder(n_eigenvalues=4)]


def assert_same_history(a: History, b: History) -> None:
    for name in ("steps", "time", "loss", "probe", "predictions", "probe_target"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert sorted(a.records) == sorted(b.records)
    for key in a.records:
        assert np.array_equal(a.records[key], b.records[key], equal_nan=True), key


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_hand_written_loop_records_the_history_of_fit(data, optimizer):
    x, y = data
    lr = 0.05 if optimizer == "sgd" else 0.01
    batch_size = None if optimizer == "sgd" else 8
    expected = fit(
        model(),
        x,
        y,
        optimizer=optimizer,
        lr=lr,
        steps=STEPS,
        batch_size=batch_size,
        record_every=RECORD_EVERY,
        recorders=recorders(),
        seed=3,
        progress=False,
    )

    net = model()
    opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[optimizer](net.parameters(), lr=lr)
    generator = make_generator(3)  # the minibatches fit draws from seed=3
    monitor = Monitor(x, y, lr=lr, record_every=RECORD_EVERY, steps=STEPS, recorders=recorders())
    monitor(net, 0)
    for step in range(1, STEPS + 1):
        xb, yb = x, y
        if batch_size is not None:
            index = torch.randperm(len(x), generator=generator)[:batch_size]
            xb, yb = x[index], y[index]
        opt.zero_grad()
        mean_loss(net(xb), yb).backward()
        opt.step()
        monitor(net, step)
    history = monitor.history()

    assert history.steps.tolist() == [0, 5, 10, 15, 20, 23]
    assert np.array_equal(history.time, lr * history.steps)
    assert history.loss[-1] < history.loss[0]  # it trained: equal histories are not two copies of step 0
    assert_same_history(history, expected)
    assert history.config == {k: expected.config[k] for k in history.config}  # fit's description of the run


def test_explicit_time_for_a_learning_rate_schedule(data):
    x, y = data
    net = model()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    schedule = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    monitor = Monitor(x, y, record_every=2)
    time = 0.0
    monitor(net, 0, time=time)
    for step in range(1, 7):
        time += opt.param_groups[0]["lr"]  # t = Σ of the rates of the updates so far
        opt.zero_grad()
        mean_loss(net(x), y).backward()
        opt.step()
        schedule.step()
        monitor(net, step, time=time)
    history = monitor.history()
    assert history.steps.tolist() == [0, 2, 4, 6]
    assert np.allclose(history.time, [0.0, 0.2, 0.3, 0.35], rtol=0, atol=1e-15)
    assert history.config["lr"] is None


def test_recording_does_not_change_the_run():
    """Eval mode at records: no dropout draw, no batch-norm update, every submodule's mode restored."""
    torch.manual_seed(0)
    frozen = nn.BatchNorm1d(8).double()
    net = nn.Sequential(nn.Linear(1, 8), frozen, nn.Dropout(0.5), nn.ReLU(), nn.Linear(8, 1)).double()
    frozen.eval()  # a user's frozen layer: must stay in eval mode after a record
    x = torch.linspace(0, 1, 16, dtype=torch.float64)[:, None]
    y = torch.sin(2 * torch.pi * x)
    running_mean = frozen.running_mean.clone()
    rng = torch.get_rng_state()
    loss = Monitor(x, y, lr=0.1).record(net, 0)
    assert torch.equal(torch.get_rng_state(), rng)
    assert torch.equal(frozen.running_mean, running_mean)
    assert net.training and net[2].training and not frozen.training
    net.eval()
    with torch.no_grad():
        assert loss == float(mean_loss(net(x), y))  # the deterministic, eval-mode full-data loss


def test_steps_are_recorded_once_and_never_go_back(data):
    x, y = data
    net = model()
    monitor = Monitor(x, y, lr=0.1, record_every=2)
    assert monitor(net, 0) is not None
    assert monitor(net, 1) is None  # not a record step
    first = monitor(net, 2)
    assert monitor(net, 2) is None  # accumulation: several batches end at the same update count
    assert monitor.record(net, 2) == first
    assert monitor.record(net, 3) == first  # no update happened in between: same model, same loss
    assert monitor.history().steps.tolist() == [0, 2, 3]
    with pytest.raises(ValueError, match="step: expected .*at least the last recorded step 3, got 1"):
        monitor(net, 1)


def test_divergence_raises_with_the_history_so_far(data):
    x, y = data
    net = model()
    monitor = Monitor(x, y, lr=0.1)
    monitor(net, 0)
    with torch.no_grad():
        next(net.parameters()).fill_(float("inf"))
    with pytest.raises(TrainingDivergedError, match="at step 1") as error:
        monitor(net, 1)
    assert error.value.step == 1 and error.value.history.steps.tolist() == [0]


@pytest.mark.parametrize(
    "make, call, message",
    [
        (dict(), dict(), "time: expected the theory's time"),
        (dict(lr=0.1), dict(time=1.0), "time: expected None"),
        (dict(lr=-1.0), dict(), "lr: expected a finite positive number"),
        (dict(lr=0.1, recorders=[ParameterDriftRecorder(), ParameterDriftRecorder()]), dict(), "distinct names"),
        (dict(lr=0.1, y=torch.zeros(5, 1)), dict(), "y: expected 32 rows"),
        (dict(lr=0.1, y=torch.zeros(32, 2)), dict(), "y: expected one column per model output"),
        (dict(lr=0.1, probe=torch.zeros(4, 2)), dict(), "probe: expected 1 input dimension"),
        (dict(lr=0.1, config={"lr": 1.0}), dict(), "config: expected notes under keys other"),
        (dict(lr=0.1, steps=10), dict(step=11), "step: expected at most steps"),
        (dict(lr=0.1), dict(step=-1), "step: expected a non-negative integer"),
    ],
)
def test_bad_input_names_the_argument(data, make, call, message):
    x, y = data
    arguments = {"y": y, **make}
    with pytest.raises((ValueError, TypeError), match=message):
        Monitor(x, arguments.pop("y"), **arguments)(model(), call.pop("step", 0), **call)


def test_lightning_callback_records_the_monitor_history(data):
    pl = pytest.importorskip("lightning.pytorch")
    from spectra.lightning import SpectraCallback

    x, y = data
    lr, steps = 0.05, 12

    class Module(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = model()

        def forward(self, inputs: torch.Tensor) -> torch.Tensor:
            return self.net(inputs)

        def training_step(self, batch, batch_index):
            return mean_loss(self(batch[0]), batch[1])

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=lr)

    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=len(x))
    callback = SpectraCallback(Monitor(x, y, lr=lr, record_every=5, recorders=[ParameterDriftRecorder()]))
    trainer = pl.Trainer(
        max_steps=steps,
        callbacks=[callback],
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(Module(), loader)

    net = model()
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    monitor = Monitor(x, y, lr=lr, record_every=5, steps=steps, recorders=[ParameterDriftRecorder()])
    monitor(net, 0)
    for step in range(1, steps + 1):
        opt.zero_grad()
        mean_loss(net(x), y).backward()
        opt.step()
        monitor(net, step)
    history = callback.history()
    assert history.steps.tolist() == [0, 5, 10, 12]
    assert history.loss[-1] < history.loss[0]
    assert_same_history(history, monitor.history())


def test_without_lightning_the_import_says_how_to_install_it(monkeypatch):
    for name in ("lightning", "lightning.pytorch"):
        monkeypatch.setitem(sys.modules, name, None)  # what an environment without the extra looks like
    monkeypatch.delitem(sys.modules, "spectra.lightning", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'spectra\[lightning\]'"):
        importlib.import_module("spectra.lightning")
