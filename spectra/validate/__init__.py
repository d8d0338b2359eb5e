"""Theory against training: each study returns a result object (to_frame, save/load) and has a plot.

- (a) :mod:`~spectra.validate.pde`: the frequency PDE against the two-layer Fourier-feature network;
- (b) :mod:`~spectra.validate.linearized`: linearised NTK dynamics against training;
- (c) :mod:`~spectra.validate.multilayer`: FF(rho_w) -> MLP, per-frequency decay under Gaussian against uniform rho_w;
- :mod:`~spectra.validate.nonuniform`: the general equation on non-uniform data.
"""

from spectra.validate.linearized import (
    LinearizedComparison,
    LinearizedSettings,
    breakdown_times,
    linearized_against_training,
)
from spectra.validate.multilayer import MultilayerResult, MultilayerSettings, multilayer_frequency_bias
from spectra.validate.nonuniform import NonuniformComparison, NonuniformSettings, nonuniform_against_training
from spectra.validate.pde import PDECase, PDEComparison, PDEComparisonSettings, WidthFit, pde_against_network

__all__ = [
    "LinearizedComparison",
    "LinearizedSettings",
    "MultilayerResult",
    "MultilayerSettings",
    "NonuniformComparison",
    "NonuniformSettings",
    "PDECase",
    "PDEComparison",
    "PDEComparisonSettings",
    "WidthFit",
    "breakdown_times",
    "linearized_against_training",
    "multilayer_frequency_bias",
    "nonuniform_against_training",
    "pde_against_network",
]
