"""One sweep on three executors, side by side: here (1 worker), a local pool of 2, a 2-worker Dask cluster.

    python analysis/benchmarks/sweep.py [--quick] [--tasks 24] [--steps 2000] [--overhead-tasks 200]

Training: ``spectra.tasks:train_multiscale`` (width 64, depth 2, Adam, full batch) over a grid of 4 models
and tasks/4 seeds, run through :func:`spectra.sweep.run` (task files, table and figures included) on each
executor in turn; "ratio" is the wall time over the serial run's. Every task runs with one torch thread,
wherever it runs, and the three tables are compared number for number.

Overhead: ``--overhead-tasks`` tasks that do nothing (the task ``builtins:dict`` returns its parameters)
through the same three paths; "per task" is the sweep's wall time over the number of tasks (two workers
work at once), i.e. what the machinery costs a task: submission, the result's trip back, its file.
Target for the Dask path: under 50 ms per task. Executor start-up (spawning the workers, starting a
cluster, importing spectra in each worker) is timed separately and is in neither number.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import AbstractContextManager
from pathlib import Path

import pandas as pd
import torch

from spectra.parallel import map_tasks, task_executor
from spectra.sweep import run

EXECUTORS: dict[str, Callable[[], AbstractContextManager[Executor | None]]] = {
    "here (1 worker)": lambda: task_executor(1),
    "process pool, 2 workers": lambda: task_executor(2),
    "Dask LocalCluster, 2 workers": lambda: task_executor(cluster="local:2", progress=False),
}


def training_spec(tasks: int, steps: int) -> dict:
    return {
        "task": "spectra.tasks:train_multiscale",
        "fixed": {"width": 64, "depth": 2, "steps": steps, "n_train": 256, "n_probe": 512},
        "grid": {"model": ["mlp", "mlp_normalised", "repnet", "fourier_features"], "seed": list(range(tasks // 4))},
    }


def overhead_spec(tasks: int) -> dict:
    return {"task": "builtins:dict", "grid": {"i": list(range(tasks))}}


def measure(specs: dict[str, dict], folder: Path) -> tuple[pd.DataFrame, dict[str, dict[str, pd.DataFrame]]]:
    rows, tables = [], {}
    for name, make in EXECUTORS.items():
        start = time.perf_counter()
        with make() as executor:
            if executor is not None:  # start every worker (a pool starts them on demand) and import spectra there
                map_tasks(time.sleep, [0.5, 0.5], executor, progress=False)
            row = {"executor": name, "start-up s": time.perf_counter() - start}
            for label, spec in specs.items():
                result = run(spec, folder / f"{label}-{len(rows)}", executor=executor, progress=False)
                row[f"{label} s"] = result.wall_time
                tables.setdefault(label, {})[name] = result.table
        rows.append(row)
    return pd.DataFrame(rows), tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the tests")
    parser.add_argument("--tasks", type=int, default=24, help="training tasks (a multiple of 4)")
    parser.add_argument("--steps", type=int, default=2000, help="Adam steps per training task")
    parser.add_argument("--overhead-tasks", type=int, default=200, help="empty tasks for the overhead")
    args = parser.parse_args()
    tasks, steps, empty = (4, 20, 20) if args.quick else (args.tasks, args.steps, args.overhead_tasks)
    specs = {"training": training_spec(tasks, steps), "overhead": overhead_spec(empty)}
    print(f"torch threads per task: 1 (this process: {torch.get_num_threads()}); {tasks} training tasks of {steps} "
          f"steps, {empty} empty tasks")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        frame, tables = measure(specs, Path(folder))
    serial = frame["training s"].iloc[0]
    print("| executor | start-up s | training s | ratio | empty tasks s | ms per empty task |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in frame.to_dict("records"):
        training, overhead = row["training s"], row["overhead s"]
        print(
            f"| {row['executor']} | {row['start-up s']:.2f} | {training:.2f} | {training / serial:.2f} "
            f"| {overhead:.2f} | {1e3 * overhead / empty:.1f} |"
        )
    reference = tables["training"]["here (1 worker)"].drop(columns="wall_time_s")
    same = all(t.drop(columns="wall_time_s").equals(reference) for t in tables["training"].values())
    print(f"training tables identical on all executors: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
