"""Diagnostic figures (matplotlib + seaborn). Every function returns a matplotlib Figure.

One module per topic; import the functions from here.
"""

from spectra.plots.fem import plot_pde_decay, plot_pde_maps, plot_pde_spectra
from spectra.plots.fourier import plot_frequency_curves, plot_frequency_heatmap, plot_spectra
from spectra.plots.ntk import plot_eigenvalue_frequency, plot_kernel_drift, plot_ntk_spectrum
from spectra.plots.training import plot_fits, plot_training_curves

__all__ = [
    "plot_eigenvalue_frequency",
    "plot_fits",
    "plot_frequency_curves",
    "plot_frequency_heatmap",
    "plot_kernel_drift",
    "plot_ntk_spectrum",
    "plot_pde_decay",
    "plot_pde_maps",
    "plot_pde_spectra",
    "plot_spectra",
    "plot_training_curves",
]
