"""The general frequency equation for non-uniform data: kernel flow, exact time, uniform limit, study, plots."""

import dataclasses
import math

import numpy as np
import pytest
import scipy.linalg
import torch
from matplotlib.figure import Figure

from spectra.domain import uniform_grid
from spectra.fem import ReferenceSolver, ResolutionWarning, WindowWarning
from spectra.fem.nonuniform import (
    NonuniformSolution,
    NonuniformSolver,
    UniformDataEquation,
    nyquist_frequency,
    peak_data_density,
)
from spectra.fem.reference import p1_matrices
from spectra.fourier import nudft
from spectra.frequencies import Gaussian, Uniform
from spectra.ntk import linearized_prediction, two_layer_fourier_ntk
from spectra.plots.nonuniform import plot_data_measure, plot_nonuniform_gaps, plot_nonuniform_spectra
from spectra.targets import windowed_cosines
from spectra.validate.nonuniform import (
    NonuniformComparison,
    NonuniformSettings,
    data_density,
    data_points,
    nonuniform_against_training,
    relative_l2_gap,
)

RHO, SIGMA_A = Gaussian(3 / (2 * math.pi)), 1 / (2 * math.pi)
TIMES = np.array([0.0, 10.0, 40.0, 160.0])
coarse_on_purpose = pytest.mark.filterwarnings("ignore::spectra.fem.ResolutionWarning")


def clustered(n: int, half: float = 4.0) -> np.ndarray:
    """A warped grid on [-half, half], denser to the right of 0: x = half·(s + 0.35 (1 - s²)), s uniform."""
    s = np.linspace(-1, 1, n)
    return half * (s + 0.35 * (1 - s**2))


def kernel_flow(x, target, rho_w, sigma_a, times, train_frequencies=True):
    """Residuals (T, N) of the infinite-width kernel flow r(t) = exp(-t Θ/N) r(0) from f ≡ 0."""
    points = torch.from_numpy(x[:, None])
    y = target(points)
    theta = two_layer_fourier_ntk(points, rho_w=rho_w, sigma_a=sigma_a, train_frequencies=train_frequencies)
    return (linearized_prediction(theta, y, torch.zeros_like(y), 1.0, times).train - y)[:, :, 0].numpy()


@coarse_on_purpose
@pytest.mark.parametrize("sigma_a", [SIGMA_A, 0.0])
def test_solver_matches_the_kernel_flow_and_converges_at_second_order(sigma_a):
    x, target = clustered(60), windowed_cosines(width=1.0, half_width=4.0)
    flow = kernel_flow(x, target, RHO, max(sigma_a, 1e-300), TIMES, train_frequencies=sigma_a > 0)
    xi = np.linspace(-3.0, 3.0, 801)
    reference = np.stack([nudft(x, r / len(x), xi) for r in flow])
    gaps = []
    for cells in (80, 160, 320):
        solution = NonuniformSolver(RHO, sigma_a, x, window=3.0, cells=cells).solve(target, TIMES)
        gaps.append(relative_l2_gap(solution.evaluate(xi), reference, xi, reference[0]).max())
    orders = np.log2(np.array(gaps[:-1]) / np.array(gaps[1:]))
    np.testing.assert_allclose(orders, 2.0, atol=0.15)  # P1 quadrature of the kernel: O(h²)
    assert gaps[-1] < 1e-3
    fine = NonuniformSolver(RHO, sigma_a, x).solve(target, TIMES)  # default window and cells: tolerance 1e-4
    assert np.abs(fine.residual - flow).max() < 1e-4 * np.abs(flow[0]).max()


