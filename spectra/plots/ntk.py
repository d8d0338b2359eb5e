"""Figures of NTK analyses: the eigenvalue spectrum, eigenvalue against eigenvector frequency, kernel drift."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from spectra._validation import fail
from spectra.ntk.eigen import NTKSpectrum
from spectra.plots.style import new_figure
from spectra.training import History

Spectra = NTKSpectrum | Mapping[str, NTKSpectrum]


def _named(spectra: Spectra) -> dict[str, NTKSpectrum]:
    named = {"NTK": spectra} if isinstance(spectra, NTKSpectrum) else dict(spectra)
    if not named or not all(isinstance(s, NTKSpectrum) for s in named.values()):
        fail(
            "spectra",
            "an NTKSpectrum or a non-empty mapping of names to NTKSpectrum",
            type(spectra).__name__,
            TypeError,
        )
    return named


def plot_ntk_spectrum(spectra: Spectra) -> Figure:
    """Eigenvalues λ_i against their rank i (1 = largest), log-log; non-positive eigenvalues are left out."""
    fig, ax = new_figure()
    for name, spectrum in _named(spectra).items():
        rank = np.arange(1, len(spectrum.eigenvalues) + 1)
        positive = spectrum.eigenvalues > 0
        ax.plot(rank[positive], spectrum.eigenvalues[positive], marker=".", lw=1.0, label=name)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="rank i (1 = largest)",
        ylabel="eigenvalue λ_i of Θ (output units²)",
        title="NTK eigenvalues by rank",
    )
    ax.legend(fontsize="small", loc="best")
    return fig


def plot_eigenvalue_frequency(spectra: Spectra) -> Figure:
    """Eigenvalue against each eigenvector's dominant frequency (filled) and spectral centroid (open):
    the frequency bias as the kernel sees it (large eigenvalues, learned first, at low frequencies)."""
    named = _named(spectra)
    missing = [name for name, s in named.items() if s.dominant_frequency is None]
    if missing:
        fail("spectra", "spectra computed on a uniform grid (with eigenvector frequencies)", missing)
    fig, ax = new_figure(width=7.5)  # room for the legend beside the axes
    for index, (name, spectrum) in enumerate(named.items()):
        color = f"C{index}"
        positive = spectrum.eigenvalues > 0
        values = spectrum.eigenvalues[positive]
        ax.scatter(spectrum.dominant_frequency[positive], values, s=14, color=color, label=f"{name}: dominant")
        ax.scatter(
            spectrum.spectral_centroid[positive],
            values,
            s=14,
            facecolors="none",
            edgecolors=color,
            label=f"{name}: centroid",
        )
    ax.set(
        yscale="log",
        xlabel="eigenvector frequency ξ (cycles per unit length)",
        ylabel="eigenvalue λ of Θ (output units²)",
        title="NTK eigenvalue against eigenvector frequency",
    )
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))  # beside the axes: points fill them
    return fig


def plot_kernel_drift(histories: History | Mapping[str, History], recorder: str = "ntk") -> Figure:
    """Kernel drift ‖Θ_t - Θ_0‖_F/‖Θ_0‖_F (left) and the top eigenvalues (right) against step,
    from the records of an :class:`~spectra.ntk.NTKRecorder` named ``recorder``."""
    named = {"run": histories} if isinstance(histories, History) else dict(histories)
    key = f"{recorder}/drift"
    missing = [name for name, h in named.items() if key not in h.records]
    if not named or missing:
        fail("histories", f"histories recorded with an NTKRecorder named {recorder!r} (records {key!r})", missing)
    fig, (ax_drift, ax_values) = new_figure(ncols=2)
    for index, (name, history) in enumerate(named.items()):
        color = f"C{index}"
        ax_drift.plot(history.steps, history.records[key], color=color, marker=".", label=name)
        values = history.records[f"{recorder}/eigenvalues"][:, :5]
        for k in range(values.shape[1]):
            ax_values.plot(
                history.steps,
                values[:, k],
                color=color,
                alpha=1.0 - 0.15 * k,
                label=f"{name}: λ_1..λ_{values.shape[1]}" if k == 0 else None,
            )
    ax_drift.set(xlabel="step", ylabel="kernel drift ‖Θ_t - Θ_0‖_F / ‖Θ_0‖_F (relative)")
    ax_values.set(yscale="log", xlabel="step", ylabel="top eigenvalues of Θ_t (output units²)")
    ax_drift.legend(fontsize="small")
    ax_values.legend(fontsize="small")
    return fig
