"""RepNet: a network whose first hidden layer is reparameterised by slope scale and partition.

Design adopted here (docs/theory.rst, "RepNet's reparameterisation"; results from it are reported as "RepNet
(reparameterised first layer, as described in the abstract)", never as the paper's numbers).
First hidden layer, neuron i, input x in R^d:

    z_i(x) = s_i (v_i·x - p_i),   v_i = ṽ_i / ``|ṽ_i|``,   s_i = exp(log s_i),   i.e.  w_i = s_i v_i,  b_i = -s_i p_i.

- The partition set {x : v_i·x = p_i} is the ReLU kink (or the centre of the tanh transition);
  in 1-D the partition point is x_i = p_i sign(v_i) = -b_i / w_i, and s_i is the slope scale.
- ``domain`` is where the partition points start: the box of the training inputs. It is given
  (``domain=``) or read off the inputs (``data=``: their bounding box); there is no default, because
  a domain that misses the data puts kinks where no data can move them.
- ``placement`` spreads the initial p_i over the range of v_i·x on ``domain``: ``"uniform_random"``
  (p_i uniform on the range), ``"uniform_grid"`` (evenly spaced levels; in 1-D the kinks themselves
  form the grid a + (i + 1/2) L / width), or ``"quantiles"`` (quantiles of v_i·x over ``data``,
  so kinks follow the data density).
- ``s0`` is the initial slope scale, ``scale="shared"`` (one s) or ``"per_neuron"``.
- ``variant``: ``"adaptive"`` trains (ṽ, p, log s); ``"frozen_scale"`` trains (ṽ, p) and keeps s fixed;
  ``"init_only"`` sets w, b once and trains them as an ordinary dense layer. Where they are equivalent: all
  three start as the same function; init-only and adaptive span the same first layers (any w, b) and differ
  only in the gradient flow their parameterisations give; frozen-scale fixes ``|w_i|`` = s_i, which for ReLU loses
  nothing the next layer cannot absorb (ReLU(s z) = s ReLU(z)), but for tanh fixes each transition's width.
  Under Adam with s stored as s itself, adaptive and frozen-scale trained the same network to 4–5 digits,
  hence log s (below).
- Deeper hidden layers use He (ReLU) or Xavier (tanh) initialisation with zero bias; the output
  layer is N(0, sigma_c²) with sigma_c chosen by :func:`calibrate_output_scale` so that the mean
  square initial output over the domain is ``output_std**2`` (O(1)).

Why the scale is trained as log s. Adam moves every parameter by about the learning rate per step,
whatever its size: a scale stored as s0 = 157 would move by 0.1% in a thousand steps at lr 1e-3, so
"adaptive" and "frozen scale" would train the same network. Stored as log s, the same steps change s
by a factor up to e^(±1): the scale can adapt. (Plain gradient descent on log s is gradient descent on s
with a learning rate s² for it; with Adam the parameterisation decides how far s can go.)

What s0 does. For **tanh**, 1/s0 is the width of each neuron's transition: a frequency knob. The rule the
RepNet studies use, s0 = 2π k_max for the highest target frequency k_max (cycles per unit length), makes
a transition as steep as the finest oscillation. For **ReLU**, s0 is not a frequency knob: ReLU is
positively homogeneous, ReLU(s z) = s ReLU(z), and the deeper layers have zero biases at the start, so
every activation of every deeper layer is proportional to s0 and the calibrated output weights to 1/s0:
the initial function is the same for every s0 (to rounding). What s0 changes for ReLU is the training
dynamics: gradients with respect to (ṽ, p) grow with s0 and those of the output layer shrink, so s0 acts
as a relative learning rate of the first layer.

:func:`shallow_relu_magnitudes` gives the variance estimates that guide the initialisation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from spectra._validation import (
    _Described,
    as_points,
    as_real_array,
    brief,
    check_choice,
    check_finite,
    check_float_dtype,
    check_model,
    check_positive_float,
    check_positive_int,
    fail,
)
from spectra.domain import Box, BoxLike, as_box, uniform_grid
from spectra.models.layers import (
    Dense,
    check_input,
    check_network_size,
    get_activation,
    parameter_dtype,
    stack_parameters,
)
from spectra.models.mlp import MLP
from spectra.results import Result
from spectra.seeding import Seed, make_generator

PLACEMENTS = ("uniform_random", "uniform_grid", "quantiles")
VARIANTS = ("adaptive", "frozen_scale", "init_only")
SCALES = ("shared", "per_neuron")


class RepLayer(nn.Module):
    """z_i = s_i (v_i·x - p_i) with v_i = ṽ_i / ``|ṽ_i|`` and s_i = exp(log s_i) (see module docstring).

    Parameters: ``direction`` ṽ (width, d), ``offset`` p (width,), ``log_scale`` log s of shape (1,)
    (shared) or (width,) (per neuron), a buffer when the scale is frozen. ``scale`` (the constructor's
    argument and the property) is s itself.
    """

    def __init__(
        self, direction: torch.Tensor, offset: torch.Tensor, scale: torch.Tensor, *, train_scale: bool = True
    ) -> None:
        super().__init__()
        direction = as_points("direction", direction)
        width = len(direction)
        for name, value, shapes in (("offset", offset, [(width,)]), ("scale", scale, [(1,), (width,)])):
            if not isinstance(value, torch.Tensor) or tuple(value.shape) not in shapes:
                fail(name, f"a tensor of shape {' or '.join(map(str, shapes))}", brief(value), TypeError)
            check_finite(name, value)
        if not bool((direction.norm(dim=1) > 0).all()):
            fail("direction", "non-zero direction vectors (rows)", brief(direction))
        if not bool((scale > 0).all()):
            fail("scale", "positive slope scales s", brief(scale))
        self.in_features = direction.shape[1]
        self.out_features = direction.shape[0]
        self.direction = nn.Parameter(direction)
        self.offset = nn.Parameter(offset)
        if train_scale:
            self.log_scale = nn.Parameter(scale.log())
        else:
            self.register_buffer("log_scale", scale.log())

    @property
    def scale(self) -> torch.Tensor:
        """The slope scale s = exp(log s), shape (1,) or (width,)."""
        return self.log_scale.exp()

    def unit_direction(self) -> torch.Tensor:
        return self.direction / self.direction.norm(dim=1, keepdim=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * (x @ self.unit_direction().T - self.offset)

    def effective_weight(self) -> torch.Tensor:
        """w_i = s_i v_i, shape (width, d)."""
        return self.scale[:, None] * self.unit_direction()

    def effective_bias(self) -> torch.Tensor:
        """b_i = -s_i p_i, shape (width,)."""
        return -(self.scale * self.offset).expand(self.out_features)


def projection_range(directions: torch.Tensor, box: Box) -> tuple[torch.Tensor, torch.Tensor]:
    """Range [lo_i, hi_i] of v_i·x over the box, for unit directions v (width, d)."""
    lo = torch.as_tensor(box.lo, dtype=directions.dtype)
    hi = torch.as_tensor(box.hi, dtype=directions.dtype)
    a, b = directions * lo, directions * hi
    return torch.minimum(a, b).sum(dim=1), torch.maximum(a, b).sum(dim=1)


def place_offsets(
    directions: torch.Tensor,
    placement: str,
    box: Box,
    data: torch.Tensor | None,
    generator: torch.Generator,
) -> torch.Tensor:
    """Initial offsets p_i for unit directions v_i (see module docstring for the placements)."""
    width = directions.shape[0]
    if placement == "uniform_random":
        levels = torch.rand(width, generator=generator, dtype=directions.dtype)
    else:
        levels = (torch.arange(width, dtype=directions.dtype) + 0.5) / width
        # Neurons facing "backwards" read the level from the other end, so that in 1-D the kinks
        # -b/w = p·sign(v) of both orientations interleave on one grid instead of colliding.
        backwards = directions.sum(dim=1) < 0
        levels = torch.where(backwards, 1 - levels, levels)
    if placement == "quantiles":
        projections = data.to(directions.dtype) @ directions.T  # (n, width)
        return torch.stack([torch.quantile(projections[:, i], levels[i]) for i in range(width)])
    lo, hi = projection_range(directions, box)
    return lo + levels * (hi - lo)


class RepNet(nn.Module):
    """Network with a reparameterised first hidden layer (see module docstring).

    Parameters
    ----------
    in_features, out_features, width, depth
        Input and output sizes, neurons per hidden layer, number of hidden layers (>= 1).
    activation
        ``"relu"`` or ``"tanh"``.
    s0
        Initial slope scale s (> 0). For ReLU the function only depends on c_i s_i, so s0 shapes the
        training dynamics; for tanh it is the inverse transition width.
    domain
        Box over which partition points are spread: the training inputs' box. Required unless ``data``
        is given, whose bounding box it then is.
    data
        The training inputs (n, d): their bounding box is the default ``domain``, their quantiles place
        the partition points when ``placement="quantiles"``, and the output scale is calibrated on them.
    output_scale
        ``"auto"`` (calibrate on a grid of the domain, or on ``data``) or a fixed sigma_c.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int = 1,
        width: int = 64,
        depth: int = 1,
        *,
        activation: str = "relu",
        s0: float = 1.0,
        scale: str = "shared",
        placement: str = "uniform_random",
        domain: BoxLike | None = None,
        data: torch.Tensor | None = None,
        variant: str = "adaptive",
        output_scale: str | float = "auto",
        output_std: float = 1.0,
        seed: Seed = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.in_features = check_positive_int("in_features", in_features)
        self.out_features = check_positive_int("out_features", out_features)
        self.width = check_positive_int("width", width)
        self.depth = check_positive_int("depth", depth)
        self.activation_name = check_choice("activation", activation, ("relu", "tanh"))
        self.activation = get_activation(activation)
        self.s0 = check_positive_float("s0", s0)
        self.scale_mode = check_choice("scale", scale, SCALES)
        self.placement = check_choice("placement", placement, PLACEMENTS)
        self.variant = check_choice("variant", variant, VARIANTS)
        dtype = check_float_dtype("dtype", dtype) or torch.get_default_dtype()
        sizes = {"in_features": in_features, "out_features": out_features, "width": width, "depth": depth}
        check_network_size(sizes, stack_parameters(in_features, width, depth, out_features), dtype)
        if placement == "quantiles" and data is None:
            fail("data", "points (n, d) to take quantiles of when placement='quantiles'", None)
        if data is not None:
            data = as_points("data", data, in_features).detach().cpu()
        if domain is None and data is None:
            fail(
                "domain",
                "the box of the training inputs (domain=...) or the inputs themselves (data=...)",
                _Described("neither (there is no default domain: kinks placed off the data cannot learn)"),
            )
        self.domain = as_box("domain", domain) if domain is not None else data_box(data)
        if self.domain.dim != in_features:
            fail("domain", f"a box in {in_features} dimension(s)", self.domain)
        if not (isinstance(output_scale, str) and output_scale == "auto"):
            output_scale = check_positive_float("output_scale", output_scale)
        generator = make_generator(seed)

        direction = torch.randn(width, in_features, generator=generator, dtype=torch.float64)
        unit = direction / direction.norm(dim=1, keepdim=True)
        offset = place_offsets(unit, placement, self.domain, data, generator)
        s = torch.full((1 if scale == "shared" else width,), self.s0, dtype=torch.float64)
        if variant == "init_only":
            first = Dense(in_features, width, init="normal", dtype=dtype)
            with torch.no_grad():
                first.weight.copy_(s[:, None] * unit)
                first.bias.copy_(-s * offset)
            self.first: nn.Module = first
        else:
            self.first = RepLayer(unit.to(dtype), offset.to(dtype), s.to(dtype), train_scale=variant == "adaptive")

        hidden_init = "he" if activation == "relu" else "xavier"
        sizes = [width] * depth + [out_features]
        self.layers = nn.ModuleList(
            Dense(fan_in, fan_out, init=hidden_init if k < depth - 1 else "normal", generator=generator, dtype=dtype)
            for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True))
        )
        if output_scale == "auto":
            probe = data if data is not None else domain_probe(self.domain)
            calibrate_output_scale(self, probe.to(dtype), output_std, generator)
        else:
            with torch.no_grad():
                self.layers[-1].weight.mul_(output_scale)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Activations of the last hidden layer, shape (..., width)."""
        check_input(x, self.in_features, parameter_dtype(self.first))
        a = self.activation(self.first(x))
        for layer in self.layers[:-1]:
            a = self.activation(layer(a))
        return a

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers[-1](self.features(x))

    def first_layer_weight_bias(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(w, b) of the first hidden layer as applied: z = x wᵀ + b, shapes (width, d) and (width,)."""
        return self.first.effective_weight(), self.first.effective_bias()

    def extra_repr(self) -> str:
        return f"activation={self.activation_name}, s0={self.s0}, placement={self.placement}, variant={self.variant}"


