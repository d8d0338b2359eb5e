"""Training with snapshots: ``fit()`` returns a :class:`History` that later analyses read.

Conventions
-----------
- Loss: the mean loss L(θ) = (1/2N) Σ_i |f(x_i; θ) - y_i|² (sum over outputs, mean over samples);
  a minibatch of size B uses (1/2B) Σ over the batch.
- Time: the theory's continuous time t = lr × steps. For full-batch gradient descent
  (``optimizer="sgd"``, no momentum) the kernel regime then gives ∂_t f = -(1/N) Θ (f - y).
- Snapshots: at step 0 (the initial model), every ``record_every`` steps, and at the last step,
  ``fit`` stores the full-data loss, the predictions on the ``probe`` points and the outputs of each
  recorder. "Step s" means the model after s parameter updates.

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
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
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
from spectra.seeding import make_generator

OPTIMIZERS = ("adam", "sgd", "lbfgs")


def mean_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(1/2N) Σ_i |f_i - y_i|²: the loss every theory in spectra assumes."""
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
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        pass


class ParameterDriftRecorder(Recorder):
    """Relative parameter drift |θ_t - θ_0| / |θ_0| (is the lazy picture valid?) and |θ_t|."""

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
        """|f_t - g| / |g| on the probe points at each record step (needs ``probe_target``)."""
        if self.probe_target is None:
            raise ValueError("probe_target: expected target values on the probe points, got None")
        error = np.linalg.norm((self.predictions - self.probe_target[None]).reshape(len(self.steps), -1), axis=1)
        return error / np.linalg.norm(self.probe_target)


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
        self, lr: float, probe: torch.Tensor, probe_target: torch.Tensor | None, config: dict, seed: int | None
    ) -> History:
        def numpy(t: torch.Tensor) -> np.ndarray:
            return t.detach().cpu().numpy()

        steps = np.asarray(self.steps, dtype=np.int64)
        width = probe.shape[0]
        predictions = np.stack([numpy(p) for p in self.predictions]) if self.predictions else np.zeros((0, width, 1))
        return History(
            steps=steps,
            time=lr * steps.astype(np.float64),
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


def _as_targets(argument: str, y: Any, n: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    y = as_points(argument, y, dtype=dtype, device=device)
    if len(y) != n:
        fail(argument, f"{n} rows, one per row of {'x' if argument == 'y' else 'probe'}", f"{len(y)} rows")
    return y


def _check_outputs(model: nn.Module, x: torch.Tensor, targets: Mapping[str, torch.Tensor | None]) -> None:
    """The model's output for one sample must be (1, c) with c the column count of every target."""
    training = model.training
    model.eval()  # no batch statistics or dropout draws: the check must not change the run
    try:
        with torch.no_grad():
            output = model(x[:1])
    finally:
        model.train(training)
    if not isinstance(output, torch.Tensor):
        fail("model", "a module whose forward returns a tensor", type(output).__name__, TypeError)
    for argument, target in targets.items():
        if target is not None and tuple(output.shape) != (1, target.shape[1]):
            fail(
                argument,
                f"one column per model output (the model maps 1 sample to shape {tuple(output.shape)})",
                f"{target.shape[1]} column(s)",
            )


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

    Parameters
    ----------
    x, y:
        Training inputs (N, d) and targets (N, c) (a 1-D y is read as (N, 1)); c must be the model's
        number of outputs. With an ``objective``, x only supplies the default probe points and y
        (optional) their target values.
    optimizer:
        ``"adam"``, ``"sgd"`` (plain gradient descent when full batch and no momentum) or ``"lbfgs"``.
    lr, steps, batch_size:
        Learning rate, number of parameter updates, minibatch size (None: full batch).
    record_every:
        Steps between snapshots (default: steps // 100, at least 1). Step 0 and the last step are always recorded.
    probe, probe_target:
        Points (P, d) where predictions are recorded and the target there (default: the training set).
    recorders:
        :class:`Recorder` objects called at each snapshot.
    seed:
        Seeds the minibatch sampling (model initialisation is the model constructor's business).
    device, dtype:
        Where and in which precision to train (default: those of the model's parameters).
    checkpoint, checkpoint_every:
        A file to save the training state to every ``checkpoint_every`` steps (default record_every);
        when it exists, training resumes from it, ending with exactly the numbers of an uninterrupted
        run. The file records a fingerprint of the run (:mod:`spectra.checkpoint`): a resume with other
        data, probe, seed, model (architecture or initial state) or optimiser settings is refused. A run
        holds a lock on the file, so two runs cannot write it at once.
    objective:
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
    if objective is not None and not callable(objective):
        fail("objective", "a callable objective(model) -> scalar loss", type(objective).__name__, TypeError)
    if objective is not None and batch_size is not None:
        fail("batch_size", "None (full batch) when an objective replaces the data loss", batch_size)
    if y is None and objective is None:
        fail("y", "training targets (N, c), or an objective that replaces the data loss", None)
    check_float_dtype("dtype", dtype)
    if checkpoint is not None and not isinstance(checkpoint, (str, os.PathLike)):
        fail("checkpoint", "a file path", checkpoint, TypeError)
    if isinstance(recorders, (str, Recorder)) or not isinstance(recorders, Sequence):
        fail("recorders", "a sequence of Recorder objects", recorders, TypeError)
    names = [getattr(r, "name", None) for r in recorders]
    for recorder, name in zip(recorders, names, strict=True):
        if not callable(getattr(recorder, "record", None)) or not isinstance(name, str):
            fail("recorders", "Recorder objects with a name and a record(model, snapshot) method", recorder, TypeError)
    if len(set(names)) != len(names):
        fail("recorders", "recorders with distinct names", names)
    generator = make_generator(seed)

    reference = next(iter(model.parameters()), None)
    if reference is None:
        fail("model", "a module with trainable parameters", model)
    dtype = dtype or reference.dtype
    if not dtype.is_floating_point:
        fail("dtype", "a floating-point dtype (the model's parameters are not floating point)", dtype, TypeError)
    device = _check_device(device) if device is not None else reference.device
    model.to(device=device, dtype=dtype)
    x = as_points("x", x, dtype=dtype, device=device)
    y = None if y is None else _as_targets("y", y, len(x), dtype, device)
    if probe is None:
        probe, probe_target = x, (y if probe_target is None else probe_target)
    probe = as_points("probe", probe, x.shape[1], dtype=dtype, device=device)
    if probe_target is not None:
        probe_target = _as_targets("probe_target", probe_target, len(probe), dtype, device)
    if batch_size is not None and batch_size > len(x):
        fail("batch_size", f"at most the number of samples ({len(x)})", batch_size)
    _check_outputs(model, x, {"y": y, "probe_target": probe_target})

    config = {
        "model": type(model).__name__,
        "n_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "optimizer": optimizer,
        "lr": lr,
        "steps": steps,
        "batch_size": batch_size,
        "record_every": record_every,
        "n_samples": len(x),
        "input_dim": x.shape[1],
        "output_dim": None if y is None else y.shape[1],
        "dtype": str(dtype),
        "optimizer_options": optimizer_options,
    }
    if objective is not None:
        config["objective"] = getattr(objective, "__qualname__", type(objective).__qualname__)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = _make_optimizer(optimizer, params, lr, optimizer_options)
    log = _Log()
    run = _Run(config, model, opt, generator, log, recorders)

    with ExitStack() as guard:
        if checkpoint is not None:
            guard.enter_context(exclusive_lock(checkpoint, argument="checkpoint"))
            remove_leftover_files(Path(checkpoint))
            run.fingerprint = run_fingerprint(
                x=x,
                y=y,
                probe=probe,
                probe_target=probe_target,
                seed=seed,
                model=model,
                optimizer=optimizer,
                lr=lr,
                optimizer_options=optimizer_options,
                batch_size=batch_size,
                record_every=record_every,
                recorders=names,
                objective=config.get("objective"),
                dtype=dtype,
            )
            if Path(checkpoint).exists():
                run.restore(checkpoint, device)
        clock_start = timer.perf_counter()

        def elapsed() -> float:
            return run.elapsed_before + timer.perf_counter() - clock_start

        def snapshot(step: int) -> None:
            with torch.no_grad():
                prediction = model(probe).detach()
                data_loss = mean_loss(model(x), y) if objective is None else None
            # An objective may differentiate the model with respect to its inputs: it needs gradients enabled.
            loss = float(data_loss if objective is None else objective(model).detach())
            if not np.isfinite(loss):
                _diverged(step, loss)
            view = Snapshot(step, lr * step, x, y, probe, probe_target, prediction)
            log.steps.append(step)
            log.loss.append(loss)
            log.predictions.append(prediction.cpu())
            for recorder in recorders:
                for key, value in recorder.record(model, view).items():
                    log.records.setdefault(f"{recorder.name}/{key}", []).append(torch.as_tensor(np.asarray(value)))
            log.wall_time.append(elapsed())
            bar.set_postfix(loss=f"{loss:.3e}", refresh=False)

        def _diverged(step: int, loss: float) -> None:
            history = log.to_history(lr, probe, probe_target, config, seed)
            last = f"step {log.steps[-1]}" if log.steps else "no step"
            advice = (
                "Try a smaller lr."
                if step > 0
                else "This is before any update: the model or the data give non-finite values (not the lr)."
            )
            raise TrainingDivergedError(
                f"training diverged: the loss became {loss} at step {step} (lr={lr}); "
                f"the History up to {last} is in error.history. {advice}",
                step,
                history,
            )

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
            if run.start == 0:
                snapshot(0)
            for step in range(run.start + 1, steps + 1):
                if batch_size is not None:
                    batch_index[0] = torch.randperm(len(x), generator=generator)[:batch_size].to(device)
                loss = opt.step(closure)
                if not torch.isfinite(loss):
                    # opt.step returns the loss evaluated before its update: that of the model after step - 1.
                    _diverged(step - 1, float(loss.detach()))
                if step % record_every == 0 or step == steps:
                    snapshot(step)
                if checkpoint is not None and (step % checkpoint_every == 0 or step == steps):
                    run.save(checkpoint, step, elapsed())
                bar.update(1)
    return log.to_history(lr, probe, probe_target, config, seed)


@dataclass
class _Run:
    """The state a checkpoint saves and restores (see :mod:`spectra.checkpoint` for the file)."""

    config: dict[str, Any]
    model: nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    log: _Log
    recorders: Sequence[Recorder]
    fingerprint: dict[str, str] = field(default_factory=dict)
    start: int = 0
    elapsed_before: float = 0.0

    def save(self, path: str | os.PathLike[str], step: int, elapsed: float) -> None:
        state = {
            "step": step,
            "config": self.config,
            "elapsed": elapsed,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "log": self.log.state_dict(),
            "recorders": [r.state_dict() for r in self.recorders],
        }
        save_checkpoint(path, state, self.fingerprint)

    def restore(self, path: str | os.PathLike[str], device: torch.device) -> None:
        """Load the state saved at ``path`` (checked against this run's fingerprint) onto ``device``."""
        state = load_checkpoint(path, self.fingerprint)
        if len(state["recorders"]) != len(self.recorders):
            fail("recorders", f"the {len(state['recorders'])} recorder(s) of the checkpoint", len(self.recorders))
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])  # moves its tensors to the parameters' device
        self.generator.set_state(state["generator"])
        self.log.load_state_dict(state["log"])
        for recorder, recorder_state in zip(self.recorders, state["recorders"], strict=True):
            recorder.load_state_dict(_to_device(recorder_state, device))
        self.start, self.elapsed_before = int(state["step"]), float(state["elapsed"])


def _to_device(value: Any, device: torch.device) -> Any:
    """``value`` with every tensor inside (dicts, lists, tuples) moved to ``device``."""
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, Mapping):
        return {k: _to_device(v, device) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_device(v, device) for v in value)
    return value
