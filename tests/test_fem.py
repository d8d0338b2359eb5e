"""FrequencyPDE (DOLFINx) against exact solutions, the NumPy reference, the lazy limit, and itself under MPI."""

import importlib.util
import math
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from fem_cases import BAND, SIGMA_A, TARGET, TIMES, WINDOW, C, coarse_on_purpose, exact, orders

from spectra.fem import (
    FrequencyPDE,
    PDESolution,
    ReferenceSolver,
    ResolutionWarning,
    cosine_series_solution,
    lazy_limit,
)
from spectra.fem.frequency_pde import dolfinx_modules
from spectra.frequencies import Gaussian, Uniform
from spectra.targets import WindowedCosines, windowed_cosines

try:
    dolfinx_modules()
except ImportError as error:  # pragma: no cover - environments without DOLFINx
    pytest.skip(f"DOLFINx is not installed: {error}", allow_module_level=True)

pytestmark = pytest.mark.fem
ROOT = Path(__file__).resolve().parents[1]


def test_default_mesh_matches_the_constant_coefficient_solution_below_1e_4():
    solution = FrequencyPDE(BAND, SIGMA_A, C, WINDOW).solve(TARGET, TIMES)
    error = solution.l2_error(exact)
    print(f"default mesh: {solution.cells} cells, dt {solution.dt:.3g}, relative L2 error {error.max():.3g}")
    assert error.max() < 1e-4
    assert solution.solver == "dolfinx" and solution.scheme == "crank-nicolson"
    assert error.max() < 3 * (solution.space_error_estimate + solution.time_error_estimate)


@coarse_on_purpose
def test_p1_converges_at_order_two_in_space():
    errors = [
        FrequencyPDE(BAND, SIGMA_A, C, WINDOW, cells=n).solve(TARGET, TIMES, dt=0.02).l2_error(exact).max()
        for n in (25, 50, 100, 200)
    ]
    print("P1, cells 25..200: errors", np.array(errors), "orders", orders(errors))
    assert np.all(np.abs(orders(errors) - 2) < 0.05)


@coarse_on_purpose
def test_p2_converges_at_order_three_in_space():
    errors = [
        FrequencyPDE(BAND, SIGMA_A, C, WINDOW, cells=n, degree=2).solve(TARGET, TIMES, dt=0.01).l2_error(exact).max()
        for n in (25, 50, 100)
    ]
    print("P2, cells 25..100: errors", np.array(errors), "orders", orders(errors))
    assert np.all(np.abs(orders(errors) - 3) < 0.1)


@coarse_on_purpose
def test_crank_nicolson_converges_at_order_two_and_backward_euler_at_order_one_in_time():
    pde = FrequencyPDE(BAND, SIGMA_A, C, WINDOW, cells=6400)
    steps = (1.0, 0.5, 0.25, 0.125)
    cn = [pde.solve(TARGET, TIMES, dt=dt).l2_error(exact).max() for dt in steps]
    be = [pde.solve(TARGET, TIMES, "backward-euler", dt=dt).l2_error(exact).max() for dt in steps[1:]]
    print("Crank–Nicolson, dt 1..1/8: errors", np.array(cn), "orders", orders(cn))
    print("backward Euler, dt 1/2..1/8: errors", np.array(be), "orders", orders(be))
    assert np.all(np.abs(orders(cn) - 2) < 0.1)
    assert np.all(np.abs(orders(be) - 1) < 0.05)


@coarse_on_purpose
def test_q1_in_2d_converges_at_order_two_to_the_product_cosine_series():
    target = WindowedCosines([[0.5, -0.3]], width=1.0, center=[0.4, -0.2], domain=[(-6, 6), (-6, 6)])
    times = np.array([0.0, 10.0, 40.0])

    def exact_2d(xi):
        return cosine_series_solution(target, 2.0, 0.04, SIGMA_A, 1.0, times, xi, terms=64)

    pde = [FrequencyPDE(Uniform.band(2.5, dim=2), SIGMA_A, 1.0, 2.0, cells=n) for n in (32, 64)]
    errors = [p.solve(target, times, dt=0.5).l2_error(exact_2d).max() for p in pde]
    print("Q1 2-D, cells 32, 64: errors", np.array(errors), "order", orders(errors))
    assert abs(orders(errors)[0] - 2) < 0.05


def test_dolfinx_equals_the_reference_solver_for_a_gaussian_density():
    rho, times, target = Gaussian(3 / (2 * math.pi)), np.array([0.0, 10.0, 50.0, 100.0]), windowed_cosines()
    reference = ReferenceSolver.from_target(target, rho, 0.8, cells=800)
    exact_in_time = reference.solve(target, times)
    same_scheme = reference.solve(target, times, "crank-nicolson", dt=0.5)
    same_mesh = {"window": exact_in_time.grid.window, "cells": 800}
    stepped = FrequencyPDE.from_target(target, rho, 0.8, **same_mesh).solve(target, times, dt=0.5)
    assert stepped.c == pytest.approx(1 / 24)
    assert stepped.relative_difference(same_scheme).max() < 1e-9  # round-off of the dense eigensolver
    fine_steps = FrequencyPDE.from_target(target, rho, 0.8, **same_mesh, tolerance=1e-7).solve(target, times)
    gap = fine_steps.relative_difference(exact_in_time).max()
    print(f"DOLFINx CN (dt {fine_steps.dt:.3g}) against the reference's exact time integration: {gap:.2g}")
    assert gap < 1e-6


