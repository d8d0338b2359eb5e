"""Closed-form (infinite-width) NTKs, against which empirical kernels of wide networks converge.

- Two-layer Fourier network (reference/frequency-pde.md, section 2), f = m^(-1/2) Σ_j [a_j cos(2π w_j·x)
  + b_j sin(2π w_j·x)] with w_j ~ rho_w and a_j, b_j ~ N(0, sigma_a²), all trained:

      Θ(x, x') = (1 + 4π² sigma_a² x·x') k(x - x'),   k(z) = ∫ cos(2π w·z) rho_w(w) dw,

  the 1 from training a and b, the x·x' term from training the frequencies (dropped when they are
  frozen). k comes from the distribution's ``kernel()`` (closed form for Gaussian, uniform, mixtures
  of those, ... see :mod:`spectra.frequencies`), evaluated in NumPy.

- ReLU MLP in the NTK parameterisation of :class:`~spectra.models.Dense`, z_(l+1) =
  (sigma_w/√fan_in) W a_l + sigma_b b with W, b ~ N(0, 1), D hidden layers, input dimension d. With
  Σ¹(x, x') = sigma_w² x·x'/d + sigma_b² and Θ¹ = Σ¹, for l = 1..D (arc-cosine kernels of degree 1 and 0):

      θ = arccos( Σˡ(x, x') / √(Σˡ(x, x) Σˡ(x', x')) ),
      Σˡ⁺¹(x, x') = sigma_w² √(Σˡ(x, x) Σˡ(x', x')) (sin θ + (π - θ) cos θ) / (2π) + sigma_b²,
      Σ̇ˡ⁺¹(x, x') = sigma_w² (π - θ) / (2π),
      Θˡ⁺¹ = Σˡ⁺¹ + Σ̇ˡ⁺¹ Θˡ,

  and the NTK of each output is Θ^(D+1) (different outputs are independent: Θ_op = Θ δ_op, so the
  trace over c outputs is c Θ). The empirical NTK approaches these at rate O(width^(-1/2)).

Kernels are float64 tensors on the device of x1, of shape (N1, N2).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from spectra._validation import as_points, brief, check_memory, check_positive_float, check_positive_int, fail
from spectra.frequencies import FrequencyDistribution
from spectra.models import MLP, TwoLayerFourierNet

# Float64 work arrays of N1 × N2 entries (or N1 × N2 × d differences) a closed-form kernel holds at once.
KERNEL_WORK_ARRAYS = 8


def _pair(x1: torch.Tensor, x2: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Both point sets in float64 on x1's device, after checking that their (N1, N2) kernel fits in memory."""
    x1 = as_points("x1", x1, dtype=torch.float64)
    x2 = x1 if x2 is None else as_points("x2", x2, x1.shape[1], dtype=torch.float64, device=x1.device)
    argument, points = ("x1", x1) if len(x1) >= len(x2) else ("x2", x2)
    check_memory(
        argument,
        brief(points),
        len(x1) * len(x2) * (KERNEL_WORK_ARRAYS + x1.shape[1]) * 8,
        subject=f"a {len(x1)} × {len(x2)} kernel",
        advice="use fewer points, or the matrix-free ntk_operator / top_eigenpairs of a network",
    )
    return x1, x2


def two_layer_fourier_ntk(
    x1: torch.Tensor,
    x2: torch.Tensor | None = None,
    *,
    rho_w: FrequencyDistribution,
    sigma_a: float,
    train_frequencies: bool = True,
) -> torch.Tensor:
    """Θ(x, x') = (1 + 4π² sigma_a² x·x') k(x - x') (module docstring); (N1, N2) float64."""
    if not isinstance(rho_w, FrequencyDistribution):
        fail("rho_w", "a FrequencyDistribution (spectra.frequencies)", type(rho_w).__name__, TypeError)
    if not rho_w.has_kernel:
        fail("rho_w", "a distribution with a closed-form kernel k(z)", type(rho_w).__name__)
    sigma_a = check_positive_float("sigma_a", sigma_a)
    x1, x2 = _pair(x1, x2)
    if x1.shape[1] != rho_w.dim:
        fail("x1", f"points in {rho_w.dim} dimension(s), like rho_w", f"shape {tuple(x1.shape)}")
    differences = (x1[:, None, :] - x2[None, :, :]).reshape(-1, x1.shape[1])
    k = torch.from_numpy(np.asarray(rho_w.kernel(differences.cpu().numpy()))).reshape(len(x1), len(x2))
    k = k.to(x1.device)
    if not train_frequencies:
        return k
    return (1 + 4 * math.pi**2 * sigma_a**2 * (x1 @ x2.T)) * k


