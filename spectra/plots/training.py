"""Figures of training runs: fits on the probe grid and loss / error against step."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from spectra.plots.style import new_figure
from spectra.training import History


def plot_fits(histories: Mapping[str, History], *, step: int | None = None) -> Figure:
    """Target and each model's prediction on the probe points (1-D inputs), at ``step`` (default: last)."""
    fig, ax = new_figure(width=7.0)
    first = next(iter(histories.values()))
    order = np.argsort(first.probe[:, 0])
    if first.probe_target is not None:
        ax.plot(first.probe[order, 0], first.probe_target[order, 0], color="black", lw=2.0, label="target")
    for name, history in histories.items():
        index = -1 if step is None else int(np.searchsorted(history.steps, step))
        ax.plot(
            history.probe[order, 0],
            history.predictions[index][order, 0],
            lw=1.2,
            label=f"{name} (step {history.steps[index]})",
        )
    ax.set(xlabel="x", ylabel="f(x)", title="fits on the probe points")
    ax.legend(loc="best", fontsize="small")
    return fig


def plot_training_curves(histories: Mapping[str, History]) -> Figure:
    """Mean loss (1/2N)Σ(f - y)² and relative L2 error on the probe points against step, log scale."""
    fig, (ax_loss, ax_error) = new_figure(ncols=2)
    for name, history in histories.items():
        ax_loss.plot(history.steps, history.loss, label=name)
        if history.probe_target is not None:
            ax_error.plot(history.steps, history.relative_l2_error(), label=name)
    ax_loss.set(yscale="log", xlabel="step", ylabel="training loss (1/2N)Σ(f-y)²", title="training loss")
    ax_error.set(yscale="log", xlabel="step", ylabel="relative L2 error on probe", title="error on the probe points")
    ax_loss.legend(fontsize="small", loc="best")
    return fig
