"""spectra: spectral bias of neural networks, measured frequency by frequency.

Conventions used everywhere (see each module's docstring for details):

- frequencies in cycles per unit length; Fourier transform u_hat(xi) = ∫ u(x) exp(-2πi xi·x) dx;
- tensors have the sample axis first: inputs (n, d), outputs (n, c);
- the mean loss (1/2N) Σ ``|f - y|²`` and theory time t = lr × steps.
"""

from importlib import metadata

from spectra.domain import Box, sample_uniform, uniform_grid
from spectra.fem import FrequencyPDE, NonuniformSolver, PDESolution, ReferenceSolver
from spectra.fourier import FourierErrorRecorder, continuous_ft, error_dynamics, frequency_error, nudft, spectrum
from spectra.frequencies import Empirical, FrequencyDistribution, Gaussian, Mixture, Symmetrized, Uniform
from spectra.models import MLP, DeepONet, FourierFeatureMLP, FourierFeatures, RepNet, TwoLayerFourierNet
from spectra.ntk import EmpiricalNTK, NTKRecorder, empirical_ntk, linearized_prediction, top_eigenpairs
from spectra.partition import PartitionRecorder, breakpoints_1d, partition_points, regions_2d
from spectra.training import History, Monitor, Recorder, fit

try:
    __version__ = metadata.version("spectra")
except metadata.PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

__all__ = [
    "Box",
    "DeepONet",
    "Empirical",
    "EmpiricalNTK",
    "FourierErrorRecorder",
    "FourierFeatureMLP",
    "FourierFeatures",
    "FrequencyDistribution",
    "FrequencyPDE",
    "Gaussian",
    "History",
    "MLP",
    "Mixture",
    "Monitor",
    "NTKRecorder",
    "NonuniformSolver",
    "PDESolution",
    "PartitionRecorder",
    "Recorder",
    "ReferenceSolver",
    "RepNet",
    "Symmetrized",
    "TwoLayerFourierNet",
    "Uniform",
    "breakpoints_1d",
    "continuous_ft",
    "empirical_ntk",
    "error_dynamics",
    "fit",
    "frequency_error",
    "linearized_prediction",
    "nudft",
    "partition_points",
    "regions_2d",
    "sample_uniform",
    "spectrum",
    "top_eigenpairs",
    "uniform_grid",
]
