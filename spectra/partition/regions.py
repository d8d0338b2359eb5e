"""Linear regions of a piecewise-linear network on a rectangle: exact polygons, and the grid-sampled lower bound.

Exact partition (docs/theory.rst, "Partition diagnostics"). Start from the rectangle, on which the input to
the first layer is x itself. For hidden layer l, every current region R is a convex polygon on
which the layer input is affine, a(x) = A_R x + c_R, so neuron i has z_i(x) = (W_l A_R)_i x +
(W_l c_R + b_l)_i, an affine function on R. The neurons of the layer are taken one at a time:
every polygon on which z_i takes both signs is cut along the line z_i = 0 into two convex polygons
(a vertex where ``|z_i|`` is below 1e-12 of its scale lies on the line and goes to both). After the
layer, each region's pattern is read at its vertex mean (an interior point) and
(A, c) ← mask ⊙ (W_l A, W_l c + b_l). Within each final polygon the pattern is constant, so the
network is affine there: f(x) = G_R x + h_R. Every pattern region of a ReLU network is convex
(the intersection of the half-spaces of its affine pre-activations), so polygons and distinct
patterns correspond one to one: the region count is the number of distinct activation patterns
on the rectangle.

Generic path (any piecewise-linear torch module, :mod:`spectra.partition.capture`): the same cuts,
with the recorded calls in forward order in place of layers. Call l is affine on every polygon the
calls before it leave, so one forward pass with JVPs along both axes at the polygons' interior
points gives each unit's affine function there (value and gradient); a pooling window is cut
competitor by competitor. ``patterns`` holds the unit states in unit order; the affine map of each
region comes from a last pass, and f at every vertex must follow it (up to 1e-8 of its scale),
which catches operations nobody recognised.

The polygon splitting is vectorised over all polygons (vertices in one flat array with offsets),
so the cost is about (neurons) × (vertices) array operations.

Sampled count (:func:`regions_2d_sampled`): distinct patterns at the centres of an n × n grid of
cells. Regions that hold no grid point are missed, so it is a lower bound (``lower_bound=True``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from spectra._validation import check_memory, check_positive_int, fail
from spectra.domain import Box, BoxLike, as_box
from spectra.partition.capture import TracedModel, affine_elements, n_stages, stage_neurons, stage_units
from spectra.partition.network import affine_maps, require_relu, toolkit_architecture
from spectra.partition.patterns import count_distinct, count_patterns
from spectra.results import Result

_ON_LINE = 1e-12  # |z| below this fraction of |∇z|·extent + |h| counts as on the line (extent ≥ max |x|)


@dataclass
class Regions2D(Result):
    """Exact linear regions of a piecewise-linear network on a rectangle (see module docstring).

    Region k is the convex polygon ``vertices[offsets[k]:offsets[k + 1]]`` (counter-clockwise), of
    area ``areas[k]``, on which f(x) = gradients[k] x + intercepts[k] (gradients (R, c, 2),
    intercepts (R, c)) and the activation pattern is ``patterns[k]`` (R, neurons).
    """

    vertices: np.ndarray = Result.array_field(("V", 2))
    offsets: np.ndarray = Result.array_field(("R+1",), "int")
    areas: np.ndarray = Result.array_field(("R",))
    gradients: np.ndarray = Result.array_field(("R", "c", 2))
    intercepts: np.ndarray = Result.array_field(("R", "c"))
    patterns: np.ndarray = Result.array_field(("R", "neurons"), ("bool", "int"))
    lo: tuple[float, float]
    hi: tuple[float, float]
    exact: bool = True

    def __post_init__(self) -> None:  # saved as JSON lists
        self.lo, self.hi = tuple(self.lo), tuple(self.hi)

    @property
    def count(self) -> int:
        """Number of linear regions in the rectangle."""
        return len(self.areas)

    @property
    def gradient_norm(self) -> np.ndarray:
        """``|∇f|`` on each region (Frobenius norm over outputs), shape (R,)."""
        return np.linalg.norm(self.gradients.reshape(self.count, -1), axis=1)

    @property
    def centroids(self) -> np.ndarray:
        """Area centroids of the regions, shape (R, 2)."""
        x, y = self.vertices[:, 0], self.vertices[:, 1]
        nxt = _next_vertex(self.offsets)
        cross = x * y[nxt] - x[nxt] * y
        starts = self.offsets[:-1]
        cx = np.add.reduceat((x + x[nxt]) * cross, starts) / (6 * self.areas)
        cy = np.add.reduceat((y + y[nxt]) * cross, starts) / (6 * self.areas)
        return np.stack([cx, cy], axis=1)

    def polygon(self, k: int) -> np.ndarray:
        """Vertices (m, 2) of region k, counter-clockwise."""
        return self.vertices[self.offsets[k] : self.offsets[k + 1]]

    def to_frame(self) -> pd.DataFrame:
        """One row per region: area, ``|∇f|``, centroid and number of vertices."""
        centroids = self.centroids
        return pd.DataFrame(
            {
                "region": np.arange(self.count),
                "area": self.areas,
                "gradient_norm": self.gradient_norm,
                "centroid_x0": centroids[:, 0],
                "centroid_x1": centroids[:, 1],
                "n_vertices": np.diff(self.offsets),
            }
        )


@dataclass
class SampledRegions(Result):
    """Distinct activation patterns on an n × n grid of cell centres: a LOWER BOUND on the region count."""

    count: int
    n_grid: int
    lo: tuple[float, float]
    hi: tuple[float, float]
    lower_bound: bool = True
    note: str = "lower bound: regions that contain no grid point are missed"

    def __post_init__(self) -> None:  # saved as JSON lists
        self.lo, self.hi = tuple(self.lo), tuple(self.hi)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"count": self.count, "n_grid": self.n_grid, "lower_bound": self.lower_bound}])


def _next_vertex(offsets: np.ndarray) -> np.ndarray:
    """Index of the next vertex of the same polygon, cyclically."""
    nxt = np.arange(1, offsets[-1] + 1)
    nxt[offsets[1:] - 1] = offsets[:-1]
    return nxt


def _owners(offsets: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))


def _split(
    vertices: np.ndarray, offsets: np.ndarray, row: np.ndarray, slope: np.ndarray, level: np.ndarray, extent: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut every polygon on which z = slope[row]·x + level[row] changes sign along z = 0."""
    owner = _owners(offsets)
    g, h = slope[row], level[row]
    z = np.einsum("vk,vk->v", vertices, g[owner]) + h[owner]
    on_line = _ON_LINE * (np.linalg.norm(g, axis=1) * extent + np.abs(h))
    sign = np.where(z > on_line[owner], 1, np.where(z < -on_line[owner], -1, 0)).astype(np.int8)
    starts = offsets[:-1]
    cut = (np.maximum.reduceat(sign, starts) > 0) & (np.minimum.reduceat(sign, starts) < 0)
    if not cut.any():
        return vertices, offsets, row
    nxt = _next_vertex(offsets)
    in_cut = cut[owner]
    index = np.nonzero(in_cut)[0]
    crossing = index[sign[index] * sign[nxt[index]] < 0]
    weight = z[crossing] / (z[crossing] - z[nxt[crossing]])
    points = vertices[crossing] + weight[:, None] * (vertices[nxt[crossing]] - vertices[crossing])
    # Walk each cut polygon: vertex i, then the crossing on edge (i, next i); keys 2i and 2i + 1 keep the order.
    keys = np.concatenate([2 * index, 2 * crossing + 1])
    order = np.argsort(keys, kind="stable")
    walk_xy = np.concatenate([vertices[index], points])[order]
    walk_sign = np.concatenate([sign[index], np.zeros(len(crossing), dtype=np.int8)])[order]
    walk_owner = np.concatenate([owner[index], owner[crossing]])[order]
    n_kept = int((~cut).sum())
    n_cut = int(cut.sum())
    rank_kept = np.cumsum(~cut) - 1
    rank_cut = np.cumsum(cut) - 1
    positive, negative = walk_sign >= 0, walk_sign <= 0
    new_owner = np.concatenate(
        [
            rank_kept[owner[~in_cut]],
            n_kept + rank_cut[walk_owner[positive]],
            n_kept + n_cut + rank_cut[walk_owner[negative]],
        ]
    )
    new_vertices = np.concatenate([vertices[~in_cut], walk_xy[positive], walk_xy[negative]])
    new_offsets = np.concatenate([[0], np.cumsum(np.bincount(new_owner, minlength=n_kept + 2 * n_cut))])
    return new_vertices, new_offsets, np.concatenate([row[~cut], row[cut], row[cut]])


