"""Forward passes of any torch module that record its piecewise-linear and smooth operations.

The generic partition path (any ``nn.Module``, not only the toolkit's own networks) never reads the
architecture: it runs the model's own forward pass on dual numbers (``torch.autograd.forward_ad``:
value and directional derivative of every tensor) under a ``torch.overrides.TorchFunctionMode``
that sees every torch function call, functional (``F.relu``, ``torch.maximum``, ``x.clamp``) or
made by a module (``nn.ReLU`` calls ``F.relu``). A call matters only when one of its tensors carries
a tangent, i.e. depends on the input; parameter-only computations (weight normalisation) are skipped.

Recognised piecewise-linear operations and their *units* (scalar functions of the input whose sign
selects the affine piece; the kink is at unit = 0):

- ``relu``, ``leaky_relu``, ``prelu``, ``abs`` (and in-place forms): one unit per element, z;
- ``hardtanh`` (``nn.Hardtanh``, ``nn.ReLU6``), ``hardsigmoid``, ``clamp``/``clip``: one unit per
  element and finite bound, z - lo (all lower kinks first) and z - hi;
- ``maximum``/``minimum``/``fmax``/``fmin`` and two-tensor ``max``/``min``: one unit per element, a - b;
- ``max_pool1d``/``max_pool2d`` (no padding, no ceil_mode): each window (z_0, ..., z_{k-1}), in the
  order torch scans it, is read as the running maximum m_j = max(m_{j-1}, z_j); unit (w, j), j ≥ 1,
  is z_j - m_{j-1} (on: z_j beats every earlier element). This is max-pooling written as a ReLU
  network (max(a, b) = b + relu(a - b)), so each activation pattern is a convex region, as for ReLU.
  Units of one pooling call are numbered window-major: w·(k-1) + (j-1).

Smooth operations take the numerical path: ``tanh``, ``sigmoid``, ``gelu``, ``silu``, ``elu``,
``softplus`` and the like have one unit per element (their input; 0 is the centre of the
transition); ``sin``, ``cos``, ``exp``, normalisations over features (``layer_norm``,
``group_norm``), powers, and products or quotients of two input-dependent tensors have no units
(``sin``/``cos`` are read as input encoders). Operations that branch on the input in a way the
analysis cannot follow (comparisons, ``sign``, rounding, sorting, reductions such as ``max`` over a
dimension, adaptive or padded max-pooling) are refused with a ValueError naming the module.
Anything else is taken to be affine in the input; the exact paths check that on every piece.

Conventions: the model is deep-copied to float64 and put in eval mode (BatchNorm uses its running
statistics, dropout is off), on the device of its parameters; the first tensor dimension is the
sample axis and samples must not interact; every input must run the same sequence of recognised
operations (no input-dependent control flow; checked). In-place activations are applied out of
place (the copy's returned tensor is used), which every module that uses the returned value
tolerates.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.autograd.forward_ad as forward_ad
from torch import nn
from torch.overrides import TorchFunctionMode

from spectra._validation import check_model, fail

PIECEWISE, SMOOTH, NONLINEAR = "piecewise", "smooth", "nonlinear"

_TRANSITIONS = {
    "tanh", "tanh_", "sigmoid", "sigmoid_", "gelu", "silu", "elu", "elu_", "selu", "celu", "softplus", "mish",
    "softsign", "logsigmoid", "hardswish", "erf", "atan", "arctan",
}  # fmt: skip
_SMOOTH_NO_UNITS = {
    "sin", "cos", "tan", "sinh", "cosh", "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "pow",
    "__pow__", "__rpow__", "square", "reciprocal", "layer_norm", "group_norm", "instance_norm", "rms_norm",
    "local_response_norm", "softmax", "log_softmax", "softmin", "normalize", "norm", "cosine_similarity",
}  # fmt: skip
_REFUSED = {
    "gt", "lt", "ge", "le", "__gt__", "__lt__", "__ge__", "__le__", "greater", "less", "sign", "sgn", "heaviside",
    "floor", "ceil", "round", "trunc", "frac", "argmax", "argmin", "amax", "amin", "sort", "argsort", "topk",
    "kthvalue", "median", "cummax", "cummin", "max_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "fractional_max_pool2d", "hardshrink", "softshrink", "threshold", "threshold_", "rrelu", "rrelu_",
}  # fmt: skip
_PRODUCTS = {"mul", "mul_", "__mul__", "__rmul__", "__imul__", "matmul", "__matmul__", "__rmatmul__", "mm", "bmm"}
_PRODUCTS |= {"einsum", "bilinear", "outer", "inner", "dot", "prod"}
_QUOTIENTS = {"div": 1, "div_": 1, "__truediv__": 1, "__itruediv__": 1, "true_divide": 1, "__rtruediv__": 0}


class NumericalPathWarning(UserWarning):
    """A generic model with a smooth operation was sent to the numerical path (the message names the module)."""


class _Stop(Exception):
    """Raised inside the forward pass once the call that was asked for has been recorded."""


@dataclass(frozen=True)
class Call:
    """One recorded operation: its name, the module that ran it, and its elements at every sample.

    ``value`` (n, units, k) and ``tangent`` (n, units, k, m) hold the unit pre-activations (k = 1)
    or the pooling windows (k > 1, see module docstring) and their derivatives along the m tangent
    directions; both are None for smooth operations without units.
    """

    name: str
    where: str
    kind: str
    value: np.ndarray | None
    tangent: np.ndarray | None

    @property
    def n_units(self) -> int:
        if self.value is None:
            return 0
        units, k = self.value.shape[1:]
        return units * max(k - 1, 1)

    def describe(self) -> str:
        return f"{self.name} in {self.where}"

    def units(self) -> tuple[np.ndarray, np.ndarray]:
        """Unit pre-activations (n, n_units) and tangents (n, n_units, m) at the recorded samples (calls with units)."""
        # Coefficients relative to each sample (constant = value there), read at the sample itself (offset 0).
        local = np.concatenate([self.value[..., None], self.tangent], axis=-1)
        origin = np.zeros((len(local), self.tangent.shape[-1]))
        units = in_unit_order([stage_units(local, stage, origin) for stage in range(n_stages(local.shape[2]))])
        return units[..., 0], units[..., 1:]


def n_stages(k: int) -> int:
    """Units per element group: 1 for activations (k = 1), k - 1 for a pooling window of k elements."""
    return max(k - 1, 1)


def affine_elements(call: Call, points: np.ndarray) -> np.ndarray:
    """The call's elements as affine functions of the coordinates: (R, units, k, 1 + m), [constant, gradient].

    ``points`` (R, m) are the coordinates of the samples the call was recorded at; an element is
    affine on the piece holding its sample, so constant = value - gradient · point.
    """
    constant = call.value - np.einsum("rukm,rm->ruk", call.tangent, points)
    return np.concatenate([constant[..., None], call.tangent], axis=-1)


def stage_units(coefficients: np.ndarray, stage: int, points: np.ndarray) -> np.ndarray:
    """Affine coefficients (R, units, 1 + m) of the units of ``stage`` on the pieces holding ``points`` (R, m).

    Elements (k = 1) are the units. For pooling windows, stage s compares element j = s + 1 with the
    running maximum of the elements before it, whose leader (first maximum, as torch breaks ties) is
    read at ``points``: the earlier stages have cut the pieces so that it is the same on the whole piece.
    """
    if coefficients.shape[2] == 1:
        return coefficients[:, :, 0]
    j = stage + 1
    earlier = coefficients[:, :, :j, 0] + np.einsum("rujm,rm->ruj", coefficients[:, :, :j, 1:], points)
    lead = np.argmax(earlier, axis=-1)
    return coefficients[:, :, j] - np.take_along_axis(coefficients, lead[:, :, None, None], 2)[:, :, 0]


def stage_neurons(units: int, k: int, stage: int) -> np.ndarray:
    """Unit numbers of the stage's units within their call: window-major, w · n_stages(k) + stage."""
    return np.arange(units) * n_stages(k) + stage