@coarse_on_purpose
def test_exact_time_integration_is_exp_of_minus_t_R_K_in_both_hermitian_forms():
    """V(t) = expm(-t R K) V(0) on the nodes, R_ij = mu_hat(xi_i - xi_j), with a weighted (non-mean) loss."""
    x = clustered(25, 3.0)
    weights = np.linspace(0.5, 2.0, len(x)) / len(x)
    r0 = np.cos(2.0 * x) * np.exp(-(x**2) / 2)
    window, cells = 3.0, 60
    nodes = np.linspace(-window, window, cells + 1)
    _, stiffness = p1_matrices(nodes, RHO.density(nodes), SIGMA_A, 1.0)
    phases = np.exp(-2j * math.pi * np.outer(nodes, x))  # E
    transfer = phases @ np.diag(weights) @ phases.conj().T  # R = E W E^H
    for method in ("data", "nodes"):
        solver = NonuniformSolver(RHO, SIGMA_A, x, weights, window=window, cells=cells, method=method)
        solution = solver.solve(r0, TIMES)
        assert solution.method == method
        for t, r in zip(TIMES, solution.residual, strict=True):
            expected = scipy.linalg.expm(-t * transfer @ stiffness.toarray()) @ (phases @ (weights * r0))
            np.testing.assert_allclose(phases @ (weights * r), expected, atol=1e-11 * np.abs(expected).max())
    assert np.all(solution.rates >= 0)


@coarse_on_purpose
def test_data_and_nodes_forms_agree_on_more_points_than_nodes():
    x, target = clustered(300, 6.0), windowed_cosines(half_width=6.0)
    runs = {
        method: NonuniformSolver(RHO, SIGMA_A, x, window=2.9, cells=150, method=method).solve(target, TIMES)
        for method in ("data", "nodes", "auto")
    }
    assert runs["auto"].method == "nodes"  # 151 nodes < 300 points
    np.testing.assert_allclose(runs["data"].residual, runs["nodes"].residual, atol=1e-10)


@coarse_on_purpose
@pytest.mark.filterwarnings("ignore::spectra.fem.WindowWarning")  # samples' transforms never decay in xi
def test_uniform_grid_reduces_to_the_damped_heat_equation_up_to_the_box_truncation():
    gaps = {}
    for half in (3.0, 6.0):
        x = uniform_grid((-half, half), int(16 * half)).numpy()[:, 0]
        target = windowed_cosines(width=1.0, half_width=half)
        general = NonuniformSolver(RHO, SIGMA_A, x, window=2.9, cells=600).solve(target, TIMES)
        xi = np.linspace(-2.9, 2.9, 801)
        c = 1 / (2 * half)
        uniform = UniformDataEquation(RHO, SIGMA_A, 2.9, 600).solve(x, target, c, TIMES, xi)
        gaps[half] = relative_l2_gap(uniform, general.evaluate(xi), xi, general.initial_at(xi))
        # v_hat = c u_hat, with u_hat from the damped heat equation at density c (the scaling v_c(t) = v_1(ct)):
        direct = ReferenceSolver(RHO, SIGMA_A, c, 2.9, 600).solve((x[:, None], -target(x[:, None])[:, 0]), TIMES)
        np.testing.assert_allclose(uniform, c * direct.evaluate(xi), atol=1e-10 * np.abs(uniform).max())
    assert gaps[6.0].max() < 2e-3  # the P1 interpolation of v_hat(·, 0) and nothing else
    assert gaps[3.0].max() > 10 * gaps[6.0].max()  # on the small box, the target's tails reach the edge


@coarse_on_purpose
def test_grid_data_beyond_nyquist_keeps_its_aliases_and_the_uniform_equation_refuses():
    x = uniform_grid((-3.0, 3.0), 24).numpy()[:, 0]  # Δx = 1/4: Nyquist 2 cycles per unit length
    wide, target = Gaussian(1.5), windowed_cosines(width=1.0, half_width=3.0)
    assert nyquist_frequency(x) == pytest.approx(2.0)
    assert nyquist_frequency(clustered(24)) is None
    flow = kernel_flow(x, target, wide, SIGMA_A, TIMES)
    solution = NonuniformSolver(wide, SIGMA_A, x, cells=1200).solve(target, TIMES)
    assert solution.window > 4.0  # beyond two Nyquist bands
    assert np.abs(solution.residual - flow).max() < 1e-3 * np.abs(flow[0]).max()
    with pytest.raises(ValueError, match=r"rho_w: expected .*Nyquist frequency 1/\(2Δx\) = 2"):
        UniformDataEquation(wide, SIGMA_A, solution.window, 400).solve(x, target, 1 / 6, TIMES, [0.0])


