"""Partition geometry: exact breakpoints and regions against dense sampling, autograd and analytic counts."""

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from spectra.models import MLP, FourierFeatureMLP, FourierFeatures, RepNet
from spectra.partition import (
    Breakpoints,
    NeuronActivity,
    PartitionRecorder,
    Regions2D,
    activation_patterns,
    boundary_distance,
    breakpoints_1d,
    count_patterns,
    dead_neurons,
    global_pairs,
    gradient_confusion,
    hamming_pairs,
    local_pairs,
    partition_points,
    regions_2d,
    regions_2d_sampled,
)
from spectra.partition.patterns import pack_patterns
from spectra.partition.roots import brent
from spectra.plots.partition import plot_breakpoint_density, plot_regions_2d
from spectra.training import fit

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
F64 = torch.float64


def neuron_offsets(model) -> np.ndarray:
    inner = model.mlp if isinstance(model, FourierFeatureMLP) else model
    return np.concatenate([[0], np.cumsum([inner.width] * inner.depth)])


def reference_flips(model, points, t0: float, t1: float, n: int = 20001, tol: float = 1e-9):
    """Every (t, flat neuron) where the activation pattern changes: dense sampling, then bisection to ``tol``.

    Independent of the exact geometry: it only evaluates the model's own forward pass at points.
    """

    def pattern(t: np.ndarray) -> np.ndarray:
        return activation_patterns(model, torch.as_tensor(points(t))).numpy()

    t = np.linspace(t0, t1, n)
    p = pattern(t)
    changed = (p[1:] != p[:-1]).any(axis=1)
    lo, hi, p_lo, p_hi = t[:-1][changed], t[1:][changed], p[:-1][changed], p[1:][changed]
    found_t, found_neuron = [], []
    while len(lo):
        done = hi - lo < tol
        k, j = np.nonzero(p_lo[done] != p_hi[done])
        found_t.append(((lo[done] + hi[done]) / 2)[k])
        found_neuron.append(j)
        lo, hi, p_lo, p_hi = lo[~done], hi[~done], p_lo[~done], p_hi[~done]
        mid = (lo + hi) / 2
        p_mid = pattern(mid) if len(mid) else p_lo
        left, right = (p_lo != p_mid).any(axis=1), (p_mid != p_hi).any(axis=1)
        lo, hi = np.concatenate([lo[left], mid[right]]), np.concatenate([mid[left], hi[right]])
        p_lo, p_hi = np.concatenate([p_lo[left], p_mid[right]]), np.concatenate([p_mid[left], p_hi[right]])
    t, j = np.concatenate([np.zeros(0), *found_t]), np.concatenate([np.zeros(0, dtype=int), *found_neuron])
    order = np.lexsort((t, j))
    return t[order], j[order]


def assert_matches_reference(model, result: Breakpoints, atol: float = 3e-9) -> None:
    # A kink exactly at an end (z = 0 there) is no interior breakpoint, but sampling sees a change next to it.
    def interior(t: np.ndarray) -> np.ndarray:
        return (t > result.start + 1e-8) & (t < result.stop - 1e-8)

    keep = interior(result.activation_t)
    flat = (neuron_offsets(model)[result.activation_layer] + result.activation_neuron)[keep]
    t = result.activation_t[keep]
    order = np.lexsort((t, flat))
    ref_t, ref_neuron = reference_flips(model, result.positions, result.start, result.stop)
    ref_keep = interior(ref_t)
    np.testing.assert_array_equal(flat[order], ref_neuron[ref_keep])  # every neuron flip found, none extra
    np.testing.assert_allclose(t[order], ref_t[ref_keep], atol=atol, rtol=0)


def autograd_slopes(model, result: Breakpoints, t: np.ndarray) -> np.ndarray:
    x = torch.as_tensor(result.positions(t)).requires_grad_(True)
    out = model(x)
    columns = [torch.autograd.grad(out[:, k].sum(), x, retain_graph=True)[0] for k in range(out.shape[1])]
    return np.stack([(c.numpy() @ result.direction) for c in columns], axis=1)


