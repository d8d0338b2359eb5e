"""Empirical NTK: every method against an independent autograd Jacobian, tiling, operator, Lanczos, bad input;
layers that run twice, the model left untouched, half precision and input widths refused by name."""

from collections.abc import Callable

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from spectra.frequencies import Gaussian, Uniform
from spectra.models import (
    MLP,
    DeepONet,
    FourierFeatureMLP,
    FourierFeatures,
    RepNet,
    TwoLayerFourierNet,
    count_parameters,
)
from spectra.ntk import (
    EmpiricalNTK,
    NTKRecorder,
    analytic_nngp,
    analytic_ntk,
    empirical_ntk,
    ntk_operator,
    ntk_spectrum,
    top_eigenpairs,
)
from spectra.partition import gradient_confusion
from spectra.training import Snapshot

F64 = torch.float64


def reference_ntk(model: nn.Module, x1: torch.Tensor, x2: torch.Tensor | None = None) -> torch.Tensor:
    """Θ[i, j, o, p] = J_o(x1_i) · J_p(x2_j), J built row by row with plain autograd (independent of spectra.ntk)."""
    params = [p for p in model.parameters() if p.requires_grad]

    def jacobian(x: torch.Tensor) -> torch.Tensor:
        rows = []
        for xi in x:
            out = model(xi[None]).reshape(-1)
            per_output = []
            for o in range(len(out)):
                grads = torch.autograd.grad(out[o], params, retain_graph=True, allow_unused=True)
                per_output.append(
                    torch.cat(
                        [
                            (torch.zeros_like(p) if g is None else g).reshape(-1)
                            for g, p in zip(grads, params, strict=True)
                        ]
                    )
                )
            rows.append(torch.stack(per_output))
        return torch.stack(rows)  # (n, c, P)

    j1 = jacobian(x1)
    j2 = j1 if x2 is None else jacobian(x2)
    return torch.einsum("iaq,jbq->ijab", j1, j2).detach()


def traced(kernel: torch.Tensor) -> torch.Tensor:
    return kernel.diagonal(dim1=2, dim2=3).sum(-1)


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm().clamp(min=1e-300))


@st.composite
def random_models(draw) -> nn.Module:
    """MLP, RepNet, FF-MLP, two-layer Fourier net or a Sequential of nn.Linear, some parameters possibly frozen."""
    kind = draw(st.sampled_from(["mlp", "repnet", "fourier_mlp", "two_layer", "sequential"]))
    d = draw(st.integers(1, 3))
    out = draw(st.integers(1, 3))
    width = draw(st.integers(2, 7))
    depth = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    if kind == "mlp":
        model = MLP(
            d,
            out,
            width,
            depth,
            activation=draw(st.sampled_from(["relu", "tanh", "sin"])),
            parameterization=draw(st.sampled_from(["standard", "ntk"])),
            init=draw(st.sampled_from(["torch", "xavier", "he", "normal"])),
            seed=seed,
            dtype=F64,
        )
    elif kind == "repnet":
        model = RepNet(
            d,
            out,
            width,
            min(depth, 2),
            activation=draw(st.sampled_from(["relu", "tanh"])),
            s0=draw(st.floats(0.5, 5.0)),
            scale=draw(st.sampled_from(["shared", "per_neuron"])),
            placement=draw(st.sampled_from(["uniform_random", "uniform_grid"])),
            variant=draw(st.sampled_from(["adaptive", "frozen_scale", "init_only"])),
            output_scale=0.7,
            seed=seed,
            dtype=F64,
            domain=[(-1.0, 1.0)] * d,
        )
    elif kind == "fourier_mlp":
        encoder = FourierFeatures.gaussian(d, draw(st.integers(1, 4)), 1.5, seed=seed, trainable=draw(st.booleans()))
        model = FourierFeatureMLP(
            encoder,
            out,
            width,
            min(depth, 2),
            activation=draw(st.sampled_from(["relu", "tanh"])),
            parameterization=draw(st.sampled_from(["standard", "ntk"])),
            seed=seed,
            dtype=F64,
        )
    elif kind == "two_layer":
        model = TwoLayerFourierNet(
            d,
            2 * width,
            Gaussian(1.3, d),
            sigma_a=draw(st.floats(0.1, 2.0)),
            doubled=draw(st.booleans()),
            train_frequencies=draw(st.booleans()),
            seed=seed,
            dtype=F64,
        )
    else:
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(d, width), nn.Tanh(), nn.Linear(width, out)).to(F64)
    params = list(model.parameters())
    for index in draw(st.lists(st.integers(0, len(params) - 1), max_size=2)):
        if sum(p.requires_grad for p in params) > 1:
            params[index].requires_grad_(False)
    return model


