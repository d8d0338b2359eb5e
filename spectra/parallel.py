"""Independent runs spread over processes: what the report and the study scripts use on a small machine.

On a 2-core machine one process whose torch threads compete for the cores is often many times slower
than two processes with one thread each (small networks spend their time in thread hand-offs). Each
task carries its own seed, so results do not depend on the number of workers or their order.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import torch
from tqdm.auto import tqdm

from spectra._validation import check_positive_int


def map_in_processes(
    function: Callable[[Any], Any], tasks: Sequence[Any], workers: int, *, progress: bool = True, description: str = ""
) -> list[Any]:
    """``[function(t) for t in tasks]``, in ``workers`` processes with one torch thread each when workers > 1.

    ``function`` and the tasks must be picklable (a module-level function). With ``workers == 1`` the tasks
    run here, in order, with this process's torch threads. A failing task cancels the ones not started.
    """
    workers = check_positive_int("workers", workers)
    if workers == 1 or len(tasks) <= 1:
        return [function(task) for task in tqdm(tasks, desc=description, disable=not progress)]
    context = multiprocessing.get_context("spawn")  # forking a process that holds torch's thread pools is unsafe
    with ProcessPoolExecutor(
        min(workers, len(tasks)), mp_context=context, initializer=torch.set_num_threads, initargs=(1,)
    ) as pool:
        futures = [pool.submit(function, task) for task in tasks]
        try:
            for _ in tqdm(as_completed(futures), total=len(futures), desc=description, disable=not progress):
                pass
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        return [future.result() for future in futures]