def test_bad_input_is_refused_with_the_argument_named():
    x = clustered(20)
    with pytest.raises(ValueError, match="x: expected finite values"):
        NonuniformSolver(RHO, SIGMA_A, np.where(x > 3, np.nan, x))
    with pytest.raises(ValueError, match="x: expected at least two distinct"):
        NonuniformSolver(RHO, SIGMA_A, np.ones(5))
    with pytest.raises(ValueError, match="weights: expected 20 finite positive"):
        NonuniformSolver(RHO, SIGMA_A, x, -np.ones(20))
    with pytest.raises(ValueError, match="rho_w: expected a 1-D density"):
        NonuniformSolver(Gaussian(1.0, dim=2), SIGMA_A, x)
    with pytest.raises(TypeError, match="rho_w: expected a FrequencyDistribution"):
        NonuniformSolver("gaussian", SIGMA_A, x)
    with pytest.raises(ValueError, match="method: expected one of"):
        NonuniformSolver(RHO, SIGMA_A, x, method="svd")
    with pytest.raises(ValueError, match="sigma_a: expected a finite non-negative"):
        NonuniformSolver(RHO, -1.0, x)
    solver = NonuniformSolver(RHO, SIGMA_A, x, window=2.0, cells=200)
    with pytest.raises(ValueError, match="residual: expected finite residual values"):
        solver.solve(np.full(20, np.inf), TIMES)
    with pytest.raises(ValueError, match=r"residual: expected 20 residual values"):
        solver.solve(np.ones(19), TIMES)
    with pytest.raises(ValueError, match="residual: expected a residual that is not zero"):
        solver.solve(np.zeros(20), TIMES)
    with pytest.raises(ValueError, match="times: expected strictly increasing"):
        solver.solve(np.ones(20), [0.0, 5.0, 5.0])
    with pytest.warns(WindowWarning, match="rho_w is active up to"):
        NonuniformSolver(RHO, SIGMA_A, x, window=0.5, cells=200).solve(np.ones(20), TIMES)
    with pytest.warns(ResolutionWarning, match="cells: 8 cannot resolve"):
        NonuniformSolver(RHO, SIGMA_A, x, window=2.9, cells=8).solve(np.ones(20), TIMES)
    with pytest.raises(ValueError, match="c: expected finite positive data densities"):
        UniformDataEquation(RHO, SIGMA_A, 2.0, 100).solve_many(x, np.ones(20), [0.1, -1.0], TIMES, [0.0])
    with pytest.raises(ValueError, match="window: expected a finite positive number"):
        UniformDataEquation(RHO, SIGMA_A, 0.0, 100)


@coarse_on_purpose
def test_solution_evaluates_saves_and_tabulates(tmp_path):
    x = clustered(30)
    r0 = np.sin(x)
    solution = NonuniformSolver(Uniform.band(1.5), SIGMA_A, x, cells=300).solve(r0, TIMES)
    xi = np.linspace(-3.0, 3.0, 7)  # v_hat is exact anywhere, also outside the window
    np.testing.assert_allclose(solution.evaluate(xi)[0], nudft(x, r0 / 30, xi), atol=1e-14)
    np.testing.assert_allclose(solution.initial_at(xi), nudft(x, r0 / 30, xi), atol=1e-14)
    values = solution.evaluate(np.concatenate([xi, -xi]))
    np.testing.assert_allclose(values[:, 7:], np.conj(values[:, :7]), atol=1e-14)  # the transform of a real residual
    energy = (solution.weights * solution.residual**2).sum(axis=1)  # ||r(t)||²_W: S is PSD, it never grows
    assert np.all(np.diff(energy) < 0)
    loaded = NonuniformSolution.load(solution.save(tmp_path / "solution.npz"))
    np.testing.assert_array_equal(loaded.residual, solution.residual)
    assert (loaded.window, loaded.cells, loaded.method) == (solution.window, solution.cells, solution.method)
    frame = solution.to_frame()
    assert list(frame.columns) == ["t", "point", "x", "residual"] and len(frame) == len(TIMES) * 30
    assert peak_data_density(np.linspace(0, 4, 101), np.full(101, 1 / 101)) == pytest.approx(0.25, rel=0.1)


