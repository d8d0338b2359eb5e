"""Independent runs spread over processes: what the report and the study scripts use on a small machine.

On a 2-core machine one process whose torch threads compete for the cores is often many times slower
than two processes with one thread each (small networks spend their time in thread hand-offs). Each
task carries its own seed, so results do not depend on the number of workers or their order.

No worker outlives the process that started it, however that process ends:

- an error, Ctrl-C (``KeyboardInterrupt``) or ``SystemExit`` in the parent kills the workers at once,
  including those in the middle of a task (a running task cannot be cancelled otherwise);
- ``kill -9`` of the parent cannot be caught, so each worker watches its parent from the moment its
  interpreter starts (:mod:`spectra._lifeline`) and ends when the parent has gone;
- :func:`sigterm_as_exit` turns SIGTERM into ``SystemExit`` in the entry points (``spectra report``,
  the study scripts), so that their clean-up (workers, staging folders, locks) runs as for Ctrl-C.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any

import torch
from tqdm.auto import tqdm

from spectra._lifeline import ENVIRONMENT_VARIABLE, SITE_FOLDER, watch_parent_if_worker
from spectra._validation import check_positive_int


def _start_worker() -> None:
    watch_parent_if_worker()  # already running unless the interpreter ignored the environment (python -E)
    torch.set_num_threads(1)


@contextmanager
def _worker_environment() -> Iterator[None]:
    """The environment a worker starts in: the lifeline's variable and its site folder first on PYTHONPATH."""
    python_path = os.environ.get("PYTHONPATH")
    changes = {
        ENVIRONMENT_VARIABLE: str(os.getpid()),
        "PYTHONPATH": os.pathsep.join([SITE_FOLDER, *([python_path] if python_path else [])]),
    }
    previous = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def process_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` spawned processes with one torch thread each, none of which outlives this process.

    Submit the tasks inside the block: workers start on demand, and they watch this process from their
    first moment only when started inside it. Leaving the block normally waits for the tasks; leaving it
    with an exception (or Ctrl-C, or SystemExit) kills the workers at once (:func:`stop_workers`).
    """
    workers = check_positive_int("workers", workers)
    context = multiprocessing.get_context("spawn")  # forking a process that holds torch's thread pools is unsafe
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker)
    try:
        with _worker_environment():
            yield pool
    except BaseException:
        stop_workers(pool)
        raise
    pool.shutdown()


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's worker processes now, cancel what has not started, and wait for the pool to close."""
    kill_workers = getattr(pool, "kill_workers", None)  # Python >= 3.14
    if kill_workers is not None:
        kill_workers()
    else:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
    pool.shutdown(wait=True, cancel_futures=True)


def map_in_processes(
    function: Callable[[Any], Any], tasks: Sequence[Any], workers: int, *, progress: bool = True, description: str = ""
) -> list[Any]:
    """``[function(t) for t in tasks]``, in ``workers`` processes with one torch thread each when workers > 1.

    ``function`` and the tasks must be picklable (a module-level function). With ``workers == 1`` the tasks
    run here, in order, with this process's torch threads. A failing task (or Ctrl-C) kills the workers and
    cancels the tasks not started.
    """
    workers = check_positive_int("workers", workers)
    if workers == 1 or len(tasks) <= 1:
        return [function(task) for task in tqdm(tasks, desc=description, disable=not progress)]
    with process_pool(min(workers, len(tasks))) as pool:
        futures = [pool.submit(function, task) for task in tasks]
        for _ in tqdm(as_completed(futures), total=len(futures), desc=description, disable=not progress):
            pass
        return [future.result() for future in futures]


def _raise_exit(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def sigterm_as_exit() -> Iterator[None]:
    """Within the block, SIGTERM raises ``SystemExit(143)`` in the main thread, so ``finally`` clauses run.

    Outside the main thread (where Python cannot install handlers) the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
