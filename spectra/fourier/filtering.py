"""Filtering method for d > 1: low and high parts by Gaussian smoothing.

See docs/theory.rst, "Per-frequency diagnostics". With the row-normalised Gaussian kernel on the points x_i (n, d)::

    G_ij = exp(-|x_i - x_j|² / (2δ)) / Σ_l exp(-|x_i - x_l|² / (2δ))      (δ: a squared length),

the low part of values v is G v and the high part v - G v. For a prediction h and a target y
(residual r = h - y, and G linear)::

    e_low(δ)  = |G r| / |G y|,      e_high(δ) = |r - G r| / |y - G y|      (Euclidean norms over points).

G is never formed: rows are processed in tiles of at most ``block`` kernel entries, so memory is
O(block + n); n = 20,000 points take a few seconds per δ on one core.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from spectra._validation import (
    _Described,
    as_points,
    as_real_array,
    check_positive_float,
    check_positive_int,
    describe,
    fail,
)
from spectra.fourier._arrays import as_tensor, common_device, is_torch, real_dtype, real_stack, real_values, to_numpy
from spectra.results import Result

# Kernel entries per tile: 2 MB in float64, small enough for the passes over a tile to stay in cache.
DEFAULT_BLOCK = 2**18


def gaussian_smooth(
    x: np.ndarray | torch.Tensor,
    values: np.ndarray | torch.Tensor,
    deltas: np.ndarray | list[float] | float,
    *,
    block: int = DEFAULT_BLOCK,
) -> np.ndarray | torch.Tensor:
    """G_δ v for each δ: values (n,) or (n, m) -> (D, n) or (D, n, m) (module docstring), tiled."""
    device = common_device(x=x, values=values)
    points = as_points("x", as_tensor("x", x, device))
    v = as_tensor("values", values, device)
    if v.dim() not in (1, 2) or len(v) != len(points) or v.is_complex():
        fail("values", f"real values of shape ({len(points)},) or ({len(points)}, m)", _Described(describe(v)))
    dtype = real_dtype(points, v) if is_torch(x, values) else torch.float64
    smoothed = _smooth(points.to(dtype), (v if v.dim() == 2 else v[:, None]).to(dtype), _deltas(deltas), block)
    smoothed = smoothed if v.dim() == 2 else smoothed[..., 0]
    return smoothed if is_torch(x, values) else to_numpy(smoothed)


def _deltas(deltas: np.ndarray | list[float] | float) -> list[float]:
    values = np.atleast_1d(as_real_array("deltas", deltas))
    if values.ndim != 1 or len(values) == 0:
        fail("deltas", "one or more positive widths δ", deltas)
    return [check_positive_float("deltas", float(d)) for d in values]


def _smooth(points: torch.Tensor, values: torch.Tensor, deltas: list[float], block: int) -> torch.Tensor:
    """G_δ values for points (n, d), values (n, m): (D, n, m), rows in tiles of ``block`` kernel entries."""
    block = check_positive_int("block", block)
    n = len(points)
    rows = max(1, block // n)
    squared = (points**2).sum(dim=1)
    # A column of ones makes the row sums of the kernel come out of the same product.
    augmented = torch.cat([values, torch.ones(n, 1, dtype=values.dtype, device=values.device)], dim=1)
    kernel = torch.empty(rows, n, dtype=values.dtype, device=values.device)
    out = torch.empty(len(deltas), n, values.shape[1], dtype=values.dtype, device=values.device)
    for i0 in range(0, n, rows):
        tile = points[i0 : i0 + rows]
        distance2 = torch.addmm(squared[None, :].expand(len(tile), n), tile, points.T, alpha=-2)
        distance2.add_(squared[i0 : i0 + rows, None]).clamp_(min=0)
        for index, delta in enumerate(deltas):
            weights = torch.mul(distance2, -1 / (2 * delta), out=kernel[: len(tile)]).exp_()
            sums = weights @ augmented
            out[index, i0 : i0 + rows] = sums[:, :-1] / sums[:, -1:]
    return out


@dataclass
class FilteredErrors(Result):
    """e_low and e_high (module docstring) per δ: ``delta`` (D,), ``low`` and ``high`` (D,) or (R, D)."""

    delta: np.ndarray = Result.array_field(("D",))
    low: np.ndarray = Result.array_field([("D",), ("R", "D")])
    high: np.ndarray = Result.array_field([("D",), ("R", "D")])

    def to_frame(self) -> pd.DataFrame:
        """One row per (record, δ): record, delta, low, high."""
        low, high = np.atleast_2d(self.low), np.atleast_2d(self.high)
        records = len(low)
        return pd.DataFrame(
            {
                "record": np.repeat(np.arange(records), len(self.delta)),
                "delta": np.tile(self.delta, records),
                "low": low.reshape(-1),
                "high": high.reshape(-1),
            }
        )


def filtered_errors(
    pred: np.ndarray | torch.Tensor,
    target: np.ndarray | torch.Tensor,
    x: np.ndarray | torch.Tensor,
    deltas: np.ndarray | list[float] | float,
    *,
    block: int = DEFAULT_BLOCK,
) -> FilteredErrors:
    """e_low(δ) and e_high(δ) of predictions (n,) / (n, 1) or (R, n) / (R, n, 1) against ``target`` on points ``x``."""
    device = common_device(pred=pred, target=target, x=x)
    points = as_points("x", as_tensor("x", x, device))
    y = real_values("target", target, len(points), device)[None]
    h, stacked = real_stack("pred", pred, len(points), device)
    dtype = real_dtype(points, y, h) if is_torch(pred, target, x) else torch.float64
    y = y.to(dtype)
    residual = h.to(dtype) - y
    smooth = _smooth(points.to(dtype), torch.cat([y, residual]).T, _deltas(deltas), block)  # (D, n, 1 + R)
    smooth_y, smooth_r = smooth[..., 0], smooth[..., 1:]
    low_y, high_y = smooth_y.norm(dim=1), (y[0][None] - smooth_y).norm(dim=1)
    floor = 100 * torch.finfo(dtype).eps * float(y.norm())
    if bool((low_y <= floor).any() | (high_y <= floor).any()):
        given = f"deltas {_deltas(deltas)}: |G y| = {to_numpy(low_y).tolist()}, |y - G y| = {to_numpy(high_y).tolist()}"
        fail("deltas", "widths at which the target has both a low and a high part", _Described(given))
    low = smooth_r.norm(dim=1) / low_y[:, None]
    high = (residual.T[None] - smooth_r).norm(dim=1) / high_y[:, None]
    low, high = low.T, high.T  # (R, D)
    return FilteredErrors(
        delta=np.asarray(_deltas(deltas)),
        low=to_numpy(low if stacked else low[0]),
        high=to_numpy(high if stacked else high[0]),
    )
