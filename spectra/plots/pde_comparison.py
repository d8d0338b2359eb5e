"""Figures of the frequency PDE against training (:mod:`spectra.validate.pde`).

Frequencies xi in cycles per unit length; t is theory time, learning rate × steps. The network is drawn
dashed, the PDE solid, the infinite-width kernel flow dotted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from spectra._validation import fail
from spectra.plots.style import new_figure
from spectra.validate.pde import PDEComparison

XI_LABEL = "frequency ξ (cycles per unit length)"
T_LABEL = "t (learning rate × steps)"
GAP_LABEL = "gap ‖û_net − û_PDE‖₂ / ‖û(·, 0)‖₂"


def _time_indices(times: np.ndarray, chosen: Sequence[float] | None, most: int) -> np.ndarray:
    if chosen is None:
        return np.unique(np.linspace(0, len(times) - 1, min(most, len(times))).round().astype(int))
    return np.unique([int(np.argmin(np.abs(times - t))) for t in chosen])


def _seed_index(result: PDEComparison, case: str, seed: int | None) -> int:
    seeds = result.seeds[case]
    if seed is None:
        return 0
    hits = np.flatnonzero(seeds == seed)
    if len(hits) == 0:
        fail("seed", f"one of the seeds of case {case!r}: {seeds.tolist()}", seed)
    return int(hits[0])


def plot_pde_network_spectra(
    result: PDEComparison,
    case: str | None = None,
    times: Sequence[float] | None = None,
    *,
    width: int | None = None,
    seed: int | None = None,
) -> Figure:
    """``|u_hat(xi, t)|`` along the first frequency axis at several t: network dashed, PDE solid (log scale).

    ``case`` defaults to the reference case, ``width`` to its widest network, ``seed`` to its first seed;
    ``times`` to up to five recorded times.
    """
    case = result.resolve_case(case)
    w, s = result.width_index(case, width), _seed_index(result, case, seed)
    chosen = _time_indices(result.times[case], times, 5)
    line = result.line[case]
    fig, ax = new_figure(width=7.0)
    colours = colormaps["viridis"](np.linspace(0, 0.9, len(chosen)))
    for colour, r in zip(colours, chosen, strict=True):
        t = result.times[case][r]
        ax.plot(line, result.spectrum_pde[case][r], color=colour, lw=1.6, label=f"t = {t:.3g}")
        ax.plot(line, result.spectrum_network[case][w, s, r], color=colour, lw=1.3, ls="--")
    ax.plot([], [], color="grey", ls="-", label="PDE")
    ax.plot([], [], color="grey", ls="--", label=f"network, m = {result.widths[case][w]}")
    values = result.spectrum_pde[case][chosen]
    top = float(values.max())
    if top > 0:
        ax.set_ylim(top * 1e-5, top * 2)
    label = XI_LABEL if result.cases[case]["dim"] == 1 else "ξ1 (cycles per unit length), at ξ2 = 0"
    ax.set(yscale="log", xlabel=label, ylabel="|û(ξ, t)|", title=f"{case}: residual spectrum")
    ax.legend(loc="best", fontsize="small", ncols=2)
    return fig


def plot_pde_gap_over_time(result: PDEComparison, case: str | None = None, *, threshold: float | None = 0.05) -> Figure:
    """The gap network–PDE against t, one line per width (mean over seeds, min–max band), with the
    kernel flow–PDE gap (the continuum model's own error) dotted and an optional ``threshold`` line."""
    case = result.resolve_case(case)
    times, widths = result.times[case], result.widths[case]
    fig, ax = new_figure(width=7.0)
    colours = colormaps["plasma"](np.linspace(0, 0.85, len(widths)))
    shown = times > 0  # the gap at t = 0 is the quadrature error of the initial data only
    for colour, width, gaps in zip(colours, widths, result.gap[case], strict=True):
        ax.plot(times[shown], gaps.mean(axis=0)[shown], color=colour, marker="o", ms=3, label=f"network, m = {width}")
        if gaps.shape[0] > 1:
            ax.fill_between(times[shown], gaps.min(axis=0)[shown], gaps.max(axis=0)[shown], color=colour, alpha=0.2)
    ax.plot(times[shown], result.kernel_gap[case][shown], color="black", ls=":", label="kernel flow (m = ∞)")
    if threshold is not None:
        ax.axhline(threshold, color="grey", lw=0.9, ls="--", label=f"reference level {threshold:g}")
    ax.set(yscale="log", xlabel=T_LABEL, ylabel=GAP_LABEL, title=f"{case}: gap to the PDE")
    ax.legend(loc="best", fontsize="small")
    return fig


def plot_pde_gap_against_width(result: PDEComparison, case: str | None = None) -> Figure:
    """Worst gap over t against width m (log-log): each seed, the mean, and the fitted power law."""
    case = result.resolve_case(case)
    widths = result.widths[case].astype(float)
    worst = result.worst_gap(case)
    fit = result.width_fit(case)
    fig, ax = new_figure(width=6.0)
    each = np.repeat(widths, worst.shape[1])
    ax.plot(each, worst.ravel(), "o", color="tab:blue", alpha=0.45, ms=5, label=f"each seed ({worst.shape[1]})")
    ax.plot(widths, np.exp(np.log(worst).mean(axis=1)), "s", color="tab:blue", ms=7, label="geometric mean")
    m = np.geomspace(widths.min(), widths.max(), 50)
    ax.plot(
        m, np.exp(fit.intercept) * m**fit.slope, color="tab:red", label=f"fit: slope {fit.slope:.2f} ± {fit.stderr:.2f}"
    )
    anchor = np.exp(np.log(worst).mean())  # the m^(-1/2) guide through the data's centre
    centre = np.exp(np.log(widths).mean())
    ax.plot(m, anchor * (m / centre) ** -0.5, color="grey", ls="--", label="slope −1/2")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="width m (all neurons, doubled pairs included)",
        ylabel="max over t of the gap to the PDE",
        title=f"{case}: gap against width",
    )
    ax.set_xticks(widths, [f"{w:g}" for w in widths], minor=False)
    ax.set_xticks([], minor=True)
    ax.legend(loc="best", fontsize="small")
    return fig


