"""Empirical NTK: time and memory of the structured path against the torch.func Jacobian contraction,
with one and two torch threads, on a quiet machine and on one where another process holds a core.

    python analysis/benchmarks/ntk.py [--quick] [--max-contraction-gb 8] [--tables speed load targets]

Models: ReLU MLPs with 1-D input and 3 hidden layers (NTK parameterisation), on N evenly spaced points
of [-1, 1]; kernels are (N, N), x2 = x1.

- ``structured``: :func:`spectra.ntk.empirical_ntk` (method="structured"), which computes tiles in
  worker threads with one torch thread each (:mod:`spectra.ntk.tiling`; ``workers`` = torch's thread
  count); ``intra-op`` is the same call with ``workers=1``: tiles one after the other, each operation
  spread over torch's own threads (what the toolkit did before).
- ``contraction``: the PyTorch tutorial "Neural Tangent Kernels" (torch.func): J = vmap(jacrev(f))
  per parameter tensor, then einsum('Naf,Mbf->NMab') summed over tensors. Since x2 = x1 the Jacobian
  is computed once (the tutorial computes it twice, doubling memory). It holds N·P floats: sizes
  whose Jacobian exceeds --max-contraction-gb are skipped and the memory they would need printed.

Every measurement runs in a fresh subprocess (in this process with --quick) pinned to the first two
CPUs this process may use (a 2-core machine, also on a larger one), with the torch thread count of
its row. "busy" rows start a
process that spins on the first of those CPUs for the whole measurement. Times are the fastest of
three calls after a warm-up. Memory: after the warm-up the resident-set high-water mark is reset
(/proc/self/clear_refs, Linux) and the resident set read; "peak" is the high-water mark reached
during the measured calls minus that, i.e. the memory the computation itself needed, torch's
allocations included. Wall-clock times on a shared machine are noisy: compare the ratios, which
come from the same run.

Targets (issues "Empirical NTK engine" and 19): structured >= 20x faster than contraction at
N = 2048 on 3x512; the N = 8192 3x1024 kernel under 60 s and 4 GB; the N = 20,000 3x512 kernel
tiled; top-20 eigenpairs at N = 50,000 (3x512, Lanczos on the matrix-free operator) under 5 minutes;
a busy core slows the 2-thread kernel by less than the 1-thread one would take (no 10x collapse).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable

import torch
from torch.func import functional_call, jacrev, vmap

from spectra.models import MLP, count_parameters
from spectra.ntk import empirical_ntk, top_eigenpairs

GB = 1e9
DEPTH = 3
REPEATS = 3
SPIN = "import os, sys\nos.sched_setaffinity(0, {int(sys.argv[1])})\nwhile True:\n    pass\n"


def tutorial_contraction(net: torch.nn.Module, x1: torch.Tensor) -> torch.Tensor:
    """The tutorial's empirical_ntk_jacobian_contraction with x2 = x1 (Jacobian computed once), summed over outputs."""
    params = {k: v.detach() for k, v in net.named_parameters()}

    def fnet_single(params, x):
        return functional_call(net, params, (x.unsqueeze(0),)).squeeze(0)

    jac1 = vmap(jacrev(fnet_single), (None, 0))(params, x1)
    jac1 = [j.flatten(2) for j in jac1.values()]
    result = torch.stack([torch.einsum("Naf,Mbf->NMab", j1, j1) for j1 in jac1]).sum(0)
    return result.diagonal(dim1=2, dim2=3).sum(-1)


TASKS: dict[str, Callable[[torch.nn.Module, torch.Tensor, dict], Callable[[], object]]] = {
    "structured": lambda m, x, s: lambda: empirical_ntk(m, x, method="structured", progress=False),
    "intra-op": lambda m, x, s: lambda: empirical_ntk(m, x, method="structured", workers=1, progress=False),
    "contraction": lambda m, x, s: lambda: tutorial_contraction(m, x),
    "tiled": lambda m, x, s: lambda: empirical_ntk(m, x, method="structured", block_size=s["block"], progress=False),
    "top": lambda m, x, s: lambda: top_eigenpairs(m, x, min(s["k"], len(x) - 1), block_size=s["block"], progress=False),
}


