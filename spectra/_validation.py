"""Argument checks for the public boundary.

Every check raises ``ValueError`` or ``TypeError`` with the same shape of message:
``"<argument>: expected <what>, got <what was given>"``, so that a researcher reading a
traceback in a notebook sees at once which argument to fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch


def fail(argument: str, expected: str, given: Any, error: type[Exception] = ValueError) -> None:
    """Raise ``error`` with the project's standard message."""
    raise error(f"{argument}: expected {expected}, got {given!r}")


def check_choice(argument: str, value: Any, choices: Iterable[str]) -> str:
    choices = tuple(choices)
    if value not in choices:
        fail(argument, "one of " + ", ".join(repr(c) for c in choices), value)
    return value


def check_positive_int(argument: str, value: Any, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        fail(argument, "an integer", value, TypeError)
    if value < 0 or (value == 0 and not allow_zero):
        fail(argument, "a non-negative integer" if allow_zero else "a positive integer", value)
    return int(value)


def check_positive_float(argument: str, value: Any, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        fail(argument, "a real number", value, TypeError)
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        fail(argument, "a finite non-negative number" if allow_zero else "a finite positive number", value)
    return value


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
