"""Breakpoints of a network along a segment: exact for piecewise-linear networks, numerical otherwise.

Segment conventions. The input runs along x(t) = origin + t·u, ``|u|`` = 1, for t in [start, stop], so
t is arc length and densities are per unit length of input space:

- scalar input, ``breakpoints_1d(model, a, b)``: origin 0, u = 1, t = x in [a, b];
- d-D input, ``breakpoints_1d(model, a, b)`` with points a, b in R^d: origin a,
  u = (b - a) / ``|b - a|``, t in [0, ``|b - a|``];
- ``direction=v`` (any input dimension): origin 0, u = v / ``|v|``, scalars a < b give t in [a, b].

What is found (hidden layers and neurons numbered from 0, see :mod:`spectra.partition.network`):

- activation breakpoints: the positions t where neuron (l, i) changes state (its pre-activation
  z^(l)_i(x(t)) changes sign), with its layer l and neuron i; a position shared by several neurons
  appears once per neuron. They split [start, stop] into intervals with one activation pattern each;
- function breakpoints: the activation breakpoints where the output slope df/dt really changes,
  max_k ``|Δ(df_k/dt)|`` > tol (default tol = 1e-9 · max ``|df/dt|`` over the segment). A neuron can flip
  without a kink in f when nothing downstream of it is active;
- number of pieces = function breakpoints + 1 (maximal intervals where f is affine), and the
  density (function breakpoints per unit length).

Exact method (ReLU on raw coordinates, docs/theory.rst, "Partition diagnostics"). On each interval the input
to layer l is affine in t, a(t) = α + β t, so z^(l) = (W_l α + b_l) + (W_l β) t is affine too: its roots
inside the interval are added to the sorted set of breakpoints, the layer's pattern is read at the
midpoint of every new interval, and (α, β) ← mask ⊙ (W_l α + b_l, W_l β) feed the next layer. Float64
throughout; roots closer than 1e-12 of the segment scale are merged.

Generic exact method (any piecewise-linear torch module, :mod:`spectra.partition.capture`). The
"layers" are the recorded piecewise-linear calls in forward order and the "neurons" their units.
Call l is affine on every interval the calls before it leave, so one forward pass with a JVP along
the segment at the interval midpoints gives each unit's value and slope there, hence z = za + zb t
on the interval; the roots split the intervals as above (a pooling window is cut competitor by
competitor). A last pass gives df/dt at the midpoints and f at the edges, and checks that f is
affine on every interval (up to 1e-8 of its scale), which catches operations nobody recognised.
About one forward pass per call, batched over intervals.

Numerical method (Fourier-feature or positional-encoding inputs, or smooth activations): the first
pre-activations are sums of sinusoids in t, so every pre-activation is evaluated on a uniform grid of
``n_grid`` points, each sign change is bracketed by two grid points and refined with Brent's method
(the brentq iteration run on all brackets at once, :mod:`spectra.partition.roots`, to about 1e-14).
Two roots of one neuron inside one grid cell are missed: the result says ``exact=False``. One-sided
slopes at a root are the derivatives at the root with the activation patterns of the intervals on
either side. For tanh or sin networks the roots are the centres of the transitions and there are no
slope jumps (no function breakpoints). On the generic path the units are those of the capture module
(smooth activations: their input; sin/cos encoders have none) and the one-sided slopes are
derivatives at ``NUDGE`` (1e-10) of the segment scale either side of each edge, within about
NUDGE · ``|f''|`` of the limits.
"""

from __future__ import annotations

import warnings
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
from spectra.partition.capture import (
    NumericalPathWarning,
    TracedModel,
    affine_elements,
    n_stages,
    stage_neurons,
    stage_units,
)
from spectra.partition.network import affine_maps, encoder_arrays, require_relu, toolkit_architecture
from spectra.partition.roots import brent
from spectra.results import Result

METHODS = ("auto", "exact", "numerical")
NUDGE = 1e-10  # generic numerical path: one-sided slopes are read this fraction of the segment scale off an edge
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
    """x(t) = origin + t·direction for t in [start, stop], ``|direction|`` = 1."""

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
        """One row per activation breakpoint: t, layer, neuron, whether f kinks there and ``|slope jump|``."""
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


