"""Boxes in R^d, uniform grids on them and uniform random samples from them.

A :class:`Box` is the domain of a target, the region where RepNet places its partition points
and the window of the frequency PDE. Grids are the sample points of the Fourier diagnostics:
``uniform_grid(box, n)`` with ``endpoint=False`` (the default) gives the periodic grid
``lo + (hi - lo) * j / n``, j = 0..n-1, on which the DFT bins are exact frequencies k / (hi - lo).
Point sets are tensors of shape (n, d), sample axis first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from spectra._validation import check_positive_int, fail
from spectra.seeding import Seed, make_generator


@dataclass(frozen=True)
class Box:
    """Axis-aligned box ``[lo_1, hi_1] × ... × [lo_d, hi_d]``."""

    lo: tuple[float, ...]
    hi: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.lo) != len(self.hi) or len(self.lo) == 0:
            fail("Box", "lo and hi of the same positive length", (self.lo, self.hi))
        if not all(np.isfinite(self.lo)) or not all(np.isfinite(self.hi)):
            fail("Box", "finite bounds", (self.lo, self.hi))
        if any(h <= l for l, h in zip(self.lo, self.hi, strict=True)):
            fail("Box", "hi > lo in every dimension", (self.lo, self.hi))

    @classmethod
    def interval(cls, lo: float, hi: float) -> Box:
        return cls((float(lo),), (float(hi),))

    @classmethod
    def cube(cls, lo: float, hi: float, dim: int) -> Box:
        dim = check_positive_int("dim", dim)
        return cls((float(lo),) * dim, (float(hi),) * dim)

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
    """Accept a Box, an interval ``(lo, hi)`` or a list of intervals ``[(lo, hi), ...]``."""
    if isinstance(domain, Box):
        return domain
    try:
        array = np.asarray(domain, dtype=float)
    except (TypeError, ValueError):
        fail(argument, "a Box, (lo, hi) or [(lo, hi), ...]", domain, TypeError)
    if array.shape == (2,):
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != 2:
        fail(argument, "a Box, (lo, hi) or [(lo, hi), ...]", domain)
    return Box(tuple(array[:, 0].tolist()), tuple(array[:, 1].tolist()))


def grid_axes(box: Box, n: int | Sequence[int], *, endpoint: bool = False) -> list[np.ndarray]:
    """The 1-D coordinate arrays of a uniform grid, one per dimension."""
    counts = [n] * box.dim if isinstance(n, (int, np.integer)) else list(n)
    if len(counts) != box.dim:
        fail("n", f"an int or {box.dim} ints", n)
    counts = [check_positive_int("n", c) for c in counts]
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
    axes = grid_axes(box, n, endpoint=endpoint)
    mesh = np.meshgrid(*axes, indexing="ij")
    points = np.stack([m.reshape(-1) for m in mesh], axis=1)
    return torch.as_tensor(points, dtype=dtype)


def sample_uniform(domain: BoxLike, n: int, seed: Seed = None, *, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """``n`` independent uniform samples from ``domain``, shape (n, d)."""
    box = as_box("domain", domain)
    n = check_positive_int("n", n)
    generator = make_generator(seed)
    u = torch.rand(n, box.dim, generator=generator, dtype=torch.float64)
    lo = torch.as_tensor(box.lo, dtype=torch.float64)
    return (lo + u * torch.as_tensor(box.lengths)).to(dtype)
