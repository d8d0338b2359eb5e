"""Spectra of real values on uniform grids (1-D, 2-D, n-D) in physical frequency units, and their peaks.

On a grid of N = m_1 ⋯ m_d nodes x_j with periods L_i = m_i h_i (see :mod:`spectra.fourier.grid`),
the Fourier-series coefficient at the bin frequency k = (k_1/L_1, ..., k_d/L_d) is

    c(k) = (1/N) Σ_j u(x_j) exp(-2πi k·x_j),

with the true positions x_j (not the FFT's j h), so c carries the phase of u about the origin; it
relates to the continuous transform by u_hat(k) ≈ N (Π h_i) c(k) = (Π L_i) c(k). The single-sided
amplitude is 2|c(k)|, or ``|c(k)|`` on the self-conjugate bins (k ≡ -k: zero or Nyquist along every axis),
so that A sin(2π κ·x + φ) with κ on a bin shows amplitude exactly A there. A :class:`Spectrum`
holds the half-space of bins with k_d >= 0 (the last axis of ``rfftn``); along the other axes the
bins run from negative to positive frequency.

A window (any name of ``scipy.signal.get_window``, periodic form, one per axis, multiplied) trades
leakage for resolution; the coefficients are divided by its mean (the coherent gain), so a sinusoid
on a bin keeps its amplitude.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.signal
import torch

from spectra._validation import _Described, as_points, check_positive_float, describe, fail
from spectra.fourier._arrays import as_tensor, common_device, complex_dtype, real_values, to_numpy
from spectra.fourier.grid import GridLayout, grid_layout
from spectra.results import Result


class GridTransform:
    """c(k) of real values on one grid (module docstring), with taper, scale and origin phase set up once.

    ``transform(values)`` maps values (R, n), ordered like the grid's points, to the coefficients
    (R, N) on all bins, flattened in C order over the FFT-ordered array; :func:`flat_index` finds bins.
    """

    def __init__(self, layout: GridLayout, window: str | None = None) -> None:
        self.layout = layout
        device = layout.index.device
        self.in_grid_order = bool(torch.equal(layout.index, torch.arange(layout.size, device=device)))
        weight = torch.ones(layout.shape, dtype=torch.float64, device=device) / layout.size
        phase = torch.ones(layout.shape, dtype=torch.complex128, device=device)
        for axis, (m, bins, lo, period) in enumerate(
            zip(layout.shape, layout.signed_bins(), layout.lo, layout.periods, strict=True)
        ):
            shape = [1] * layout.dim
            shape[axis] = m
            if window is not None:
                taper = torch.as_tensor(scipy.signal.get_window(window, m, fftbins=True), device=device)
                weight = weight * (taper / taper.mean()).reshape(shape)  # divided by the coherent gain
            # The FFT measures positions from the first node; this phase measures them from the origin.
            phase = phase * torch.as_tensor(np.exp(-2j * math.pi * bins * lo / period), device=device).reshape(shape)
        self._weight, self._phase = weight, None if all(lo == 0 for lo in layout.lo) else phase
        self._cast: dict[torch.dtype, tuple[torch.Tensor, torch.Tensor | None]] = {}

    def __call__(self, values: torch.Tensor) -> torch.Tensor:
        if values.dtype not in self._cast:
            phase = None if self._phase is None else self._phase.to(complex_dtype(values.dtype))
            self._cast[values.dtype] = (self._weight.to(values.dtype), phase)
        weight, phase = self._cast[values.dtype]
        array = values if self.in_grid_order else self.layout.to_array(values)
        array = array.reshape(len(values), *self.layout.shape) * weight
        coefficients = torch.fft.fftn(array, dim=tuple(range(1, self.layout.dim + 1)))
        if phase is not None:
            coefficients = coefficients * phase
        return coefficients.reshape(len(values), -1)


def flat_index(bins: np.ndarray, shape: tuple[int, ...], device: torch.device) -> torch.Tensor:
    """Positions of integer bins (K, d) in the flattened FFT-ordered coefficients of :class:`GridTransform`."""
    return torch.as_tensor(np.ravel_multi_index(tuple((bins % np.asarray(shape)).T), shape), device=device)


def self_conjugate(bins: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Rows of integer bins (K, d) with k ≡ -k on every axis (zero or the Nyquist bin m/2)."""
    m = np.asarray(shape)
    return np.all((bins % m == 0) | ((m % 2 == 0) & (bins % m == m // 2)), axis=1)


def single_sided(bins: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Factor from ``|c(k)|`` to the single-sided amplitude: 1 on self-conjugate bins, 2 elsewhere."""
    return np.where(self_conjugate(bins, shape), 1.0, 2.0)


def half_space_bins(shape: tuple[int, ...]) -> np.ndarray:
    """Integer bins (M, d) of a :class:`Spectrum`: k_d = 0..⌊m_d/2⌋, other axes ascending; C order."""
    axes = [np.arange(-(m // 2), (m + 1) // 2) for m in shape[:-1]] + [np.arange(shape[-1] // 2 + 1)]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([a.reshape(-1) for a in mesh], axis=1)


def canonical(bins: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Of each conjugate pair k, -k keep one (the first axis from the last where k ≢ -k has k > 0)."""
    m = np.asarray(shape)
    keep = np.ones(len(bins), dtype=bool)
    decided = np.zeros(len(bins), dtype=bool)
    for axis in reversed(range(len(shape))):
        k = bins[:, axis] % m[axis]
        symmetric = (k == 0) | ((m[axis] % 2 == 0) & (k == m[axis] // 2))
        undecided = ~decided & ~symmetric
        keep[undecided] = k[undecided] < (m[axis] + 1) // 2
        decided |= ~symmetric
    return keep


def signed(bins: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Integer bins mapped to -⌈m/2⌉+1..⌊m/2⌋ on every axis (the Nyquist bin of an even m counted positive)."""
    m = np.asarray(shape)
    k = bins % m
    return np.where(k > m // 2, k - m, k)


def peak_bins(coefficients: torch.Tensor, shape: tuple[int, ...], threshold: float) -> np.ndarray:
    """Strict local maxima of ``|c|`` (N,) over the bins in FFT order (periodic neighbours), with ``|c|`` >=
    threshold × max|c|: integer bins (K, d).

    One bin of each conjugate pair is kept; the peaks come sorted by ``|k|`` (ties in C order).
    """
    magnitude = coefficients.abs().reshape(shape)
    peak = magnitude >= threshold * magnitude.max()
    for offset in itertools.product((-1, 0, 1), repeat=len(shape)):
        if any(offset):
            peak &= magnitude > torch.roll(magnitude, offset, dims=tuple(range(len(shape))))
    bins = signed(to_numpy(torch.nonzero(peak)), shape)
    bins = bins[canonical(bins, shape)]
    order = np.lexsort((*bins.T[::-1], (bins.astype(float) ** 2).sum(axis=1)))
    return bins[order]


def frequencies_of(bins: np.ndarray, layout: GridLayout) -> np.ndarray:
    """Integer bins (K, d) -> frequencies k_i / L_i in cycles per unit length (K, d)."""
    return bins / np.asarray(layout.periods)


def bins_of(argument: str, frequencies: Any, layout: GridLayout) -> np.ndarray:
    """Frequencies (K, d) (1-D: K scalars, d = 1) that lie on the grid's DFT bins -> integer bins (K, d)."""
    f = np.asarray(to_numpy(frequencies) if isinstance(frequencies, torch.Tensor) else frequencies, dtype=float)
    if f.ndim == 1 and layout.dim == 1:
        f = f[:, None]
    if f.ndim != 2 or f.shape[1] != layout.dim or len(f) == 0:
        fail(argument, f"a non-empty set of frequencies of shape (K, {layout.dim})", _Described(describe(f)))
    if not np.isfinite(f).all():
        fail(argument, "finite frequencies", _Described(describe(f) + " containing non-finite values"))
    scaled = f * np.asarray(layout.periods)
    bins = np.rint(scaled).astype(np.int64)
    if np.abs(scaled - bins).max() > 1e-6 * max(1.0, np.abs(scaled).max()):
        resolution = ", ".join(f"{1 / p:.6g}" for p in layout.periods)
        fail(argument, f"frequencies on the grid's DFT bins (multiples of {resolution} per axis)", f.tolist())
    if np.any(np.abs(bins) > np.asarray(layout.shape) // 2):
        nyquist = ", ".join(f"{m // 2 / p:.6g}" for m, p in zip(layout.shape, layout.periods, strict=True))
        fail(argument, f"frequencies up to the Nyquist frequency ({nyquist} per axis)", f.tolist())
    return bins


@dataclass
class Spectrum(Result):
    """Single-sided spectrum on the half-space of DFT bins (see module docstring).

    ``frequency`` (M, d) in cycles per unit length, C order over ``shape`` (the half-space array:
    m_1, ..., m_{d-1}, ⌊m_d/2⌋+1); ``coefficient`` (M,) complex c(k); ``amplitude`` (M,) single-sided;
    ``periods`` L_i; ``window`` the taper used (None: none).
    """

    frequency: np.ndarray = Result.array_field(("M", "d"))
    coefficient: np.ndarray = Result.array_field(("M",), "complex")
    amplitude: np.ndarray = Result.array_field(("M",))
    shape: list[int]
    periods: list[float]
    window: str | None = None

    @property
    def dim(self) -> int:
        return self.frequency.shape[1]

    def axes(self) -> list[np.ndarray]:
        """The frequencies along each axis of the half-space array (ascending)."""
        return [np.unique(self.frequency[:, j]) for j in range(self.dim)]

    def amplitude_array(self) -> np.ndarray:
        """Amplitudes as the half-space array of shape ``shape`` (for images in 2-D)."""
        return self.amplitude.reshape(self.shape)

    def to_frame(self) -> pd.DataFrame:
        """One row per bin: f0..f{d-1}, ``|f|`` (cycles per unit length), amplitude."""
        frame = pd.DataFrame({f"f{j}": self.frequency[:, j] for j in range(self.dim)})
        frame["|f|"] = np.linalg.norm(self.frequency, axis=1)
        frame["amplitude"] = self.amplitude
        return frame


def spectrum(
    values: np.ndarray | torch.Tensor, grid: np.ndarray | torch.Tensor, *, window: str | None = None
) -> Spectrum:
    """Single-sided amplitude spectrum of real ``values`` (n,) or (n, 1) on the uniform ``grid`` (n, d).

    The grid's points may come in any order (the values follow them). Non-uniform point sets are
    refused (use :func:`spectra.fourier.nudft` there). The FFT runs on the values' device; the
    returned :class:`Spectrum` holds NumPy arrays. ``window``: e.g. ``"hann"`` (module docstring).
    """
    device = common_device(values=values, grid=grid)
    points = as_points("grid", as_tensor("grid", grid, device))
    layout = grid_layout("grid", points)
    v = real_values("values", values, len(points), device)
    bins = half_space_bins(layout.shape)
    coefficients = GridTransform(layout, _window(window))(v[None])[0]
    coefficient = to_numpy(coefficients[flat_index(bins, layout.shape, device)])
    return Spectrum(
        frequency=frequencies_of(bins, layout),
        coefficient=coefficient,
        amplitude=single_sided(bins, layout.shape) * np.abs(coefficient),
        shape=[*layout.shape[:-1], layout.shape[-1] // 2 + 1],
        periods=list(layout.periods),
        window=window,
    )


def spectral_peaks(
    values: np.ndarray | torch.Tensor, grid: np.ndarray | torch.Tensor, *, threshold: float = 1e-3
) -> np.ndarray:
    """Frequencies (K, d) of the strict local maxima of ``|c(k)|`` with amplitude >= ``threshold`` × the largest.

    Xu et al.'s peaks (docs/theory.rst, "Per-frequency diagnostics"): neighbours are the 3^d - 1 adjacent bins,
    periodically; the threshold drops the rounding-level maxima of the floor between the lines.
    One of each conjugate pair ±k is returned, sorted by ``|k|``.
    """
    device = common_device(values=values, grid=grid)
    layout = grid_layout("grid", as_points("grid", as_tensor("grid", grid, device)))
    v = real_values("values", values, layout.size, device)
    threshold = check_positive_float("threshold", threshold)
    bins = peak_bins(GridTransform(layout)(v[None])[0], layout.shape, threshold)
    if len(bins) == 0:
        fail("values", "a spectrum with at least one peak", _Described("values whose spectrum is flat"))
    return frequencies_of(bins, layout)


@dataclass
class RadialSpectrum(Result):
    """Mean single-sided amplitude over shells ``|k|`` ∈ [r - w/2, r + w/2): ``radius`` (B,), ``amplitude``, ``count``.
    """

    radius: np.ndarray = Result.array_field(("B",))
    amplitude: np.ndarray = Result.array_field(("B",))
    count: np.ndarray = Result.array_field(("B",), "int")
    bin_width: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"radius": self.radius, "amplitude": self.amplitude, "count": self.count})


def radial_average(spec: Spectrum, bin_width: float | None = None) -> RadialSpectrum:
    """Radially averaged amplitude of a 2-D (or n-D) spectrum; empty shells are left out.

    Shells are centred on multiples of ``bin_width`` (default: the coarsest bin spacing, max_i 1/L_i,
    so that every shell holds bins).
    """
    if not isinstance(spec, Spectrum):
        fail("spec", "a Spectrum", _Described(type(spec).__name__), TypeError)
    width = max(1 / p for p in spec.periods) if bin_width is None else check_positive_float("bin_width", bin_width)
    radius = np.linalg.norm(spec.frequency, axis=1)
    shell = np.rint(radius / width).astype(np.int64)
    count = np.bincount(shell)
    total = np.bincount(shell, weights=spec.amplitude)
    filled = count > 0
    return RadialSpectrum(
        radius=width * np.flatnonzero(filled),
        amplitude=total[filled] / count[filled],
        count=count[filled],
        bin_width=width,
    )


def _window(window: str | None) -> str | None:
    if window is None or window == "none":
        return None
    if not isinstance(window, str):
        fail("window", "None or a window name of scipy.signal.get_window (e.g. 'hann')", window, TypeError)
    try:
        scipy.signal.get_window(window, 8, fftbins=True)
    except ValueError:
        fail("window", "None or a window name of scipy.signal.get_window (e.g. 'hann')", window)
    return window
