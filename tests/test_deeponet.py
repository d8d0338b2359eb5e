"""DeepONet: shapes, pairs against the Cartesian form, a hand-built quadrature operator against the exact
antiderivative data (with its convergence order), and a small DeepONet that learns the operator."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from spectra.models import MLP
from spectra.models.deeponet import DeepONet, OperatorData, OperatorLoss, antiderivative_data, pairs
from spectra.training import fit, mean_loss


def small_deeponet(n_sensors=10, n_basis=6, out_features=1, seed=0):
    branch = MLP(n_sensors, n_basis * out_features, 16, 2, activation="tanh", seed=seed, dtype=torch.float64)
    trunk = MLP(1, n_basis * out_features, 16, 2, activation="tanh", seed=seed + 1, dtype=torch.float64)
    return DeepONet(branch, trunk, n_sensors=n_sensors, n_basis=n_basis, out_features=out_features)


@pytest.mark.parametrize("out_features", [1, 3])
def test_shapes_and_pairs_agree_with_the_cartesian_form(out_features):
    model = small_deeponet(out_features=out_features)
    with torch.no_grad():
        model.bias.copy_(torch.arange(out_features, dtype=torch.float64))
    u = torch.randn(4, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = torch.rand(7, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    grid = model.operator(u, y)
    assert grid.shape == (4, 7, out_features)
    rows = pairs(u, y)
    assert rows.shape == (28, 11)
    torch.testing.assert_close(rows[7 * 2 + 3], torch.cat([u[2], y[3]]))  # function-major order
    torch.testing.assert_close(model(rows), grid.reshape(28, out_features))


class HatIntegrals(nn.Module):
    """t_j(y) = ∫_0^y φ_j(x) dx for the hat functions φ_j of the sensors s_j (spacing h): the trunk of a
    DeepONet that integrates the piecewise-linear interpolant of u exactly."""

    def __init__(self, sensors: torch.Tensor):
        super().__init__()
        self.register_buffer("sensors", sensors)
        self.h = float(sensors[1] - sensors[0])
        self.dummy = nn.Parameter(torch.zeros((), dtype=sensors.dtype))  # DeepONet reads a dtype from it

    def cumulative(self, t: torch.Tensor) -> torch.Tensor:  # ∫_{-∞}^t of each hat, (n, m)
        z = (t - self.sensors) / self.h  # position relative to the centre in units of h
        left = 0.5 * (z + 1).clamp(0, 1) ** 2
        right = 0.5 - 0.5 * (1 - z.clamp(0, 1)) ** 2
        return self.h * (torch.where(z < 0, left, 0.5 + right))

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return self.cumulative(y) - self.cumulative(torch.zeros_like(y))


def quadrature_deeponet(n_sensors: int) -> DeepONet:
    sensors = torch.linspace(0.0, 1.0, n_sensors, dtype=torch.float64)
    branch = nn.Linear(n_sensors, n_sensors, bias=False, dtype=torch.float64)
    with torch.no_grad():
        branch.weight.copy_(torch.eye(n_sensors, dtype=torch.float64))
    return DeepONet(branch, HatIntegrals(sensors), n_sensors=n_sensors, n_basis=n_sensors)


def test_a_known_operator_reproduces_the_exact_antiderivative_to_second_order():
    errors = []
    for n_sensors in (101, 201):
        data = antiderivative_data(8, n_sensors, 64, bands=((1, 3), (6, 8)), scales=(1.0, 0.1), seed=0)
        u, y, s = data.tensors(torch.float64)
        with torch.no_grad():
            prediction = quadrature_deeponet(n_sensors).operator(u, y)
        errors.append(float((prediction - s).abs().max() / s.abs().max()))
    assert errors[1] < 1e-3
    assert 3.0 < errors[0] / errors[1] < 5.0  # trapezoidal rule: O(h²)


def test_antiderivative_data_is_the_integral_of_its_inputs():
    data = antiderivative_data(3, 50, 32, seed=1)
    assert data.u.shape == (3, 50) and data.y.shape == (32, 1) and data.s.shape == (3, 32, 1)
    np.testing.assert_allclose(data.s[:, 0, 0], 0.0, atol=1e-12)  # G(u)(0) = 0

    def u(x):  # the inputs from their definition, (F, n)
        phase = 2 * math.pi * (x[None, :, None] * data.frequencies + data.phases[:, None, :])
        return (np.sin(phase) * data.coefficients[:, None, :]).sum(-1)

    np.testing.assert_allclose(u(data.sensors), data.u, atol=1e-10)
    # A fine trapezoidal integral of u up to each query point against the closed form.
    for q in (5, 17, 31):
        x = np.linspace(0.0, data.y[q, 0], 20001)
        np.testing.assert_allclose(np.trapezoid(u(x), x, axis=1), data.s[:, q, 0], atol=1e-5)
    # The slow band has output size about 1, the fast one about 0.1.
    fast = antiderivative_data(400, 8, 64, bands=((20, 25),), scales=(0.1,), seed=2).s
    assert 0.05 < fast.std() < 0.15
    frame = data.to_frame()
    assert len(frame) == 3 * 32 and set(frame.columns) == {"function", "output", "y0", "s"}


def test_operator_data_round_trip(tmp_path):
    data = antiderivative_data(2, 12, 8, seed=3)
    data.save(tmp_path / "data.npz")
    loaded = OperatorData.load(tmp_path / "data.npz")
    np.testing.assert_array_equal(loaded.s, data.s)
    np.testing.assert_array_equal(loaded.coefficients, data.coefficients)


def test_operator_loss_is_the_mean_loss_over_pairs_and_trains_a_deeponet():
    data = antiderivative_data(128, 16, 32, bands=((1, 2),), scales=(1.0,), seed=4)
    test = antiderivative_data(16, 16, 32, bands=((1, 2),), scales=(1.0,), seed=5)
    scale = float(data.u.std())  # branch inputs of order 1
    (u, y, s), (u_test, _, s_test) = data.tensors(torch.float64), test.tensors(torch.float64)
    u, u_test = u / scale, u_test / scale
    model = small_deeponet(n_sensors=16, n_basis=8)
    loss = OperatorLoss(u, y, s)
    torch.testing.assert_close(loss(model), mean_loss(model(pairs(u, y)), s.reshape(-1, 1)))
    fit(model, pairs(u, y), None, objective=loss, lr=3e-3, steps=1000, progress=False)
    with torch.no_grad():
        relative = float((model.operator(u_test, y) - s_test).norm() / s_test.norm())
    assert relative < 0.1  # held-out input functions


def test_bad_input_names_the_argument():
    model = small_deeponet()
    with pytest.raises(ValueError, match=r"x: expected shape \(n, 11\)"):
        model(torch.zeros(3, 10, dtype=torch.float64))
    wrong = DeepONet(MLP(10, 5, 8, 1), MLP(1, 6, 8, 1), n_sensors=10, n_basis=6)
    with pytest.raises(ValueError, match="branch: expected a module returning shape"):
        wrong.operator(torch.zeros(2, 10), torch.zeros(3, 1))
    with pytest.raises(TypeError, match="trunk: expected a torch.nn.Module"):
        DeepONet(MLP(10, 6, 8, 1), "trunk", n_sensors=10, n_basis=6)
    with pytest.raises(ValueError, match="s: expected outputs of shape"):
        OperatorLoss(torch.zeros(4, 10), torch.zeros(3, 1), torch.zeros(4, 2, 1))
    with pytest.raises(ValueError, match="scales: expected one scale per band"):
        antiderivative_data(2, bands=((1, 2), (3, 4)), scales=(1.0,))
    with pytest.raises(ValueError, match="bands: expected"):
        antiderivative_data(2, bands=((5, 2),), scales=(1.0,))
