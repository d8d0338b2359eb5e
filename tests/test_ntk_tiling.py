"""Tiles computed by worker threads give the kernel of one thread; the plan picks threads only where they pay."""

import pytest
import torch

from spectra.models import MLP, RepNet
from spectra.ntk import empirical_ntk
from spectra.ntk.tiling import MIN_TILE_ROWS, TilePlan, plan_tiles

CPU = torch.device("cpu")


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("outputs", ["trace", "full"])
def test_worker_threads_give_the_kernel_of_one_thread(symmetric, outputs):
    model = RepNet(1, 2, width=32, depth=2, domain=(-1, 1), seed=0, dtype=torch.float64)
    x1 = torch.linspace(-1, 1, 700, dtype=torch.float64)[:, None]
    x2 = None if symmetric else torch.linspace(-0.9, 1.1, 450, dtype=torch.float64)[:, None]
    serial = empirical_ntk(model, x1, x2, outputs=outputs, workers=1, progress=False).kernel
    threaded = empirical_ntk(model, x1, x2, outputs=outputs, workers=3, block_size=128, progress=False).kernel
    torch.testing.assert_close(threaded, serial, rtol=1e-12, atol=1e-12)
    if symmetric:
        assert torch.equal(threaded, threaded.transpose(0, 1) if outputs == "trace" else threaded.permute(1, 0, 3, 2))


def test_torch_threads_are_restored_after_the_tiles():
    before = torch.get_num_threads()
    model = MLP(1, 1, 16, 2, seed=0)
    empirical_ntk(model, torch.linspace(-1, 1, 600)[:, None], workers=2, block_size=128, progress=False)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    "n, symmetric, block_size, workers, threads, expected",
    [
        (4096, True, None, 1, 2, TilePlan(1024, 1, None)),  # the caller asks for torch's own threads
        (1000, False, None, 1, 2, TilePlan(1000, 1, None)),
        (4096, True, None, None, 2, TilePlan(1024, 2, 1)),  # 4 tiles per axis: 10 tiles for 2 threads
        (4096, False, None, None, 2, TilePlan(1366, 2, 1)),  # 3 tiles per axis, 9 tiles
        (300, True, None, None, 2, TilePlan(300, 1, 1)),  # too small to split: one thread, one tile
        (4096, True, 512, None, 4, TilePlan(512, 4, 1)),  # the caller's block size is kept
        (4096, True, None, None, 1, TilePlan(1024, 1, 1)),  # torch set to one thread
    ],
)
def test_the_plan(n, symmetric, block_size, workers, threads, expected):
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        plan = plan_tiles(n, n, symmetric=symmetric, block_size=block_size, workers=workers, device=CPU)
    finally:
        torch.set_num_threads(previous)
    assert plan == expected
    assert plan.workers == 1 or plan.block >= MIN_TILE_ROWS or block_size is not None


def test_a_kernel_just_large_enough_is_split_and_one_just_too_small_is_not():
    large = plan_tiles(4 * MIN_TILE_ROWS, 4 * MIN_TILE_ROWS, symmetric=True, block_size=None, workers=2, device=CPU)
    small = plan_tiles(4 * MIN_TILE_ROWS - 4, 4 * MIN_TILE_ROWS - 4, symmetric=True, block_size=None, workers=2,
                       device=CPU)  # fmt: skip
    assert (large.workers, large.block) == (2, MIN_TILE_ROWS)
    assert (small.workers, small.intra_op) == (1, 1)


def test_an_accelerator_computes_tiles_in_order():
    plan = plan_tiles(4096, 4096, symmetric=True, block_size=None, workers=None, device=torch.device("cuda"))
    assert plan == TilePlan(1024, 1, None)


@pytest.mark.parametrize("workers", [0, -1, 1.5, "2"])
def test_bad_workers_are_refused(workers):
    with pytest.raises((ValueError, TypeError), match="workers: expected"):
        empirical_ntk(MLP(1, 1, 8, 1, seed=0), torch.zeros(4, 1), workers=workers, progress=False)
