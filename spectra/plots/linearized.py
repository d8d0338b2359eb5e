"""Figures of (b), linearised NTK dynamics against training (:mod:`spectra.validate.linearized`).

- :func:`plot_linearized_errors`: per-frequency error over time, observed (solid) and predicted (dashed);
- :func:`plot_linearized_drift`: kernel drift over time with the breakdown times marked;
- :func:`plot_linearized_spectra`: eigenvalue of Θ_0 against its eigenvector's frequency, per model;
- :func:`plot_linearized_widths`: the width study (agreement and drift against width).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from spectra._validation import _Described, check_choice, fail
from spectra.plots.style import new_figure
from spectra.validate.linearized import LinearizedComparison

TIME_LABEL = "time t = lr × steps (units of t)"
FREQUENCY_LABEL = "frequency k (cycles per unit length)"


def _check(result: LinearizedComparison, models: Sequence[str] | None) -> list[str]:
    if not isinstance(result, LinearizedComparison):
        fail("result", "a LinearizedComparison", _Described(type(result).__name__), TypeError)
    names = list(result.models) if models is None else list(models)
    if not names:
        fail("models", "at least one model name", models)
    return [check_choice("models", name, result.models) for name in names]


def _colours(result: LinearizedComparison) -> list[tuple[float, ...]]:
    cmap = mpl.colormaps["viridis"]
    k = len(result.frequency)
    return [cmap(0.9 * i / max(1, k - 1)) for i in range(k)]


def _model_axes(count: int) -> tuple[Figure, list[Axes]]:
    fig, axes = new_figure(count, width=4.6, height=3.8)
    return fig, list(np.atleast_1d(axes))


def plot_linearized_errors(result: LinearizedComparison, models: Sequence[str] | None = None) -> Figure:
    """One panel per model: Xu's relative error Δ(k, t) = ``|r̂(k, t)|`` / ``|ŷ(k)|`` of the trained network
    (solid) and of its linearisation (dashed), one colour per target frequency; a cross marks the
    breakdown time of each frequency (the first record where the two differ by more than the tolerance).
    Panel titles: the residual gap max_t ‖r_obs − r_pred‖ / ‖y‖ (lower = closer)."""
    names = _check(result, models)
    fig, axes = _model_axes(len(names))
    colours = _colours(result)
    floor = np.finfo(float).tiny
    for ax, name in zip(axes, names, strict=True):
        time = result.time[name]
        for j, colour in enumerate(colours):
            observed = np.maximum(result.observed_error[name][:, j], floor)
            ax.plot(time, observed, color=colour, lw=1.6)
            ax.plot(time, np.maximum(result.predicted_error[name][:, j], floor), color=colour, lw=1.4, ls="--")
            t = result.breakdown_time[name][j]
            if np.isfinite(t):
                ax.plot(t, np.interp(t, time, observed), marker="x", ms=9, mew=2, color=colour)
        ax.set_yscale("log")
        ax.set(xlabel=TIME_LABEL, ylabel="relative error Δ(k) = |r̂(k)| / |ŷ(k)|")
        ax.set_title(f"{name}: residual gap {result.agreement(name):.3g}", fontsize="medium")
    handles = [
        Line2D([], [], color=c, lw=1.6, label=f"k = {k:g}") for c, k in zip(colours, result.frequency, strict=True)
    ]
    handles += [
        Line2D([], [], color="0.3", lw=1.6, label="training (observed)"),
        Line2D([], [], color="0.3", lw=1.4, ls="--", label="linearised (predicted)"),
        Line2D([], [], color="0.3", lw=0, marker="x", mew=2, label="breakdown"),
    ]
    fig.legend(handles=handles, fontsize="small", loc="outside right upper")  # outside: never over a curve
    return fig


def plot_linearized_drift(result: LinearizedComparison, models: Sequence[str] | None = None) -> Figure:
    """One panel per model: kernel drift ‖Θ_t - Θ_0‖_F / ‖Θ_0‖_F against time (log scale, t > 0), with a
    vertical line at the breakdown time of each frequency (colours as in :func:`plot_linearized_errors`)."""
    names = _check(result, models)
    fig, axes = _model_axes(len(names))
    colours = _colours(result)
    for ax, name in zip(axes, names, strict=True):
        time, drift = result.time[name], result.drift[name]
        later = drift > 0  # the drift is 0 at t = 0 by definition
        ax.plot(time[later], drift[later], color="0.15", lw=1.8, marker=".", ms=3, label="kernel drift")
        for j, colour in enumerate(colours):
            t = result.breakdown_time[name][j]
            if np.isfinite(t):
                label = f"breakdown k = {result.frequency[j]:g} (drift {result.breakdown_drift[name][j]:.2g})"
                ax.axvline(t, color=colour, ls=":", lw=1.6, label=label)
        ax.set_yscale("log")
        ax.set(xlabel=TIME_LABEL, ylabel="kernel drift ‖Θ_t - Θ_0‖_F / ‖Θ_0‖_F")
        ax.set_title(name, fontsize="medium")
        ax.legend(fontsize="x-small", loc="best")
    return fig


def plot_linearized_spectra(result: LinearizedComparison, models: Sequence[str] | None = None) -> Figure:
    """Eigenvalues of each model's Θ_0 against their eigenvector's dominant frequency, as the decay rate
    per gradient-descent step lr·λ/N that the linearised dynamics give the mode (so models of different
    kernel scales share one axis); dotted lines at the target frequencies. Spectral bias in the kernel:
    the rate falls with frequency."""
    names = _check(result, models)
    fig, ax = new_figure(width=6.4, height=4.2)
    top = 0.0
    for index, name in enumerate(names):
        values = result.eigenvalues[name]
        rate = result.lr[name] * values / len(values)
        positive = rate > 0
        ax.scatter(result.dominant_frequency[name][positive], rate[positive], s=16, color=f"C{index}", label=name)
        top = max(top, float(rate.max()))
    for index, k in enumerate(result.frequency):
        ax.axvline(k, color="0.5", ls=":", lw=1.0, label="target frequencies" if index == 0 else None)
    ax.set_yscale("log")
    ax.set_ylim(bottom=top * 1e-8, top=top * 3)  # eigenvalues at rounding level would squash the picture
    ax.set(
        xlabel="eigenvector dominant " + FREQUENCY_LABEL,
        ylabel="decay rate per step lr·λ/N of Θ_0",
        title="initial NTK: decay rate of each mode against its frequency",
    )
    ax.legend(fontsize="small", loc="best")
    return fig


def plot_linearized_widths(result: LinearizedComparison) -> Figure:
    """The width study: agreement max_t ‖r_obs - r_pred‖ / ‖y‖ (left) and final kernel drift (right)
    against width, log-log, one line per model, with the fitted slopes in the legend."""
    _check(result, None)
    if len(result.widths) == 0 or not result.width_agreement:
        fail("result", "a comparison with a width study (settings.widths)", _Described("no width study"))
    slopes = result.width_slopes()
    fig, (ax_gap, ax_drift) = new_figure(2, width=4.8, height=3.8)
    for index, name in enumerate(result.width_agreement):
        style = {"color": f"C{index}", "marker": "o", "lw": 1.6}
        ax_gap.plot(
            result.widths, result.width_agreement[name], **style, label=f"{name}: slope {slopes[name]['agreement']:.2f}"
        )
        ax_drift.plot(
            result.widths, result.width_drift[name], **style, label=f"{name}: slope {slopes[name]['final_drift']:.2f}"
        )
    ax_gap.set(xscale="log", yscale="log", xlabel="hidden width", ylabel="agreement max_t ‖r_obs - r_pred‖ / ‖y‖")
    ax_drift.set(xscale="log", yscale="log", xlabel="hidden width", ylabel="final kernel drift (relative)")
    ax_gap.legend(fontsize="small")
    ax_drift.legend(fontsize="small")
    return fig
