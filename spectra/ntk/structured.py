"""Structured empirical NTK: Θ as a sum of Hadamard products of small Gram matrices.

A layer with output z and output cotangents δ_o = ∂f_o/∂z (one per network output o) has a
Jacobian that factorises. For a :class:`~spectra.models.Dense` layer z = weight_scale · a Wᵀ + bias_scale · b,

    ∂f_o/∂W = weight_scale · δ_o ⊗ a,    ∂f_o/∂b = bias_scale · δ_o,

so its share of Θ_op(x, x') = Σ_θ ∂f_o(x)/∂θ · ∂f_p(x')/∂θ is
[weight_scale² a(x)·a(x') + bias_scale²] · δ_o(x)·δ_p(x'). Every layer known here contributes terms

    sign · (U(x)·U(x')) · (Δ_o(x)·Δ_p(x')),    U: (n, k) inputs,  Δ: (n, c, w) weighted cotangents,

(a ``Factor``; U = None stands for a single column of ones), and Θ is their sum. The
rules, with s the slope scale, v_i = ṽ_i/``|ṽ_i|`` and φ = 2π x·w:

- Dense / nn.Linear: U = [weight_scale · a, bias_scale], Δ = δ (columns for trained W, b only).
- RepLayer z_i = s_i (v_i·x - p_i): ∂z_i/∂p_i = -s_i (U = 1, Δ = -s δ); ∂z_i/∂s_i = v_i·x - p_i
  (U = 1, Δ = δ ⊙ (v·x - p), summed over i for a shared s); ∂z_i/∂ṽ_i = (s_i/``|ṽ_i|``)(I - v_i v_iᵀ) x,
  whose Gram is (s_i/``|ṽ_i|``)² [x·x' - (v_i·x)(v_i·x')]: a + term (U = x) and a - term (U = 1).
  In 1-D, v_i = ±1 and the direction gradient vanishes.
- FourierFeatures γ = [a ⊙ cos φ, a ⊙ sin φ] with trained frequencies B:
  U = x, Δ_j = 2π a_j (δ_sin,j cos φ_j - δ_cos,j sin φ_j).
- TwoLayerFourierNet f = m^(-1/2) Σ_j [a_j cos φ_j + b_j sin φ_j] (δ its output cotangent):
  (a, b): U = 1, Δ = δ [cos φ, sin φ] / √m;  w: U = x, Δ = 2π δ (b_j cos φ_j - a_j sin φ_j) / √m.

The cotangents δ come from one backward pass per output over a whole block of samples, which is
exact because samples do not interact. The path applies when every trainable parameter sits in one
of these layers, each layer is called once per forward pass (a module registered at two places, such
as one layer appended twice to a Sequential, is refused), and the modules around them are
spectra's MLP, RepNet, FourierFeatureMLP or torch's Sequential/ModuleList/ModuleDict (modules whose
forward pass is known to use parameters only through these layers).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from spectra.models import MLP, Dense, FourierFeatureMLP, FourierFeatures, RepLayer, RepNet, TwoLayerFourierNet
from spectra.ntk._model import FunctionalModel


@dataclass(frozen=True)
class Factor:
    """One term sign · (U Uᵀ) ∘ (Δ Δᵀ) of Θ: ``inputs`` U (n, k) or None (ones), ``cotangents`` Δ (n, c, w)."""

    inputs: torch.Tensor | None
    cotangents: torch.Tensor
    sign: float = 1.0

    def rows(self, start: int, stop: int) -> Factor:
        inputs = None if self.inputs is None else self.inputs[start:stop]
        return Factor(inputs, self.cotangents[start:stop], self.sign)

    @property
    def width(self) -> int:
        """Floats per sample (k + c·w): what storing this factor costs."""
        return (0 if self.inputs is None else self.inputs.shape[1]) + self.cotangents[0].numel()


@dataclass(frozen=True)
class LayerCall:
    """What a forward hook saw: the layer's input a (n, k), its output z (n, w) and its tensors then."""

    module: nn.Module
    inputs: torch.Tensor
    output: torch.Tensor
    tensors: dict[str, torch.Tensor]
    trainable: frozenset[str]


def _dense_factors(call: LayerCall, delta: torch.Tensor) -> list[Factor]:
    module = call.module
    weight_scale, bias_scale = (module.weight_scale, module.bias_scale) if isinstance(module, Dense) else (1.0, 1.0)
    inputs = module.normalise(call.inputs) if isinstance(module, Dense) else call.inputs  # what W multiplies
    columns = []
    if "weight" in call.trainable:
        columns.append(weight_scale * inputs)
    if "bias" in call.trainable:
        columns.append(torch.full_like(call.inputs[:, :1], bias_scale))
    return [Factor(torch.cat(columns, dim=1), delta)]


