"""Speed of the DOLFINx frequency-PDE solver: against the NumPy/SciPy reference, probing against solving, MPI.

    python analysis/benchmarks/fem.py [--quick] [--processes 2] [--repeats 3]

Table 1 (issue "Finite-element solver for the frequency-space PDE"):
- 1-D: Gaussian rho_w (std 3/(2π) cycles/unit), c = 1/24, sigma_a = 0.3, the windowed target of
  docs/theory.rst, "A worked example", as u0, 2000 P1 cells, 400 Crank–Nicolson steps (t = 400,
  dt = 1, 9 outputs). Target: under 2 s. Beside it, the NumPy/SciPy ReferenceSolver on the same mesh
  (dense generalised eigendecomposition, then exact or Crank–Nicolson modal integration); "ratio" is
  its time over DOLFINx's, and "gap" the largest nodal difference of the two Crank–Nicolson runs
  relative to max |u0|.
- 2-D: Gaussian rho_w (std 0.5), c = 1/256, 256 × 256 Q1 cells, 100 Crank–Nicolson steps, serial.
  Target: under 60 s on 2 cores.
- 2-D from samples: the same problem on 64 × 64 cells with u0 the transform of 3600 residual samples (a
  60 × 60 grid on [-8, 8)²), default window. "probe s" is the time spent probing u0 and rho_w for the
  window, the checks and the estimates (``discretise``), "solve s" the rest of a first solve (assembly,
  factorisation, steps); "ratio" is probe / solve. Target: below 1 (it was 47 s of probing against 0.3 s
  of solving before u0 was evaluated separably on grids and only within one period).

Each solve of table 1 is timed twice on one FrequencyPDE: "first" builds the mesh, assembles M and K,
factorises and steps (forms are compiled by a warm-up solve beforehand, so JIT time is not counted);
"repeat" reuses the assembled operator and factorisation; "setup" is the same solve with no steps (probing
u0 and rho_w for the checks and a priori estimates, reported as "est. error", space + time), so
"ms/step" = (repeat - setup) / steps. Timed solves are the best of ``--repeats``.

Table 2, where MPI pays: the 2-D problem for a sweep of meshes (Q1 and Q2, 100 steps), each first solve
and its per-step cost in serial and under ``mpirun -n K`` (each process times its own solve; the slowest
is reported), side by side; "ratio" is parallel over serial. The crossover is the smallest mesh whose
whole first solve is faster in parallel: factorisation and assembly split across processes, the
triangular solves of every step hardly do, so "pays for steps" gives the step counts for which a first
solve on that mesh is faster in parallel (the saving on everything but the steps over the loss per
step). The machine's load average is printed first: processes competing for the cores slow ``mpirun``
far more than a serial run.
"""

from __future__ import annotations

import os

# One BLAS thread, set before NumPy loads: DOLFINx's serial solve is single-threaded, so the ratio compares
# algorithms, and oversubscribed BLAS threads on a busy 2-core machine slow the dense eigensolver tenfold.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from spectra.domain import uniform_grid  # noqa: E402
from spectra.fem import FrequencyPDE, ReferenceSolver, ResolutionWarning, as_initial_data  # noqa: E402
from spectra.frequencies import Gaussian  # noqa: E402
from spectra.targets import WindowedCosines, windowed_cosines  # noqa: E402

TARGET_1D = windowed_cosines()
TARGET_2D = WindowedCosines([[0.5, -0.3], [0.2, 0.6]], width=1.5, domain=[(-8, 8), (-8, 8)])
SWEEP = {1: (64, 128, 256, 512), 2: (128, 256, 512)}  # cells per axis of table 2, per degree
QUICK_SWEEP = {1: (16, 32)}
SWEEP_STEPS = 100


def timed(call):
    start = time.perf_counter()
    value = call()
    return time.perf_counter() - start, value


def time_solves(
    pde: FrequencyPDE, u0, times: np.ndarray, dt: float, repeats: int
) -> tuple[float, float, float, object]:
    """Times of the first solve, of a repeat and of its setup (the same solve with no steps): best of ``repeats``."""
    first, solution = timed(lambda: pde.solve(u0, times, dt=dt))
    repeat = min(timed(lambda: pde.solve(u0, times, dt=dt))[0] for _ in range(repeats))
    setup = min(timed(lambda: pde.solve(u0, [0.0], dt=dt))[0] for _ in range(repeats))
    return first, repeat, setup, solution


def problem_2d(cells: int, degree: int = 1) -> FrequencyPDE:
    return FrequencyPDE(Gaussian(0.5, dim=2), 0.3, 1 / 256, cells=cells, degree=degree)


