"""Breakpoints of a network along a segment: exact for ReLU networks, numerical for encoded inputs.

Segment conventions. The input runs along x(t) = origin + t·u, |u| = 1, for t in [start, stop], so
t is arc length and densities are per unit length of input space:

- scalar input, ``breakpoints_1d(model, a, b)``: origin 0, u = 1, t = x in [a, b];
- d-D input, ``breakpoints_1d(model, a, b)`` with points a, b in R^d: origin a,
  u = (b - a) / |b - a|, t in [0, |b - a|];
- ``direction=v`` (any input dimension): origin 0, u = v / |v|, scalars a < b give t in [a, b].

What is found (hidden layers and neurons numbered from 0, see :mod:`spectra.partition.network`):

- activation breakpoints: the positions t where neuron (l, i) changes state (its pre-activation
  z^(l)_i(x(t)) changes sign), with its layer l and neuron i; a position shared by several neurons
  appears once per neuron. They split [start, stop] into intervals with one activation pattern each;
- function breakpoints: the activation breakpoints where the output slope df/dt really changes,
  max_k |Δ(df_k/dt)| > tol (default tol = 1e-9 · max |df/dt| over the segment). A neuron can flip
  without a kink in f when nothing downstream of it is active;
- number of pieces = function breakpoints + 1 (maximal intervals where f is affine), and the
  density (function breakpoints per unit length).

Exact method (ReLU on raw coordinates, reference/diagnostics.md item 13). On each interval the input
to layer l is affine in t, a(t) = α + β t, so z^(l) = (W_l α + b_l) + (W_l β) t is affine too: its roots
inside the interval are added to the sorted set of breakpoints, the layer's pattern is read at the
midpoint of every new interval, and (α, β) ← mask ⊙ (W_l α + b_l, W_l β) feed the next layer. Float64
throughout; roots closer than 1e-12 of the segment scale are merged.

Numerical method (Fourier-feature or positional-encoding inputs, or smooth activations): the first
pre-activations are sums of sinusoids in t, so every pre-activation is evaluated on a uniform grid of
``n_grid`` points, each sign change is bracketed by two grid points and refined with Brent's method
(the brentq iteration run on all brackets at once, :mod:`spectra.partition.roots`, to about 1e-14).
Two roots of one neuron inside one grid cell are missed: the result says ``exact=False``. One-sided
slopes at a root are the derivatives at the root with the activation patterns of the intervals on
either side. For tanh or sin networks the roots are the centres of the transitions and there are no
slope jumps (no function breakpoints).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from torch import nn

from spectra._validation import (
    as_real_array,
    brief,
    check_choice,
    check_memory,
    check_positive_float,
    check_positive_int,
    fail,
)
from spectra.partition.network import affine_maps, encoder_arrays, require_relu, unpack
from spectra.partition.roots import brent
from spectra.results import Result

METHODS = ("auto", "exact", "numerical")
Maps = list[tuple[np.ndarray, np.ndarray]]
Encoder = tuple[np.ndarray, np.ndarray] | None  # (B, a) of a FourierFeatures encoder
Events = list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # per layer: (t, layer, neuron) of state changes
# edges, events, slopes per interval, values at edges, slopes left and right of each inner edge
Pieces = tuple[np.ndarray, Events, np.ndarray, np.ndarray, np.ndarray, np.ndarray]

_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "sin": np.sin,
}
_DERIVATIVES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda z: (z > 0).astype(z.dtype),
    "tanh": lambda z: 1.0 - np.tanh(z) ** 2,
    "sin": np.cos,
}


@dataclass(frozen=True)
class Segment:
    """x(t) = origin + t·direction for t in [start, stop], |direction| = 1."""

    origin: np.ndarray
    direction: np.ndarray
    start: float
    stop: float

    @property
    def length(self) -> float:
        return self.stop - self.start

    def points(self, t: np.ndarray) -> np.ndarray:
        return self.origin[None, :] + np.asarray(t, dtype=np.float64)[:, None] * self.direction[None, :]


def _vector(argument: str, value: object, size: int, what: str) -> np.ndarray:
    array = as_real_array(argument, value).reshape(-1)
    if array.size != size:
        fail(argument, what, brief(value))
    return array


def make_segment(in_features: int, a: object, b: object, direction: object | None = None) -> Segment:
    """The segment of ``breakpoints_1d(model, a, b, direction)`` (see module docstring)."""
    if direction is not None or in_features == 1:
        if direction is None:
            u = np.ones(1)
        else:
            u = _vector("direction", direction, in_features, f"a vector of {in_features} number(s)")
            if not np.linalg.norm(u) > 0:
                fail("direction", "a non-zero vector", direction)
            u = u / np.linalg.norm(u)
        scalar = "a number (the segment is x(t) = t·direction)" if direction is not None else "a number"
        start = float(_vector("a", a, 1, scalar)[0])
        stop = float(_vector("b", b, 1, scalar)[0])
        if not stop > start:
            fail("b", f"a number greater than a = {start} (a non-empty interval [a, b])", stop)
        return Segment(np.zeros(in_features), u, start, stop)
    what = f"a point with {in_features} coordinates (or numbers a < b together with direction=...)"
    origin = _vector("a", a, in_features, what)
    end = _vector("b", b, in_features, what)
    length = float(np.linalg.norm(end - origin))
    if not length > 0:
        fail("b", "a point different from a (a non-empty segment)", b)
    return Segment(origin, (end - origin) / length, 0.0, length)


@dataclass
class Breakpoints(Result):
    """Activation and function breakpoints along a segment (see module docstring).

    Positions are values of t (arc length along the segment); ``positions(t)`` maps them to input
    points. ``edges`` (K + 1,) are start, the distinct activation-breakpoint positions and stop;
    ``slopes`` (K, c) is df/dt on each of the K intervals (exact method: constant on the interval;
    numerical: at its midpoint); ``values`` (K + 1, c) is f at the edges.
    """

    activation_t: np.ndarray = Result.array_field(("A",))
    activation_layer: np.ndarray = Result.array_field(("A",), "int")
    activation_neuron: np.ndarray = Result.array_field(("A",), "int")
    function_t: np.ndarray = Result.array_field(("k",))
    slope_jump: np.ndarray = Result.array_field(("k", "c"))  # slope right minus slope left at each function breakpoint
    edges: np.ndarray = Result.array_field(("K+1",))
    slopes: np.ndarray = Result.array_field(("K", "c"))
    values: np.ndarray = Result.array_field(("K+1", "c"))
    origin: np.ndarray = Result.array_field(("d",))
    direction: np.ndarray = Result.array_field(("d",))
    start: float
    stop: float
    n_neurons: int
    tol: float
    exact: bool
    method: str

    @property
    def length(self) -> float:
        return self.stop - self.start

    @property
    def n_breakpoints(self) -> int:
        """Number of function breakpoints (kinks of f)."""
        return len(self.function_t)

    @property
    def n_pieces(self) -> int:
        """Number of maximal intervals on which f is affine: function breakpoints + 1."""
        return self.n_breakpoints + 1

    @property
    def n_activation_regions(self) -> int:
        """Number of intervals with one activation pattern each: distinct activation positions + 1."""
        return len(self.edges) - 1

    @property
    def density(self) -> float:
        """Function breakpoints per unit length."""
        return self.n_breakpoints / self.length

    @property
    def activation_density(self) -> float:
        """Distinct activation-breakpoint positions per unit length."""
        return (len(self.edges) - 2) / self.length

    def positions(self, t: np.ndarray) -> np.ndarray:
        """Input points (n, d) at the positions t."""
        return Segment(self.origin, self.direction, self.start, self.stop).points(t)

    def to_frame(self) -> pd.DataFrame:
        """One row per activation breakpoint: t, layer, neuron, whether f kinks there and |slope jump|."""
        jump = np.zeros(len(self.activation_t))
        index = np.searchsorted(self.function_t, self.activation_t)
        found = index < len(self.function_t)
        found[found] = self.function_t[index[found]] == self.activation_t[found]
        jump[found] = np.abs(self.slope_jump[index[found]]).max(axis=1)
        return pd.DataFrame(
            {
                "t": self.activation_t,
                "layer": self.activation_layer,
                "neuron": self.activation_neuron,
                "function_breakpoint": found,
                "slope_jump": jump,
                "method": self.method,
            }
        )


def _merge(t: np.ndarray, eps: float) -> np.ndarray:
    t = np.sort(t)
    return t[np.concatenate([[True], np.diff(t) > eps])]


def _flips(edges: np.ndarray, on: np.ndarray, layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t, layer, neuron) wherever the pattern ``on`` (intervals, width) changes between intervals."""
    k, neuron = np.nonzero(on[1:] != on[:-1])
    return edges[1 + k], np.full(len(k), layer), neuron


