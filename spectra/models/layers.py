"""The dense layer every spectra network is built from, and its initialisations.

A :class:`Dense` layer computes z = weight_scale · a Wᵀ + bias_scale · b. The two scale factors
make the standard and the NTK parameterisations one layer (``parameterization`` and ``init`` are kept
as attributes):

- standard: weight_scale = bias_scale = 1 and W, b drawn by an initialisation scheme;
- NTK (Jacot et al.): W, b ~ N(0, 1), weight_scale = sigma_w / sqrt(fan_in), bias_scale = sigma_b.

Keeping the scales explicit lets the structured empirical NTK write the layer's Jacobian in
closed form: ∂z/∂W = weight_scale · δ ⊗ a and ∂z/∂b = bias_scale · δ.

A first layer may normalise its input: ``input_domain`` (a box [lo, hi]) is mapped affinely onto
[-1, 1]^in before the weights, a = 2 (x - lo) / (hi - lo) - 1 (fixed buffers, not trained). The layer
then acts on raw inputs x as the affine map with ``effective_weight()`` = weight_scale · W diag(2 / (hi - lo))
and the matching ``effective_bias()``, which is what the partition analyses read.

Initialisation schemes for the standard parameterisation (fan_in = inputs, fan_out = outputs):

- ``"torch"``: PyTorch's nn.Linear default, W and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in));
- ``"xavier"``: W ~ N(0, 2 / (fan_in + fan_out)), b = 0;
- ``"he"``: W ~ N(0, 2 / fan_in), b = 0;
- ``"normal"``: W ~ N(0, 1), b = 0 (rescaled afterwards, e.g. for an output layer).

Every draw is made in float64 on the CPU from the given generator and then cast to the layer's dtype,
so a seed gives the same weights whether a model is built in float64 or built in float32 and converted.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from spectra._validation import (
    _Described,
    check_choice,
    check_float_dtype,
    check_memory,
    check_positive_float,
    check_positive_int,
    describe,
    fail,
    largest,
)
from spectra.domain import BoxLike, as_box

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sin": torch.sin,
}
INITS = ("torch", "xavier", "he", "normal")
PARAMETERIZATIONS = ("standard", "ntk")


def get_activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    return ACTIVATIONS[check_choice("activation", name, ACTIVATIONS)]


def stack_parameters(in_features: int, width: int, depth: int, out_features: int) -> int:
    """Parameters of ``depth`` hidden dense layers of ``width`` neurons between the input and output sizes."""
    return in_features * width + width + (depth - 1) * (width * width + width) + width * out_features + out_features


def check_network_size(sizes: dict[str, int], n_parameters: int, dtype: torch.dtype | None) -> None:
    """Refuse, before any weight is drawn, a network whose parameters (and their initial draws) do not fit.

    The error names the largest of ``sizes`` (e.g. width, depth, in_features) and states the estimate.
    """
    itemsize = (dtype or torch.get_default_dtype()).itemsize
    shown = ", ".join(f"{name}={value}" for name, value in sizes.items())
    check_memory(
        *largest(sizes),
        2 * n_parameters * itemsize,
        subject=f"a network of {n_parameters} parameters ({shown})",
        advice="use smaller layers",
    )


def check_generator(generator: object) -> torch.Generator | None:
    if generator is not None and not isinstance(generator, torch.Generator):
        fail("generator", "a torch.Generator or None", type(generator).__name__, TypeError)
    return generator


class Dense(nn.Module):
    """z = weight_scale · a Wᵀ + bias_scale · b (see module docstring)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        init: str = "torch",
        parameterization: str = "standard",
        sigma_w: float = 1.0,
        sigma_b: float = 0.0,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
        input_domain: BoxLike | None = None,
    ) -> None:
        super().__init__()
        self.in_features = check_positive_int("in_features", in_features)
        self.out_features = check_positive_int("out_features", out_features)
        check_choice("init", init, INITS)
        box = None if input_domain is None else as_box("input_domain", input_domain)
        if box is not None and box.dim != in_features:
            fail("input_domain", f"a box in {in_features} dimension(s), one per input", box)
        check_choice("parameterization", parameterization, PARAMETERIZATIONS)
        generator = check_generator(generator)
        dtype = check_float_dtype("dtype", dtype) or torch.get_default_dtype()
        sizes = {"in_features": in_features, "out_features": out_features}
        check_network_size(sizes, (in_features + 1) * out_features, dtype)
        sigma_w = check_positive_float("sigma_w", sigma_w)  # checked in both parameterisations, used in one
        sigma_b = check_positive_float("sigma_b", sigma_b, allow_zero=True)
        shape = (out_features, in_features)
        # Drawn in float64 on the CPU and then cast: the same generator state gives the same weights in every
        # dtype (float32 weights are the float64 draws rounded), whether built in a dtype or converted later.
        if parameterization == "ntk":
            weight = torch.randn(shape, generator=generator, dtype=torch.float64)
            bias = torch.randn(out_features, generator=generator, dtype=torch.float64)
            self.weight_scale = sigma_w / math.sqrt(in_features)
            self.bias_scale = sigma_b
        else:
            weight, bias = _standard_init(init, shape, generator)
            self.weight_scale, self.bias_scale = 1.0, 1.0
        self.parameterization, self.init = parameterization, init
        self.weight = nn.Parameter(weight.to(dtype))
        self.bias = nn.Parameter(bias.to(dtype))
        self.input_domain = box
        if box is not None:  # a ↦ a · input_scale + input_shift maps the box onto [-1, 1]^in
            lo, hi = (torch.tensor(v, dtype=torch.float64) for v in (box.lo, box.hi))
            self.register_buffer("input_scale", (2 / (hi - lo)).to(self.weight.dtype))
            self.register_buffer("input_shift", (-(hi + lo) / (hi - lo)).to(self.weight.dtype))

    def normalise(self, a: torch.Tensor) -> torch.Tensor:
        """The input the weights see: a itself, or a mapped from ``input_domain`` onto [-1, 1]^in."""
        return a if self.input_domain is None else a * self.input_scale + self.input_shift

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        return self.weight_scale * (self.normalise(a) @ self.weight.T) + self.bias_scale * self.bias

    def effective_weight(self) -> torch.Tensor:
        """The matrix applied to the raw input, weight_scale · W (· diag(input_scale)), shape (out, in)."""
        weight = self.weight_scale * self.weight
        return weight if self.input_domain is None else weight * self.input_scale

    def effective_bias(self) -> torch.Tensor:
        """The bias applied to the raw input: bias_scale · b (+ weight_scale · W input_shift), shape (out,)."""
        bias = self.bias_scale * self.bias
        return bias if self.input_domain is None else bias + self.weight_scale * self.weight @ self.input_shift

    def extra_repr(self) -> str:
        scales = f"weight_scale={self.weight_scale:.4g}, bias_scale={self.bias_scale:.4g}"
        domain = "" if self.input_domain is None else f", input_domain={self.input_domain}"
        return f"in={self.in_features}, out={self.out_features}, {scales}{domain}"


