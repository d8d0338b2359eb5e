"""Diagnostic figures (matplotlib + seaborn). Every function returns a matplotlib Figure.

One module per topic; import the functions from here.
"""

from spectra.plots.fem import plot_pde_decay, plot_pde_maps, plot_pde_spectra
from spectra.plots.fourier import plot_frequency_curves, plot_frequency_heatmap, plot_spectra
from spectra.plots.images import (
    plot_band_heatmap,
    plot_band_prediction,
    plot_eigenvectors,
    plot_image_fits,
    plot_ntk_bands,
)
from spectra.plots.linearized import (
    plot_linearized_drift,
    plot_linearized_errors,
    plot_linearized_spectra,
    plot_linearized_widths,
)
from spectra.plots.multilayer import plot_multilayer
from spectra.plots.nonuniform import plot_data_measure, plot_nonuniform_gaps, plot_nonuniform_spectra
from spectra.plots.ntk import plot_eigenvalue_frequency, plot_kernel_drift, plot_ntk_spectrum
from spectra.plots.partition import plot_breakpoint_density, plot_gradient_confusion, plot_regions_2d
from spectra.plots.pde_comparison import (
    plot_pde_gap_against_width,
    plot_pde_gap_over_time,
    plot_pde_network_decay,
    plot_pde_network_spectra,
)
from spectra.plots.sweep import plot_sweep
from spectra.plots.training import plot_fits, plot_training_curves

__all__ = [
    "plot_band_heatmap",
    "plot_band_prediction",
    "plot_eigenvectors",
    "plot_image_fits",
    "plot_ntk_bands",
    "plot_breakpoint_density",
    "plot_data_measure",
    "plot_eigenvalue_frequency",
    "plot_fits",
    "plot_frequency_curves",
    "plot_frequency_heatmap",
    "plot_gradient_confusion",
    "plot_kernel_drift",
    "plot_linearized_drift",
    "plot_linearized_errors",
    "plot_linearized_spectra",
    "plot_linearized_widths",
    "plot_nonuniform_gaps",
    "plot_nonuniform_spectra",
    "plot_multilayer",
    "plot_ntk_spectrum",
    "plot_pde_decay",
    "plot_pde_gap_against_width",
    "plot_pde_gap_over_time",
    "plot_pde_maps",
    "plot_pde_network_decay",
    "plot_pde_network_spectra",
    "plot_pde_spectra",
    "plot_regions_2d",
    "plot_spectra",
    "plot_sweep",
    "plot_training_curves",
]
