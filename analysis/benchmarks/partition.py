"""Exact partition geometry against the naive sampling reference, timed side by side.

    python analysis/benchmarks/partition.py [--quick] [--repeats 3]

- breakpoints_1d of a 4×256 ReLU MLP on [-1, 1] (target < 1 s), against dense sampling of the
  activation pattern refined by bisection to 1e-9 (what the tests use as ground truth);
- regions_2d of a 3×64 ReLU MLP on [-1, 1]² (target < 10 s), against counting distinct activation
  patterns on an n × n grid (``regions_2d_sampled``, a lower bound).

The naive method is run at doubling resolutions until it finds as many breakpoints / regions as the
exact one (or the largest resolution is reached); each row gives its count, its time and the ratio
naive time / exact time. Both run in float64 on the same network in the same process.

A second table times the generic path (``engine="generic"``: any piecewise-linear torch module, read
from its own forward passes and JVPs, spectra.partition.capture) against the toolkit's fast path
(weights read directly) on the same MLPs, with the ratio generic / toolkit and whether the results
agree (same breakpoints or regions). Each is called once before timing: the first forward-mode pass
of a process pays a one-off torch start-up cost (about 2 s) that is not the method's.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from spectra.models import MLP
from spectra.partition import activation_patterns, breakpoints_1d, regions_2d, regions_2d_sampled
from spectra.studies import format_table


def timed(function: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def sampled_breakpoints(model: torch.nn.Module, a: float, b: float, n: int, tol: float = 1e-9) -> int:
    """Neuron state changes found by sampling n points of [a, b] and bisecting each change to ``tol``."""

    def pattern(t: np.ndarray) -> torch.Tensor:
        return activation_patterns(model, torch.as_tensor(t[:, None]))

    t = np.linspace(a, b, n)
    p = pattern(t)
    changed = (p[1:] != p[:-1]).any(dim=1).numpy()
    lo, hi, p_lo, p_hi = t[:-1][changed], t[1:][changed], p[:-1][changed], p[1:][changed]
    found = 0
    while len(lo):
        done = hi - lo < tol
        found += int((p_lo[done] != p_hi[done]).sum())
        keep = torch.as_tensor(~done)
        lo, hi, p_lo, p_hi = lo[~done], hi[~done], p_lo[keep], p_hi[keep]
        if not len(lo):
            break
        mid = (lo + hi) / 2
        p_mid = pattern(mid)
        left, right = (p_lo != p_mid).any(dim=1), (p_mid != p_hi).any(dim=1)
        lo = np.concatenate([lo[left.numpy()], mid[right.numpy()]])
        hi = np.concatenate([mid[left.numpy()], hi[right.numpy()]])
        p_lo, p_hi = torch.cat([p_lo[left], p_mid[right]]), torch.cat([p_mid[left], p_hi[right]])
    return found


def rows_for(
    task: str,
    size: str,
    target_s: float,
    exact_s: float,
    exact_count: int,
    naive: str,
    resolutions: list[int],
    count_at: Callable[[int], int],
) -> list[dict]:
    rows = []
    for n in resolutions:
        start = time.perf_counter()
        count = count_at(n)
        naive_s = time.perf_counter() - start
        rows.append(
            {
                "task": task,
                "network": size,
                "exact s": exact_s,
                "target s": target_s,
                "meets": "yes" if exact_s < target_s else "NO",
                "exact count": exact_count,
                "naive": naive,
                "naive n": n,
                "naive count": count,
                "found": count / exact_count,
                "naive s": naive_s,
                "ratio naive/exact": naive_s / exact_s,
            }
        )
        if count >= exact_count:
            break
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the tests")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    width_1d, depth_1d, width_2d, depth_2d = (32, 2, 16, 2) if args.quick else (256, 4, 64, 3)
    line_resolutions = [2**k for k in (range(8, 12) if args.quick else range(10, 19, 2))]
    grid_resolutions = [64, 128] if args.quick else [256, 512, 1024, 2048]

    line = MLP(1, 1, width_1d, depth_1d, seed=0, dtype=torch.float64)
    exact_s, found = timed(lambda: breakpoints_1d(line, -1.0, 1.0), repeats)
    rows = rows_for(
        "breakpoints_1d",
        f"{depth_1d}×{width_1d}",
        1.0,
        exact_s,
        len(found.activation_t),
        "sampling + bisection",
        line_resolutions,
        lambda n: sampled_breakpoints(line, -1.0, 1.0, n),
    )

    plane = MLP(2, 1, width_2d, depth_2d, seed=0, dtype=torch.float64)
    box = [(-1.0, 1.0), (-1.0, 1.0)]
    exact_s, regions = timed(lambda: regions_2d(plane, box), repeats)
    rows += rows_for(
        "regions_2d",
        f"{depth_2d}×{width_2d}",
        10.0,
        exact_s,
        regions.count,
        "grid patterns (n×n)",
        grid_resolutions,
        lambda n: regions_2d_sampled(plane, box, n).count,
    )
    print(f"threads: {torch.get_num_threads()}; counts: neuron state changes (1-D), linear regions (2-D)")
    print(format_table(pd.DataFrame(rows)))
    print()
    print("generic path (any torch module) against the toolkit's fast path, same networks, float64:")
    print(format_table(pd.DataFrame(generic_rows(args.quick, repeats))))


def generic_rows(quick: bool, repeats: int) -> list[dict]:
    """Toolkit and generic timings of breakpoints_1d and regions_2d on MLPs of a few sizes, side by side."""
    rows = []
    sizes_1d = [(2, 16), (2, 32)] if quick else [(2, 64), (4, 256)]
    sizes_2d = [(2, 8), (2, 16)] if quick else [(2, 16), (3, 64)]
    box = [(-1.0, 1.0), (-1.0, 1.0)]
    tasks = [("breakpoints_1d", 1, depth, width) for depth, width in sizes_1d]
    tasks += [("regions_2d", 2, depth, width) for depth, width in sizes_2d]
    for task, inputs, depth, width in tasks:
        model = MLP(inputs, 1, width, depth, seed=0, dtype=torch.float64)

        def run(engine: str, task: str = task, model: MLP = model) -> object:
            if task == "breakpoints_1d":
                return breakpoints_1d(model, -1.0, 1.0, engine=engine)
            return regions_2d(model, box, engine=engine)

        timings = {}
        for engine in ("toolkit", "generic"):
            run(engine)  # warm-up (see module docstring)
            timings[engine] = timed(lambda engine=engine: run(engine), repeats)
        (toolkit_s, fast), (generic_s, generic) = timings["toolkit"], timings["generic"]
        if task == "breakpoints_1d":
            count, agree = len(fast.activation_t), np.allclose(fast.activation_t, generic.activation_t, atol=1e-12)
        else:
            count, agree = fast.count, bool(np.array_equal(fast.patterns, generic.patterns))
        rows.append(
            {
                "task": task,
                "network": f"{depth}×{width}",
                "count": count,
                "toolkit s": toolkit_s,
                "generic s": generic_s,
                "ratio generic/toolkit": generic_s / toolkit_s,
                "same result": "yes" if agree else "NO",
            }
        )
    return rows


if __name__ == "__main__":
    main()
