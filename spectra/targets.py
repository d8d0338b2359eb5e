"""Target functions with known spectra and domains.

Conventions (docs/conventions.rst): frequencies in cycles per unit length; the Fourier
transform is g_hat(xi) = ∫ g(x) exp(-2πi xi·x) dx.

A target is called on points of shape (n, d) and returns values of shape (n, 1); a torch tensor
gives a tensor (differentiable, on the same device and dtype), a NumPy array gives an array.
Each target knows its ``domain`` (a :class:`~spectra.domain.Box`). Targets made of sinusoids
expose their ``line_spectrum()`` (frequencies and amplitudes); targets that are integrable on
R^d expose their analytic ``fourier_transform(xi)``.

Families:

- :class:`SumOfSines`, g(x) = Σ_k A_k sin(2π κ_k·x + 2π φ_k): Rahaman et al.'s targets
  (:func:`rahaman`), the multiscale functions of the RepNet studies (:func:`multiscale_1d`,
  :func:`multiscale_4d`) and Tancik et al.'s power-law random signals (:func:`power_law_signal`).
- :class:`WindowedCosines`, g(x) = exp(-``|x - x0|²`` / (2 ℓ²)) Σ_k A_k cos(2π κ_k·x): smooth and
  decaying, with a compact (Gaussian-bump) spectrum, for the frequency PDE.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np
import torch

from spectra._validation import (
    as_per_item,
    as_points,
    as_real_array,
    brief,
    check_choice,
    check_memory,
    check_positive_float,
    check_positive_int,
    check_real,
    fail,
)
from spectra.domain import Box, BoxLike, as_box
from spectra.seeding import Seed, numpy_rng

# Float64 arrays per term that a target built from K terms holds (frequencies, amplitudes, phases, copies).
ARRAYS_PER_TERM = 8


def _frequency_matrix(argument: str, frequencies: np.ndarray | Sequence, dim: int | None) -> np.ndarray:
    k = as_real_array(argument, frequencies)
    if k.ndim == 1:  # K scalar frequencies in 1-D, or one frequency vector in d-D
        k = k[:, None] if dim in (None, 1) else k[None, :]
    if k.ndim != 2 or (dim is not None and k.shape[1] != dim) or len(k) == 0:
        fail(argument, f"a non-empty array of finite frequencies of shape (K, {dim or 'd'})", f"shape {k.shape}")
    return k


def _check_terms(argument: str, given: object, n_terms: int) -> None:
    """Refuse targets with more terms than memory holds, before any array is made."""
    check_memory(
        argument,
        given,
        n_terms * ARRAYS_PER_TERM * 8,
        subject=f"a sum of {n_terms} sinusoids",
        advice=f"use fewer terms ({argument})",
    )


class Target(ABC):
    """A function g: R^d -> R with a domain (see module docstring)."""

    domain: Box

    @property
    def dim(self) -> int:
        return self.domain.dim

    @abstractmethod
    def _evaluate(self, x: torch.Tensor) -> torch.Tensor:
        """g at points x (n, d) as a tensor of shape (n,)."""

    @overload
    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...
    @overload
    def __call__(self, x: np.ndarray) -> np.ndarray: ...
    def __call__(self, x):
        numpy_in = isinstance(x, np.ndarray)
        points = as_points("x", x, self.dim)
        values = self._evaluate(points)[:, None]
        return values.detach().cpu().numpy() if numpy_in else values

    @property
    def has_fourier_transform(self) -> bool:
        return type(self).fourier_transform is not Target.fourier_transform

    def fourier_transform(self, xi: np.ndarray) -> np.ndarray:
        """Analytic g_hat(xi) = ∫ g(x) exp(-2πi xi·x) dx at xi (n, d); complex array (n,)."""
        raise NotImplementedError(
            f"{type(self).__name__} has no Fourier transform as a function (it is not integrable on R^d); "
            "use line_spectrum() for its frequencies and amplitudes"
        )

    def line_spectrum(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Frequencies (K, d) and amplitudes (K,) of a sum of sinusoids; None otherwise."""
        return None