def _standard_init(
    init: str, shape: tuple[int, int], generator: torch.Generator | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(W, b) of a standard initialisation (module docstring), float64."""
    fan_out, fan_in = shape
    if init == "torch":
        bound = 1.0 / math.sqrt(fan_in)
        weight = (2 * torch.rand(shape, generator=generator, dtype=torch.float64) - 1) * bound
        bias = (2 * torch.rand(fan_out, generator=generator, dtype=torch.float64) - 1) * bound
        return weight, bias
    std = math.sqrt(gaussian_weight_variance(init, fan_in, fan_out))
    return std * torch.randn(shape, generator=generator, dtype=torch.float64), torch.zeros(fan_out, dtype=torch.float64)


def gaussian_weight_variance(init: str, fan_in: int, fan_out: int) -> float:
    """Var(W_ij) of the Gaussian standard initialisations (module docstring): xavier, he and normal."""
    return {"xavier": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in, "normal": 1.0}[init]


def check_input(x: torch.Tensor, in_features: int, dtype: torch.dtype | None = None) -> None:
    """Models take tensors (..., in_features) in their own ``dtype``; a wrong last dimension is the commonest
    mistake, a float64 input to a float32 model the next (convert with ``x.to(dtype)``)."""
    if not isinstance(x, torch.Tensor):
        fail("x", f"a torch.Tensor of shape (n, {in_features})", _Described(describe(x)), TypeError)
    if x.dim() == 0 or x.shape[-1] != in_features:
        raise ValueError(f"x: expected shape (n, {in_features}) (sample axis first), got shape {tuple(x.shape)}")
    if dtype is not None and x.dtype != dtype:
        expected = f"a tensor of the model's dtype {dtype} (convert with x.to({dtype}))"
        fail("x", expected, _Described(describe(x)), TypeError)


def parameter_dtype(module: nn.Module) -> torch.dtype | None:
    """The dtype of the module's first parameter or buffer (what its inputs must match); None if it has neither."""
    reference = next(iter(module.parameters()), None)
    if reference is None:
        reference = next(iter(module.buffers()), None)
    return None if reference is None else reference.dtype
