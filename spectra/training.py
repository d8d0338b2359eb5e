"""Training with snapshots: ``fit()`` returns a :class:`History` that later analyses read.

A training loop of your own gets the same :class:`History` from a :class:`Monitor` called with the
model and the step after each update (``fit`` records through one too); :mod:`spectra.lightning`
wraps it as a PyTorch Lightning callback.

Conventions
-----------

- Loss: the mean loss L(θ) = (1/2N) Σ_i ``|f(x_i; θ) - y_i|²`` (sum over outputs, mean over samples);
  a minibatch of size B uses (1/2B) Σ over the batch.
- Time: the theory's continuous time t = lr × steps. For full-batch gradient descent
  (``optimizer="sgd"``, no momentum) the kernel regime then gives ∂_t f = -(1/N) Θ (f - y).
- Snapshots: at step 0 (the initial model), every ``record_every`` steps, and at the last step,
  ``fit`` stores the full-data loss, the predictions on the ``probe`` points and the outputs of each
  recorder. "Step s" means the model after s parameter updates. Snapshots are taken in eval mode
  (dropout off, batch-norm statistics frozen) without gradients, so that recording does not change the run.

Recorders are small objects called at each snapshot (:class:`Recorder`); their outputs are stacked
along a first "record" axis in ``History.records`` under ``"<recorder name>/<key>"``.

An ``objective(model) -> loss`` replaces the mean data loss when the quantity to minimise is not a
fit to (x, y), for example the residual loss of a physics-informed network (:mod:`spectra.pinn`).

Checkpoints (``checkpoint=path``) hold the model, optimizer, random-generator and recorder states
and the history so far, with a fingerprint of the run and a checksum (:mod:`spectra.checkpoint`).
When the file exists, ``fit`` resumes from it and ends with exactly the numbers of an uninterrupted
run, even after ``kill -9``; a checkpoint of a different run, or a damaged file, is refused with a
message that names the file and what differs.
"""

from __future__ import annotations

import os
import time as timer
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from spectra._validation import (
    as_points,
    check_choice,
    check_float_dtype,
    check_model,
    check_positive_float,
    check_positive_int,
    fail,
)
from spectra.checkpoint import load_checkpoint, run_fingerprint, save_checkpoint
from spectra.output import exclusive_lock, remove_leftover_files
from spectra.results import Result, library_versions
from spectra.seeding import check_seed, make_generator

OPTIMIZERS = ("adam", "sgd", "lbfgs")
LATE_FRACTION = 0.2  # the headline of a run: the last 20% of its records, not one step an Adam spike may hit


def late_median(values: np.ndarray, fraction: float = LATE_FRACTION) -> float:
    """Median of the last ``fraction`` of a run's records (at least one): a headline robust to single spikes.

    Parameters
    ----------
    values
        One number per record step, in order (an error, a loss, a PSNR).
    fraction
        The share of the records at the end that the median is taken over.

    Returns
    -------
    float
        ``median(values[R - max(1, round(fraction R)):])`` for R records.
    """
    values = np.asarray(values)
    return float(np.median(values[len(values) - max(1, round(fraction * len(values))) :]))


