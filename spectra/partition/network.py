"""Which path reads a model's partition, and the toolkit's own networks as stacks of affine maps.

Supported models. Every partition function takes any ``torch.nn.Module`` that maps inputs (n, d) to
outputs (n, ...), sample by sample:

- the toolkit's MLP, RepNet and FourierFeatureMLP (below) take a fast path that reads their weights
  (``engine="toolkit"``);
- any other module takes the generic path (``engine="generic"``, also available for the toolkit's
  own), which reads the model's own forward pass, operation by operation
  (:mod:`spectra.partition.capture`). It is exact for networks built from affine maps (Linear,
  Conv1d/Conv2d, BatchNorm in eval mode, skip connections, reshapes) and the piecewise-linear
  activations ReLU, LeakyReLU, PReLU, hard-tanh/ReLU6, hardsigmoid, clamp, abs, maximum/minimum and
  max-pooling, called as modules or functions. Smooth activations (tanh, GELU, SiLU, sigmoid, ...),
  sin/cos encoders and LayerNorm (not piecewise linear: it divides by a norm of the input) make it
  numerical, and say so. Its "layers" are the recorded operations in forward order and its
  "neurons" their units (one per element; see the capture module for hard-tanh and max-pooling).

:func:`partition_points` (first-layer hyperplanes) exists only for the toolkit's own networks.

The toolkit's networks. Every network of :mod:`spectra.models` with a partition is, after an optional input encoder γ,

    z^(0) = W_0 γ(x) + b_0,   z^(l) = W_l σ(z^(l-1)) + b_l  (l = 1..D-1),   f(x) = W_D σ(z^(D-1)) + b_D,

with D hidden layers of pre-activations z^(l) and activation σ. Hidden layers are numbered from 0
(the first hidden layer) and neurons from 0 within their layer; "neuron (l, i)" is z^(l)_i.

- :class:`~spectra.models.MLP`: no encoder, W_l = ``layers[l].effective_weight()``.
- :class:`~spectra.models.RepNet`: no encoder, (W_0, b_0) = ``first_layer_weight_bias()``
  (w_i = s_i v_i, b_i = -s_i p_i), then ``layers``.
- :class:`~spectra.models.FourierFeatureMLP`: γ is its ``encoder`` (a FourierFeatures, e.g. the
  positional encoding sin/cos(2^l π x)), then the MLP's layers; its first-layer pre-activations are
  sums of sinusoids in x, so only numerical geometry applies to it.

``affine_maps`` copies the parameters to the CPU in float64 (exact geometry is sequential and
needs the precision); ``hidden_preactivations`` runs the model's own modules, on its device and
in its dtype, for the sample-based metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from spectra._validation import check_choice, check_model, fail
from spectra.models import MLP, FourierFeatureMLP, FourierFeatures, RepNet
from spectra.models.layers import check_input, get_activation

SUPPORTED = "an MLP, RepNet or FourierFeatureMLP (spectra.models)"
ENGINES = ("auto", "toolkit", "generic")
TOOLKIT_MODELS = (MLP, RepNet, FourierFeatureMLP)


@dataclass(frozen=True)
class Architecture:
    """The modules of a supported network in the order the formula above applies them."""

    encoder: FourierFeatures | None
    hidden: tuple[nn.Module, ...]
    output: nn.Module
    activation: str
    in_features: int
    first_weight_bias: tuple[torch.Tensor, torch.Tensor]

    @property
    def widths(self) -> list[int]:
        return [int(self.first_weight_bias[1].shape[0])] + [int(m.out_features) for m in self.hidden[1:]]

    @property
    def n_neurons(self) -> int:
        return sum(self.widths)

    @property
    def neuron_layer(self) -> np.ndarray:
        """Hidden-layer index (0 = first) of every neuron, in the order of :func:`activation_patterns`."""
        return np.concatenate([np.full(w, k) for k, w in enumerate(self.widths)])

    @property
    def neuron_index(self) -> np.ndarray:
        """Index within its layer of every neuron."""
        return np.concatenate([np.arange(w) for w in self.widths])


def unpack(model: nn.Module) -> Architecture:
    """The :class:`Architecture` of ``model``; a TypeError names the supported models otherwise."""
    check_model("model", model)
    if isinstance(model, MLP):
        hidden = tuple(model.layers[:-1])
        first = (hidden[0].effective_weight(), hidden[0].effective_bias())
        return Architecture(None, hidden, model.layers[-1], model.activation_name, model.in_features, first)
    if isinstance(model, RepNet):
        hidden = (model.first, *model.layers[:-1])
        first = model.first_layer_weight_bias()
        return Architecture(None, hidden, model.layers[-1], model.activation_name, model.in_features, first)
    if isinstance(model, FourierFeatureMLP):
        inner = unpack(model.mlp)
        return Architecture(
            model.encoder, inner.hidden, inner.output, inner.activation, model.in_features, inner.first_weight_bias
        )
    fail("model", SUPPORTED, type(model).__name__, TypeError)


def toolkit_architecture(model: nn.Module, engine: str = "auto") -> Architecture | None:
    """The :class:`Architecture` for the toolkit's fast path, or None when ``model`` takes the generic path.

    ``engine="auto"`` chooses the fast path for the toolkit's own classes; ``"toolkit"`` requires one
    (a TypeError otherwise); ``"generic"`` takes the generic path for any module.
    """
    check_choice("engine", engine, ENGINES)
    check_model("model", model)
    if engine == "toolkit" or (engine == "auto" and isinstance(model, TOOLKIT_MODELS)):
        return unpack(model)
    return None


def affine_maps(architecture: Architecture) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(W_0, b_0), ..., (W_D, b_D)] as float64 NumPy arrays on the CPU (hidden layers, then output)."""

    def numpy(t: torch.Tensor) -> np.ndarray:
        return t.detach().to(device="cpu", dtype=torch.float64).numpy().copy()

    maps = [tuple(numpy(t) for t in architecture.first_weight_bias)]
    modules = [*architecture.hidden[1:], architecture.output]
    maps += [(numpy(m.effective_weight()), numpy(m.effective_bias())) for m in modules]
    return maps


