"""Argument checks for the public boundary.

Every check raises ``ValueError`` or ``TypeError`` with the same shape of message:
``"<argument>: expected <what>, got <what was given>"``, so that a researcher reading a
traceback in a notebook sees at once which argument to fix.

Conventions of the checks:
- numbers: bools, strings and None are never numbers (NumPy would read ``"5"`` as 5.0 and None as
  NaN); real numbers must be finite unless a check says otherwise;
- arrays: :func:`as_real_array` accepts numbers, (nested) sequences of numbers, NumPy arrays and
  tensors, and returns a float64 NumPy array;
- sizes: :func:`check_memory` refuses, before anything is allocated, a request whose estimated
  memory exceeds ``max_memory_gb`` (default :data:`MAX_MEMORY_GB`), naming the argument to change;
- models: :func:`check_model` refuses non-modules and modules on PyTorch's ``meta`` device (shapes
  without values).
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Iterable
from itertools import chain
from typing import Any

import numpy as np
import torch
from torch import nn

GIB = 2**30
# Largest estimated memory (GiB) a size argument may ask for before it is refused; raise it (e.g.
# ``spectra._validation.MAX_MEMORY_GB = 64``) on a machine that has the room. The eNTK functions take
# their cap as an argument instead (``max_memory_gb=``, default this value).
MAX_MEMORY_GB = 8.0


def fail(argument: str, expected: str, given: Any, error: type[Exception] = ValueError) -> None:
    """Raise ``error`` with the project's standard message."""
    raise error(f"{argument}: expected {expected}, got {given!r}")


def check_choice(argument: str, value: Any, choices: Iterable[str]) -> str:
    choices = tuple(choices)
    if isinstance(value, bool) or not isinstance(value, (str, int, np.integer)) or value not in choices:
        fail(argument, "one of " + ", ".join(repr(c) for c in choices), value)
    return value