def mean_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(1/2N) Σ_i ``|f_i - y_i|²``: the loss every theory in spectra assumes."""
    return 0.5 * ((prediction - target) ** 2).sum(dim=-1).mean()


@dataclass(frozen=True)
class Snapshot:
    """What a recorder sees at a record step (tensors on the training device, detached)."""

    step: int
    time: float
    x: torch.Tensor
    y: torch.Tensor
    probe: torch.Tensor
    probe_target: torch.Tensor | None
    prediction: torch.Tensor

    @property
    def residual(self) -> torch.Tensor:
        """prediction - target on the probe points, shape (P, c)."""
        if self.probe_target is None:
            raise ValueError("probe_target: expected target values on the probe points to form a residual, got None")
        return self.prediction - self.probe_target


class Recorder:
    """Base class for recorders: subclass it and implement :meth:`record`.

    ``record(model, snapshot)`` returns a mapping from keys to arrays (or floats) of the same shape
    at every call. Recorders with internal state (e.g. a reference kernel at step 0) return it from
    ``state_dict()`` as tensors or plain values, so that checkpoints can restore it.
    """

    name: str = "recorder"

    def record(self, model: nn.Module, snapshot: Snapshot) -> Mapping[str, Any]:
        """The values to record for ``model`` at ``snapshot``: name -> number or array (one row of the History).

        Called in eval mode without gradients; the values are stored under ``"<name>/<key>"`` in
        ``History.records``, stacked over the record steps.
        """
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        pass


class ParameterDriftRecorder(Recorder):
    """Relative parameter drift ``|θ_t - θ_0|`` / ``|θ_0|`` (is the lazy picture valid?) and ``|θ_t|``."""

    name = "parameters"

    def __init__(self) -> None:
        self.initial: torch.Tensor | None = None

    def record(self, model: nn.Module, snapshot: Snapshot) -> dict[str, float]:
        theta = torch.cat([p.detach().reshape(-1) for p in model.parameters() if p.requires_grad])
        if self.initial is None:
            self.initial = theta.clone()
        drift = (theta - self.initial).norm() / self.initial.norm()
        return {"drift": float(drift), "norm": float(theta.norm())}

    def state_dict(self) -> dict[str, Any]:
        return {"initial": self.initial}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.initial = state["initial"]


@dataclass
class History(Result):
    """Snapshots of a training run (see module docstring for the conventions).

    Arrays have a first "record" axis of length R: ``steps`` (R,), ``time`` = lr × steps (R,),
    ``loss`` (R,) full-data mean loss, ``wall_time`` (R,) seconds since the start, ``predictions``
    (R, P, c) on ``probe`` (P, d), and each ``records[name]`` (R, ...).
    """

    steps: np.ndarray = Result.array_field(("R",), "int")
    time: np.ndarray = Result.array_field(("R",))
    loss: np.ndarray = Result.array_field(("R",))
    wall_time: np.ndarray = Result.array_field(("R",))
    probe: np.ndarray = Result.array_field(("P", "d"))
    predictions: np.ndarray = Result.array_field(("R", "P", "c"))
    probe_target: np.ndarray | None = Result.array_field(("P", "c"), optional=True)
    records: dict[str, np.ndarray] = Result.array_dict_field(
        ("R", "..."), ("bool", "int", "float", "complex"), default_factory=dict
    )
    config: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    versions: dict[str, str] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per record step: step, time, loss, wall_time and every scalar record."""
        columns = {"step": self.steps, "time": self.time, "loss": self.loss, "wall_time": self.wall_time}
        columns.update({k: v for k, v in self.records.items() if v.ndim == 1})
        return pd.DataFrame(columns)

    def predictions_frame(self) -> pd.DataFrame:
        """Tidy predictions: step, point, x0..x{d-1}, output, prediction (and target)."""
        n_records, n_points, n_outputs = self.predictions.shape
        step, point, output = np.meshgrid(self.steps, np.arange(n_points), np.arange(n_outputs), indexing="ij")
        frame = pd.DataFrame({"step": step.ravel(), "point": point.ravel(), "output": output.ravel()})
        for k in range(self.probe.shape[1]):
            frame[f"x{k}"] = self.probe[point.ravel(), k]
        frame["prediction"] = self.predictions.ravel()
        if self.probe_target is not None:
            frame["target"] = np.broadcast_to(self.probe_target[None], self.predictions.shape).ravel()
        return frame

    def relative_l2_error(self) -> np.ndarray:
        """``|f_t - g|`` / ``|g|`` on the probe points at each record step (needs ``probe_target``)."""
        if self.probe_target is None:
            raise ValueError("probe_target: expected target values on the probe points, got None")
        error = np.linalg.norm((self.predictions - self.probe_target[None]).reshape(len(self.steps), -1), axis=1)
        return error / np.linalg.norm(self.probe_target)

    def _headline(self) -> list[tuple[str, Any]]:
        """The last record's step and loss and, with a probe target, its relative L2 error (for reprs)."""
        if len(self.steps) == 0:
            return []
        items: list[tuple[str, Any]] = [("final step", self.steps[-1]), ("final loss", self.loss[-1])]
        if self.probe_target is not None:
            items.append(("final relative L2", self.relative_l2_error()[-1]))
        return items


