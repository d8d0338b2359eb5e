"""Physics-informed problems: closed-form forcing against autograd and finite differences, the PINN loss,
the inverse problem's data and coefficient, and fit()'s objective hook that trains them."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from spectra.domain import Box, sample_uniform, uniform_grid
from spectra.models import MLP
from spectra.pinn import (
    InverseModel,
    PINNLoss,
    Poisson,
    box_boundary,
    laplacian,
    multiscale_poisson_1d,
    multiscale_poisson_2d,
)
from spectra.targets import SumOfSines
from spectra.training import fit, mean_loss


class Scaled(nn.Module):
    """a · u*(x) with a trainable amplitude a: the exact solution when a = 1."""

    def __init__(self, solution, amplitude=1.0):
        super().__init__()
        self.solution = solution
        self.amplitude = nn.Parameter(torch.tensor(float(amplitude), dtype=torch.float64))

    def forward(self, x):
        return self.amplitude * self.solution(x)


def test_laplacian_of_a_polynomial():
    x = sample_uniform(Box.cube(-1.0, 1.0, 3), 50, seed=0)
    value, lap = laplacian(lambda p: (p**3).sum(dim=1, keepdim=True) + p[:, :1] * p[:, 1:2], x)
    torch.testing.assert_close(lap, 6 * x.sum(dim=1, keepdim=True))  # Δ(Σ x_j³ + x_0 x_1) = 6 Σ x_j
    torch.testing.assert_close(value, (x**3).sum(dim=1, keepdim=True) + x[:, :1] * x[:, 1:2])


@pytest.mark.parametrize("problem", [multiscale_poisson_1d(coefficient=0.7), multiscale_poisson_2d(high=6)])
def test_exact_solution_has_zero_residual(problem):
    x = sample_uniform(problem.domain, 400, seed=1)
    residual = problem.residual(problem.solution, x).detach()
    forcing = problem.forcing(x)
    assert float(forcing.abs().max()) > 10  # the forcing is large: the zero below is not trivial
    assert float(residual.abs().max()) < 1e-10 * float(forcing.abs().max())
    # A wrong solution (the low mode doubled) leaves the residual of the missing part.
    wrong = SumOfSines(
        problem.solution.frequencies[:1], problem.solution.amplitudes[:1], problem.solution.phases[:1], problem.domain
    )
    assert float(problem.residual(lambda p: problem.solution(p) + wrong(p), x).detach().abs().max()) > 1


def test_forcing_matches_finite_differences_with_second_order_convergence():
    problem = multiscale_poisson_1d(coefficient=2.0)
    x = torch.linspace(0.1, 0.9, 33, dtype=torch.float64)[:, None]
    errors = []
    for h in (1e-3, 5e-4):
        second = (problem.solution(x + h) - 2 * problem.solution(x) + problem.solution(x - h)) / h**2
        errors.append(float((-problem.coefficient * second - problem.forcing(x)).abs().max()))
    assert errors[1] < 0.3 * errors[0]  # O(h²): halving h divides the error by about 4
    assert errors[1] < 1e-3 * float(problem.forcing(x).abs().max())


def test_two_dimensional_solution_is_the_product_of_sines_and_vanishes_on_the_boundary():
    problem = multiscale_poisson_2d(low=1.0, high=6.0, amplitudes=(1.0, 0.1))
    x = sample_uniform(problem.domain, 200, seed=2)
    a, b = 2 * math.pi * x[:, 0], 2 * math.pi * x[:, 1]
    expected = torch.sin(a) * torch.sin(b) + 0.1 * torch.sin(6 * a) * torch.sin(6 * b)
    torch.testing.assert_close(problem.solution(x)[:, 0], expected)
    boundary = box_boundary(problem.domain, 9)
    assert boundary.shape == (4 * 9, 2)
    on_face = (boundary == 0) | (boundary == 1)
    assert bool(on_face.any(dim=1).all())
    assert float(problem.solution(boundary).abs().max()) < 1e-12
    np.testing.assert_array_equal(box_boundary(Box.interval(0.0, 2.0), 5).numpy(), [[0.0], [2.0]])


def test_pinn_loss_of_the_exact_solution_and_of_a_wrong_coefficient():
    problem = multiscale_poisson_1d(coefficient=0.5)
    collocation = uniform_grid(problem.domain, 200, endpoint=True)
    loss = PINNLoss(problem, collocation, box_boundary(problem.domain, 1))
    exact = Scaled(problem.solution)
    assert float(loss(exact).detach()) < 1e-20
    # With k = 2 k*: r = -2k* Δu* - f = f, so the relative residual term is exactly 1/2.
    terms = loss.terms(InverseModel(exact, initial_coefficient=1.0))
    assert float(terms["residual"].detach()) == pytest.approx(0.5, rel=1e-10)
    assert float(terms["boundary"].detach()) < 1e-20
    # Half the solution: the residual is f/2 (term 1/8), the boundary values are still zero.
    assert float(loss(Scaled(problem.solution, 0.5)).detach()) == pytest.approx(0.125, rel=1e-10)


def test_inverse_problem_data_and_recovered_coefficient():
    problem = multiscale_poisson_1d(frequencies=(1.0, 5.0), coefficient=0.5)
    points = sample_uniform(problem.domain, 40, seed=3)
    observations = problem.observations(points, noise=0.05, seed=4)
    noise = (observations.y - problem.solution(points)).numpy()
    assert 0.03 < noise.std() < 0.07
    again = problem.observations(points, noise=0.05, seed=4)
    torch.testing.assert_close(again.y, observations.y)  # same seed, same data

    # u = a·u* and k trainable: the data fix a at the least-squares fit â = Σ y u* / Σ u*², the PDE then
    # fixes k·a = k*, so the recovered coefficient is k* / â.
    model = InverseModel(Scaled(problem.solution), initial_coefficient=2.0)
    loss = PINNLoss(
        problem, uniform_grid(problem.domain, 64, endpoint=True), box_boundary(problem.domain, 1), observations
    )
    history = fit(model, points, None, objective=loss, optimizer="lbfgs", lr=1.0, steps=20, progress=False)
    u = problem.solution(points)
    a_hat = float((observations.y * u).sum() / (u**2).sum())
    assert float(model.network.amplitude.detach()) == pytest.approx(a_hat, rel=1e-5)
    assert float(model.coefficient.detach()) == pytest.approx(0.5 / a_hat, rel=1e-5)
    assert history.loss[-1] < history.loss[0]
    assert history.config["objective"] == "PINNLoss"


def test_fit_with_an_objective_records_it_and_trains_a_pinn():
    problem = multiscale_poisson_1d(frequencies=(1.0,), amplitudes=(1.0,))
    collocation = uniform_grid(problem.domain, 64, endpoint=True, dtype=torch.float32)
    loss = PINNLoss(problem, collocation, box_boundary(problem.domain, 1, dtype=torch.float32), boundary_weight=10.0)
    model = MLP(1, 1, 24, 2, activation="tanh", seed=0)
    probe = uniform_grid(problem.domain, 128, dtype=torch.float32)
    history = fit(
        model,
        probe,
        None,
        objective=loss,
        lr=1e-2,
        steps=600,
        record_every=300,
        probe=probe,
        probe_target=problem.solution(probe),
        progress=False,
    )
    assert float(loss(model).detach()) == pytest.approx(history.loss[-1], rel=1e-5)
    assert history.relative_l2_error()[-1] < 0.05  # u = sin(2πx) learned from the PDE alone
    assert history.config["output_dim"] is None


def test_fit_objective_bad_input():
    x = torch.zeros(4, 1)
    with pytest.raises(ValueError, match="y: expected training targets"):
        fit(MLP(1, 1, 4, 1, seed=0), x, None, steps=1, progress=False)
    with pytest.raises(ValueError, match="batch_size: expected None"):
        fit(MLP(1, 1, 4, 1, seed=0), x, None, objective=lambda m: mean_loss(m(x), x), batch_size=2, progress=False)
    with pytest.raises(TypeError, match="objective: expected a callable"):
        fit(MLP(1, 1, 4, 1, seed=0), x, None, objective=3, progress=False)


def test_bad_input_names_the_argument():
    problem = multiscale_poisson_2d()
    with pytest.raises(TypeError, match="solution: expected a spectra.targets.SumOfSines"):
        Poisson(lambda x: x)
    with pytest.raises(ValueError, match="coefficient: expected a finite positive number"):
        multiscale_poisson_1d(coefficient=-1.0)
    with pytest.raises(ValueError, match="collocation: expected 2 input dimension"):
        PINNLoss(problem, torch.zeros(5, 1), box_boundary(problem.domain, 3))
    with pytest.raises(TypeError, match="observations: expected spectra.targets.Samples"):
        PINNLoss(problem, torch.rand(5, 2), box_boundary(problem.domain, 3), observations=(1, 2))
    with pytest.raises(ValueError, match="u: expected a function returning one output"):
        laplacian(lambda p: p, torch.rand(5, 2))
    with pytest.raises(ValueError, match="initial_coefficient"):
        InverseModel(MLP(1, 1, 4, 1, seed=0), initial_coefficient=0.0)
