"""The node grid of the frequency-space finite elements, and evaluation of a finite-element function on it.

The window [lo_1, hi_1] × ... × [lo_d, hi_d] (frequencies xi, cycles per unit length) is cut into
``cells[j]`` equal intervals along axis j: intervals in 1-D, quadrilaterals in 2-D. On each cell the
solution is a tensor-product Lagrange polynomial of degree p = 1 or 2 (P1/P2 on intervals, Q1/Q2 on
quadrilaterals) with equispaced nodes, so the nodes form a uniform grid with ``cells[j]·p + 1`` points
along axis j. Nodal values are stored flat in lexicographic order, last axis fastest (like
:func:`spectra.domain.uniform_grid`), and a finite-element function is evaluated anywhere in the
window by the same tensor-product interpolation the elements use: exact, with no DOLFINx needed.

The coefficient rho_w is never interpolated: both solvers evaluate rho_w itself at the
``coefficient_points`` Gauss–Legendre points per axis of every cell and integrate the weighted
matrices with that rule. Its weights are positive, so a rho_w that is non-negative at those points (which
the solvers check) makes the weighted stiffness and mass positive semi-definite and every time step
dissipative, whatever rho_w does between the points (a band edge on a node or inside a cell).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from spectra._validation import check_choice, check_positive_int, fail
from spectra.domain import Box

_OUTSIDE_TOLERANCE = 1e-9  # fraction of a cell: round-off at the window's edge is not "outside"


def lagrange_basis(s: np.ndarray, degree: int) -> np.ndarray:
    """Equispaced Lagrange basis on [0, 1] at local coordinates ``s`` (k,); shape (k, degree + 1).

    l_a(s) = Π_{b≠a} (s - b/p) / (a/p - b/p), nodes a/p for a = 0..p.
    """
    nodes = np.arange(degree + 1) / degree
    basis = np.ones((len(s), degree + 1))
    for a, b in itertools.permutations(range(degree + 1), 2):
        basis[:, a] *= (s - nodes[b]) / (nodes[a] - nodes[b])
    return basis


def coefficient_points(degree: int) -> int:
    """Gauss–Legendre points per axis and cell at which elements of ``degree`` evaluate rho_w: degree + 2.

    The rule integrates polynomials of degree 2·degree + 3 per axis exactly: the mass matrix exactly, and
    rho_w times the products of basis functions (degree 2·degree) to the accuracy of rho_w's smoothness.
    """
    return int(check_choice("degree", degree, (1, 2))) + 2


@dataclass(frozen=True)
class NodeGrid:
    """``cells`` uniform cells of degree-``degree`` tensor-product Lagrange elements on ``window``."""

    window: Box
    cells: tuple[int, ...]
    degree: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.window, Box):
            fail("window", "a spectra.domain.Box", type(self.window).__name__, TypeError)
        if not isinstance(self.cells, Sequence) or len(self.cells) != self.window.dim:
            fail("cells", f"{self.window.dim} cell count(s), one per axis of the window", self.cells)
        object.__setattr__(self, "cells", tuple(check_positive_int("cells", n) for n in self.cells))
        check_choice("degree", self.degree, (1, 2))

    @property
    def dim(self) -> int:
        return self.window.dim

    @property
    def shape(self) -> tuple[int, ...]:
        """Nodes per axis, cells·degree + 1."""
        return tuple(n * self.degree + 1 for n in self.cells)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def cell_size(self) -> np.ndarray:
        """Cell edge length h along each axis."""
        return self.window.lengths / np.asarray(self.cells)

    def axes(self) -> list[np.ndarray]:
        """The node coordinates along each axis."""
        return [np.linspace(lo, hi, n) for lo, hi, n in zip(self.window.lo, self.window.hi, self.shape, strict=True)]

    def nodes(self) -> np.ndarray:
        """All nodes, shape (size, d), lexicographic with the last axis fastest."""
        mesh = np.meshgrid(*self.axes(), indexing="ij")
        return np.stack([m.reshape(-1) for m in mesh], axis=1)

    def index(self, coordinates: np.ndarray) -> np.ndarray:
        """Flat node index of each row of ``coordinates`` (k, d); every row must be a node."""
        spacing = self.cell_size / self.degree
        position = (coordinates[:, : self.dim] - np.asarray(self.window.lo)) / spacing
        index = np.rint(position).astype(np.int64)
        if np.any(np.abs(position - index) > 1e-6) or np.any(index < 0) or np.any(index >= np.asarray(self.shape)):
            fail("coordinates", f"nodes of the {self.shape} grid on {self.window}", "points off the grid")
        return np.ravel_multi_index(tuple(index.T), self.shape)

    def _locate(self, xi: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per axis: the global node indices (k, p+1) of each point's cell and the basis values there."""
        indices, bases = [], []
        for axis in range(self.dim):
            s = (xi[:, axis] - self.window.lo[axis]) / self.cell_size[axis]
            outside = (s < -_OUTSIDE_TOLERANCE) | (s > self.cells[axis] + _OUTSIDE_TOLERANCE)
            if outside.any():
                fail(
                    "xi",
                    f"frequencies inside the window {self.window}",
                    f"{int(outside.sum())} point(s) outside, e.g. {xi[outside][0].tolist()}",
                )
            cell = np.clip(np.floor(s).astype(np.int64), 0, self.cells[axis] - 1)
            bases.append(lagrange_basis(np.clip(s - cell, 0.0, 1.0), self.degree))
            indices.append(cell[:, None] * self.degree + np.arange(self.degree + 1))
        return indices, bases

    def interpolate(self, values: np.ndarray, xi: np.ndarray) -> np.ndarray:
        """The finite-element function with nodal ``values`` (..., size) at points ``xi`` (k, d): (..., k)."""
        indices, bases = self._locate(xi)
        out = np.zeros(values.shape[:-1] + (len(xi),), dtype=values.dtype)
        for local in itertools.product(range(self.degree + 1), repeat=self.dim):
            weight = np.prod([bases[axis][:, a] for axis, a in enumerate(local)], axis=0)
            flat = np.ravel_multi_index(tuple(indices[axis][:, a] for axis, a in enumerate(local)), self.shape)
            out += values[..., flat] * weight
        return out

    def quadrature(self, points_per_cell: int) -> tuple[np.ndarray, np.ndarray]:
        """Composite Gauss–Legendre rule on the window: points (q, d) and weights (q,)."""
        gauss, gauss_weights = np.polynomial.legendre.leggauss(points_per_cell)
        axes_points, axes_weights = [], []
        for axis in range(self.dim):
            h = self.cell_size[axis]
            left = self.window.lo[axis] + h * np.arange(self.cells[axis])
            axes_points.append((left[:, None] + h * (gauss + 1) / 2).reshape(-1))
            axes_weights.append(np.tile(h * gauss_weights / 2, self.cells[axis]))
        points = np.stack([m.reshape(-1) for m in np.meshgrid(*axes_points, indexing="ij")], axis=1)
        weights = np.prod([m.reshape(-1) for m in np.meshgrid(*axes_weights, indexing="ij")], axis=0)
        return points, weights
