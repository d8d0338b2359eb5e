"""The solution u_hat(xi, t) of the frequency-space PDE: nodal values, evaluation, metrics, files.

Conventions (docs/conventions.rst): frequencies xi in cycles per unit length, Fourier transform
u_hat(xi) = ∫ u(x) exp(-2πi xi·x) dx of the residual u = f - g, theory time t = learning rate × steps.
A :class:`PDESolution` is the same object whichever solver made it (DOLFINx or the NumPy reference):
nodal values on a :class:`~spectra.fem.grid.NodeGrid`, evaluated anywhere in the window by the
elements' own interpolation, so it can be saved, loaded and compared without DOLFINx.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spectra._validation import fail
from spectra.domain import as_box
from spectra.fem.grid import NodeGrid
from spectra.frequencies import _as_xi
from spectra.results import Result


@dataclass
class PDESolution(Result):
    """u_hat(xi, t) at the nodes of the finite-element grid, at the requested times.

    Fields: ``times`` (T,); ``values`` (T, n) complex, u_hat at the n nodes (``nodes``, lexicographic,
    last axis fastest); ``initial`` (n,) complex, u_hat(·, 0) at the nodes; ``density`` (n,), rho_w at
    the nodes (for display: the elements evaluate rho_w itself at their Gauss points, see
    :mod:`spectra.fem.grid`); ``energy`` (T,), ∫ ``|u_hat_h(xi, t)|²`` dxi over the window (mass-matrix norm,
    real and imaginary parts together); the grid (``window`` as [[lo_1, hi_1], ..., [lo_d, hi_d]], one
    (lo, hi) per axis: the form ``FrequencyPDE(window=)`` reads, so ``window=solution.window`` poses the
    problem on the same window; ``cells``, ``degree``); the coefficients ``sigma_a`` and ``c``; how it was
    integrated (``scheme``, largest step ``dt``, number of ``steps``, ``solver``, MPI ``processes``); and the
    a priori relative L2 error estimates ``space_error_estimate`` and ``time_error_estimate``.
    """

    times: np.ndarray = Result.array_field(("T",))
    values: np.ndarray = Result.array_field(("T", "n"), "complex")
    initial: np.ndarray = Result.array_field(("n",), "complex")
    density: np.ndarray = Result.array_field(("n",))
    energy: np.ndarray = Result.array_field(("T",))
    window: list
    cells: list
    degree: int
    sigma_a: float
    c: float
    scheme: str
    dt: float
    steps: int
    solver: str
    processes: int = 1
    space_error_estimate: float = float("nan")
    time_error_estimate: float = float("nan")

    @property
    def grid(self) -> NodeGrid:
        window = as_box("window", self.window)
        if window.dim != len(self.cells):
            fail("window", f"one (lo, hi) per axis of the {len(self.cells)} cell counts", self.window)
        return NodeGrid(window, tuple(int(n) for n in self.cells), self.degree)

    @property
    def dim(self) -> int:
        return len(self.cells)

    @property
    def nodes(self) -> np.ndarray:
        """Node coordinates (n, d)."""
        return self.grid.nodes()

    def evaluate(self, xi: np.ndarray) -> np.ndarray:
        """u_hat at frequencies ``xi`` (k, d), or (k,) in 1-D, inside the window: complex (T, k)."""
        return self.grid.interpolate(self.values, _as_xi("xi", xi, self.dim))

    def initial_at(self, xi: np.ndarray) -> np.ndarray:
        """The discrete initial data u_hat_h(xi, 0) at ``xi``: complex (k,)."""
        return self.grid.interpolate(self.initial, _as_xi("xi", xi, self.dim))

    def density_at(self, xi: np.ndarray) -> np.ndarray:
        """rho_w's nodal values interpolated at ``xi`` (for display; the elements use rho_w itself): (k,)."""
        return self.grid.interpolate(self.density, _as_xi("xi", xi, self.dim))

    def decay(self, xi: np.ndarray) -> np.ndarray:
        """Per-frequency decay ``|u_hat(xi, t)|`` / ``|u_hat(xi, 0)|``: (T, k)."""
        start = np.abs(self.initial_at(xi))
        if np.any(start == 0):
            fail("xi", "frequencies where u_hat(xi, 0) ≠ 0", "a frequency where the initial data vanishes")
        return np.abs(self.evaluate(xi)) / start

    def l2_error(self, exact: Callable[[np.ndarray], np.ndarray], points_per_cell: int | None = None) -> np.ndarray:
        """``||u_hat_h(·, t) - exact(·, t)||_2`` / ``||u_hat_h(·, 0)||_2`` over the window, for each time: (T,).

        ``exact(xi)`` takes frequencies (k, d) and returns (T, k) values at this solution's times. The
        integrals use composite Gauss–Legendre with ``degree + 2`` points per cell and axis. Dividing by
        the initial norm, not the current one, is the metric of docs/theory.rst, "Comparing with training":
        the error relative to what there was to learn.
        """
        points, weights = self.grid.quadrature(points_per_cell or self.degree + 2)
        errors = np.zeros(len(self.times))
        norm0 = 0.0
        for start in range(0, len(points), 65536):  # bounded memory: T × chunk values at a time
            chunk = slice(start, start + 65536)
            reference = np.asarray(exact(points[chunk]))
            if reference.shape != (len(self.times), len(points[chunk])):
                fail("exact", f"values of shape (T, k) = ({len(self.times)}, k)", f"shape {reference.shape}")
            difference = self.grid.interpolate(self.values, points[chunk]) - reference
            errors += np.abs(difference) ** 2 @ weights[chunk]
            norm0 += float(np.abs(self.grid.interpolate(self.initial, points[chunk])) ** 2 @ weights[chunk])
        return np.sqrt(errors / norm0)

    def relative_difference(self, other: PDESolution) -> np.ndarray:
        """max over nodes ``|self - other|`` / max over nodes ``|u_hat(·, 0)|``, per time (same grid, times): (T,)."""
        if other.grid != self.grid or not np.array_equal(other.times, self.times):
            fail("other", f"a solution on the same grid {self.grid} and times", f"{other.grid}")
        return np.abs(self.values - other.values).max(axis=1) / np.abs(self.initial).max()

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per (t, node) with columns t, xi (or xi_1, xi_2), real, imag, abs."""
        nodes = self.nodes
        names = ["xi"] if self.dim == 1 else [f"xi_{j + 1}" for j in range(self.dim)]
        columns = {"t": np.repeat(self.times, len(nodes))}
        for j, name in enumerate(names):
            columns[name] = np.tile(nodes[:, j], len(self.times))
        flat = self.values.reshape(-1)
        columns |= {"real": flat.real, "imag": flat.imag, "abs": np.abs(flat)}
        return pd.DataFrame(columns)

    def write_xdmf(self, path: str | os.PathLike[str]) -> Path:
        """Write ``path`` (.xdmf, with its .h5) for ParaView: Re, Im and ``|u_hat|`` per time. Needs DOLFINx."""
        from spectra.fem.frequency_pde import write_xdmf

        return write_xdmf(self, path)

    def write_vtx(self, path: str | os.PathLike[str]) -> Path:
        """Write the ADIOS2 folder ``path`` (.bp) for ParaView. Needs DOLFINx built with ADIOS2."""
        from spectra.fem.frequency_pde import write_vtx

        return write_vtx(self, path)