def assert_slopes_match_autograd(model, result: Breakpoints) -> None:
    middle = (result.edges[:-1] + result.edges[1:]) / 2
    slopes = autograd_slopes(model, result, middle)
    scale = max(np.abs(slopes).max(), 1e-300)
    np.testing.assert_allclose(result.slopes, slopes, rtol=0, atol=1e-10 * scale)
    with torch.no_grad():
        values = model(torch.as_tensor(result.positions(result.edges))).numpy()
    np.testing.assert_allclose(result.values, values, rtol=0, atol=1e-10 * max(np.abs(values).max(), 1.0))
    jump = np.abs(np.diff(slopes, axis=0)).max(axis=1)
    np.testing.assert_array_equal(result.function_t, result.edges[1:-1][jump > result.tol])


nets = st.fixed_dictionaries(
    {
        "width": st.integers(1, 16),
        "depth": st.integers(1, 4),
        "seed": st.integers(0, 10_000),
        "kind": st.sampled_from(["mlp-torch", "mlp-he", "repnet-random", "repnet-grid"]),
    }
)


def build(spec: dict, in_features: int = 1):
    kind, width, depth, seed = spec["kind"], spec["width"], spec["depth"], spec["seed"]
    if kind.startswith("mlp"):
        return MLP(in_features, 1, width, depth, init=kind[4:], seed=seed, dtype=F64)
    placement = "uniform_random" if kind == "repnet-random" else "uniform_grid"
    try:
        return RepNet(
            in_features, 1, width, depth, placement=placement, seed=seed, dtype=F64, domain=[(-1.0, 1.0)] * in_features
        )
    except ValueError as error:  # a tiny RepNet whose last hidden layer is dead everywhere cannot calibrate
        assume("all features zero" not in str(error))
        raise


@SETTINGS
@given(spec=nets, a=st.floats(-2.0, 0.5), length=st.floats(0.1, 3.0))
def test_exact_breakpoints_1d_match_dense_sampling_and_autograd(spec, a, length):
    model = build(spec)
    result = breakpoints_1d(model, a, a + length)
    assert result.exact and result.method.startswith("exact")
    assert_matches_reference(model, result)
    assert_slopes_match_autograd(model, result)
    assert result.n_pieces == result.n_breakpoints + 1
    assert result.density == pytest.approx(result.n_breakpoints / length)


@SETTINGS
@given(spec=nets, dim=st.integers(2, 3), seed=st.integers(0, 1000))
def test_exact_breakpoints_along_a_segment_in_d_dimensions(spec, dim, seed):
    model = build(spec, dim)
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(-1.5, 1.5, dim), rng.uniform(-1.5, 1.5, dim)
    result = breakpoints_1d(model, a, b)
    assert result.stop == pytest.approx(np.linalg.norm(b - a))
    np.testing.assert_allclose(result.positions(np.array([result.stop]))[0], b, atol=1e-12)
    assert_matches_reference(model, result)
    assert_slopes_match_autograd(model, result)


def test_direction_form_of_the_segment():
    model = MLP(2, 1, 8, 2, seed=3, dtype=F64)
    along = breakpoints_1d(model, -1.0, 2.0, direction=[3.0, 4.0])
    points = breakpoints_1d(model, [-0.6, -0.8], [1.2, 1.6])  # the same segment, t shifted by 1
    np.testing.assert_allclose(along.direction, [0.6, 0.8])
    np.testing.assert_allclose(along.function_t, points.function_t - 1.0, atol=1e-12)


def test_shallow_breakpoints_are_the_partition_points_and_dead_outputs_do_not_kink():
    model = MLP(1, 1, 12, 1, seed=0, dtype=F64)
    with torch.no_grad():
        model.layers[-1].weight[0, :3] = 0.0  # neurons 0-2 flip but change nothing downstream
    points = partition_points(model)
    inside = points.inside((-1.0, 1.0))
    result = breakpoints_1d(model, -1.0, 1.0)
    np.testing.assert_allclose(result.activation_t, np.sort(points.points[inside]), atol=1e-14)
    silent = points.points[:3][inside[:3]]
    assert len(silent) > 0 and not np.isin(silent, result.function_t).any()
    assert result.n_breakpoints == inside.sum() - len(silent)


