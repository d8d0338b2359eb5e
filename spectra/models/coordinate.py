"""The coordinate networks compared on signals such as images, built at a chosen parameter count.

A :class:`CoordinateNetwork` names one architecture family and its settings; ``build(width, ...)`` makes the
network and ``width_for(n_parameters, ...)`` finds the width whose parameter count is closest to a budget
(parameter counts grow with width, so a bisection finds it), so that every family can be compared at equal
parameters. Families (``kind``):

- ``"mlp"``: the plain ReLU :class:`~spectra.models.MLP` on raw coordinates, PyTorch's initialisation;
- ``"positional"``: NeRF-style positional encoding sin/cos(2^l π x_k), l < ``levels`` (frequencies 2^l / 2
  cycles per unit length, :meth:`FourierFeatures.positional`), then a ReLU MLP;
- ``"gaussian"``: Gaussian Fourier features (Tancik et al. 2020), ``n_frequencies`` rows B_ij ~ N(0, σ²) with
  σ = ``sigma`` cycles per unit length, then a ReLU MLP;
- ``"repnet"``: :class:`~spectra.models.RepNet` (adaptive, ReLU, partition levels on a uniform grid of the
  domain, slope scale ``s0``);
- ``"siren"``: :class:`~spectra.models.Siren`, ω0 = ``omega0``, inputs mapped from the domain onto [-1, 1]^d.

``depth`` hidden layers in every family; the width is what :meth:`CoordinateNetwork.width_for` chooses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from spectra._validation import check_choice, check_positive_float, check_positive_int, fail
from spectra.domain import BoxLike, as_box
from spectra.models.fourier import FourierFeatureMLP, FourierFeatures
from spectra.models.mlp import MLP, count_parameters
from spectra.models.repnet import RepNet
from spectra.models.siren import Siren
from spectra.seeding import Seed, check_seed

__all__ = ["COORDINATE_KINDS", "CoordinateNetwork"]

COORDINATE_KINDS = ("mlp", "positional", "gaussian", "repnet", "siren")


def _encoder_seed(seed: Seed) -> Seed:
    """A seed for the Gaussian frequencies that differs from the network's (None stays None: both random)."""
    if seed is None or isinstance(seed, torch.Generator):
        return seed
    return check_seed("seed", seed) ^ 0x5EED_F00D


@dataclass(frozen=True)
class CoordinateNetwork:
    """One coordinate-network family and its settings (module docstring).

    Parameters
    ----------
    kind
        One of ``COORDINATE_KINDS``.
    depth
        Hidden layers.
    levels
        Octaves of the positional encoding.
    sigma
        Standard deviation of the Gaussian Fourier features, cycles per unit length.
    n_frequencies
        Rows of the Gaussian Fourier-feature matrix (2 × as many features).
    s0
        RepNet's initial slope scale (1 / unit length).
    omega0
        SIREN's frequency factor.
    """

    kind: str
    depth: int = 3
    levels: int = 6
    sigma: float = 10.0
    n_frequencies: int = 64
    s0: float = 2 * math.pi * 10
    omega0: float = 30.0

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, COORDINATE_KINDS)
        check_positive_int("depth", self.depth)
        check_positive_int("levels", self.levels)
        check_positive_float("sigma", self.sigma)
        check_positive_int("n_frequencies", self.n_frequencies)
        check_positive_float("s0", self.s0)
        check_positive_float("omega0", self.omega0)

    @property
    def label(self) -> str:
        """A short name for tables and legends, e.g. 'FF (σ = 10)'."""
        return {
            "mlp": "MLP",
            "positional": f"PE (L = {self.levels})",
            "gaussian": f"FF (σ = {self.sigma:g})",
            "repnet": "RepNet",
            "siren": f"SIREN (ω0 = {self.omega0:g})",
        }[self.kind]

    def build(
        self,
        in_features: int,
        out_features: int,
        width: int,
        domain: BoxLike,
        *,
        seed: Seed = None,
        dtype: torch.dtype | None = None,
    ) -> nn.Module:
        """The network with ``width`` neurons per hidden layer.

        Parameters
        ----------
        in_features, out_features
            Input and output sizes.
        width
            Neurons per hidden layer.
        domain
            The box of the inputs (RepNet's partition levels; SIREN's map onto [-1, 1]^d).
        seed
            Seed of the initial weights (and of the Gaussian frequencies).
        dtype
            Parameter dtype.
        """
        in_features = check_positive_int("in_features", in_features)
        box = as_box("domain", domain)
        if box.dim != in_features:
            fail("domain", f"a box in {in_features} dimension(s)", box)
        if self.kind == "mlp":
            return MLP(in_features, out_features, width, self.depth, seed=seed, dtype=dtype)
        if self.kind == "positional":
            encoder = FourierFeatures.positional(in_features, self.levels)
            return FourierFeatureMLP(encoder, out_features, width, self.depth, seed=seed, dtype=dtype)
        if self.kind == "gaussian":
            # The frequencies get a stream of their own: drawn from the weights' seed they would be a transform
            # of the first layer's initial weights.
            encoder = FourierFeatures.gaussian(in_features, self.n_frequencies, self.sigma, seed=_encoder_seed(seed))
            return FourierFeatureMLP(encoder, out_features, width, self.depth, seed=seed, dtype=dtype)
        if self.kind == "repnet":
            return RepNet(
                in_features,
                out_features,
                width,
                self.depth,
                s0=self.s0,
                placement="uniform_grid",
                domain=box,
                seed=seed,
                dtype=dtype,
            )
        return Siren(
            in_features, out_features, width, self.depth, omega0=self.omega0, input_domain=box, seed=seed, dtype=dtype
        )

    def width_for(self, n_parameters: int, in_features: int, out_features: int, domain: BoxLike) -> int:
        """The width whose parameter count is closest to ``n_parameters`` (ties: the smaller width).

        Parameters
        ----------
        n_parameters
            The budget of trainable parameters.
        in_features, out_features, domain
            As in :meth:`build`.
        """
        budget = check_positive_int("n_parameters", n_parameters)

        def count(width: int) -> int:
            return count_parameters(self.build(in_features, out_features, width, domain, seed=0))

        lo, hi = 1, 2
        while count(hi) < budget:
            lo, hi = hi, 2 * hi
            if hi > 2**20:
                fail("n_parameters", "a budget reachable below a width of 2^20", n_parameters)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if count(mid) <= budget else (lo, mid)
        return min((lo, hi), key=lambda w: (abs(count(w) - budget), w))
