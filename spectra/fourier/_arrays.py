"""Argument conversion shared by the Fourier functions: values on points, stacks over records.

NumPy inputs are computed in float64 / complex128 with torch on the CPU and returned as NumPy;
torch inputs stay on their device and in their precision.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from spectra._validation import _Described, check_finite, describe, fail


def is_torch(*arrays: Any) -> bool:
    return any(isinstance(a, torch.Tensor) for a in arrays)


def common_device(**arrays: Any) -> torch.device:
    """The device of the tensors among ``arrays`` (CPU if none); tensors on two devices are refused."""
    devices = {name: a.device for name, a in arrays.items() if isinstance(a, torch.Tensor)}
    if len(set(devices.values())) > 1:
        fail(", ".join(devices), "tensors on one device", _Described(str({k: str(v) for k, v in devices.items()})))
    return next(iter(devices.values()), torch.device("cpu"))


def as_tensor(argument: str, value: Any, device: torch.device) -> torch.Tensor:
    """A tensor (NumPy arrays and sequences become float64 / complex128) on ``device``."""
    if isinstance(value, torch.Tensor):
        return value.detach().to(device)
    if isinstance(value, (np.ndarray, list, tuple)):
        array = np.asarray(value)
        if array.dtype.kind not in "iufc":
            fail(argument, "a numeric array", _Described(describe(array)), TypeError)
        return torch.as_tensor(array.astype(np.complex128 if array.dtype.kind == "c" else np.float64), device=device)
    fail(argument, "a torch.Tensor or numpy.ndarray", _Described(describe(value)), TypeError)


def real_dtype(*tensors: torch.Tensor) -> torch.dtype:
    """The real floating dtype that holds all ``tensors`` (at least float32)."""
    dtype = torch.float32
    for t in tensors:
        dtype = torch.promote_types(dtype, t.real.dtype if t.is_complex() else t.dtype)
    return dtype if dtype.is_floating_point else torch.float64


def complex_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.complex128 if dtype == torch.float64 else torch.complex64


def as_values(argument: str, values: Any, n: int, device: torch.device) -> torch.Tensor:
    """Values on n points, shape (n,) or (n, 1), real or complex -> finite tensor (n,)."""
    v = as_tensor(argument, values, device)
    if v.dim() == 2 and v.shape[1] == 1:
        v = v[:, 0]
    if v.dim() != 1 or len(v) != n:
        fail(argument, f"one value per point, shape ({n},) or ({n}, 1)", _Described(describe(v)))
    check_finite(argument, v)
    return v


def as_stack(argument: str, values: Any, n: int, device: torch.device) -> tuple[torch.Tensor, bool]:
    """Values on n points, one set (n,) / (n, 1) or R sets (R, n) / (R, n, 1) -> tensor (R, n), stacked?"""
    v = as_tensor(argument, values, device)
    if v.dim() >= 1 and v.shape[-1] == 1 and v.dim() in (2, 3) and v.shape[-2] == n:
        v = v[..., 0]
    if v.dim() not in (1, 2) or v.shape[-1] != n or v.numel() == 0:
        expected = f"values on the {n} points: shape ({n},), ({n}, 1), (R, {n}) or (R, {n}, 1)"
        fail(argument, expected, _Described(describe(v)))
    check_finite(argument, v)
    return (v, True) if v.dim() == 2 else (v[None], False)


def to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def real_values(argument: str, values: Any, n: int, device: torch.device) -> torch.Tensor:
    """:func:`as_values` for real values: tensor (n,)."""
    v = as_values(argument, values, n, device)
    if v.is_complex():
        fail(argument, "real values", _Described(describe(v)), TypeError)
    return v


def real_stack(argument: str, values: Any, n: int, device: torch.device) -> tuple[torch.Tensor, bool]:
    """:func:`as_stack` for real values: (R, n) and whether a stack was given."""
    v, stacked = as_stack(argument, values, n, device)
    if v.is_complex():
        fail(argument, "real values", _Described(describe(v)), TypeError)
    return v, stacked