def _status_bytes(field: str) -> int:
    """A memory field of /proc/self/status (VmRSS: resident now, VmHWM: resident high-water mark)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith(field + ":"))


def two_cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0))[:2]


def measure(spec: dict) -> dict:
    """Run one task in this process and return its time and peak memory (see module docstring)."""
    cpus = two_cpus()
    os.sched_setaffinity(0, cpus)
    torch.set_num_threads(spec.get("threads", len(cpus)))
    dtype = getattr(torch, spec.get("dtype", "float32"))
    model = MLP(1, 1, spec["width"], DEPTH, parameterization="ntk", seed=0, dtype=dtype)
    x = torch.linspace(-1, 1, spec["n"], dtype=dtype)[:, None]
    spinner = None
    if spec.get("busy"):
        spinner = subprocess.Popen([sys.executable, "-c", SPIN, str(cpus[0])])
    try:
        with torch.no_grad():
            TASKS[spec["task"]](model, x[:8], {**spec, "k": 2, "block": 4})()  # warm-up: lazy initialisation
        gc.collect()
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # reset the high-water mark to the current resident set (Linux >= 4.0)
        before = _status_bytes("VmRSS")
        repeats = spec.get("repeats", REPEATS)
        seconds = []
        for _ in range(repeats):
            start = time.perf_counter()
            result = TASKS[spec["task"]](model, x, spec)()
            seconds.append(time.perf_counter() - start)
        peak = _status_bytes("VmHWM")
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    out = {"seconds": min(seconds), "peak_gb": (peak - before) / GB, "rss_gb": peak / GB}
    if spec["task"] == "top":
        out["products"] = result.n_products
    return out


QUICK = "--quick" in sys.argv


def in_subprocess(spec: dict) -> dict:
    """``measure(spec)`` in a fresh process (in this one with --quick, where only the code paths matter)."""
    if QUICK:
        return measure(spec)
    completed = subprocess.run(
        [sys.executable, __file__, "--measure", json.dumps(spec)], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"measurement {spec} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def contraction_gb(width: int, n: int, itemsize: int) -> float:
    """The Jacobian alone: N · P values."""
    return n * count_parameters(MLP(1, 1, width, DEPTH)) * itemsize / GB


def agreement(width: int, n: int) -> float:
    """Max |structured - contraction| / max |contraction| on a small case (float32)."""
    model = MLP(1, 1, width, DEPTH, parameterization="ntk", seed=0)
    x = torch.linspace(-1, 1, n)[:, None]
    reference = tutorial_contraction(model, x)
    return float((empirical_ntk(model, x, progress=False).kernel - reference).abs().max() / reference.abs().max())


def row(cells: list[str], widths: list[int]) -> str:
    return "| " + " | ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)) + " |"


def table(header: list[str], widths: list[int]) -> Callable[[list[str]], None]:
    print(row(header, widths))
    print(row(["-" * w for w in widths], widths))
    return lambda cells: print(row(cells, widths))


def speed_table(width: int, sizes: list[int], max_contraction_gb: float) -> None:
    """Structured against contraction, float32 and float64, one and two threads, quiet machine."""
    print("Structured eNTK against the Jacobian contraction (quiet machine; each row's own thread count)")
    emit = table(
        ["dtype", "model", "N", "threads", "structured s", "contraction s", "time ratio", "struct. GB", "contr. GB"],
        [7, 7, 6, 7, 12, 26, 10, 10, 10],
    )
    for dtype, itemsize in (("float32", 4), ("float64", 8)):
        for n in sizes:
            for threads in (1, 2):
                spec = {"width": width, "n": n, "dtype": dtype, "threads": threads}
                fast = in_subprocess({**spec, "task": "structured"})
                need = contraction_gb(width, n, itemsize)
                if need > max_contraction_gb:
                    cells = [f"skipped: needs {need:.1f} GB", "-", "-"]
                else:
                    slow = in_subprocess({**spec, "task": "contraction", "repeats": 1})
                    cells = [f"{slow['seconds']:.2f}", f"{slow['seconds'] / fast['seconds']:.1f}"]
                    cells.append(f"{slow['peak_gb']:.3f}")
                emit([dtype, f"3x{width}", str(n), str(threads), f"{fast['seconds']:.3f}", *cells[:2]] +
                     [f"{fast['peak_gb']:.3f}", cells[2]])  # fmt: skip


def load_table(width: int, n: int) -> None:
    """The same kernel with one core busy: tiles in worker threads against torch's intra-op threads."""
    print(f"\nA busy machine: 3x{width}, N = {n}, with a process spinning on one of the two CPUs")
    emit = table(
        ["dtype", "threads", "path", "quiet s", "busy s", "busy / quiet", "busy / (1 thread busy)"],
        [7, 7, 12, 8, 8, 12, 22],
    )
    for dtype in ("float32", "float64"):
        spec = {"width": width, "n": n, "dtype": dtype}
        runs = {
            (threads, task, busy): in_subprocess({**spec, "task": task, "threads": threads, "busy": busy})["seconds"]
            for threads, task in ((1, "structured"), (2, "structured"), (2, "intra-op"))
            for busy in (False, True)
        }
        single_busy = runs[(1, "structured", True)]
        for threads, task in ((1, "structured"), (2, "structured"), (2, "intra-op")):
            quiet, busy = runs[(threads, task, False)], runs[(threads, task, True)]
            path = "one thread" if threads == 1 else ("tiles" if task == "structured" else "intra-op")
            emit([dtype, str(threads), path, f"{quiet:.3f}", f"{busy:.3f}", f"{busy / quiet:.1f}",
                  f"{busy / single_busy:.2f}"])  # fmt: skip


