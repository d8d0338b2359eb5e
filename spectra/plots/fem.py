"""Figures of the frequency-space PDE: spectra over xi, per-frequency decay curves, 2-D maps.

Frequencies xi in cycles per unit length; t is theory time, learning rate × steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from spectra._validation import fail
from spectra.fem.solution import PDESolution
from spectra.plots.style import new_figure

XI_LABEL = "frequency ξ (cycles per unit length)"
T_LABEL = "t (learning rate × steps)"


def _time_indices(solution: PDESolution, times: Sequence[float] | None, most: int) -> np.ndarray:
    """Indices of the solution's times nearest to ``times`` (default: up to ``most`` spread evenly)."""
    if times is None:
        return np.unique(np.linspace(0, len(solution.times) - 1, min(most, len(solution.times))).round().astype(int))
    return np.unique([int(np.argmin(np.abs(solution.times - t))) for t in times])


def _line(solution: PDESolution, axis: int, through: Sequence[float] | None, points: int) -> tuple[np.ndarray, str]:
    """Frequencies along ``axis`` across the window (through ``through`` in 2-D) and an axis label."""
    lo, hi = np.asarray(solution.grid.window.lo), np.asarray(solution.grid.window.hi)
    base = np.clip(np.zeros(solution.dim) if through is None else np.asarray(through, dtype=float), lo, hi)
    xi = np.repeat(base[None, :], points, axis=0)
    xi[:, axis] = np.linspace(lo[axis], hi[axis], points)
    if solution.dim == 1:
        return xi, XI_LABEL
    fixed = ", ".join(f"ξ{j + 1} = {base[j]:.3g}" for j in range(solution.dim) if j != axis)
    return xi, f"ξ{axis + 1} (cycles per unit length), at {fixed}"


def plot_pde_spectra(
    solution: PDESolution,
    times: Sequence[float] | None = None,
    *,
    axis: int = 0,
    through: Sequence[float] | None = None,
    points: int = 1000,
) -> Figure:
    """``|u_hat(xi, t)|`` over xi at several times (log scale), with rho_w on a second axis.

    In 2-D the curves run along ``axis`` through the point ``through`` (default: the origin, clipped
    to the window).
    """
    if not 0 <= axis < solution.dim:
        fail("axis", f"an axis of the {solution.dim}-D window", axis)
    xi, label = _line(solution, axis, through, points)
    values = np.abs(solution.evaluate(xi))
    fig, ax = new_figure(width=7.0)
    chosen = _time_indices(solution, times, 6)
    colours = colormaps["viridis"](np.linspace(0, 0.9, len(chosen)))
    for colour, index in zip(colours, chosen, strict=True):
        ax.plot(xi[:, axis], values[index], color=colour, lw=1.4, label=f"t = {solution.times[index]:.3g}")
    positive = values[chosen][values[chosen] > 0]
    if positive.size:
        ax.set_ylim(max(positive.min(), positive.max() * 1e-8), positive.max() * 2)
    ax.set(yscale="log", xlabel=label, ylabel="|û(ξ, t)|")
    density = ax.twinx()
    density.plot(xi[:, axis], solution.density_at(xi), color="grey", ls="--", lw=1.0, label="ρ_w")
    density.set_ylabel("ρ_w(ξ) (density, grey dashed)")
    density.grid(False)
    ax.legend(loc="upper right", fontsize="small")
    return fig


def plot_pde_decay(
    solutions: PDESolution | Mapping[str, PDESolution],
    frequencies: np.ndarray | Sequence[float],
    *,
    lazy: bool = True,
) -> Figure:
    """Per-frequency decay ``|u_hat(xi*, t)|`` / ``|u_hat(xi*, 0)|`` against t (log scale).

    One colour per frequency xi*, one line style per solution (e.g. Gaussian against uniform rho_w);
    with ``lazy``, the lazy limit exp(-c rho_w(xi*) t) of the first solution as thin dotted lines.
    """
    if isinstance(solutions, PDESolution):
        solutions = {"PDE": solutions}
    first = next(iter(solutions.values()))
    xi = np.asarray(frequencies, dtype=float).reshape(-1, first.dim)
    fig, ax = new_figure(width=7.0)
    colours = colormaps["tab10"](np.arange(len(xi)) % 10)
    styles = ["-", "--", "-.", ":"]
    for k, (name, solution) in enumerate(solutions.items()):
        decay = solution.decay(xi)
        for j, colour in enumerate(colours):
            where = ", ".join(f"{v:.3g}" for v in xi[j])
            ax.plot(solution.times, decay[:, j], color=colour, ls=styles[k % 4], label=f"{name}, ξ = {where}")
    if lazy:
        t = np.linspace(0, first.times[-1], 200)
        rates = first.c * first.density_at(xi)
        for j, colour in enumerate(colours):
            ax.plot(t, np.exp(-rates[j] * t), color=colour, ls=":", lw=0.9, alpha=0.7)
        ax.plot([], [], color="grey", ls=":", lw=0.9, label=f"lazy limit exp(-c ρ_w t), {next(iter(solutions))}")
    ax.set(yscale="log", xlabel=T_LABEL, ylabel="|û(ξ, t)| / |û(ξ, 0)|")
    ax.legend(loc="lower left", fontsize="small")
    return fig


def plot_pde_maps(solution: PDESolution, times: Sequence[float] | None = None) -> Figure:
    """Maps of ``|u_hat(xi, t)|`` over a 2-D window at several times, on one logarithmic colour scale."""
    if solution.dim != 2:
        fail("solution", "a solution on a 2-D window", f"a {solution.dim}-D one")
    chosen = _time_indices(solution, times, 4)
    fig, axes = new_figure(ncols=len(chosen), width=4.0, height=3.6, squeeze=False)
    axes_1d, axes_2d = solution.grid.axes()
    magnitudes = np.abs(solution.values[chosen]).reshape(len(chosen), *solution.grid.shape)
    top = magnitudes.max()
    norm = LogNorm(vmin=max(top * 1e-6, magnitudes[magnitudes > 0].min(initial=top)), vmax=top) if top > 0 else None
    image = None
    for ax, index, magnitude in zip(axes[0], chosen, magnitudes, strict=True):
        image = ax.pcolormesh(axes_1d, axes_2d, magnitude.T, norm=norm, cmap="magma", shading="auto")
        ax.set(
            title=f"t = {solution.times[index]:.3g}",
            xlabel="ξ1 (cycles per unit length)",
            ylabel="ξ2 (cycles per unit length)",
            aspect="equal",
        )
        ax.grid(False)
    fig.colorbar(image, ax=axes[0].tolist(), label="|û(ξ, t)|")
    return fig
