"""Per-step training time of RepNet against an MLP of the same size, measured side by side.

    python analysis/benchmarks/repnet_overhead.py [--quick] [--repeats 5]

For each size, both models take the same number of full-batch Adam steps on the same data,
interleaved (MLP, RepNet, MLP, RepNet, ...) so that machine noise hits both alike; the table
reports the median time per step and the ratio RepNet / MLP. Target (issue "RepNet studies"):
at most 1.15.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from spectra.domain import uniform_grid
from spectra.models import MLP, RepNet, count_parameters
from spectra.targets import multiscale_1d
from spectra.training import mean_loss


def time_per_step(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int) -> float:
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(3):  # warm-up
        optimizer.zero_grad()
        mean_loss(model(x), y).backward()
        optimizer.step()
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.zero_grad()
        mean_loss(model(x), y).backward()
        optimizer.step()
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the tests")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sizes = [(32, 2, 128)] if args.quick else [(64, 1, 1000), (128, 3, 1000), (256, 4, 2000), (512, 3, 4096)]
    steps = 5 if args.quick else 50
    target = multiscale_1d()
    header = ["width", "depth", "N", "params MLP", "params Rep", "MLP ms/step", "RepNet ms/step", "ratio"]
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (6, 6, 6, 11, 11, 12, 15, 7), strict=True)))
    for width, depth, n in sizes:
        x = uniform_grid(target.domain, n, dtype=torch.float32)
        y = target(x)
        mlp = MLP(1, 1, width, depth, seed=0)
        rep = RepNet(1, 1, width, depth, domain=(0, 1), seed=0)
        mlp_times, rep_times = [], []
        for _ in range(1 if args.quick else args.repeats):
            mlp_times.append(time_per_step(mlp, x, y, steps))
            rep_times.append(time_per_step(rep, x, y, steps))
        t_mlp, t_rep = statistics.median(mlp_times), statistics.median(rep_times)
        print(
            f"{width:>6} {depth:>6} {n:>6} {count_parameters(mlp):>11} {count_parameters(rep):>11} "
            f"{1e3 * t_mlp:>12.3f} {1e3 * t_rep:>15.3f} {t_rep / t_mlp:>7.3f}"
        )


if __name__ == "__main__":
    main()
