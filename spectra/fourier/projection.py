"""Projection method for d > 1 (docs/theory.rst, "Per-frequency diagnostics"): a 1-D spectrum along a direction p.

For scattered points x_j (n, d) and a unit direction p (default: the first principal component
of the points), the projected transform at scalar frequencies k (cycles per unit length along p) is

    y_hat_p(k) = (1/n) Σ_j y_j exp(-2πi k p·x_j),

a non-uniform DFT of the values against the projections p·x_j. Xu's relative error along p
compares h_hat_p with y_hat_p as in :mod:`spectra.fourier.errors`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from spectra._validation import _Described, as_points, check_choice, describe, fail
from spectra.fourier._arrays import as_tensor, common_device, is_torch, real_dtype, real_stack, real_values, to_numpy
from spectra.fourier.errors import KINDS, FrequencyError, check_nonzero, relative_error
from spectra.fourier.transforms import direct_transform


def principal_direction(x: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    """Unit vector (d,) along the first principal component of the points (n, d), largest entry positive."""
    points = as_points("x", as_tensor("x", x, common_device(x=x)))
    if len(points) < 2:
        fail("x", "at least 2 points to find a principal direction", _Described(describe(points)))
    centred = points - points.mean(dim=0)
    _, _, vh = torch.linalg.svd(centred, full_matrices=False)
    p = vh[0]
    p = p * torch.sign(p[p.abs().argmax()])
    return p if is_torch(x) else to_numpy(p)


def _direction(direction: Any, points: torch.Tensor) -> torch.Tensor:
    if direction is None:
        return torch.as_tensor(principal_direction(points), dtype=points.dtype, device=points.device)
    p = as_tensor("direction", direction, points.device).to(points.dtype).reshape(-1)
    if len(p) != points.shape[1] or not bool(torch.isfinite(p).all()) or float(p.norm()) == 0:
        fail("direction", f"a non-zero finite vector of length {points.shape[1]}", _Described(describe(p)))
    return p / p.norm()


def _projected(points: torch.Tensor, values: torch.Tensor, k: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """(1/n) Σ_j v_rj exp(-2πi k p·x_j) for values (R, n) -> (R, K)."""
    t = (points @ p)[:, None]
    return direct_transform(t, values.T.to(points.dtype), k[:, None]).T / len(points)


def _setup(x: Any, freqs: Any, direction: Any, device: torch.device, dtype: torch.dtype):
    points = as_points("x", as_tensor("x", x, device)).to(dtype)
    k = as_tensor("freqs", freqs, device).reshape(-1).to(dtype)
    if len(k) == 0 or not bool(torch.isfinite(k).all()):
        fail("freqs", "a non-empty set of finite scalar frequencies (K,) along the direction", _Described(describe(k)))
    return points, k, _direction(direction, points)


def projected_transform(
    x: np.ndarray | torch.Tensor,
    values: np.ndarray | torch.Tensor,
    freqs: np.ndarray | torch.Tensor,
    direction: np.ndarray | torch.Tensor | None = None,
) -> np.ndarray | torch.Tensor:
    """y_hat_p(k) (module docstring) for values (n,) / (n, 1) -> complex (K,), or (R, n) -> (R, K)."""
    device = common_device(x=x, values=values)
    raw = as_points("x", as_tensor("x", x, device))
    v, stacked = real_stack("values", values, len(raw), device)
    dtype = real_dtype(raw, v) if is_torch(x, values) else torch.float64
    points, k, p = _setup(raw, freqs, direction, device, dtype)
    result = _projected(points, v, k, p)
    result = result if stacked else result[0]
    return result if is_torch(x, values) else to_numpy(result)


def projection_error(
    pred: np.ndarray | torch.Tensor,
    target: np.ndarray | torch.Tensor,
    x: np.ndarray | torch.Tensor,
    freqs: np.ndarray | torch.Tensor,
    *,
    direction: np.ndarray | torch.Tensor | None = None,
    kind: str = "complex",
) -> FrequencyError:
    """Xu's relative error along ``direction`` at scalar frequencies ``freqs`` (K,), for scattered points.

    ``pred`` is (n,) / (n, 1) or R predictions (R, n) / (R, n, 1); ``target`` (n,) / (n, 1). The
    returned ``frequency`` holds the vectors k p (K, d) and ``direction`` the unit vector p.
    """
    check_choice("kind", kind, KINDS)
    device = common_device(pred=pred, target=target, x=x)
    raw = as_points("x", as_tensor("x", x, device))
    n = len(raw)
    y = real_values("target", target, n, device)[None]
    h, stacked = real_stack("pred", pred, n, device)
    points, k, p = _setup(raw, freqs, direction, device, torch.float64 if not is_torch(x) else real_dtype(raw, y))
    y_hat = _projected(points, y, k, p)[0]
    check_nonzero("freqs", y_hat, y, to_numpy(k))
    error = relative_error(_projected(points, h, k, p), y_hat, kind)
    return FrequencyError(
        frequency=to_numpy(k[:, None] * p[None, :]),
        error=to_numpy(error if stacked else error[0]),
        target_amplitude=2 * to_numpy(y_hat.abs()),
        kind=kind,
        method="projection",
        direction=to_numpy(p),
    )