def data_box(data: torch.Tensor) -> Box:
    """The bounding box of points (n, d), each side of positive length."""
    lo, hi = data.min(dim=0).values.tolist(), data.max(dim=0).values.tolist()
    if not all(b > a for a, b in zip(lo, hi, strict=True)):
        fail("data", "points spanning a box of positive length along every axis", _Described(f"lo={lo}, hi={hi}"))
    return Box(tuple(lo), tuple(hi))


def domain_probe(box: Box, n_total: int = 4096) -> torch.Tensor:
    """About ``n_total`` points of a uniform grid of ``box``, ends included: where outputs are calibrated."""
    per_dim = max(2, int(round(n_total ** (1.0 / box.dim))))
    return uniform_grid(box, per_dim, endpoint=True)


def calibrate_output_scale(model: nn.Module, x: torch.Tensor, output_std: float = 1.0, seed: Seed = None) -> float:
    """Redraw the output layer as N(0, sigma_c²) with E[f(x)²] averaged over ``x`` equal to output_std².

    For output weights c ~ N(0, sigma_c²) and zero bias, E_c[f(x)²] = sigma_c² ``|h(x)|²`` where h are
    the last hidden activations; so sigma_c = output_std / sqrt(mean_x ``|h(x)|²``). Works for any
    model with ``features(x)`` and a final :class:`Dense` in ``model.layers[-1]``. Returns sigma_c.
    ``x`` is converted to the model's dtype and device.
    """
    model = check_model("model", model)
    layers = getattr(model, "layers", None)
    if not hasattr(model, "features") or not isinstance(layers, nn.ModuleList) or not isinstance(layers[-1], Dense):
        fail("model", "a network with features(x) and a final Dense layer", type(model).__name__, TypeError)
    output_std = check_positive_float("output_std", output_std)
    out = model.layers[-1]
    x = as_points("x", x, dtype=out.weight.dtype, device=out.weight.device)
    with torch.no_grad():
        h = model.features(x)
        mean_square = float((h**2).sum(dim=1).mean())
        if mean_square <= 0:
            fail("x", "points where some last-layer neuron is active", "all features zero")
        sigma_c = output_std / math.sqrt(mean_square)
        # Drawn in float64 whatever the model's dtype (copy_ casts): a seed gives the same weights in every dtype.
        draw = torch.randn(out.weight.shape, generator=make_generator(seed), dtype=torch.float64)
        out.weight.copy_(sigma_c / out.weight_scale * draw)
        out.bias.zero_()
    return sigma_c