class TrainingDivergedError(FloatingPointError):
    """The loss became non-finite; ``history`` holds the snapshots taken before ``step``."""

    def __init__(self, message: str, step: int, history: History) -> None:
        super().__init__(message)
        self.step = step
        self.history = history


class _Log:
    """The growing lists behind a History (also what a checkpoint stores)."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.time: list[float] = []
        self.loss: list[float] = []
        self.wall_time: list[float] = []
        self.predictions: list[torch.Tensor] = []
        self.records: dict[str, list[torch.Tensor]] = {}

    def state_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, value)

    def to_history(
        self, probe: torch.Tensor, probe_target: torch.Tensor | None, config: dict, seed: int | None
    ) -> History:
        def numpy(t: torch.Tensor) -> np.ndarray:
            return t.detach().cpu().numpy()

        width = probe.shape[0]
        predictions = np.stack([numpy(p) for p in self.predictions]) if self.predictions else np.zeros((0, width, 1))
        return History(
            steps=np.asarray(self.steps, dtype=np.int64),
            time=np.asarray(self.time, dtype=np.float64),
            loss=np.asarray(self.loss, dtype=np.float64),
            wall_time=np.asarray(self.wall_time, dtype=np.float64),
            probe=numpy(probe),
            predictions=predictions,
            probe_target=None if probe_target is None else numpy(probe_target),
            records={k: np.stack([numpy(v) for v in values]) for k, values in self.records.items()},
            config=config,
            seed=seed,
            versions=library_versions(),
        )


_OPTIMIZER_CLASSES = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD, "lbfgs": torch.optim.LBFGS}


def _make_optimizer(
    name: str, params: list[nn.Parameter], lr: float, options: Mapping[str, Any]
) -> torch.optim.Optimizer:
    defaults = {"line_search_fn": "strong_wolfe"} if name == "lbfgs" else {}
    optimizer_class = _OPTIMIZER_CLASSES[name]
    try:
        return optimizer_class(params, lr=lr, **{**defaults, **options})
    except (TypeError, ValueError) as error:
        fail("optimizer_options", f"keyword options of torch.optim.{optimizer_class.__name__} ({error})", dict(options))


def _check_device(device: Any) -> torch.device:
    """``device`` as a torch.device that exists on this machine (a tiny allocation proves it)."""
    try:
        device = torch.device(device)
        torch.empty(1, device=device)
    except (RuntimeError, TypeError, AssertionError) as error:
        cuda = "" if torch.cuda.is_available() else "; torch.cuda.is_available() is False on this machine"
        fail("device", f"a device available here, such as 'cpu' ({str(error).splitlines()[0]}{cuda})", device)
    if device.type == "meta":
        fail("device", "a device that holds data (not 'meta')", str(device))
    return device


def _as_targets(
    argument: str, y: Any, n: int, dtype: torch.dtype | None = None, device: torch.device | None = None
) -> torch.Tensor:
    y = as_points(argument, y, dtype=dtype, device=device)
    if len(y) != n:
        fail(argument, f"{n} rows, one per row of {'x' if argument == 'y' else 'probe'}", f"{len(y)} rows")
    return y


@contextmanager
def _evaluation_mode(model: nn.Module) -> Iterator[None]:
    """``model.eval()`` for the duration, then each submodule's own mode back.

    Per submodule, because ``model.train()`` would also switch back submodules the user had frozen in
    eval mode (a pretrained batch-norm layer, say).
    """
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training


def _check_outputs(model: nn.Module, x: torch.Tensor, targets: Mapping[str, torch.Tensor | None]) -> None:
    """The model's output for one sample must be (1, c) with c the column count of every target."""
    # Eval mode: no batch statistics or dropout draws, so the check does not change the run.
    with _evaluation_mode(model), torch.no_grad():
        output = model(x[:1])
    if not isinstance(output, torch.Tensor):
        fail("model", "a module whose forward returns a tensor", type(output).__name__, TypeError)
    for argument, target in targets.items():
        if target is not None and tuple(output.shape) != (1, target.shape[1]):
            fail(
                argument,
                f"one column per model output (the model maps 1 sample to shape {tuple(output.shape)})",
                f"{target.shape[1]} column(s)",
            )


