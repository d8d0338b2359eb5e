"""Targets: values, analytic Fourier transforms against quadrature, domains, seeded randomness."""

import math

import numpy as np
import pytest
import torch

from spectra.domain import Box, sample_uniform, uniform_grid
from spectra.targets import (
    SumOfSines,
    WindowedCosines,
    multiscale_1d,
    multiscale_4d,
    power_law_signal,
    rahaman,
    sample_target,
    windowed_cosines,
)


def quadrature_transform(target, xi, n=4001):
    """Riemann sum of ∫ g(x) exp(-2πi xi x) dx over the (wide) domain: exact to rounding for smooth decaying g."""
    x = np.linspace(target.domain.lo[0], target.domain.hi[0], n)
    g = target(x[:, None])[:, 0]
    return (g[None, :] * np.exp(-2j * math.pi * np.outer(xi, x))).sum(axis=1) * (x[1] - x[0])


def test_windowed_cosines_transform_matches_quadrature_1d():
    target = WindowedCosines(np.array([0.4, 1.1]), np.array([1.0, -0.5]), width=0.8, center=0.7, domain=(-9.0, 11.0))
    xi = np.linspace(-2.0, 2.0, 41)
    np.testing.assert_allclose(target.fourier_transform(xi), quadrature_transform(target, xi), atol=1e-10)


def test_windowed_cosines_transform_matches_quadrature_2d():
    target = WindowedCosines(np.array([[0.3, 0.1]]), 1.0, width=0.6, center=np.array([0.2, -0.3]))
    axis = np.linspace(-5, 5, 201)
    points = uniform_grid(Box((-5.0, -5.0), (5.0, 5.0)), 201, endpoint=True).numpy()
    g = target(points)[:, 0]
    xi = np.array([[0.0, 0.0], [0.3, 0.1], [-0.2, 0.5]])
    numeric = (g[None] * np.exp(-2j * math.pi * xi @ points.T)).sum(axis=1) * (axis[1] - axis[0]) ** 2
    np.testing.assert_allclose(target.fourier_transform(xi), numeric, atol=1e-9)


def test_default_windowed_target_is_the_reference_setting():
    target = windowed_cosines()
    x = np.array([[-1.0], [0.0], [2.5]])
    expected = np.exp(-(x**2) / 4.5) * (np.cos(2 * x) + np.cos(6 * x))
    np.testing.assert_allclose(target(x), expected, rtol=1e-12)
    assert target.domain == Box((-12.0,), (12.0,))


def test_sum_of_sines_values_and_line_spectrum():
    target = multiscale_1d()
    x = torch.linspace(0, 1, 7, dtype=torch.float64)[:, None]
    expected = torch.sin(2 * math.pi * x) + 0.1 * torch.sin(50 * math.pi * x)
    torch.testing.assert_close(target(x), expected)
    k, a = target.line_spectrum()
    np.testing.assert_allclose(k[:, 0], [1.0, 25.0])
    np.testing.assert_allclose(a, [1.0, 0.1])
    assert not target.has_fourier_transform
    with pytest.raises(NotImplementedError, match="line_spectrum"):
        target.fourier_transform(np.zeros(3))


def test_rahaman_target_dft_amplitudes():
    target = rahaman(amplitudes="increasing", seed=7)
    x = np.arange(200)[:, None] / 200
    amplitude = 2 * np.abs(np.fft.rfft(target(x)[:, 0])) / 200
    np.testing.assert_allclose(amplitude[5:51:5], np.arange(1, 11) / 10, atol=1e-12)
    assert np.array_equal(rahaman(seed=7).phases, rahaman(seed=7).phases)
    assert not np.array_equal(rahaman(seed=7).phases, rahaman(seed=8).phases)


def test_power_law_signal_has_zero_bins_above_quarter():
    target = power_law_signal(n=64, exponent=1.0, seed=0)
    x = np.arange(64)[:, None] / 64
    amplitude = 2 * np.abs(np.fft.rfft(target(x)[:, 0])) / 64
    np.testing.assert_allclose(amplitude[1:17], 1.0 / np.arange(1, 17), atol=1e-12)
    np.testing.assert_allclose(amplitude[17:], 0.0, atol=1e-12)


def test_multiscale_4d_and_sampling_helpers():
    target = multiscale_4d()
    points = sample_uniform(target.domain, 50, seed=1)
    assert target(points).shape == (50, 1)
    assert target.domain.contains(points).all()
    data = sample_target(target, points, noise=0.1, seed=2)
    assert torch.equal(data.y, sample_target(target, points, noise=0.1, seed=2).y)
    assert (data.y - target(points)).std() == pytest.approx(0.1, rel=0.3)


def test_uniform_grid_is_periodic_and_last_coordinate_fastest():
    grid = uniform_grid(Box((0.0, 0.0), (1.0, 2.0)), (2, 4))
    expected = [[0, 0], [0, 0.5], [0, 1.0], [0, 1.5], [0.5, 0], [0.5, 0.5], [0.5, 1.0], [0.5, 1.5]]
    np.testing.assert_allclose(grid.numpy(), expected)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: multiscale_1d()(np.zeros((3, 2))), "x: expected 1 input dimension"),
        (lambda: multiscale_1d()(np.array([[np.nan]])), "finite"),
        (lambda: SumOfSines(np.array([1.0, 2.0]), amplitudes=np.ones(3)), "amplitudes"),
        (lambda: rahaman(amplitudes="random"), "amplitudes"),
        (lambda: power_law_signal(n=4), "n"),
        (lambda: WindowedCosines(np.array([1.0]), width=0.0), "width"),
        (lambda: Box((1.0,), (0.0,)), "hi > lo"),
    ],
)
def test_bad_input_names_the_argument(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()