@settings(max_examples=40, deadline=None)
@given(
    model=random_models(),
    method=st.sampled_from(["auto", "structured", "jacobian", "vector_products"]),
    full=st.booleans(),
    n1=st.integers(1, 6),
    n2=st.one_of(st.none(), st.integers(1, 5)),
    block_size=st.one_of(st.none(), st.integers(1, 4)),
    seed=st.integers(0, 1000),
)
def test_every_method_agrees_with_autograd_jacobian_contraction(model, method, full, n1, n2, block_size, seed):
    generator = torch.Generator().manual_seed(seed)
    d = model[0].in_features if isinstance(model, nn.Sequential) else model.in_features
    x1 = torch.randn(n1, d, generator=generator, dtype=F64)
    x2 = None if n2 is None else torch.randn(n2, d, generator=generator, dtype=F64)
    result = empirical_ntk(
        model, x1, x2, method=method, outputs="full" if full else "trace", block_size=block_size, progress=False
    )
    expected = reference_ntk(model, x1, x2)
    expected = expected if full else traced(expected)
    assert result.kernel.shape == expected.shape
    assert relative_error(result.kernel, expected) < 1e-10
    assert result.method == ("structured" if method == "auto" else method)


EVERY_STRUCTURED_VARIANT = {
    **{
        f"mlp_{a}_{p}": (lambda a=a, p=p: MLP(2, 2, 5, 2, activation=a, parameterization=p, seed=1, dtype=F64))
        for a in ("relu", "tanh", "sin")
        for p in ("standard", "ntk")
    },
    "mlp_input_domain": lambda: MLP(2, 2, 5, 2, activation="tanh", input_domain=[(0, 1), (-3, 5)], seed=1, dtype=F64),
    **{
        f"repnet_{v}_{s}_d{d}": (
            lambda v=v, s=s, d=d: RepNet(
                d,
                2,
                5,
                2,
                activation="tanh",
                scale=s,
                variant=v,
                s0=2.0,
                output_scale=0.5,
                seed=2,
                dtype=F64,
                domain=[(-1.0, 1.0)] * d,
            )
        )
        for v in ("adaptive", "frozen_scale", "init_only")
        for s in ("shared", "per_neuron")
        for d in (1, 2)
    },
    **{
        f"fourier_mlp_trainable_{t}": (
            lambda t=t: FourierFeatureMLP(
                FourierFeatures.gaussian(2, 3, 1.0, seed=3, trainable=t), 2, 5, 2, activation="tanh", seed=3, dtype=F64
            )
        )
        for t in (True, False)
    },
    **{
        f"two_layer_doubled_{d}_w_{t}": (
            lambda d=d, t=t: TwoLayerFourierNet(
                2, 8, Gaussian(1.0, 2), 0.8, doubled=d, train_frequencies=t, seed=4, dtype=F64
            )
        )
        for d in (True, False)
        for t in (True, False)
    },
}


@pytest.mark.parametrize("make", EVERY_STRUCTURED_VARIANT.values(), ids=EVERY_STRUCTURED_VARIANT.keys())
def test_structured_path_covers_every_parameter_of_every_model_variant(make):
    model = make()
    generator = torch.Generator().manual_seed(5)
    x1, x2 = torch.randn(6, 2, generator=generator, dtype=F64), torch.randn(4, 2, generator=generator, dtype=F64)
    x1, x2 = x1[:, : model.in_features], x2[:, : model.in_features]
    with torch.no_grad():  # as inside a training loop: the NTK code needs gradients regardless
        result = empirical_ntk(model, x1, x2, outputs="full", progress=False)
    assert result.method == "structured"
    assert relative_error(result.kernel, reference_ntk(model, x1, x2)) < 1e-12


