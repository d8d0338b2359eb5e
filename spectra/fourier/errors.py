"""Per-frequency errors of a prediction h against a target y (docs/theory.rst, "Per-frequency diagnostics").

Xu et al.'s relative error at the peaks k of ``|y_hat|`` (Frequency Principle)::

    complex (default):  Δ_F(k) = |h_hat(k) - y_hat(k)| / |y_hat(k)|      (sees phase errors)
    magnitude:          Δ_F(k) = | |h_hat(k)| - |y_hat(k)| | / |y_hat(k)|

Both are 0 for a perfect prediction and 1 for h ≡ 0. Rahaman et al.'s normalised amplitude of a
prediction f_t on n grid points at a line k_i of amplitude A_i is 2|F_t(k_i)| / (n A_i), with
F_t(k) = Σ_j f_t(x_j) exp(-2πi k·x_j); it reaches 1 when the line is learned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from spectra._validation import _Described, as_points, check_choice, check_positive_float, describe, fail
from spectra.fourier._arrays import as_tensor, common_device, is_torch, real_dtype, real_stack, real_values, to_numpy
from spectra.fourier.grid import grid_layout
from spectra.fourier.spectrum import GridTransform, bins_of, flat_index, frequencies_of, peak_bins, single_sided
from spectra.fourier.transforms import direct_transform
from spectra.results import Result

KINDS = ("complex", "magnitude")


def relative_error(prediction: torch.Tensor, target: torch.Tensor, kind: str = "complex") -> torch.Tensor:
    """Xu's Δ_F from coefficients of the prediction (..., K) and of the target (K,) (module docstring)."""
    if kind == "complex":
        return (prediction - target).abs() / target.abs()
    return (prediction.abs() - target.abs()).abs() / target.abs()


def check_nonzero(argument: str, target_coefficients: torch.Tensor, target_values: torch.Tensor, where: Any) -> None:
    """Refuse frequencies where the target's coefficient is zero to rounding (the ratio would be noise)."""
    floor = 100 * torch.finfo(target_values.dtype).eps * float(target_values.abs().mean())
    zero = to_numpy(target_coefficients.abs() <= floor)
    if zero.any():
        fail(
            argument,
            "frequencies where the target's spectrum is non-zero (the errors divide by |y_hat|)",
            _Described(f"{np.asarray(where)[zero].tolist()} where |y_hat| is zero"),
        )


@dataclass
class FrequencyError(Result):
    """Relative error per frequency: ``frequency`` (K, d), ``error`` (K,) or (R, K) for R predictions.

    ``target_amplitude`` (K,) is the target's single-sided amplitude there, ``kind`` "complex" or
    "magnitude", ``method`` "grid" (DFT on a uniform grid) or "projection" (along ``direction``).
    """

    frequency: np.ndarray = Result.array_field(("K", "d"))
    error: np.ndarray = Result.array_field([("K",), ("R", "K")])
    target_amplitude: np.ndarray = Result.array_field(("K",))
    kind: str = "complex"
    method: str = "grid"
    direction: np.ndarray | None = Result.array_field(("d",), optional=True)

    def to_frame(self) -> pd.DataFrame:
        """One row per (record, frequency): record, f0..f{d-1}, ``|f|``, target_amplitude, error."""
        error = np.atleast_2d(self.error)
        records, k = error.shape
        frame = pd.DataFrame({"record": np.repeat(np.arange(records), k)})
        for j in range(self.frequency.shape[1]):
            frame[f"f{j}"] = np.tile(self.frequency[:, j], records)
        frame["|f|"] = np.tile(np.linalg.norm(self.frequency, axis=1), records)
        frame["target_amplitude"] = np.tile(self.target_amplitude, records)
        frame["error"] = error.reshape(-1)
        return frame


