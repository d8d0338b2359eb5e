"""Fourier-feature models: the encoder γ, the FF-MLP, and the two-layer net of the frequency PDE.

Convention: frequencies in cycles per unit length; a frequency row b_j in R^d stands for the
features cos(2π b_j·x) and sin(2π b_j·x).

- :class:`FourierFeatures` (Tancik et al. 2020): γ(x) = [a ⊙ cos(2π x Bᵀ), a ⊙ sin(2π x Bᵀ)],
  B of shape (m, d), amplitudes a of shape (m,), output 2m. Mappings: Gaussian (B_ij ~ N(0, σ²)),
  from any rho_w, basic (B = I), positional (sin/cos(2^l π x), l < L, per axis) and power law
  (b_j = j, a_j = j^-p, 1-D). Frequencies fixed or trainable.
- :class:`FourierFeatureMLP`: an MLP on top of a FourierFeatures encoder.
- :class:`TwoLayerFourierNet` (docs/theory.rst, "The frequency PDE"), NTK parameterisation::

      f(x) = m^(-1/2) Σ_j [ a_j cos(2π w_j·x) + b_j sin(2π w_j·x) ],

  w_j ~ rho_w, a_j, b_j ~ N(0, sigma_a²), all trained (frequencies optionally frozen). Trained
  with the mean loss (1/2N) Σ (f - y)² and gradient-descent time t = lr × steps, its error's
  Fourier transform follows the damped heat equation solved by :mod:`spectra.fem`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from spectra._validation import (
    _Described,
    as_real_array,
    check_dimension,
    check_finite,
    check_float_dtype,
    check_memory,
    check_positive_float,
    check_positive_int,
    describe,
    fail,
    largest,
)
from spectra.frequencies import FrequencyDistribution, Gaussian
from spectra.models.layers import check_input, check_network_size
from spectra.models.mlp import MLP
from spectra.seeding import Seed, make_generator


def _real_tensor(argument: str, value: object) -> torch.Tensor:
    """A finite real tensor from a tensor (kept as is, on its device) or an array-like (float64)."""
    if not isinstance(value, torch.Tensor):
        return torch.as_tensor(as_real_array(argument, value))
    if value.is_complex() or value.dtype == torch.bool:
        fail(argument, "real numbers", _Described(describe(value)), TypeError)
    check_finite(argument, value)
    return value


def _check_encoding_size(sizes: dict[str, int], n_frequencies: int, in_features: int) -> None:
    """Refuse encoders whose frequency matrix (m, d) and its work arrays would not fit."""
    check_memory(
        *largest(sizes),
        4 * n_frequencies * in_features * 8,
        subject=f"{n_frequencies} frequencies in {in_features} dimension(s)",
        advice="use fewer frequencies",
    )


class FourierFeatures(nn.Module):
    """γ(x) = [a ⊙ cos(2π x Bᵀ), a ⊙ sin(2π x Bᵀ)]: (..., d) -> (..., 2m)."""

    def __init__(
        self,
        frequencies: torch.Tensor,
        amplitudes: torch.Tensor | None = None,
        *,
        trainable: bool = False,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        frequencies = _real_tensor("frequencies", frequencies)
        if frequencies.dim() != 2 or 0 in frequencies.shape:
            fail("frequencies", "a non-empty tensor of shape (m, d)", _Described(describe(frequencies)))
        dtype = check_float_dtype("dtype", dtype) or torch.get_default_dtype()
        frequencies = frequencies.to(dtype)
        amplitudes = (
            torch.ones(len(frequencies), dtype=dtype, device=frequencies.device)
            if amplitudes is None
            else _real_tensor("amplitudes", amplitudes).to(dtype=dtype, device=frequencies.device)
        )
        if amplitudes.shape != (len(frequencies),):
            fail("amplitudes", f"shape ({len(frequencies)},)", tuple(amplitudes.shape))
        if not (torch.isfinite(frequencies).all() and torch.isfinite(amplitudes).all()):
            fail("dtype", f"a dtype that holds the frequencies and amplitudes (they overflow {dtype})", dtype)
        self.in_features = frequencies.shape[1]
        self.n_frequencies = frequencies.shape[0]
        self.out_features = 2 * self.n_frequencies
        self.trainable = trainable
        if trainable:
            self.frequencies = nn.Parameter(frequencies)
        else:
            self.register_buffer("frequencies", frequencies)
        self.register_buffer("amplitudes", amplitudes)

    @classmethod
    def from_distribution(
        cls, rho_w: FrequencyDistribution, n_frequencies: int, *, seed: Seed = None, trainable: bool = False
    ) -> FourierFeatures:
        """B_j ~ rho_w, unit amplitudes."""
        if not isinstance(rho_w, FrequencyDistribution):
            fail("rho_w", "a FrequencyDistribution (spectra.frequencies)", type(rho_w).__name__, TypeError)
        n_frequencies = check_positive_int("n_frequencies", n_frequencies)
        _check_encoding_size({"n_frequencies": n_frequencies}, n_frequencies, rho_w.dim)
        return cls(rho_w.sample(n_frequencies, seed), trainable=trainable)

    @classmethod
    def gaussian(
        cls, in_features: int, n_frequencies: int, sigma: float, *, seed: Seed = None, trainable: bool = False
    ) -> FourierFeatures:
        """Tancik's Gaussian mapping, B_ij ~ N(0, sigma²) (sigma in cycles per unit length)."""
        rho_w = Gaussian(check_positive_float("sigma", sigma), check_dimension("in_features", in_features))
        return cls.from_distribution(rho_w, n_frequencies, seed=seed, trainable=trainable)

    @classmethod
    def basic(cls, in_features: int) -> FourierFeatures:
        """B = I: [cos 2πx, sin 2πx] per axis."""
        in_features = check_positive_int("in_features", in_features)
        _check_encoding_size({"in_features": in_features}, in_features, in_features)
        return cls(torch.eye(in_features, dtype=torch.float64))

    @classmethod
    def positional(cls, in_features: int, levels: int, base: float = 2.0) -> FourierFeatures:
        """sin/cos(base^l π x_k) for l < levels and every axis k: frequencies base^l / 2 cycles per unit."""
        in_features = check_positive_int("in_features", in_features)
        levels = check_positive_int("levels", levels)
        base = check_positive_float("base", base)
        sizes = {"in_features": in_features, "levels": levels}
        _check_encoding_size(sizes, levels * in_features, in_features)
        scales = base ** torch.arange(levels, dtype=torch.float64) / 2
        if not bool(torch.isfinite(scales.to(torch.get_default_dtype())).all()):
            fail("levels", f"few enough levels that base^levels / 2 stays finite (base = {base:g})", levels)
        eye = torch.eye(in_features, dtype=torch.float64)
        return cls((scales[:, None, None] * eye[None]).reshape(-1, in_features))

    @classmethod
    def power_law(cls, n_frequencies: int, exponent: float) -> FourierFeatures:
        """Tancik's 1-D mapping b_j = j, a_j = j^-exponent, j = 1..n (exponent=inf keeps only j = 1)."""
        n = check_positive_int("n_frequencies", n_frequencies)
        if not (isinstance(exponent, (int, float)) and exponent == math.inf):
            exponent = check_positive_float("exponent", exponent, allow_zero=True)
        _check_encoding_size({"n_frequencies": n}, n, 1)
        j = torch.arange(1, n + 1, dtype=torch.float64)
        amplitudes = (j == 1).double() if math.isinf(exponent) else j**-exponent
        return cls(j[:, None], amplitudes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_features, self.frequencies.dtype)
        phase = 2 * math.pi * (x @ self.frequencies.T)
        return torch.cat([self.amplitudes * torch.cos(phase), self.amplitudes * torch.sin(phase)], dim=-1)

    def extra_repr(self) -> str:
        return f"in={self.in_features}, frequencies={self.n_frequencies}, trainable={self.trainable}"


