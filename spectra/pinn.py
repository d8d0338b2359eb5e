"""Physics-informed problems: Poisson's equation, forward and inverse, and the PINN loss.

The problem (Ω a box in R^d, k > 0 a constant coefficient):

    -k Δu = f  in Ω,        u = g  on ∂Ω.

Every problem here has an exact solution u* that is a sum of sines (:class:`~spectra.targets.SumOfSines`),
u*(x) = Σ_j A_j sin(2π κ_j·x + 2π φ_j), so the forcing is known in closed form,

    f(x) = k Σ_j A_j (2π ``|κ_j|``)² sin(2π κ_j·x + 2π φ_j),

and g = u* on the boundary. A physics-informed network (Raissi, Perdikaris & Karniadakis 2019) is trained
by minimising, with spectra's mean-loss convention (1/2N) Σ ``|·|²`` for each term,

    L(θ) = (1/2N_r) Σ_i r(x_i)² / f̄²  +  λ_b (1/2N_b) Σ_b (u_θ(x_b) - g(x_b))²  +  λ_d (1/2N_d) Σ_o (u_θ(x_o) - y_o)²,

    r(x) = -k Δu_θ(x) - f(x),    f̄² = (1/N_r) Σ_i f(x_i)²,

over collocation points x_i in Ω, boundary points x_b and (inverse problems) observations y_o of u* at
sparse points x_o with noise. The residual term is divided by the mean square forcing f̄² so that
it is relative and the weights λ are comparable across problems: a multiscale solution makes f large,
since the Laplacian multiplies the amplitude of frequency ``|κ|`` by (2π|κ|)².

Laplacians are taken with autograd (second derivatives, so the network must be twice differentiable:
tanh or sin activations; the second derivative of a ReLU network vanishes almost everywhere).

Inverse problem: k is unknown. :class:`InverseModel` holds the network and a trainable k = exp(log k),
and :class:`PINNLoss` uses that k in the residual; the observations make the problem well posed
(with f known, the PDE alone fixes u only up to the factor k*/k).

Build a problem with :func:`multiscale_poisson_1d` (u* = sin(2πx) + 0.1 sin(50πx) on [0, 1]) or
:func:`multiscale_poisson_2d` (u* = sin(2πx) sin(2πy) + A sin(2π·h·x) sin(2π·h·y) on [0, 1]²), and
train with ``fit(model, x, None, objective=PINNLoss(...))`` (:func:`spectra.training.fit`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
from torch import nn

from spectra._validation import (
    as_points,
    as_real_array,
    brief,
    check_float_dtype,
    check_model,
    check_points_memory,
    check_positive_float,
    check_positive_int,
    check_real,
    check_same_length,
    fail,
)
from spectra.domain import Box, BoxLike, as_box, uniform_grid
from spectra.seeding import Seed
from spectra.targets import Samples, SumOfSines, multiscale_1d, sample_target


def laplacian(u: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """u(x) and Δu(x) = Σ_j ∂²u/∂x_j² by autograd, both of shape (n, 1), for a scalar u of x (n, d).

    The graph is kept (``create_graph=True``), so a loss built from Δu can be differentiated with respect to
    the parameters of u.
    """
    if not callable(u):
        fail("u", "a callable u(x) such as a network", type(u).__name__, TypeError)
    x = as_points("x", x).detach().requires_grad_(True)
    value = u(x)
    if value.dim() != 2 or value.shape[1] != 1:
        fail("u", "a function returning one output per point, shape (n, 1)", tuple(value.shape))
    (gradient,) = torch.autograd.grad(value.sum(), x, create_graph=True)
    total = torch.zeros_like(value)
    for j in range(x.shape[1]):
        (second,) = torch.autograd.grad(gradient[:, j].sum(), x, create_graph=True)
        total = total + second[:, j : j + 1]
    return value, total


def box_boundary(box: BoxLike, n_per_face: int, *, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Evenly spaced points on the faces of ``box``: ``n_per_face`` per axis of each face (corners included).

    In 1-D the boundary is the two end points (``n_per_face`` is ignored). In d-D each of the 2d faces carries
    a uniform grid of n_per_face^(d-1) points (endpoints included), so corners and edges appear on several
    faces; shape (2d · n_per_face^(d-1), d).
    """
    box = as_box("box", box)
    n_per_face = check_positive_int("n_per_face", n_per_face)
    dtype = check_float_dtype("dtype", dtype, allow_none=False)
    check_points_memory("n_per_face", n_per_face, 2 * box.dim * n_per_face ** (box.dim - 1), box.dim, dtype.itemsize)
    if box.dim == 1:
        return torch.tensor([[box.lo[0]], [box.hi[0]]], dtype=dtype)
    faces = []
    for axis in range(box.dim):
        others = [k for k in range(box.dim) if k != axis]
        face = Box(tuple(box.lo[k] for k in others), tuple(box.hi[k] for k in others))
        points = uniform_grid(face, n_per_face, endpoint=True, dtype=dtype)
        for level in (box.lo[axis], box.hi[axis]):
            faces.append(torch.cat([points[:, :axis], torch.full_like(points[:, :1], level), points[:, axis:]], 1))
    return torch.cat(faces)


