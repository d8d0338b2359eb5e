"""Figures of the input-space partition: breakpoint density along a segment, and 2-D region maps."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from matplotlib.collections import PolyCollection
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from spectra._validation import check_choice, check_positive_int, fail
from spectra.partition import Breakpoints, Regions2D
from spectra.plots.style import new_figure

REGION_COLORS = ("region", "gradient_norm")


def _histogram_density(t: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin divided by the bin length: events per unit length."""
    return np.histogram(t, bins=edges)[0] / np.diff(edges)


def plot_breakpoint_density(
    breakpoints: Breakpoints,
    *,
    data: torch.Tensor | np.ndarray | None = None,
    local_frequency: Callable[[np.ndarray], np.ndarray] | np.ndarray | None = None,
    bins: int = 40,
) -> Figure:
    """Breakpoint density along the segment against the data density and the target's local frequency.

    Left: function breakpoints (kinks of f) and activation breakpoints per unit length in ``bins``
    equal bins of the segment; with ``data`` (samples (n, d), projected on the segment), the data
    density rescaled to the same total number as the kinks, so the two shapes compare directly.
    Right (with ``local_frequency``): kinks per unit length in each bin against the target's local
    frequency there, in cycles per unit length, with the line of 2 kinks per cycle (the fewest with
    which a piecewise-linear function follows an oscillation). ``local_frequency`` is a function of the
    input points (m, d) or an array of values at the ``bins`` bin centres; e.g. for the chirp
    sin(2π(a x + b x²)) it is ``lambda x: a + 2 * b * x[:, 0]``.
    """
    if not isinstance(breakpoints, Breakpoints):
        given = type(breakpoints).__name__
        fail("breakpoints", "a Breakpoints result (spectra.partition.breakpoints_1d)", given, TypeError)
    bins = check_positive_int("bins", bins)
    edges = np.linspace(breakpoints.start, breakpoints.stop, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    kinks = _histogram_density(breakpoints.function_t, edges)
    fig, axes = new_figure(ncols=1 if local_frequency is None else 2)
    ax = axes if local_frequency is None else axes[0]
    numerical = "" if breakpoints.exact else " (numerical)"
    ax.stairs(kinks, edges, lw=2, label=f"kinks of f{numerical}, {breakpoints.n_breakpoints} in all")
    ax.stairs(
        _histogram_density(np.unique(breakpoints.activation_t), edges),
        edges,
        ls="--",
        label="activation breakpoints",
    )
    if data is not None:
        x = np.asarray(data.detach().cpu() if isinstance(data, torch.Tensor) else data, dtype=np.float64)
        x = x.reshape(len(x), -1)
        if x.shape[1] != len(breakpoints.direction):
            fail("data", f"points with {len(breakpoints.direction)} coordinate(s)", x.shape)
        t = (x - breakpoints.origin) @ breakpoints.direction
        counts = np.histogram(t, bins=edges)[0]
        scale = breakpoints.n_breakpoints / max(counts.sum(), 1)
        ax.stairs(counts * scale / np.diff(edges), edges, color="gray", label="data (scaled to the same total)")
    ax.set(
        xlabel="position t along the segment (input units)",
        ylabel="breakpoints per unit length",
        title="breakpoint density along the segment",
    )
    ax.legend(fontsize="small", loc="best")
    if local_frequency is not None:
        frequency = (
            np.asarray(local_frequency(breakpoints.positions(centres)), dtype=float).reshape(-1)
            if callable(local_frequency)
            else np.asarray(local_frequency, dtype=float).reshape(-1)
        )
        if frequency.shape != centres.shape:
            fail("local_frequency", f"{bins} values, one per bin centre", frequency.shape)
        right = axes[1]
        right.scatter(frequency, kinks, s=18, label="bins")
        line = np.linspace(0.0, max(float(frequency.max()), 1e-12), 50)
        right.plot(line, 2 * line, color="black", lw=1, label="2 kinks per cycle")
        right.set(xlabel="local frequency of the target (cycles per unit length)", ylabel="kinks per unit length")
        right.legend(fontsize="small")
    return fig


def plot_regions_2d(regions: Regions2D, *, color: str = "region", seed: int = 0) -> Figure:
    """Map of the linear regions, each polygon filled by region (shuffled palette) or by ``|∇f|`` (log colour scale)."""
    if not isinstance(regions, Regions2D):
        fail("regions", "a Regions2D result (spectra.partition.regions_2d)", type(regions).__name__, TypeError)
    check_choice("color", color, REGION_COLORS)
    fig, ax = new_figure(width=5.5, height=5.0)
    polygons = [regions.polygon(k) for k in range(regions.count)]
    if color == "region":
        # Shuffled qualitative colours, so that neighbouring regions rarely share one.
        shades = np.random.default_rng(seed).random(regions.count)
        collection = PolyCollection(polygons, array=shades, cmap="tab20", edgecolors="white", linewidths=0.2)
    else:
        norm = regions.gradient_norm
        positive = norm[norm > 0]
        scale = LogNorm(positive.min(), positive.max()) if len(positive) else None
        collection = PolyCollection(
            polygons, array=np.maximum(norm, positive.min() if len(positive) else 1.0), cmap="viridis", norm=scale
        )
        fig.colorbar(collection, ax=ax, label="|∇f| on the region (output units per input unit)")
    ax.add_collection(collection)
    ax.set(
        xlim=(regions.lo[0], regions.hi[0]),
        ylim=(regions.lo[1], regions.hi[1]),
        xlabel="x0 (input units)",
        ylabel="x1 (input units)",
        title=f"{regions.count} linear regions (exact)",
        aspect="equal",
    )
    ax.grid(False)
    return fig


def plot_gradient_confusion(cosines: dict[str, list[np.ndarray]], *, pairs: str, title: str) -> Figure:
    """Histograms of the signed gradient confusion cos(∇θ ℓ_i, ∇θ ℓ_j) over pairs of inputs, one line per variant.

    Parameters
    ----------
    cosines
        For each variant (the legend label), one array of cosines per run (seed, image); they are pooled.
    pairs
        Which pairs the cosines are of, for the x label (e.g. "local (window) pairs").
    title
        The axes title.

    Returns
    -------
    Figure
        Probability densities on 40 bins of [-1, 1]: a peak at +1 means the pairs' losses pull the
        parameters the same way (one region), near 0 that their gradients are unrelated.
    """
    fig, ax = new_figure(width=6.0)
    bins = np.linspace(-1.0, 1.0, 41)
    for variant, values in cosines.items():
        ax.hist(np.concatenate(values), bins=bins, density=True, histtype="step", lw=1.8, label=variant)
    ax.set(
        xlabel=f"gradient confusion cos(∇θ ℓ_i, ∇θ ℓ_j), {pairs}, signed (no unit)",
        ylabel="probability density (1 / unit cos)",
        title=title,
    )
    ax.legend(fontsize="small")
    return fig