def test_kernels_are_symmetric_positive_semidefinite():
    models = [
        MLP(2, 2, 32, 3, activation="tanh", seed=0, dtype=F64),
        RepNet(2, 1, 24, 2, scale="per_neuron", seed=1, dtype=F64, domain=[(-1.0, 1.0)] * 2),
        FourierFeatureMLP(FourierFeatures.gaussian(2, 8, 2.0, seed=2, trainable=True), 1, 16, 2, seed=2, dtype=F64),
        TwoLayerFourierNet(2, 64, Uniform.band(2.0, 2), sigma_a=0.8, seed=3, dtype=F64),
    ]
    x = torch.rand(60, 2, generator=torch.Generator().manual_seed(0), dtype=F64) * 2 - 1
    for model in models:
        for outputs in ("trace", "full"):
            kernel = empirical_ntk(model, x, outputs=outputs, block_size=16, progress=False).kernel
            matrix = (
                kernel
                if outputs == "trace"
                else kernel.permute(0, 2, 1, 3).reshape(kernel.shape[0] * kernel.shape[2], -1)
            )
            assert torch.equal(matrix, matrix.T), (type(model).__name__, outputs)
            eigenvalues = torch.linalg.eigvalsh(matrix)
            assert eigenvalues.min() >= -1e-12 * eigenvalues.max(), (type(model).__name__, outputs)


@pytest.mark.parametrize("method", ["structured", "jacobian", "vector_products"])
def test_tiled_equals_untiled(method):
    model = RepNet(2, 2, 12, 2, scale="per_neuron", seed=4, dtype=F64, domain=[(-1.0, 1.0)] * 2)
    generator = torch.Generator().manual_seed(1)
    x1, x2 = torch.randn(23, 2, generator=generator, dtype=F64), torch.randn(17, 2, generator=generator, dtype=F64)
    for x_other in (None, x2):
        for outputs in ("trace", "full"):
            whole = empirical_ntk(model, x1, x_other, method=method, outputs=outputs, progress=False).kernel
            for block in (5, 8, 22):
                tiled = empirical_ntk(
                    model, x1, x_other, method=method, outputs=outputs, block_size=block, progress=False
                ).kernel
                torch.testing.assert_close(tiled, whole, rtol=1e-13, atol=1e-13 * float(whole.abs().max()))


def test_auto_falls_back_to_the_jacobian_for_unknown_modules_and_says_why():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(1, 3, 2)
            self.head = nn.Linear(6, 1)

        def forward(self, x):
            return self.head(torch.tanh(self.conv(x[:, None, :])).flatten(1))

    model = Custom().to(F64)
    x = torch.randn(7, 3, dtype=F64, generator=torch.Generator().manual_seed(0))
    result = empirical_ntk(model, x, progress=False)
    assert result.method == "jacobian"
    assert "Custom" in result.note and "no structured rule" in result.note
    assert relative_error(result.kernel, traced(reference_ntk(model, x))) < 1e-10
    with pytest.raises(ValueError, match="method: expected a method that applies.*'structured', which does not"):
        empirical_ntk(model, x, method="structured")
    plain = empirical_ntk(nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 1)).to(F64), x, progress=False)
    assert plain.method == "structured" and plain.note is None


def test_batch_statistics_dropout_and_bad_inputs_are_refused():
    batchnorm = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Linear(4, 1)).to(F64)
    x = torch.randn(6, 2, dtype=F64)
    with pytest.raises(ValueError, match="model: expected a model whose samples do not interact.*BatchNorm1d"):
        empirical_ntk(batchnorm, x)
    batchnorm.eval()  # running statistics: samples are independent again
    assert (
        relative_error(empirical_ntk(batchnorm, x, progress=False).kernel, traced(reference_ntk(batchnorm, x))) < 1e-10
    )
    with pytest.raises(ValueError, match="model: expected a deterministic model.*Dropout"):
        empirical_ntk(nn.Sequential(nn.Linear(2, 4), nn.Dropout(0.5), nn.Linear(4, 1)), x)
    model = MLP(2, 1, 8, 2, seed=0, dtype=F64)
    cases = [
        (lambda: empirical_ntk(model, torch.randn(5, 3, dtype=F64)), r"x1: expected 2 input dimension\(s\)"),
        (lambda: empirical_ntk(model, x, torch.randn(4, 1, dtype=F64)), r"x2: expected 2 input dimension\(s\)"),
        (lambda: empirical_ntk(model, torch.tensor([[0.0, float("nan")]])), "x1: expected finite values"),
        (lambda: empirical_ntk(model, x, method="exact"), "method: expected one of"),
        (lambda: empirical_ntk(model, x, outputs="diagonal"), "outputs: expected one of"),
        (lambda: empirical_ntk(model, x, block_size=0), "block_size: expected a positive integer"),
        (lambda: empirical_ntk(model, x, dtype="float64"), "dtype: expected a floating torch.dtype"),
        (lambda: empirical_ntk("model", x), "model: expected a torch.nn.Module"),
        (lambda: top_eigenpairs(model, x, 6), "k: expected fewer eigenpairs than the operator size N = 6"),
    ]
    for call, message in cases:
        with pytest.raises((ValueError, TypeError), match=message):
            call()
    frozen = MLP(1, 1, 4, 1, seed=0).requires_grad_(False)
    with pytest.raises(ValueError, match="model: expected a module with trainable parameters"):
        empirical_ntk(frozen, torch.zeros(3, 1))


