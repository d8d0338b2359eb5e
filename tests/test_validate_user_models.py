"""spectra.validate with your own network and data: a user's nn.Sequential with the weights of a built-in
model gives the built-in's numbers, user data give the numbers of the same data built in, and a network
linear in its parameters follows its linearisation exactly."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from spectra.domain import uniform_grid
from spectra.fourier import frequency_error
from spectra.models.layers import Dense
from spectra.seeding import make_generator
from spectra.validate import LinearizedSettings, MultilayerSettings, linearized_against_training
from spectra.validate.linearized import linearized_model
from spectra.validate.multilayer import mlp_network, multilayer_frequency_bias, multilayer_target

SETTINGS = LinearizedSettings(
    frequencies=(1.0, 2.0, 4.0), n_train=16, width=32, depth=1, steps=40, record_every=10, widths=(8, 32)
)


class ScaledLinear(nn.Module):
    """A user's layer: z = s_w a Wᵀ + s_b b (the NTK parameterisation written by hand)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, weight_scale: float, bias_scale: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight.detach().clone())
        self.bias = nn.Parameter(bias.detach().clone())
        self.weight_scale, self.bias_scale = weight_scale, bias_scale

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        return self.weight_scale * (a @ self.weight.T) + self.bias_scale * self.bias


def as_sequential(model: nn.Module) -> nn.Sequential:
    """The same function and parameters as a built-in ReLU network, as a plain nn.Sequential."""
    dense = [m for m in model.modules() if isinstance(m, Dense)]
    layers: list[nn.Module] = []
    for i, layer in enumerate(dense):
        layers.append(ScaledLinear(layer.weight, layer.bias, layer.weight_scale, layer.bias_scale))
        if i < len(dense) - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def test_a_users_sequential_gives_the_numbers_of_the_equivalent_builtin_mlp():
    builtin = linearized_against_training(replace(SETTINGS, models=("MLP",), width_models=("MLP",)), progress=False)
    mine = as_sequential(linearized_model("MLP", SETTINGS))
    before = [p.detach().clone() for p in mine.parameters()]
    user = linearized_against_training(
        SETTINGS,
        models={"mine": mine},
        width_models={"mine": lambda w: as_sequential(linearized_model("MLP", SETTINGS, width=w, depth=1))},
        progress=False,
    )
    assert user.models == ["mine"] and user.architecture["mine"] == "Sequential (your model)"
    assert all(torch.equal(a, b) for a, b in zip(before, mine.parameters(), strict=True))  # a copy was trained
    assert user.n_parameters["mine"] == builtin.n_parameters["MLP"] == 32 + 32 + 33
    # The generic (Jacobian) eNTK of the Sequential against the MLP's structured one: equal to rounding.
    for name in ("lr", "kernel_norm", "flow_gap"):
        assert getattr(user, name)["mine"] == pytest.approx(getattr(builtin, name)["MLP"], rel=1e-10), name
    for name in ("observed_error", "predicted_error", "residual_gap", "drift", "mode_eigenvalue", "eigenvalues"):
        # atol: the kernel's null space (eigenvalues ~1e-15 of a rank-11 kernel) is rounding either way
        expected = getattr(builtin, name)["MLP"]
        np.testing.assert_allclose(getattr(user, name)["mine"], expected, rtol=1e-8, atol=1e-12, err_msg=name)
    assert builtin.drift["MLP"][-1] > 1e-3  # the runs moved: equal numbers are not two copies of θ_0
    for name in ("width_agreement", "width_drift"):
        np.testing.assert_allclose(getattr(user, name)["mine"], getattr(builtin, name)["MLP"], rtol=1e-8)


