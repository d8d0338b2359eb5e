"""Uniform tensor-product grids recognised from their points: the domain of every DFT in spectra.

A grid is given as its points (n, d), in any order (``spectra.domain.uniform_grid`` gives the
C order, last coordinate fastest). :func:`grid_layout` checks that the points are exactly the
m_1 × ... × m_d nodes lo_j + i_j h_j, i_j = 0..m_j-1, and returns where each point sits in the
C-ordered array. The DFT reads the samples as one period of a periodic function: the period along
axis j is L_j = m_j h_j (for the periodic grid ``endpoint=False`` on [lo, hi) that is hi - lo),
so the DFT bins are the frequencies k_j / L_j cycles per unit length, k_j = -⌊m_j/2⌋..⌈m_j/2⌉-1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from spectra._validation import _Described, as_points, describe, fail

# Relative tolerance on the spacing: float32 grids built from float64 linspace stay well inside it.
SPACING_RTOL = 1e-3


@dataclass(frozen=True)
class GridLayout:
    """Where the n points of a uniform grid sit: origin, spacings, counts and C-order index (n,)."""

    lo: tuple[float, ...]
    spacing: tuple[float, ...]
    shape: tuple[int, ...]
    index: torch.Tensor

    @property
    def dim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def cell_volume(self) -> float:
        """Π_j h_j: the quadrature weight of every node."""
        return math.prod(self.spacing)

    @property
    def periods(self) -> tuple[float, ...]:
        """L_j = m_j h_j, the period the DFT assumes along each axis."""
        return tuple(m * h for m, h in zip(self.shape, self.spacing, strict=True))

    def to_array(self, values: torch.Tensor) -> torch.Tensor:
        """Values (..., n) ordered like the points -> array (..., m_1, ..., m_d) in grid order."""
        ordered = torch.empty_like(values)
        ordered[..., self.index] = values
        return ordered.reshape(*values.shape[:-1], *self.shape)

    def signed_bins(self) -> list[np.ndarray]:
        """Integer DFT bins per axis in FFT order (numpy.fft.fftfreq(m) * m)."""
        return [np.rint(np.fft.fftfreq(m) * m).astype(np.int64) for m in self.shape]


def grid_layout(argument: str, points: torch.Tensor) -> GridLayout:
    """Recognise ``points`` (n, d) as a uniform tensor-product grid, or raise a ValueError naming ``argument``."""
    points = as_points(argument, points)
    n, d = points.shape
    lo, spacing, shape, columns = [], [], [], []
    for j in range(d):
        coordinate = points[:, j].to(torch.float64)
        distinct = torch.unique(coordinate)
        m = len(distinct)
        if m < 2:
            fail(argument, "a uniform grid with at least 2 distinct coordinates per axis", _axis_note(points, j))
        # Least-squares line through the sorted coordinates: float32 rounding averages out of h and lo.
        i = torch.arange(m, dtype=torch.float64, device=points.device)
        h = float(((i - i.mean()) * (distinct - distinct.mean())).sum() / ((i - i.mean()) ** 2).sum())
        origin = float(distinct.mean()) - h * float(i.mean())
        deviation = float((distinct - (origin + h * i)).abs().max())
        if h <= 0 or deviation > SPACING_RTOL * h:
            gaps = distinct[1:] - distinct[:-1]
            given = f"{describe(points)}, spacings {float(gaps.min()):.4g}..{float(gaps.max()):.4g} on axis {j}"
            fail(argument, "a uniform grid (evenly spaced along every axis)", _Described(given))
        lo.append(origin)
        spacing.append(h)
        shape.append(m)
        columns.append(torch.round((coordinate - origin) / h).to(torch.int64))
    if math.prod(shape) != n:
        counts = " × ".join(map(str, shape))
        fail(
            argument,
            f"a full tensor-product grid ({counts} = {math.prod(shape)} points from its distinct coordinates)",
            _Described(f"{describe(points)}"),
        )
    index = torch.zeros(n, dtype=torch.int64, device=points.device)
    for column, m in zip(columns, shape, strict=True):
        index = index * m + column
    if torch.unique(index).numel() != n:
        fail(argument, "a grid without repeated points", _Described(describe(points)))
    return GridLayout(tuple(lo), tuple(spacing), tuple(shape), index)


def is_uniform_grid(points: torch.Tensor) -> bool:
    """True when :func:`grid_layout` accepts ``points``."""
    try:
        grid_layout("points", points)
    except ValueError:
        return False
    return True


def _axis_note(points: torch.Tensor, axis: int) -> _Described:
    return _Described(f"{describe(points)} with a single coordinate along axis {axis}")
