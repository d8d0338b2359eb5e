"""A kernel assembled from tiles, computed by worker threads that each run torch on one thread.

Why threads over tiles rather than torch's own threads inside each operation: torch parallelises
one operation at a time over its intra-op threads (OpenMP), with a barrier at the end of every
operation. The structured eNTK is a few hundred medium-sized matrix products and Hadamard products;
on a machine where another process holds a core, every barrier waits for the thread that lost its
core, and the kernel took 10 to 30 times longer with two threads than with one. Here each worker
thread takes the next tile when it is done with the last (no barrier between tiles) and computes it
with a single intra-op thread, so a busy core slows the kernel down by the share of the machine it
takes away, not by a multiple. On a quiet machine this is about as fast as torch's own threads.

The number of threads defaults to ``torch.get_num_threads()`` on the CPU; on an accelerator (whose
operations are asynchronous and parallel already) tiles are computed one after the other. While tiles
are being computed torch's intra-op thread count is set to 1 for the whole process (torch has no
per-thread setting) and restored after. Small kernels are computed in the calling thread, with one
torch thread: for them the hand-offs cost more than parallelism gains (``plan_tiles``).
"""

from __future__ import annotations

import itertools
import queue
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from spectra._validation import check_positive_int

TILES_PER_WORKER = 4  # enough tiles that a worker on a busy core does not hold up the others
MIN_TILE_ROWS = 128  # kernels whose tiles would be smaller cost more in thread hand-offs than they save


@dataclass(frozen=True)
class TilePlan:
    """How a kernel is cut and computed: ``block`` rows (and columns) per tile, ``workers`` threads computing
    tiles at once, and ``intra_op`` torch threads for every operation of the computation, features
    included (None: torch's setting is left as it is)."""

    block: int
    workers: int
    intra_op: int | None


def slices(n: int, block: int) -> list[slice]:
    """[0, block), [block, 2 block), ... covering range(n)."""
    return [slice(start, min(start + block, n)) for start in range(0, n, block)]


def _tile_count(n1: int, n2: int, block: int, symmetric: bool) -> int:
    rows, cols = -(-n1 // block), -(-n2 // block)
    return rows * (rows + 1) // 2 if symmetric else rows * cols


def _one_thread_block(n1: int, n2: int, symmetric: bool) -> int:
    """One tile, except that a large symmetric kernel (N >= 2048) is cut in four row blocks so that only the
    upper triangle of tiles is computed (about 5/8 of the work)."""
    return -(-n1 // 4) if symmetric and n1 >= 2048 else max(n1, n2)


def plan_tiles(
    n1: int, n2: int, *, symmetric: bool, block_size: int | None, workers: int | None, device: torch.device
) -> TilePlan:
    """The tiling of an (n1, n2) kernel (see the module docstring for why).

    - ``workers=1``, or an accelerator: tiles one after the other in the calling thread, with torch's
      own intra-op threads.
    - Otherwise T = ``workers`` (default ``torch.get_num_threads()``) threads with one torch thread each,
      on tiles of ``block_size`` rows (default: about TILES_PER_WORKER tiles per thread). A kernel whose
      tiles would be smaller than MIN_TILE_ROWS, or that is one tile, or T = 1, is computed in the
      calling thread with one torch thread.
    """
    if workers is not None:
        workers = check_positive_int("workers", workers)
    if device.type != "cpu" or workers == 1:
        return TilePlan(block_size or _one_thread_block(n1, n2, symmetric), 1, None)
    threads = workers or torch.get_num_threads()
    tiles_per_axis = max(2, round((TILES_PER_WORKER * threads * (2 if symmetric else 1)) ** 0.5))
    balanced = -(-max(n1, n2) // tiles_per_axis)
    block = block_size or balanced
    if threads == 1 or balanced < MIN_TILE_ROWS or _tile_count(n1, n2, block, symmetric) < 2:
        return TilePlan(block_size or _one_thread_block(n1, n2, symmetric), 1, 1)
    return TilePlan(block, threads, 1)


def plan_threads(plan: TilePlan) -> AbstractContextManager[None]:
    """What the whole kernel computation (features, then tiles) runs under: ``plan.intra_op`` torch threads
    (the features of a large kernel too: their forward and backward passes hit the same barriers)."""
    return intra_op_threads(plan.intra_op) if plan.intra_op is not None else nullcontext()


@contextmanager
def intra_op_threads(count: int) -> Iterator[None]:
    """Set torch's intra-op thread count for the block and restore it after."""
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def map_in_threads[T, R](make_worker: Callable[[], Callable[[T], R]], items: Sequence[T], workers: int) -> list[R]:
    """``[worker(item) for item in items]`` in ``workers`` threads with one torch thread each, in order.

    Each thread gets its own ``worker`` from ``make_worker()`` (state that threads cannot share, such as a
    module whose forward pass is hooked); a worker is handed from one item to the next, never used by
    two threads at once. With one worker the items run here, under the caller's torch threads.
    """
    if workers == 1 or len(items) <= 1:
        worker = make_worker()
        return [worker(item) for item in items]
    idle: queue.SimpleQueue[Callable[[T], R]] = queue.SimpleQueue()
    for _ in range(min(workers, len(items))):
        idle.put(make_worker())

    def run(item: T) -> R:
        worker = idle.get()
        try:
            return worker(item)
        finally:
            idle.put(worker)

    with intra_op_threads(1), ThreadPoolExecutor(min(workers, len(items))) as pool:
        return list(pool.map(run, items))


def tile_pairs(n_rows: int, n_cols: int, symmetric: bool) -> list[tuple[int, int]]:
    """The (row block, column block) tiles to compute, row-major: only J >= I for a symmetric kernel."""
    return [(i, j) for i, j in itertools.product(range(n_rows), range(n_cols)) if not symmetric or j >= i]


def mirror(tile: torch.Tensor) -> torch.Tensor:
    """The tile of Θ(cols, rows) from that of Θ(rows, cols): a transpose, per output pair for (n1, n2, c, c)."""
    return tile.permute(1, 0, 3, 2) if tile.dim() == 4 else tile.T


def assemble(
    tile: Callable[[slice, slice], torch.Tensor],
    shape: tuple[int, ...],
    plan: TilePlan,
    *,
    symmetric: bool,
    like: torch.Tensor,
    progress: bool = False,
) -> torch.Tensor:
    """The kernel of ``shape`` (N1, N2) or (N1, N2, c, c) from ``tile(rows, cols)``, computed as ``plan`` says.

    With ``symmetric`` only the tiles (I, J >= I) are computed: each is mirrored, and diagonal tiles
    are symmetrised, (T + Tᵀ)/2. ``tile`` must be safe to call from several threads when plan.workers > 1
    (it only reads shared data). Tiles write disjoint parts of the result, so no lock is needed.
    """
    kernel = torch.empty(shape, dtype=like.dtype, device=like.device)
    rows, cols = slices(shape[0], plan.block), slices(shape[1], plan.block)
    pairs = tile_pairs(len(rows), len(cols), symmetric)

    def fill(pair: tuple[int, int]) -> None:
        i, j = pair
        value = tile(rows[i], cols[j])
        if symmetric and i == j:
            value = (value + mirror(value)) / 2
        kernel[rows[i], cols[j]] = value
        if symmetric and i != j:
            kernel[cols[j], rows[i]] = mirror(value)
        bar.update(1)

    with tqdm(total=len(pairs), disable=not progress or len(pairs) == 1, desc="eNTK tiles") as bar:
        map_in_threads(lambda: fill, pairs, plan.workers)
    return kernel
