"""Networks of the spectral-bias literature: MLP, RepNet, Fourier-feature models."""

from spectra.models.deeponet import DeepONet
from spectra.models.fourier import FourierFeatureMLP, FourierFeatures, TwoLayerFourierNet
from spectra.models.layers import Dense
from spectra.models.mlp import MLP, count_parameters
from spectra.models.repnet import RepLayer, RepNet, calibrate_output_scale, shallow_relu_magnitudes

__all__ = [
    "MLP",
    "DeepONet",
    "Dense",
    "FourierFeatureMLP",
    "FourierFeatures",
    "RepLayer",
    "RepNet",
    "TwoLayerFourierNet",
    "calibrate_output_scale",
    "count_parameters",
    "shallow_relu_magnitudes",
]
