"""Plain multilayer perceptron: the vanilla network of the spectral-bias literature.

f(x) = L_{D+1} ∘ σ ∘ L_D ∘ ... ∘ σ ∘ L_1 (x), with D = ``depth`` hidden layers of ``width``
neurons, activation σ in {relu, tanh, sin} and :class:`~spectra.models.layers.Dense` layers in the
standard or NTK parameterisation. Inputs (..., in_features), outputs (..., out_features).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from spectra._validation import check_choice, check_float_dtype, check_positive_int, fail
from spectra.domain import BoxLike
from spectra.models.layers import (
    INITS,
    PARAMETERIZATIONS,
    Dense,
    check_input,
    check_network_size,
    get_activation,
    stack_parameters,
)
from spectra.seeding import Seed, make_generator


class MLP(nn.Module):
    """Fully connected network with ``depth`` hidden layers of ``width`` neurons.

    Parameters
    ----------
    parameterization
        ``"standard"`` (weights drawn by ``init``) or ``"ntk"``
        (W, b ~ N(0, 1), z = sigma_w/sqrt(fan_in)·Wa + sigma_b·b).
    init
        For the standard parameterisation: ``"torch"`` (PyTorch default), ``"xavier"`` (zero bias),
        ``"he"`` (zero bias) or ``"normal"``.
    first_init
        The first layer's initialisation, when it differs from ``init`` (e.g. ``"torch"``, whose biases
        spread the kinks over the inputs, under He-initialised deeper layers whose biases are zero).
    sigma_w, sigma_b
        NTK-parameterisation scales; sigma_w defaults to sqrt(2) for ReLU (variance preserving) and 1 otherwise.
    input_domain
        A box (the training inputs' domain) that the first layer maps onto [-1, 1]^d before its weights
        (:class:`~spectra.models.layers.Dense`); None: raw inputs.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int = 1,
        width: int = 64,
        depth: int = 3,
        *,
        activation: str = "relu",
        parameterization: str = "standard",
        init: str = "torch",
        first_init: str | None = None,
        sigma_w: float | None = None,
        sigma_b: float = 0.1,
        seed: Seed = None,
        dtype: torch.dtype | None = None,
        input_domain: BoxLike | None = None,
    ) -> None:
        super().__init__()
        self.in_features = check_positive_int("in_features", in_features)
        self.out_features = check_positive_int("out_features", out_features)
        self.width = check_positive_int("width", width)
        self.depth = check_positive_int("depth", depth)
        self.activation_name = activation
        self.activation = get_activation(activation)
        self.parameterization = check_choice("parameterization", parameterization, PARAMETERIZATIONS)
        if first_init is not None:
            check_choice("first_init", first_init, INITS)
        dtype = check_float_dtype("dtype", dtype)
        sizes = {"in_features": in_features, "out_features": out_features, "width": width, "depth": depth}
        check_network_size(sizes, stack_parameters(in_features, width, depth, out_features), dtype)
        if sigma_w is None:
            sigma_w = math.sqrt(2.0) if activation == "relu" else 1.0
        generator = make_generator(seed)
        sizes = [in_features] + [width] * depth + [out_features]
        self.layers = nn.ModuleList(
            Dense(
                fan_in,
                fan_out,
                init=first_init if k == 0 and first_init is not None else init,
                parameterization=parameterization,
                sigma_w=sigma_w,
                sigma_b=sigma_b,
                generator=generator,
                dtype=dtype,
                input_domain=input_domain if k == 0 else None,
            )
            for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True))
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Activations of the last hidden layer, shape (..., width)."""
        check_input(x, self.in_features, self.layers[0].weight.dtype)
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers[-1](self.features(x))

    def extra_repr(self) -> str:
        return f"activation={self.activation_name}, parameterization={self.parameterization}"


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) scalar parameters (a model on the 'meta' device counts too)."""
    if not isinstance(model, nn.Module):
        fail("model", "a torch.nn.Module", type(model).__name__, TypeError)
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
