"""Closed-form NTKs: against Gaussian quadrature, and against wide networks with error ~ width^(-1/2)."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate

from spectra.frequencies import FrequencyDistribution, Gaussian, Mixture, Uniform
from spectra.models import MLP, TwoLayerFourierNet
from spectra.ntk import analytic_ntk, empirical_ntk, relu_mlp_ntk, two_layer_fourier_ntk

F64 = torch.float64


def mean_relative_error(make, x: torch.Tensor, widths: list[int], seeds: range) -> np.ndarray:
    """Mean over seeds of ‖Θ_empirical - Θ_analytic‖_F / ‖Θ_analytic‖_F, per width (structured eNTK)."""
    errors = []
    for width in widths:
        trials = []
        for seed in seeds:
            model = make(width, seed)
            theory = analytic_ntk(model, x)
            trials.append(float((empirical_ntk(model, x, progress=False).kernel - theory).norm() / theory.norm()))
        errors.append(np.mean(trials))
    return np.asarray(errors)


def slope(widths: list[int], errors: np.ndarray) -> float:
    return float(np.polyfit(np.log(widths), np.log(errors), 1)[0])


def test_relu_recursion_matches_numerical_gaussian_expectations():
    """One hidden layer, two points: Σ² and Σ̇² integrated numerically over the angle of (u, v) = L (r cos φ, r sin φ)
    (the radial integrals are ∫ r³ e^(-r²/2) dr = 2 and ∫ r e^(-r²/2) dr = 1), not by arc-cosine formulas."""
    sigma_w, sigma_b, d = 1.3, 0.4, 3
    x = torch.tensor([[0.3, -1.2, 0.8], [1.1, 0.2, -0.5]], dtype=F64)
    cov = (sigma_w**2 * (x @ x.T) / d + sigma_b**2).numpy()
    rows = np.linalg.cholesky(cov)  # u = rows[0]·e, v = rows[1]·e with e = r (cos φ, sin φ)
    kinks = sorted((math.atan2(-r[0], r[1]) + k * math.pi) % (2 * math.pi) for r in rows for k in (0, 1))

    def angular(g):
        return integrate.quad(
            lambda phi: g(rows @ np.array([math.cos(phi), math.sin(phi)])),
            0,
            2 * math.pi,
            points=kinks,
            limit=200,
            epsabs=1e-13,
            epsrel=1e-13,
        )[0] / (2 * math.pi)

    sigma2 = sigma_w**2 * 2 * angular(lambda uv: max(uv[0], 0) * max(uv[1], 0)) + sigma_b**2
    sigma_dot = sigma_w**2 * angular(lambda uv: float(uv[0] > 0 and uv[1] > 0))
    result = relu_mlp_ntk(x, depth=1, sigma_w=sigma_w, sigma_b=sigma_b)
    assert float(result[0, 1]) == pytest.approx(sigma2 + sigma_dot * cov[0, 1], rel=1e-10)
    assert torch.equal(result, result.T)
    # Diagonal: θ = 0, so Σ² = sigma_w² Σ¹/2 + sigma_b² and Σ̇² = sigma_w²/2 exactly.
    diagonal = (sigma_w**2 * cov[0, 0] / 2 + sigma_b**2) + sigma_w**2 / 2 * cov[0, 0]
    assert float(result[0, 0]) == pytest.approx(diagonal, rel=1e-12)


def test_relu_mlp_empirical_ntk_approaches_the_arc_cosine_kernel_like_inverse_sqrt_width():
    angles = np.linspace(0, math.pi, 8)
    x = torch.tensor(np.c_[np.cos(angles), np.sin(angles)] * np.linspace(0.5, 1.5, 8)[:, None], dtype=F64)
    widths = [32, 64, 128, 256, 512, 1024, 2048]

    def make(width, seed):
        return MLP(2, 1, width, 2, parameterization="ntk", sigma_b=0.3, seed=seed, dtype=F64)

    errors = mean_relative_error(make, x, widths, range(16))
    assert -0.62 < slope(widths, errors) < -0.38, errors
    assert errors[-1] < 0.08, errors


@pytest.mark.parametrize("rho_w", [Gaussian(1.0), Uniform.band(1.5)], ids=["gaussian", "uniform"])
@pytest.mark.parametrize("train_frequencies", [True, False], ids=["trained_w", "frozen_w"])
def test_two_layer_empirical_ntk_approaches_closed_form_like_inverse_sqrt_width(rho_w, train_frequencies):
    x = torch.linspace(-1, 1, 12, dtype=F64)[:, None]
    widths = [64, 256, 1024, 4096, 16384]

    def make(width, seed):
        return TwoLayerFourierNet(1, width, rho_w, 0.3, train_frequencies=train_frequencies, seed=seed, dtype=F64)

    errors = mean_relative_error(make, x, widths, range(8))
    assert -0.6 < slope(widths, errors) < -0.4, errors
    assert errors[-1] < 0.025, errors


def test_two_layer_closed_form_values_and_model_dispatch():
    x = torch.tensor([[0.2, -0.1], [0.5, 0.4]], dtype=F64)
    rho_w, sigma_a = Gaussian(0.8, dim=2), 1.7
    z2 = float(((x[0] - x[1]) ** 2).sum())
    k = math.exp(-2 * math.pi**2 * 0.8**2 * z2)
    expected = (1 + 4 * math.pi**2 * sigma_a**2 * float(x[0] @ x[1])) * k
    theta = two_layer_fourier_ntk(x, rho_w=rho_w, sigma_a=sigma_a)
    assert float(theta[0, 1]) == pytest.approx(expected, rel=1e-13)
    assert float(
        two_layer_fourier_ntk(x, rho_w=rho_w, sigma_a=sigma_a, train_frequencies=False)[0, 1]
    ) == pytest.approx(k)
    mixture = Mixture((Gaussian(1.0), Uniform.band(2.0)), (0.25, 0.75))
    model = TwoLayerFourierNet(1, 8, mixture, 0.5, train_frequencies=False, seed=0, dtype=F64)
    grid = torch.linspace(-1, 1, 5, dtype=F64)[:, None]
    torch.testing.assert_close(
        analytic_ntk(model, grid, grid[:2]),
        two_layer_fourier_ntk(grid, grid[:2], rho_w=mixture, sigma_a=0.5, train_frequencies=False),
    )


def test_analytic_ntk_refuses_what_it_does_not_cover():
    x = torch.zeros(3, 1, dtype=F64)

    class NoKernel(FrequencyDistribution):
        dim = 1

        def sample(self, n, seed=None):
            return torch.zeros(n, 1, dtype=F64)

        def _density(self, xi):
            return np.zeros(len(xi))

    cases = [
        (lambda: analytic_ntk(MLP(1, 1, 4, 1, activation="tanh", parameterization="ntk"), x), "model: expected"),
        (lambda: analytic_ntk(MLP(1, 1, 4, 1), x), "model: expected a TwoLayerFourierNet or a ReLU MLP"),
        (
            lambda: two_layer_fourier_ntk(x, rho_w=NoKernel(), sigma_a=1.0),
            "rho_w: expected a distribution with a closed",
        ),
        (
            lambda: two_layer_fourier_ntk(torch.zeros(3, 2), rho_w=Gaussian(1.0), sigma_a=1.0),
            "x1: expected points in 1",
        ),
        (lambda: relu_mlp_ntk(x, depth=0), "depth: expected a positive integer"),
    ]
    for call, message in cases:
        with pytest.raises((ValueError, TypeError), match=message):
            call()
    frozen = TwoLayerFourierNet(1, 4, Gaussian(1.0), seed=0)
    frozen.a.requires_grad_(False)
    with pytest.raises(ValueError, match="output weights a and b are trained"):
        analytic_ntk(frozen, x)
