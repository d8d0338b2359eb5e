"""Finite-element solver of the frequency-space PDE with DOLFINx (FEniCSx 0.11, real PETSc).

The PDE, its conventions (cycles per unit length, t = learning rate × steps) and its defaults are those
of :mod:`spectra.fem.problem`. Weak form, test function v (docs/theory.rst, "Finite elements"):

    ∫ ∂_t u v + c ∫ ( sigma_a² rho_w ∇u·∇v + rho_w u v ) = 0,

with Lagrange elements of degree p = 1 or 2 on a uniform mesh of the window: intervals in 1-D,
quadrilaterals in 2-D (Q1/Q2, whose nodes form a grid, see :mod:`spectra.fem.grid`). rho_w enters as its
values at the p + 2 Gauss points per axis of every cell (a quadrature function; the forms are integrated
with that rule, ``spectra.fem.grid.coefficient_points``), checked non-negative there, never as an
interpolant: the quadratic interpolant of a band's edge dips below 0, which made K indefinite and the
steps blow up. With rho_w ≥ 0 at the points and positive weights, vᵀ K v = c Σ_q w_q rho_w(xi_q)
(sigma_a² ``|∇v_h|²`` + v_h²)(xi_q) ≥ 0: every step below is dissipative, ``||u⁺||_M`` ≤ ``||u||_M``.

M and K = c (sigma_a² A + B) are assembled once from one compiled form (two Constants select the mass or
the operator part). Every step of Crank–Nicolson, (M + h/2 K) u⁺ = (M - h/2 K) u, or backward Euler,
(M + h K) u⁺ = M u, is a sparse product and a solve with one Cholesky factorisation per step size (the
left matrix is symmetric positive definite; PETSc's own in serial, MUMPS with a parallel analysis in
parallel), applied to the real and imaginary parts together as the two columns of one dense right-hand
side. Under ``mpirun -n K`` the mesh is distributed and the results gathered on every process: the same
numbers as in serial, to rounding. Parallel runs pay off only where the factorisation dominates (large 2-D
meshes, few steps); each step's triangular solves barely speed up. ``analysis/benchmarks/fem.py`` measures
the crossover.

Without DOLFINx, this module still imports; :class:`FrequencyPDE` then raises an ImportError that
says how to install it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from spectra._validation import _Described, fail
from spectra.domain import BoxLike
from spectra.fem.grid import NodeGrid, coefficient_points
from spectra.fem.problem import FrequencyProblem, density_error
from spectra.fem.solution import PDESolution
from spectra.frequencies import FrequencyDistribution

# Rough costs for refusing oversized requests up front (measured orders of magnitude, with margin): memory per
# node (mesh, dof maps, M, K and the LU factors) and time per Crank–Nicolson step (a fixed overhead plus a
# sparse product and an LU solve per node; 2-D factors fill in more).
BYTES_PER_NODE = 4096
SECONDS_PER_STEP = 2e-5
SECONDS_PER_NODE_STEP = {1: 5e-8, 2: 1e-6}

INSTALL_HINT = (
    "FrequencyPDE needs DOLFINx 0.11 with real PETSc. Install it with pip, "
    "`pip install 'spectra[fem]'` (the dolfinx-solver-real wheel, Python >= 3.12, Linux x86_64), or with "
    "conda, `conda install -c conda-forge fenics-dolfinx mpich` (see environment.yml). "
    "spectra.fem.ReferenceSolver (1-D, NumPy/SciPy) works without it."
)


def dolfinx_modules() -> SimpleNamespace:
    """Import DOLFINx and its companions, or raise an ImportError saying how to install them."""
    try:
        import dolfinx_solver  # noqa: F401  # the pip wheel: orders MPI ahead of the bindings
    except ImportError:  # conda-forge builds have no such module and need none
        pass
    try:
        import basix.ufl
        import dolfinx
        import dolfinx.fem.petsc
        import dolfinx.io
        import dolfinx.mesh
        import ufl
        from mpi4py import MPI
        from petsc4py import PETSc
    except ImportError as error:
        raise ImportError(INSTALL_HINT) from error
    if np.dtype(PETSc.ScalarType).kind == "c":
        raise ImportError("FrequencyPDE needs a real PETSc build, got a complex one. " + INSTALL_HINT)
    return SimpleNamespace(dolfinx=dolfinx, ufl=ufl, basix=basix, MPI=MPI, PETSc=PETSc)


def _checked_everywhere(comm: Any, rho: np.ndarray, points: np.ndarray) -> np.ndarray:
    """check_density_values on every process's share, failing on all of them alike (no process is left waiting)."""
    messages = [m for m in comm.allgather(density_error(rho, points)) if m is not None]
    if messages:
        fail("rho_w", "a finite, non-negative density", _Described(messages[0]))
    return rho


