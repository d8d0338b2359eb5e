"""Speed of the DOLFINx frequency-PDE solver, with the NumPy/SciPy reference and MPI side by side.

    python analysis/benchmarks/fem.py [--quick] [--processes 2]

Cases (issue "Finite-element solver for the frequency-space PDE"):
- 1-D: Gaussian rho_w (std 3/(2π) cycles/unit), c = 1/24, sigma_a = 0.3, the windowed target of
  reference/frequency-pde.md section 7 as u0, 2000 P1 cells, 400 Crank–Nicolson steps (t = 400,
  dt = 1, 9 outputs). Target: under 2 s. Beside it, the NumPy/SciPy ReferenceSolver on the same mesh
  (dense generalised eigendecomposition, then exact or Crank–Nicolson modal integration); "ratio" is
  its time over DOLFINx's, and "gap" the largest nodal difference of the two Crank–Nicolson runs
  relative to max |u0|.
- 2-D: Gaussian rho_w (std 0.5), c = 1/256, 256 × 256 Q1 cells, 100 Crank–Nicolson steps, in serial
  and under ``mpirun -n 2`` (each process times its own solve; the slowest is reported). Target: under
  60 s on 2 cores. "ratio" is the time over the serial time.

Each solve is timed twice on one FrequencyPDE: "first" builds the mesh, assembles M and K, factorises
and steps (forms are compiled by a warm-up solve beforehand, so JIT time is not counted); "repeat"
reuses the assembled operator and factorisation; "setup" is the same solve with no steps (probing u0
and rho_w for the checks and a priori estimates, reported as "est. error", space + time), so
"ms/step" = (repeat - setup) / steps. Timed solves are the best of ``--repeats``.
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

from spectra.fem import FrequencyPDE, ReferenceSolver, ResolutionWarning  # noqa: E402
from spectra.frequencies import Gaussian  # noqa: E402
from spectra.targets import WindowedCosines, windowed_cosines  # noqa: E402

TARGET_1D = windowed_cosines()
TARGET_2D = WindowedCosines([[0.5, -0.3], [0.2, 0.6]], width=1.5, domain=[(-8, 8), (-8, 8)])


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


def case_2d(cells: int, steps: int, repeats: int) -> tuple[float, float, float, object]:
    pde = FrequencyPDE(Gaussian(0.5, dim=2), 0.3, 1 / 256, cells=cells)
    return time_solves(pde, TARGET_2D, np.linspace(0.0, float(steps), 3), 1.0, repeats)


def warm_up() -> None:
    """Compile the 1-D and 2-D forms (cached in ~/.cache/fenics) so no timing includes the JIT."""
    FrequencyPDE(Gaussian(1.0), 0.3, 1.0, window=3.0, cells=4).solve(lambda xi: np.exp(-(xi[:, 0] ** 2)), [1.0])
    FrequencyPDE(Gaussian(1.0, dim=2), 0.3, 1.0, window=3.0, cells=4).solve(
        lambda xi: np.exp(-np.sum(xi**2, axis=1)), [1.0]
    )


def worker(cells: int, steps: int, repeats: int) -> None:
    """Under mpirun: solve the 2-D case and print the slowest process's timings as JSON (rank 0)."""
    from mpi4py import MPI

    warm_up()
    comm = MPI.COMM_WORLD
    comm.barrier()
    first, repeat, setup, solution = case_2d(cells, steps, repeats)
    first, repeat, setup = (comm.allreduce(value, op=MPI.MAX) for value in (first, repeat, setup))
    if comm.rank == 0:
        error = solution.space_error_estimate + solution.time_error_estimate
        print(json.dumps({"first": first, "repeat": repeat, "setup": setup, "steps": solution.steps,
                          "processes": comm.size, "dofs": int(solution.values.shape[1]), "error": error}))  # fmt: skip


def row(
    case: str, dofs: int, steps: int, times: tuple[float, float, float], error: str, ratio: str, target: str
) -> str:
    first, repeat, setup = times
    per_step = 1e3 * (repeat - setup) / steps if steps else math.nan
    cells = [f"{case:>29}", f"{dofs:>6}", f"{steps:>5}", f"{first:>8.3f}", f"{repeat:>8.3f}", f"{setup:>7.3f}"]
    cells += [f"{per_step:>7.3f}", f"{error:>11}", f"{ratio:>6}", f"{target:>7}"]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the tests")
    parser.add_argument("--processes", type=int, default=2, help="MPI processes for the 2-D case (0: skip)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of each timed solve (best is kept)")
    parser.add_argument("--worker", nargs=2, type=int, metavar=("CELLS", "STEPS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ResolutionWarning)  # the estimates are reported in the table instead
    if args.worker:
        worker(*args.worker, args.repeats)
        return
    cells_1d, steps_1d = (200, 40) if args.quick else (2000, 400)
    cells_2d, steps_2d = (32, 10) if args.quick else (256, 100)
    repeats = 1 if args.quick else args.repeats
    warm_up()

    header = ["case", "dofs", "steps", "first s", "repeat s", "setup s", "ms/step", "est. error", "ratio", "target"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")

    rho, times_1d = Gaussian(3 / (2 * math.pi)), np.linspace(0.0, float(steps_1d), 9)
    pde = FrequencyPDE.from_target(TARGET_1D, rho, 0.3, cells=cells_1d)
    *timing, dolfinx_cn = time_solves(pde, TARGET_1D, times_1d, 1.0, repeats)
    error = f"{dolfinx_cn.space_error_estimate + dolfinx_cn.time_error_estimate:.2g}"
    print(row(f"1-D P1 {cells_1d} DOLFINx CN", cells_1d + 1, steps_1d, timing, error, "1", "< 2 s"))
    reference = ReferenceSolver.from_target(TARGET_1D, rho, 0.3, window=dolfinx_cn.grid.window, cells=cells_1d)
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
    dofs = serial.values.shape[1]
    print(row(f"2-D Q1 {cells_2d}² serial", dofs, serial.steps, timing, error, "1", "< 60 s"))
    if args.processes > 1:
        beside = Path(sys.executable).parent / "mpirun"
        launcher = str(beside) if beside.exists() else "mpirun"
        script = str(Path(__file__).resolve())
        command = [launcher, "-n", str(args.processes), sys.executable, script, "--repeats", str(repeats), "--worker"]
        result = subprocess.run(
            [*command, str(cells_2d), str(steps_2d)], capture_output=True, text=True, check=True, timeout=900
        )
        parallel = json.loads(result.stdout.strip().splitlines()[-1])
        times = (parallel["first"], parallel["repeat"], parallel["setup"])
        case = f"2-D Q1 {cells_2d}² mpirun -n {parallel['processes']}"
        ratio = f"{parallel['first'] / timing[0]:.2f}"
        print(row(case, parallel["dofs"], parallel["steps"], times, f"{parallel['error']:.2g}", ratio, "< 60 s"))


if __name__ == "__main__":
    main()