def test_memory_cap_states_the_size_and_suggests_a_block_size():
    # docs/theory.rst, "Computing the empirical NTK": the Jacobian of N = 4096 points on a 3×1024 MLP holds N·P
    # floats (32 GiB here).
    model = MLP(1, 1, 1024, 3, seed=0)
    jacobian_gib = 4096 * count_parameters(model) * 4 / 2**30
    x = torch.linspace(-1, 1, 4096)[:, None]
    with pytest.raises(ValueError, match="block_size: expected .*untiled needs about") as caught:
        empirical_ntk(model, x, method="jacobian")
    message = str(caught.value)
    needed = float(message.split("untiled needs about ")[1].split(" GB")[0])
    assert jacobian_gib < needed < 1.1 * jacobian_gib, message
    suggested = int(message.split("pass block_size=")[1].split(" ")[0])
    assert suggested < 4096
    with pytest.raises(ValueError, match="even small tiles need"):
        empirical_ntk(model, x, method="structured", max_memory_gb=0.01)


def test_operator_products_match_the_formed_kernel():
    model = MLP(2, 2, 10, 2, activation="sin", seed=3, dtype=F64)
    x = torch.randn(15, 2, generator=torch.Generator().manual_seed(2), dtype=F64)
    rng = np.random.default_rng(0)
    for outputs in ("trace", "full"):
        kernel = empirical_ntk(model, x, outputs=outputs, progress=False).kernel
        matrix = (kernel if outputs == "trace" else kernel.permute(0, 2, 1, 3).reshape(30, 30)).numpy()
        for method in ("auto", "structured", "jacobian", "vector_products"):
            operator = ntk_operator(model, x, method=method, outputs=outputs, block_size=4)
            assert operator.method == ("structured" if method == "auto" else method)
            v = rng.standard_normal((operator.shape[0], 3))
            np.testing.assert_allclose(operator @ v, matrix @ v, rtol=1e-11, atol=1e-11 * np.abs(matrix).max())
            np.testing.assert_allclose(
                operator.T @ v[:, 0], matrix @ v[:, 0], rtol=1e-11, atol=1e-11 * np.abs(matrix).max()
            )


@pytest.mark.parametrize(
    "make",
    [
        lambda: RepNet(1, 1, 32, 2, seed=0, dtype=F64, domain=(-1.0, 1.0)),
        lambda: MLP(1, 2, 24, 2, parameterization="ntk", seed=0, dtype=F64),
    ],
    ids=["repnet", "mlp_two_outputs"],
)
def test_top_eigenpairs_match_eigh_on_the_formed_kernel(make):
    model = make()
    x = torch.linspace(-1, 1, 80, dtype=F64)[:, None]
    for outputs, method in (("trace", "auto"), ("full", "auto"), ("trace", "vector_products")):
        kernel = empirical_ntk(model, x, outputs=outputs, progress=False)
        exact = ntk_spectrum(kernel, x if outputs == "trace" else None, k=6)
        lanczos = top_eigenpairs(model, x, 6, outputs=outputs, method=method, progress=False)
        np.testing.assert_allclose(lanczos.eigenvalues, exact.eigenvalues, rtol=1e-10)
        overlap = np.abs(np.sum(lanczos.eigenvectors * exact.eigenvectors, axis=0))
        gaps = -np.diff(exact.eigenvalues)
        well_separated = np.r_[gaps, np.inf][:6] > 1e-6 * exact.eigenvalues[0]
        well_separated[1:] &= gaps > 1e-6 * exact.eigenvalues[0]
        np.testing.assert_allclose(overlap[well_separated], 1.0, atol=1e-8)
        assert lanczos.n_products > 0 and lanczos.method.startswith("lanczos/")
        if outputs == "trace":
            np.testing.assert_allclose(lanczos.dominant_frequency, exact.dominant_frequency)  # x is a uniform grid
    again = top_eigenpairs(model, x, 3, progress=False)
    np.testing.assert_array_equal(again.eigenvectors, top_eigenpairs(model, x, 3, progress=False).eigenvectors)