def _coefficient(lib: SimpleNamespace, mesh: Any, rho_w: FrequencyDistribution, grid: NodeGrid) -> Any:
    """rho_w at the Gauss points of every cell on this process (owned and ghost), checked: a quadrature function.

    Its dofs run cell by cell, point by point, in the order the expression of the points is evaluated.
    """
    element = lib.basix.ufl.quadrature_element(
        mesh.basix_cell(), value_shape=(), degree=2 * coefficient_points(grid.degree) - 1
    )
    space = lib.dolfinx.fem.functionspace(mesh, element)
    cells = mesh.topology.index_map(grid.dim)
    where = lib.dolfinx.fem.Expression(lib.ufl.SpatialCoordinate(mesh), space.element.interpolation_points)
    local = np.arange(cells.size_local + cells.num_ghosts, dtype=np.int32)
    points = np.ascontiguousarray(where.eval(mesh, local).reshape(-1, mesh.geometry.dim)[:, : grid.dim])
    rho = lib.dolfinx.fem.Function(space)
    rho.x.array[:] = _checked_everywhere(mesh.comm, rho_w.density(points), points)
    return rho


def _function_space(lib: SimpleNamespace, comm: Any, grid: NodeGrid) -> tuple[Any, Any, np.ndarray]:
    """Mesh and Lagrange space of ``grid`` on ``comm``, and the grid index of each owned dof."""
    mesh_module = lib.dolfinx.mesh
    lo, hi = grid.window.lo, grid.window.hi
    if grid.dim == 1:
        mesh = mesh_module.create_interval(comm, grid.cells[0], [lo[0], hi[0]])
    else:
        mesh = mesh_module.create_rectangle(
            comm, [list(lo), list(hi)], list(grid.cells), mesh_module.CellType.quadrilateral
        )
    space = lib.dolfinx.fem.functionspace(mesh, ("Lagrange", grid.degree))
    owned = space.dofmap.index_map.size_local
    return mesh, space, grid.index(space.tabulate_dof_coordinates()[:owned])


