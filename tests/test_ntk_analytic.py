"""Closed-form kernels: NTKs against Gaussian quadrature, a 40-digit reference and wide networks with error
~ width^(-1/2); NNGP kernels against the output covariance over seeded initialisations."""

import math

import mpmath
import numpy as np
import pytest
import torch
from scipy import integrate
from torch import nn

from spectra.frequencies import FrequencyDistribution, Gaussian, Mixture, Uniform
from spectra.models import MLP, TwoLayerFourierNet
from spectra.ntk import (
    analytic_nngp,
    analytic_ntk,
    empirical_nngp,
    empirical_ntk,
    relu_mlp_nngp,
    relu_mlp_ntk,
    two_layer_fourier_nngp,
    two_layer_fourier_ntk,
)

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


def reference_relu_kernels(x: np.ndarray, y: np.ndarray, sigma_w: list[float], sigma_b: list[float]) -> list:
    """[(K, Θ) at depth D for D = 1..len(sigma_w) - 1]: the arc-cosine recursion (module docstring of
    spectra.ntk.analytic) in 40-digit mpmath with plain arccos, from the float64 inputs and sigmas taken exactly."""
    with mpmath.workdps(40):
        w2 = [mpmath.mpf(s) ** 2 for s in sigma_w]
        b2 = [mpmath.mpf(s) ** 2 for s in sigma_b]
        x, y = [mpmath.mpf(v) for v in x], [mpmath.mpf(v) for v in y]

        def first(a: list, b: list) -> mpmath.mpf:
            return w2[0] * mpmath.fsum(p * q for p, q in zip(a, b, strict=True)) / len(a) + b2[0]

        cross, diag_x, diag_y = first(x, y), first(x, x), first(y, y)
        ntk, kernels = cross, []
        for layer in range(1, len(w2)):
            norms = mpmath.sqrt(diag_x * diag_y)
            angle = mpmath.acos(max(min(cross / norms, 1), -1)) if norms > 0 else mpmath.mpf(0)
            j1 = mpmath.sin(angle) + (mpmath.pi - angle) * mpmath.cos(angle)
            cross = w2[layer] * norms * j1 / (2 * mpmath.pi) + b2[layer]
            ntk = cross + w2[layer] * (mpmath.pi - angle) / (2 * mpmath.pi) * ntk
            diag_x, diag_y = w2[layer] * diag_x / 2 + b2[layer], w2[layer] * diag_y / 2 + b2[layer]
            kernels.append((float(cross), float(ntk)))
        return kernels


