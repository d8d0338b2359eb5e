"""SIREN: a sine-activation network with its published initialisation (Sitzmann et al. 2020).

    f(x) = W_{D+1} h_D + b_{D+1},   h_k = sin(ω0 (W_k h_{k-1} + b_k)),   h_0 = x,

with D = ``depth`` hidden layers of ``width`` neurons and ω0 = 30 in every hidden layer (the paper's
``first_omega_0 = hidden_omega_0 = 30``). Initialisation, with n the layer's fan-in:

- first layer: W ~ U(-1/n, 1/n);
- every later layer, the linear output layer included: W ~ U(-sqrt(6/n)/ω0, sqrt(6/n)/ω0);
- biases: PyTorch's default U(-1/sqrt(n), 1/sqrt(n)), as in the paper's code (it re-initialises weights only).

The paper feeds coordinates in [-1, 1]^d: ``input_domain`` (a box) maps the inputs affinely onto [-1, 1]^d
in the first layer (:class:`~spectra.models.layers.Dense`), so that a network on pixel centres in [0, 1]² with
``input_domain=[(0, 1), (0, 1)]`` is the published one. Weights are drawn in float64 from ``seed`` and cast.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from spectra._validation import check_float_dtype, check_positive_float, check_positive_int
from spectra.domain import BoxLike
from spectra.models.layers import Dense, check_input, check_network_size, stack_parameters
from spectra.seeding import Seed, make_generator

__all__ = ["Siren"]


class Siren(nn.Module):
    """Sine-activation network h_k = sin(ω0 (W_k h_{k-1} + b_k)) with the published initialisation.

    Parameters
    ----------
    in_features, out_features
        Input and output sizes.
    width, depth
        Neurons per hidden layer and number of hidden layers.
    omega0
        The frequency factor ω0 of every hidden layer (30 in the paper).
    input_domain
        A box that the first layer maps onto [-1, 1]^d (the paper's coordinate range); None: raw inputs.
    seed
        Seed (or generator) of the initial weights.
    dtype
        Parameter dtype (default: torch's default dtype).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int = 1,
        width: int = 256,
        depth: int = 3,
        *,
        omega0: float = 30.0,
        input_domain: BoxLike | None = None,
        seed: Seed = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.in_features = check_positive_int("in_features", in_features)
        self.out_features = check_positive_int("out_features", out_features)
        self.width = check_positive_int("width", width)
        self.depth = check_positive_int("depth", depth)
        self.omega0 = check_positive_float("omega0", omega0)
        dtype = check_float_dtype("dtype", dtype) or torch.get_default_dtype()
        sizes = {"in_features": in_features, "out_features": out_features, "width": width, "depth": depth}
        check_network_size(sizes, stack_parameters(in_features, width, depth, out_features), dtype)
        generator = make_generator(seed)
        dims = [in_features] + [width] * depth + [out_features]
        layers = []
        for k, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
            layer = Dense(
                fan_in,
                fan_out,
                init="torch",
                generator=generator,
                dtype=dtype,
                input_domain=input_domain if k == 0 else None,
            )
            bound = 1.0 / fan_in if k == 0 else math.sqrt(6.0 / fan_in) / self.omega0
            weight = (2 * torch.rand((fan_out, fan_in), generator=generator, dtype=torch.float64) - 1) * bound
            with torch.no_grad():
                layer.weight.copy_(weight.to(dtype))
            layers.append(layer)
        self.layers = nn.ModuleList(layers)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Activations of the last hidden layer, shape (..., width)."""
        check_input(x, self.in_features, self.layers[0].weight.dtype)
        for layer in self.layers[:-1]:
            x = torch.sin(self.omega0 * layer(x))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers[-1](self.features(x))

    def extra_repr(self) -> str:
        return f"omega0={self.omega0:g}"
