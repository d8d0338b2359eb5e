"""Independent runs spread over processes: what the report and the study scripts use on a small machine.

On a 2-core machine one process whose torch threads compete for the cores is often many times slower
than two processes with one thread each (small networks spend their time in thread hand-offs). Each
task carries its own seed, so results do not depend on the number of workers or their order.

No worker outlives the process that started it, however that process ends:

- an error, Ctrl-C (``KeyboardInterrupt``) or ``SystemExit`` in the parent kills the workers at once,
  including those in the middle of a task (a running task cannot be cancelled otherwise);
- ``kill -9`` of the parent cannot be caught, so each worker watches its parent from the moment its
  interpreter starts (``spectra._lifeline``) and ends when the parent has gone;
- :func:`sigterm_as_exit` turns SIGTERM into ``SystemExit`` in the entry points (``spectra report``,
  the study scripts), so that their clean-up (workers, staging folders, locks) runs as for Ctrl-C.

One execution path for every set of independent tasks (the report's sections, the studies' runs, a
:mod:`spectra.sweep`, the tiles of a large eNTK): a :class:`concurrent.futures.Executor`, chosen by
:func:`task_executor` from three settings that every entry point takes,

- ``workers=N``: a local process pool (:func:`process_pool`); ``workers=1`` runs the tasks here;
- ``cluster="local:N"``: a Dask ``distributed.LocalCluster`` of N worker processes on this machine,
  started and stopped with the run (its workers watch this process like the pool's do);
- ``scheduler="tcp://host:port"``: a running Dask cluster (started by hand, by ``dask-jobqueue`` on
  SLURM, ...), which the run joins as a client and leaves running.

Dask's executor (``Client.get_executor``) is a ``concurrent.futures.Executor`` like the pool, so the
code that submits tasks is the same for all three. Every task runs with one torch intra-op thread
wherever it runs (:func:`map_tasks`): parallelism comes from the workers, and a task's floating-point
result does not depend on where it ran or on how many threads that process had.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any

import torch
from tqdm.auto import tqdm

from spectra._lifeline import ENVIRONMENT_VARIABLE, SITE_FOLDER, watch_parent_if_worker
from spectra._validation import check_positive_int, fail


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


def _in_one_thread(function: Callable[[Any], Any], task: Any) -> Any:
    """``function(task)`` with one torch intra-op thread (restored after: the same process may run other work)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return function(task)
    finally:
        torch.set_num_threads(previous)


def imap_tasks(
    function: Callable[[Any], Any],
    tasks: Sequence[Any],
    executor: Executor | None = None,
    *,
    progress: bool = True,
    description: str = "",
) -> Iterator[tuple[int, Any]]:
    """``(i, function(tasks[i]))`` for every task, in the order the tasks finish, each run with one torch thread.

    Parameters
    ----------
    function
        A picklable function of one task (a module-level function, or a ``functools.partial`` of one)
        when ``executor`` runs it in other processes.
    tasks
        The tasks; each carries its own seed, so a result does not depend on where or when it ran.
    executor
        Where the tasks run (:func:`task_executor`); None runs them here, one after the other.
    progress, description
        A progress bar over finished tasks, and its label.

    Notes
    -----
    A task that raises ends the iteration with its exception; the tasks not started are cancelled.
    """
    call = functools.partial(_in_one_thread, function)
    with tqdm(total=len(tasks), desc=description, disable=not progress) as bar:
        if executor is None:
            for index, task in enumerate(tasks):
                yield index, call(task)
                bar.update(1)
            return
        futures: dict[Future, int] = {executor.submit(call, task): index for index, task in enumerate(tasks)}
        try:
            for future in as_completed(futures):
                result = future.result()
                bar.update(1)
                yield futures[future], result
        finally:
            for future in futures:
                future.cancel()


def map_tasks(
    function: Callable[[Any], Any],
    tasks: Sequence[Any],
    executor: Executor | None = None,
    *,
    progress: bool = True,
    description: str = "",
) -> list[Any]:
    """``[function(t) for t in tasks]`` through ``executor`` (None: here), in the order of ``tasks``.

    Each task runs with one torch thread (:func:`imap_tasks`), so the results are the same, bit for bit,
    whatever the executor, the number of workers and the order in which tasks finish.
    """
    results: list[Any] = [None] * len(tasks)
    for index, result in imap_tasks(function, tasks, executor, progress=progress, description=description):
        results[index] = result
    return results


# ------------------------------------------------------------------------------------------- executors

_LOCAL_CLUSTER = re.compile(r"local:(\d+)")
_SCHEDULER = re.compile(r"(tcp|tls|inproc|ucx|ws|wss)://\S+")
CONNECT_TIMEOUT_S = 20.0  # joining a running scheduler: long enough for a busy one, short enough to fail fast