@dataclass(frozen=True, eq=False)
class Poisson:
    """-k Δu = f on ``solution.domain`` with u = u* on the boundary (see module docstring)."""

    solution: SumOfSines
    coefficient: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.solution, SumOfSines):
            fail(
                "solution",
                "a spectra.targets.SumOfSines (its Laplacian is known in closed form)",
                type(self.solution).__name__,
                TypeError,
            )
        object.__setattr__(self, "coefficient", check_positive_float("coefficient", self.coefficient))

    @property
    def domain(self) -> Box:
        return self.solution.domain

    @property
    def dim(self) -> int:
        return self.domain.dim

    @cached_property
    def forcing(self) -> SumOfSines:
        """f = -k Δu* = k Σ_j A_j (2π|κ_j|)² sin(2π κ_j·x + 2π φ_j), as a target callable on points."""
        u = self.solution
        factor = self.coefficient * (2 * math.pi * np.linalg.norm(u.frequencies, axis=1)) ** 2
        return SumOfSines(u.frequencies, u.amplitudes * factor, u.phases, u.domain)

    def residual(
        self,
        u: Callable[[torch.Tensor], torch.Tensor],
        x: torch.Tensor,
        coefficient: torch.Tensor | float | None = None,
        *,
        forcing: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """r(x) = -k Δu(x) - f(x), shape (n, 1), with the autograd graph of Δu kept.

        k is the problem's unless ``coefficient`` is given; ``forcing``: f at x when already evaluated.
        """
        x = as_points("x", x, self.dim)
        _, lap = laplacian(u, x)
        k = self.coefficient if coefficient is None else coefficient
        return -k * lap - (self.forcing(x) if forcing is None else forcing)

    def observations(self, points: torch.Tensor, noise: float = 0.0, seed: Seed = None) -> Samples:
        """Values of u* at ``points`` with N(0, noise²) noise: the data of the inverse problem."""
        return sample_target(self.solution, points, noise, seed)


class InverseModel(nn.Module):
    """A network u_θ and an unknown PDE coefficient k = exp(log k) > 0, trained together.

    ``forward`` is the network's, so predictions, diagnostics and ``fit`` probes see u_θ; :class:`PINNLoss`
    uses :attr:`coefficient` in the residual.
    """

    def __init__(self, network: nn.Module, initial_coefficient: float = 1.0) -> None:
        super().__init__()
        self.network = check_model("network", network)
        reference = next(iter(network.parameters()), None)
        dtype = reference.dtype if reference is not None else torch.get_default_dtype()
        k0 = check_positive_float("initial_coefficient", initial_coefficient)
        self.log_coefficient = nn.Parameter(torch.tensor(math.log(k0), dtype=dtype))

    @property
    def coefficient(self) -> torch.Tensor:
        """The PDE coefficient k = exp(log k) > 0, a 0-d tensor (trained as ``log_coefficient``)."""
        return self.log_coefficient.exp()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)