def test_result_saves_loads_and_keeps_float32_on_request(tmp_path):
    model = TwoLayerFourierNet(1, 16, Gaussian(1.0), seed=0)  # float32 parameters
    x = torch.linspace(-1, 1, 5)[:, None]
    result = empirical_ntk(model, x, progress=False)
    assert result.kernel.dtype == torch.float32 and result.kernel.device == x.device
    assert empirical_ntk(model, x, dtype=F64, progress=False).kernel.dtype == F64
    loaded = EmpiricalNTK.load(result.save(tmp_path / "ntk.npz"))
    assert torch.equal(loaded.kernel, result.kernel) and loaded.method == "structured" and loaded.outputs == "trace"
    frame = result.to_frame()
    assert list(frame.columns) == ["i", "j", "value"] and len(frame) == 25


def shared_layer_sequential() -> nn.Sequential:
    """Issue 19's model: one Linear registered at positions 2 and 4 of a Sequential, so it runs twice."""
    torch.manual_seed(0)
    shared = nn.Linear(16, 16)
    return nn.Sequential(nn.Linear(1, 16), nn.ReLU(), shared, nn.ReLU(), shared, nn.Linear(16, 1)).to(F64)


def shared_layer_mlp() -> MLP:
    """A ReLU MLP (NTK parameterisation) whose second and third hidden layers are one Dense module."""
    model = MLP(1, 1, 8, 3, parameterization="ntk", seed=0, dtype=F64)
    model.layers[2] = model.layers[1]
    return model


def test_a_layer_that_runs_twice_takes_the_jacobian_path_and_says_why():
    model = shared_layer_sequential()
    x = torch.linspace(-1, 1, 20, dtype=F64)[:, None]
    expected = traced(reference_ntk(model, x))  # per-sample gradients J Jᵀ, shared weights counted once
    result = empirical_ntk(model, x, progress=False)
    assert result.method == "jacobian"
    assert "Linear at '2' is reused (also at '4')" in result.note
    assert relative_error(result.kernel, expected) < 1e-13  # the structured path used to be 18% off
    operator = ntk_operator(model, x)
    assert operator.method == "vector_products" and "reused" in operator.note
    v = np.random.default_rng(0).standard_normal(20)
    np.testing.assert_allclose(operator @ v, expected.numpy() @ v, rtol=1e-12)
    with pytest.raises(ValueError, match="'structured', which does not: Linear at '2' is reused"):
        empirical_ntk(model, x, method="structured")
    mlp = shared_layer_mlp()
    result = empirical_ntk(mlp, x, outputs="full", progress=False)
    assert result.method == "jacobian" and "Dense at 'layers.1' is reused (also at 'layers.2')" in result.note
    assert relative_error(result.kernel, reference_ntk(mlp, x)) < 1e-13


def model_state(model: nn.Module) -> tuple[list[tuple[str, int]], dict[str, torch.Tensor]]:
    """(every registered (name, id) of parameters, buffers and modules, duplicates included; a copy of state_dict)."""
    members = [
        (f"{kind}:{name}", id(member))
        for kind, named in (
            ("parameter", model.named_parameters(remove_duplicate=False)),
            ("buffer", model.named_buffers(remove_duplicate=False)),
            ("module", model.named_modules(remove_duplicate=False)),
        )
        for name, member in named
    ]
    return members, {k: v.clone() for k, v in model.state_dict().items()}


def calls_taking_a_model(x: torch.Tensor) -> dict[str, Callable[[nn.Module], object]]:
    """Every public function of spectra.ntk (and partition's user of torch.func) that evaluates a given model;
    the closed forms and partition tools take spectra's models only (here, the MLP)."""
    snapshot = Snapshot(0, 0.0, x, x, x, None, x)
    calls: dict[str, Callable[[nn.Module], object]] = {}
    for method in ("auto", "jacobian", "vector_products"):
        calls[f"empirical_ntk[{method}]"] = lambda m, method=method: empirical_ntk(m, x, method=method, progress=False)
        calls[f"ntk_operator[{method}]"] = lambda m, method=method: ntk_operator(m, x, method=method) @ np.ones(len(x))
    calls["top_eigenpairs"] = lambda m: top_eigenpairs(m, x, 2, progress=False)
    calls["NTKRecorder.record"] = lambda m: NTKRecorder(n_eigenvalues=3).record(m, snapshot)
    calls["gradient_confusion"] = lambda m: gradient_confusion(m, x, x, n_pairs=4, seed=0)
    calls["analytic_ntk"] = lambda m: analytic_ntk(m, x)
    calls["analytic_nngp"] = lambda m: analytic_nngp(m, x)
    return calls