def test_coincident_kinks_of_a_zero_bias_network_are_one_function_breakpoint():
    model = MLP(1, 1, 16, 3, init="xavier", seed=1, dtype=F64)  # every first-layer kink at x = 0
    result = breakpoints_1d(model, -1.0, 1.0)
    assert result.n_activation_regions == 2 and set(result.activation_t) == {0.0}
    assert result.n_breakpoints <= 1
    assert_slopes_match_autograd(model, result)


def test_numerical_breakpoints_of_a_positional_encoding_net_match_dense_sampling():
    model = FourierFeatureMLP(FourierFeatures.positional(1, 3), 1, 6, 2, seed=2, dtype=F64)
    result = breakpoints_1d(model, 0.0, 1.0)
    assert not result.exact and result.method.startswith("numerical")
    assert_matches_reference(model, result, atol=1e-8)
    middle = (result.edges[:-1] + result.edges[1:]) / 2
    np.testing.assert_allclose(result.slopes, autograd_slopes(model, result, middle), atol=1e-9)
    # One-sided slopes at a kink: autograd just left and right of it.
    for t, jump in zip(result.function_t[:5], result.slope_jump[:5], strict=False):
        around = autograd_slopes(model, result, np.array([t - 1e-7, t + 1e-7]))
        np.testing.assert_allclose(jump, around[1] - around[0], rtol=1e-4, atol=1e-6)


def test_vectorised_brent_matches_scipy_brentq():
    rng = np.random.default_rng(0)
    rate, level = rng.uniform(0.5, 20.0, 300), rng.uniform(-0.9, 0.9, 300)

    def f(x: np.ndarray, k: np.ndarray) -> np.ndarray:
        return np.sin(rate[k] * x) + 0.3 * x**3 - level[k]

    a, b = np.full(300, -0.2), np.full(300, 0.4)
    k = np.nonzero(f(a, np.arange(300)) * f(b, np.arange(300)) < 0)[0]
    roots = brent(lambda x, i: f(x, k[i]), a[k], b[k])
    expected = [brentq(lambda x, j=j: f(np.array([x]), np.array([j]))[0], -0.2, 0.4, xtol=1e-14) for j in k]
    assert len(k) > 50
    np.testing.assert_allclose(roots, expected, atol=1e-13, rtol=0)
    with pytest.raises(ValueError, match="f: expected values of opposite signs"):
        brent(lambda x, i: x**2 + 1, np.array([-1.0]), np.array([1.0]))


def test_numerical_and_exact_agree_on_a_relu_mlp_and_tanh_gets_transition_centres():
    model = MLP(1, 1, 16, 3, seed=4, dtype=F64)
    exact = breakpoints_1d(model, -1.0, 1.0)
    numerical = breakpoints_1d(model, -1.0, 1.0, method="numerical")
    np.testing.assert_allclose(numerical.function_t, exact.function_t, atol=1e-12)
    np.testing.assert_allclose(numerical.slope_jump, exact.slope_jump, rtol=1e-6, atol=1e-9)
    tanh = RepNet(1, 1, 10, 1, activation="tanh", seed=0, dtype=F64, domain=(-1.0, 1.0))
    centres = breakpoints_1d(tanh, -1.0, 1.0, method="numerical")
    np.testing.assert_allclose(centres.activation_t, np.sort(partition_points(tanh).points), atol=1e-12)
    assert centres.n_breakpoints == 0 and not centres.exact


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_hanin_rolnick_about_one_breakpoint_per_neuron_at_he_initialisation(depth):
    # He weights (sigma_w = sqrt 2, NTK scaling) and N(0, 0.5²) biases, over [-3, 3].
    width, ratios = 32, []
    for seed in range(3):
        model = MLP(1, 1, width, depth, parameterization="ntk", sigma_w=math.sqrt(2), sigma_b=0.5, seed=seed, dtype=F64)
        ratios.append(breakpoints_1d(model, -3.0, 3.0).n_breakpoints / (width * depth))
    # Linear in the number of neurons, not exponential in depth (measured: 0.93, 0.90, 0.81).
    assert 0.6 < np.mean(ratios) < 1.2


