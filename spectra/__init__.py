"""spectra: spectral bias of neural networks, measured frequency by frequency.

Conventions used everywhere (see each module's docstring for details):
- frequencies in cycles per unit length; Fourier transform u_hat(xi) = ∫ u(x) exp(-2πi xi·x) dx;
- tensors have the sample axis first: inputs (n, d), outputs (n, c);
- the mean loss (1/2N) Σ |f - y|² and theory time t = lr × steps.
"""

from importlib import metadata

from spectra.domain import Box, sample_uniform, uniform_grid
from spectra.frequencies import Empirical, FrequencyDistribution, Gaussian, Mixture, Symmetrized, Uniform
from spectra.models import MLP, FourierFeatureMLP, FourierFeatures, RepNet, TwoLayerFourierNet
from spectra.training import History, Recorder, fit

try:
    __version__ = metadata.version("spectra")
except metadata.PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

__all__ = [
    "MLP",
    "Box",
    "Empirical",
    "FourierFeatureMLP",
    "FourierFeatures",
    "FrequencyDistribution",
    "Gaussian",
    "History",
    "Mixture",
    "Recorder",
    "RepNet",
    "Symmetrized",
    "TwoLayerFourierNet",
    "Uniform",
    "fit",
    "sample_uniform",
    "uniform_grid",
]