def test_lazy_limit_is_exp_minus_c_rho_t_times_u0():
    rho, c, times = Gaussian(3 / (2 * math.pi)), 1 / 24, np.array([0.0, 50.0, 200.0, 400.0])
    target = windowed_cosines()
    solution = FrequencyPDE(rho, 0.0, c).solve(target, times)
    xi = np.linspace(solution.window[0][0], solution.window[1][0], 2001)
    lazy = lazy_limit(target, rho, c, times, xi)
    gap = np.abs(solution.evaluate(xi) - lazy).max() / np.abs(lazy[0]).max()
    print(f"lazy limit: max |FE - u0 exp(-c rho t)| / max |u0| = {gap:.2g} on {solution.cells} cells")
    assert gap < 1e-4
    # The frequency bias: at t = 50, 2 and 6 rad/unit (1/π and 3/π cycles/unit) keep exp(-c rho_w t) of their
    # start, 0.248 and 0.790 (a ratio of decays, not a global norm: within 1e-3 at tolerance 1e-4).
    frequencies = np.array([1 / math.pi, 3 / math.pi])
    expected = np.exp(-c * rho.density(frequencies) * 50)
    np.testing.assert_allclose(solution.decay(frequencies)[1], expected, rtol=1e-3)


@coarse_on_purpose  # large steps on purpose: both schemes dissipate energy at any step size
@pytest.mark.parametrize("scheme", ["crank-nicolson", "backward-euler"])
def test_energy_decreases_monotonically_and_is_the_l2_norm(scheme):
    solution = FrequencyPDE(Gaussian(0.6), 1.5, 0.3, cells=400).solve(
        TARGET, np.linspace(0.0, 40.0, 81), scheme, dt=0.25
    )
    assert np.all(np.diff(solution.energy) < 0)
    points, weights = solution.grid.quadrature(3)
    np.testing.assert_allclose(np.abs(solution.evaluate(points)) ** 2 @ weights, solution.energy, rtol=1e-10)


def test_mpirun_with_two_processes_equals_serial(tmp_path):
    beside = Path(sys.executable).parent / "mpirun"
    mpirun = str(beside) if beside.exists() else shutil.which("mpirun")
    if mpirun is None:
        pytest.skip("no mpirun beside the interpreter or on PATH")
    script = ROOT / "tests" / "mpi_frequency_pde.py"
    result = subprocess.run(
        [mpirun, "-n", "2", sys.executable, str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    spec = importlib.util.spec_from_file_location("mpi_frequency_pde", script)
    helper = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helper)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResolutionWarning)
        for name, case in helper.cases().items():
            parallel = PDESolution.load(tmp_path / f"{name}.npz")
            serial = helper.solve(case)
            assert parallel.processes == 2 and serial.processes == 1
            difference = np.abs(parallel.values - serial.values).max()
            print(f"{name}: max |mpirun -n 2 - serial| = {difference:.2g}")
            assert difference < 1e-10
            np.testing.assert_allclose(parallel.energy, serial.energy, rtol=1e-10)


@coarse_on_purpose
def test_xdmf_and_vtx_files_for_paraview(tmp_path):
    solution = FrequencyPDE(Gaussian(0.7, dim=2), 0.5, 0.2, 2.5, cells=12).solve(
        WindowedCosines([[0.3, -0.2]], width=1.0, domain=[(-4, 4), (-4, 4)]), [0.5, 1.0], dt=0.25
    )
    xdmf = solution.write_xdmf(tmp_path / "pde")
    text = xdmf.read_text()
    assert xdmf.suffix == ".xdmf" and (tmp_path / "pde.h5").stat().st_size > 0
    assert all(name in text for name in ("u_hat_real", "u_hat_imag", "u_hat_abs")) and 'Value="1"' in text
    vtx = solution.write_vtx(tmp_path / "pde")
    assert vtx.is_dir() and any(vtx.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pde.bp", "pde.h5", "pde.xdmf"]  # no staging left
    quadratic = FrequencyPDE(Gaussian(0.7), 0.5, 0.2, 2.5, cells=10, degree=2).solve(TARGET, [1.0], dt=0.5)
    text = quadratic.write_xdmf(tmp_path / "p2").read_text()
    assert 'NumberOfElements="20"' in text  # P2 written as P1 on its 21 nodes


def test_default_window_and_mesh_for_training_comparisons():
    target, rho = windowed_cosines(), Gaussian(3 / (2 * math.pi))
    pde = FrequencyPDE.from_target(target, rho, 0.5)
    solution = pde.solve(target, np.arange(0.0, 401.0, 50.0), progress=True)
    lo, hi = solution.window[0][0], solution.window[1][0]
    assert np.all(pde.c * rho.density(np.array([lo, hi])) * 400 < 1e-6)
    assert solution.space_error_estimate < 5e-5 and solution.time_error_estimate <= 5e-5 + 1e-12
    # Evaluation anywhere in the window, e.g. at a network's continuous_ft frequencies.
    xi = np.linspace(-1.5, 1.5, 7)
    assert solution.evaluate(xi).shape == (9, 7) and solution.evaluate(xi).dtype == np.complex128
    np.testing.assert_allclose(solution.evaluate(xi)[0], -target.fourier_transform(xi), rtol=1e-3, atol=1e-6)
