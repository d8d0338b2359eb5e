"""spectra.fem without DOLFINx: the NumPy reference solver, the exact solutions, the grid, the checks."""

import dataclasses
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse.linalg
from fem_cases import BAND, RHO0, SIGMA_A, TARGET, TIMES, WINDOW, C, coarse_on_purpose, exact

from spectra.domain import Box, uniform_grid
from spectra.fem import (
    NodeGrid,
    PDESolution,
    ReferenceSolver,
    ResolutionWarning,
    WindowWarning,
    as_initial_data,
    cosine_series_solution,
    lazy_limit,
)
from spectra.fem.initial_data import grid_points
from spectra.fem.problem import density_jumps
from spectra.fem.reference import p1_matrices
from spectra.frequencies import FrequencyDistribution, Gaussian, Mixture, Uniform
from spectra.targets import SumOfSines, WindowedCosines, windowed_cosines

ROOT = Path(__file__).resolve().parents[1]


class Scaled(FrequencyDistribution):
    """A Gaussian whose density is multiplied by ``factor`` (and shifted by ``shift``): a broken rho_w."""

    dim = 1

    def __init__(self, factor=1.0, shift=0.0):
        self.base, self.factor, self.shift = Gaussian(1.0), factor, shift

    def sample(self, n, seed=None):
        return self.base.sample(n, seed)

    def _density(self, xi):
        return self.factor * self.base._density(xi) + self.shift


def test_cosine_series_reproduces_u0_at_t0_and_decays_each_mode_at_its_rate():
    xi = np.linspace(-2, 2, 301)
    np.testing.assert_allclose(exact(xi)[0], -TARGET.fourier_transform(xi), atol=1e-12)
    # One cosine mode k = 3 decays at c rho0 (1 + sigma_a² (3π/L)²), L = 4.
    mode = cosine_series_solution(lambda q: np.cos(3 * np.pi * (q[:, 0] + 2) / 4), WINDOW, RHO0, SIGMA_A, C, TIMES, xi)
    rate = C * RHO0 * (1 + SIGMA_A**2 * (3 * np.pi / 4) ** 2)
    np.testing.assert_allclose(mode, np.exp(-rate * TIMES)[:, None] * np.cos(3 * np.pi * (xi + 2) / 4), atol=1e-12)


@pytest.mark.filterwarnings("error::spectra.fem.ResolutionWarning")
def test_cosine_series_2d_is_the_product_of_1d_solutions():
    box = [(-1.0, 2.0), (0.0, 1.5)]
    times = np.array([0.0, 0.7])
    a = np.array([[0.3, 0.4], [1.1, 0.2], [-0.5, 1.5]])
    f1, f2 = (lambda q: np.exp(-25 * (q[:, 0] - 0.5) ** 2)), (lambda q: np.exp(-40 * (q[:, 0] - 0.75) ** 2))
    two_d = cosine_series_solution(lambda q: f1(q[:, :1]) * f2(q[:, 1:]), box, 0.7, 0.4, 2.0, times, a, terms=64)
    one_d = [
        cosine_series_solution(f, b, 0.7, 0.4, 2.0, times, a[:, j], terms=64)
        for j, (f, b) in enumerate(zip((f1, f2), box, strict=True))
    ]
    # exp(-c rho0 (1 + s²(k1² + k2²)) t) = exp(-c rho0 (1 + s² k1²) t) exp(-c rho0 (1 + s² k2²) t) exp(+c rho0 t)
    np.testing.assert_allclose(two_d, one_d[0] * one_d[1] * np.exp(2.0 * 0.7 * times)[:, None], atol=1e-12)


@coarse_on_purpose
def test_reference_converges_at_order_two_to_the_analytic_solution():
    errors = []
    for cells in (50, 100, 200):
        solution = ReferenceSolver(BAND, SIGMA_A, C, WINDOW, cells).solve(TARGET, TIMES)
        errors.append(solution.l2_error(exact).max())
    orders = np.log2(np.array(errors[:-1]) / errors[1:])
    print("reference P1, exact time: errors", errors, "orders", orders)
    assert np.all(np.abs(orders - 2) < 0.05)