def case_2d(cells: int, steps: int, repeats: int, degree: int = 1) -> tuple[float, float, float, object]:
    return time_solves(problem_2d(cells, degree), TARGET_2D, np.linspace(0.0, float(steps), 3), 1.0, repeats)


def sample_case(repeats: int) -> tuple[float, float]:
    """Seconds probing (``discretise``) and solving (the rest of a first solve) with u0 from 3600 samples."""
    x = uniform_grid(TARGET_2D.domain, 60)
    initial = as_initial_data((x.numpy(), -TARGET_2D(x).numpy()[:, 0]), 2, 1 / 256)
    times = np.linspace(0.0, 100.0, 9)
    probing = problem_2d(64)  # discretise assembles nothing: the same problem serves every repeat
    probe = min(timed(lambda: probing.discretise(initial, times))[0] for _ in range(repeats))
    total = min(timed(lambda: problem_2d(64).solve(initial, times, dt=1.0))[0] for _ in range(repeats))
    return probe, total - probe


def warm_up() -> None:
    """Compile the 1-D and 2-D forms (cached in ~/.cache/fenics) so no timing includes the JIT."""
    for degree in (1, 2):
        FrequencyPDE(Gaussian(1.0), 0.3, 1.0, window=3.0, cells=4, degree=degree).solve(
            lambda xi: np.exp(-(xi[:, 0] ** 2)), [1.0]
        )
        FrequencyPDE(Gaussian(1.0, dim=2), 0.3, 1.0, window=3.0, cells=4, degree=degree).solve(
            lambda xi: np.exp(-np.sum(xi**2, axis=1)), [1.0]
        )