class PINNLoss:
    """The physics-informed loss L(θ) of the module docstring, as an ``objective(model)`` for ``fit``.

    Parameters
    ----------
    problem
        The :class:`Poisson` problem (its forcing is what the residual is measured against).
    collocation
        Interior points (N_r, d).
    boundary
        Boundary points (N_b, d); the target there is u*.
    observations
        Observations (x_o, y_o) of u (``Poisson.observations``), or None for a forward problem.
    boundary_weight, data_weight
        λ_b and λ_d.

    Notes
    -----
    With an :class:`InverseModel`, the residual uses the model's trainable coefficient, otherwise the
    problem's (known) one.
    """

    def __init__(
        self,
        problem: Poisson,
        collocation: torch.Tensor,
        boundary: torch.Tensor,
        observations: Samples | None = None,
        *,
        boundary_weight: float = 1.0,
        data_weight: float = 1.0,
    ) -> None:
        if not isinstance(problem, Poisson):
            fail("problem", "a spectra.pinn.Poisson problem", type(problem).__name__, TypeError)
        self.problem = problem
        self.collocation = as_points("collocation", collocation, problem.dim)
        self.boundary = as_points("boundary", boundary, problem.dim)
        if observations is not None:
            if not isinstance(observations, Samples):
                fail(
                    "observations",
                    "spectra.targets.Samples (Poisson.observations) or None",
                    type(observations).__name__,
                    TypeError,
                )
            as_points("observations.x", observations.x, problem.dim)
            check_same_length("observations.x", observations.x, "observations.y", observations.y)
        self.observations = observations
        self.boundary_weight = check_positive_float("boundary_weight", boundary_weight, allow_zero=True)
        self.data_weight = check_positive_float("data_weight", data_weight, allow_zero=True)
        forcing = problem.forcing(self.collocation)
        scale = float((forcing**2).mean())
        if scale == 0.0:
            fail("collocation", "points where the forcing is not identically zero", "f = 0 at every point")
        # Everything but the model's output is fixed: evaluate it once (per dtype and device, see _data).
        self._fixed = {
            "collocation": self.collocation,
            "forcing": forcing,
            "forcing_scale": torch.tensor(scale, dtype=forcing.dtype),
            "boundary": self.boundary,
            "boundary_values": problem.solution(self.boundary),
        }
        if observations is not None:
            self._fixed.update(observed_x=observations.x, observed_y=observations.y)
        self._converted: dict[tuple[torch.dtype, torch.device], dict[str, torch.Tensor]] = {}

    def _data(self, reference: torch.Tensor) -> dict[str, torch.Tensor]:
        key = (reference.dtype, reference.device)
        if key not in self._converted:
            self._converted[key] = {k: v.to(reference) for k, v in self._fixed.items()}
        return self._converted[key]

    def terms(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """The loss terms: ``residual`` (relative), ``boundary`` and, with observations, ``data``."""
        data = self._data(next(iter(model.parameters())))
        coefficient = model.coefficient if isinstance(model, InverseModel) else self.problem.coefficient
        residual = self.problem.residual(model, data["collocation"], coefficient, forcing=data["forcing"])
        terms = {
            "residual": 0.5 * (residual**2).mean() / data["forcing_scale"],
            "boundary": 0.5 * ((model(data["boundary"]) - data["boundary_values"]) ** 2).mean(),
        }
        if self.observations is not None:
            terms["data"] = 0.5 * ((model(data["observed_x"]) - data["observed_y"]) ** 2).mean()
        return terms

    def __call__(self, model: nn.Module) -> torch.Tensor:
        terms = self.terms(model)
        total = terms["residual"] + self.boundary_weight * terms["boundary"]
        if "data" in terms:
            total = total + self.data_weight * terms["data"]
        return total


def multiscale_poisson_1d(
    frequencies: Sequence[float] = (1.0, 25.0),
    amplitudes: Sequence[float] = (1.0, 0.1),
    coefficient: float = 1.0,
) -> Poisson:
    """-k u'' = f on [0, 1], u* = sin(2πx) + 0.1 sin(50πx) by default (:func:`spectra.targets.multiscale_1d`).

    f = k [(2π)² sin(2πx) + 0.1 (50π)² sin(50πx)]; u*(0) = u*(1) = 0.
    """
    return Poisson(multiscale_1d(frequencies, amplitudes), coefficient)


def multiscale_poisson_2d(
    low: float = 1.0, high: float = 6.0, amplitudes: tuple[float, float] = (1.0, 0.1), coefficient: float = 1.0
) -> Poisson:
    """-k Δu = f on [0, 1]², u* = A_1 sin(2π·low·x) sin(2π·low·y) + A_2 sin(2π·high·x) sin(2π·high·y).

    Written as a sum of sines through sin a sin b = [sin(a - b + π/2) - sin(a + b + π/2)] / 2: frequencies
    (m, -m) and (m, m) with amplitudes ±A/2 and phase 1/4 cycle. With integer ``low`` and ``high`` u* = 0 on
    the boundary.
    """
    low, high = check_real("low", low), check_real("high", high)
    amplitude = as_real_array("amplitudes", amplitudes)
    if amplitude.shape != (2,):
        fail("amplitudes", "two numbers (A_1, A_2)", brief(amplitudes))
    rows, values = [], []
    for m, a in zip((low, high), amplitude.tolist(), strict=True):
        rows += [(m, -m), (m, m)]
        values += [a / 2, -a / 2]
    return Poisson(
        SumOfSines(np.asarray(rows, dtype=float), np.asarray(values), 0.25, Box.cube(0.0, 1.0, 2)), coefficient
    )
