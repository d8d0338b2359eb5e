"""Diagnostic figures (matplotlib + seaborn). Every function returns a matplotlib Figure.

One module per topic; import the functions from here.
"""

from spectra.plots.fourier import plot_frequency_curves, plot_frequency_heatmap, plot_spectra
from spectra.plots.training import plot_fits, plot_training_curves

__all__ = [
    "plot_fits",
    "plot_frequency_curves",
    "plot_frequency_heatmap",
    "plot_spectra",
    "plot_training_curves",
]
