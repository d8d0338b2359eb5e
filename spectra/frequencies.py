"""Frequency distributions rho_w: sampled by models, evaluated as densities by the PDE.

Frequencies are in cycles per unit length: a frequency w in R^d stands for the features
cos(2π w·x) and sin(2π w·x). Each distribution offers

- ``sample(n, seed)``: a float64 tensor of shape (n, d) of draws w ~ rho_w;
- ``density(xi)``: the normalised density rho_w(xi) at points xi of shape (n, d) (or (n,) when
  d = 1), vectorised, as a NumPy float64 array of shape (n,); ∫ rho_w = 1;
- ``kernel(z)``: where known in closed form, the stationary kernel
  k(z) = ∫ cos(2π w·z) rho_w(w) dw, which with sigma_a gives the infinite-width NTK of the
  two-layer Fourier-feature network (docs/theory.rst, "Network and kernel");
- ``symmetrized()``: the distribution of ±w with equal odds, density (rho(xi) + rho(-xi)) / 2.
  Only this symmetric part enters k and the PDE.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from spectra._validation import (
    as_per_item,
    as_real_array,
    brief,
    check_dimension,
    check_points_memory,
    check_positive_float,
    check_positive_int,
    fail,
)
from spectra.seeding import Seed, make_generator


def _as_xi(argument: str, xi: np.ndarray | torch.Tensor | Sequence[float], dim: int) -> np.ndarray:
    """Finite points as a float64 array (n, dim); a 1-D array is n points when dim == 1."""
    xi = as_real_array(argument, xi)
    if xi.ndim == 0 or (xi.ndim == 1 and dim == 1):
        xi = xi.reshape(-1, 1)
    elif xi.ndim == 1 and xi.shape[0] == dim:
        xi = xi[None, :]
    if xi.ndim != 2 or xi.shape[1] != dim:
        fail(argument, f"points of shape (n, {dim})", f"shape {xi.shape}")
    return xi


def _sample_count(n: int, dim: int) -> int:
    """The number of draws of ``sample(n)``: a positive int whose (n, dim) float64 draws fit in memory."""
    n = check_positive_int("n", n)
    check_points_memory("n", n, n, dim, 8)
    return n


class FrequencyDistribution(ABC):
    """A probability density rho_w on R^d (see module docstring for the conventions)."""

    dim: int

    @abstractmethod
    def sample(self, n: int, seed: Seed = None) -> torch.Tensor:
        """``n`` draws as a float64 tensor of shape (n, d)."""

    @abstractmethod
    def _density(self, xi: np.ndarray) -> np.ndarray: ...

    def density(self, xi: np.ndarray | torch.Tensor | Sequence[float]) -> np.ndarray:
        """rho_w(xi) for xi of shape (n, d) (or (n,) in 1-D); returns shape (n,)."""
        return self._density(_as_xi("xi", xi, self.dim))

    def _kernel(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} has no closed-form kernel k(z)")

    @property
    def has_kernel(self) -> bool:
        return type(self)._kernel is not FrequencyDistribution._kernel

    def kernel(self, z: np.ndarray | torch.Tensor | Sequence[float]) -> np.ndarray:
        """k(z) = ∫ cos(2π w·z) rho_w(w) dw for z of shape (n, d); returns shape (n,)."""
        return self._kernel(_as_xi("z", z, self.dim))

    def symmetrized(self) -> FrequencyDistribution:
        return Symmetrized(self)


@dataclass(frozen=True)
class Gaussian(FrequencyDistribution):
    """Isotropic Gaussian N(mean, std² I) in ``dim`` dimensions; k(z) = exp(-2π² std² ``|z|²``) cos(2π mean·z)."""

    std: float
    dim: int = 1
    mean: float | tuple[float, ...] = 0.0

    def __post_init__(self) -> None:
        check_positive_float("std", self.std)
        check_dimension("dim", self.dim)
        object.__setattr__(self, "_mean", as_per_item("mean", self.mean, self.dim, "dimension"))

    def sample(self, n: int, seed: Seed = None) -> torch.Tensor:
        n = _sample_count(n, self.dim)
        z = torch.randn(n, self.dim, generator=make_generator(seed), dtype=torch.float64)
        return torch.as_tensor(self._mean) + self.std * z

    def _density(self, xi: np.ndarray) -> np.ndarray:
        r2 = np.sum((xi - self._mean) ** 2, axis=1)
        return np.exp(-r2 / (2 * self.std**2)) / (2 * math.pi * self.std**2) ** (self.dim / 2)

    def _kernel(self, z: np.ndarray) -> np.ndarray:
        return np.exp(-2 * math.pi**2 * self.std**2 * np.sum(z**2, axis=1)) * np.cos(2 * math.pi * z @ self._mean)


@dataclass(frozen=True)
class Uniform(FrequencyDistribution):
    """Uniform density on the box [low, high]^d (per-dimension bounds allowed).

    ``Uniform.band(B)`` is the symmetric band [-B, B]^d. In 1-D, k(z) = sin(2πBz) / (2πBz) for
    the band; in general k(z) = Re Π_j (e^{2πi high_j z_j} - e^{2πi low_j z_j}) / (2πi z_j (high_j - low_j)).
    """

    low: float | tuple[float, ...]
    high: float | tuple[float, ...]
    dim: int = 1

    def __post_init__(self) -> None:
        check_dimension("dim", self.dim)
        low = as_per_item("low", self.low, self.dim, "dimension")
        high = as_per_item("high", self.high, self.dim, "dimension")
        if not np.all(high > low):
            fail("high", f"high > low in every dimension (low = {low.tolist()})", high.tolist())
        object.__setattr__(self, "_low", low)
        object.__setattr__(self, "_high", high)

    @classmethod
    def band(cls, bandwidth: float, dim: int = 1) -> Uniform:
        bandwidth = check_positive_float("bandwidth", bandwidth)
        return cls(-bandwidth, bandwidth, dim)

    @property
    def volume(self) -> float:
        return float(np.prod(self._high - self._low))

    def sample(self, n: int, seed: Seed = None) -> torch.Tensor:
        n = _sample_count(n, self.dim)
        u = torch.rand(n, self.dim, generator=make_generator(seed), dtype=torch.float64)
        return torch.as_tensor(self._low) + u * torch.as_tensor(self._high - self._low)

    def _density(self, xi: np.ndarray) -> np.ndarray:
        inside = np.all((xi >= self._low) & (xi <= self._high), axis=1)
        return inside / self.volume

    def _kernel(self, z: np.ndarray) -> np.ndarray:
        width = self._high - self._low
        # ∫_l^h e^{2πi w z} dw / (h - l), written with sinc to stay finite at z = 0:
        # e^{2πi z (h + l)/2} · sinc(z (h - l)), numpy's sinc(t) = sin(πt)/(πt).
        factors = np.exp(1j * math.pi * z * (self._high + self._low)) * np.sinc(z * width)
        return np.real(np.prod(factors, axis=1))


@dataclass(frozen=True)
class Mixture(FrequencyDistribution):
    """Weighted mixture Σ_k weights_k rho_k (weights normalised to sum to 1)."""

    components: tuple[FrequencyDistribution, ...]
    weights: tuple[float, ...] | None = None
    dim: int = field(init=False)

    def __post_init__(self) -> None:
        components = tuple(self.components) if isinstance(self.components, Sequence) else ()
        if not components or not all(isinstance(c, FrequencyDistribution) for c in components):
            fail("components", "a non-empty sequence of FrequencyDistribution", self.components, TypeError)
        dims = {c.dim for c in components}
        if len(dims) != 1:
            fail("components", "distributions of one dimension", sorted(dims))
        weights = np.ones(len(components)) if self.weights is None else as_real_array("weights", self.weights)
        if weights.shape != (len(components),) or np.any(weights < 0) or weights.sum() <= 0:
            fail("weights", f"{len(components)} non-negative finite numbers, not all zero", brief(self.weights))
        object.__setattr__(self, "components", components)
        object.__setattr__(self, "weights", tuple((weights / weights.sum()).tolist()))
        object.__setattr__(self, "dim", dims.pop())

    def sample(self, n: int, seed: Seed = None) -> torch.Tensor:
        n = _sample_count(n, self.dim)
        generator = make_generator(seed)
        which = torch.multinomial(
            torch.tensor(self.weights, dtype=torch.float64), n, replacement=True, generator=generator
        )
        out = torch.empty(n, self.dim, dtype=torch.float64)
        for k, component in enumerate(self.components):
            mask = which == k
            if mask.any():
                out[mask] = component.sample(int(mask.sum()), generator)
        return out

    def _density(self, xi: np.ndarray) -> np.ndarray:
        return sum(w * c._density(xi) for w, c in zip(self.weights, self.components, strict=True))

    @property
    def has_kernel(self) -> bool:
        return all(c.has_kernel for c in self.components)

    def _kernel(self, z: np.ndarray) -> np.ndarray:
        return sum(w * c._kernel(z) for w, c in zip(self.weights, self.components, strict=True))


@dataclass(frozen=True, eq=False)
class Empirical(FrequencyDistribution):
    """Gaussian kernel-density estimate built from frequency samples (n, d).

    rho(xi) = (1/n) Σ_j N(xi; w_j, h² I); ``bandwidth="scott"`` uses h = σ n^(-1/(d+4)) with σ the
    mean per-dimension standard deviation of the samples. k(z) = (1/n) Σ_j cos(2π w_j·z) e^{-2π² h² ``|z|²``}.
    """

    samples: np.ndarray
    bandwidth: float | str = "scott"
    dim: int = field(init=False)

    def __post_init__(self) -> None:
        samples = as_real_array("samples", self.samples)
        samples = _as_xi("samples", samples, samples.shape[1] if samples.ndim == 2 else 1)
        if len(samples) < 2:
            fail("samples", "at least two finite frequency samples", f"{len(samples)} samples")
        if isinstance(self.bandwidth, str) and self.bandwidth == "scott":
            spread = float(np.mean(np.std(samples, axis=0)))
            bandwidth = spread * len(samples) ** (-1.0 / (samples.shape[1] + 4))
            if bandwidth <= 0:
                fail("samples", "samples that are not all equal (bandwidth 'scott' would be 0)", "identical samples")
        else:
            bandwidth = check_positive_float("bandwidth", self.bandwidth)
        object.__setattr__(self, "samples", samples)
        object.__setattr__(self, "bandwidth", bandwidth)
        object.__setattr__(self, "dim", samples.shape[1])

    def sample(self, n: int, seed: Seed = None) -> torch.Tensor:
        n = _sample_count(n, self.dim)
        generator = make_generator(seed)
        index = torch.randint(0, len(self.samples), (n,), generator=generator)
        noise = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)
        return torch.as_tensor(self.samples)[index] + self.bandwidth * noise

    def _density(self, xi: np.ndarray, chunk: int = 4096) -> np.ndarray:
        h2 = self.bandwidth**2
        norm = (2 * math.pi * h2) ** (self.dim / 2) * len(self.samples)
        out = np.empty(len(xi))
        for start in range(0, len(xi), chunk):  # bounded memory: chunk × n_samples at a time
            block = xi[start : start + chunk]
            r2 = np.sum((block[:, None, :] - self.samples[None, :, :]) ** 2, axis=2)
            out[start : start + chunk] = np.exp(-r2 / (2 * h2)).sum(axis=1) / norm
        return out

    def _kernel(self, z: np.ndarray) -> np.ndarray:
        phases = np.cos(2 * math.pi * z @ self.samples.T).mean(axis=1)
        return phases * np.exp(-2 * math.pi**2 * self.bandwidth**2 * np.sum(z**2, axis=1))


@dataclass(frozen=True)
class Symmetrized(FrequencyDistribution):
    """±w with equal odds for w ~ base: density (rho(xi) + rho(-xi)) / 2, the same k(z)."""

    base: FrequencyDistribution
    dim: int = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.base, FrequencyDistribution):
            fail("base", "a FrequencyDistribution", type(self.base).__name__, TypeError)
        object.__setattr__(self, "dim", self.base.dim)

    def sample(self, n: int, seed: Seed = None) -> torch.Tensor:
        generator = make_generator(seed)
        w = self.base.sample(n, generator)
        signs = torch.randint(0, 2, (len(w), 1), generator=generator, dtype=torch.float64) * 2 - 1
        return w * signs

    def _density(self, xi: np.ndarray) -> np.ndarray:
        return 0.5 * (self.base._density(xi) + self.base._density(-xi))

    @property
    def has_kernel(self) -> bool:
        return self.base.has_kernel

    def _kernel(self, z: np.ndarray) -> np.ndarray:
        return self.base._kernel(z)

    def symmetrized(self) -> FrequencyDistribution:
        return self