@coarse_on_purpose
def test_modal_crank_nicolson_equals_stepping_with_scipy():
    grid = NodeGrid(Box.interval(-3, 3), (120,))
    rho = Gaussian(0.8)
    points = grid.quadrature(3)[0]  # rho_w at the 3 Gauss points of every cell, cell by cell
    mass, operator = p1_matrices(grid.nodes()[:, 0], rho.density(points).reshape(120, 3), 0.6, 0.3)
    u = -WindowedCosines([0.4], width=1.5, center=0.5).fourier_transform(grid.nodes())
    h, steps = 0.4, 25
    left = (mass + h / 2 * operator).tocsc()
    solve = scipy.sparse.linalg.factorized(left)
    stepped = u.copy()
    for _ in range(steps):
        stepped = solve((mass - h / 2 * operator) @ stepped.real) + 1j * solve((mass - h / 2 * operator) @ stepped.imag)
    modal = ReferenceSolver(rho, 0.6, 0.3, (-3, 3), 120).solve(
        WindowedCosines([0.4], width=1.5, center=0.5), [steps * h], "crank-nicolson", dt=h
    )
    assert modal.steps == steps
    np.testing.assert_allclose(modal.values[0], stepped, atol=1e-12)


def test_lazy_limit_matches_the_reference_with_frozen_frequencies():
    rho, times = Gaussian(0.5), np.array([0.0, 3.0, 30.0])
    solution = ReferenceSolver(rho, 0.0, 0.5, cells=1500).solve(TARGET, times)
    lazy = lazy_limit(TARGET, rho, 0.5, times, solution.nodes)
    np.testing.assert_allclose(lazy[0], -TARGET.fourier_transform(solution.nodes))
    assert solution.relative_difference(dataclasses.replace(solution, values=lazy)).max() < 2e-5


def test_energy_of_the_reference_decreases_and_is_the_mass_norm():
    solution = ReferenceSolver(Gaussian(0.6), 0.8, 0.2, cells=200).solve(TARGET, np.linspace(0, 50, 26))
    assert np.all(np.diff(solution.energy) < 0)
    points, weights = solution.grid.quadrature(3)
    np.testing.assert_allclose(np.abs(solution.evaluate(points)) ** 2 @ weights, solution.energy, rtol=1e-10)


def test_default_window_makes_c_rho_t_tiny_at_its_edge_and_holds_the_initial_data():
    rho, c, horizon = Gaussian(3 / (2 * math.pi)), 1 / 24, 400.0
    target = windowed_cosines()
    solution = ReferenceSolver.from_target(target, rho, 0.3, cells=400).solve(target, [0.0, horizon])
    lo, hi = solution.window[0]
    edge = c * rho.density(np.array([lo, hi])) * horizon
    assert np.all(edge < 1e-6) and np.all(edge > 1e-8)
    assert solution.c == pytest.approx(1 / 24)
    xi = np.linspace(-20, 20, 400001)
    energy = np.abs(target.fourier_transform(xi)) ** 2
    inside = (xi >= lo) & (xi <= hi)
    assert 1 - energy[inside].sum() / energy.sum() < 1e-9


def test_grid_interpolation_reproduces_polynomials_of_the_element_degree():
    rng = np.random.default_rng(0)
    for degree in (1, 2):
        grid = NodeGrid(Box((-1.0, 0.5), (2.0, 1.5)), (7, 5), degree)
        nodes = grid.nodes()

        def poly(q, p=degree):
            return (1 + q[:, 0] ** p + 0.5 * q[:, 0]) * (2 - q[:, 1] ** p + 0.3 * q[:, 1]) + 0.3j * q[:, 0] * q[:, 1]

        points = np.column_stack([rng.uniform(-1, 2, 500), rng.uniform(0.5, 1.5, 500)])
        np.testing.assert_allclose(grid.interpolate(poly(nodes), points), poly(points), atol=1e-12)
        np.testing.assert_array_equal(grid.index(nodes[::-1]), np.arange(grid.size)[::-1])
    with pytest.raises(ValueError, match="xi: expected frequencies inside the window"):
        grid.interpolate(poly(nodes), np.array([[2.5, 1.0]]))


