"""Parameter sweeps that survive crashes, lost workers and Ctrl-C, on one machine or a Dask cluster.

A sweep runs one task function (:mod:`spectra.tasks`, or any importable function of keyword arguments
that returns a dictionary of numbers) at every point of a parameter grid. It is described by a TOML file

.. code-block:: toml

    task = "spectra.tasks:train_multiscale"   # module:function
    [fixed]                                    # the same for every task
    steps = 500
    [grid]                                     # every combination, the last name varying fastest
    model = ["mlp", "mlp_normalised", "repnet", "fourier_features"]
    width = [32, 64]
    seed = [0, 1, 2]
    [plot]                                     # optional: the standard figures
    x = "width"
    hue = "model"
    metrics = ["relative_l2_late"]

or the same structure as a dictionary (:meth:`SweepSpec.from_mapping`), and run by ``spectra sweep
FILE --out DIR`` or :func:`run`. The folder ``DIR`` grows as tasks finish:

- ``tasks/<key>.json``: one file per finished task (its task, parameters and result), written whole
  or not at all by the driver as soon as the task's result arrives. ``key`` is a hash of the task name
  and its full parameters (fixed and grid values together), so a re-run, with the same file or a
  larger grid, runs only the tasks that have no file yet: a crash, a lost worker or Ctrl-C costs only
  the tasks that were running;
- ``results.csv`` and ``results.parquet``: one row per task of the grid, in grid order, with its
  parameters and every number it returned (written when the sweep ends, from the task files);
- ``<metric>.png`` / ``.svg``: each metric against the ``plot.x`` parameter, one line per ``plot.hue``
  value, the band ± one standard deviation over the other parameters (the seeds);
- ``sweep.json``: the sweep's description; ``failures.json``: the tasks that raised, with the error.

Determinism: every task runs with one torch thread and draws everything from its own ``seed``, so the
table is the same, number for number, whatever the executor, the number of workers and the order in
which tasks finish. A task that raises is recorded in ``failures.json`` and tried again by the next run;
the others go on. A failure of the machinery itself (a pool whose worker died, a Dask task that lost
its worker more often than Dask's ``allowed-failures``) stops the run; the finished tasks stay.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import itertools
import json
import time
import tomllib
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from spectra._validation import fail
from spectra.output import resumable_folder, write_atomic, write_text_atomic
from spectra.parallel import imap_tasks
from spectra.plots.style import save_figure
from spectra.plots.sweep import plot_sweep
from spectra.results import to_jsonable

KIND = "sweep"
TASKS_FOLDER = "tasks"
_SECTIONS = {"task", "fixed", "grid", "plot", "name"}


def resolve_task(argument: str, name: Any) -> Callable[..., Mapping[str, Any]]:
    """The function named ``"package.module:function"``; refuse a name that does not import to a callable."""
    if not isinstance(name, str) or name.count(":") != 1:
        fail(argument, "'package.module:function' naming a task function (e.g. 'spectra.tasks:train_multiscale')", name)
    module_name, function_name = name.split(":")
    try:
        function = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError) as error:
        fail(argument, "an importable task function 'package.module:function'", f"{name!r} ({error})")
    if not callable(function):
        fail(argument, "a callable task function", f"{name!r}, a {type(function).__name__}")
    return function


def task_key(task: str, parameters: Mapping[str, Any]) -> str:
    """A 16-hex-digit key of one task: the SHA-256 of its name and parameters as canonical JSON."""
    text = json.dumps({"task": task, "parameters": to_jsonable(parameters)}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class SweepSpec:
    """A task function and the grid of its keyword arguments (module docstring).

    ``grid`` maps each varied parameter to its values (every combination runs, the last name varying
    fastest); ``fixed`` holds the parameters shared by all tasks; ``plot`` the optional figure settings
    ``x``, ``hue`` and ``metrics``.
    """

    task: str
    grid: dict[str, list[Any]]
    fixed: dict[str, Any] = field(default_factory=dict)
    plot: dict[str, Any] = field(default_factory=dict)
    name: str = "sweep"

    def __post_init__(self) -> None:
        resolve_task("task", self.task)
        if not isinstance(self.grid, Mapping) or not self.grid:
            fail("grid", "a non-empty table of parameter names and lists of values", self.grid)
        for key, values in self.grid.items():
            if not isinstance(values, list) or not values:
                fail(f"grid.{key}", "a non-empty list of values", values)
        if not isinstance(self.fixed, Mapping):
            fail("fixed", "a table of parameter names and values", self.fixed)
        both = sorted(set(self.grid) & set(self.fixed))
        if both:
            fail("grid", "parameters that are not also in fixed", f"{both} in both")
        unknown = sorted(set(self.plot) - {"x", "hue", "metrics"})
        if unknown:
            fail("plot", "only the keys x, hue and metrics", unknown)
        for key in ("x", "hue"):
            if key in self.plot and self.plot[key] not in self.grid:
                fail(f"plot.{key}", f"a grid parameter ({', '.join(self.grid)})", self.plot[key])

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> SweepSpec:
        """The spec from a dictionary with the TOML file's structure (module docstring)."""
        if not isinstance(mapping, Mapping):
            fail("spec", "a table with task, grid and optionally fixed, plot, name", type(mapping).__name__, TypeError)
        unknown = sorted(set(mapping) - _SECTIONS)
        if unknown:
            fail("spec", f"only the keys {', '.join(sorted(_SECTIONS))}", f"also {unknown}")
        if "task" not in mapping or "grid" not in mapping:
            fail("spec", "a task and a grid", f"keys {sorted(mapping)}")
        for section in ("grid", "fixed", "plot"):
            if not isinstance(mapping.get(section, {}), Mapping):
                fail(section, "a table of names and values", mapping[section])
        return cls(
            task=mapping["task"],
            grid={k: list(v) if isinstance(v, (list, tuple)) else v for k, v in dict(mapping["grid"]).items()},
            fixed=dict(mapping.get("fixed", {})),
            plot=dict(mapping.get("plot", {})),
            name=str(mapping.get("name", "sweep")),
        )

    @classmethod
    def from_toml(cls, path: str | Path) -> SweepSpec:
        """The spec from a TOML file (module docstring)."""
        path = Path(path)
        try:
            mapping = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            fail("spec", "a readable TOML file", f"{str(path)!r} ({error.strerror})")
        except tomllib.TOMLDecodeError as error:
            fail("spec", "a valid TOML file", f"{str(path)!r} ({error})")
        return cls.from_mapping(mapping)

    def points(self) -> list[dict[str, Any]]:
        """Every task's full parameters (fixed, then grid values), in grid order."""
        names = list(self.grid)
        return [
            {**self.fixed, **dict(zip(names, values, strict=True))}
            for values in itertools.product(*(self.grid[name] for name in names))
        ]

    def keys(self) -> list[str]:
        """:func:`task_key` of every point, in grid order."""
        return [task_key(self.task, point) for point in self.points()]