def _replayer_factors(call: LayerCall, delta: torch.Tensor) -> list[Factor]:
    direction, offset, log_scale = (call.tensors[k] for k in ("direction", "offset", "log_scale"))
    scale = log_scale.exp()
    norm = direction.norm(dim=1)
    projection = call.inputs @ (direction / norm[:, None]).T  # v_i·x, (n, width)
    scale_per_neuron = scale.expand(direction.shape[0])
    factors = []
    if "direction" in call.trainable and direction.shape[1] > 1:
        weighted = delta * (scale_per_neuron / norm)
        factors.append(Factor(call.inputs, weighted))
        factors.append(Factor(None, weighted * projection[:, None, :], sign=-1.0))
    if "offset" in call.trainable:
        factors.append(Factor(None, -delta * scale_per_neuron))
    if "log_scale" in call.trainable:  # ∂z/∂(log s) = s (v·x - p)
        gradient = delta * (scale_per_neuron * (projection - offset))[:, None, :]
        factors.append(Factor(None, gradient if scale.numel() > 1 else gradient.sum(dim=2, keepdim=True)))
    return factors


def _fourier_features_factors(call: LayerCall, delta: torch.Tensor) -> list[Factor]:
    frequencies, amplitudes = call.tensors["frequencies"], call.tensors["amplitudes"]
    m = frequencies.shape[0]
    phase = 2 * math.pi * (call.inputs @ frequencies.T)
    cos, sin = torch.cos(phase)[:, None, :], torch.sin(phase)[:, None, :]
    weighted = 2 * math.pi * amplitudes * (delta[..., m:] * cos - delta[..., :m] * sin)
    return [Factor(call.inputs, weighted)]


def _two_layer_factors(call: LayerCall, delta: torch.Tensor) -> list[Factor]:
    w, a, b = (call.tensors[k] for k in ("frequencies", "a", "b"))
    phase = 2 * math.pi * (call.inputs @ w.T)
    cos, sin = torch.cos(phase)[:, None, :], torch.sin(phase)[:, None, :]
    delta = delta / math.sqrt(w.shape[0])  # (n, c, 1) broadcasts over neurons
    readout = [delta * feature for name, feature in (("a", cos), ("b", sin)) if name in call.trainable]
    factors = [Factor(None, torch.cat(readout, dim=2))] if readout else []
    if "frequencies" in call.trainable:
        factors.append(Factor(call.inputs, 2 * math.pi * delta * (b * cos - a * sin)))
    return factors


Rule = Callable[[LayerCall, torch.Tensor], list[Factor]]
RULES: dict[type[nn.Module], tuple[frozenset[str], Rule]] = {
    Dense: (frozenset({"weight", "bias"}), _dense_factors),
    nn.Linear: (frozenset({"weight", "bias"}), _dense_factors),
    RepLayer: (frozenset({"direction", "offset", "log_scale"}), _replayer_factors),
    FourierFeatures: (frozenset({"frequencies"}), _fourier_features_factors),
    TwoLayerFourierNet: (frozenset({"frequencies", "a", "b"}), _two_layer_factors),
}
CONTAINERS: tuple[type[nn.Module], ...] = (MLP, RepNet, FourierFeatureMLP, nn.Sequential, nn.ModuleList, nn.ModuleDict)


class NotStructuredError(ValueError):
    """The structured path does not cover this model; the message says why."""