def plot_pde_network_decay(result: PDEComparison, cases: Sequence[str] | None = None) -> Figure:
    """Per-frequency decay ``|u_hat(κ_k, t)|`` / ``|u_hat(κ_k, 0)|`` against t, one panel per case (default: the
    bias pair, Gaussian against uniform rho_w, or else the reference case); network dashed (mean over seeds,
    widest width), PDE solid."""
    cases = list((result.bias or [result.reference]) if cases is None else cases)
    for case in cases:
        result.resolve_case(case)
    fig, axes = new_figure(ncols=len(cases), width=5.0, squeeze=False, sharey=True)
    for ax, case in zip(axes[0], cases, strict=True):
        times = result.times[case]
        norms = np.linalg.norm(result.frequencies[case], axis=1)
        colours = colormaps["tab10"](np.arange(len(norms)) % 10)
        network = result.decay_network[case][-1].mean(axis=0)
        for k, colour in enumerate(colours):
            ax.plot(times, result.decay_pde[case][:, k], color=colour, lw=1.6, label=f"|ξ| = {norms[k]:.3g}, PDE")
            ax.plot(times, network[:, k], color=colour, lw=1.3, ls="--", label=f"|ξ| = {norms[k]:.3g}, network")
        ax.set(yscale="log", xlabel=T_LABEL, title=f"{case} (m = {result.widths[case][-1]})")
        ax.legend(loc="best", fontsize="small")
    axes[0][0].set_ylabel("|û(ξ, t)| / |û(ξ, 0)|")
    return fig