def in_unit_order(stages: list[np.ndarray]) -> np.ndarray:
    """Per-stage arrays (R, units, ...) interleaved into unit order (R, units · stages, ...)."""
    stacked = np.stack(stages, axis=2)
    return stacked.reshape(stacked.shape[0], -1, *stacked.shape[3:])


@dataclass(frozen=True)
class Pass:
    """Recorded calls (in forward order) and the output (n, c) with its tangents (n, c, m); None if stopped."""

    calls: list[Call]
    output: np.ndarray | None
    output_tangent: np.ndarray | None

    def signature(self) -> list[tuple[str, str, int]]:
        return [(call.name, call.kind, call.n_units) for call in self.calls]

    def blocker(self) -> Call | None:
        """The first smooth operation (it makes exact geometry impossible), or None."""
        return next((call for call in self.calls if call.kind != PIECEWISE), None)

    def unit_calls(self) -> list[Call]:
        """Calls with units, in forward order: their indices are the "layers" of the generic path."""
        return [call for call in self.calls if call.value is not None]

    def patterns(self) -> np.ndarray:
        """Boolean states 1[unit > 0] of every unit, calls concatenated in forward order, shape (n, units)."""
        n = len(self.output)
        return np.concatenate([np.zeros((n, 0), dtype=bool)] + [c.units()[0] > 0 for c in self.unit_calls()], axis=1)