class _DolfinxOperator:
    """M and K assembled on one grid, with the factorisations for each step size."""

    def __init__(self, lib: SimpleNamespace, comm: Any, problem: FrequencyPDE, grid: NodeGrid) -> None:
        fem, ufl, PETSc = lib.dolfinx.fem, lib.ufl, lib.PETSc
        self.lib, self.comm, self.grid = lib, comm, grid
        self.processes = comm.size
        mesh, space, self.index = _function_space(lib, comm, grid)
        self.owned = len(self.index)
        self.nodes = space.tabulate_dof_coordinates()[: self.owned, : grid.dim].copy()
        self.density = _checked_everywhere(comm, problem.rho_w.density(self.nodes), self.nodes)
        rho = _coefficient(lib, mesh, problem.rho_w, grid)
        u, v = ufl.TrialFunction(space), ufl.TestFunction(space)
        mass_part, operator_part = fem.Constant(mesh, 1.0), fem.Constant(mesh, 0.0)
        diffusion = fem.Constant(mesh, problem.sigma_a**2)
        dx = ufl.dx(metadata={"quadrature_degree": 2 * coefficient_points(grid.degree) - 1})
        form = fem.form(
            mass_part * u * v * dx
            + operator_part * rho * (diffusion * ufl.inner(ufl.grad(u), ufl.grad(v)) + u * v) * dx
        )
        self.mass = fem.petsc.assemble_matrix(form)
        self.mass.assemble()
        mass_part.value, operator_part.value = 0.0, problem.c
        self.operator = fem.petsc.assemble_matrix(form)
        self.operator.assemble()
        self.lumped = self.mass.getRowSum().getArray().copy()
        self._solvers: dict[tuple[str, float], tuple[Any, Any]] = {}
        self.PETSc = PETSc

    def _columns(self, u: np.ndarray) -> Any:
        """A dense PETSc matrix (owned rows, 2 columns): the real and imaginary parts of ``u``."""
        matrix = self.PETSc.Mat().createDense([(self.owned, None), (None, 2)], comm=self.comm)
        matrix.setUp()
        array = matrix.getDenseArray(readonly=False)
        array[:, 0], array[:, 1] = u.real, u.imag
        matrix.assemble()
        return matrix

    @staticmethod
    def _complex(matrix: Any) -> np.ndarray:
        array = matrix.getDenseArray()
        return array[:, 0] + 1j * array[:, 1]

    def gather(self, local: np.ndarray) -> np.ndarray:
        """Owned nodal values from every process, in grid order, on every process."""
        out = np.empty(self.grid.size, dtype=local.dtype)
        for index, values in self.comm.allgather((self.index, local)):
            out[index] = values
        return out

    def _norm(self, u: np.ndarray) -> float:
        return float(np.sqrt(self.comm.allreduce(np.sum(self.lumped * np.abs(u) ** 2))))

    def rate_moments(self, u: np.ndarray) -> tuple[float, float]:
        columns = self._columns(u)
        first = self.operator.matMult(columns)
        v = self._complex(first) / self.lumped
        v_columns = self._columns(v)
        second = self.operator.matMult(v_columns)
        w = self._complex(second) / self.lumped
        for matrix in (columns, first, v_columns, second):
            matrix.destroy()
        norm = self._norm(u)
        return self._norm(v) / norm, self._norm(w) / norm

    def _solver(self, scheme: str, h: float) -> tuple[Any, Any]:
        """(right-hand-side matrix R, KSP with the Cholesky factors of A) for one step size, built once."""
        key = (scheme, float(np.format_float_positional(h, precision=12, unique=False, trim="-")))
        if key not in self._solvers:
            PETSc = self.PETSc
            same = PETSc.Mat.Structure.SAME_NONZERO_PATTERN
            theta = 0.5 if scheme == "crank-nicolson" else 1.0
            left = self.mass.copy()
            left.axpy(theta * h, self.operator, same)
            right = self.mass.copy()
            if theta < 1:
                right.axpy(-(1 - theta) * h, self.operator, same)
            left.setOption(PETSc.Mat.Option.SPD, True)  # M SPD, K positive semi-definite (module docstring)
            ksp = PETSc.KSP().create(self.comm)
            ksp.setOperators(left)
            ksp.setType("preonly")
            factor = ksp.getPC()
            factor.setType("cholesky")
            # PETSc's own sparse factorisation is twice as fast as MUMPS per step in serial; MUMPS runs distributed,
            # with its analysis (the fill-reducing ordering) in parallel too: 1.6-1.9 times faster factorisations.
            factor.setFactorSolverType("petsc" if self.comm.size == 1 else "mumps")
            if self.comm.size > 1:
                factor.setFactorSetUpSolverType()
                factor.getFactorMatrix().setMumpsIcntl(28, 2)  # ICNTL(29) = 0: PT-Scotch or ParMETIS, what is there
            ksp.setErrorIfNotConverged(True)
            ksp.setUp()
            left.destroy()  # the KSP keeps its own reference
            self._solvers[key] = (right, ksp)
        return self._solvers[key]

    def _energy(self, columns: Any) -> float:
        product = self.mass.matMult(columns)
        local = float(np.sum(product.getDenseArray() * columns.getDenseArray()))
        product.destroy()
        return float(self.comm.allreduce(local))

    def integrate(
        self, u: np.ndarray, plan: list[tuple[int, float]], scheme: str, progress: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        state = self._columns(u)
        work = None
        values, energy = [], []
        total = sum(count for count, _ in plan)
        with tqdm(total=total, disable=not progress or self.comm.rank != 0, desc=f"{scheme} steps") as bar:
            for count, h in plan:
                if count:
                    right, ksp = self._solver(scheme, h)
                    for _ in range(count):
                        work = right.matMult(state, work)
                        ksp.matSolve(work, state)
                    bar.update(count)
                values.append(self.gather(self._complex(state)))
                energy.append(self._energy(state))
        state.destroy()
        if work is not None:
            work.destroy()
        return np.array(values), np.array(energy)

    def destroy(self) -> None:
        for right, ksp in self._solvers.values():
            right.destroy()
            ksp.destroy()
        self._solvers.clear()
        self.mass.destroy()
        self.operator.destroy()


class FrequencyPDE(FrequencyProblem):
    """The frequency-space PDE solved with DOLFINx finite elements (module docstring).

    ``FrequencyPDE(rho_w, sigma_a, c, window=None, dim=None, cells=None, degree=1, tolerance=1e-4,
    comm=None)``; the arguments are those of :class:`~spectra.fem.problem.FrequencyProblem` (window and
    cells default to choices made at ``solve`` from rho_w, the times and u0), and ``comm`` is the MPI
    communicator (default COMM_WORLD). ``solve(u0, times, scheme="crank-nicolson" | "backward-euler",
    dt=None)`` returns a :class:`~spectra.fem.solution.PDESolution`, identical on every process.

    Raises ImportError (saying how to install DOLFINx) when DOLFINx is missing (after checking the arguments).
    """

    solver_name = "dolfinx"

    def __init__(
        self,
        rho_w: FrequencyDistribution,
        sigma_a: float,
        c: float,
        window: BoxLike | float | None = None,
        dim: int | None = None,
        cells: int | Sequence[int] | None = None,
        degree: int = 1,
        *,
        tolerance: float = 1e-4,
        comm: Any = None,
    ) -> None:
        super().__init__(rho_w, sigma_a, c, window, dim, cells, degree, tolerance=tolerance)
        self._lib = dolfinx_modules()
        self.comm = self._lib.MPI.COMM_WORLD if comm is None else comm

    def _grid_bytes(self, nodes: int) -> float:
        return nodes * BYTES_PER_NODE

    def _step_seconds(self, nodes: int) -> float:
        return SECONDS_PER_STEP + nodes * SECONDS_PER_NODE_STEP[self.dim]

    def _make_operator(self, grid: NodeGrid) -> _DolfinxOperator:
        if self._cache is not None:
            self._cache[1].destroy()
        return _DolfinxOperator(self._lib, self.comm, self, grid)


def _nodal_functions(lib: SimpleNamespace, comm: Any, grid: NodeGrid) -> tuple[Any, dict[str, Any], np.ndarray]:
    mesh, space, index = _function_space(lib, comm, grid)
    functions = {name: lib.dolfinx.fem.Function(space, name=name) for name in ("u_hat_real", "u_hat_imag", "u_hat_abs")}
    return mesh, functions, index


def _set(functions: dict[str, Any], index: np.ndarray, values: np.ndarray) -> None:
    owned = len(index)
    for name, part in (("u_hat_real", values.real), ("u_hat_imag", values.imag), ("u_hat_abs", np.abs(values))):
        functions[name].x.array[:owned] = part[index]
        functions[name].x.scatter_forward()


def _staged_write(comm: Any, path: Path, suffixes: Sequence[str], write: Any) -> Path:
    """Write into a fresh directory beside ``path``, then move the files into place: whole or not at all."""
    staging = Path(comm.bcast(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent) if comm.rank == 0 else None))
    try:
        write(staging / path.name)
        comm.barrier()
        if comm.rank == 0:
            for suffix in suffixes:
                target = path.with_suffix(suffix)
                if target.is_dir():
                    shutil.rmtree(target)
                os.replace(staging / target.name, target)
    finally:
        comm.barrier()
        if comm.rank == 0:
            shutil.rmtree(staging, ignore_errors=True)
    return path