def targets_table(quick: bool) -> None:
    print()
    width, big_width, big_n = (64, 128, 256) if quick else (512, 1024, 8192)
    tiled_n, top_n, block = (1000, 1000, 256) if quick else (20_000, 50_000, 4096)
    full = in_subprocess({"task": "structured", "width": big_width, "n": big_n, "repeats": 1})
    tiled = in_subprocess({"task": "tiled", "width": width, "n": tiled_n, "block": block, "repeats": 1})
    top = in_subprocess({"task": "top", "width": width, "n": top_n, "k": 20, "block": block, "repeats": 1})
    emit = table(["task (float32, 2 threads)", "seconds", "peak GB", "peak RSS GB", "target"], [62, 10, 9, 13, 24])
    for name, result, target in [
        (f"full kernel N={big_n}, 3x{big_width} (structured)", full, "< 60 s, < 4 GB"),
        (f"tiled kernel N={tiled_n}, 3x{width} (block_size={block})", tiled, "works on 24 GB, 2 cores"),
        (f"top-20 eigenpairs N={top_n}, 3x{width} (Lanczos, {top['products']} products)", top, "< 300 s"),
    ]:
        emit([name, f"{result['seconds']:.1f}", f"{result['peak_gb']:.2f}", f"{result['rss_gb']:.2f}", target])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the tests")
    parser.add_argument("--max-contraction-gb", type=float, default=8.0, help="skip contractions above this")
    parser.add_argument(
        "--tables", nargs="+", choices=("speed", "load", "targets"), default=["speed", "load", "targets"],
        help="which tables to measure (default: all)",
    )  # fmt: skip
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(json.loads(args.measure))))
        return

    width, sizes = (64, [64, 256]) if args.quick else (512, [1024, 2048, 4096, 8192])
    cpus = two_cpus()
    print(f"torch {torch.__version__}; measurements pinned to CPUs {cpus} of {os.cpu_count()}; ReLU MLP 1 -> {DEPTH}"
          " x width -> 1")  # fmt: skip
    print(f"agreement structured vs contraction (N=64, width {width}): max rel. difference "
          f"{agreement(width, 64):.1e}\n")  # fmt: skip
    if "speed" in args.tables:
        speed_table(width, sizes, args.max_contraction_gb)
    if "load" in args.tables:
        load_table(width, 256 if args.quick else 2048)
    if "targets" in args.tables:
        targets_table(args.quick)


if __name__ == "__main__":
    main()