class _Refused(Exception):
    """An operation the analysis cannot follow (turned into a ValueError naming the module)."""


def _tensors(value: Any) -> Iterator[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)


def _is_dual(value: Any) -> bool:
    return isinstance(value, torch.Tensor) and forward_ad.unpack_dual(value).tangent is not None


def _bound(args: tuple, kwargs: dict, names: tuple[str, ...], defaults: dict[str, Any]) -> dict[str, Any]:
    """The arguments of a call by name: positional ones matched to ``names``, then keywords, then defaults."""
    return {**defaults, **dict(zip(names, args, strict=False)), **kwargs}


def _flat(z: torch.Tensor) -> torch.Tensor:
    """(n, ...) → (n, units, 1): one unit per element of each sample."""
    return z.reshape(z.shape[0], -1, 1)


def _bounded(z: torch.Tensor, lo: Any, hi: Any) -> torch.Tensor:
    """Units z - lo (every element), then z - hi, for the bounds that are given (numbers or tensors)."""
    return torch.cat([_flat(z - bound) for bound in (lo, hi) if bound is not None], dim=1)


def _windows(z: torch.Tensor, options: dict[str, Any], dims: int, name: str) -> torch.Tensor:
    """Max-pooling windows (n, windows, k), elements in the order torch scans them (row-major)."""

    def each(value: Any) -> tuple[int, ...]:
        return tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims

    if any(each(options["padding"])) or options["ceil_mode"] or options["return_indices"]:
        raise _Refused(f"{name} with padding, ceil_mode or return_indices")
    kernel = each(options["kernel_size"])
    stride = each(options["stride"] or options["kernel_size"])
    dilation = each(options["dilation"])
    for axis in range(dims):
        span = (kernel[axis] - 1) * dilation[axis] + 1
        z = z.unfold(2 + axis, span, stride[axis])[..., :: dilation[axis]]
    # (n, c, out_0[, out_1], k_0[, k_1]) → (n, windows, k)
    return z.reshape(z.shape[0], -1, int(np.prod(kernel)))


def _piecewise(name: str, args: tuple, kwargs: dict) -> torch.Tensor | None:
    """Elements (n, units, k) of a recognised piecewise-linear call, or None if ``name`` is not one."""
    if name in ("relu", "relu_", "leaky_relu", "leaky_relu_", "prelu", "abs", "abs_", "absolute"):
        return _flat(args[0])
    if name in ("hardtanh", "hardtanh_"):
        options = _bound(args, kwargs, ("input", "min_val", "max_val"), {"min_val": -1.0, "max_val": 1.0})
        return _bounded(options["input"], options["min_val"], options["max_val"])
    if name == "relu6":
        return _bounded(args[0], 0.0, 6.0)
    if name == "hardsigmoid":
        return _bounded(args[0], -3.0, 3.0)
    if name in ("clamp", "clamp_", "clip", "clip_"):
        options = _bound(args, kwargs, ("input", "min", "max"), {"min": None, "max": None})
        return _bounded(options["input"], options["min"], options["max"])
    if name in ("clamp_min", "clamp_min_"):
        return _bounded(args[0], args[1] if len(args) > 1 else kwargs["min"], None)
    if name in ("clamp_max", "clamp_max_"):
        return _bounded(args[0], None, args[1] if len(args) > 1 else kwargs["max"])
    if name in ("maximum", "minimum", "fmax", "fmin", "max", "min"):
        other = args[1] if len(args) > 1 else kwargs.get("other")
        if not isinstance(other, torch.Tensor):
            raise _Refused(f"{name} over a dimension (a reduction)")
        a, b = torch.broadcast_tensors(args[0], other)
        return _flat(a - b)
    if name in ("max_pool1d", "max_pool2d"):
        names = ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")
        defaults = {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False, "return_indices": False}
        return _windows(args[0], _bound(args, kwargs, names, defaults), int(name[-2]), name)
    return None


def _classify(name: str, args: tuple, kwargs: dict) -> tuple[str, torch.Tensor | None] | None:
    """(kind, elements) of a call on input-dependent tensors; None when the call is affine or irrelevant."""
    if name in _REFUSED:
        raise _Refused(name)
    elements = _piecewise(name, args, kwargs)
    if elements is not None:
        return PIECEWISE, elements
    if name in _TRANSITIONS:
        return SMOOTH, _flat(args[0])
    if name in _SMOOTH_NO_UNITS:
        return NONLINEAR, None
    if name in _PRODUCTS and sum(_is_dual(t) for t in _tensors((args, kwargs))) >= 2:
        return NONLINEAR, None
    if name in _QUOTIENTS and len(args) > _QUOTIENTS[name] and _is_dual(args[_QUOTIENTS[name]]):
        return NONLINEAR, None
    return None