def normalised_mlp(
    in_features: int,
    out_features: int,
    width: int,
    depth: int,
    domain: BoxLike,
    *,
    activation: str = "relu",
    seed: Seed = None,
) -> MLP:
    """The MLP that gets RepNet's help without its reparameterisation, a fair baseline for it.

    Inputs mapped from ``domain`` onto [-1, 1]^d (:class:`~spectra.models.layers.Dense`'s ``input_domain``),
    PyTorch's default first layer (its biases spread the kinks over the inputs), He (ReLU) or Xavier (tanh)
    deeper layers with zero biases as in RepNet, and the output calibrated on the domain to an O(1) initial
    output (:func:`calibrate_output_scale`), as RepNet's is.
    """
    sizes = {"in_features": in_features, "out_features": out_features, "width": width, "depth": depth}
    for name, size in sizes.items():
        check_positive_int(name, size)
    # Sizes first, as RepNet checks them: a network too large is refused by its size, not by its domain.
    check_network_size(sizes, stack_parameters(in_features, width, depth, out_features), None)
    box = as_box("domain", domain)
    if box.dim != in_features:
        fail("domain", f"a box in {in_features} dimension(s), one per input", box)
    deeper = "he" if activation == "relu" else "xavier"
    model = MLP(
        in_features,
        out_features,
        width,
        depth,
        activation=activation,
        init=deeper,
        first_init="torch",
        input_domain=box,
        seed=seed,
    )
    calibrate_output_scale(model, domain_probe(box), seed=seed)
    return model