def test_partition_points_of_mlp_and_repnet():
    mlp = MLP(1, 1, 20, 2, seed=0, dtype=F64)
    w, b = mlp.layers[0].weight.detach()[:, 0].numpy(), mlp.layers[0].bias.detach().numpy()
    np.testing.assert_allclose(partition_points(mlp).points, -b / w, rtol=1e-14)
    rep = RepNet(1, 1, 30, 2, domain=(0.0, 2.0), s0=3.0, seed=1, dtype=F64)
    points = partition_points(rep)
    layer = rep.first
    np.testing.assert_allclose(points.points, (layer.offset * torch.sign(layer.direction[:, 0])).detach(), atol=1e-14)
    np.testing.assert_allclose(points.slopes, 3.0)
    assert points.inside((0.0, 2.0)).all() and list(points.to_frame().columns)[:3] == ["neuron", "offset", "slope"]
    planes = partition_points(RepNet(3, 1, 25, 1, seed=2, dtype=F64, domain=[(-1.0, 1.0)] * 3))
    on_plane = planes.normals * planes.offsets[:, None]  # the foot of each hyperplane
    z = np.einsum("nd,nd->n", on_plane, planes.weights) + planes.biases
    np.testing.assert_allclose(z, 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="points: expected a 1-D input"):
        _ = planes.points


small_nets = st.fixed_dictionaries(
    {
        "width": st.integers(1, 6),
        "depth": st.integers(1, 3),
        "seed": st.integers(0, 10_000),
        "kind": st.just("mlp-torch"),
    }
)


def row_keys(words: np.ndarray) -> np.ndarray:
    """Each row of packed patterns as one comparable, sortable value."""
    return np.ascontiguousarray(words).view(np.dtype((np.void, 8 * words.shape[1]))).ravel()