def check_positive_int(argument: str, value: Any, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        fail(argument, "an integer", value, TypeError)
    if value < 0 or (value == 0 and not allow_zero):
        fail(argument, "a non-negative integer" if allow_zero else "a positive integer", value)
    return int(value)


def check_dimension(argument: str, value: Any) -> int:
    """A positive number of dimensions d, small enough that per-dimension arrays (d,) fit in memory."""
    dim = check_positive_int(argument, value)
    check_memory(argument, dim, 64 * dim, subject=f"{dim} dimensions", advice="use fewer dimensions")
    return dim


def _real_number(argument: str, value: Any, expected: str) -> float:
    """``value`` as a float if it is a real number (not a bool), else a TypeError; ints beyond float range are
    refused with a ValueError saying ``expected``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        fail(argument, "a real number", value, TypeError)
    try:
        return float(value)
    except OverflowError:
        fail(argument, expected, value)
        raise AssertionError from None  # unreachable: fail() raises


def check_real(argument: str, value: Any) -> float:
    """A finite real number of any sign."""
    value = _real_number(argument, value, "a finite number")
    if not math.isfinite(value):
        fail(argument, "a finite number", value)
    return value


def check_positive_float(argument: str, value: Any, *, allow_zero: bool = False) -> float:
    expected = "a finite non-negative number" if allow_zero else "a finite positive number"
    value = _real_number(argument, value, expected)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        fail(argument, expected, value)
    return value


def check_float_dtype(argument: str, dtype: Any, *, allow_none: bool = True) -> torch.dtype | None:
    """A floating ``torch.dtype`` (or None, meaning the caller's default, when ``allow_none``)."""
    if dtype is None and allow_none:
        return None
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        optional = " (or None)" if allow_none else ""
        fail(argument, f"a floating torch.dtype such as torch.float32 or torch.float64{optional}", dtype, TypeError)
    return dtype


def check_model(argument: str, model: Any) -> nn.Module:
    """A ``torch.nn.Module`` whose parameters and buffers hold values (none on the ``meta`` device)."""
    if not isinstance(model, nn.Module):
        fail(argument, "a torch.nn.Module", type(model).__name__, TypeError)
    for name, tensor in chain(model.named_parameters(), model.named_buffers()):
        if tensor.is_meta:
            fail(
                argument,
                "a model whose parameters hold values (a 'meta' model has shapes only: materialise it with "
                "model.to_empty(device=...) and initialise it)",
                _Described(f"{type(model).__name__} with {name!r} on the meta device"),
            )
    return model


def check_memory(
    argument: str, given: Any, need_bytes: float, *, subject: str, advice: str, max_memory_gb: float | None = None
) -> None:
    """Refuse, before anything is allocated, a request estimated to need more than ``max_memory_gb`` GiB.

    ``subject`` says what needs the memory (e.g. "a grid of 10^10 points"), ``advice`` what to change;
    ``max_memory_gb=None`` means :data:`MAX_MEMORY_GB`. The message names ``argument`` and the estimate.
    """
    limit = MAX_MEMORY_GB if max_memory_gb is None else max_memory_gb
    if need_bytes <= limit * GIB:
        return
    fail(
        argument,
        f"a request under max_memory_gb={limit:g} ({subject} needs about {need_bytes / GIB:.2f} GB): {advice}",
        given,
    )


def check_points_memory(argument: str, given: Any, n_points: int, dim: int, itemsize: int) -> None:
    """Refuse point sets too large to hold: n_points × dim coordinates in float64 work arrays and the result."""
    check_memory(
        argument,
        given,
        n_points * dim * (16 + itemsize),
        subject=f"{n_points} points in {dim} dimension(s)",
        advice=f"ask for fewer points ({argument})",
    )


def as_real_array(argument: str, value: Any, *, finite: bool = True) -> np.ndarray:
    """``value`` (a number, a sequence of numbers, an array or a tensor) as a float64 NumPy array.

    Strings, None, booleans, complex numbers and ragged sequences are refused with a TypeError; with
    ``finite`` (the default) NaN and inf are refused with a ValueError.
    """
    if isinstance(value, torch.Tensor):
        if value.is_complex() or value.dtype == torch.bool:
            fail(argument, "real numbers", _Described(describe(value)), TypeError)
        value = value.detach().to(device="cpu", dtype=torch.float64).numpy()
    if value is None or isinstance(value, (str, bytes)):
        fail(argument, "real numbers", value, TypeError)
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):  # ragged nesting, or objects NumPy cannot hold
        fail(argument, "real numbers in a regular (non-ragged) array", brief(value), TypeError)
    if array.dtype.kind not in "iuf":
        fail(argument, "real numbers", brief(value), TypeError)
    array = array.astype(np.float64)
    if finite and not np.isfinite(array).all():
        fail(argument, "finite values (no NaN or inf)", brief(value))
    return array


def as_per_item(argument: str, value: Any, length: int, item: str) -> np.ndarray:
    """One finite number for every item, or one number per item: a float64 array of shape (length,).

    ``item`` names what the numbers belong to in the message ("dimension", "term").
    """
    array = as_real_array(argument, value)
    if array.shape not in ((), (length,)):
        fail(argument, f"a number or {length} numbers (one per {item})", brief(value))
    return np.broadcast_to(array, (length,)).copy()


def describe(x: Any) -> str:
    """Short description of an array-like for error messages (shape and dtype, not values)."""
    if isinstance(x, (torch.Tensor, np.ndarray)):
        return f"{type(x).__name__} of shape {tuple(x.shape)} and dtype {x.dtype}"
    return type(x).__name__


class _Described:
    """Wraps a description so that ``fail`` prints it without quotes."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def brief(value: Any) -> _Described:
    """What was given, for a message: shape and dtype of an array, a shortened repr of anything else."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return _Described(describe(value))
    return _Described(reprlib.repr(value))


def as_points(
    argument: str,
    x: Any,
    dim: int | None = None,
    *,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Return ``x`` as a finite floating tensor of shape (n, d), sample axis first.

    A 1-D array is read as n scalar inputs, shape (n, 1). NumPy arrays become tensors (float64
    unless ``dtype`` says otherwise); tensors keep their device unless ``device`` is given.
    """
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "iuf":
            fail(argument, "an array of real numbers of shape (n, d)", _Described(describe(x)), TypeError)
        x = torch.from_numpy(np.asarray(x, dtype=np.float64))
    elif not isinstance(x, torch.Tensor):
        fail(argument, "a torch.Tensor or numpy.ndarray of shape (n, d)", _Described(describe(x)), TypeError)
    if not (x.is_floating_point()):
        fail(argument, "a floating-point tensor", _Described(describe(x)), TypeError)
    if x.dim() == 1:
        x = x[:, None]
    if x.dim() != 2:
        fail(argument, "shape (n, d) with the sample axis first", _Described(describe(x)))
    if x.shape[0] == 0:
        fail(argument, "at least one sample", _Described(describe(x)))
    if dim is not None and x.shape[1] != dim:
        fail(argument, f"{dim} input dimension(s) per sample (shape (n, {dim}))", _Described(describe(x)))
    if dtype is not None or device is not None:
        x = x.to(dtype=dtype or x.dtype, device=device or x.device)
    check_finite(argument, x)
    return x


def check_finite(argument: str, x: torch.Tensor | np.ndarray) -> None:
    finite = torch.isfinite(x).all() if isinstance(x, torch.Tensor) else np.isfinite(x).all()
    if not bool(finite):
        fail(argument, "finite values (no NaN or inf)", _Described(describe(x) + " containing non-finite values"))


def check_same_length(argument_a: str, a: Any, argument_b: str, b: Any) -> None:
    if len(a) != len(b):
        fail(argument_b, f"as many samples as {argument_a} ({len(a)})", _Described(f"{len(b)} samples"))


def largest(sizes: dict[str, int]) -> tuple[str, int]:
    """(name, value) of the largest of several size arguments: the one a size error names."""
    name = max(sizes, key=lambda key: sizes[key])
    return name, sizes[name]
