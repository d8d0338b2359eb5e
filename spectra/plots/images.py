"""Figures of coordinate networks on images: fits, per-band error maps, eNTK eigenvectors and predictions.

Every function returns a matplotlib Figure. Frequencies are radial, ``|k|`` in cycles per unit length on [0, 1]².
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from spectra._validation import fail
from spectra.data.dynamics import ImageDynamics, NTKBandPrediction
from spectra.plots.style import new_figure

__all__ = ["plot_band_heatmap", "plot_band_prediction", "plot_eigenvectors", "plot_image_fits", "plot_ntk_bands"]


def _show(ax, image: np.ndarray, title: str) -> None:
    image = np.clip(np.asarray(image, dtype=float), 0.0, 1.0)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_title(title, fontsize="small")
    ax.set_axis_off()


def plot_image_fits(rows: Mapping[str, Mapping[str, np.ndarray]], *, titles: Mapping[str, str] | None = None) -> Figure:
    """A grid of images: one row per image, one column per entry (e.g. "target", then each model's prediction).

    Parameters
    ----------
    rows
        {row name: {column name: image (H, W) or (H, W, C) in [0, 1]}}; every row has the same columns.
    titles
        Optional {column name: text added to the column's title} (e.g. the test PSNR), keyed "row/column".
    """
    if not rows:
        fail("rows", "at least one row of images", rows)
    columns = list(next(iter(rows.values())))
    fig, axes = new_figure(ncols=len(columns), nrows=len(rows), width=2.0, height=2.1)
    axes = np.asarray(axes).reshape(len(rows), len(columns))
    for r, (row, images) in enumerate(rows.items()):
        for c, column in enumerate(columns):
            extra = (titles or {}).get(f"{row}/{column}", "")
            _show(axes[r, c], images[column], f"{row}: {column}{extra}" if c == 0 else f"{column}{extra}")
    return fig


def plot_band_heatmap(dynamics: Mapping[str, ImageDynamics], *, on: str = "image") -> Figure:
    """Relative error against radial band and training step, one panel per run (log colour scale).

    Parameters
    ----------
    dynamics
        {label: ImageDynamics}.
    on
        ``"image"``, ``"test"`` or ``"train"``: which of the per-band errors to show.
    """
    if not dynamics:
        fail("dynamics", "at least one ImageDynamics", dynamics)
    fig, axes = new_figure(ncols=len(dynamics), width=3.4, height=3.2)
    axes = np.atleast_1d(axes)
    image = None
    for ax, (label, dyn) in zip(axes, dynamics.items(), strict=True):
        errors = {"image": dyn.band_error, "test": dyn.test_band_error, "train": dyn.train_band_error}[on]
        data = np.ma.masked_invalid(np.clip(errors.T, 1e-3, 3.0))
        image = ax.pcolormesh(
            np.arange(len(dyn.steps) + 1) - 0.5,
            np.arange(len(dyn.edges)) - 0.5,
            data,
            norm=LogNorm(1e-3, 3.0),
            cmap="viridis",
            shading="flat",
        )
        ticks = np.linspace(0, len(dyn.steps) - 1, min(4, len(dyn.steps))).round().astype(int)
        ax.set_xticks(ticks, [str(dyn.steps[t]) for t in ticks], fontsize="x-small")
        ax.set_yticks(np.arange(len(dyn.edges) - 1), dyn.band_labels, fontsize="x-small")
        ax.set(xlabel="training step", title=label)
    axes[0].set_ylabel("radial band |k|\n(cycles per unit length)")
    fig.colorbar(image, ax=list(axes), label=f"relative error per band ({on})")
    return fig


def plot_ntk_bands(predictions: Mapping[str, NTKBandPrediction]) -> Figure:
    """eNTK eigenvalue against the radial frequency of its eigenvector, one colour per model."""
    if not predictions:
        fail("predictions", "at least one NTKBandPrediction", predictions)
    fig, ax = new_figure(width=6.0)
    for index, (label, prediction) in enumerate(predictions.items()):
        values = prediction.eigenvalues / prediction.eigenvalues[0]
        jitter = 0.08 * (index - len(predictions) / 2)
        ax.scatter(prediction.eigen_frequency + jitter, np.maximum(values, 1e-16), s=6, alpha=0.5, label=label)
    ax.set(
        yscale="log",
        xlabel="radial frequency of the eigenvector's peak |k| (cycles per unit length)",
        ylabel="eigenvalue / largest eigenvalue",
        title="eNTK at initialisation on the training pixels",
    )
    ax.legend(fontsize="x-small", markerscale=3)
    return fig


def plot_eigenvectors(predictions: Mapping[str, NTKBandPrediction], count: int = 6) -> Figure:
    """The top ``count`` eNTK eigenvectors as images, one row per model."""
    if not predictions:
        fail("predictions", "at least one NTKBandPrediction", predictions)
    count = min(count, *(len(p.eigenvectors) for p in predictions.values()))
    fig, axes = new_figure(ncols=count, nrows=len(predictions), width=1.6, height=1.7)
    axes = np.asarray(axes).reshape(len(predictions), count)
    for r, (label, prediction) in enumerate(predictions.items()):
        for c in range(count):
            vector = prediction.eigenvectors[c]
            scale = np.abs(vector).max() or 1.0
            axes[r, c].imshow(vector / scale, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
            axes[r, c].set_axis_off()
            axes[r, c].set_title(
                f"{label}\nλ{c + 1}, |k|={prediction.eigen_frequency[c]:.2g}"
                if c == 0
                else f"λ{c + 1}, |k|={prediction.eigen_frequency[c]:.2g}",
                fontsize="x-small",
            )
    return fig


def plot_band_prediction(
    dynamics: ImageDynamics, prediction: NTKBandPrediction, lr: float, *, title: str = ""
) -> Figure:
    """Per-band error on the training grid over training (solid) with the linearised prediction (dashed) at
    theory time t = lr × step laid over it (for Adam a reference scale, not a claim about time)."""
    if not isinstance(dynamics, ImageDynamics) or not isinstance(prediction, NTKBandPrediction):
        fail("dynamics", "an ImageDynamics and an NTKBandPrediction", type(dynamics).__name__, TypeError)
    fig, ax = new_figure(width=6.0)
    steps = np.maximum(dynamics.steps, 1)
    labels = dynamics.band_labels
    for b in range(dynamics.train_band_error.shape[1]):
        observed = dynamics.train_band_error[:, b]
        if not np.isfinite(observed).all():
            continue
        (line,) = ax.plot(steps, observed, lw=1.5, label=labels[b])
        predicted = prediction.band_error[:, b]
        if np.isfinite(predicted).all():
            ax.plot(np.maximum(prediction.time / lr, 1), predicted, "--", color=line.get_color(), lw=1.0)
    ax.set(
        xscale="log",
        yscale="log",
        xlim=(1, steps[-1]),
        xlabel="training step (dashed: linearised flow at t = lr × step)",
        ylabel="relative error per band (training grid)",
        title=title,
    )
    ax.legend(fontsize="x-small", title="band |k|", title_fontsize="x-small")
    return fig