class FourierFeatureMLP(nn.Module):
    """f(x) = MLP(γ(x)): an :class:`MLP` on a :class:`FourierFeatures` encoder.

    ``encoder`` is a FourierFeatures instance; the remaining arguments are those of :class:`MLP`
    (its input size is the encoder's 2m).
    """

    def __init__(
        self,
        encoder: FourierFeatures,
        out_features: int = 1,
        width: int = 64,
        depth: int = 3,
        *,
        activation: str = "relu",
        parameterization: str = "standard",
        init: str = "torch",
        seed: Seed = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(encoder, FourierFeatures):
            fail("encoder", "a FourierFeatures instance", type(encoder).__name__, TypeError)
        dtype = check_float_dtype("dtype", dtype)
        self.encoder = encoder.to(dtype or torch.get_default_dtype())
        self.in_features = encoder.in_features
        self.out_features = out_features
        self.mlp = MLP(
            encoder.out_features,
            out_features,
            width,
            depth,
            activation=activation,
            parameterization=parameterization,
            init=init,
            seed=seed,
            dtype=dtype,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.encoder(x))


class TwoLayerFourierNet(nn.Module):
    """f(x) = m^(-1/2) Σ_j [a_j cos(2π w_j·x) + b_j sin(2π w_j·x)] (see module docstring).

    m = ``width`` counts every neuron, the doubled pairs included: ``doubled=True`` (m even) draws m/2
    frequencies and makes neuron j + m/2 a copy of neuron j with negated output weights, so the initial
    output is exactly 0 and the initial residual is -g. Its infinite-width NTK is
    Θ(x, x') = (1 + 4π² sigma_a² x·x') k(x - x'), k(z) = ∫ cos(2π w·z) rho_w(w) dw (without the
    x·x' term when the frequencies are frozen).
    """

    def __init__(
        self,
        in_features: int,
        width: int,
        rho_w: FrequencyDistribution,
        sigma_a: float = 1.0,
        *,
        doubled: bool = False,
        train_frequencies: bool = True,
        seed: Seed = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.in_features = check_positive_int("in_features", in_features)
        self.width = check_positive_int("width", width)
        self.out_features = 1
        dtype = check_float_dtype("dtype", dtype) or torch.get_default_dtype()
        check_network_size({"in_features": in_features, "width": width}, width * (in_features + 2), dtype)
        if not isinstance(rho_w, FrequencyDistribution):
            fail("rho_w", "a FrequencyDistribution (spectra.frequencies)", type(rho_w).__name__, TypeError)
        if rho_w.dim != in_features:
            fail("rho_w", f"a distribution on R^{in_features}", f"one on R^{rho_w.dim}")
        if doubled and width % 2:
            fail("width", "an even width when doubled=True", width)
        self.rho_w = rho_w
        self.sigma_a = check_positive_float("sigma_a", sigma_a)
        self.doubled = doubled
        self.train_frequencies = train_frequencies
        generator = make_generator(seed)
        drawn = width // 2 if doubled else width
        w = rho_w.sample(drawn, generator)
        a = self.sigma_a * torch.randn(drawn, generator=generator, dtype=torch.float64)
        b = self.sigma_a * torch.randn(drawn, generator=generator, dtype=torch.float64)
        if doubled:
            w, a, b = torch.cat([w, w]), torch.cat([a, -a]), torch.cat([b, -b])
        if train_frequencies:
            self.frequencies = nn.Parameter(w.to(dtype))
        else:
            self.register_buffer("frequencies", w.to(dtype))
        self.a = nn.Parameter(a.to(dtype))
        self.b = nn.Parameter(b.to(dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_features, self.frequencies.dtype)
        phase = 2 * math.pi * (x @ self.frequencies.T)
        terms = self.a * torch.cos(phase) + self.b * torch.sin(phase)  # (..., m)
        if self.doubled:
            # Add each neuron to its partner first: at initialisation the pair sums are exactly 0.
            terms = terms.unflatten(-1, (2, self.width // 2)).sum(dim=-2)
        return terms.sum(dim=-1, keepdim=True) / math.sqrt(self.width)

    def extra_repr(self) -> str:
        return f"in={self.in_features}, width={self.width}, sigma_a={self.sigma_a}, doubled={self.doubled}"