def _exact(maps: Maps, segment: Segment, eps: float) -> Pieces:
    edges = np.array([segment.start, segment.stop])
    alpha, beta = segment.origin[None, :], segment.direction[None, :]
    events = []
    for layer, (weight, bias) in enumerate(maps[:-1]):
        za, zb = alpha @ weight.T + bias, beta @ weight.T
        with np.errstate(divide="ignore", invalid="ignore"):
            roots = -za / zb
        inside = (zb != 0) & (roots > edges[:-1, None] + eps) & (roots < edges[1:, None] - eps)
        new_edges = _merge(np.concatenate([edges, roots[inside]]), eps)
        middle = (new_edges[:-1] + new_edges[1:]) / 2
        parent = np.clip(np.searchsorted(edges, middle, side="right") - 1, 0, len(edges) - 2)
        za, zb = za[parent], zb[parent]
        on = za + zb * middle[:, None] > 0
        events.append(_flips(new_edges, on, layer))
        alpha, beta, edges = np.where(on, za, 0.0), np.where(on, zb, 0.0), new_edges
    weight, bias = maps[-1]
    oa, ob = alpha @ weight.T + bias, beta @ weight.T
    values = np.concatenate([oa + ob * edges[:-1, None], oa[-1:] + ob[-1:] * edges[-1]])
    left, right = ob[:-1], ob[1:]
    return edges, events, ob, values, left, right


