"""Neural tangent kernels: empirical (structured, Jacobian, vector products; tiled and matrix-free),
closed-form infinite-width kernels, eigen-analysis and the linearised training dynamics they predict;
and the NNGP kernel (the output covariance at initialisation), closed-form and sampled over seeds.

Conventions: Θ(x, x') = Σ_θ ∂f(x)/∂θ · ∂f(x')/∂θ over trainable parameters, K(x, x') = Cov[f(x), f(x')]
over the random initialisation (the NNGP kernel), sample axis first;
mean loss (1/2N) Σ ``|f - y|²`` and theory time t = lr × steps; frequencies in cycles per unit length.
"""

from spectra.ntk.analytic import (
    analytic_nngp,
    analytic_ntk,
    relu_mlp_nngp,
    relu_mlp_ntk,
    two_layer_fourier_nngp,
    two_layer_fourier_ntk,
)
from spectra.ntk.dynamics import (
    LinearizedPrediction,
    NTKRecorder,
    kernel_drift,
    linearized_prediction,
    max_stable_lr,
)
from spectra.ntk.eigen import NTKSpectrum, eigenvector_frequencies, ntk_spectrum, top_eigenpairs
from spectra.ntk.empirical import EmpiricalNTK, NTKOperator, empirical_ntk, ntk_operator
from spectra.ntk.nngp import EmpiricalNNGP, empirical_nngp

__all__ = [
    "EmpiricalNNGP",
    "EmpiricalNTK",
    "LinearizedPrediction",
    "NTKOperator",
    "NTKRecorder",
    "NTKSpectrum",
    "analytic_nngp",
    "analytic_ntk",
    "eigenvector_frequencies",
    "empirical_nngp",
    "empirical_ntk",
    "kernel_drift",
    "linearized_prediction",
    "max_stable_lr",
    "ntk_operator",
    "ntk_spectrum",
    "relu_mlp_nngp",
    "relu_mlp_ntk",
    "top_eigenpairs",
    "two_layer_fourier_nngp",
    "two_layer_fourier_ntk",
]