@coarse_on_purpose
def test_solution_saves_loads_and_tabulates(tmp_path):
    solution = ReferenceSolver(Gaussian(0.6), 0.5, 0.2, cells=64).solve(TARGET, [0.0, 1.0, 4.0])
    loaded = PDESolution.load(solution.save(tmp_path / "pde.npz"))
    np.testing.assert_array_equal(loaded.values, solution.values)
    assert loaded.grid == solution.grid and loaded.solver == "reference"
    xi = np.array([-0.5, 0.45, 0.5])
    np.testing.assert_array_equal(loaded.evaluate(xi), solution.evaluate(xi))
    frame = solution.to_frame()
    assert list(frame.columns) == ["t", "xi", "real", "imag", "abs"]
    assert len(frame) == 3 * 65
    decay = solution.decay(xi)
    assert decay.shape == (3, 3) and np.allclose(decay[0], 1) and np.all(decay[2] < decay[1])


def test_bad_densities_are_refused():
    with pytest.raises(ValueError, match=r"rho_w: expected a finite, non-negative density, got rho_w\(xi\) = -"):
        ReferenceSolver(Scaled(shift=-0.01), 0.5, 1.0, cells=50).solve(TARGET, [1.0])
    with pytest.raises(ValueError, match=r"rho_w: expected a normalised density .* got ∫ rho_w ≈ 2"):
        ReferenceSolver(Scaled(factor=2.0), 0.5, 1.0, cells=50).solve(TARGET, [1.0])
    with pytest.raises(ValueError, match="rho_w: expected a normalisable density"):
        ReferenceSolver(Scaled(factor=0.0, shift=1.0), 0.5, 1.0, cells=50).solve(TARGET, [1.0])
    with pytest.raises(TypeError, match="rho_w: expected a FrequencyDistribution"):
        ReferenceSolver(lambda xi: np.ones(len(xi)), 0.5, 1.0)


def test_bad_initial_data_and_arguments_are_refused():
    solver = ReferenceSolver(Gaussian(0.5), 0.5, 1.0, cells=50)
    with pytest.raises(ValueError, match="u0: expected finite values .* non-finite value"):
        solver.solve(lambda xi: np.where(xi[:, 0] > 1.0, np.nan, 1.0), [1.0])
    with pytest.raises(ValueError, match="u0: expected .* one per frequency"):
        solver.solve(lambda xi: np.ones((len(xi), 2)), [1.0])
    with pytest.raises(ValueError, match="u0: expected initial data that is not zero"):
        solver.solve(lambda xi: np.zeros(len(xi)), [1.0])
    with pytest.raises(ValueError, match="u0: expected a target with an analytic Fourier transform"):
        solver.solve(SumOfSines([1.0]), [1.0])
    with pytest.raises(TypeError, match="u0: expected a callable of xi"):
        solver.solve(3.0, [1.0])
    with pytest.raises(ValueError, match="times: expected strictly increasing"):
        solver.solve(TARGET, [2.0, 1.0])
    with pytest.raises(ValueError, match="times: expected a non-empty 1-D array of finite times"):
        solver.solve(TARGET, [-1.0])
    with pytest.raises(ValueError, match="scheme: expected one of"):
        solver.solve(TARGET, [1.0], scheme="runge-kutta")
    with pytest.raises(ValueError, match="rho_w: expected a 1-D density"):
        ReferenceSolver(Gaussian(0.5, dim=2), 0.5, 1.0)
    with pytest.raises(ValueError, match="sigma_a: expected a finite non-negative number"):
        ReferenceSolver(Gaussian(0.5), -1.0, 1.0)


