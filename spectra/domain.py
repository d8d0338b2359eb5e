"""Boxes in R^d, uniform grids on them and uniform random samples from them.

A :class:`Box` is the domain of a target, the region where RepNet places its partition points
and the window of the frequency PDE. Grids are the sample points of the Fourier diagnostics:
``uniform_grid(box, n)`` with ``endpoint=False`` (the default) gives the periodic grid
``lo + (hi - lo) * j / n``, j = 0..n-1, on which the DFT bins are exact frequencies k / (hi - lo).
Point sets are tensors of shape (n, d), sample axis first. Their size is checked before anything is
allocated: a grid or sample whose points would need more than ``spectra._validation.MAX_MEMORY_GB`` is
refused with a ValueError naming ``n``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from spectra._validation import (
    as_real_array,
    brief,
    check_dimension,
    check_float_dtype,
    check_memory,
    check_points_memory,
    check_positive_int,
    check_real,
    fail,
)
from spectra.seeding import Seed, make_generator


def _bounds(lo_name: str, lo: object, hi_name: str, hi: object) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Finite lower and upper bounds of one box, one per dimension, with hi > lo: two float tuples."""
    low, high = np.atleast_1d(as_real_array(lo_name, lo)), np.atleast_1d(as_real_array(hi_name, hi))
    if low.ndim != 1:
        fail(lo_name, "one bound per dimension, a sequence of numbers", brief(lo))
    if high.shape != low.shape:
        fail(hi_name, f"one bound per dimension, as many as {lo_name} ({len(low)})", brief(hi))
    if len(low) == 0:
        fail(lo_name, "at least one dimension (a non-empty sequence of bounds)", brief(lo))
    if np.any(high <= low):
        fail(hi_name, f"{hi_name} > {lo_name} in every dimension ({lo_name} = {low.tolist()})", high.tolist())
    return tuple(low.tolist()), tuple(high.tolist())


@dataclass(frozen=True)
class Box:
    """Axis-aligned box ``[lo_1, hi_1] × ... × [lo_d, hi_d]``; ``lo`` and ``hi`` are stored as float tuples."""

    lo: tuple[float, ...]
    hi: tuple[float, ...]

    def __post_init__(self) -> None:
        lo, hi = _bounds("lo", self.lo, "hi", self.hi)
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)

    @classmethod
    def interval(cls, lo: float, hi: float) -> Box:
        return cls((check_real("lo", lo),), (check_real("hi", hi),))

    @classmethod
    def cube(cls, lo: float, hi: float, dim: int) -> Box:
        dim = check_dimension("dim", dim)
        return cls((check_real("lo", lo),) * dim, (check_real("hi", hi),) * dim)

    @property
    def dim(self) -> int:
        return len(self.lo)

    @property
    def lengths(self) -> np.ndarray:
        return np.asarray(self.hi) - np.asarray(self.lo)

    @property
    def volume(self) -> float:
        return float(np.prod(self.lengths))

    @property
    def center(self) -> np.ndarray:
        return (np.asarray(self.lo) + np.asarray(self.hi)) / 2

    def contains(self, x: torch.Tensor | np.ndarray) -> np.ndarray:
        """Boolean mask of the rows of ``x`` (n, d) lying in the closed box."""
        x = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x, dtype=float).reshape(len(x), -1)
        return np.all((x >= np.asarray(self.lo)) & (x <= np.asarray(self.hi)), axis=1)


BoxLike = Box | Sequence[float] | Sequence[Sequence[float]]


def as_box(argument: str, domain: BoxLike) -> Box:
    """Accept a Box, an interval ``(lo, hi)`` or a list of intervals ``[(lo, hi), ...]``.

    Errors name ``argument`` (e.g. "domain"): non-numbers, non-finite bounds, hi <= lo.
    """
    if isinstance(domain, Box):
        return domain
    array = as_real_array(argument, domain)
    if array.shape == (2,):
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != 2 or len(array) == 0:
        fail(argument, "a Box, (lo, hi) or [(lo, hi), ...]", brief(domain))
    if np.any(array[:, 1] <= array[:, 0]):
        fail(argument, "intervals (lo, hi) with hi > lo", array.tolist())
    return Box(tuple(array[:, 0].tolist()), tuple(array[:, 1].tolist()))


def _grid_counts(box: Box, n: int | Sequence[int]) -> list[int]:
    """Points per axis of a grid on ``box``: ``n`` for every axis, or one count per axis."""
    counts = list(n) if isinstance(n, (Sequence, np.ndarray)) and not isinstance(n, str) else [n] * box.dim
    if len(counts) != box.dim:
        fail("n", f"an int or {box.dim} ints", n)
    return [check_positive_int("n", c) for c in counts]


def grid_axes(box: BoxLike, n: int | Sequence[int], *, endpoint: bool = False) -> list[np.ndarray]:
    """The 1-D coordinate arrays of a uniform grid, one per dimension."""
    box = as_box("box", box)
    counts = _grid_counts(box, n)
    check_memory("n", n, 8 * sum(counts), subject=f"grid axes of {counts} points", advice="use fewer points (n)")
    return [np.linspace(lo, hi, c, endpoint=endpoint) for lo, hi, c in zip(box.lo, box.hi, counts, strict=True)]


def uniform_grid(
    domain: BoxLike,
    n: int | Sequence[int],
    *,
    endpoint: bool = False,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """Points of a uniform grid on ``domain``, shape (prod(n), d), last coordinate fastest.

    ``endpoint=False`` gives the periodic grid ``lo + (hi - lo) j / n`` (spacing (hi - lo) / n),
    the one on which :func:`numpy.fft.fft` frequencies are k / (hi - lo) cycles per unit length.
    ``endpoint=True`` includes ``hi`` (spacing (hi - lo) / (n - 1)).
    """
    box = as_box("domain", domain)
    dtype = check_float_dtype("dtype", dtype, allow_none=False)
    check_points_memory("n", n, math.prod(_grid_counts(box, n)), box.dim, dtype.itemsize)
    axes = grid_axes(box, n, endpoint=endpoint)
    mesh = np.meshgrid(*axes, indexing="ij")
    points = np.stack([m.reshape(-1) for m in mesh], axis=1)
    return torch.as_tensor(points, dtype=dtype)


def sample_uniform(domain: BoxLike, n: int, seed: Seed = None, *, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """``n`` independent uniform samples from ``domain``, shape (n, d)."""
    box = as_box("domain", domain)
    n = check_positive_int("n", n)
    dtype = check_float_dtype("dtype", dtype, allow_none=False)
    check_points_memory("n", n, n, box.dim, dtype.itemsize)
    generator = make_generator(seed)
    u = torch.rand(n, box.dim, generator=generator, dtype=torch.float64)
    lo = torch.as_tensor(box.lo, dtype=torch.float64)
    return (lo + u * torch.as_tensor(box.lengths)).to(dtype)