def test_data_points_follow_the_data_density():
    settings = NonuniformSettings(n_points=400, half_length=5.0, cluster_center=-1.0)
    x = data_points(settings)
    grid = np.linspace(-5.0, 5.0, 20001)
    density = data_density(settings, grid)
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-9)
    cdf = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(grid))])
    np.testing.assert_allclose(np.interp(x, grid, cdf), (np.arange(400) + 0.5) / 400, atol=1e-6)
    uniform = data_points(dataclasses.replace(settings, cluster_weight=0.0))
    assert nyquist_frequency(uniform) == pytest.approx(400 / 20)
    drawn = dataclasses.replace(settings, sampling="random", seed=3)
    random = data_points(drawn)
    assert np.all(np.diff(random) >= 0) and np.array_equal(random, data_points(drawn))  # seeded
    assert not np.array_equal(random, data_points(dataclasses.replace(drawn, seed=4)))
    assert abs(np.mean(random > -1.0) - np.mean(x > -1.0)) < 0.1  # the same distribution


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"width": 201}, "width: expected an even number"),
        ({"times": (0.0, 10.0, 25.0)}, "times: expected increasing multiples"),
        ({"times": (5.0, 10.0)}, "times: expected at least two finite times, the first 0"),
        ({"cluster_weight": 1.0}, "cluster_weight: expected a weight"),
        ({"cluster_center": 20.0}, "cluster_center: expected a point of the data interval"),
        ({"sampling": "sobol"}, "sampling: expected one of"),
        ({"lr_fraction": 1.5}, "lr_fraction: expected a number in"),
        ({"convergence_cells": (100, 50)}, "convergence_cells: expected at least two increasing"),
    ],
)
def test_settings_refuse_bad_values(changes, message):
    with pytest.raises(ValueError, match=message):
        NonuniformSettings(**changes)


@pytest.fixture(scope="module")
def smoke_comparison():
    return nonuniform_against_training(NonuniformSettings.smoke(), progress=False)


def test_general_equation_tracks_training_and_the_uniform_data_equation_does_not(smoke_comparison):
    result = smoke_comparison
    later = slice(1, None)
    assert np.all(result.gap_general[later] < 0.5 * result.gap_uniform[later])
    assert np.all(result.gap_general[later] < result.gap_best_uniform[later])
    # What separates the network from the general equation is its finite width, not the equation:
    np.testing.assert_allclose(result.gap_general, result.gap_network_kernel, atol=3e-3)
    assert result.gap_kernel_general.max() < 2e-3 and result.gap_step.max() < 2e-2
    np.testing.assert_allclose(result.convergence_order, 2.0, atol=0.2)
    assert result.c_uniform == pytest.approx(1 / 12)
    assert result.c_best > result.c_uniform  # the data cluster by the target: learning is faster than 1/length says
    assert result.gap_general[0] < 1e-12 and result.gap_uniform[0] < 1e-3


def test_comparison_saves_tabulates_and_plots(smoke_comparison, tmp_path):
    result = smoke_comparison
    loaded = NonuniformComparison.load(result.save(tmp_path / "nonuniform.npz"))
    np.testing.assert_array_equal(loaded.v_general, result.v_general)
    assert loaded.settings == result.settings and loaded.c_best == result.c_best
    frame = result.to_frame()
    gaps = frame.pivot(index="t", columns="comparison", values="gap")  # one gap per (t, comparison)
    np.testing.assert_array_equal(gaps["network vs general equation"], result.gap_general)
    assert gaps.shape == (len(result.times), 6) and gaps.notna().all().all()
    assert set(result.spectra_frame()["source"]) == {
        "network",
        "general equation",
        "uniform-data equation",
        "uniform-data equation, best c",
        "kernel flow",
    }
    summary = result.summary()
    assert summary["max_gap"]["network vs general equation"] == pytest.approx(result.gap_general[1:].max())
    for figure in (plot_nonuniform_spectra(result), plot_nonuniform_gaps(result), plot_data_measure(result)):
        assert isinstance(figure, Figure)
        for ax in figure.axes:  # every axis labelled; panels sharing an axis (twins, shared y) share its label
            assert any(other.get_ylabel() for other in ax.get_shared_y_axes().get_siblings(ax))
            assert any(twin.get_xlabel() for twin in ax.get_shared_x_axes().get_siblings(ax))
    with pytest.raises(TypeError, match="result: expected a NonuniformComparison"):
        plot_nonuniform_gaps(result.summary())
    with pytest.raises(TypeError, match="settings: expected a NonuniformSettings"):
        nonuniform_against_training({"width": 10}, progress=False)