def _interior(vertices: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Vertex mean of every polygon (R, 2): an interior point of a convex polygon."""
    return np.add.reduceat(vertices, offsets[:-1]) / np.diff(offsets)[:, None]


def _cut(
    vertices: np.ndarray, offsets: np.ndarray, slope: np.ndarray, level: np.ndarray, extent: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut the polygons along the zero line of every unit z = slope[r, i]·x + level[r, i], affine on polygon r.

    Units are taken one at a time (each is affine on every piece the previous cuts leave). Returns
    the new polygons, the old polygon holding each new one, and the units' states z > 0 at each new
    polygon's interior point (constant on it).
    """
    row = np.arange(len(slope))
    for i in range(slope.shape[1]):
        vertices, offsets, row = _split(vertices, offsets, row, slope[:, i], level[:, i], extent)
    on = np.einsum("rik,rk->ri", slope[row], _interior(vertices, offsets)) + level[row] > 0
    return vertices, offsets, row, on


def _rectangle(box: BoxLike) -> tuple[Box, np.ndarray, np.ndarray, float]:
    """The checked rectangle, as one polygon (vertices, offsets), and the extent of the on-line test."""
    rectangle = as_box("box", box)
    if rectangle.dim != 2:
        fail("box", "a rectangle [(x0_lo, x0_hi), (x1_lo, x1_hi)]", rectangle)
    (x0, y0), (x1, y1) = rectangle.lo, rectangle.hi
    vertices = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
    extent = float(np.hypot(x1 - x0, y1 - y0)) + float(np.abs(vertices).max())
    return rectangle, vertices, np.array([0, 4]), extent


def _regions(
    vertices: np.ndarray,
    offsets: np.ndarray,
    gradients: np.ndarray,
    intercepts: np.ndarray,
    patterns: np.ndarray,
    rectangle: Box,
) -> Regions2D:
    x, y = vertices[:, 0], vertices[:, 1]
    nxt = _next_vertex(offsets)
    areas = 0.5 * np.add.reduceat(x * y[nxt] - x[nxt] * y, offsets[:-1])
    return Regions2D(
        vertices=vertices,
        offsets=offsets,
        areas=areas,
        gradients=gradients,
        intercepts=intercepts,
        patterns=patterns,
        lo=rectangle.lo,
        hi=rectangle.hi,
    )


def regions_2d(model: nn.Module, box: BoxLike, *, engine: str = "auto") -> Regions2D:
    """Exact linear regions of a 2-input piecewise-linear network inside the rectangle ``box`` (module docstring).

    ``model`` is the toolkit's ReLU MLP or RepNet (fast path) or any piecewise-linear torch module
    (generic path; ``engine`` as in :func:`breakpoints_1d`). Returns a :class:`Regions2D` with the
    region count, the polygons, their areas, the affine map (hence ``|∇f|``) and the activation pattern
    of every region. For encoded inputs or smooth activations use :func:`regions_2d_sampled` (a
    lower bound).
    """
    architecture = toolkit_architecture(model, engine)
    if architecture is None:
        return _generic_regions(model, box)
    require_relu(architecture, "exact regions", "regions_2d_sampled(model, box)")
    if architecture.in_features != 2:
        fail("model", "a network with 2 inputs for regions_2d", f"{architecture.in_features} input(s)")
    rectangle, vertices, offsets, extent = _rectangle(box)
    maps = affine_maps(architecture)
    linear = np.eye(2)[None]  # (R, inputs, 2): A_R
    constant = np.zeros((1, 2))  # (R, inputs): c_R
    patterns = np.zeros((1, 0), dtype=bool)
    for weight, bias in maps[:-1]:
        slope = np.einsum("ij,rjk->rik", weight, linear)  # (R, width, 2)
        level = constant @ weight.T + bias  # (R, width)
        vertices, offsets, row, on = _cut(vertices, offsets, slope, level, extent)
        patterns = np.concatenate([patterns[row], on], axis=1)
        linear, constant = slope[row] * on[:, :, None], level[row] * on
    weight, bias = maps[-1]
    gradients = np.einsum("cj,rjk->rck", weight, linear)
    return _regions(vertices, offsets, gradients, constant @ weight.T + bias, patterns, rectangle)


def _generic_regions(model: nn.Module, box: BoxLike) -> Regions2D:
    """:func:`regions_2d` of any piecewise-linear module, operation by operation (module docstring)."""
    rectangle, vertices, offsets, extent = _rectangle(box)
    net = TracedModel(model)
    axes = np.eye(2)
    probe = net.run(_interior(vertices, offsets), axes)
    blocker = probe.blocker()
    if blocker is not None:
        fail(
            "model",
            f"a piecewise-linear model for exact regions ({blocker.describe()} is smooth; use "
            "regions_2d_sampled(model, box))",
            f"{type(model).__name__} with {blocker.name}",
        )
    patterns = np.zeros((1, 0), dtype=bool)
    for layer in range(len(probe.calls)):
        interior = _interior(vertices, offsets)
        call = net.run(interior, axes, stop_after=layer).calls[layer]
        coefficients = affine_elements(call, interior)  # (R, units, k, [constant, ∂/∂x0, ∂/∂x1])
        units, k = coefficients.shape[1:3]
        start = patterns.shape[1]
        for stage in range(n_stages(k)):
            unit = stage_units(coefficients, stage, _interior(vertices, offsets))
            vertices, offsets, row, on = _cut(vertices, offsets, unit[..., 1:], unit[..., 0], extent)
            patterns = np.concatenate([patterns[row], on], axis=1)
            coefficients = coefficients[row]
        # Pooling windows were cut stage by stage; store their units in unit order, like the 1-D events.
        order = np.concatenate([stage_neurons(units, k, stage) for stage in range(n_stages(k))])
        patterns[:, start + order] = patterns[:, start:].copy()
    interior = _interior(vertices, offsets)
    final = net.run(np.concatenate([interior, vertices]), axes)
    gradients = final.output_tangent[: len(interior)]  # (R, c, 2)
    intercepts = final.output[: len(interior)] - np.einsum("rck,rk->rc", gradients, interior)
    # Safety net for operations nobody recognised: f at every vertex must follow its region's affine map.
    owner = np.repeat(np.arange(len(interior)), np.diff(offsets))
    predicted = np.einsum("vck,vk->vc", gradients[owner], vertices) + intercepts[owner]
    values = final.output[len(interior) :]
    error = float(np.abs(predicted - values).max())
    scale = float(np.abs(values).max() + np.abs(gradients).max() * extent)
    if not error <= 1e-8 * scale:
        fail(
            "model",
            "a piecewise-linear model (an operation the partition analysis does not recognise bends f: see "
            "spectra.partition.capture; regions_2d_sampled(model, box) counts the recognised units' patterns)",
            f"f off its region's affine map by {error:.3g} (scale {scale:.3g})",
        )
    return _regions(vertices, offsets, gradients, intercepts, patterns, rectangle)


def check_sampling_grid(argument: str, n: int) -> int:
    """A positive n whose n × n grid of float64 cell centres (and their work arrays) fits in memory."""
    n = check_positive_int(argument, n)
    advice = f"use a coarser grid ({argument})"
    check_memory(argument, n, 6 * n * n * 2 * 8, subject=f"an {n} × {n} grid", advice=advice)
    return n


def grid_cell_centres(box: Box, n: int) -> torch.Tensor:
    """Centres of an n × n grid of equal cells on the rectangle, shape (n², 2), float64."""
    axes = [lo + (np.arange(n) + 0.5) * (hi - lo) / n for lo, hi in zip(box.lo, box.hi, strict=True)]
    mesh = np.meshgrid(*axes, indexing="ij")
    return torch.as_tensor(np.stack([m.reshape(-1) for m in mesh], axis=1))


def regions_2d_sampled(
    model: nn.Module, box: BoxLike, n: int = 512, *, chunk_size: int = 65536, engine: str = "auto"
) -> SampledRegions:
    """Distinct activation patterns at the n × n cell centres of ``box``: a lower bound on the region count.

    Works for any network (any activation, with or without an encoder): the toolkit's own classes
    read their hidden pre-activations; other modules (and ``engine="generic"``) the states of the
    units their forward pass records (:mod:`spectra.partition.capture`; smooth activations count by
    the sign of their input). The grid is built in float64 and evaluated in chunks of ``chunk_size``.
    """
    architecture = toolkit_architecture(model, engine)
    if architecture is not None and architecture.in_features != 2:
        fail("model", "a network with 2 inputs for regions_2d_sampled", f"{architecture.in_features} input(s)")
    rectangle = as_box("box", box)
    if rectangle.dim != 2:
        fail("box", "a rectangle [(x0_lo, x0_hi), (x1_lo, x1_hi)]", rectangle)
    n = check_sampling_grid("n", n)
    grid = grid_cell_centres(rectangle, n)
    if architecture is not None:
        count = count_patterns(model, grid, chunk_size=chunk_size)
    else:
        net, direction = TracedModel(model), np.ones((1, 2))
        chunk_size = check_positive_int("chunk_size", chunk_size)
        count = count_distinct(lambda x: torch.as_tensor(net.run(x.numpy(), direction).patterns()), grid, chunk_size)
    return SampledRegions(count, n, rectangle.lo, rectangle.hi)