@dataclass(frozen=True, eq=False)
class SumOfSines(Target):
    """g(x) = Σ_k A_k sin(2π κ_k·x + 2π φ_k) on ``domain``; κ in cycles per unit, φ in cycles."""

    frequencies: np.ndarray
    amplitudes: np.ndarray | float = 1.0
    phases: np.ndarray | float = 0.0
    domain: BoxLike = (0.0, 1.0)

    def __post_init__(self) -> None:
        domain = as_box("domain", self.domain)
        k = _frequency_matrix("frequencies", self.frequencies, domain.dim)
        object.__setattr__(self, "domain", domain)
        object.__setattr__(self, "frequencies", k)
        object.__setattr__(self, "amplitudes", as_per_item("amplitudes", self.amplitudes, len(k), "term"))
        object.__setattr__(self, "phases", as_per_item("phases", self.phases, len(k), "term"))

    def _evaluate(self, x: torch.Tensor) -> torch.Tensor:
        k = torch.as_tensor(self.frequencies, dtype=x.dtype, device=x.device)
        a = torch.as_tensor(self.amplitudes, dtype=x.dtype, device=x.device)
        phi = torch.as_tensor(self.phases, dtype=x.dtype, device=x.device)
        return torch.sin(2 * math.pi * (x @ k.T + phi)) @ a

    def line_spectrum(self) -> tuple[np.ndarray, np.ndarray]:
        return self.frequencies.copy(), np.abs(self.amplitudes)


@dataclass(frozen=True, eq=False)
class WindowedCosines(Target):
    """g(x) = exp(-``|x - x0|²`` / (2 ℓ²)) Σ_k A_k cos(2π κ_k·x).

    Fourier transform (convention exp(-2πi xi·x)), with G(xi) = (2π ℓ²)^(d/2) exp(-2π² ℓ² ``|xi|²``):
        g_hat(xi) = Σ_k (A_k / 2) [ G(xi - κ_k) e^{-2πi (xi - κ_k)·x0} + G(xi + κ_k) e^{-2πi (xi + κ_k)·x0} ].
    """

    frequencies: np.ndarray
    amplitudes: np.ndarray | float = 1.0
    width: float = 1.0
    center: np.ndarray | float = 0.0
    domain: BoxLike | None = None

    def __post_init__(self) -> None:
        width = check_positive_float("width", self.width)
        k = _frequency_matrix("frequencies", self.frequencies, None)
        center = as_per_item("center", self.center, k.shape[1], "dimension of the frequencies")
        domain = (
            Box(tuple(center - 8 * width), tuple(center + 8 * width))
            if self.domain is None
            else as_box("domain", self.domain)
        )
        if domain.dim != k.shape[1]:
            fail("domain", f"a box in {k.shape[1]} dimension(s), like the frequencies", domain)
        object.__setattr__(self, "width", width)
        object.__setattr__(self, "frequencies", k)
        object.__setattr__(self, "amplitudes", as_per_item("amplitudes", self.amplitudes, len(k), "term"))
        object.__setattr__(self, "center", center)
        object.__setattr__(self, "domain", domain)

    def _evaluate(self, x: torch.Tensor) -> torch.Tensor:
        k = torch.as_tensor(self.frequencies, dtype=x.dtype, device=x.device)
        a = torch.as_tensor(self.amplitudes, dtype=x.dtype, device=x.device)
        x0 = torch.as_tensor(self.center, dtype=x.dtype, device=x.device)
        window = torch.exp(-((x - x0) ** 2).sum(dim=1) / (2 * self.width**2))
        return window * (torch.cos(2 * math.pi * x @ k.T) @ a)

    def fourier_transform(self, xi: np.ndarray) -> np.ndarray:
        xi = as_points("xi", as_real_array("xi", xi), self.dim).numpy()
        norm = (2 * math.pi * self.width**2) ** (self.dim / 2)

        def shifted_window(shift: np.ndarray) -> np.ndarray:  # transform of the window, evaluated at xi - shift
            q = xi - shift
            return norm * np.exp(
                -2 * math.pi**2 * self.width**2 * np.sum(q**2, axis=1) - 2j * math.pi * q @ self.center
            )

        return sum(
            a / 2 * (shifted_window(k) + shifted_window(-k))
            for a, k in zip(self.amplitudes, self.frequencies, strict=True)
        )


def rahaman(amplitudes: str = "equal", seed: Seed = 0, n_terms: int = 10, spacing: float = 5.0) -> SumOfSines:
    """Rahaman et al. (2019): Σ_i A_i sin(2π k_i z + 2π φ_i) on [0, 1), k_i = 5, 10, ..., 50.

    ``amplitudes="equal"`` gives A_i = 1; ``"increasing"`` gives A_i = 0.1, 0.2, ..., 1.0.
    Phases φ_i ~ U(0, 1) drawn from ``seed``.
    """
    check_choice("amplitudes", amplitudes, ("equal", "increasing"))
    n_terms = check_positive_int("n_terms", n_terms)
    spacing = check_positive_float("spacing", spacing)
    _check_terms("n_terms", n_terms, n_terms)
    k = spacing * np.arange(1, n_terms + 1)
    a = np.ones(n_terms) if amplitudes == "equal" else np.arange(1, n_terms + 1) / n_terms
    phases = numpy_rng(seed).uniform(0.0, 1.0, n_terms)
    return SumOfSines(k, a, phases, domain=(0.0, 1.0))