def _refine(edges: np.ndarray, za: np.ndarray, zb: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split the intervals at the roots of the units z = za + zb·t (one row per interval, affine on it).

    Returns the new edges, the old interval holding each new one, and the units' states z > 0 at
    the midpoint of every new interval (constant on it, since every root is now an edge).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        roots = -za / zb
    inside = (zb != 0) & (roots > edges[:-1, None] + eps) & (roots < edges[1:, None] - eps)
    new_edges = _merge(np.concatenate([edges, roots[inside]]), eps)
    middle = (new_edges[:-1] + new_edges[1:]) / 2
    parent = np.clip(np.searchsorted(edges, middle, side="right") - 1, 0, len(edges) - 2)
    return new_edges, parent, za[parent] + zb[parent] * middle[:, None] > 0


def _exact(maps: Maps, segment: Segment, eps: float) -> Pieces:
    edges = np.array([segment.start, segment.stop])
    alpha, beta = segment.origin[None, :], segment.direction[None, :]
    events = []
    for layer, (weight, bias) in enumerate(maps[:-1]):
        za, zb = alpha @ weight.T + bias, beta @ weight.T
        edges, parent, on = _refine(edges, za, zb, eps)
        events.append(_flips(edges, on, layer))
        alpha, beta = np.where(on, za[parent], 0.0), np.where(on, zb[parent], 0.0)
    weight, bias = maps[-1]
    oa, ob = alpha @ weight.T + bias, beta @ weight.T
    values = np.concatenate([oa + ob * edges[:-1, None], oa[-1:] + ob[-1:] * edges[-1]])
    left, right = ob[:-1], ob[1:]
    return edges, events, ob, values, left, right


def _generic_exact(net: TracedModel, segment: Segment, n_calls: int, eps: float) -> Pieces:
    """Exact pieces of any piecewise-linear module (module docstring, generic path)."""
    direction = segment.direction[None, :]
    edges = np.array([segment.start, segment.stop])
    events = []
    for layer in range(n_calls):
        middle = (edges[:-1] + edges[1:]) / 2
        call = net.run(segment.points(middle), direction, stop_after=layer).calls[layer]
        coefficients = affine_elements(call, middle[:, None])  # (intervals, units, k, [z at t = 0, dz/dt])
        units, k = coefficients.shape[1:3]
        for stage in range(n_stages(k)):
            middle = (edges[:-1] + edges[1:]) / 2
            unit = stage_units(coefficients, stage, middle[:, None])
            edges, parent, on = _refine(edges, unit[..., 0], unit[..., 1], eps)
            t, layers, column = _flips(edges, on, layer)
            events.append((t, layers, stage_neurons(units, k, stage)[column]))
            coefficients = coefficients[parent]
    middle = (edges[:-1] + edges[1:]) / 2
    final = net.run(segment.points(np.concatenate([middle, edges])), direction)
    f_middle, slopes = final.output[: len(middle)], final.output_tangent[: len(middle), :, 0]
    values = final.output[len(middle) :]
    # Safety net for operations nobody recognised: f must be affine on every interval, up to rounding.
    predicted = [f_middle + slopes * (edges[:-1] - middle)[:, None], f_middle + slopes * (edges[1:] - middle)[:, None]]
    error = max(np.abs(predicted[0] - values[:-1]).max(), np.abs(predicted[1] - values[1:]).max())
    scale = np.abs(values).max() + np.abs(slopes).max() * segment.length
    if not error <= 1e-8 * scale:
        fail(
            "model",
            "a piecewise-linear model (an operation the partition analysis does not recognise bends f: see "
            "spectra.partition.capture; method='numerical' finds the kinks of the recognised ones)",
            f"f off its affine piece by {error:.3g} (scale {scale:.3g})",
        )
    return edges, events, slopes, values, slopes[:-1], slopes[1:]


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


def _numerical_edges(
    units: Callable[[np.ndarray, int], list[np.ndarray]], segment: Segment, eps: float, n_grid: int
) -> tuple[np.ndarray, Events, list[np.ndarray]]:
    """Roots of every unit (sign changes on the grid refined by Brent's method) as edges, with the events.

    ``units(t, last)`` gives the pre-activations (n, width) of every layer at t, at least up to layer
    ``last`` (-1: all layers). Returns the edges, the events and each layer's states at the interval midpoints.
    """
    grid = np.linspace(segment.start, segment.stop, n_grid)
    cells, layers, neurons = [np.zeros(0, dtype=int)], [np.zeros(0, dtype=int)], [np.zeros(0, dtype=int)]
    zs = units(grid, -1)
    for layer, z in enumerate(zs):
        cell, neuron = np.nonzero((z[1:] > 0) != (z[:-1] > 0))
        cells.append(cell)
        layers.append(np.full(len(cell), layer))
        neurons.append(neuron)
    cell, layer, neuron = np.concatenate(cells), np.concatenate(layers), np.concatenate(neurons)

    offsets = np.concatenate([[0], np.cumsum([z.shape[1] for z in zs])])

    def preactivation(t: np.ndarray, index: np.ndarray) -> np.ndarray:
        """z of neuron (layer[k], neuron[k]) at t[j], for the brackets k = index[j]."""
        every = np.concatenate(units(t, int(layer[index].max())), axis=1)
        return every[np.arange(len(t)), offsets[layer[index]] + neuron[index]]

    roots = brent(preactivation, grid[cell], grid[cell + 1]) if len(cell) else np.zeros(0)
    roots = roots[(roots > segment.start + eps) & (roots < segment.stop - eps)]
    edges = _merge(np.concatenate([[segment.start, segment.stop], roots]), eps)
    on = [z > 0 for z in units((edges[:-1] + edges[1:]) / 2, -1)]
    return edges, [_flips(edges, pattern, index) for index, pattern in enumerate(on)], on


def _numerical(maps: Maps, activation: str, encoder: Encoder, segment: Segment, eps: float, n_grid: int) -> Pieces:
    def along(t: np.ndarray, **options: object) -> tuple[list[np.ndarray], np.ndarray | None, np.ndarray | None]:
        return _propagate(maps, activation, *_inputs(encoder, segment, t), **options)

    edges, events, on = _numerical_edges(
        lambda t, last: along(t, stop=last if last >= 0 else None)[0], segment, eps, n_grid
    )
    slopes = along((edges[:-1] + edges[1:]) / 2)[2]
    values = along(edges)[1]
    if activation == "relu":
        inner = edges[1:-1]
        left = along(inner, masks=[pattern[:-1] for pattern in on])[2]
        right = along(inner, masks=[pattern[1:] for pattern in on])[2]
    else:  # smooth activations: df/dt is continuous, no slope jumps
        left = right = np.zeros((len(edges) - 2, values.shape[1]))
    return edges, events, slopes, values, left, right


def _generic_numerical(net: TracedModel, segment: Segment, eps: float, n_grid: int) -> Pieces:
    """Numerical pieces of any module (module docstring, generic path)."""
    direction = segment.direction[None, :]

    def units(t: np.ndarray, _last: int) -> list[np.ndarray]:
        return [call.units()[0] for call in net.run(segment.points(t), direction).unit_calls()]

    edges, events, _ = _numerical_edges(units, segment, eps, n_grid)
    middle, inner = (edges[:-1] + edges[1:]) / 2, edges[1:-1]
    # One-sided slopes: derivatives just either side of each edge (within NUDGE · |f''| of the limits).
    nudge = NUDGE * max(abs(segment.start), abs(segment.stop), segment.length)
    final = net.run(segment.points(np.concatenate([middle, edges, inner - nudge, inner + nudge])), direction)
    slopes = final.output_tangent[:, :, 0]
    n, k = len(middle), len(inner)
    values = final.output[n : n + len(edges)]
    left, right = slopes[n + len(edges) : n + len(edges) + k], slopes[n + len(edges) + k :]
    return edges, events, slopes[:n], values, left, right


def breakpoints_1d(
    model: nn.Module,
    a: object,
    b: object,
    direction: object | None = None,
    *,
    method: str = "auto",
    tol: float | None = None,
    n_grid: int | None = None,
    engine: str = "auto",
) -> Breakpoints:
    """Breakpoints of ``model`` along the segment given by ``a``, ``b`` and ``direction`` (module docstring).

    Parameters
    ----------
    model
        Any torch module mapping (n, d) inputs to (n, ...) outputs. The toolkit's MLP, RepNet and
        FourierFeatureMLP take their fast path; any other module the generic path.
    a, b, direction
        The interval [a, b] for a scalar input; the points a and b in d-D; or numbers a < b and a
        direction vector (x(t) = t·direction/``|direction|``).
    method
        ``"exact"`` (piecewise-linear networks on raw coordinates), ``"numerical"`` (grid bracketing
        refined by Brent's method; any activation or encoder) or ``"auto"``: exact where possible.
        For the toolkit's own classes, auto is numerical for encoded inputs and refuses tanh and sin
        networks (ask for ``"numerical"``); for other modules, auto takes the numerical path when a
        smooth operation is present and says so with a :class:`NumericalPathWarning` naming it.
    tol
        Slope-jump threshold of function breakpoints (default 1e-9 · max ``|df/dt|`` on the segment).
    n_grid
        Grid points of the numerical method (default max(8193, 16 · neurons + 1)).
    engine
        ``"auto"`` (the toolkit's fast path for its own classes, the generic path otherwise),
        ``"toolkit"`` or ``"generic"`` (any module, including the toolkit's own).

    Returns
    -------
    Breakpoints
        Activation breakpoints (t, layer, neuron), function breakpoints and their slope jumps, number of
        pieces and density per unit length; ``exact`` and ``method`` say how they were found.
    """
    architecture = toolkit_architecture(model, engine)
    check_choice("method", method, METHODS)
    if tol is not None:
        tol = check_positive_float("tol", tol, allow_zero=True)
    if architecture is None:
        return _generic_breakpoints(model, a, b, direction, method, tol, n_grid)
    segment = make_segment(architecture.in_features, a, b, direction)
    if method == "auto" and architecture.activation != "relu":
        require_relu(architecture, "breakpoints_1d(method='auto')", "method='numerical'")
    exact = method == "exact" or (method == "auto" and architecture.encoder is None)
    maps = affine_maps(architecture)
    eps = _resolution(segment)
    if exact:
        require_relu(architecture, "exact breakpoints", "breakpoints_1d(model, a, b, method='numerical')")
        pieces = _exact(maps, segment, eps)
        description = "exact (ReLU, affine pieces propagated layer by layer, float64)"
    else:
        inputs = architecture.in_features if architecture.encoder is None else architecture.encoder.out_features
        n_grid = _grid_size(n_grid, architecture.n_neurons, inputs)
        encoder = encoder_arrays(architecture.encoder) if architecture.encoder is not None else None
        pieces = _numerical(maps, architecture.activation, encoder, segment, eps, n_grid)
        description = f"numerical (sign changes on a {n_grid}-point grid refined by Brent's method; may miss roots)"
    return _result(pieces, segment, architecture.n_neurons, tol, exact, description)


def _resolution(segment: Segment) -> float:
    """Roots closer than this are merged: 1e-12 of the segment's scale."""
    return 1e-12 * max(abs(segment.start), abs(segment.stop), segment.length)


def _grid_size(n_grid: int | None, n_neurons: int, inputs: int) -> int:
    """The numerical method's grid: the default, or ``n_grid`` checked (at least 2 points, fits in memory)."""
    if n_grid is None:
        n_grid = max(8193, 16 * n_neurons + 1)
    if check_positive_int("n_grid", n_grid) < 2:
        fail("n_grid", "at least 2 grid points", n_grid)
    check_memory(
        "n_grid",
        n_grid,
        4 * n_grid * (n_neurons + inputs) * 8,
        subject=f"the pre-activations of {n_neurons} neurons on {n_grid} grid points",
        advice="use a coarser grid (n_grid)",
    )
    return n_grid


def _generic_breakpoints(
    model: nn.Module, a: object, b: object, direction: object | None, method: str, tol: float | None, n_grid: int | None
) -> Breakpoints:
    """:func:`breakpoints_1d` of any module: layers are its recorded calls with units (capture docstring)."""
    inputs = as_real_array("direction" if direction is not None else "a", direction if direction is not None else a)
    segment = make_segment(inputs.size, a, b, direction)
    net = TracedModel(model)
    probe = net.run(segment.points(np.array([(segment.start + segment.stop) / 2])), segment.direction[None, :])
    blocker = probe.blocker()
    n_units = sum(call.n_units for call in probe.unit_calls())
    if method == "exact" and blocker is not None:
        fail(
            "model",
            f"a piecewise-linear model for exact breakpoints ({blocker.describe()} is smooth; use method='numerical')",
            f"{type(model).__name__} with {blocker.name}",
        )
    exact = method == "exact" or (method == "auto" and blocker is None)
    eps = _resolution(segment)
    if exact:
        pieces = _generic_exact(net, segment, len(probe.calls), eps)
        description = "exact (generic: affine pieces from forward passes and JVPs, operation by operation, float64)"
    else:
        n_grid = _grid_size(n_grid, n_units, segment.origin.size)
        pieces = _generic_numerical(net, segment, eps, n_grid)
        reason = f"{blocker.describe()} is not piecewise linear; " if blocker is not None else ""
        description = (
            f"numerical (generic: {reason}sign changes on a {n_grid}-point grid refined by Brent's method; "
            "may miss roots)"
        )
        if method == "auto":
            warnings.warn(f"breakpoints_1d: {description}", NumericalPathWarning, stacklevel=3)
    return _result(pieces, segment, n_units, tol, exact, description)


def _result(
    pieces: Pieces, segment: Segment, n_neurons: int, tol: float | None, exact: bool, description: str
) -> Breakpoints:
    edges, events, slopes, values, left, right = pieces
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
        n_neurons=n_neurons,
        tol=tol,
        exact=exact,
        method=description,
    )
