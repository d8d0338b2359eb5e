"""Networks of the spectral-bias literature: MLP, RepNet, Fourier-feature models."""

from spectra.models.coordinate import COORDINATE_KINDS, CoordinateNetwork
from spectra.models.deeponet import DeepONet
from spectra.models.fourier import FourierFeatureMLP, FourierFeatures, TwoLayerFourierNet
from spectra.models.layers import Dense
from spectra.models.mlp import MLP, count_parameters
from spectra.models.repnet import (
    MagnitudeEstimate,
    RepLayer,
    RepNet,
    calibrate_output_scale,
    normalised_mlp,
    shallow_relu_magnitudes,
)
from spectra.models.siren import Siren

__all__ = [
    "COORDINATE_KINDS",
    "CoordinateNetwork",
    "MLP",
    "DeepONet",
    "Dense",
    "FourierFeatureMLP",
    "FourierFeatures",
    "MagnitudeEstimate",
    "RepLayer",
    "RepNet",
    "Siren",
    "TwoLayerFourierNet",
    "calibrate_output_scale",
    "count_parameters",
    "normalised_mlp",
    "shallow_relu_magnitudes",
]
