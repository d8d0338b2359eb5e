"""First-layer partition points (1-D) and partition hyperplanes (d-D) of MLPs and RepNets.

Neuron i of the first hidden layer, z_i(x) = w_i·x + b_i, changes state on the hyperplane
{x : w_i·x + b_i = 0} = {x : n_i·x = o_i} with unit normal n_i = w_i / ``|w_i|`` and signed offset
o_i = -b_i / ``|w_i|``. In 1-D this is the partition point x_i = -b_i / w_i, the ReLU kink (or the
centre of the tanh transition), and ``|w_i|`` is the neuron's slope scale. For RepNet,
w_i = s_i v_i and b_i = -s_i p_i, so n_i = v_i, o_i = p_i and ``|w_i|`` = s_i (docs/theory.rst, "RepNet's
reparameterisation").
A neuron with w_i = 0 has no partition set: its normal and offset are NaN and ``has_point`` is False.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from torch import nn

from spectra._validation import check_model, fail
from spectra.domain import BoxLike, as_box
from spectra.partition.network import TOOLKIT_MODELS, affine_maps, unpack
from spectra.results import Result


@dataclass
class PartitionPoints(Result):
    """First-layer partition sets {x : n_i·x = o_i} (see module docstring); arrays over neurons i."""

    weights: np.ndarray = Result.array_field(("width", "d"))  # w_i
    biases: np.ndarray = Result.array_field(("width",))  # b_i
    normals: np.ndarray = Result.array_field(("width", "d"))  # n_i = w_i / |w_i|
    offsets: np.ndarray = Result.array_field(("width",))  # o_i = -b_i / |w_i|
    slopes: np.ndarray = Result.array_field(("width",))  # |w_i|
    activation: str

    @property
    def dim(self) -> int:
        return int(self.weights.shape[1])

    @property
    def has_point(self) -> np.ndarray:
        return self.slopes > 0

    @property
    def points(self) -> np.ndarray:
        """1-D partition points x_i = -b_i / w_i (NaN where w_i = 0)."""
        if self.dim != 1:
            fail("points", "a 1-D input (use normals and offsets for hyperplanes in d-D)", f"{self.dim}-D input")
        return self.offsets * self.normals[:, 0]

    def inside(self, domain: BoxLike) -> np.ndarray:
        """Mask of the neurons whose partition set meets the box ``domain`` (its kink lies in it, in 1-D)."""
        box = as_box("domain", domain)
        if box.dim != self.dim:
            fail("domain", f"a box in {self.dim} dimension(s)", box)
        lo, hi = np.asarray(box.lo), np.asarray(box.hi)
        # Range of n·x over the box: sum of the per-axis extremes.
        low = np.minimum(self.normals * lo, self.normals * hi).sum(axis=1)
        high = np.maximum(self.normals * lo, self.normals * hi).sum(axis=1)
        return self.has_point & (low <= self.offsets) & (self.offsets <= high)

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame({"neuron": np.arange(len(self.biases)), "offset": self.offsets, "slope": self.slopes})
        if self.dim == 1:
            frame["point"] = self.points
        for k in range(self.dim):
            frame[f"normal{k}"] = self.normals[:, k]
        frame["bias"] = self.biases
        return frame


def partition_points(model: nn.Module) -> PartitionPoints:
    """Partition points x_i = -b_i / w_i (1-D) or hyperplanes n_i·x = o_i (d-D) of the first hidden layer.

    ``model`` is an MLP or a RepNet (ReLU or tanh): the first layer's weights are read directly. A
    FourierFeatureMLP has no first-layer hyperplanes (its pre-activations are sums of sinusoids): use
    ``breakpoints_1d(model, a, b, method="numerical")`` for it. Other torch modules are refused with a
    TypeError that points to :func:`breakpoints_1d` and :func:`regions_2d`, which take any network.
    """
    check_model("model", model)
    if not isinstance(model, TOOLKIT_MODELS):
        fail(
            "model",
            "an MLP or RepNet (spectra.models) for first-layer partition points; for any piecewise-linear torch "
            "module use breakpoints_1d(model, a, b) (kinks along a segment) or regions_2d(model, box)",
            type(model).__name__,
            TypeError,
        )
    architecture = unpack(model)
    if architecture.encoder is not None:
        fail(
            "model",
            "an MLP or RepNet on raw coordinates (an encoded input has no first-layer hyperplanes; use "
            "breakpoints_1d(model, a, b, method='numerical'))",
            type(model).__name__,
            TypeError,
        )
    weights, biases = affine_maps(architecture)[0]
    slopes = np.linalg.norm(weights, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        normals = np.where(slopes[:, None] > 0, weights / slopes[:, None], np.nan)
        offsets = np.where(slopes > 0, -biases / slopes, np.nan)
    return PartitionPoints(weights, biases, normals, offsets, slopes, architecture.activation)
