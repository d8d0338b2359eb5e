"""A worker process ends with the process that started it, from its first instant on.

:mod:`spectra.parallel` starts workers with ``SPECTRA_WORKER_OF=<its own pid>`` in their environment,
and with ``spectra/_worker_site`` first on ``PYTHONPATH``, so that Python runs that folder's
``sitecustomize.py`` (which calls :func:`watch_parent_if_worker`) while the interpreter starts, before
the worker imports its parent's main module, torch and the rest, which takes seconds. A ``kill -9``
of the parent in that window would otherwise leave the worker running on its own. The watch is a
daemon thread that checks ``os.getppid()`` every 0.2 s and ends the process when the parent is gone.
Where the interpreter ignores the environment (``python -E``/``-I``/``-S``), the pool's initializer
starts the same watch once the worker is ready.

A worker's own worker (a Dask ``LocalCluster`` runs each task process under a "nanny" process, which
is the run's child) inherits the variable but has another parent: it polls the named process itself
(``kill(pid, 0)``) and ends when that process has gone, so that the whole tree ends with the run.

Standard library only (it runs before anything else is importable), and nothing happens in a process
whose environment lacks the variable or that is the named process itself.
"""

from __future__ import annotations

import os
import threading
import time

ENVIRONMENT_VARIABLE = "SPECTRA_WORKER_OF"
SITE_FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_worker_site")
POLL_SECONDS = 0.2
_THREAD_NAME = "spectra-parent-watch"


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os._exit(1)  # re-parented: the run that wanted this worker's results is gone


def _watch_ancestor(ancestor: int) -> None:
    while _alive(ancestor):
        time.sleep(POLL_SECONDS)
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch_parent_if_worker() -> None:
    """Start the watch when this process is a spectra worker and none is running yet."""
    value = os.environ.get(ENVIRONMENT_VARIABLE, "")
    if not value.isdigit() or any(t.name == _THREAD_NAME for t in threading.enumerate()):
        return
    parent = int(value)
    if parent == os.getpid():
        return
    if os.getppid() == parent:
        threading.Thread(target=_watch, args=(parent,), name=_THREAD_NAME, daemon=True).start()
    elif _alive(parent):
        threading.Thread(target=_watch_ancestor, args=(parent,), name=_THREAD_NAME, daemon=True).start()
    else:
        os._exit(1)  # the run died while this worker was starting
