"""The model as the NTK code sees it: a function of its trainable parameters, in one dtype, on its device.

Only parameters with ``requires_grad=True`` count: Θ(x, x') = Σ_θ ∂f(x)/∂θ · ∂f(x')/∂θ runs over them.
Frozen parameters and buffers are passed along unchanged (cast to the computation dtype). The model
itself is never modified: :class:`FunctionalModel` evaluates it through
:func:`spectra._functional.stateless_call`, after which every submodule holds the very Parameter and
buffer objects it held before (also when one layer is registered, and called, twice).

Kernels are computed in float32 or float64 (:data:`KERNEL_DTYPES`): in float16 or bfloat16 an eNTK
carries relative errors of 1e-3 to 5e-3, so half precisions are refused rather than returned silently.

Inputs must have the model's input width (:func:`input_width`): checked before the first forward pass,
so that a wrong width is reported by the argument's name instead of by a failing matrix product.

Every method assumes that samples do not interact (f(x_i) depends on x_i alone). Modules that break
this, or make the forward pass random, are refused: batch normalisation using batch statistics
(training mode, or ``track_running_stats=False``) and dropout in training mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.dropout import _DropoutNd

from spectra._functional import stateless_call
from spectra._validation import _Described, as_points, check_float_dtype, check_model, fail
from spectra.models import DeepONet

KERNEL_DTYPES = (torch.float32, torch.float64)


def check_independent_samples(model: nn.Module) -> None:
    """Refuse modules whose outputs mix samples (batch statistics) or are random (dropout)."""
    for name, module in model.named_modules():
        where = f"{type(module).__name__} at {name or 'the model root'!r}"
        if isinstance(module, _BatchNorm) and (module.training or not module.track_running_stats):
            fail(
                "model",
                "a model whose samples do not interact (batch statistics mix them: call model.eval())",
                f"{where} using batch statistics",
            )
        if isinstance(module, _DropoutNd) and module.training and module.p > 0:
            fail(
                "model", "a deterministic model (call model.eval() to switch dropout off)", f"{where} in training mode"
            )


@dataclass
class FunctionalModel:
    """``model`` as x, θ -> f(x; θ) with outputs reshaped to (n, c).

    ``trainable`` maps parameter names to detached tensors (the point θ where the kernel is taken),
    ``frozen`` holds frozen parameters and buffers; all floating tensors are in ``dtype`` on ``device``.
    """

    model: nn.Module
    trainable: dict[str, torch.Tensor]
    frozen: dict[str, torch.Tensor]
    dtype: torch.dtype
    device: torch.device

    def __call__(self, x: torch.Tensor, trainable: Mapping[str, torch.Tensor] | None = None) -> torch.Tensor:
        state = {**self.frozen, **(self.trainable if trainable is None else trainable)}
        out = stateless_call(self.model, state, (x,))
        return out.reshape(x.shape[0], -1)

    @property
    def n_parameters(self) -> int:
        return sum(t.numel() for t in self.trainable.values())

    def points(self, argument: str, x: torch.Tensor, dim: int | None = None) -> torch.Tensor:
        """``x`` as finite (n, d) points in the computation dtype, on the model's device; d is ``dim`` if
        given, else the model's :func:`input_width` (unchecked when that is unknown)."""
        dim = dim if dim is not None else input_width(self.model)
        return as_points(argument, x, dim, dtype=self.dtype, device=self.device)


def input_width(model: nn.Module) -> int | None:
    """The number of input features per sample ``model`` reads, where it can be known without running it:
    its ``in_features`` (a DeepONet reads n_sensors + in_features), or that of the first module of a
    Sequential; None otherwise."""
    if isinstance(model, DeepONet):
        return model.n_sensors + model.in_features
    width = getattr(model, "in_features", None)
    if isinstance(width, int):
        return width
    if isinstance(model, nn.Sequential) and len(model) > 0:
        return input_width(model[0])
    return None


def check_kernel_dtype(argument: str, dtype: torch.dtype, source: str = "") -> torch.dtype:
    """``dtype`` if it is one of :data:`KERNEL_DTYPES`; ``source`` says where it came from in the message."""
    if dtype not in KERNEL_DTYPES:
        fail(
            argument,
            "torch.float32 or torch.float64 (in half precision an eNTK has relative errors of 1e-3 to 5e-3)",
            _Described(f"{dtype}{source}"),
        )
    return dtype


def functional_model(model: nn.Module, dtype: torch.dtype | None = None) -> FunctionalModel:
    """Check ``model`` and wrap it (see module docstring); ``dtype`` defaults to the parameters' dtype."""
    check_model("model", model)
    dtype = check_float_dtype("dtype", dtype)
    check_independent_samples(model)
    trainable = {name: p for name, p in model.named_parameters() if p.requires_grad}
    if not trainable:
        fail("model", "a module with trainable parameters (requires_grad=True)", type(model).__name__)
    reference = next(iter(trainable.values()))
    source = "" if dtype is not None else " (the model's parameter dtype: pass dtype=torch.float32 or torch.float64)"
    dtype = check_kernel_dtype("dtype", dtype or reference.dtype, source)

    def cast(t: torch.Tensor) -> torch.Tensor:
        return t.detach().to(dtype) if t.is_floating_point() else t.detach()

    frozen = {name: cast(p) for name, p in model.named_parameters() if not p.requires_grad}
    frozen.update({name: cast(b) for name, b in model.named_buffers()})
    return FunctionalModel(model, {name: cast(p) for name, p in trainable.items()}, frozen, dtype, reference.device)


def activation_size(fm: FunctionalModel, x: torch.Tensor) -> tuple[int, int]:
    """(number of outputs c, activation floats per sample) from one forward pass on the first sample.

    The activation count (every submodule's output, summed) sizes the autograd memory in estimates.
    """
    sizes: list[int] = []

    def count(module: nn.Module, args: tuple, output: object) -> None:
        if isinstance(output, torch.Tensor):
            sizes.append(output.numel())

    handles = [m.register_forward_hook(count) for m in fm.model.modules()]
    try:
        with torch.no_grad():
            out = fm(x[:1])
    finally:
        for handle in handles:
            handle.remove()
    return out.shape[1], sum(sizes)
