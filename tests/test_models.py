"""Models: RepNet partition points and magnitudes, doubled initialisation, the two-layer net's NTK, seeds that
give the same weights in every dtype."""

import math

import numpy as np
import pytest
import torch

from spectra.frequencies import Gaussian, Uniform
from spectra.models import (
    MLP,
    DeepONet,
    FourierFeatureMLP,
    FourierFeatures,
    RepNet,
    TwoLayerFourierNet,
    count_parameters,
    shallow_relu_magnitudes,
)
from spectra.models.repnet import RepLayer


def kinks(model: RepNet) -> np.ndarray:
    w, b = model.first_layer_weight_bias()
    return (-b / w[:, 0]).detach().numpy()


@pytest.mark.parametrize("variant", ["adaptive", "frozen_scale", "init_only"])
@pytest.mark.parametrize("scale", ["shared", "per_neuron"])
def test_repnet_1d_partition_points_are_the_configured_offsets(variant, scale):
    model = RepNet(1, width=40, domain=(-2.0, 3.0), variant=variant, scale=scale, s0=2.5, seed=0, dtype=torch.float64)
    reference = RepNet(
        1, width=40, domain=(-2.0, 3.0), variant="adaptive", scale=scale, s0=2.5, seed=0, dtype=torch.float64
    )
    layer = reference.first
    expected = (layer.offset * torch.sign(layer.direction[:, 0])).detach().numpy()  # x_i = p_i sign(v_i)
    np.testing.assert_allclose(kinks(model), expected, rtol=1e-12, atol=1e-12)
    assert np.all((expected >= -2.0) & (expected <= 3.0))
    w, _ = model.first_layer_weight_bias()
    np.testing.assert_allclose(w.abs().detach().numpy(), 2.5)  # |w_i| = s0: the slope scale


def test_repnet_uniform_grid_places_kinks_on_the_grid():
    model = RepNet(1, width=50, domain=(0.0, 1.0), placement="uniform_grid", seed=3, dtype=torch.float64)
    np.testing.assert_allclose(np.sort(kinks(model)), (np.arange(50) + 0.5) / 50, atol=1e-12)


def test_repnet_quantile_placement_follows_the_data():
    data = torch.rand(5000, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64) ** 3
    model = RepNet(1, width=20, placement="quantiles", data=data, seed=1, dtype=torch.float64)
    levels = (np.arange(20) + 0.5) / 20
    np.testing.assert_allclose(np.sort(kinks(model)), np.quantile(data.numpy()[:, 0], levels), atol=1e-9)


def test_repnet_trainable_sets_per_variant():
    names = {
        v: {n for n, p in RepNet(2, width=8, variant=v, seed=0, domain=[(-1.0, 1.0)] * 2).named_parameters()}
        for v in ("adaptive", "frozen_scale", "init_only")
    }
    assert {"first.direction", "first.offset", "first.log_scale"} <= names["adaptive"]
    assert "first.scale" not in names["frozen_scale"] and "first.offset" in names["frozen_scale"]
    assert {"first.weight", "first.bias"} <= names["init_only"]


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_adaptive_scale_moves_under_adam_and_a_frozen_one_does_not(activation):
    # Stored as s itself, s0 = 2π·25 moved by 0.01% (ReLU) in 5000 Adam steps: "adaptive" was "frozen".
    from spectra.targets import multiscale_1d
    from spectra.training import fit

    target, x = multiscale_1d(), torch.linspace(0, 1, 128)[:, None]
    moved = {}
    for variant in ("adaptive", "frozen_scale"):
        model = RepNet(1, 1, 24, 2, activation=activation, s0=2 * math.pi * 25, data=x, variant=variant, seed=0)
        fit(model, x, target(x), lr=3e-3, steps=150, record_every=150, progress=False)
        moved[variant] = float(model.first.scale.item() / (2 * math.pi * 25) - 1)
    assert abs(moved["adaptive"]) > 0.01
    assert moved["frozen_scale"] == pytest.approx(0.0, abs=1e-6)


def test_repnet_domain_is_the_data_box_and_never_a_silent_default():
    data = torch.rand(200, 2, dtype=torch.float64) * torch.tensor([3.0, 0.5]) + torch.tensor([2.0, -1.0])
    model = RepNet(2, 1, 16, 1, placement="uniform_grid", data=data, seed=0, dtype=torch.float64)
    lo, hi = data.min(dim=0).values, data.max(dim=0).values
    assert model.domain.lo == tuple(lo.tolist()) and model.domain.hi == tuple(hi.tolist())
    w, b = model.first_layer_weight_bias()
    unit = w / w.norm(dim=1, keepdim=True)
    level = -b / w.norm(dim=1)  # v·x = p on every partition hyperplane: p inside the range of v·x over the box
    corners = torch.cartesian_prod(torch.stack([lo[0], hi[0]]), torch.stack([lo[1], hi[1]]))
    projections = corners @ unit.T
    assert bool(((level > projections.min(dim=0).values) & (level < projections.max(dim=0).values)).all())
    with pytest.raises(ValueError, match=r"domain: expected the box of the training inputs .* got neither"):
        RepNet(1, 1, 8)


