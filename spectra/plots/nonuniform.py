"""Figures of the general frequency equation against training on non-uniform data (1-D).

v_hat(xi, t) = (1/N) Σ_k u(x_k, t) exp(-2πi xi x_k), the transform of the residual against the data measure;
frequencies xi in cycles per unit length, t = learning rate × steps (:mod:`spectra.validate.nonuniform`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from spectra._validation import fail
from spectra.plots.fem import T_LABEL, XI_LABEL
from spectra.plots.style import new_figure
from spectra.validate.nonuniform import COMPARISONS, NonuniformComparison

X_LABEL = "x (input, units of length)"
SOURCES = (  # field, label, style
    ("v_network", "network (training)", {"color": "black", "lw": 2.0}),
    ("v_general", "general equation", {"color": "C0", "ls": "--", "lw": 1.6}),
    ("v_uniform", "uniform-data equation, c = 1/length", {"color": "C3", "ls": ":", "lw": 1.8}),
    ("v_best_uniform", "uniform-data equation, best c", {"color": "C2", "ls": "-.", "lw": 1.4}),
)


def _check(result: NonuniformComparison) -> None:
    if not isinstance(result, NonuniformComparison):
        fail("result", "a NonuniformComparison (spectra.validate.nonuniform)", type(result).__name__, TypeError)


def plot_nonuniform_spectra(result: NonuniformComparison, times: Sequence[float] | None = None) -> Figure:
    """``|v_hat(xi, t)|`` over xi ≥ 0 (it is even in xi) at up to four times: the network, the general equation and
    the uniform-data equation (c = 1/length and the best c), one panel per time, log scale; v_hat(·, 0) in grey.

    ``times``: the recorded times nearest to these (default: up to four positive times spread evenly).
    """
    _check(result)
    positive = np.flatnonzero(result.times > 0)
    if times is None:
        chosen = positive[np.unique(np.linspace(0, len(positive) - 1, min(4, len(positive))).round().astype(int))]
    else:
        chosen = np.unique([int(np.argmin(np.abs(result.times - t))) for t in times])
    half = result.xi >= 0
    xi = result.xi[half]
    fig, axes = new_figure(ncols=len(chosen), width=4.2, height=4.0, squeeze=False, sharey=True)
    initial = np.abs(result.v_network[0, half])
    floor = initial.max() * 1e-6
    for ax, index in zip(axes[0], chosen, strict=True):
        ax.plot(xi, initial, color="grey", lw=0.9, alpha=0.6, label="t = 0")
        for key, label, style in SOURCES:
            ax.plot(xi, np.maximum(np.abs(getattr(result, key)[index, half]), floor), label=label, **style)
        ax.set(yscale="log", xlabel=XI_LABEL, title=f"t = {result.times[index]:.3g}", ylim=(floor, initial.max() * 3))
    axes[0, 0].set_ylabel("|v̂(ξ, t)| (residual × data measure)")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=5, fontsize="small")
    return fig


def plot_nonuniform_gaps(result: NonuniformComparison) -> Figure:
    """Relative L2 gaps over t (log scale): the network against the general equation, the uniform-data equation
    (c = 1/length, best c) and the infinite-width kernel flow; the general equation against the kernel flow (its
    discretisation error); the kernel's gradient descent with the training's step against its flow (the step size)."""
    _check(result)
    later = result.times > 0
    t = result.times[later]
    fig, ax = new_figure(width=10.0, height=4.0)
    notes = {  # what each gap measures, and a style
        "gap_general": ("", "C0", "o"),
        "gap_uniform": (f" = {result.c_uniform:.3g}", "C3", "s"),
        "gap_best_uniform": (f" = {result.c_best:.3g}", "C2", "D"),
        "gap_network_kernel": (" (finite width and step)", "C7", "^"),
        "gap_kernel_general": (" (discretisation)", "C1", "x"),
        "gap_step": (" (step size)", "C5", "v"),
    }
    for name, key in COMPARISONS.items():
        note, colour, marker = notes[key]
        ax.plot(t, getattr(result, key)[later], color=colour, marker=marker, label=name + note)
    ax.set(
        yscale="log",
        xlabel=T_LABEL,
        ylabel="relative L2 gap ‖v̂_a − v̂_b‖ / ‖v̂(·, 0)‖",
        title="gaps between training, the equations and the kernel flow",
    )
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize="small")
    return fig


def plot_data_measure(result: NonuniformComparison) -> Figure:
    """Left: the data density p(x) with the training points (ticks) and the uniform density 1/length, and the
    target on a second axis. Right: ``|mu_hat(xi)|`` of the data measure against that of uniform data on the
    interval, ``|sin(2π ℓ xi) / (2π ℓ xi)|``, with rho_w on a second axis."""
    _check(result)
    fig, (left, right) = new_figure(ncols=2, width=5.2, height=3.8)
    left.plot(result.density_grid, result.density, color="C0", label="data density p(x)")
    left.axhline(result.c_uniform, color="C3", ls=":", label="uniform, 1/length")
    left.plot(result.x, np.zeros_like(result.x), "|", color="C0", ms=8, alpha=0.5, label=f"{len(result.x)} points")
    left.set(xlabel=X_LABEL, ylabel="density (points per unit length / N)", title="data density and target")
    target = left.twinx()
    target.plot(result.x, result.target, color="grey", lw=1.0, alpha=0.8)
    target.set_ylabel("target g(x) (grey)")
    target.grid(False)
    left.legend(loc="upper left", fontsize="x-small")
    half = result.xi >= 0
    xi = result.xi[half]
    ell = 1 / (2 * result.c_uniform)
    right.plot(xi, np.abs(result.mu_hat[half]), color="C0", label="|μ̂(ξ)|, the data")
    right.plot(xi, np.abs(np.sinc(2 * ell * xi)), color="C3", ls=":", label="|μ̂(ξ)|, uniform data on the interval")
    right.set(yscale="log", xlabel=XI_LABEL, ylabel="|μ̂(ξ)| (dimensionless)", title="the data measure's transform")
    right.legend(loc="upper right", fontsize="x-small")
    density = right.twinx()
    density.plot(xi, result.rho[half], color="grey", ls="--", lw=1.0)
    density.set_ylabel("ρ_w(ξ) (grey dashed)")
    density.grid(False)
    return fig