def multiscale_1d(
    frequencies: Sequence[float] = (1.0, 25.0),
    amplitudes: Sequence[float] = (1.0, 0.1),
    domain: BoxLike = (0.0, 1.0),
) -> SumOfSines:
    """Σ_i A_i sin(2π k_i x); the default is sin(2πx) + 0.1 sin(50πx) on [0, 1] (RepNet, PINN)."""
    box = as_box("domain", domain)
    if box.dim != 1:
        fail("domain", "an interval (lo, hi): multiscale_1d is a function of one variable", box)
    return SumOfSines(frequencies, amplitudes, 0.0, box)


def multiscale_4d(low: float = 1.0, high: float = 8.0, amplitudes: tuple[float, float] = (1.0, 0.2)) -> SumOfSines:
    """Σ_j [A_low sin(2π·low·x_j) + A_high sin(2π·high·x_j)] on [0, 1]^4: two scales along every axis."""
    low, high = check_real("low", low), check_real("high", high)
    amplitude = as_real_array("amplitudes", amplitudes)
    if amplitude.shape != (2,):
        fail("amplitudes", "two numbers (A_low, A_high)", brief(amplitudes))
    eye = np.eye(4)
    k = np.concatenate([low * eye, high * eye])
    a = np.repeat(amplitude, 4)
    return SumOfSines(k, a, 0.0, Box.cube(0.0, 1.0, 4))


def power_law_signal(n: int = 256, exponent: float = 1.0, seed: Seed = 0) -> SumOfSines:
    """Tancik et al. (2020) 1-D random signal for an ``n``-point grid on [0, 1).

    Integer frequencies k = 1, ..., n/4 (the bins above n/4 are zero) with amplitude k^-exponent and
    phases φ_k ~ U(0, 1): g(x) = Σ_k k^-exponent sin(2π k x + 2π φ_k), periodic on [0, 1).
    """
    n = check_positive_int("n", n)
    if n < 8:
        fail("n", "at least 8 grid points (frequencies up to n/4)", n)
    exponent = check_positive_float("exponent", exponent, allow_zero=True)
    _check_terms("n", n, n // 4)
    k = np.arange(1, n // 4 + 1, dtype=float)
    return SumOfSines(k, k**-exponent, numpy_rng(seed).uniform(0.0, 1.0, len(k)), domain=(0.0, 1.0))


def windowed_cosines(
    frequencies: Sequence[float] = (2 / (2 * math.pi), 6 / (2 * math.pi)),
    amplitudes: Sequence[float] | float = 1.0,
    width: float = 1.5,
    center: float = 0.0,
    half_width: float = 12.0,
) -> WindowedCosines:
    """1-D Gaussian-windowed cosines on [center - half_width, center + half_width].

    The default is exp(-x²/4.5)(cos 2x + cos 6x) on [-12, 12] (docs/theory.rst, "A worked example"),
    whose frequencies 2 and 6 rad/unit are 1/π and 3/π cycles/unit.
    """
    center, half_width = check_real("center", center), check_positive_float("half_width", half_width)
    return WindowedCosines(frequencies, amplitudes, width, center, (center - half_width, center + half_width))


@dataclass(frozen=True, eq=False)
class Samples:
    """Training data: inputs ``x`` (n, d) and values ``y`` (n, 1) of a target on its domain."""

    x: torch.Tensor
    y: torch.Tensor
    target: Target | None = field(default=None, repr=False)


def sample_target(target: Target, points: torch.Tensor, noise: float = 0.0, seed: Seed = None) -> Samples:
    """Evaluate ``target`` at ``points`` (n, d), optionally adding N(0, noise²) observation noise."""
    if not isinstance(target, Target):
        fail("target", "a spectra.targets.Target", type(target).__name__, TypeError)
    x = as_points("points", points, target.dim)
    y = target(x)
    noise = check_positive_float("noise", noise, allow_zero=True)
    if noise > 0:
        rng = numpy_rng(seed)
        y = y + torch.as_tensor(rng.normal(0.0, noise, tuple(y.shape)), dtype=y.dtype, device=y.device)
    return Samples(x, y.detach(), target)