def test_user_data_and_a_model_linear_in_its_parameters_follow_the_linearisation_exactly():
    """A frozen random ReLU layer under a trained readout: training is linear, so prediction = observation."""
    x = uniform_grid((0.0, 2.0), 24)  # period 2: DFT bins at multiples of 1/2 cycle per unit length
    y = torch.sin(2 * math.pi * x) + 0.5 * torch.cos(2 * math.pi * 2 * x + 0.3)
    torch.manual_seed(0)
    features = nn.Linear(1, 64).double().requires_grad_(False)
    model = nn.Sequential(features, nn.ReLU(), nn.Linear(64, 1).double())
    with torch.no_grad():
        f0 = model(x)
    settings = LinearizedSettings(frequencies=(1.0, 2.0), steps=60, record_every=20, widths=())
    result = linearized_against_training(settings, models={"readout": model}, data=(x, y), progress=False)
    initial = frequency_error(f0, y, x, np.array([1.0, 2.0])).error.reshape(-1)  # Δ(k, 0), computed independently
    np.testing.assert_allclose(result.observed_error["readout"][0], initial, rtol=1e-12)
    assert result.residual_gap["readout"].max() < 1e-10  # exactly linear training
    assert result.drift["readout"].max() < 1e-12  # a constant kernel
    assert np.all(result.observed_error["readout"][-1] < initial)  # and it learned
    assert result.n_parameters["readout"] == 65 and len(result.eigenvalues["readout"]) == 24


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(models={"bad": "MLP"}), r"models\['bad'\]: expected a torch.nn.Module"),
        (dict(models={}), "models: expected a non-empty mapping"),
        (dict(models={"wide": nn.Linear(1, 2)}), r"models\['wide'\]: expected a module mapping the inputs"),
        (dict(width_models={"w": nn.Linear(1, 1)}), r"width_models\['w'\]: expected a factory"),
        (dict(data=(torch.rand(16, 1), torch.zeros(16, 1))), "x: expected a uniform grid"),
        (dict(data=(uniform_grid((0, 1), 16), torch.zeros(8, 1))), "y: expected one target value per point"),
        (dict(data=(uniform_grid((0, 1), 6), torch.zeros(6, 1))), "frequencies: expected frequencies up to"),
        (dict(data=torch.zeros(3)), "data: expected a pair"),
    ],
)
def test_bad_user_input_names_the_argument(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        linearized_against_training(SETTINGS, progress=False, **kwargs)


MULTILAYER = MultilayerSettings(
    frequencies=(2, 5), n_points=32, n_features=16, width=16, depth=1, steps=30, record_every=2, seeds=(0,)
)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # rates of a tiny run: the warnings are not the point here
def test_multilayer_with_a_users_network_and_data_gives_the_builtin_numbers():
    builtin = multilayer_frequency_bias(MULTILAYER, progress=False)
    built = mlp_network(MULTILAYER)
    network = multilayer_frequency_bias(
        MULTILAYER,
        network=lambda encoder, seed: nn.Sequential(encoder, as_sequential(built(encoder, seed))),
        progress=False,
    )
    phase_seed = torch.randint(0, 2**62, (3,), generator=make_generator(0)).tolist()[0]  # as the study draws it
    x = uniform_grid((0.0, 1.0), MULTILAYER.n_points)
    data = multilayer_frequency_bias(MULTILAYER, data=(x, multilayer_target(MULTILAYER, phase_seed)(x)), progress=False)
    assert builtin.error[:, 0, -1].max() < 0.9 * builtin.error[:, 0, 0].min()  # it trained
    for name in ("lr", "error", "rate", "kernel_rate"):
        np.testing.assert_allclose(getattr(network, name), getattr(builtin, name), rtol=1e-8, err_msg=name)
        np.testing.assert_array_equal(getattr(data, name), getattr(builtin, name), err_msg=name)


def test_multilayer_bad_user_input_names_the_argument():
    with pytest.raises(TypeError, match="network: expected a factory"):
        multilayer_frequency_bias(MULTILAYER, network=nn.Linear(1, 1), progress=False)
    with pytest.raises(TypeError, match="network: expected a torch.nn.Module"):
        multilayer_frequency_bias(MULTILAYER, network=lambda encoder, seed: None, progress=False)
    with pytest.raises(ValueError, match="x: expected 1 input dimension"):
        multilayer_frequency_bias(MULTILAYER, data=(torch.zeros(8, 2), torch.zeros(8, 1)), progress=False)