def test_relu_s0_does_not_change_the_initial_function_tanh_s0_does():
    # ReLU(s z) = s ReLU(z) and zero deeper biases: every activation scales with s0, the calibrated output by 1/s0.
    x = torch.linspace(0, 1, 301, dtype=torch.float64)[:, None]

    def initial(activation, s0):
        return RepNet(1, 1, 32, 3, activation=activation, s0=s0, domain=(0, 1), seed=4, dtype=torch.float64)(x)

    for s0 in (10.0, 1000.0):
        assert torch.allclose(initial("relu", s0), initial("relu", 1.0), rtol=1e-9, atol=1e-12)
    assert (initial("tanh", 100.0) - initial("tanh", 1.0)).abs().max() > 0.1


def test_input_domain_maps_the_box_onto_the_unit_cube_and_the_effective_map_acts_on_raw_inputs():
    model = MLP(2, 1, 8, 2, input_domain=[(0.0, 4.0), (-3.0, -1.0)], seed=0, dtype=torch.float64)
    first = model.layers[0]
    corners = torch.tensor([[0.0, -3.0], [4.0, -1.0], [2.0, -2.0]], dtype=torch.float64)
    expected = torch.tensor([[-1.0, -1.0], [1.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    assert torch.allclose(first.normalise(corners), expected)
    raw = torch.randn(50, 2, dtype=torch.float64)
    affine = raw @ first.effective_weight().T + first.effective_bias()
    assert torch.allclose(first(raw), affine, atol=1e-12)
    with pytest.raises(ValueError, match="input_domain: expected a box in 2 dimension"):
        MLP(2, input_domain=(0, 1))


def test_repnet_d_dim_hyperplanes_cross_the_domain():
    model = RepNet(3, width=200, domain=[(0, 1), (0, 2), (-1, 1)], seed=0, dtype=torch.float64)
    layer: RepLayer = model.first
    v = layer.unit_direction().detach()
    corners = torch.tensor([[a, b, c] for a in (0, 1) for b in (0, 2) for c in (-1, 1)], dtype=torch.float64)
    projections = corners @ v.T
    p = layer.offset.detach()
    assert torch.all((projections.min(0).values <= p) & (p <= projections.max(0).values))


def test_shallow_magnitude_estimates_match_monte_carlo_at_width_1000():
    # 2000 independent width-1000 networks, read as the neuron groups of one wide RepNet.
    width, draws, s, sigma_c, (a, b) = 1000, 2000, 3.0, 0.05, (-1.0, 2.0)
    model = RepNet(1, width=width * draws, s0=s, domain=(a, b), output_scale=sigma_c, seed=11, dtype=torch.float64)
    x = torch.tensor([[-1.0], [-0.2], [0.5], [1.3], [2.0]], dtype=torch.float64)
    with torch.no_grad():
        c = model.layers[-1].weight[0]
        w, bias = model.first_layer_weight_bias()
        z = x @ w.T + bias
        u = (c * torch.relu(z)).reshape(len(x), draws, width).sum(-1)
        slope = (c * w[:, 0] * (z > 0)).reshape(len(x), draws, width).sum(-1)
    estimate = shallow_relu_magnitudes(width, s, sigma_c, (a, b), x.numpy()[:, 0])
    np.testing.assert_allclose(u.var(dim=1).numpy(), estimate.output_variance, rtol=0.10)
    np.testing.assert_allclose(slope.var(dim=1).numpy(), estimate.slope_variance, rtol=0.10)
    assert estimate.output_variance.min() == pytest.approx(estimate.output_variance_midpoint, rel=1e-12)
    assert estimate.output_variance.max() == pytest.approx(estimate.output_variance_ends, rel=1e-12)


@pytest.mark.parametrize("depth, activation", [(1, "relu"), (3, "relu"), (2, "tanh")])
def test_repnet_auto_output_scale_gives_order_one_output(depth, activation):
    outputs = torch.cat(
        [
            RepNet(1, width=256, depth=depth, activation=activation, s0=20.0, domain=(0, 1), seed=k)(
                torch.linspace(0, 1, 101)[:, None]
            ).detach()
            for k in range(20)
        ]
    )
    assert outputs.pow(2).mean().sqrt().item() == pytest.approx(1.0, rel=0.35)


def test_doubled_two_layer_net_is_exactly_zero_and_trains_away_from_it():
    model = TwoLayerFourierNet(2, 1000, Gaussian(2.0, dim=2), sigma_a=1.5, doubled=True, seed=0)
    x = torch.randn(64, 2)
    assert torch.count_nonzero(model(x)) == 0
    loss = (model(x) - 1).pow(2).mean()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    assert torch.count_nonzero(model(x)) > 0
    with pytest.raises(ValueError, match="even width"):
        TwoLayerFourierNet(1, 11, Gaussian(1.0), doubled=True)


def autograd_ntk(model, x):
    """Θ = J Jᵀ with J built row by row with plain autograd (independent of spectra.ntk)."""
    params = [p for p in model.parameters() if p.requires_grad]
    rows = []
    for xi in x:
        grads = torch.autograd.grad(model(xi[None])[0, 0], params)
        rows.append(torch.cat([g.reshape(-1) for g in grads]))
    jac = torch.stack(rows)
    return (jac @ jac.T).detach().numpy()


@pytest.mark.parametrize("rho_w", [Gaussian(1.0), Uniform.band(1.5)], ids=["gaussian", "uniform"])
def test_two_layer_empirical_ntk_approaches_closed_form_like_inverse_sqrt_width(rho_w):
    sigma_a = 0.3
    x = torch.linspace(-1, 1, 12, dtype=torch.float64)[:, None]
    z = (x - x.T).numpy().reshape(-1, 1)
    theta_inf = (1 + 4 * math.pi**2 * sigma_a**2 * (x @ x.T).numpy()) * rho_w.kernel(z).reshape(12, 12)
    widths = [64, 256, 1024, 4096]
    errors = []
    for m in widths:
        trials = [
            np.linalg.norm(
                autograd_ntk(TwoLayerFourierNet(1, m, rho_w, sigma_a, seed=s, dtype=torch.float64), x) - theta_inf
            )
            for s in range(6)
        ]
        errors.append(np.mean(trials) / np.linalg.norm(theta_inf))
    slope = np.polyfit(np.log(widths), np.log(errors), 1)[0]
    assert -0.7 < slope < -0.35, (errors, slope)
    assert errors[-1] < 0.06


def test_frozen_frequencies_drop_the_x_dot_x_term():
    rho_w = Gaussian(1.0)
    x = torch.linspace(-1, 1, 6, dtype=torch.float64)[:, None]
    model = TwoLayerFourierNet(1, 20000, rho_w, sigma_a=2.0, train_frequencies=False, seed=0, dtype=torch.float64)
    theta_inf = rho_w.kernel((x - x.T).numpy().reshape(-1, 1)).reshape(6, 6)
    np.testing.assert_allclose(autograd_ntk(model, x), theta_inf, atol=0.03)


def test_mlp_parameterizations_and_inits():
    ntk = MLP(3, 2, 50, 2, parameterization="ntk", seed=0)
    assert ntk.layers[0].weight_scale == pytest.approx(math.sqrt(2) / math.sqrt(3))
    assert torch.allclose(ntk.layers[1].weight.std(), torch.tensor(1.0), atol=0.05)
    xavier = MLP(3, 1, 50, 2, init="xavier", seed=0)
    assert torch.count_nonzero(xavier.layers[0].bias) == 0
    torch_init = MLP(1, 1, 1000, 1, seed=0)
    assert torch_init.layers[0].weight.abs().max() <= 1.0  # |w| <= 1/sqrt(fan_in) = 1: kinks -b/w spread wide
    assert count_parameters(MLP(2, 1, 10, 2)) == (2 * 10 + 10) + (10 * 10 + 10) + (10 + 1)
    assert torch.equal(MLP(2, 1, 8, 2, seed=4)(torch.ones(1, 2)), MLP(2, 1, 8, 2, seed=4)(torch.ones(1, 2)))


def test_fourier_feature_mappings():
    x = torch.tensor([[0.25]], dtype=torch.float64)
    basic = FourierFeatures.basic(1).double()
    torch.testing.assert_close(basic(x), torch.tensor([[0.0, 1.0]], dtype=torch.float64), atol=1e-12, rtol=0)
    positional = FourierFeatures.positional(2, levels=3)
    torch.testing.assert_close(
        positional.frequencies[:, 0], torch.tensor([0.5, 0, 1, 0, 2, 0], dtype=torch.get_default_dtype())
    )
    power = FourierFeatures.power_law(8, exponent=1.0)
    torch.testing.assert_close(power.amplitudes, 1 / torch.arange(1, 9, dtype=torch.get_default_dtype()))
    assert FourierFeatures.power_law(8, math.inf).amplitudes.sum() == 1
    trainable = FourierFeatures.gaussian(2, 16, 3.0, seed=0, trainable=True)
    model = FourierFeatureMLP(trainable, width=16, depth=2, seed=0)
    assert "encoder.frequencies" in dict(model.named_parameters())
    assert model(torch.zeros(5, 2)).shape == (5, 1)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: MLP(1, width=0), "width: expected a positive integer"),
        (lambda: MLP(1, activation="gelu"), "activation"),
        (lambda: MLP(1, parameterization="mup"), "parameterization"),
        (lambda: MLP(2)(torch.zeros(4, 3)), r"x: expected shape \(n, 2\)"),
        (lambda: RepNet(1, s0=0.0, domain=(-1.0, 1.0)), "s0"),
        (lambda: RepNet(1, placement="quantiles", domain=(-1.0, 1.0)), "data"),
        (lambda: RepNet(1, variant="lazy", domain=(-1.0, 1.0)), "variant"),
        (lambda: RepNet(2, domain=(0, 1)), "domain"),
        (lambda: TwoLayerFourierNet(2, 10, Gaussian(1.0)), "rho_w"),
        (lambda: TwoLayerFourierNet(1, 10, "gaussian"), "rho_w"),
        (lambda: FourierFeatures.power_law(4, -1.0), "exponent"),
    ],
)
def test_bad_input_names_the_argument(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def float64_encoder(seed: int) -> FourierFeatures:
    return FourierFeatures(Gaussian(1.5, 2).sample(6, seed), trainable=True, dtype=torch.float64)


SEEDED_MODELS = {
    **{
        f"mlp_{p}_{i}": (lambda dtype, p=p, i=i: MLP(2, 2, 16, 2, parameterization=p, init=i, seed=0, dtype=dtype))
        for p, i in [("ntk", "torch"), ("standard", "torch"), ("standard", "xavier"), ("standard", "he")]
    },
    **{
        f"repnet_{v}": (
            lambda dtype, v=v: RepNet(
                2, 1, 16, 2, variant=v, scale="per_neuron", seed=0, dtype=dtype, domain=[(-1.0, 1.0)] * 2
            )
        )
        for v in ("adaptive", "init_only")
    },
    "fourier_features": lambda dtype: FourierFeatures.gaussian(2, 6, 1.5, seed=0, trainable=True).to(dtype),
    "fourier_feature_mlp": lambda dtype: FourierFeatureMLP(float64_encoder(0), 1, 16, 2, seed=0, dtype=dtype),
    "two_layer": lambda dtype: TwoLayerFourierNet(2, 16, Gaussian(1.0, 2), doubled=True, seed=0, dtype=dtype),
    "deeponet": lambda dtype: DeepONet(
        MLP(3, 8, 16, 1, seed=0, dtype=dtype), MLP(1, 8, 16, 1, seed=1, dtype=dtype), n_sensors=3, n_basis=8
    ),
}


@pytest.mark.parametrize("make", SEEDED_MODELS.values(), ids=SEEDED_MODELS.keys())
def test_a_seed_gives_the_same_weights_built_in_float64_or_converted_from_float32(make):
    """Weights are drawn in float64 on the CPU and then cast: model(seed, float32).double() is the float64 model's
    weights rounded to float32 (|ΔW| ≤ 2^-24 |W|; RepNet's output scale is calibrated in the model's dtype). Before,
    float32 and float64 drew from different streams (max |ΔW| = 1.58 for an MLP)."""
    converted, built = make(torch.float32).double(), make(torch.float64)
    for (name, a), (_, b) in zip(converted.state_dict().items(), built.state_dict().items(), strict=True):
        assert a.dtype == b.dtype == torch.float64, name
        assert torch.all((a - b).abs() <= 1e-6 * b.abs()), (name, float((a - b).abs().max()))


def test_float32_weights_are_the_float64_draws_rounded_exactly():
    for options in ({"parameterization": "ntk"}, {"init": "torch"}, {"init": "he"}, {"init": "normal"}):
        float32 = MLP(3, 2, 8, 2, seed=5, dtype=torch.float32, **options)
        rounded = MLP(3, 2, 8, 2, seed=5, dtype=torch.float64, **options).float()
        for a, b in zip(float32.parameters(), rounded.parameters(), strict=True):
            assert torch.equal(a, b), options