class _Recorder(TorchFunctionMode):
    """Records every call :func:`_classify` recognises, in forward order; stops after call ``stop_after``."""

    def __init__(self, stack: list[str], stop_after: int | None) -> None:
        super().__init__()
        self.stack = stack
        self.stop_after = stop_after
        self.calls: list[tuple[str, str, str, torch.Tensor | None]] = []

    def __torch_function__(self, func: Callable, types: tuple, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if not any(_is_dual(t) for t in _tensors((args, kwargs))):
            return func(*args, **kwargs)
        where = self.stack[-1] if self.stack else "the model"
        try:
            found = _classify(name, args, kwargs)
        except _Refused as refused:
            fail(
                "model",
                "operations the partition analysis can follow (see spectra.partition.capture: affine maps, "
                "ReLU-like activations, hard-tanh, clamp, maximum, max-pooling without padding, smooth functions)",
                f"{refused} in {where}",
            )
        if found is not None:
            kind, elements = found
            # A copy: an in-place activation (nn.ReLU(inplace=True)) is about to overwrite its input.
            self.calls.append((name, where, kind, None if elements is None else elements.clone()))
            if self.stop_after is not None and len(self.calls) > self.stop_after:
                raise _Stop
        return func(*args, **kwargs)


class TracedModel:
    """A float64, eval-mode copy of ``model`` whose forward passes record their operations (module docstring)."""

    def __init__(self, model: nn.Module) -> None:
        check_model("model", model)
        self.name = type(model).__name__
        self.model = copy.deepcopy(model).to(torch.float64).eval()
        reference = next(iter(self.model.parameters()), None)
        self.device = reference.device if reference is not None else torch.device("cpu")
        self._stack: list[str] = []
        for path, module in self.model.named_modules():
            label = f"{path!r} ({type(module).__name__})" if path else f"the model ({type(module).__name__})"
            module.register_forward_pre_hook(self._enter(label))
            module.register_forward_hook(self._leave)
        self._signature: list[tuple[str, str, int]] | None = None

    def _enter(self, label: str) -> Callable[..., None]:
        def hook(*_: Any) -> None:  # a hook returning anything but None would replace the module's input
            self._stack.append(label)

        return hook

    def _leave(self, *_: Any) -> None:
        self._stack.pop()

    def run(self, points: np.ndarray, directions: np.ndarray, stop_after: int | None = None) -> Pass:
        """Forward pass at ``points`` (n, d) with tangents along each row of ``directions`` (m, d).

        The n samples are repeated m times, copy r carrying tangent ``directions[r]``; the recorded
        tangents are (n, ..., m). ``stop_after=i`` stops once call i has been recorded.
        """
        n, m = len(points), len(directions)
        x = torch.as_tensor(np.tile(points, (m, 1)), dtype=torch.float64, device=self.device)
        tangent = torch.as_tensor(np.repeat(directions, n, axis=0), dtype=torch.float64, device=self.device)
        self._stack.clear()
        recorder = _Recorder(self._stack, stop_after)
        output = None
        with torch.no_grad(), forward_ad.dual_level():
            try:
                with recorder:
                    output = self.model(forward_ad.make_dual(x, tangent))
            except _Stop:
                pass
            except (RuntimeError, TypeError, ValueError) as error:
                if str(error).startswith("model: expected operations"):
                    raise
                fail("model", f"a module that runs on inputs of shape ({len(x)}, {x.shape[1]})", str(error), TypeError)

            def split(tensor: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
                value, grad = forward_ad.unpack_dual(tensor)
                value = value.detach().cpu().numpy().reshape(m, n, *value.shape[1:])[0]
                grad = torch.zeros_like(tensor) if grad is None else grad
                grad = grad.detach().cpu().numpy().reshape(m, n, *grad.shape[1:])
                return value, np.moveaxis(grad, 0, -1)

            calls = []
            for name, where, kind, elements in recorder.calls:
                value, grad = split(elements) if elements is not None else (None, None)
                calls.append(Call(name, where, kind, value, grad))
            out = out_tangent = None
            if output is not None:
                if not isinstance(output, torch.Tensor):
                    fail("model", "a module whose forward returns one tensor", type(output).__name__, TypeError)
                out, out_tangent = split(output.reshape(len(x), -1))
        result = Pass(calls, out, out_tangent)
        signature = result.signature()
        if self._signature is None and output is not None:
            self._signature = signature
        elif self._signature is not None and signature != self._signature[: len(signature)]:
            fail(
                "model",
                "the same sequence of operations for every input (no input-dependent control flow)",
                f"{[s[0] for s in signature]} after {[s[0] for s in self._signature]}",
            )
        return result