@dataclass
class MagnitudeEstimate(Result):
    """Predicted slope and output variances of a shallow 1-D ReLU RepNet (see function doc)."""

    x: np.ndarray = Result.array_field(("n",))
    slope_variance: float
    output_variance: np.ndarray = Result.array_field(("n",))
    width: int
    s: float
    sigma_c: float
    domain: tuple[float, float]

    @property
    def output_variance_midpoint(self) -> float:
        a, b = self.domain
        return self.sigma_c**2 * self.s**2 * self.width * (b - a) ** 2 / 24

    @property
    def output_variance_ends(self) -> float:
        a, b = self.domain
        return self.sigma_c**2 * self.s**2 * self.width * (b - a) ** 2 / 6

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"x": self.x, "output_variance": self.output_variance, "slope_variance": self.slope_variance}
        )


def shallow_relu_magnitudes(
    width: int, s: float, sigma_c: float, domain: Sequence[float] = (-1.0, 1.0), x: np.ndarray | None = None
) -> MagnitudeEstimate:
    """Variance of u(x) = Σ_i c_i ReLU(s v_i (x - p_i)) over the random initialisation.

    With v_i = ±1 (equal odds), p_i ~ U[a, b], L = b - a, c_i ~ N(0, sigma_c²) and width N:

        Var u'(x) = sigma_c² s² N / 2                       (every x in [a, b]),
        Var u(x)  = sigma_c² s² (N/2) [ (x - a)³ + (b - x)³ ] / (3L),

    which runs from sigma_c² s² N L² / 24 at the midpoint to sigma_c² s² N L² / 6 at the ends.
    Derivation: E[ReLU(s v (x - p))²] = s² E[(x - p)² 1{v (x - p) > 0}], averaged over p and v.
    """
    width = check_positive_int("width", width)
    s = check_positive_float("s", s)
    sigma_c = check_positive_float("sigma_c", sigma_c)
    interval = as_real_array("domain", domain)
    if interval.shape != (2,) or not interval[1] > interval[0]:
        fail("domain", "(a, b) with b > a", brief(domain))
    a, b = interval.tolist()
    x = np.linspace(a, b, 101) if x is None else as_real_array("x", x)
    length = b - a
    output_variance = sigma_c**2 * s**2 * (width / 2) * ((x - a) ** 3 + (b - x) ** 3) / (3 * length)
    return MagnitudeEstimate(x, sigma_c**2 * s**2 * width / 2, output_variance, width, s, sigma_c, (a, b))
