"""Task functions for tests/test_sweep.py, importable by name in the Dask workers (tests/ is on their path)."""

from __future__ import annotations

import os
import time

import numpy as np


def noisy_square(*, x: float, seed: int, pause: float = 0.0, stop_file: str = "") -> dict[str, float]:
    """x² plus noise drawn from ``seed``; sleeps ``pause`` s; raises KeyboardInterrupt while ``stop_file`` exists
    and x == 3 (an interrupted run); raises ValueError for x < 0 (a failing task)."""
    if stop_file and x == 3 and os.path.exists(stop_file):
        raise KeyboardInterrupt
    if x < 0:
        raise ValueError("negative x")
    time.sleep(pause)
    return {"square": x * x + float(np.random.default_rng(seed).normal()), "pid": os.getpid()}
