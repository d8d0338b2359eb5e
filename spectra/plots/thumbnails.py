"""Thumbnail figures for the HTML repr of results (``spectra.results.Result._repr_html_``).

``thumbnail`` returns the figure that shows a result at a glance, or None for a result with no
single figure that fits a thumbnail. A new result class gets one by registering a function here::

    @thumbnail.register
    def _(result: MyResult) -> Figure:
        return plot_my_result(result)
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from matplotlib.figure import Figure

from spectra.comparison import Comparison
from spectra.fem.solution import PDESolution
from spectra.ntk.eigen import NTKSpectrum
from spectra.partition import Breakpoints, Regions2D
from spectra.plots.fem import plot_pde_spectra
from spectra.plots.linearized import plot_linearized_errors
from spectra.plots.multilayer import plot_multilayer
from spectra.plots.nonuniform import plot_nonuniform_gaps
from spectra.plots.ntk import plot_ntk_spectrum
from spectra.plots.partition import plot_breakpoint_density, plot_regions_2d
from spectra.plots.pde_comparison import plot_pde_gap_over_time
from spectra.plots.training import plot_fits, plot_training_curves
from spectra.training import History
from spectra.validate import LinearizedComparison, MultilayerResult, NonuniformComparison, PDEComparison


@singledispatch
def thumbnail(result: Any) -> Figure | None:
    """The thumbnail figure of ``result`` (None: no figure registered for its class)."""
    return None


@thumbnail.register
def _(result: History) -> Figure:
    return plot_training_curves({"run": result})


@thumbnail.register
def _(result: NTKSpectrum) -> Figure:
    return plot_ntk_spectrum(result)


@thumbnail.register
def _(result: PDESolution) -> Figure:
    return plot_pde_spectra(result)


@thumbnail.register
def _(result: Breakpoints) -> Figure:
    return plot_breakpoint_density(result)


@thumbnail.register
def _(result: Regions2D) -> Figure:
    return plot_regions_2d(result)


@thumbnail.register
def _(result: Comparison) -> Figure:
    return plot_fits(result.histories)


@thumbnail.register
def _(result: LinearizedComparison) -> Figure:
    return plot_linearized_errors(result)


@thumbnail.register
def _(result: MultilayerResult) -> Figure:
    return plot_multilayer(result)


@thumbnail.register
def _(result: NonuniformComparison) -> Figure:
    return plot_nonuniform_gaps(result)


@thumbnail.register
def _(result: PDEComparison) -> Figure:
    return plot_pde_gap_over_time(result)