def require_relu(architecture: Architecture, what: str, alternative: str) -> None:
    """Exact geometry needs ReLU on raw coordinates: say so, and point to ``alternative``."""
    if architecture.activation != "relu":
        fail(
            "model",
            f"a ReLU network for {what} (activation {architecture.activation!r} has no kinks; use {alternative})",
            f"activation {architecture.activation!r}",
        )
    if architecture.encoder is not None:
        fail(
            "model",
            f"a ReLU network on raw coordinates for {what} (with a Fourier-feature or positional encoder the "
            f"first-layer pre-activations are sums of sinusoids, not affine; use {alternative})",
            "a FourierFeatureMLP",
        )


def hidden_preactivations(model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    """[z^(0)(x), ..., z^(D-1)(x)], each (n, width_l), computed by the model's own modules."""
    architecture = unpack(model)
    check_input(x, architecture.in_features)
    sigma = get_activation(architecture.activation)
    a = architecture.encoder(x) if architecture.encoder is not None else x
    out = []
    for layer in architecture.hidden:
        z = layer(a)
        out.append(z)
        a = sigma(z)
    return out


def encoder_arrays(encoder: FourierFeatures) -> tuple[np.ndarray, np.ndarray]:
    """(B, a) of γ(x) = [a ⊙ cos(2π x Bᵀ), a ⊙ sin(2π x Bᵀ)] as float64 NumPy arrays."""
    frequencies = encoder.frequencies.detach().to(device="cpu", dtype=torch.float64).numpy()
    amplitudes = encoder.amplitudes.detach().to(device="cpu", dtype=torch.float64).numpy()
    return frequencies, amplitudes