def polygon_contains(polygon: np.ndarray, points: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    edges = np.roll(polygon, -1, axis=0) - polygon
    relative = points[:, None, :] - polygon[None]
    cross = edges[None, :, 0] * relative[..., 1] - edges[None, :, 1] * relative[..., 0]
    return (cross >= -tol).all(axis=1)


@SETTINGS
@given(spec=small_nets, repnet=st.booleans())
def test_exact_regions_against_a_fine_grid(spec, repnet):
    model = build({**spec, "kind": "repnet-random" if repnet else "mlp-torch"}, 2)
    box = [(-1.0, 1.0), (-0.5, 1.5)]
    regions = regions_2d(model, box)
    assert regions.areas.sum() == pytest.approx(4.0, rel=1e-12) and (regions.areas > 0).all()
    assert len(np.unique(regions.patterns, axis=0)) == regions.count  # one pattern per region
    # The affine map of each region is the network's.
    centroids = regions.centroids
    with torch.no_grad():
        f = model(torch.as_tensor(centroids)).numpy()
    np.testing.assert_allclose(
        np.einsum("rck,rk->rc", regions.gradients, centroids) + regions.intercepts, f, atol=1e-10
    )
    # Every grid point lies in the polygon whose pattern it has; fat regions cannot be missed.
    n = 300
    h = 2.0 / n
    axes = [np.linspace(-1.0, 1.0, n, endpoint=False) + h / 2, np.linspace(-0.5, 1.5, n, endpoint=False) + h / 2]
    grid = np.stack([m.ravel() for m in np.meshgrid(*axes, indexing="ij")], axis=1)
    region_keys = row_keys(pack_patterns(torch.as_tensor(regions.patterns)).numpy())
    order = np.argsort(region_keys)
    grid_keys = row_keys(pack_patterns(activation_patterns(model, torch.as_tensor(grid))).numpy())
    position = np.minimum(np.searchsorted(region_keys[order], grid_keys), regions.count - 1)
    assert (region_keys[order][position] == grid_keys).all()  # no grid pattern without its region
    owner = order[position]
    for k in np.unique(owner):
        assert polygon_contains(regions.polygon(k), grid[owner == k]).all()
    sampled = regions_2d_sampled(model, box, n)
    assert sampled.count == len(np.unique(owner)) <= regions.count and sampled.lower_bound
    polygons = [regions.polygon(k) for k in range(regions.count)]
    perimeter = np.array([np.linalg.norm(np.roll(p, -1, axis=0) - p, axis=1).sum() for p in polygons])
    # Inradius ≥ area / perimeter; a disc wider than the grid's covering radius h/√2 holds a grid point.
    fat = regions.areas / perimeter > h / math.sqrt(2)
    assert np.isin(np.nonzero(fat)[0], owner).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_regions_2d_equals_distinct_patterns_on_a_very_fine_grid(seed):
    model = MLP(2, 1, 5, 2, seed=seed, dtype=F64)
    regions = regions_2d(model, [(-1.0, 1.0), (-1.0, 1.0)])
    polygons = [regions.polygon(k) for k in range(regions.count)]
    perimeter = np.array([np.linalg.norm(np.roll(p, -1, axis=0) - p, axis=1).sum() for p in polygons])
    assert (regions.areas / perimeter).min() > 2.0 / 1000 / math.sqrt(2)  # no region can hide between grid points
    sampled = regions_2d_sampled(model, [(-1.0, 1.0), (-1.0, 1.0)], 1000)
    assert sampled.count == regions.count


def test_shallow_regions_follow_the_line_arrangement_formula():
    # Lines in general position: regions inside a convex set = 1 + crossing lines + crossings inside.
    model = MLP(2, 1, 14, 1, seed=5, dtype=F64)
    planes = partition_points(model)
    box = [(-1.0, 1.0), (-1.0, 1.0)]
    lines = np.nonzero(planes.inside(box))[0]
    inside = 0
    for i in lines:
        for j in lines[lines > i]:
            point = np.linalg.solve(planes.normals[[i, j]], planes.offsets[[i, j]])
            inside += bool(np.all(np.abs(point) < 1.0))
    assert regions_2d(model, box).count == 1 + len(lines) + inside


def test_activation_patterns_and_pattern_counts():
    model = MLP(1, 1, 8, 3, seed=7, dtype=F64)
    x = torch.linspace(-1.0, 1.0, 20001, dtype=F64)[:, None]
    a = x
    expected = []
    for layer in model.layers[:-1]:
        z = layer(a)
        expected.append(z > 0)
        a = torch.relu(z)
    torch.testing.assert_close(activation_patterns(model, x), torch.cat(expected, dim=1))
    assert count_patterns(model, x, chunk_size=999) == breakpoints_1d(model, -1.0, 1.0).n_activation_regions


def test_hamming_distance_of_neighbours_counts_the_partition_points_between_them():
    model = MLP(1, 1, 30, 1, seed=1, dtype=F64)
    x = torch.sort(torch.rand(200, 1, generator=torch.Generator().manual_seed(0), dtype=F64), dim=0).values
    pairs = local_pairs(x)
    distance = torch.cdist(x, x) + torch.diag(torch.full((200,), torch.inf, dtype=F64))
    torch.testing.assert_close(distance[pairs[:, 0], pairs[:, 1]], distance.min(dim=1).values)
    points = partition_points(model).points
    lo, hi = (
        torch.minimum(x[pairs[:, 0]], x[pairs[:, 1]]).numpy(),
        torch.maximum(x[pairs[:, 0]], x[pairs[:, 1]]).numpy(),
    )
    between = ((points[None] > lo) & (points[None] < hi)).sum(axis=1)
    np.testing.assert_array_equal(hamming_pairs(model, x, pairs).numpy(), between)
    far = global_pairs(x, 500, seed=3)
    assert (far[:, 0] != far[:, 1]).all() and torch.equal(far, global_pairs(x, 500, seed=3))
    assert (
        hamming_pairs(model, x, "global", n_pairs=500, seed=3).float().mean() > hamming_pairs(model, x).float().mean()
    )


def test_gradient_confusion_matches_per_sample_autograd():
    model = RepNet(2, 1, 12, 2, seed=0, domain=[(-1.0, 1.0)] * 2)
    x = torch.rand(40, 2, generator=torch.Generator().manual_seed(1))
    y = torch.sin(3 * x[:, :1])
    pairs = global_pairs(x, 25, seed=0)

    def flat_grad(i: int) -> torch.Tensor:
        model.zero_grad()
        (0.5 * ((model(x[i : i + 1]) - y[i : i + 1]) ** 2).sum()).backward()
        return torch.cat([p.grad.reshape(-1) for p in model.parameters()])

    expected = torch.stack([torch.nn.functional.cosine_similarity(flat_grad(i), flat_grad(j), dim=0) for i, j in pairs])
    torch.testing.assert_close(gradient_confusion(model, x, y, pairs, chunk_size=7), expected, rtol=1e-4, atol=1e-5)
    local = gradient_confusion(model, x, y, "local")
    assert local.shape == (40,) and (local.abs() <= 1 + 1e-6).all()


def test_dead_and_always_active_neurons():
    model = MLP(1, 1, 4, 2, seed=0, dtype=F64)
    with torch.no_grad():
        first = model.layers[0]
        first.weight[:, 0] = torch.tensor([1.0, 1.0, -1.0, 2.0], dtype=F64)
        first.bias[:] = torch.tensor([-5.0, 5.0, 0.0, 0.0], dtype=F64)  # dead, always active, half, half
    activity = dead_neurons(model, torch.linspace(-1.0, 1.0, 100, dtype=F64)[:, None])  # no sample at 0
    assert isinstance(activity, NeuronActivity)
    np.testing.assert_array_equal(activity.dead[:4], [True, False, False, False])
    np.testing.assert_array_equal(activity.always_active[:4], [False, True, False, False])
    np.testing.assert_allclose(activity.activation_rate[2:4], 0.5)
    assert activity.to_frame()["layer"].tolist() == [0] * 4 + [1] * 4


def test_boundary_distance_is_the_distance_to_the_nearest_activation_breakpoint():
    model = MLP(1, 1, 10, 3, seed=2, dtype=F64)
    wide = breakpoints_1d(model, -1e3, 1e3)  # every state change of every neuron on the line
    x = torch.linspace(-1.0, 1.0, 57, dtype=F64)[:, None]
    expected = np.abs(x.numpy() - np.unique(wide.activation_t)[None]).min(axis=1)
    np.testing.assert_allclose(boundary_distance(model, x, chunk_size=10).numpy(), expected, rtol=1e-9)


def test_partition_recorder_during_fit(tmp_path):
    x = torch.linspace(0.0, 1.0, 64)[:, None]
    model = MLP(1, 1, 16, 2, seed=0)
    initial = breakpoints_1d(model, 0.0, 1.0)
    history = fit(
        model, x, torch.sin(6 * x), steps=20, record_every=10, recorders=[PartitionRecorder()], progress=False
    )
    assert history.records["partition/breakpoints"][0] == initial.n_breakpoints
    assert history.records["partition/density"].shape == (3,)
    x2 = torch.rand(50, 2, generator=torch.Generator().manual_seed(0))
    model2 = MLP(2, 1, 8, 2, seed=0)
    count = regions_2d(
        model2, [(float(x2[:, 0].min()), float(x2[:, 0].max())), (float(x2[:, 1].min()), float(x2[:, 1].max()))]
    ).count
    recorders = [PartitionRecorder(), PartitionRecorder(method="sampled", n_grid=64, name="grid")]
    history = fit(model2, x2, x2.sum(1, keepdim=True), steps=10, record_every=5, recorders=recorders, progress=False)
    assert history.records["partition/regions"][0] == count >= history.records["grid/regions"][0]


def test_results_round_trip_and_frames(tmp_path):
    model = MLP(2, 1, 6, 2, seed=0, dtype=F64)
    found = breakpoints_1d(model, [0.0, 0.0], [1.0, 1.0])
    loaded = Breakpoints.load(found.save(tmp_path / "b.npz"))
    np.testing.assert_array_equal(loaded.function_t, found.function_t)
    assert loaded.method == found.method and loaded.exact
    frame = found.to_frame()
    assert frame["function_breakpoint"].sum() == found.n_breakpoints
    regions = regions_2d(model, [(-1, 1), (-1, 1)])
    again = Regions2D.load(regions.save(tmp_path / "r.npz"))
    np.testing.assert_array_equal(again.patterns, regions.patterns)
    assert again.count == regions.count and len(regions.to_frame()) == regions.count


def test_plots_have_labelled_axes():
    model = MLP(2, 1, 8, 2, seed=0, dtype=F64)
    for color in ("region", "gradient_norm"):
        figure = plot_regions_2d(regions_2d(model, [(-1, 1), (-1, 1)]), color=color)
        assert figure.axes[0].get_xlabel() and figure.axes[0].get_ylabel()
    found = breakpoints_1d(MLP(1, 1, 16, 2, seed=0, dtype=F64), 0.0, 1.0)
    figure = plot_breakpoint_density(
        found, data=np.linspace(0, 1, 50), local_frequency=lambda x: 1 + 10 * x[:, 0], bins=10
    )
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in figure.axes)