def _check_recorders(recorders: Any) -> list[Recorder]:
    """``recorders`` as a list of objects with a ``name`` (distinct) and a ``record`` method."""
    if isinstance(recorders, (str, Recorder)) or not isinstance(recorders, Sequence):
        fail("recorders", "a sequence of Recorder objects", recorders, TypeError)
    names = [getattr(r, "name", None) for r in recorders]
    for recorder, name in zip(recorders, names, strict=True):
        if not callable(getattr(recorder, "record", None)) or not isinstance(name, str):
            fail("recorders", "Recorder objects with a name and a record(model, snapshot) method", recorder, TypeError)
    if len(set(names)) != len(names):
        fail("recorders", "recorders with distinct names", names)
    return list(recorders)


class Monitor:
    """The snapshots of :func:`fit`, taken inside a training loop you write yourself.

    Call the monitor with the model and the step after every parameter update, and once with step 0
    before the first: at each record step it stores what ``fit`` stores (the full-data loss, the
    predictions on the probe points, the output of every recorder), and :meth:`history` returns the
    same :class:`History` that ``fit`` returns for the same run::

        monitor = Monitor(x, y, lr=1e-3, record_every=10, steps=500, recorders=[NTKRecorder()])
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        monitor(model, 0)
        for step in range(1, 501):
            optimizer.zero_grad()
            mean_loss(model(x), y).backward()
            optimizer.step()
            monitor(model, step)
        history = monitor.history()

    Conventions (those of :func:`fit`; see the module docstring):

    - Steps: step s is the model after s parameter updates. Records are taken at step 0, at every
      multiple of ``record_every`` and at ``steps`` (the last step) when given; :meth:`record` takes one
      at any other step. Steps must not decrease from call to call; a step already recorded is not
      recorded again (several calls per update, e.g. with gradient accumulation, are harmless).
    - Time: the theory's t = lr × steps, so the monitor must be told the learning rate: give ``lr``
      (a constant rate), or, with a schedule, leave ``lr`` None and pass ``time=`` Σ_{s < step} lr_s
      at every call that can record. (With Adam, t is the same bookkeeping, without the kernel
      regime's meaning.)
    - Loss: the full-data mean loss (1/2N) Σ_i ``|f(x_i) - y_i|²`` at the record (or ``objective(model)``),
      not the minibatch loss your loop happens to compute.
    - Records are taken in eval mode (dropout off, batch-norm running statistics read, not updated)
      and without gradients (except that an ``objective`` may differentiate), then every submodule's
      mode is restored: recording draws no random numbers and does not change the run.
    - Data: at the first call, x, y, probe and probe_target are moved to the dtype and device of the
      model's first parameter; ``wall_time`` counts seconds from the first call.

    Parameters
    ----------
    x, y
        The training inputs (N, d) and targets (N, c) the loss is measured on (y optional with an
        ``objective``).
    lr
        Constant learning rate, for t = lr × step; None: pass ``time`` at each call.
    record_every, steps
        Steps between records, and the last step (recorded whatever ``record_every``; None: unknown).
    probe, probe_target
        Points (P, d) where predictions are recorded and the target there (default: x and y).
    recorders
        :class:`Recorder` objects called at each record (distinct names).
    objective
        ``objective(model)`` returns the recorded loss in place of the mean data loss.
    seed, config
        Stored in ``History.seed`` and ``History.config`` (beside the monitor's own entries) so that a
        saved History says how your run was made; the monitor itself draws nothing.
    """

    def __init__(
        self,
        x: torch.Tensor | np.ndarray,
        y: torch.Tensor | np.ndarray | None = None,
        *,
        lr: float | None = None,
        record_every: int = 1,
        steps: int | None = None,
        probe: torch.Tensor | np.ndarray | None = None,
        probe_target: torch.Tensor | np.ndarray | None = None,
        recorders: Sequence[Recorder] = (),
        objective: Callable[[nn.Module], torch.Tensor] | None = None,
        seed: int | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        self.lr = None if lr is None else check_positive_float("lr", lr)
        self.record_every = check_positive_int("record_every", record_every)
        self.steps = None if steps is None else check_positive_int("steps", steps)
        self.recorders = _check_recorders(recorders)
        if objective is not None and not callable(objective):
            fail("objective", "a callable objective(model) -> scalar loss", type(objective).__name__, TypeError)
        if y is None and objective is None:
            fail("y", "training targets (N, c), or an objective that replaces the data loss", None)
        if config is not None and not isinstance(config, Mapping):
            fail("config", "a mapping of notes about the run", config, TypeError)
        self.objective = objective
        self.seed = None if seed is None else check_seed("seed", seed)
        self.x = as_points("x", x)
        self.y = None if y is None else _as_targets("y", y, len(self.x))
        if probe is None:
            probe, probe_target = self.x, (self.y if probe_target is None else probe_target)
        self.probe = as_points("probe", probe, self.x.shape[1])
        self.probe_target = None if probe_target is None else _as_targets("probe_target", probe_target, len(self.probe))
        self._notes = dict(config or {})
        self._config: dict[str, Any] | None = None  # filled in at the first call, from the model
        self._log = _Log()
        self._clock_start: float | None = None
        self._elapsed_before = 0.0

    @property
    def config(self) -> dict[str, Any]:
        """What ``History.config`` will hold: the run's description and the notes given as ``config``."""
        return dict(self._notes) if self._config is None else {**self._config, **self._notes}

    def _bind(self, model: nn.Module) -> None:
        """Move the data to the model's dtype and device and check its outputs (at the first call)."""
        check_model("model", model)
        reference = next(iter(model.parameters()), None)
        if reference is None:
            fail("model", "a module with trainable parameters", model)
        if not reference.dtype.is_floating_point:
            fail("model", "a module with floating-point parameters", reference.dtype, TypeError)
        dtype, device = reference.dtype, reference.device
        self.x = self.x.to(dtype=dtype, device=device)
        self.y = None if self.y is None else self.y.to(dtype=dtype, device=device)
        self.probe = self.probe.to(dtype=dtype, device=device)
        if self.probe_target is not None:
            self.probe_target = self.probe_target.to(dtype=dtype, device=device)
        _check_outputs(model, self.x, {"y": self.y, "probe_target": self.probe_target})
        self._config = {
            "model": type(model).__name__,
            "n_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "lr": self.lr,
            "steps": self.steps,
            "record_every": self.record_every,
            "n_samples": len(self.x),
            "input_dim": self.x.shape[1],
            "output_dim": None if self.y is None else self.y.shape[1],
            "dtype": str(dtype),
        }
        if self.objective is not None:
            self._config["objective"] = getattr(self.objective, "__qualname__", type(self.objective).__qualname__)
        clash = sorted(set(self._notes) & set(self._config))
        if clash:
            fail("config", f"notes under keys other than the monitor's own ({', '.join(self._config)})", clash)

    def elapsed(self) -> float:
        """Seconds of training so far: since the first call, plus those before a resumed checkpoint."""
        if self._clock_start is None:
            return self._elapsed_before
        return self._elapsed_before + timer.perf_counter() - self._clock_start

    def _start(self, model: nn.Module, step: Any) -> int:
        """Checks shared by every call; binds the data and starts the clock at the first."""
        step = check_positive_int("step", step, allow_zero=True)
        if self.steps is not None and step > self.steps:
            fail("step", f"at most steps ({self.steps})", step)
        if self._log.steps and step < self._log.steps[-1]:
            fail("step", f"the count of updates so far, at least the last recorded step {self._log.steps[-1]}", step)
        if self._config is None:
            self._bind(model)
        if self._clock_start is None:
            self._clock_start = timer.perf_counter()
        return step

    def _time(self, step: int, time: Any) -> float:
        if self.lr is not None:
            if time is not None:
                fail("time", f"None: this monitor computes t = lr × step from lr={self.lr}", time)
            return self.lr * step
        if time is None:
            fail("time", "the theory's time t at this step (Σ of the learning rates so far), or Monitor(lr=...)", None)
        time = check_positive_float("time", time, allow_zero=True)
        if self._log.time and time < self._log.time[-1]:
            fail("time", f"a time at least that of the last record, {self._log.time[-1]}", time)
        return time

    def __call__(self, model: nn.Module, step: int, *, time: float | None = None) -> float | None:
        """Record ``model`` if ``step`` is a record step not yet recorded; return the recorded loss, else None."""
        step = self._start(model, step)
        due = step % self.record_every == 0 or step == self.steps
        if not due or (self._log.steps and step == self._log.steps[-1]):
            return None
        return self._snapshot(model, step, self._time(step, time))

    def record(self, model: nn.Module, step: int, *, time: float | None = None) -> float:
        """Record ``model`` at ``step`` whatever the schedule (e.g. the last step of a loop of unknown length).

        Returns the recorded full-data loss; a step already recorded is not recorded again.
        """
        step = self._start(model, step)
        if self._log.steps and step == self._log.steps[-1]:
            return self._log.loss[-1]
        return self._snapshot(model, step, self._time(step, time))

    def _snapshot(self, model: nn.Module, step: int, time: float) -> float:
        with _evaluation_mode(model):
            with torch.no_grad():
                prediction = model(self.probe).detach()
                data_loss = mean_loss(model(self.x), self.y) if self.objective is None else None
            # An objective may differentiate the model with respect to its inputs: it needs gradients enabled.
            loss = float(data_loss if self.objective is None else self.objective(model).detach())
            if not np.isfinite(loss):
                self._diverged(step, loss)
            view = Snapshot(step, time, self.x, self.y, self.probe, self.probe_target, prediction)
            # Every recorder runs before anything is stored: one that fails leaves the log whole.
            outputs = [(recorder.name, recorder.record(model, view)) for recorder in self.recorders]
        log = self._log
        log.steps.append(step)
        log.time.append(time)
        log.loss.append(loss)
        log.predictions.append(prediction.cpu())
        for name, output in outputs:
            for key, value in output.items():
                log.records.setdefault(f"{name}/{key}", []).append(torch.as_tensor(np.asarray(value)))
        log.wall_time.append(self.elapsed())
        return loss

    def _diverged(self, step: int, loss: float) -> None:
        """Raise :class:`TrainingDivergedError` for a non-finite ``loss`` of the model after ``step`` updates."""
        last = f"step {self._log.steps[-1]}" if self._log.steps else "no step"
        advice = (
            "Try a smaller lr."
            if step > 0
            else "This is before any update: the model or the data give non-finite values (not the lr)."
        )
        raise TrainingDivergedError(
            f"training diverged: the loss became {loss} at step {step} (lr={self.lr}); "
            f"the History up to {last} is in error.history. {advice}",
            step,
            self.history(),
        )

    def _resume(self, state: Mapping[str, Any], device: torch.device) -> None:
        """Continue from a checkpoint's log, recorder states and elapsed time (see :class:`_Run`)."""
        if len(state["recorders"]) != len(self.recorders):
            fail("recorders", f"the {len(state['recorders'])} recorder(s) of the checkpoint", len(self.recorders))
        log = dict(state["log"])
        if "time" not in log and self.lr is not None:  # written before records kept their time: t = lr × step
            log["time"] = [self.lr * step for step in log["steps"]]
        self._log.load_state_dict(log)
        for recorder, recorder_state in zip(self.recorders, state["recorders"], strict=True):
            recorder.load_state_dict(_to_device(recorder_state, device))
        self._elapsed_before = float(state["elapsed"])
        self._clock_start = timer.perf_counter()

    def history(self) -> History:
        """The :class:`History` of the records so far (arrays copied: the monitor can go on recording)."""
        return self._log.to_history(self.probe, self.probe_target, self.config, self.seed)


def fit(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor | None,
    *,
    optimizer: str = "adam",
    lr: float = 1e-3,
    steps: int = 1000,
    batch_size: int | None = None,
    record_every: int | None = None,
    probe: torch.Tensor | None = None,
    probe_target: torch.Tensor | None = None,
    recorders: Sequence[Recorder] = (),
    seed: int | torch.Generator | None = 0,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
    progress: bool = True,
    checkpoint: str | os.PathLike[str] | None = None,
    checkpoint_every: int | None = None,
    optimizer_options: Mapping[str, Any] | None = None,
    objective: Callable[[nn.Module], torch.Tensor] | None = None,
) -> History:
    """Train ``model`` in place on (x, y) with the mean loss and return its :class:`History`.

    The records are taken by a :class:`Monitor`, exactly as in a hand-written loop that calls one.

    Parameters
    ----------
    x, y
        Training inputs (N, d) and targets (N, c) (a 1-D y is read as (N, 1)); c must be the model's
        number of outputs. With an ``objective``, x only supplies the default probe points and y
        (optional) their target values.
    optimizer
        ``"adam"``, ``"sgd"`` (plain gradient descent when full batch and no momentum) or ``"lbfgs"``.
    lr, steps, batch_size
        Learning rate, number of parameter updates, minibatch size (None: full batch).
    record_every
        Steps between snapshots (default: steps // 100, at least 1). Step 0 and the last step are always recorded.
    probe, probe_target
        Points (P, d) where predictions are recorded and the target there (default: the training set).
    recorders
        :class:`Recorder` objects called at each snapshot.
    seed
        Seeds the minibatch sampling (model initialisation is the model constructor's business).
    device, dtype
        Where and in which precision to train (default: those of the model's parameters).
    checkpoint, checkpoint_every
        A file to save the training state to every ``checkpoint_every`` steps (default record_every);
        when it exists, training resumes from it, ending with exactly the numbers of an uninterrupted
        run. The file records a fingerprint of the run (:mod:`spectra.checkpoint`): a resume with other
        data, probe, seed, model (architecture or initial state) or optimiser settings is refused. A run
        holds a lock on the file, so two runs cannot write it at once.
    objective
        ``objective(model)`` returns the scalar loss to minimise in place of the mean data loss (full batch
        only). It is also the ``loss`` recorded at snapshots, evaluated with gradients enabled because it
        may differentiate the model with respect to its inputs (a PDE residual).
    """
    check_model("model", model)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    lr = check_positive_float("lr", lr)
    steps = check_positive_int("steps", steps)
    record_every = check_positive_int(
        "record_every", record_every if record_every is not None else max(1, steps // 100)
    )
    checkpoint_every = check_positive_int(
        "checkpoint_every", checkpoint_every if checkpoint_every is not None else record_every
    )
    if batch_size is not None:
        batch_size = check_positive_int("batch_size", batch_size)
    if optimizer_options is not None and not isinstance(optimizer_options, Mapping):
        fail("optimizer_options", "a mapping of keyword options", optimizer_options, TypeError)
    optimizer_options = dict(optimizer_options or {})
    if objective is not None and batch_size is not None:
        fail("batch_size", "None (full batch) when an objective replaces the data loss", batch_size)
    check_float_dtype("dtype", dtype)
    if checkpoint is not None and not isinstance(checkpoint, (str, os.PathLike)):
        fail("checkpoint", "a file path", checkpoint, TypeError)
    generator = make_generator(seed)

    reference = next(iter(model.parameters()), None)
    if reference is None:
        fail("model", "a module with trainable parameters", model)
    dtype = dtype or reference.dtype
    if not dtype.is_floating_point:
        fail("dtype", "a floating-point dtype (the model's parameters are not floating point)", dtype, TypeError)
    device = _check_device(device) if device is not None else reference.device
    model.to(device=device, dtype=dtype)
    monitor = Monitor(
        as_points("x", x, dtype=dtype, device=device),
        y,
        lr=lr,
        record_every=record_every,
        steps=steps,
        probe=probe,
        probe_target=probe_target,
        recorders=recorders,
        objective=objective,
        seed=None if isinstance(seed, torch.Generator) else seed,  # a generator's state is no seed to store
        config={"optimizer": optimizer, "batch_size": batch_size, "optimizer_options": optimizer_options},
    )
    monitor._bind(model)  # data on the model's device and dtype, outputs checked, before any training
    x, y = monitor.x, monitor.y
    if batch_size is not None and batch_size > len(x):
        fail("batch_size", f"at most the number of samples ({len(x)})", batch_size)

    params = [p for p in model.parameters() if p.requires_grad]
    opt = _make_optimizer(optimizer, params, lr, optimizer_options)
    run = _Run(model, opt, generator, monitor)

    with ExitStack() as guard:
        if checkpoint is not None:
            guard.enter_context(exclusive_lock(checkpoint, argument="checkpoint"))
            remove_leftover_files(Path(checkpoint))
            run.fingerprint = run_fingerprint(
                x=x,
                y=y,
                probe=monitor.probe,
                probe_target=monitor.probe_target,
                seed=seed,
                model=model,
                optimizer=optimizer,
                lr=lr,
                optimizer_options=optimizer_options,
                batch_size=batch_size,
                record_every=record_every,
                recorders=[r.name for r in monitor.recorders],
                objective=monitor.config.get("objective"),
                dtype=dtype,
            )
            if Path(checkpoint).exists():
                run.restore(checkpoint, device)

        def closure() -> torch.Tensor:
            opt.zero_grad(set_to_none=True)
            if batch_size is None:
                xb, yb = x, y
            else:
                index = batch_index[0]
                xb, yb = x[index], y[index]
            loss = mean_loss(model(xb), yb) if objective is None else objective(model)
            loss.backward()
            return loss

        batch_index: list[torch.Tensor] = [torch.empty(0, dtype=torch.long)]
        if run.start > steps:
            fail("steps", f"at least the checkpoint's step {run.start}", steps)
        with tqdm(total=steps, initial=run.start, disable=not progress, desc=f"fit {type(model).__name__}") as bar:

            def show(loss: float | None) -> None:
                if loss is not None:
                    bar.set_postfix(loss=f"{loss:.3e}", refresh=False)

            if run.start == 0:
                show(monitor(model, 0))
            for step in range(run.start + 1, steps + 1):
                if batch_size is not None:
                    batch_index[0] = torch.randperm(len(x), generator=generator)[:batch_size].to(device)
                loss = opt.step(closure)
                if not torch.isfinite(loss):
                    # opt.step returns the loss evaluated before its update: that of the model after step - 1.
                    monitor._diverged(step - 1, float(loss.detach()))
                show(monitor(model, step))
                if checkpoint is not None and (step % checkpoint_every == 0 or step == steps):
                    run.save(checkpoint, step)
                bar.update(1)
    return monitor.history()


@dataclass
class _Run:
    """The state a checkpoint saves and restores (see :mod:`spectra.checkpoint` for the file)."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    monitor: Monitor
    fingerprint: dict[str, str] = field(default_factory=dict)
    start: int = 0

    def save(self, path: str | os.PathLike[str], step: int) -> None:
        state = {
            "step": step,
            "config": self.monitor.config,
            "elapsed": self.monitor.elapsed(),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "log": self.monitor._log.state_dict(),
            "recorders": [r.state_dict() for r in self.monitor.recorders],
        }
        save_checkpoint(path, state, self.fingerprint)

    def restore(self, path: str | os.PathLike[str], device: torch.device) -> None:
        """Load the state saved at ``path`` (checked against this run's fingerprint) onto ``device``."""
        state = load_checkpoint(path, self.fingerprint)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])  # moves its tensors to the parameters' device
        self.generator.set_state(state["generator"])
        self.monitor._resume(state, device)
        self.start = int(state["step"])


def _to_device(value: Any, device: torch.device) -> Any:
    """``value`` with every tensor inside (dicts, lists, tuples) moved to ``device``."""
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, Mapping):
        return {k: _to_device(v, device) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_device(v, device) for v in value)
    return value