def sweep(degree: int, sizes: tuple[int, ...]) -> list[dict]:
    """Table 2's timings on this process (or all of them, under mpirun): first solve and ms per step, per size."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    rows = []
    for cells in sizes:
        comm.barrier()
        first, repeat, setup, solution = case_2d(cells, SWEEP_STEPS, 1, degree)
        first, repeat, setup = (comm.allreduce(value, op=MPI.MAX) for value in (first, repeat, setup))
        per_step = 1e3 * (repeat - setup) / solution.steps
        rows.append({"cells": cells, "dofs": solution.values.shape[1], "first": first, "per_step": per_step})
    return rows


def worker(degree: int, sizes: tuple[int, ...]) -> None:
    """Under mpirun: the sweep of one degree, printed as JSON by rank 0."""
    from mpi4py import MPI

    warm_up()
    rows = sweep(degree, sizes)
    if MPI.COMM_WORLD.rank == 0:
        print(json.dumps({"processes": MPI.COMM_WORLD.size, "rows": rows}))


def parallel_sweep(processes: int, degree: int, sizes: tuple[int, ...]) -> list[dict]:
    beside = Path(sys.executable).parent / "mpirun"
    launcher = str(beside) if beside.exists() else "mpirun"
    command = [launcher, "-n", str(processes), sys.executable, str(Path(__file__).resolve()), "--worker", str(degree)]
    result = subprocess.run([*command, *map(str, sizes)], capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(result.stdout.strip().splitlines()[-1])["rows"]


def row(
    case: str, dofs: int, steps: int, times: tuple[float, float, float], error: str, ratio: str, target: str
) -> str:
    first, repeat, setup = times
    per_step = 1e3 * (repeat - setup) / steps if steps else math.nan
    cells = [f"{case:>29}", f"{dofs:>6}", f"{steps:>5}", f"{first:>8.3f}", f"{repeat:>8.3f}", f"{setup:>7.3f}"]
    cells += [f"{per_step:>7.3f}", f"{error:>11}", f"{ratio:>6}", f"{target:>7}"]
    return "| " + " | ".join(cells) + " |"


def table(header: list[str]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")


def break_even(serial: dict, parallel: dict) -> str:
    """Steps below which the parallel solve is faster: the saving on the rest over the loss per step."""
    rest = [run["first"] - SWEEP_STEPS * run["per_step"] / 1e3 for run in (serial, parallel)]
    loss = (parallel["per_step"] - serial["per_step"]) / 1e3
    if loss <= 0:
        return "any" if rest[1] <= rest[0] else f"> {(rest[1] - rest[0]) / -loss:.0f}"
    steps = (rest[0] - rest[1]) / loss
    return f"< {steps:.0f}" if steps >= 1 else "never"


def mpi_table(processes: int, sizes: dict[int, tuple[int, ...]]) -> None:
    """Table 2 and the crossover line (module docstring)."""
    print(f"\nmachine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    table(["mesh", "dofs", "serial first s", f"-n {processes} first s", "ratio", "serial ms/step",
           f"-n {processes} ms/step", "ratio", "pays for steps"])  # fmt: skip
    crossover = None
    for degree, cells in sizes.items():
        for serial, parallel in zip(sweep(degree, cells), parallel_sweep(processes, degree, cells), strict=True):
            mesh = f"Q{degree} {serial['cells']}²"
            first, step = parallel["first"] / serial["first"], parallel["per_step"] / serial["per_step"]
            cells_row = [f"{mesh:>9}", f"{serial['dofs']:>8}", f"{serial['first']:>8.3f}", f"{parallel['first']:>8.3f}"]
            cells_row += [
                f"{first:>5.2f}",
                f"{serial['per_step']:>8.2f}",
                f"{parallel['per_step']:>8.2f}",
                f"{step:>5.2f}",
            ]
            print("| " + " | ".join([*cells_row, f"{break_even(serial, parallel):>7}"]) + " |")
            if first < 1 and (crossover is None or serial["dofs"] < crossover[1]):
                crossover = (mesh, serial["dofs"])
    every = ", ".join(f"Q{d} {max(c)}²" for d, c in sizes.items())
    print(
        f"crossover: mpirun -n {processes} pays off for a whole {SWEEP_STEPS}-step solve from {crossover[0]} "
        f"({crossover[1]} dofs)"
        if crossover
        else f"crossover: none up to {every} on this machine: serial is faster at every size measured"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the tests")
    parser.add_argument("--processes", type=int, default=2, help="MPI processes of table 2 (0: skip it)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of each timed solve (best is kept)")
    parser.add_argument("--worker", nargs="+", type=int, metavar="DEGREE CELLS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ResolutionWarning)  # the estimates are reported in the table instead
    if args.worker:
        worker(args.worker[0], tuple(args.worker[1:]))
        return
    cells_1d, steps_1d = (200, 40) if args.quick else (2000, 400)
    cells_2d, steps_2d = (32, 10) if args.quick else (256, 100)
    repeats = 1 if args.quick else args.repeats
    warm_up()

    table(["case", "dofs", "steps", "first s", "repeat s", "setup s", "ms/step", "est. error", "ratio", "target"])
    rho, times_1d = Gaussian(3 / (2 * math.pi)), np.linspace(0.0, float(steps_1d), 9)
    pde = FrequencyPDE.from_target(TARGET_1D, rho, 0.3, cells=cells_1d)
    *timing, dolfinx_cn = time_solves(pde, TARGET_1D, times_1d, 1.0, repeats)
    error = f"{dolfinx_cn.space_error_estimate + dolfinx_cn.time_error_estimate:.2g}"
    print(row(f"1-D P1 {cells_1d} DOLFINx CN", cells_1d + 1, steps_1d, timing, error, "1", "< 2 s"))
    reference = ReferenceSolver.from_target(TARGET_1D, rho, 0.3, window=dolfinx_cn.window, cells=cells_1d)
    exact_time, _ = timed(lambda: reference.solve(TARGET_1D, times_1d))
    cn_time, reference_cn = timed(lambda: reference.solve(TARGET_1D, times_1d, "crank-nicolson", dt=1.0))
    gap = f"gap {dolfinx_cn.relative_difference(reference_cn).max():.0e}"
    nan = (math.nan, math.nan)
    for case, seconds, steps, note in (
        ("1-D P1 reference, exact", exact_time, 0, "-"),
        ("1-D P1 ref. CN, modes reused", cn_time, steps_1d, gap),
    ):
        print(row(case, cells_1d + 1, steps, (seconds, *nan), note, f"{seconds / timing[0]:.2f}", "-"))

    *timing, serial = case_2d(cells_2d, steps_2d, repeats)
    error = f"{serial.space_error_estimate + serial.time_error_estimate:.2g}"
    print(row(f"2-D Q1 {cells_2d}² serial", serial.values.shape[1], serial.steps, timing, error, "1", "< 60 s"))

    print()
    table(["case", "samples", "probe s", "solve s", "ratio", "target"])
    probe, solve = sample_case(repeats)
    print(f"| 2-D Q1 64², u0 from samples | 3600 | {probe:.3f} | {solve:.3f} | {probe / solve:.2f} | < 1 |")

    if args.processes > 1:
        mpi_table(args.processes, QUICK_SWEEP if args.quick else SWEEP)


if __name__ == "__main__":
    main()