def test_bad_input_gets_clear_errors():
    tanh = MLP(1, 1, 4, 2, activation="tanh", seed=0)
    with pytest.raises(ValueError, match="model: expected a ReLU network.*method='numerical'"):
        breakpoints_1d(tanh, 0.0, 1.0)
    with pytest.raises(ValueError, match="model: expected a ReLU network.*method='numerical'"):
        breakpoints_1d(tanh, 0.0, 1.0, method="exact")
    encoded = FourierFeatureMLP(FourierFeatures.positional(2, 2), 1, 4, 1, seed=0)
    with pytest.raises(ValueError, match="raw coordinates.*regions_2d_sampled"):
        regions_2d(encoded, [(0, 1), (0, 1)])
    with pytest.raises(ValueError, match="raw coordinates.*method='numerical'"):
        breakpoints_1d(encoded, [0, 0], [1, 1], method="exact")
    with pytest.raises(TypeError, match="model: expected an MLP or RepNet on raw coordinates"):
        partition_points(encoded)
    relu = MLP(1, 1, 4, 1, seed=0)
    with pytest.raises(ValueError, match="b: expected a number greater than a"):
        breakpoints_1d(relu, 1.0, 1.0)
    with pytest.raises(ValueError, match="b: expected a number greater than a"):
        breakpoints_1d(relu, 2.0, 1.0)
    with pytest.raises(ValueError, match="a: expected a point with 3 coordinates"):
        breakpoints_1d(MLP(3, 1, 4, 1, seed=0), 0.0, 1.0)
    with pytest.raises(ValueError, match="b: expected a point different from a"):
        breakpoints_1d(MLP(2, 1, 4, 1, seed=0), [1, 1], [1, 1])
    with pytest.raises(ValueError, match="direction: expected a vector of 2"):
        breakpoints_1d(MLP(2, 1, 4, 1, seed=0), 0.0, 1.0, direction=[1.0])
    with pytest.raises(ValueError, match="model: expected a network with 2 inputs"):
        regions_2d(MLP(3, 1, 4, 1, seed=0), [(0, 1), (0, 1)])
    with pytest.raises(ValueError, match="box: expected a rectangle"):
        regions_2d(MLP(2, 1, 4, 1, seed=0), (0, 1))
    with pytest.raises(TypeError, match="model: expected an MLP, RepNet or FourierFeatureMLP"):
        breakpoints_1d(torch.nn.Linear(1, 1), 0.0, 1.0, engine="toolkit")  # any module works with engine="auto"
    with pytest.raises(ValueError, match="method: expected one of"):
        breakpoints_1d(relu, 0.0, 1.0, method="fast")
    with pytest.raises(ValueError, match="x: expected 1 input dimension"):
        activation_patterns(relu, torch.zeros(5, 2))
    with pytest.raises(ValueError, match="pairs: expected 'local', 'global'"):
        hamming_pairs(relu, torch.rand(5, 1), "near")
