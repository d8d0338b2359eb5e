"""Overhead of FourierErrorRecorder at its default settings, measured side by side.

    python analysis/benchmarks/fourier_recorder.py [--quick] [--repeats 5] [--threads 1]

For each case the same model (same seed) is trained by ``fit`` with the default record interval
(steps // 100) twice per repeat, without and with ``FourierErrorRecorder()`` (peaks found
automatically, residual spectrum recorded), interleaved so that machine noise hits both alike.
The table reports the median wall time of each, their ratio, and the recorder's own share of the
run (time spent inside ``record``, summed, over the run's wall time), which is immune to noise
between runs. Target (issue "Fourier-domain error dynamics"): overhead under 5 %.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from spectra.domain import uniform_grid
from spectra.fourier import FourierErrorRecorder
from spectra.models import MLP
from spectra.targets import SumOfSines, rahaman
from spectra.training import Recorder, Snapshot, fit


class TimedRecorder(Recorder):
    """Wraps a recorder and adds up the time spent in its ``record``."""

    def __init__(self, inner: Recorder) -> None:
        self.inner = inner
        self.name = inner.name
        self.seconds = 0.0

    def record(self, model: nn.Module, snapshot: Snapshot) -> Mapping[str, Any]:
        start = time.perf_counter()
        out = self.inner.record(model, snapshot)
        self.seconds += time.perf_counter() - start
        return out


@dataclass(frozen=True)
class Case:
    label: str
    dim: int
    n_train: int
    n_probe: int
    width: int
    depth: int
    steps: int


def cases(quick: bool) -> list[Case]:
    if quick:
        return [Case("1-D tiny", 1, 64, 128, 16, 2, 50)]
    return [
        Case("1-D Rahaman", 1, 200, 200, 128, 4, 2000),
        Case("1-D fine probe", 1, 1000, 4096, 64, 3, 2000),
        Case("2-D image", 2, 32 * 32, 64 * 64, 128, 3, 1000),
    ]


def target_for(dim: int) -> SumOfSines:
    if dim == 1:
        return rahaman(seed=0)
    box = [(0.0, 1.0)] * 2
    return SumOfSines([[1.0, 2.0], [5.0, -3.0], [0.0, 9.0]], [1.0, 0.5, 0.25], 0.1, domain=box)


def run(case: Case, with_recorder: bool) -> tuple[float, float]:
    """Wall time of one fit and the seconds spent recording Fourier errors in it."""
    target = target_for(case.dim)
    side_train = round(case.n_train ** (1 / case.dim))
    side_probe = round(case.n_probe ** (1 / case.dim))
    x = uniform_grid(target.domain, side_train, dtype=torch.float32)
    probe = uniform_grid(target.domain, side_probe, dtype=torch.float32)
    recorders = [TimedRecorder(FourierErrorRecorder())] if with_recorder else []
    model = MLP(case.dim, 1, case.width, case.depth, seed=0)
    start = time.perf_counter()
    fit(model, x, target(x), lr=1e-3, steps=case.steps, probe=probe, probe_target=target(probe),
        recorders=recorders, seed=0, progress=False)  # fmt: skip
    return time.perf_counter() - start, sum(r.seconds for r in recorders)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the tests")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: steadier timings on a busy machine)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    repeats = 1 if args.quick else args.repeats
    columns = [("case", 16), ("steps", 7), ("probe", 7), ("without s", 11), ("with s", 9), ("ratio", 8)]
    header = "|".join(f"{name:<{w}}" if i == 0 else f"{name:>{w - 1}} " for i, (name, w) in enumerate(columns))
    header += "|" + f"{'recorder share':>15}"
    print(header)
    print("-" * len(header))
    for case in cases(args.quick):
        run(case, True)  # warm-up: first-call costs (allocations, plans) belong to neither column
        without, with_, inside = [], [], []
        for _ in range(repeats):
            without.append(run(case, False)[0])
            total, recording = run(case, True)
            with_.append(total)
            inside.append(recording / total)
        t0, t1 = statistics.median(without), statistics.median(with_)
        print(
            f"{case.label:<16}|{case.steps:>6} |{case.n_probe:>6} |{t0:>10.3f} |{t1:>8.3f} |{t1 / t0:>7.3f} |"
            f"{100 * statistics.median(inside):>14.2f}%"
        )


if __name__ == "__main__":
    main()