def test_relu_kernels_match_a_40_digit_reference_to_1e_13_at_every_depth():
    """NTK and NNGP, depths 1..6, relative to √(K(x, x) K(x', x')): random points, near-parallel pairs (relative
    perturbations 1e-7 and 1e-12), near-antiparallel ones, equal points passed as x1 and as a copy in x2, and
    per-layer sigmas. arccos of a rounded cosine used to give errors of 2e-9 (depth 1) to 2e-8 (depth 6)."""
    rng = np.random.default_rng(19)
    max_depth, worst = 6, {"diagonal": 0.0, "off-diagonal": 0.0}
    settings = [(1, math.sqrt(2.0), 0.1), (2, 1.3, 0.0), (3, 0.7, 1.5), (2, [1.1, 1.6, 0.9, 1.4, 1.2, 2.0, 0.8], 0.3)]
    for d, sigma_w, sigma_b in settings:
        x = rng.standard_normal((8, d)) * rng.uniform(0.1, 3.0, (8, 1))
        near = x[:3] * (1 + np.array([[1e-7], [1e-12], [-1e-9]])) + 1e-12 * rng.standard_normal((3, d))
        points = np.r_[x, near, -x[3:5] * (1 + 1e-9), x[5:6]]  # the last repeats a point exactly
        sw = np.broadcast_to(sigma_w, (max_depth + 1,)).tolist()
        sb = np.broadcast_to(sigma_b, (max_depth + 1,)).tolist()
        reference = [[reference_relu_kernels(p, q, sw, sb) for q in points] for p in points]
        X = torch.tensor(points)
        for depth in range(1, max_depth + 1):
            for kind, fn in ((0, relu_mlp_nngp), (1, relu_mlp_ntk)):
                options = {"depth": depth, "sigma_w": sw[: depth + 1], "sigma_b": sb[: depth + 1]}
                exact = np.array([[r[depth - 1][kind] for r in row] for row in reference])
                scale = np.sqrt(np.outer(np.diag(exact), np.diag(exact)))
                for result in (fn(X, **options), fn(X, X.clone(), **options)):
                    error = np.abs(result.numpy() - exact) / scale
                    worst["diagonal"] = max(worst["diagonal"], float(np.diag(error).max()))
                    worst["off-diagonal"] = max(worst["off-diagonal"], float(error[~np.eye(len(X), dtype=bool)].max()))
    assert worst["diagonal"] < 1e-13 and worst["off-diagonal"] < 1e-13, worst
    single = relu_mlp_ntk(torch.tensor([[-0.16]], dtype=F64), depth=3)  # issue 19's example
    exact = reference_relu_kernels([-0.16], [-0.16], [math.sqrt(2.0)] * 4, [0.1] * 4)[2][1]
    assert float(single) == pytest.approx(exact, rel=1e-15)


def covariance_z_scores(sample: torch.Tensor, kernel: torch.Tensor, n_draws: int) -> torch.Tensor:
    """(K̂ - K) / se entry by entry, se² = (K_aa K_bb + K_ab²)/(S - 1) the sample covariance's variance for Gaussian
    outputs (a, b = (point, output) pairs; full kernels (N, N, c, c) are read as (N·c, N·c) matrices)."""
    if kernel.dim() == 4:
        sample, kernel = (k.permute(0, 2, 1, 3).reshape(k.shape[0] * k.shape[2], -1) for k in (sample, kernel))
    diagonal = torch.diagonal(kernel)
    standard_error = torch.sqrt((diagonal[:, None] * diagonal[None, :] + kernel**2) / (n_draws - 1))
    return (sample - kernel) / standard_error


NNGP_CASES = {
    "mlp_ntk_depth2": lambda seed: MLP(1, 1, 64, 2, parameterization="ntk", sigma_b=0.5, seed=seed, dtype=F64),
    "mlp_xavier_depth2_two_outputs": lambda seed: MLP(1, 2, 64, 2, init="xavier", seed=seed, dtype=F64),
    "two_layer_fourier": lambda seed: TwoLayerFourierNet(1, 32, Gaussian(0.7), sigma_a=1.3, seed=seed, dtype=F64),
}


@pytest.mark.parametrize("make", NNGP_CASES.values(), ids=NNGP_CASES.keys())
def test_nngp_closed_form_is_the_output_covariance_over_seeds(make):
    """8000 seeded draws: every entry within 4.5 standard errors (one is ≈ 1.6% of a diagonal entry; the largest
    |z| is 0.7 to 2.0 here), while a kernel 10% off is more than 4.5 away (|z| ≈ 6 to 7). The two-layer net's
    covariance is exact at every width; at depth 2 the network's carries an O(1/width) bias besides."""
    x = torch.tensor([[-1.0], [-0.4], [0.1], [0.3], [0.9], [1.5]], dtype=F64)
    n_draws, bound = 8000, 4.5
    full = make(0).out_features > 1
    outputs = "full" if full else "trace"
    sample = empirical_nngp(make, x, seeds=range(n_draws), outputs=outputs, progress=False)
    assert sample.n_draws == n_draws and sample.kernel.dtype == F64
    kernel = analytic_nngp(make(0), x)
    if full:  # independent outputs: K_op = K δ_op
        kernel = kernel[:, :, None, None] * torch.eye(2, dtype=F64)
    assert covariance_z_scores(sample.kernel, kernel, n_draws).abs().max() < bound
    assert covariance_z_scores(sample.kernel, 1.1 * kernel, n_draws).abs().max() > bound