@dataclass(frozen=True)
class SweepResult:
    """What a sweep produced: the tidy ``table`` (one row per task), and how this run got there.

    ``ran`` tasks were computed by this run, ``reused`` were found finished in the folder, ``failed``
    maps the key of each task that raised to its error text.
    """

    spec: SweepSpec
    out: Path
    table: pd.DataFrame = field(repr=False)
    ran: int
    reused: int
    failed: dict[str, str]
    wall_time: float

    def __repr__(self) -> str:
        return (
            f"<SweepResult {self.spec.name!r} | {len(self.table)} tasks | ran {self.ran}, reused {self.reused}, "
            f"failed {len(self.failed)} | {self.wall_time:.1f} s | {self.out}>"
        )

    def to_frame(self) -> pd.DataFrame:
        """The table: the grid parameters and every number each task returned, in grid order."""
        return self.table.copy()

    def save(self, path: str | Path) -> Path:
        """Write the table as CSV (``.csv``) or Parquet (any other suffix), whole or not at all."""
        path = Path(path)
        if path.suffix == ".csv":
            return write_text_atomic(path, self.table.to_csv(index=False))
        return write_atomic(path, lambda handle: self.table.to_parquet(handle, index=False))


def _call(function_name: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Run one task where the executor put it; an error becomes part of the answer, so the sweep goes on."""
    try:
        result = resolve_task("task", function_name)(**parameters)
        if not isinstance(result, Mapping):
            fail("task", "a function that returns a dictionary of numbers", type(result).__name__, TypeError)
        return {"result": to_jsonable(dict(result))}
    except Exception:  # any error of the user's task is reported with the task, not raised
        return {"error": traceback.format_exc()}


def _run_task(item: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return _call(*item)


def _record_path(folder: Path, key: str) -> Path:
    return folder / TASKS_FOLDER / f"{key}.json"


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # absent, or not a record this toolkit wrote: the task runs again
    return record if isinstance(record, dict) and isinstance(record.get("result"), dict) else None


def _cell(value: Any) -> Any:
    """A parameter as a table cell: lists and tables as their JSON text."""
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def _table(spec: SweepSpec, points: Sequence[dict[str, Any]], records: Sequence[dict[str, Any] | None]) -> pd.DataFrame:
    rows = []
    for point, record in zip(points, records, strict=True):
        if record is None:
            continue
        numbers = {k: v for k, v in record["result"].items() if isinstance(v, (int, float, bool)) or v is None}
        rows.append({"key": record["key"], **{k: _cell(point[k]) for k in spec.grid}, **numbers})
    return pd.DataFrame(rows)


def _metrics(spec: SweepSpec, table: pd.DataFrame) -> list[str]:
    if "metrics" in spec.plot:
        return [m for m in spec.plot["metrics"] if m in table.columns]
    numeric = table.select_dtypes("float").columns  # integer results (sizes, counts) are not curves
    return [c for c in numeric if c not in spec.grid and c != "wall_time_s"]


def _write_outputs(folder: Path, spec: SweepSpec, table: pd.DataFrame) -> None:
    write_text_atomic(folder / "results.csv", table.to_csv(index=False))
    write_atomic(folder / "results.parquet", lambda handle: table.to_parquet(handle, index=False))
    x = spec.plot.get("x") or next((p for p in spec.grid if p != "seed" and len(spec.grid[p]) > 1), None)
    if x is None or table.empty:
        return
    hue = spec.plot.get("hue")
    for metric in _metrics(spec, table):
        figure = plot_sweep(table, x=x, metric=metric, hue=hue)
        try:
            save_figure(figure, folder / metric)
        finally:
            plt.close(figure)


def run(
    spec: SweepSpec | Mapping[str, Any] | str | Path,
    out: str | Path,
    *,
    executor: Executor | None = None,
    progress: bool = True,
) -> SweepResult:
    """Run every task of ``spec`` that ``out`` does not hold yet; gather all of them into one table.

    Parameters
    ----------
    spec
        A :class:`SweepSpec`, a dictionary with its structure, or the path of a TOML file.
    out
        The sweep's folder: a new path, or the folder of an earlier run of a sweep (continued). Other
        existing folders are refused (:func:`spectra.output.resumable_folder`); one run at a time.
    executor
        Where the tasks run (:func:`spectra.parallel.task_executor`: a local pool or a Dask cluster);
        None runs them here, one after the other.
    progress
        A progress bar over finished tasks.
    """
    if not isinstance(spec, SweepSpec):
        spec = SweepSpec.from_toml(spec) if isinstance(spec, (str, Path)) else SweepSpec.from_mapping(spec)
    start = time.perf_counter()
    with resumable_folder(out, kind=KIND) as folder:
        (folder / TASKS_FOLDER).mkdir(mode=0o777, exist_ok=True)
        write_text_atomic(folder / "sweep.json", json.dumps(to_jsonable(dataclasses.asdict(spec)), indent=2))
        points, keys = spec.points(), spec.keys()
        records = [_read_record(_record_path(folder, key)) for key in keys]  # None: not run yet, or unreadable
        pending = [index for index, record in enumerate(records) if record is None]
        failed: dict[str, str] = {}
        items = [(spec.task, points[index]) for index in pending]
        for position, answer in imap_tasks(_run_task, items, executor, progress=progress, description=spec.name):
            index = pending[position]
            if "error" in answer:
                failed[keys[index]] = answer["error"]
                continue
            records[index] = {
                "key": keys[index],
                "task": spec.task,
                "parameters": to_jsonable(points[index]),
                "result": answer["result"],
            }
            write_text_atomic(_record_path(folder, keys[index]), json.dumps(records[index], indent=1))
        failures = [{"key": k, "error": e} for k, e in failed.items()]
        write_text_atomic(folder / "failures.json", json.dumps(failures, indent=1))
        table = _table(spec, points, records)
        _write_outputs(folder, spec, table)
    ran = len(pending) - len(failed)
    return SweepResult(spec, Path(out), table, ran, len(table) - ran, failed, time.perf_counter() - start)
