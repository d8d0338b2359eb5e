"""Empirical NTK: time and peak memory of the structured path against the torch.func Jacobian contraction.

    python analysis/benchmarks/ntk.py [--quick] [--max-contraction-gb 8]

Models: ReLU MLPs with 1-D input, 3 hidden layers of width 512 or 1024 (NTK parameterisation,
float32), on N evenly spaced points of [-1, 1]; kernels are (N, N), x2 = x1.

- ``structured``: :func:`spectra.ntk.empirical_ntk` (method="structured", default tiling).
- ``contraction``: the PyTorch tutorial "Neural Tangent Kernels" (torch.func): J = vmap(jacrev(f))
  per parameter tensor, then einsum('Naf,Mbf->NMab') summed over tensors. Since x2 = x1 the Jacobian
  is computed once (the tutorial computes it twice, doubling memory). It holds N·P floats: sizes
  whose Jacobian exceeds --max-contraction-gb are skipped and the memory they would need printed.

Every measurement runs in a fresh subprocess: after building the model and data and a tiny warm-up
call, the resident-set high-water mark is reset (/proc/self/clear_refs, Linux) and the resident set
read; "peak" is the high-water mark (VmHWM) reached during the measured call minus that, i.e. the
memory the computation itself needed, torch's allocations included (tracemalloc would not see them);
"peak RSS" is the whole process's high-water mark (about 1 GB of it is torch itself). Wall-clock
times on a shared machine are noisy: compare the ratios, which come from the same run.

Targets (issue "Empirical NTK engine"): structured >= 20x faster than contraction at N = 2048 on
3x512; the N = 8192 3x1024 kernel under 60 s and 4 GB; the N = 20,000 3x512 kernel tiled; top-20
eigenpairs at N = 50,000 (3x512, Lanczos on the matrix-free operator) under 5 minutes.
"""

from __future__ import annotations

import argparse
import gc
import json
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
    "contraction": lambda m, x, s: lambda: tutorial_contraction(m, x),
    "tiled": lambda m, x, s: lambda: empirical_ntk(m, x, method="structured", block_size=s["block"], progress=False),
    "top": lambda m, x, s: lambda: top_eigenpairs(m, x, min(s["k"], len(x) - 1), block_size=s["block"], progress=False),
}


def _status_bytes(field: str) -> int:
    """A memory field of /proc/self/status (VmRSS: resident now, VmHWM: resident high-water mark)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith(field + ":"))


def measure(spec: dict) -> dict:
    """Run one task in this process and return its time and peak memory (see module docstring)."""
    model = MLP(1, 1, spec["width"], DEPTH, parameterization="ntk", seed=0)
    x = torch.linspace(-1, 1, spec["n"])[:, None]
    with torch.no_grad():
        TASKS[spec["task"]](model, x[:8], {**spec, "k": 2, "block": 4})()  # warm-up: lazy initialisation
    gc.collect()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # reset the high-water mark to the current resident set (Linux >= 4.0)
    before = _status_bytes("VmRSS")
    start = time.perf_counter()
    result = TASKS[spec["task"]](model, x, spec)()
    seconds = time.perf_counter() - start
    peak = _status_bytes("VmHWM")
    out = {"seconds": seconds, "peak_gb": (peak - before) / GB, "rss_gb": peak / GB}
    if spec["task"] == "top":
        out["products"] = result.n_products
    return out


def in_subprocess(spec: dict) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--measure", json.dumps(spec)], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"measurement {spec} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def contraction_gb(width: int, n: int) -> float:
    """The Jacobian alone: N · P float32 values."""
    return n * count_parameters(MLP(1, 1, width, DEPTH)) * 4 / GB


def agreement(width: int, n: int) -> float:
    """Max |structured - contraction| / max |contraction| on a small case (float32)."""
    model = MLP(1, 1, width, DEPTH, parameterization="ntk", seed=0)
    x = torch.linspace(-1, 1, n)[:, None]
    reference = tutorial_contraction(model, x)
    return float((empirical_ntk(model, x, progress=False).kernel - reference).abs().max() / reference.abs().max())


def row(cells: list[str], widths: list[int]) -> str:
    return "| " + " | ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the tests")
    parser.add_argument("--max-contraction-gb", type=float, default=8.0, help="skip contractions above this")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(json.loads(args.measure))))
        return

    widths, sizes = ([64], [64, 256]) if args.quick else ([512, 1024], [512, 2048, 8192])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32, ReLU MLP 1 -> {DEPTH} x width -> 1")
    difference = agreement(widths[0], 64)
    print(f"agreement structured vs contraction (N=64, width {widths[0]}): max rel. difference {difference:.1e}")
    print()
    header = [
        "model",
        "N",
        "structured s",
        "contraction s",
        "time ratio",
        "structured GB",
        "contraction GB",
        "memory ratio",
    ]
    sizes_cols = [8, 6, 12, 26, 10, 13, 14, 12]
    print(row(header, sizes_cols))
    print(row(["-" * w for w in sizes_cols], sizes_cols))
    results = {}
    for width in widths:
        for n in sizes:
            fast = in_subprocess({"task": "structured", "width": width, "n": n})
            results[(width, n)] = fast
            need = contraction_gb(width, n)
            if need > args.max_contraction_gb:
                cells = [f"skipped: needs {need:.1f} GB", "-", "-", "-"]
            else:
                slow = in_subprocess({"task": "contraction", "width": width, "n": n})
                cells = [
                    f"{slow['seconds']:.2f}",
                    f"{slow['seconds'] / fast['seconds']:.1f}",
                    f"{slow['peak_gb']:.3f}",
                    f"{slow['peak_gb'] / max(fast['peak_gb'], 1e-3):.1f}",
                ]
            print(
                row(
                    [
                        f"3x{width}",
                        str(n),
                        f"{fast['seconds']:.2f}",
                        cells[0],
                        cells[1],
                        f"{fast['peak_gb']:.3f}",
                        *cells[2:],
                    ],
                    sizes_cols,
                )
            )

    print()
    big_width, big_n = widths[-1], sizes[-1]
    tiled_n, top_n, block = (1000, 1000, 256) if args.quick else (20_000, 50_000, 4096)
    tiled = in_subprocess({"task": "tiled", "width": widths[0], "n": tiled_n, "block": block})
    top = in_subprocess({"task": "top", "width": widths[0], "n": top_n, "k": 20, "block": block})
    full = results[(big_width, big_n)]
    targets = [
        (f"full kernel N={big_n}, 3x{big_width} (structured)", full, "< 60 s, < 4 GB"),
        (f"tiled kernel N={tiled_n}, 3x{widths[0]} (block_size={block})", tiled, "works on 24 GB, 2 cores"),
        (f"top-20 eigenpairs N={top_n}, 3x{widths[0]} (Lanczos, {top['products']} products)", top, "< 300 s"),
    ]
    target_cols = [62, 10, 9, 13, 24]
    print(row(["task", "seconds", "peak GB", "peak RSS GB", "target"], target_cols))
    print(row(["-" * w for w in target_cols], target_cols))
    for name, result, target in targets:
        print(
            row(
                [name, f"{result['seconds']:.1f}", f"{result['peak_gb']:.2f}", f"{result['rss_gb']:.2f}", target],
                target_cols,
            )
        )


if __name__ == "__main__":
    main()