def test_nngp_cross_kernel_doubled_net_and_closed_form_values():
    x = torch.tensor([[-0.5, 0.2], [0.3, 0.9], [1.1, -0.4]], dtype=F64)

    def make(seed):
        return MLP(2, 1, 8, 2, parameterization="ntk", seed=seed, dtype=F64)

    whole = empirical_nngp(make, x, seeds=range(50), progress=False).kernel
    cross = empirical_nngp(make, x[:1], x[1:], seeds=range(50), progress=False).kernel
    torch.testing.assert_close(cross, whole[:1, 1:], rtol=1e-13, atol=0)
    doubled = TwoLayerFourierNet(2, 8, Gaussian(1.0, 2), doubled=True, seed=0, dtype=F64)
    assert torch.count_nonzero(analytic_nngp(doubled, x)) == 0  # f ≡ 0 at initialisation
    sample = empirical_nngp(lambda s: TwoLayerFourierNet(2, 8, Gaussian(1.0, 2), doubled=True, seed=s), x, seeds=[3, 4])
    assert torch.count_nonzero(sample.kernel) == 0
    # Two-layer net: K = sigma_a² k(x - x') with k Gaussian; one hidden layer: K = Σ² by the closed form's diagonal.
    rho_w, sigma_a = Gaussian(0.8, dim=2), 1.7
    z2 = float(((x[0] - x[1]) ** 2).sum())
    expected = sigma_a**2 * math.exp(-2 * math.pi**2 * 0.8**2 * z2)
    assert float(two_layer_fourier_nngp(x, rho_w=rho_w, sigma_a=sigma_a)[0, 1]) == pytest.approx(expected, rel=1e-13)
    sigma_w, sigma_b = 1.3, 0.4
    first = sigma_w**2 * float(x[0] @ x[0]) / 2 + sigma_b**2
    diagonal = relu_mlp_nngp(x, depth=1, sigma_w=sigma_w, sigma_b=sigma_b)[0, 0]
    assert float(diagonal) == pytest.approx(sigma_w**2 * first / 2 + sigma_b**2, rel=1e-15)


def test_analytic_nngp_refuses_what_has_no_closed_form_here():
    x = torch.zeros(3, 1, dtype=F64)
    cases = [
        (lambda: analytic_nngp(MLP(1, 1, 4, 1), x), "model: expected an MLP with Gaussian initial weights"),
        (lambda: analytic_nngp(MLP(1, 1, 4, 1, activation="tanh", init="he"), x), "model: expected a TwoLayer"),
        (lambda: analytic_nngp(nn.Linear(1, 1), x), "model: expected a TwoLayerFourierNet or a ReLU MLP"),
        (lambda: analytic_nngp(MLP(2, 1, 4, 1, init="he"), x), r"x1: expected 2 input dimension\(s\)"),
        (lambda: relu_mlp_nngp(x, depth=2, sigma_w=[1.0, 2.0]), r"sigma_w: expected a number or 3 numbers"),
        (lambda: relu_mlp_ntk(x, depth=1, sigma_b=[0.1, -0.1]), "sigma_b: expected non-negative numbers"),
        (lambda: empirical_nngp(lambda s: "net", x, seeds=range(3)), "make_model: expected a function returning"),
        (lambda: empirical_nngp(lambda s: MLP(1, seed=s), x, seeds=[0]), "seeds: expected at least two seeds"),
        (lambda: empirical_nngp(lambda s: MLP(2, seed=s), x, seeds=range(2)), r"x1: expected 2 input dimension"),
    ]
    for call, message in cases:
        with pytest.raises((ValueError, TypeError), match=message):
            call()