def check_cluster(argument: str, cluster: Any) -> int:
    """The number of workers N of ``cluster="local:N"``; refuse anything else."""
    match = _LOCAL_CLUSTER.fullmatch(cluster) if isinstance(cluster, str) else None
    if match is None or int(match.group(1)) < 1:
        fail(argument, "'local:N' with N >= 1 worker processes (for example 'local:2')", cluster)
    return int(match.group(1))


def check_scheduler(argument: str, scheduler: Any) -> str:
    """A Dask scheduler address ``protocol://host:port``; refuse anything else."""
    if not isinstance(scheduler, str) or _SCHEDULER.fullmatch(scheduler) is None:
        fail(argument, "a Dask scheduler address such as 'tcp://host:8786'", scheduler)
    return scheduler


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:  # pragma: no cover - the dask extra is part of the standard install
        raise ImportError(
            "a Dask cluster needs the 'distributed' package: pip install 'spectra[dask]'"
        ) from None
    return distributed


def check_executor_options(workers: Any = 1, scheduler: Any = None, cluster: Any = None) -> None:
    """Refuse bad or conflicting ``workers`` / ``scheduler`` / ``cluster`` settings before any work starts."""
    check_positive_int("workers", workers)
    if scheduler is not None and cluster is not None:
        fail("scheduler", "either scheduler or cluster, not both", f"scheduler={scheduler!r}, cluster={cluster!r}")
    if scheduler is not None:
        check_scheduler("scheduler", scheduler)
    if cluster is not None:
        check_cluster("cluster", cluster)
    if scheduler is not None or cluster is not None:
        _distributed()


@contextmanager
def _dask_executor(client: Any, resources: Mapping[str, float] | None, progress: bool) -> Iterator[Executor]:
    if progress:
        print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)
    options = {"resources": dict(resources)} if resources else {}
    executor = client.get_executor(pure=False, **options)  # pure=False: every task runs, even two equal ones
    try:
        yield executor
    finally:
        client.close()


def add_executor_arguments(
    parser: argparse.ArgumentParser, *, workers: str = "--workers", default: int | None, help: str | None = None
) -> None:
    """The command-line options that choose the executor: ``workers`` (local processes), --scheduler, --cluster."""
    parser.add_argument(workers, type=int, default=default, help=help or f"local worker processes (default {default})")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", default=None, help="join a running Dask cluster at this address (tcp://host:port)")
    where.add_argument(
        "--cluster", default=None, help="start a Dask LocalCluster of N worker processes for this run (local:N)"
    )


@contextmanager
def task_executor(
    workers: int = 1,
    *,
    scheduler: str | None = None,
    cluster: str | None = None,
    resources: Mapping[str, float] | None = None,
    progress: bool = True,
) -> Iterator[Executor | None]:
    """The executor that independent tasks are submitted to (module docstring); None means "run them here".

    Parameters
    ----------
    workers
        Local worker processes when neither ``scheduler`` nor ``cluster`` is given; 1 yields None.
    scheduler
        Address of a running Dask scheduler (``tcp://host:port``): the run joins it as a client, and
        leaves it running. Its workers must be able to import ``spectra`` (and the task functions).
    cluster
        ``"local:N"``: start a Dask ``LocalCluster`` of N single-threaded worker processes for this run.
    resources
        Dask worker resources every task needs, e.g. ``{"GPU": 1}``: tasks go only to workers started
        with them (``dask worker ADDRESS --resources "GPU=1"``), one task per unit at a time.
    progress
        Print the Dask dashboard's address when a cluster is used.

    Notes
    -----
    On leaving the block the executor is shut down: local workers and a local cluster are stopped
    (killed at once when the block ends with an exception); a remote cluster is left as it was.
    """
    check_executor_options(workers, scheduler, cluster)
    if resources is not None and scheduler is None and cluster is None:
        fail("resources", "a Dask scheduler or cluster to route tasks by (resources need Dask)", resources)
    if scheduler is not None:
        client = _distributed().Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        with _dask_executor(client, resources, progress) as executor:
            yield executor
    elif cluster is not None:
        distributed = _distributed()
        with _worker_environment():  # the cluster's processes watch this one (spectra._lifeline)
            local = distributed.LocalCluster(
                n_workers=check_cluster("cluster", cluster),
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=50,  # logging.CRITICAL: a worker lost on purpose is not an error of the run
            )
        try:
            with _dask_executor(distributed.Client(local), resources, progress) as executor:
                yield executor
        finally:
            local.close()
    elif workers > 1:
        with process_pool(workers) as pool:
            yield pool
    else:
        yield None


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