def write_xdmf(solution: PDESolution, path: str | os.PathLike[str], comm: Any = None) -> Path:
    """Write ``solution`` to ``path``.xdmf (+ .h5): Re, Im and ``|u_hat|`` at each time, as P1 on the node grid.

    XDMF stores functions of the mesh's own degree, so a P2/Q2 solution is written on the grid of its
    nodes (cells·2 per axis) with its exact nodal values.
    """
    lib = dolfinx_modules()
    comm = lib.MPI.COMM_WORLD if comm is None else comm
    path = Path(path).with_suffix(".xdmf")
    path.parent.mkdir(parents=True, exist_ok=True)
    source = solution.grid
    grid = NodeGrid(source.window, tuple(n * source.degree for n in source.cells), 1)
    mesh, functions, index = _nodal_functions(lib, comm, grid)

    def write(staged: Path) -> None:
        with lib.dolfinx.io.XDMFFile(comm, staged, "w") as xdmf:
            xdmf.write_mesh(mesh)
            for t, values in zip(solution.times, solution.values, strict=True):
                _set(functions, index, values)
                for function in functions.values():
                    xdmf.write_function(function, float(t))

    return _staged_write(comm, path, (".xdmf", ".h5"), write)


def write_vtx(solution: PDESolution, path: str | os.PathLike[str], comm: Any = None) -> Path:
    """Write ``solution`` to the ADIOS2 folder ``path``.bp (VTX, native degree) for ParaView."""
    lib = dolfinx_modules()
    if not lib.dolfinx.common.has_adios2:
        raise ImportError("write_vtx needs DOLFINx built with ADIOS2; use write_xdmf instead")
    comm = lib.MPI.COMM_WORLD if comm is None else comm
    path = Path(path).with_suffix(".bp")
    path.parent.mkdir(parents=True, exist_ok=True)
    mesh, functions, index = _nodal_functions(lib, comm, solution.grid)

    def write(staged: Path) -> None:
        with lib.dolfinx.io.VTXWriter(comm, staged, list(functions.values())) as vtx:
            for t, values in zip(solution.times, solution.values, strict=True):
                _set(functions, index, values)
                vtx.write(float(t))

    return _staged_write(comm, path, (".bp",), write)