def relu_mlp_ntk(
    x1: torch.Tensor,
    x2: torch.Tensor | None = None,
    *,
    depth: int,
    sigma_w: float = math.sqrt(2.0),
    sigma_b: float = 0.1,
) -> torch.Tensor:
    """Infinite-width NTK of a ReLU MLP with ``depth`` hidden layers in the NTK parameterisation
    (module docstring; the defaults are :class:`~spectra.models.MLP`'s); (N1, N2) float64."""
    depth = check_positive_int("depth", depth)
    sigma_w = check_positive_float("sigma_w", sigma_w)
    sigma_b = check_positive_float("sigma_b", sigma_b, allow_zero=True)
    x1, x2 = _pair(x1, x2)
    d = x1.shape[1]
    cross = sigma_w**2 * (x1 @ x2.T) / d + sigma_b**2
    diag1 = sigma_w**2 * (x1**2).sum(dim=1) / d + sigma_b**2
    diag2 = sigma_w**2 * (x2**2).sum(dim=1) / d + sigma_b**2
    theta = cross
    for _ in range(depth):
        norms = torch.sqrt(diag1[:, None] * diag2[None, :])
        cosine = torch.where(norms > 0, cross / torch.where(norms > 0, norms, 1.0), 1.0).clamp(-1.0, 1.0)
        angle = torch.arccos(cosine)
        cross = sigma_w**2 * norms * (torch.sin(angle) + (math.pi - angle) * cosine) / (2 * math.pi) + sigma_b**2
        theta = cross + sigma_w**2 * (math.pi - angle) / (2 * math.pi) * theta
        diag1 = sigma_w**2 * diag1 / 2 + sigma_b**2  # E[relu(u)²] = Var(u) / 2
        diag2 = sigma_w**2 * diag2 / 2 + sigma_b**2
    return theta


def analytic_ntk(model: nn.Module, x1: torch.Tensor, x2: torch.Tensor | None = None) -> torch.Tensor:
    """The infinite-width NTK matching ``model``'s architecture and hyperparameters (per output).

    Covers :class:`~spectra.models.TwoLayerFourierNet` (with a and b trained; the x·x' term when
    its frequencies are trained) and :class:`~spectra.models.MLP` with ReLU in the NTK
    parameterisation, all parameters trained. ``x1`` and ``x2`` must have the model's input dimension.
    """
    if isinstance(model, (TwoLayerFourierNet, MLP)):
        x1 = as_points("x1", x1, model.in_features)
        x2 = None if x2 is None else as_points("x2", x2, model.in_features)
    if isinstance(model, TwoLayerFourierNet):
        if not (model.a.requires_grad and model.b.requires_grad):
            fail("model", "a TwoLayerFourierNet whose output weights a and b are trained", "frozen a or b")
        return two_layer_fourier_ntk(
            x1, x2, rho_w=model.rho_w, sigma_a=model.sigma_a, train_frequencies=model.frequencies.requires_grad
        )
    if isinstance(model, MLP) and model.activation_name == "relu" and model.parameterization == "ntk":
        if not all(p.requires_grad for p in model.parameters()):
            fail("model", "an MLP with every parameter trained", "an MLP with frozen parameters")
        first = model.layers[0]
        sigma_w = first.weight_scale * math.sqrt(first.in_features)
        return relu_mlp_ntk(x1, x2, depth=model.depth, sigma_w=sigma_w, sigma_b=first.bias_scale)
    fail("model", "a TwoLayerFourierNet or a ReLU MLP in the NTK parameterisation", type(model).__name__, TypeError)
