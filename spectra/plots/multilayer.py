"""Figure of the multi-layer claim (:mod:`spectra.validate.multilayer`): FF(rho_w) -> MLP under two rho_w."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from spectra._validation import _Described, fail
from spectra.plots.style import new_figure
from spectra.validate.multilayer import MultilayerResult

TIME_LABEL = "time t = lr × steps (units of t)"
XI_LABEL = "frequency ξ (cycles per unit length)"
RATE_LABEL = "decay rate λ(ξ) (1 / units of t)"
TITLES = {"gaussian": "Gaussian ρ_w", "uniform": "uniform ρ_w"}
MARKERS = {"gaussian": "o", "uniform": "s"}


def _geometric_mean_curve(time: np.ndarray, error: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Geometric mean over seeds of curves error (S, R) recorded at times (S, R), on a shared time grid."""
    grid = np.linspace(0.0, time[:, -1].min(), 200)
    logs = [np.interp(grid, t, np.log(np.maximum(e, np.finfo(float).tiny))) for t, e in zip(time, error, strict=True)]
    return grid, np.exp(np.mean(logs, axis=0))


def plot_multilayer(result: MultilayerResult) -> Figure:
    """Per-frequency error curves under each rho_w side by side, and decay rate against frequency.

    Left panels: Xu's relative error ``|r_hat(ξ)|`` / ``|g_hat(ξ)|`` against t = lr × steps, one colour per
    target frequency, each seed faint and their geometric mean bold; the dashed line is the level
    that ends the rate fits. Right panel: fitted decay rates (filled markers, mean ± std over seeds)
    and the initial NTK's rates (open markers) against ξ, with rho_w(ξ) rescaled to the fitted rates
    (dotted; the two-layer lazy theory predicts rate = rho_w(ξ) up to the data density).
    """
    if not isinstance(result, MultilayerResult):
        fail("result", "a MultilayerResult", _Described(type(result).__name__), TypeError)
    fig, axes = new_figure(3, width=4.6, height=3.8)
    cmap = mpl.colormaps["viridis"]
    k = result.frequencies
    colours = [cmap(i / max(1, len(k) - 1)) for i in range(len(k))]
    ratio = result.ratio()
    low, high = f"{k[0]:g}", f"{k[-1]:g}"
    for d, name in enumerate(result.distributions):
        ax = axes[d]
        for j, colour in enumerate(colours):
            for s in range(len(result.seeds)):
                ax.plot(result.time[d, s], result.error[d, s, :, j], color=colour, lw=0.6, alpha=0.3)
            grid, mean = _geometric_mean_curve(result.time[d], result.error[d, :, :, j])
            ax.plot(grid, mean, color=colour, lw=1.8, label=f"ξ = {k[j]:g}")
        ax.axhline(
            result.settings["level"],
            color="0.4",
            ls="--",
            lw=0.8,
            label=f"rate fit ends at {result.settings['level']:g}",
        )
        ax.set_yscale("log")
        spread = f" ± {ratio[d].std(ddof=1):.2g}" if len(result.seeds) > 1 else ""
        ax.set_title(f"{TITLES.get(name, name)}: λ({low})/λ({high}) = {ratio[d].mean():.3g}{spread}", fontsize="medium")
        ax.set(xlabel=TIME_LABEL, ylabel="relative error |r̂(ξ)| / |ĝ(ξ)|")
    axes[0].legend(fontsize="small", loc="best")
    axes[1].sharey(axes[0])

    ax = axes[-1]
    densities = result.rho_w()
    xi = np.linspace(0.0, 1.15 * max(k[-1] * result.settings["band_margin"], k[-1]), 400)
    handles = []
    for d, name in enumerate(result.distributions):
        colour, marker, title = f"C{d}", MARKERS.get(name, "o"), TITLES.get(name, name)
        rate, kernel = result.rate[d], result.kernel_rate[d]
        trained = ax.errorbar(
            k, rate.mean(0), yerr=rate.std(0), color=colour, marker=marker, capsize=3, lw=1.2, label=f"{title}: trained"
        )
        (initial,) = ax.plot(
            k, kernel.mean(0), color=colour, marker=marker, mfc="none", ls="--", lw=0.8, label=f"{title}: initial NTK"
        )
        # Scale rho_w onto the fitted rates in the log (geometric) sense: only the shape is compared.
        positive = rate.mean(0) > 0
        scale = np.exp(np.mean(np.log(rate.mean(0)[positive]) - np.log(result.density[d][positive])))
        curve = scale * densities[name].density(xi)
        shown = curve > 0
        (density,) = ax.plot(xi[shown], curve[shown], color=colour, ls=":", lw=1.4, label=f"{title}(ξ), rescaled")
        handles += [trained, initial, density]
    ax.set_yscale("log")
    measured = np.concatenate([result.rate.mean(1).ravel(), result.kernel_rate.mean(1).ravel()])
    ax.set_ylim(bottom=0.3 * measured[measured > 0].min())  # rho_w's far tail would squash the markers
    ax.set(xlabel=XI_LABEL, ylabel=RATE_LABEL, title="rate against frequency")
    ax.legend(handles=handles, fontsize="x-small", loc="best")
    return fig
