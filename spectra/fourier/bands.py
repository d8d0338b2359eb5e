"""Radial frequency bands of 2-D signals on a full pixel grid: energy per band, band-pass parts, band errors.

A 2-D signal here is an array (..., H, W) of samples on the pixel centres of the unit square [0, 1]²
(``spectra.data``): axis -2 is the first coordinate x0 (H rows), axis -1 the second, x1 (W columns). The DFT
reads the samples as one period of a periodic function with period 1 along each axis, so its bins are the
frequencies k = (k0, k1) cycles per unit length, k_j = -⌊m_j/2⌋..⌈m_j/2⌉-1, and the radial frequency of a
bin is ``|k|`` = sqrt(k0² + k1²). A band b holds the bins with ``edges[b] <= |k| < edges[b + 1]``.

- :func:`radial_frequencies`: ``|k|`` of every DFT bin, in FFT order, shape (H, W);
- :func:`octave_edges`: band edges 0, 1, 2, 4, ..., doubling up to the grid's Nyquist frequency, then one
  band up to the corner bins (the first band [0, 1) is the mean alone);
- :func:`band_energy`: the mean square of the signal carried by each band (Parseval: the bands add up to
  mean(values²) when the edges cover every bin);
- :func:`band_pass`: the signal's part in each band (the inverse DFT of its bins there): real arrays that
  add up to the signal;
- :func:`band_errors`: the relative error sqrt(E_b(residual) / E_b(target)) per band, on every pixel or
  on a subset of pixels (``mask``: e.g. the held-out test pixels).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from spectra._validation import _Described, as_real_array, brief, check_memory, describe, fail

__all__ = ["band_energy", "band_errors", "band_pass", "octave_edges", "radial_frequencies"]


def _grid_shape(argument: str, shape: Any) -> tuple[int, int]:
    if (
        not isinstance(shape, (tuple, list))
        or len(shape) != 2
        or not all(isinstance(m, (int, np.integer)) and not isinstance(m, bool) and m >= 2 for m in shape)
    ):
        fail(argument, "a grid shape (H, W) of two integers >= 2", brief(shape))
    h, w = int(shape[0]), int(shape[1])
    check_memory(argument, (h, w), 8 * 8 * h * w, subject=f"a grid of {h} × {w} bins", advice="use a smaller grid")
    return h, w


def radial_frequencies(shape: tuple[int, int]) -> np.ndarray:
    """``|k|`` (cycles per unit length) of every DFT bin of an (H, W) grid on [0, 1]², in FFT order, shape (H, W).

    Parameters
    ----------
    shape
        The grid (H, W), each at least 2.

    Returns
    -------
    numpy.ndarray
        sqrt(k0² + k1²) with k_j the integer DFT bins (``numpy.fft.fftfreq(m) * m``).
    """
    h, w = _grid_shape("shape", shape)
    k0 = np.rint(np.fft.fftfreq(h) * h)
    k1 = np.rint(np.fft.fftfreq(w) * w)
    return np.sqrt(k0[:, None] ** 2 + k1[None, :] ** 2)


def octave_edges(shape: tuple[int, int]) -> np.ndarray:
    """Band edges 0, 1, 2, 4, ..., 2^j up to the Nyquist frequency min(H, W) / 2, then the largest ``|k|`` (+1).

    Parameters
    ----------
    shape
        The grid (H, W).

    Returns
    -------
    numpy.ndarray
        Increasing edges (B + 1,): the first band [0, 1) holds the mean only, the last the bins beyond the
        Nyquist frequency of the shorter axis (the corners of the DFT square).
    """
    h, w = _grid_shape("shape", shape)
    nyquist = min(h, w) // 2
    edges = [0.0, 1.0]
    while edges[-1] * 2 <= nyquist:
        edges.append(edges[-1] * 2)
    top = float(radial_frequencies((h, w)).max())
    if top >= edges[-1]:
        edges.append(math.floor(top) + 1.0)
    return np.asarray(edges)


def _signal(argument: str, values: Any) -> np.ndarray:
    array = as_real_array(argument, values)
    if array.ndim < 2 or min(array.shape[-2:]) < 2:
        fail(argument, "an array (..., H, W) of samples on an H × W grid, H and W >= 2", _Described(describe(array)))
    return array


def _edges(edges: Any, shape: tuple[int, int]) -> np.ndarray:
    if edges is None:
        return octave_edges(shape)
    array = as_real_array("edges", edges)
    if array.ndim != 1 or len(array) < 2 or np.any(np.diff(array) <= 0) or array[0] < 0:
        fail("edges", "at least two increasing, non-negative band edges (cycles per unit length)", brief(edges))
    return array


def _band_index(shape: tuple[int, int], edges: np.ndarray) -> np.ndarray:
    """Band of each DFT bin (H, W); -1 for bins outside every band."""
    radius = radial_frequencies(shape)
    band = np.searchsorted(edges, radius, side="right") - 1
    return np.where((radius >= edges[0]) & (radius < edges[-1]), band, -1)


def band_energy(values: Any, edges: Any = None) -> np.ndarray:
    """Mean square of ``values`` carried by each radial band, shape (..., B).

    Parameters
    ----------
    values
        Real samples (..., H, W) on the pixel centres of [0, 1]² (module docstring).
    edges
        Band edges (B + 1,) in cycles per unit length (default :func:`octave_edges`).

    Returns
    -------
    numpy.ndarray
        Σ_{k in band} ``|X_k|²`` / (H W)², with X the DFT: over bands that cover every bin these add up to
        mean(values²) (Parseval).
    """
    array = _signal("values", values)
    shape = array.shape[-2:]
    edges = _edges(edges, shape)
    band = _band_index(shape, edges)
    power = np.abs(np.fft.fft2(array)) ** 2 / (shape[0] * shape[1]) ** 2
    flat = power.reshape(*power.shape[:-2], -1)
    out = np.zeros((*flat.shape[:-1], len(edges) - 1))
    for b in range(len(edges) - 1):
        out[..., b] = flat[..., (band == b).ravel()].sum(axis=-1)
    return out


def band_pass(values: Any, edges: Any = None) -> np.ndarray:
    """The part of ``values`` in each band: real arrays (B, ..., H, W) that add up to ``values``.

    Parameters
    ----------
    values
        Real samples (..., H, W) on the pixel centres of [0, 1]².
    edges
        Band edges (B + 1,) (default :func:`octave_edges`, which covers every bin).

    Returns
    -------
    numpy.ndarray
        Band b is the inverse DFT of the bins with edges[b] <= ``|k|`` < edges[b + 1]. Bins come in conjugate pairs
        of equal ``|k|``, so every part is real.
    """
    array = _signal("values", values)
    shape = array.shape[-2:]
    edges = _edges(edges, shape)
    band = _band_index(shape, edges)
    spectrum = np.fft.fft2(array)
    return np.stack([np.fft.ifft2(np.where(band == b, spectrum, 0)).real for b in range(len(edges) - 1)])


def band_errors(residual: Any, target: Any, edges: Any = None, *, mask: Any = None) -> np.ndarray:
    """Relative error per band, sqrt(E_b(residual) / E_b(target)), shape (..., B).

    Parameters
    ----------
    residual
        prediction - target on the full grid, (..., H, W) (e.g. (R, C, H, W): record steps and channels;
        the energies are summed over every axis but the leading ones that ``target`` lacks and the bands).
    target
        The target on the same grid, (C, H, W) or (H, W): the trailing axes of ``residual``.
    edges
        Band edges (default :func:`octave_edges`).
    mask
        None: E_b is the band's energy over the whole grid (:func:`band_energy`). A boolean (H, W): E_b is the
        mean square of the band-passed signal (:func:`band_pass`) on the pixels where ``mask`` is True: the
        error read on those pixels (the held-out test pixels). The band-pass filter is not local, so this is
        not a function of the residual on the masked pixels alone: residual elsewhere leaks in (a residual that
        is exactly zero on every test pixel of "camera" at 64 px still reads 0.002 to 1.5 from the lowest to
        the highest band), and above half the Nyquist frequency the value depends on the phase. Read the
        highest bands with care, and early in training, while the residual on the other pixels is large.

    Returns
    -------
    numpy.ndarray
        One relative error per band (leading axes of ``residual`` that ``target`` lacks, then B); NaN for a
        band where the target has no energy (below 1e-20 of its total: rounding).
    """
    res = _signal("residual", residual)
    tgt = _signal("target", target)
    if res.shape[res.ndim - tgt.ndim :] != tgt.shape:
        fail("residual", f"trailing axes {tgt.shape}, the shape of target", _Described(describe(res)))
    lead = res.ndim - tgt.ndim
    shape = tgt.shape[-2:]
    edges = _edges(edges, shape)
    if mask is None:
        res_energy, tgt_energy = band_energy(res, edges), band_energy(tgt, edges)
    else:
        selected = np.asarray(mask)
        if selected.dtype != bool or selected.shape != shape:
            fail("mask", f"a boolean array of the grid's shape {shape}", brief(mask))
        if not selected.any():
            fail("mask", "at least one selected pixel", "an all-False mask")
        res_energy = np.moveaxis((band_pass(res, edges)[..., selected] ** 2).mean(axis=-1), 0, -1)
        tgt_energy = np.moveaxis((band_pass(tgt, edges)[..., selected] ** 2).mean(axis=-1), 0, -1)
    # Sum over the target's own leading axes (channels), keep the residual's extra leading axes.
    channel_axes = tuple(range(lead, res_energy.ndim - 1))
    res_sum = res_energy.sum(axis=channel_axes) if channel_axes else res_energy
    tgt_sum = tgt_energy.sum(axis=tuple(range(tgt_energy.ndim - 1))) if tgt_energy.ndim > 1 else tgt_energy
    # A band holds target energy when it is above rounding level (1e-20 of the total: amplitudes of 1e-10).
    holds = tgt_sum > 1e-20 * tgt_sum.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(holds, np.sqrt(res_sum / np.where(holds, tgt_sum, 1.0)), np.nan)
