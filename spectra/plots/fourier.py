"""Figures of Fourier-domain error dynamics: heat maps and curves per frequency, spectra on a grid.

The per-frequency functions take arrays, so they serve the recorder's
:class:`~spectra.fourier.recorder.ErrorDynamics` (``steps``, ``frequency``, ``relative_error``, ...)
as well as Rahaman's normalised amplitudes (:func:`~spectra.fourier.errors.target_amplitudes`):

    d = error_dynamics(history)
    plot_frequency_heatmap(d.steps, d.frequency, d.relative_error)
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib as mpl
import numpy as np
import torch
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure

from spectra._validation import _Described, describe, fail
from spectra.fourier.spectrum import radial_average, spectrum
from spectra.plots.style import new_figure

FREQUENCY_LABEL = "frequency k (cycles per unit length)"


def _numpy(values) -> np.ndarray:
    return values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)


def _series(steps, frequencies, values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    steps, frequencies, values = _numpy(steps).astype(float), _numpy(frequencies), _numpy(values).astype(float)
    frequencies = frequencies.reshape(len(frequencies), -1) if frequencies.ndim else frequencies.reshape(1, 1)
    if values.shape != (len(steps), len(frequencies)):
        expected = f"shape (steps, frequencies) = ({len(steps)}, {len(frequencies)})"
        fail("values", expected, _Described(describe(values)))
    return steps, frequencies, values


def _labels(frequencies: np.ndarray) -> list[str]:
    if frequencies.shape[1] == 1:
        return [f"{k:.4g}" for k in frequencies[:, 0]]
    return ["(" + ", ".join(f"{c:.3g}" for c in k) + ")" for k in frequencies]


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around increasing centres (midpoints, ends mirrored) for pcolormesh."""
    if len(centres) == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    middle = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - middle[0]], middle, [2 * centres[-1] - middle[-1]]])


def _norm(values: np.ndarray, log: bool, vmin: float | None, vmax: float | None) -> Normalize:
    if not log:
        return Normalize(
            vmin=np.nanmin(values) if vmin is None else vmin, vmax=np.nanmax(values) if vmax is None else vmax
        )
    positive = values[values > 0]
    top = vmax if vmax is not None else (positive.max() if positive.size else 1.0)
    bottom = vmin if vmin is not None else max(positive.min() if positive.size else top * 1e-6, top * 1e-8)
    return LogNorm(vmin=bottom, vmax=top, clip=True)


def plot_frequency_heatmap(
    steps,
    frequencies,
    values,
    *,
    label: str = "relative error Δ_F(k)",
    log: bool = True,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "viridis",
    title: str | None = None,
) -> Figure:
    """Heat map of a per-frequency quantity: training step (x) × frequency (y), ``values`` (steps, K).

    1-D frequencies are placed at their values; frequency vectors (K, d) one row each, labelled.
    ``log``: logarithmic colour scale (for errors; use ``log=False, vmin=0, vmax=1`` for amplitudes).
    ``title``: the axes' title (default: ``label`` during training).
    """
    steps, frequencies, values = _series(steps, frequencies, values)
    fig, ax = new_figure(width=7.0, height=4.2)
    one_d = frequencies.shape[1] == 1 and np.all(np.diff(frequencies[:, 0]) > 0)
    rows = frequencies[:, 0] if one_d else np.arange(len(frequencies), dtype=float)
    mesh = ax.pcolormesh(
        _edges(steps), _edges(rows), values.T, norm=_norm(values, log, vmin, vmax), cmap=cmap, shading="flat"
    )
    if not one_d:
        ax.set_yticks(rows, _labels(frequencies), fontsize="small")
    ax.set_xlabel("training step")
    ax.set_ylabel(FREQUENCY_LABEL if one_d else "frequency vector k (cycles per unit length)")
    ax.set_title(f"{label} during training" if title is None else title)
    fig.colorbar(mesh, ax=ax, label=label)
    return fig


def plot_frequency_curves(
    steps, frequencies, values, *, label: str = "relative error Δ_F(k)", log: bool = True
) -> Figure:
    """One curve per frequency of ``values`` (steps, K) against the training step, coloured by ``|k|``."""
    steps, frequencies, values = _series(steps, frequencies, values)
    fig, ax = new_figure(width=7.0, height=4.2)
    magnitude = np.linalg.norm(frequencies, axis=1)
    norm = Normalize(vmin=magnitude.min(), vmax=max(magnitude.max(), magnitude.min() + 1e-12))
    cmap = mpl.colormaps["viridis"]
    for column, (name, k) in enumerate(zip(_labels(frequencies), magnitude, strict=True)):
        ax.plot(steps, values[:, column], color=cmap(norm(k)), lw=1.4, label=f"k = {name}")
    if log and np.all(values > 0):
        ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel(label)
    if len(frequencies) <= 12:
        ax.legend(fontsize="small", ncols=2, loc="best")
    else:
        fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="|k| (cycles per unit length)")
    return fig


def plot_spectra(
    values: Mapping[str, np.ndarray | torch.Tensor],
    grid: np.ndarray | torch.Tensor,
    *,
    residual: bool = False,
    window: str | None = None,
    log: bool = True,
) -> Figure:
    """Single-sided amplitude spectra of named value sets on a uniform ``grid`` (n, d), on one axis.

    In 1-D against the frequency, in d > 1 radially averaged against ``|k|``. ``residual=True`` adds
    the spectrum of ``values["prediction"] - values["target"]`` (both keys needed).
    """
    curves = {name: _numpy(v).reshape(-1) for name, v in values.items()}
    if residual:
        if not {"prediction", "target"} <= set(curves):
            fail("values", "keys 'prediction' and 'target' for residual=True", sorted(curves))
        curves["residual"] = curves["prediction"] - curves["target"]
    if not curves:
        fail("values", "at least one named set of values", values)
    fig, ax = new_figure(width=7.0, height=4.2)
    top, one_d = 0.0, True
    for name, v in curves.items():
        spec = spectrum(v, grid, window=window)
        one_d = spec.dim == 1
        if one_d:
            k, amplitude = spec.frequency[:, 0], spec.amplitude
        else:
            radial = radial_average(spec)
            k, amplitude = radial.radius, radial.amplitude
        ax.plot(k, amplitude, lw=1.3, marker=".", ms=3, label=name)
        top = max(top, float(amplitude.max()))
    if log and top > 0:
        ax.set_yscale("log")
        ax.set_ylim(bottom=top * 1e-7)  # rounding-level bins would otherwise squash the picture
    ax.set_xlabel(FREQUENCY_LABEL if one_d else "|k|, radial average (cycles per unit length)")
    ax.set_ylabel("single-sided amplitude" + ("" if one_d else " (shell mean)"))
    ax.legend(fontsize="small")
    return fig