def _inputs(encoder: Encoder, segment: Segment, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Network input a(t) and its derivative da/dt, each (n, input width)."""
    x = segment.points(t)
    if encoder is None:
        return x, np.broadcast_to(segment.direction, x.shape)
    frequencies, amplitudes = encoder
    phase = 2 * np.pi * x @ frequencies.T
    rate = 2 * np.pi * segment.direction @ frequencies.T  # d(phase)/dt
    value = np.concatenate([amplitudes * np.cos(phase), amplitudes * np.sin(phase)], axis=1)
    tangent = np.concatenate([-amplitudes * np.sin(phase) * rate, amplitudes * np.cos(phase) * rate], axis=1)
    return value, tangent


def _propagate(
    maps: Maps,
    activation: str,
    a: np.ndarray,
    da: np.ndarray,
    *,
    stop: int | None = None,
    masks: list[np.ndarray] | None = None,
) -> tuple[list[np.ndarray], np.ndarray | None, np.ndarray | None]:
    """Hidden pre-activations, output and d(output)/dt; ``masks`` (per layer) replace ReLU's own pattern."""
    sigma, dsigma = _ACTIVATIONS[activation], _DERIVATIVES[activation]
    zs = []
    for layer, (weight, bias) in enumerate(maps[:-1]):
        z, dz = a @ weight.T + bias, da @ weight.T
        zs.append(z)
        if layer == stop:
            return zs, None, None
        if masks is None:
            a, da = sigma(z), dsigma(z) * dz
        else:
            a, da = masks[layer] * z, masks[layer] * dz
    weight, bias = maps[-1]
    return zs, a @ weight.T + bias, da @ weight.T


def _numerical(maps: Maps, activation: str, encoder: Encoder, segment: Segment, eps: float, n_grid: int) -> Pieces:
    def along(t: np.ndarray, **options: object) -> tuple[list[np.ndarray], np.ndarray | None, np.ndarray | None]:
        return _propagate(maps, activation, *_inputs(encoder, segment, t), **options)

    grid = np.linspace(segment.start, segment.stop, n_grid)
    cells, layers, neurons = [], [], []
    for layer, z in enumerate(along(grid)[0]):
        cell, neuron = np.nonzero((z[1:] > 0) != (z[:-1] > 0))
        cells.append(cell)
        layers.append(np.full(len(cell), layer))
        neurons.append(neuron)
    cell, layer, neuron = np.concatenate(cells), np.concatenate(layers), np.concatenate(neurons)

    offsets = np.concatenate([[0], np.cumsum([w.shape[0] for w, _ in maps[:-1]])])

    def preactivation(t: np.ndarray, index: np.ndarray) -> np.ndarray:
        """z of neuron (layer[k], neuron[k]) at t[j], for the brackets k = index[j]."""
        zs = along(t, stop=int(layer[index].max()))[0]
        return np.concatenate(zs, axis=1)[np.arange(len(t)), offsets[layer[index]] + neuron[index]]

    roots = brent(preactivation, grid[cell], grid[cell + 1]) if len(cell) else np.zeros(0)
    roots = roots[(roots > segment.start + eps) & (roots < segment.stop - eps)]
    edges = _merge(np.concatenate([[segment.start, segment.stop], roots]), eps)
    middle = (edges[:-1] + edges[1:]) / 2
    zs, _, slopes = along(middle)
    on = [z > 0 for z in zs]
    events = [_flips(edges, pattern, layer) for layer, pattern in enumerate(on)]
    values = along(edges)[1]
    if activation == "relu":
        inner = edges[1:-1]
        left = along(inner, masks=[pattern[:-1] for pattern in on])[2]
        right = along(inner, masks=[pattern[1:] for pattern in on])[2]
    else:  # smooth activations: df/dt is continuous, no slope jumps
        left = right = np.zeros((len(edges) - 2, values.shape[1]))
    return edges, events, slopes, values, left, right


def breakpoints_1d(
    model: nn.Module,
    a: object,
    b: object,
    direction: object | None = None,
    *,
    method: str = "auto",
    tol: float | None = None,
    n_grid: int | None = None,
) -> Breakpoints:
    """Breakpoints of ``model`` along the segment given by ``a``, ``b`` and ``direction`` (module docstring).

    Parameters
    ----------
    model:
        An MLP, RepNet or FourierFeatureMLP (spectra.models).
    a, b, direction:
        The interval [a, b] for a scalar input; the points a and b in d-D; or numbers a < b and a
        direction vector (x(t) = t·direction/|direction|).
    method:
        ``"exact"`` (ReLU on raw coordinates), ``"numerical"`` (grid bracketing refined by Brent's
        method; any activation or encoder) or ``"auto"`` (exact for ReLU on raw coordinates,
        numerical for encoded inputs; tanh and sin networks must ask for ``"numerical"``).
    tol:
        Slope-jump threshold of function breakpoints (default 1e-9 · max |df/dt| on the segment).
    n_grid:
        Grid points of the numerical method (default max(8193, 16 · neurons + 1)).

    Returns a :class:`Breakpoints`: activation breakpoints (t, layer, neuron), function breakpoints
    and their slope jumps, number of pieces and density per unit length; ``exact`` and ``method``
    say how they were found.
    """
    architecture = unpack(model)
    check_choice("method", method, METHODS)
    if tol is not None:
        tol = check_positive_float("tol", tol, allow_zero=True)
    segment = make_segment(architecture.in_features, a, b, direction)
    if method == "auto" and architecture.activation != "relu":
        require_relu(architecture, "breakpoints_1d(method='auto')", "method='numerical'")
    exact = method == "exact" or (method == "auto" and architecture.encoder is None)
    maps = affine_maps(architecture)
    eps = 1e-12 * max(abs(segment.start), abs(segment.stop), segment.length)
    if exact:
        require_relu(architecture, "exact breakpoints", "breakpoints_1d(model, a, b, method='numerical')")
        edges, events, slopes, values, left, right = _exact(maps, segment, eps)
        description = "exact (ReLU, affine pieces propagated layer by layer, float64)"
    else:
        if n_grid is None:
            n_grid = max(8193, 16 * architecture.n_neurons + 1)
        if check_positive_int("n_grid", n_grid) < 2:
            fail("n_grid", "at least 2 grid points", n_grid)
        inputs = architecture.in_features if architecture.encoder is None else architecture.encoder.out_features
        check_memory(
            "n_grid",
            n_grid,
            4 * n_grid * (architecture.n_neurons + inputs) * 8,
            subject=f"the pre-activations of {architecture.n_neurons} neurons on {n_grid} grid points",
            advice="use a coarser grid (n_grid)",
        )
        encoder = encoder_arrays(architecture.encoder) if architecture.encoder is not None else None
        edges, events, slopes, values, left, right = _numerical(
            maps, architecture.activation, encoder, segment, eps, n_grid
        )
        description = f"numerical (sign changes on a {n_grid}-point grid refined by Brent's method; may miss roots)"
    if tol is None:
        tol = 1e-9 * float(np.abs(slopes).max(initial=0.0))
    jump = right - left
    kink = np.abs(jump).max(axis=1, initial=0.0) > tol
    t, layer, neuron = (np.concatenate(parts) for parts in zip(*events, strict=True)) if events else (np.zeros(0),) * 3
    order = np.lexsort((neuron, layer, t))
    return Breakpoints(
        activation_t=t[order].astype(np.float64),
        activation_layer=layer[order].astype(np.int64),
        activation_neuron=neuron[order].astype(np.int64),
        function_t=edges[1:-1][kink],
        slope_jump=jump[kink],
        edges=edges,
        slopes=slopes,
        values=values,
        origin=segment.origin,
        direction=segment.direction,
        start=segment.start,
        stop=segment.stop,
        n_neurons=architecture.n_neurons,
        tol=tol,
        exact=exact,
        method=description,
    )
