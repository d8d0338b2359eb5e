"""Frequency distributions: normalised densities, sampling moments, closed-form kernels."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate

from spectra.frequencies import Empirical, Gaussian, Mixture, Symmetrized, Uniform

ONE_D = [
    Gaussian(1.5),
    Gaussian(0.7, mean=2.0),
    Uniform(-3.0, 5.0),
    Mixture((Gaussian(1.0, mean=-2.0), Uniform(1.0, 3.0)), (0.3, 0.7)),
    Empirical(np.array([-1.0, 0.5, 2.0, 2.5])),
    Symmetrized(Gaussian(0.5, mean=3.0)),
]


@pytest.mark.parametrize("rho", ONE_D, ids=lambda r: type(r).__name__)
def test_density_integrates_to_one_1d(rho):
    total, _ = integrate.quad(lambda w: rho.density(np.array([w]))[0], -30, 30, points=[-3, 1, 3, 5], limit=400)
    assert total == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("rho", ONE_D, ids=lambda r: type(r).__name__)
def test_kernel_is_cosine_transform_of_density(rho):
    z = np.array([0.0, 0.13, 0.4, 1.1])
    expected = [
        integrate.quad(
            lambda w, zi=zi: math.cos(2 * math.pi * w * zi) * rho.density(np.array([w]))[0],
            -30,
            30,
            points=[-3, 1, 3, 5],
            limit=800,
        )[0]
        for zi in z
    ]
    np.testing.assert_allclose(rho.kernel(z), expected, atol=1e-7)


def test_density_2d_box_and_gaussian_integrate_to_one():
    axis = np.linspace(-8, 8, 801)
    xx, yy = np.meshgrid(axis, axis, indexing="ij")
    points = np.stack([xx.ravel(), yy.ravel()], axis=1)
    cell = (axis[1] - axis[0]) ** 2
    assert Gaussian(1.3, dim=2).density(points).sum() * cell == pytest.approx(1.0, abs=1e-6)
    assert Uniform((-1.0, -2.0), (3.0, 2.0), dim=2).volume == 16.0
    # Kernel of a 2-D box: product structure against a Monte-Carlo cosine average.
    box = Uniform((-1.0, 0.5), (3.0, 2.0), dim=2)
    w = box.sample(400_000, seed=1).numpy()
    z = np.array([[0.1, 0.2], [0.3, -0.05]])
    mc = np.cos(2 * math.pi * w @ z.T).mean(axis=0)
    np.testing.assert_allclose(box.kernel(z), mc, atol=5e-3)


@pytest.mark.parametrize("rho", ONE_D, ids=lambda r: type(r).__name__)
def test_samples_follow_density(rho):
    w = rho.sample(200_000, seed=3).numpy()[:, 0]
    grid = np.linspace(-30, 30, 60_001)
    density = rho.density(grid)
    mean = np.trapezoid(grid * density, grid)
    second = np.trapezoid(grid**2 * density, grid)
    assert w.mean() == pytest.approx(mean, abs=0.02)
    assert (w**2).mean() == pytest.approx(second, rel=0.02)


def test_symmetrized_density_and_seeded_sampling():
    rho = Gaussian(0.5, mean=3.0)
    sym = rho.symmetrized()
    xi = np.array([-3.0, 0.0, 3.0])
    np.testing.assert_allclose(sym.density(xi), 0.5 * (rho.density(xi) + rho.density(-xi)))
    assert torch.equal(sym.sample(10, seed=4), sym.sample(10, seed=4))
    assert not torch.equal(sym.sample(10, seed=4), sym.sample(10, seed=5))


def test_uniform_band_kernel_is_sinc():
    z = np.array([0.05, 0.3, 0.71])
    expected = np.sin(2 * math.pi * 2.0 * z) / (2 * math.pi * 2.0 * z)
    np.testing.assert_allclose(Uniform.band(2.0).kernel(z), expected, rtol=1e-12)


def test_gaussian_kernel_closed_form():
    z = np.array([[0.1, 0.2], [0.0, 0.0]])
    np.testing.assert_allclose(Gaussian(2.0, dim=2).kernel(z), np.exp(-2 * math.pi**2 * 4.0 * np.sum(z**2, axis=1)))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Gaussian(-1.0), "std"),
        (lambda: Gaussian(1.0, dim=0), "dim"),
        (lambda: Uniform(2.0, 1.0), "high > low"),
        (lambda: Mixture((Gaussian(1.0), Gaussian(1.0, dim=2))), "one dimension"),
        (lambda: Mixture((Gaussian(1.0),), (-1.0,)), "weights"),
        (lambda: Empirical(np.ones(5)), "identical"),
        (lambda: Gaussian(1.0, dim=2).density(np.zeros((3, 3))), "xi"),
        (lambda: Gaussian(1.0).sample(0), "n"),
    ],
)
def test_bad_input_names_the_argument(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()