def structured_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The layers holding trainable parameters, each with a rule; raise NotStructuredError otherwise."""
    layers: list[tuple[str, nn.Module]] = []
    seen: set[int] = set()
    registered: dict[int, list[str]] = {}
    for name, module in model.named_modules(remove_duplicate=False):
        registered.setdefault(id(module), []).append(name)

    def visit(name: str, module: nn.Module) -> None:
        trainable = [p for p in module.parameters() if p.requires_grad]
        if not trainable:
            return
        where = f"{type(module).__name__} at {name or 'the model root'!r}"
        if len(registered[id(module)]) > 1:
            others = ", ".join(repr(other) for other in registered[id(module)] if other != name)
            raise NotStructuredError(f"{where} is reused (also at {others}): it runs more than once per forward pass")
        if type(module) in RULES:
            handled = RULES[type(module)][0]
            own = {n for n, p in module.named_parameters(recurse=False) if p.requires_grad}
            if own - handled or len(own) != len(trainable):
                raise NotStructuredError(f"{where} trains parameters its rule does not cover: {sorted(own - handled)}")
            if any(id(p) in seen for p in trainable):
                raise NotStructuredError(f"{where} shares a parameter with another layer")
            seen.update(id(p) for p in trainable)
            layers.append((name, module))
            return
        if type(module) not in CONTAINERS:
            raise NotStructuredError(f"{where} has trainable parameters and no structured rule")
        if any(p.requires_grad for p in module.parameters(recurse=False)):
            raise NotStructuredError(f"{where} holds trainable parameters outside its layers")
        for child_name, child in module.named_children():
            visit(f"{name}.{child_name}" if name else child_name, child)

    visit("", model)
    return layers


def _merge_plain(factors: list[Factor]) -> list[Factor]:
    """Concatenate the U = 1, sign + factors: their Grams add up to the Gram of the concatenation."""
    plain = [f.cotangents for f in factors if f.inputs is None and f.sign > 0]
    rest = [f for f in factors if not (f.inputs is None and f.sign > 0)]
    return rest + ([Factor(None, torch.cat(plain, dim=2))] if plain else [])


def structured_factors(fm: FunctionalModel, layers: Sequence[tuple[str, nn.Module]], x: torch.Tensor) -> list[Factor]:
    """The factors of Θ on the rows of ``x`` (one forward pass, one backward pass per output)."""
    calls: dict[str, list[LayerCall]] = {name: [] for name, _ in layers}

    def hook(name: str) -> Callable:
        def record(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
            tensors = {**dict(module.named_parameters(recurse=False)), **dict(module.named_buffers(recurse=False))}
            trainable = frozenset(k for k, t in tensors.items() if t.requires_grad)
            if args[0].dim() != 2 or output.dim() != 2:
                raise NotStructuredError(f"{name!r} takes or returns tensors that are not (samples, features)")
            detached = {k: t.detach() for k, t in tensors.items()}
            calls[name].append(LayerCall(module, args[0].detach(), output, detached, trainable))

        return record

    trainable = {k: t.detach().requires_grad_(True) for k, t in fm.trainable.items()}
    handles = [module.register_forward_hook(hook(name)) for name, module in layers]
    try:
        with torch.enable_grad():  # callers may be under no_grad (e.g. inside a training loop)
            out = fm(x, trainable)
            per_output = _cotangents(out, calls)
    finally:
        for handle in handles:
            handle.remove()
    factors: list[Factor] = []
    for k, (seen, (_, module)) in enumerate(zip(calls.values(), layers, strict=True)):
        delta = torch.stack([grads[k] for grads in per_output], dim=1).detach()  # (n, c, w)
        factors.extend(RULES[type(module)][1](seen[0], delta))
    return _merge_plain(factors)


def _cotangents(out: torch.Tensor, calls: dict[str, list[LayerCall]]) -> list[list[torch.Tensor]]:
    """δ_o = ∂f_o/∂z for each output o and each layer output z (one backward pass per output)."""
    for name, seen in calls.items():
        if len(seen) != 1:
            raise NotStructuredError(f"layer {name!r} ran {len(seen)} times in one forward pass (expected once)")
    outputs = [seen[0].output for seen in calls.values()]
    per_output = []
    for o in range(out.shape[1]):
        grads = torch.autograd.grad(out[:, o].sum(), outputs, retain_graph=o + 1 < out.shape[1], allow_unused=True)
        per_output.append([torch.zeros_like(z) if g is None else g for g, z in zip(grads, outputs, strict=True)])
    return per_output


def concatenate(blocks: Sequence[list[Factor]]) -> list[Factor]:
    """Stack the factors of consecutive row blocks (same layers, same order) along the sample axis."""
    first = blocks[0]
    if len(blocks) == 1:
        return first
    return [
        Factor(
            None if f.inputs is None else torch.cat([b[i].inputs for b in blocks]),
            torch.cat([b[i].cotangents for b in blocks]),
            f.sign,
        )
        for i, f in enumerate(first)
    ]


def factor_gram(rows: Sequence[Factor], cols: Sequence[Factor], full: bool) -> torch.Tensor:
    """Σ_t sign_t (U U'ᵀ) ∘ (Δ Δ'ᵀ): (n1, n2) traced over outputs, or (n1, n2, c, c) when ``full``."""
    total: torch.Tensor | None = None
    for r, c in zip(rows, cols, strict=True):
        n1, n_out, w = r.cotangents.shape
        n2 = c.cotangents.shape[0]
        if full:
            gram = r.cotangents.reshape(n1 * n_out, w) @ c.cotangents.reshape(n2 * n_out, w).T
            gram = gram.reshape(n1, n_out, n2, n_out).permute(0, 2, 1, 3)
        else:
            gram = r.cotangents.reshape(n1, -1) @ c.cotangents.reshape(n2, -1).T
        if r.inputs is not None:
            inputs = r.inputs @ c.inputs.T
            gram = gram * (inputs[:, :, None, None] if full else inputs)
        total = gram * r.sign if total is None else total.add_(gram, alpha=r.sign)
    return total


def factor_matvec(factors: Sequence[Factor], v: torch.Tensor, full: bool) -> torch.Tensor:
    """Θ v without forming Θ: v of shape (n, c) when ``full`` (per-output blocks) or (n,) (traced).

    For one factor, (Θ v)_i,o = Σ_{k,w} U_ik Δ_iow M_kw with M = Σ_j U_jk Δ_jpw v_jp (full) — two
    products of size n·k·w instead of n²·(k + w).
    """
    out = torch.zeros_like(v)
    for f in factors:
        d = f.cotangents  # (n, c, w)
        weighted = torch.einsum("np,npw->nw", v, d)[:, None, :] if full else v[:, None, None] * d
        moment = weighted.sum(dim=0) if f.inputs is None else torch.einsum("nk,ncw->ckw", f.inputs, weighted)
        projected = moment[None] if f.inputs is None else torch.einsum("nk,ckw->ncw", f.inputs, moment)
        if full:
            out.add_(torch.einsum("nw,now->no", projected[:, 0, :].expand(d.shape[0], -1), d), alpha=f.sign)
        else:
            out.add_((projected * d).sum(dim=(1, 2)), alpha=f.sign)
    return out
