"""Generic partition path (any torch module): against the toolkit's fast paths and brute-force pattern scans.

The brute-force references never use the generic machinery: they read activation inputs with plain
forward hooks (or the pre-activations a test module stores itself), turn them into patterns with the
documented unit conventions, and locate pattern changes by dense sampling and bisection.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from spectra.models import MLP, RepNet
from spectra.partition import (
    NumericalPathWarning,
    PartitionRecorder,
    breakpoints_1d,
    partition_points,
    regions_2d,
    regions_2d_sampled,
)
from spectra.training import fit

F64 = torch.float64


class Residual(nn.Module):
    """x + relu(W x + b), then a linear read-out: a skip connection with a functional ReLU."""

    def __init__(self, d: int, width: int) -> None:
        super().__init__()
        self.embed = nn.Linear(d, width)
        self.inner = nn.Linear(width, width)
        self.out = nn.Linear(width, 1)
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)
        z = self.inner(h)
        self.seen.append(z)
        return self.out(h + F.relu(z))


class ConvNet(nn.Module):
    """Linear lift to a 16-sample signal, reshaped inside, Conv1d + nn.ReLU, MaxPool1d, linear read-out."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.lift = nn.Linear(d, 16)
        self.conv = nn.Conv1d(1, 2, 3)
        self.act = nn.ReLU()
        self.pool = nn.MaxPool1d(2)
        self.out = nn.Linear(14, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        signal = self.lift(x).reshape(len(x), 1, 16)
        return self.out(self.pool(self.act(self.conv(signal))).flatten(1))


class Functional(nn.Module):
    """F.relu, torch.relu and torch.maximum called in the forward pass; no activation modules."""

    def __init__(self, d: int, width: int) -> None:
        super().__init__()
        self.a, self.b, self.c = nn.Linear(d, width), nn.Linear(width, width), nn.Linear(width, width)
        self.out = nn.Linear(width, 1)
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z0 = self.a(x)
        self.seen.append(z0)
        z1 = self.b(F.relu(z0))
        self.seen.append(z1)
        h = torch.relu(z1)
        u, v = self.c(h), h
        self.seen.append(u - v)
        return self.out(torch.maximum(u, v))


def build(kind: str, d: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    if kind == "leaky":
        model = nn.Sequential(nn.Linear(d, 10), nn.LeakyReLU(0.1), nn.Linear(10, 10), nn.PReLU(), nn.Linear(10, 1))
    elif kind == "hardtanh":
        batchnorm = nn.BatchNorm1d(10)
        batchnorm.running_mean.uniform_(-0.5, 0.5)
        batchnorm.running_var.uniform_(0.5, 2.0)
        model = nn.Sequential(nn.Linear(d, 10), batchnorm, nn.Hardtanh(-0.5, 0.5), nn.Linear(10, 8), nn.ReLU())
        model.append(nn.Linear(8, 1))
    elif kind == "residual":
        model = Residual(d, 10)
    elif kind == "conv":
        model = ConvNet(d)
    else:
        model = Functional(d, 8)
    return model.to(F64).eval()


KINDS = ["leaky", "hardtanh", "residual", "conv", "functional"]


def reference_patterns(model: nn.Module, x: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Unit states at x (n, units) in forward order, and the units of each activation call.

    Read with hooks on activation modules and from the pre-activations test modules store; the
    documented conventions: hard-tanh gives its lower kinks then its upper ones, a max-pooling
    window of 2 one unit (the second element beats the first).
    """
    inputs: list[tuple[type, torch.Tensor]] = []
    kinds = (nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.Hardtanh, nn.MaxPool1d)
    handles = [
        m.register_forward_hook(lambda m, args, out: inputs.append((type(m), args[0])))
        for m in model.modules()
        if isinstance(m, kinds)
    ]
    if hasattr(model, "seen"):
        model.seen.clear()
    with torch.no_grad():
        model(torch.as_tensor(x, dtype=F64))
    for handle in handles:
        handle.remove()
    n = len(x)
    blocks = [z.reshape(n, -1) > 0 for z in getattr(model, "seen", [])]
    for kind, z in inputs:
        if kind is nn.Hardtanh:
            blocks.append(torch.cat([z.reshape(n, -1) > -0.5, z.reshape(n, -1) > 0.5], dim=1))
        elif kind is nn.MaxPool1d:
            windows = z.reshape(n, -1, 2)
            blocks.append(windows[..., 1] > windows[..., 0])
        else:
            blocks.append(z.reshape(n, -1) > 0)
    return torch.cat(blocks, dim=1).numpy(), [block.shape[1] for block in blocks]


def scan_flips(pattern, t0: float, t1: float, n: int = 20001, tol: float = 1e-11) -> tuple[np.ndarray, np.ndarray]:
    """Every (t, unit) where pattern(t) changes: dense sampling, then bisection of each change to ``tol``."""
    t = np.linspace(t0, t1, n)
    p = pattern(t)
    changed = (p[1:] != p[:-1]).any(axis=1)
    lo, hi, p_lo, p_hi = t[:-1][changed], t[1:][changed], p[:-1][changed], p[1:][changed]
    found_t, found_unit = [np.zeros(0)], [np.zeros(0, dtype=int)]
    while len(lo):
        done = hi - lo < tol
        k, j = np.nonzero(p_lo[done] != p_hi[done])
        found_t.append(((lo[done] + hi[done]) / 2)[k])
        found_unit.append(j)
        lo, hi, p_lo, p_hi = lo[~done], hi[~done], p_lo[~done], p_hi[~done]
        if not len(lo):
            break
        mid = (lo + hi) / 2
        p_mid = pattern(mid)
        left, right = (p_lo != p_mid).any(axis=1), (p_mid != p_hi).any(axis=1)
        lo, hi = np.concatenate([lo[left], mid[right]]), np.concatenate([mid[left], hi[right]])
        p_lo, p_hi = np.concatenate([p_lo[left], p_mid[right]]), np.concatenate([p_mid[left], p_hi[right]])
    t, unit = np.concatenate(found_t), np.concatenate(found_unit)
    order = np.lexsort((t, unit))
    return t[order], unit[order]


# --- against the toolkit's fast paths ----------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [MLP(1, 1, 12, 3, seed=0, dtype=F64), RepNet(1, 1, 10, 2, seed=1, dtype=F64, domain=(-1.0, 1.0))],
    ids=["mlp", "repnet"],
)
def test_generic_breakpoints_equal_the_toolkit_path(model):
    fast = breakpoints_1d(model, -1.5, 1.5)
    generic = breakpoints_1d(model, -1.5, 1.5, engine="generic")
    assert len(fast.activation_t) > 10 and generic.exact and "generic" in generic.method
    np.testing.assert_allclose(generic.activation_t, fast.activation_t, atol=1e-12, rtol=0)
    np.testing.assert_array_equal(generic.activation_layer, fast.activation_layer)
    np.testing.assert_array_equal(generic.activation_neuron, fast.activation_neuron)
    np.testing.assert_allclose(generic.function_t, fast.function_t, atol=1e-12, rtol=0)
    np.testing.assert_allclose(generic.slopes, fast.slopes, atol=1e-12, rtol=0)
    np.testing.assert_allclose(generic.values, fast.values, atol=1e-12, rtol=0)
    assert generic.n_neurons == fast.n_neurons and generic.n_pieces == fast.n_pieces


def test_generic_breakpoints_along_a_segment_in_3d_equal_the_toolkit_path():
    model = MLP(3, 2, 10, 2, seed=4, dtype=F64)
    fast = breakpoints_1d(model, [-1.0, 0.5, 0.0], [1.0, -0.5, 0.8])
    generic = breakpoints_1d(model, [-1.0, 0.5, 0.0], [1.0, -0.5, 0.8], engine="generic")
    np.testing.assert_allclose(generic.activation_t, fast.activation_t, atol=1e-12, rtol=0)
    np.testing.assert_array_equal(generic.activation_neuron, fast.activation_neuron)
    np.testing.assert_allclose(generic.slope_jump, fast.slope_jump, atol=1e-12, rtol=0)


@pytest.mark.parametrize(
    "model",
    [MLP(2, 1, 10, 2, seed=2, dtype=F64), RepNet(2, 1, 8, 2, seed=3, dtype=F64, domain=[(-1.0, 1.0)] * 2)],
    ids=["mlp", "repnet"],
)
def test_generic_regions_equal_the_toolkit_path(model):
    box = [(-1.0, 1.0), (-0.5, 1.5)]
    fast, generic = regions_2d(model, box), regions_2d(model, box, engine="generic")
    assert generic.count == fast.count > 10
    np.testing.assert_array_equal(generic.patterns, fast.patterns)  # same cuts in the same order
    np.testing.assert_allclose(generic.areas, fast.areas, atol=1e-13, rtol=0)
    np.testing.assert_allclose(generic.gradients, fast.gradients, atol=1e-12, rtol=0)
    np.testing.assert_allclose(generic.intercepts, fast.intercepts, atol=1e-12, rtol=0)
    sampled = regions_2d_sampled(model, box, 64), regions_2d_sampled(model, box, 64, engine="generic")
    assert sampled[0].count == sampled[1].count


# --- against brute-force scans on plain torch modules ------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_exact_breakpoints_of_torch_modules_match_a_pattern_scan(kind):
    model = build(kind, 2, seed=0)
    a, b = np.array([-3.0, 1.5]), np.array([2.5, -2.0])
    found = breakpoints_1d(model, a, b)
    _, sizes = reference_patterns(model, a[None])
    assert found.exact and found.n_neurons == sum(sizes)
    ref_t, ref_unit = scan_flips(lambda t: reference_patterns(model, found.positions(t))[0], found.start, found.stop)
    assert len(ref_t) >= 5, kind  # the segment crosses several kinks
    flat = np.concatenate([[0], np.cumsum(sizes)])[found.activation_layer] + found.activation_neuron
    order = np.lexsort((found.activation_t, flat))
    np.testing.assert_array_equal(flat[order], ref_unit)  # every unit flip found, none extra
    np.testing.assert_allclose(found.activation_t[order], ref_t, atol=1e-9, rtol=0)
    # Slopes and values are the module's own: autograd at interval midpoints, forward at the edges.
    middle = (found.edges[:-1] + found.edges[1:]) / 2
    x = torch.as_tensor(found.positions(middle)).requires_grad_(True)
    (grad,) = torch.autograd.grad(model(x).sum(), x)
    np.testing.assert_allclose(found.slopes[:, 0], grad.numpy() @ found.direction, atol=1e-10)
    with torch.no_grad():
        values = model(torch.as_tensor(found.positions(found.edges))).numpy()
    np.testing.assert_allclose(found.values, values, atol=1e-12)
    jump = np.abs(np.diff(found.slopes, axis=0)).max(axis=1)
    np.testing.assert_array_equal(found.function_t, found.edges[1:-1][jump > found.tol])


@pytest.mark.parametrize("kind", KINDS)
def test_exact_regions_of_torch_modules_match_a_fine_grid(kind):
    model = build(kind, 2, seed=1)
    box = [(-2.5, 2.5), (-2.5, 2.5)]
    regions = regions_2d(model, box)
    assert regions.count > 10 and regions.areas.sum() == pytest.approx(25.0, rel=1e-12) and (regions.areas > 0).all()
    # Each region's pattern is the module's own at an interior point, and no two regions share one.
    reference, _ = reference_patterns(model, regions.centroids)
    np.testing.assert_array_equal(regions.patterns, reference)
    assert len(np.unique(regions.patterns, axis=0)) == regions.count
    # A fine grid finds no pattern outside the regions, and every region wide enough to hold a grid point.
    n = 500
    h = 5.0 / n
    axis = np.linspace(-2.5, 2.5, n, endpoint=False) + h / 2
    grid = np.stack([m.ravel() for m in np.meshgrid(axis, axis, indexing="ij")], axis=1)
    seen = np.unique(reference_patterns(model, grid)[0], axis=0)
    known = {row.tobytes() for row in regions.patterns}
    assert all(row.tobytes() in known for row in seen)
    perimeter = np.array(
        [np.linalg.norm(np.roll(p, -1, axis=0) - p, axis=1).sum() for p in map(regions.polygon, range(regions.count))]
    )
    fat = regions.areas / perimeter > h / math.sqrt(2)  # inradius ≥ area / perimeter
    assert len(seen) >= fat.sum() and len(seen) <= regions.count
    if fat.all():
        assert len(seen) == regions.count
    with torch.no_grad():
        f = model(torch.as_tensor(regions.centroids)).numpy()
    np.testing.assert_allclose(
        np.einsum("rck,rk->rc", regions.gradients, regions.centroids) + regions.intercepts, f, atol=1e-10
    )


# --- smooth operations, refusals, the recorder -------------------------------------------------------


class Encoded(nn.Module):
    """A sin/cos Fourier-feature encoder (a module of its own) in front of a ReLU network."""

    def __init__(self) -> None:
        super().__init__()
        self.frequencies = nn.Parameter(torch.tensor([[1.0], [2.0]], dtype=F64))
        self.net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)).to(F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        phase = x @ self.frequencies.T
        return self.net(torch.cat([torch.sin(phase), torch.cos(phase)], dim=1))


def test_smooth_modules_take_the_numerical_path_and_say_which_module():
    torch.manual_seed(0)
    tanh = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1)).to(F64)
    with pytest.warns(NumericalPathWarning, match=r"tanh in '1' \(Tanh\) is not piecewise linear"):
        found = breakpoints_1d(tanh, -3.0, 3.0)
    assert not found.exact and "numerical" in found.method and found.n_breakpoints == 0  # no kinks
    w, b = tanh[0].weight.detach().numpy()[:, 0], tanh[0].bias.detach().numpy()
    centres = np.sort((-b / w)[np.abs(-b / w) < 3.0])  # transition centres: the tanh inputs' roots
    np.testing.assert_allclose(found.activation_t, centres, atol=1e-12)
    with pytest.raises(ValueError, match=r"model: expected a piecewise-linear model.*tanh in '1' \(Tanh\)"):
        breakpoints_1d(tanh, -3.0, 3.0, method="exact")
    torch.manual_seed(1)
    norm = nn.Sequential(nn.Linear(2, 6), nn.LayerNorm(6), nn.ReLU(), nn.Linear(6, 1)).to(F64)
    with pytest.raises(ValueError, match=r"layer_norm in '1' \(LayerNorm\) is smooth.*regions_2d_sampled"):
        regions_2d(norm, [(-1, 1), (-1, 1)])
    assert regions_2d_sampled(norm, [(-1, 1), (-1, 1)], 32).lower_bound
    # An encoder's kinks are found numerically: they match the pattern scan of the ReLU inputs.
    encoded = Encoded()
    with pytest.warns(NumericalPathWarning, match=r"sin in the model \(Encoded\)"):
        found = breakpoints_1d(encoded, -2.0, 2.0)

    def pattern(t: np.ndarray) -> np.ndarray:
        inputs = []
        handle = encoded.net[1].register_forward_hook(lambda m, args, out: inputs.append(args[0] > 0))
        with torch.no_grad():
            encoded(torch.as_tensor(t[:, None]))
        handle.remove()
        return inputs[0].numpy()

    ref_t, ref_unit = scan_flips(pattern, -2.0, 2.0)
    assert len(ref_t) >= 4
    order = np.lexsort((found.activation_t, found.activation_neuron))
    np.testing.assert_array_equal(found.activation_neuron[order], ref_unit)
    np.testing.assert_allclose(found.activation_t[order], ref_t, atol=1e-9)
    assert found.n_breakpoints == len(np.unique(ref_t.round(9)))  # every ReLU flip kinks f here


def test_operations_the_analysis_cannot_follow_are_refused_by_name():
    class Branchy(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.max(dim=1, keepdim=True).values

    with pytest.raises(ValueError, match=r"model: expected operations .* got 'max over a dimension.*Branchy"):
        breakpoints_1d(Branchy(), [0.0, 0.0], [1.0, 2.0])
    padded = nn.Sequential(nn.Unflatten(1, (1, 2)), nn.MaxPool1d(2, padding=1), nn.Flatten())
    with pytest.raises(ValueError, match=r"max_pool1d with padding.*'1' \(MaxPool1d\)"):
        regions_2d(padded, [(0, 1), (0, 1)])

    class Square(nn.Module):  # x · (a constant copy of x): a product the tangents cannot see
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * x.detach()

    with pytest.raises(ValueError, match="model: expected a piecewise-linear model.*off its affine piece"):
        breakpoints_1d(Square(), -1.0, 1.0)
    with pytest.raises(ValueError, match="off its region's affine map"):
        regions_2d(Square(), [(-1, 1), (-1, 1)])
    with pytest.raises(TypeError, match="model: expected an MLP or RepNet .*use breakpoints_1d.*regions_2d"):
        partition_points(nn.Linear(1, 1))
    with pytest.raises(ValueError, match="engine: expected one of 'auto', 'toolkit', 'generic'"):
        regions_2d(nn.Linear(2, 1), [(0, 1), (0, 1)], engine="fast")
    with pytest.raises(TypeError, match=r"model: expected a module that runs on inputs of shape \(1, 2\)"):
        breakpoints_1d(nn.Linear(3, 1), [0.0, 0.0], [1.0, 1.0])


def test_partition_recorder_follows_a_plain_sequential_during_fit():
    torch.manual_seed(0)
    line = nn.Sequential(nn.Linear(1, 12), nn.LeakyReLU(0.05), nn.Linear(12, 1))
    x = torch.linspace(-1.0, 1.0, 64)[:, None]
    initial = breakpoints_1d(line, -1.0, 1.0)
    history = fit(line, x, torch.sin(4 * x), steps=10, record_every=5, recorders=[PartitionRecorder()], progress=False)
    assert history.records["partition/breakpoints"][0] == initial.n_breakpoints > 0
    torch.manual_seed(1)
    plane = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
    x2 = torch.rand(50, 2, generator=torch.Generator().manual_seed(0))
    box = [(float(x2[:, k].min()), float(x2[:, k].max())) for k in range(2)]
    count = regions_2d(plane, box).count
    recorders = [PartitionRecorder(), PartitionRecorder(method="sampled", n_grid=64, name="grid")]
    history = fit(plane, x2, x2.sum(1, keepdim=True), steps=5, record_every=5, recorders=recorders, progress=False)
    assert history.records["partition/regions"][0] == count >= history.records["grid/regions"][0] > 1