def test_window_missing_the_initial_data_warns_with_the_fraction_outside():
    with pytest.warns(WindowWarning, match=r"window: .* leaves 0\.[0-9]+ of the initial data's energy outside"):
        solution = ReferenceSolver(BAND, SIGMA_A, C, window=(-2.0, 0.3), cells=200).solve(TARGET, [1.0])
    assert solution.window == [[-2.0, 0.3]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ReferenceSolver(BAND, SIGMA_A, C, window=WINDOW, cells=1000).solve(TARGET, [1.0])


def test_unresolving_cells_and_dt_are_estimated_and_reported():
    with pytest.warns(ResolutionWarning, match=r"cells: 8 cannot resolve .* estimated relative L2 error"):
        coarse = ReferenceSolver(BAND, SIGMA_A, C, WINDOW, cells=8).solve(TARGET, TIMES)
    assert coarse.space_error_estimate > 1e-2
    assert coarse.l2_error(exact).max() > 1e-2  # the warning was right
    with pytest.warns(ResolutionWarning, match=r"dt: 20 cannot resolve .* dt ≈ [0-9.]+ reaches 0.0001"):
        crude = ReferenceSolver(BAND, SIGMA_A, C, WINDOW, cells=400).solve(TARGET, TIMES, "crank-nicolson", dt=20.0)
    assert crude.l2_error(exact).max() > 1e-2
    fine = ReferenceSolver(BAND, SIGMA_A, C, WINDOW).solve(TARGET, TIMES, "crank-nicolson")
    assert fine.l2_error(exact).max() < 1e-4
    assert fine.space_error_estimate < 1e-4 and fine.time_error_estimate < 1e-4


def test_without_dolfinx_spectra_imports_and_frequency_pde_says_how_to_install():
    script = """
import sys
class Hide:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('dolfinx', 'dolfinx_solver', 'petsc4py', 'ufl', 'basix', 'ffcx'):
            raise ImportError('hidden: ' + name)
sys.meta_path.insert(0, Hide())
import numpy as np
import spectra, spectra.fem
from spectra.frequencies import Gaussian
assert spectra.fem.ReferenceSolver(Gaussian(1.0), 0.5, 1.0, cells=20).solve(lambda x: np.exp(-x[:, 0] ** 2), [1.0])
try:
    spectra.fem.FrequencyPDE(Gaussian(1.0), 0.5, 1.0)
except ImportError as error:
    print(error)
else:
    raise SystemExit('no ImportError')
assert 'dolfinx' not in sys.modules
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "pip install 'spectra[fem]'" in result.stdout and "conda-forge fenics-dolfinx" in result.stdout


@coarse_on_purpose
def test_plots_label_every_axis():
    from spectra.plots.fem import plot_pde_decay, plot_pde_maps, plot_pde_spectra

    times = np.linspace(0, 60, 13)
    gaussian = ReferenceSolver(Gaussian(0.8), 0.3, 0.2, window=2.5, cells=300).solve(TARGET, times)
    uniform = ReferenceSolver(Uniform.band(1.2), 0.3, 0.2, window=2.5, cells=300).solve(TARGET, times)
    spectra_figure = plot_pde_spectra(gaussian)
    ax, density = spectra_figure.axes
    assert ax.get_yscale() == "log" and len(ax.lines) == 6 and "cycles per unit length" in ax.get_xlabel()
    assert density.get_ylabel().startswith("ρ_w")
    decay_figure = plot_pde_decay({"Gaussian ρ_w": gaussian, "uniform ρ_w": uniform}, [0.3, 0.7])
    (ax,) = decay_figure.axes
    assert len(ax.lines) == 2 * 2 + 2 + 1 and ax.get_xlabel().startswith("t (") and ax.get_ylabel()
    # A 2-D solution built from the exact series on a grid: plots need no solver.
    grid = NodeGrid(Box.cube(-1.5, 1.5, 2), (30, 30))
    target = WindowedCosines([[0.5, -0.3]], width=1.0, domain=[(-6, 6), (-6, 6)])
    values = cosine_series_solution(target, 1.5, 1 / 9, 0.5, 1.0, times[:3], grid.nodes(), terms=48)
    solution = PDESolution(
        times=times[:3], values=values, initial=values[0], density=np.full(grid.size, 1 / 9),
        energy=np.ones(3), window=[[-1.5, 1.5], [-1.5, 1.5]], cells=[30, 30], degree=1, sigma_a=0.5, c=1.0,
        scheme="exact", dt=0.0, steps=0, solver="cosine series",
    )  # fmt: skip
    maps = plot_pde_maps(solution)
    *panels, colorbar = maps.axes
    assert len(panels) == 3 and all(a.get_xlabel() and a.get_ylabel() for a in panels)
    assert colorbar.get_ylabel() == "|û(ξ, t)|"
    assert "2-D" in str(pytest.raises(ValueError, plot_pde_maps, gaussian).value)
    assert plot_pde_spectra(solution, axis=1, through=[0.2, 0.0]).axes[0].get_xlabel().startswith("ξ2")


def test_initial_data_from_residual_samples_matches_the_analytic_transform():
    target, rho, times = windowed_cosines(), Gaussian(3 / (2 * math.pi)), [0.0, 20.0, 100.0]
    x = uniform_grid(target.domain, 600)
    residual = -target(x)  # f ≡ 0 at the start
    solver = ReferenceSolver.from_target(target, rho, 0.3, cells=500)
    from_samples = solver.solve((x, residual), times)
    from_target = solver.solve(target, times)
    np.testing.assert_allclose(from_samples.window, from_target.window, atol=1e-2)
    xi = np.linspace(-1.5, 1.5, 301)
    difference = np.abs(from_samples.evaluate(xi) - from_target.evaluate(xi)).max()
    assert difference < 1e-4 * np.abs(from_target.initial).max()
    # On a grid, weights 1/(c n) are the cell volume: the samples' transform is the rectangle rule.
    samples = as_initial_data((x.numpy(), residual.numpy()[:, 0]), 1, 1 / 24)
    np.testing.assert_allclose(samples(xi[:, None]), -target.fourier_transform(xi), atol=1e-12)
    weighted = as_initial_data((x, residual, np.full(600, 0.08)), 1, 1 / 24)
    np.testing.assert_allclose(weighted(xi[:, None]), -2 * target.fourier_transform(xi), atol=1e-12)


def test_u0_on_tensor_grids_equals_the_direct_sums_and_samples_on_a_lattice_are_periodic():
    rng = np.random.default_rng(0)
    lattice = uniform_grid([(-3.0, 5.0), (-2.0, 2.0)], (12, 9)).numpy()
    scattered = rng.uniform(-3, 3, (200, 2))
    axes = [np.linspace(-1.3, 2.1, 37), np.linspace(-0.7, 0.9, 23)]
    for x in (lattice, scattered):
        for dim in (1, 2):
            samples = (x[:, :dim], rng.normal(size=len(x)), rng.uniform(0.5, 1.5, len(x)))
            initial = as_initial_data(samples, dim, 1.0)
            np.testing.assert_allclose(initial.on_grid(axes[:dim]), initial(grid_points(axes[:dim])), atol=1e-12)
    assert as_initial_data((lattice, np.ones(len(lattice))), 2, 1.0).period == pytest.approx((12 / 8, 9 / 4))
    assert as_initial_data((scattered, np.ones(len(scattered))), 2, 1.0).period is None
    assert as_initial_data(TARGET, 1, 1.0).period is None


def test_density_jumps_mark_band_edges_and_nothing_where_rho_w_is_smooth():
    axes = [np.linspace(-3.0, 3.0, 1201)]
    points = grid_points(axes)
    for rho, edges in (
        (Gaussian(0.05), []),
        (Gaussian(1.0), []),
        (Uniform(-1.5, 1.5), [-1.5, 1.5]),
        (Mixture((Uniform.band(1.0), Uniform.band(2.0)), (0.9, 0.1)), [-2.0, -1.0, 1.0, 2.0]),
    ):
        (marked,) = density_jumps(rho, axes, rho.density(points))
        lower = axes[0][:-1][marked]
        assert len(lower) == len(edges) and np.all(np.abs(lower - np.array(edges)) <= 0.005 + 1e-12), rho


def test_support_declares_u0_zero_outside_it():
    # The cosine mode k = 3 of the window [-2, 2] decays at c rho0 (1 + sigma_a² (3π/4)²) (rho_w ≡ 0.2 there).
    def mode(xi):
        return np.cos(3 * np.pi * (xi[:, 0] + 2) / 4)

    solver = ReferenceSolver(BAND, SIGMA_A, C, WINDOW, cells=400)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solution = solver.solve(mode, TIMES, support="window")
    rate = C * RHO0 * (1 + SIGMA_A**2 * (3 * np.pi / 4) ** 2)
    expected = np.exp(-rate * TIMES)[:, None] * mode(solution.nodes)[None, :]
    assert np.abs(solution.values - expected).max() < 1e-4
    wider = ReferenceSolver(BAND, SIGMA_A, C, (-1.0, 1.0), cells=200)
    with pytest.warns(WindowWarning, match=r"leaves 0\.394 of the initial data's energy outside .* hi=\(2\.0,\)"):
        wider.solve(mode, TIMES, support=WINDOW)  # ∫ cos² outside (-1, 1) over ∫ cos² on (-2, 2): 1/2 - 1/(3π)
    with pytest.raises(ValueError, match="support: expected a box, a number Xi, or 'window' for a problem given"):
        ReferenceSolver(BAND, SIGMA_A, C, cells=200).solve(mode, TIMES, support="window")
    with pytest.raises(ValueError, match="support: expected a box in 1 dimension"):
        solver.solve(mode, TIMES, support=[(-1, 1), (-1, 1)])