def frequency_error(
    pred: np.ndarray | torch.Tensor,
    target: np.ndarray | torch.Tensor,
    grid: np.ndarray | torch.Tensor,
    peaks: str | np.ndarray = "auto",
    *,
    kind: str = "complex",
    threshold: float = 1e-3,
) -> FrequencyError:
    """Xu et al.'s relative error per frequency on a uniform grid (module docstring).

    Parameters
    ----------
    pred
        Prediction on the grid, (n,) or (n, 1), or R predictions (R, n) / (R, n, 1) (e.g.
        ``History.predictions``, which gives the error at every record step at once).
    target
        Target values (n,) or (n, 1) on the same points.
    grid
        The points (n, d) of a uniform grid (any order; see :func:`spectra.fourier.grid.grid_layout`).
    peaks
        ``"auto"``: the strict local maxima of ``|y_hat|`` above ``threshold`` × its largest
        (:func:`spectra.fourier.spectrum.spectral_peaks`); or frequencies (K, d) on the DFT bins.
    kind
        ``"complex"`` (default) or ``"magnitude"``.
    """
    check_choice("kind", kind, KINDS)
    device = common_device(pred=pred, target=target, grid=grid)
    layout = grid_layout("grid", as_points("grid", as_tensor("grid", grid, device)))
    y = real_values("target", target, layout.size, device)[None]
    h, stacked = real_stack("pred", pred, layout.size, device)
    transform = GridTransform(layout)
    y_hat = transform(y)[0]
    if isinstance(peaks, str):
        check_choice("peaks", peaks, ("auto",))
        bins = peak_bins(y_hat, layout.shape, check_positive_float("threshold", threshold))
        if len(bins) == 0:
            fail("target", "a spectrum with at least one peak", _Described("a target with a flat spectrum"))
    else:
        bins = bins_of("peaks", peaks, layout)
    frequency = frequencies_of(bins, layout)
    index = flat_index(bins, layout.shape, device)
    target_at_peaks = y_hat[index]
    check_nonzero("peaks", target_at_peaks, y, frequency)
    error = relative_error(transform(h.to(y.dtype))[:, index], target_at_peaks, kind)
    return FrequencyError(
        frequency=frequency,
        error=to_numpy(error if stacked else error[0]),
        target_amplitude=single_sided(bins, layout.shape) * to_numpy(target_at_peaks.abs()),
        kind=kind,
        method="grid",
    )


def target_amplitudes(
    pred_t: np.ndarray | torch.Tensor,
    freqs: np.ndarray | torch.Tensor,
    amplitudes: np.ndarray | torch.Tensor,
    *,
    grid: np.ndarray | torch.Tensor | None = None,
) -> np.ndarray | torch.Tensor:
    """Rahaman et al.'s normalised amplitudes 2|F_t(k_i)| / (n A_i) (module docstring), shape (R, K).

    Parameters
    ----------
    pred_t
        Predictions (R, n) or (R, n, 1) at R times (e.g. ``History.predictions``); (n,) is one time.
    freqs
        Frequencies k_i (K,) in 1-D or (K, d), strictly between 0 and the grid's Nyquist frequency
        (the factor 2 counts the line at -k_i).
    amplitudes
        The target's amplitudes A_i > 0 (K,).
    grid
        The points x_j (n, d) of the predictions; None: the periodic grid j/n on [0, 1), Rahaman's.

    Returns
    -------
    (R, K) (or (K,) for one prediction): NumPy for NumPy ``pred_t``, else a tensor on its device.
    """
    device = common_device(pred_t=pred_t, grid=grid)
    stack = as_tensor("pred_t", pred_t, device)
    n = stack.shape[-2] if stack.dim() == 3 else stack.shape[-1]
    f, stacked = real_stack("pred_t", stack, n, device)
    dtype = real_dtype(f) if is_torch(pred_t) else torch.float64
    if grid is None:
        points = (torch.arange(n, device=device, dtype=dtype) / n)[:, None]
    else:
        points = as_points("grid", as_tensor("grid", grid, device)).to(dtype)
        if len(points) != n:
            fail("grid", f"one point per prediction value ({n})", _Described(describe(points)))
    k = as_tensor("freqs", freqs, device).to(dtype)
    k = as_points("freqs", k if k.dim() == 2 else k[:, None], points.shape[1])
    if not bool((k.norm(dim=1) > 0).all()):
        fail("freqs", "non-zero frequencies", to_numpy(k).tolist())
    a = as_tensor("amplitudes", amplitudes, device).to(dtype).reshape(-1)
    if len(a) != len(k) or not bool((a > 0).all()) or not bool(torch.isfinite(a).all()):
        fail("amplitudes", f"{len(k)} positive amplitudes, one per frequency", _Described(describe(a)))
    transform = direct_transform(points, f.to(dtype).T, k)  # (K, R)
    normalised = 2 * transform.abs().T / (n * a)
    result = normalised if stacked else normalised[0]
    return result if is_torch(pred_t) else to_numpy(result)