MLP_ONLY = ("gradient_confusion", "analytic_ntk", "analytic_nngp")


@pytest.mark.parametrize("make", [shared_layer_sequential, shared_layer_mlp], ids=["sequential", "mlp"])
def test_the_model_is_the_same_object_graph_after_every_call(make):
    """After each call: the same Parameter, buffer and module objects under every name (the shared layer still
    at both places), an identical state_dict, and an optimiser step that still moves the shared layer."""
    x = torch.linspace(-1, 1, 7, dtype=F64)[:, None]
    for name, call in calls_taking_a_model(x).items():
        model = make()
        if name in MLP_ONLY and not isinstance(model, MLP):
            continue
        shared = model[2] if isinstance(model, nn.Sequential) else model.layers[1]
        members, state = model_state(model)
        call(model)
        after, state_after = model_state(model)
        assert after == members, name
        assert all(isinstance(p, nn.Parameter) for p in model.parameters()), name
        assert state_after.keys() == state.keys() and all(torch.equal(state[k], state_after[k]) for k in state), name
        assert (model[4] if isinstance(model, nn.Sequential) else model.layers[2]) is shared, name
        before = shared.weight.detach().clone()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        model(x).pow(2).sum().backward()
        optimizer.step()
        assert not torch.equal(shared.weight, before), f"{name}: the optimiser no longer reaches the shared layer"


@pytest.mark.parametrize("half", [torch.float16, torch.bfloat16], ids=["float16", "bfloat16"])
def test_half_precision_is_refused_by_name(half):
    model = MLP(1, 1, 8, 2, seed=0)
    x = torch.linspace(-1, 1, 6)[:, None]
    given = [
        lambda: empirical_ntk(model, x, dtype=half),
        lambda: ntk_operator(model, x, dtype=half),
        lambda: top_eigenpairs(model, x, 2, dtype=half),
        lambda: NTKRecorder(dtype=half),
    ]
    for call in given:
        with pytest.raises(ValueError, match=rf"^dtype: expected torch.float32 or torch.float64 .*got {half}$"):
            call()
    with pytest.raises(ValueError, match=rf"^dtype: expected torch.float32 .*got {half} \(the model's parameter dtype"):
        empirical_ntk(model.to(half), x.to(half))
    assert empirical_ntk(model.to(half), x, dtype=torch.float32, progress=False).kernel.dtype == torch.float32


def test_a_wrong_input_width_names_the_argument_and_the_expected_shape():
    sequential = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).to(F64)
    x = torch.linspace(-1, 1, 5, dtype=F64)[:, None]
    expected = r"expected 2 input dimension\(s\) per sample \(shape \(n, 2\)\), got Tensor of shape \(5, 1\)"
    cases = [
        (lambda: empirical_ntk(sequential, x), "x1"),
        (lambda: empirical_ntk(sequential, torch.ones(4, 2, dtype=F64), x), "x2"),
        (lambda: ntk_operator(sequential, x), "x"),
        (lambda: top_eigenpairs(sequential, x, 2), "x"),
        (lambda: NTKRecorder(x).record(sequential, Snapshot(0, 0.0, x, x, x, None, x)), "x"),
    ]
    for call, argument in cases:
        with pytest.raises(ValueError, match=rf"^{argument}: {expected}"):
            call()
    # A DeepONet reads rows [u(s_1), ..., u(s_m), y]: n_sensors + in_features columns (it used to be refused).
    net = DeepONet(MLP(3, 4, 6, 1, seed=0, dtype=F64), MLP(1, 4, 6, 1, seed=1, dtype=F64), n_sensors=3, n_basis=4)
    rows = torch.randn(5, 4, generator=torch.Generator().manual_seed(0), dtype=F64)
    result = empirical_ntk(net, rows, progress=False)
    assert result.method == "jacobian" and relative_error(result.kernel, traced(reference_ntk(net, rows))) < 1e-12
    with pytest.raises(ValueError, match=r"^x1: expected 4 input dimension\(s\)"):
        empirical_ntk(net, rows[:, :3])
