"""Closed-form (infinite-width) kernels: the NTK Θ, against which empirical kernels of wide networks
converge, and the NNGP kernel K(x, x') = E[f_o(x) f_o(x')], the covariance of each output over the
random initialisation (the Gaussian process the network is at initialisation). Both are per output:
different outputs are independent, Θ_op = Θ δ_op and K_op = K δ_op (the trace over c outputs is c Θ).

- Two-layer Fourier network (docs/theory.rst, "Network and kernel"), f = m^(-1/2) Σ_j [a_j cos(2π w_j·x)
  + b_j sin(2π w_j·x)] with w_j ~ rho_w and a_j, b_j ~ N(0, sigma_a²), all trained:

      Θ(x, x') = (1 + 4π² sigma_a² x·x') k(x - x'),   k(z) = ∫ cos(2π w·z) rho_w(w) dw,
      K(x, x') = sigma_a² k(x - x')   (exact at every width m; 0 for ``doubled=True``, where f ≡ 0),

  the 1 from training a and b, the x·x' term from training the frequencies (dropped when they are
  frozen). k comes from the distribution's ``kernel()`` (closed form for Gaussian, uniform, mixtures
  of those, ... see :mod:`spectra.frequencies`), evaluated in NumPy.

- ReLU MLP with D hidden layers and input dimension d: layer l = 1..D+1 (D+1 the output layer) maps
  a_(l-1) (a_0 = x) to z_l = (sigma_w,l/√fan_in) W_l a_(l-1) + sigma_b,l b_l with W_l, b_l ~ N(0, 1), and
  a_l = relu(z_l): the NTK parameterisation of :class:`~spectra.models.Dense` (one sigma_w, sigma_b for every
  layer), or, for the NNGP, any Gaussian initialisation with Var(W_ij) = sigma_w,l²/fan_in and Var(b_i) =
  sigma_b,l² (the same distribution of z_l). Σˡ is the covariance of z_l: with Σ¹(x, x') = sigma_w,1² x·x'/d
  + sigma_b,1² and Θ¹ = Σ¹, for l = 1..D (arc-cosine kernels of degree 1 and 0):

      θˡ = arccos( Σˡ(x, x') / √(Σˡ(x, x) Σˡ(x', x')) ),
      Σˡ⁺¹(x, x') = sigma_w,l+1² √(Σˡ(x, x) Σˡ(x', x')) (sin θˡ + (π - θˡ) cos θˡ) / (2π) + sigma_b,l+1²,
      Σ̇ˡ⁺¹(x, x') = sigma_w,l+1² (π - θˡ) / (2π),
      Θˡ⁺¹ = Σˡ⁺¹ + Σ̇ˡ⁺¹ Θˡ,

  (the diagonal Σˡ⁺¹(x, x) = sigma_w,l+1² Σˡ(x, x)/2 + sigma_b,l+1²); the NTK is Θ^(D+1) (NTK
  parameterisation) and the NNGP kernel is K = Σ^(D+1). The empirical NTK approaches Θ at rate
  O(width^(-1/2)); the output covariance equals K exactly for one hidden layer and approaches it at rate
  O(1/width) for more.

  The angles are computed without cancellation (arccos of a rounded cosine near 1 loses half the
  digits): θ¹ = 2 atan2(``|û - û'|``, ``|û + û'|``) with û = u/``|u|`` the unit augmented inputs, u = (sigma_w,1 x/√d,
  sigma_b,1) (so Σ¹ = u·u'); then, with s = sigma_w,l+1²/2, b = sigma_b,l+1², n = √(Σˡ(x, x) Σˡ(x', x')),
  P = Σˡ⁺¹(x, x) Σˡ⁺¹(x', x') and Δ = √P - Σˡ⁺¹(x, x') (= √P (1 - cos θˡ⁺¹)) evaluated as a sum of
  non-negative terms,

      Δ = s b (√Σˡ(x, x) - √Σˡ(x', x'))² / (√P + s n + b) + (sigma_w,l+1² / 2π) n (2π sin²(θˡ/2) - sin θˡ + θˡ cos θˡ),
      θˡ⁺¹ = 2 atan2(√Δ, √(√P + Σˡ⁺¹(x, x'))).

  Equal inputs have θ = 0 exactly at every layer.

Kernels are float64 tensors on the device of x1, of shape (N1, N2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from spectra._validation import (
    as_per_item,
    as_points,
    brief,
    check_memory,
    check_positive_float,
    check_positive_int,
    fail,
)
from spectra.frequencies import FrequencyDistribution
from spectra.models import MLP, TwoLayerFourierNet
from spectra.models.layers import Dense, gaussian_weight_variance

# Float64 work arrays of N1 × N2 entries (or N1 × N2 × d differences) a closed-form kernel holds at once (the
# ReLU recursion peaks at about 16, the result included, measured on a 3000 × 3000 kernel).
KERNEL_WORK_ARRAYS = 17


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


def _check_rho_w(rho_w: FrequencyDistribution) -> None:
    if not isinstance(rho_w, FrequencyDistribution):
        fail("rho_w", "a FrequencyDistribution (spectra.frequencies)", type(rho_w).__name__, TypeError)
    if not rho_w.has_kernel:
        fail("rho_w", "a distribution with a closed-form kernel k(z)", type(rho_w).__name__)


def _frequency_kernel(x1: torch.Tensor, x2: torch.Tensor, rho_w: FrequencyDistribution) -> torch.Tensor:
    """k(x - x') = ∫ cos(2π w·(x - x')) rho_w(w) dw, (N1, N2) on x1's device."""
    if x1.shape[1] != rho_w.dim:
        fail("x1", f"points in {rho_w.dim} dimension(s), like rho_w", f"shape {tuple(x1.shape)}")
    differences = (x1[:, None, :] - x2[None, :, :]).reshape(-1, x1.shape[1])
    k = torch.from_numpy(np.asarray(rho_w.kernel(differences.cpu().numpy()))).reshape(len(x1), len(x2))
    return k.to(x1.device)


def two_layer_fourier_ntk(
    x1: torch.Tensor,
    x2: torch.Tensor | None = None,
    *,
    rho_w: FrequencyDistribution,
    sigma_a: float,
    train_frequencies: bool = True,
) -> torch.Tensor:
    """Θ(x, x') = (1 + 4π² sigma_a² x·x') k(x - x') (module docstring); (N1, N2) float64."""
    _check_rho_w(rho_w)
    sigma_a = check_positive_float("sigma_a", sigma_a)
    x1, x2 = _pair(x1, x2)
    k = _frequency_kernel(x1, x2, rho_w)
    if not train_frequencies:
        return k
    return (1 + 4 * math.pi**2 * sigma_a**2 * (x1 @ x2.T)) * k


def two_layer_fourier_nngp(
    x1: torch.Tensor, x2: torch.Tensor | None = None, *, rho_w: FrequencyDistribution, sigma_a: float
) -> torch.Tensor:
    """K(x, x') = sigma_a² k(x - x') (module docstring): the output covariance at any width; (N1, N2) float64."""
    _check_rho_w(rho_w)
    sigma_a = check_positive_float("sigma_a", sigma_a)
    return sigma_a**2 * _frequency_kernel(*_pair(x1, x2), rho_w)


class _Layer(NamedTuple):
    """Σˡ of one layer's pre-activations: Σˡ(x, x) (N1,), Σˡ(x', x') (N2,), Σˡ(x, x') and θˡ, both (N1, N2)."""

    diag1: torch.Tensor
    diag2: torch.Tensor
    cross: torch.Tensor
    angle: torch.Tensor


def _unit_rows(u: torch.Tensor) -> torch.Tensor:
    norms = u.norm(dim=1, keepdim=True)
    return torch.where(norms > 0, u / torch.where(norms > 0, norms, 1.0), 0.0)


def _divide(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a / b where b > 0, else 0 (terms whose numerator vanishes with b)."""
    return torch.where(b > 0, a / torch.where(b > 0, b, 1.0), 0.0)


def _first_layer(x1: torch.Tensor, x2: torch.Tensor, weight_variance: float, bias_variance: float) -> _Layer:
    """Σ¹ = u·u' and θ¹ = 2 atan2(``|û - û'|``, ``|û + û'|``) for u = (sigma_w x/√d, sigma_b) (module docstring)."""

    def augmented(x: torch.Tensor) -> torch.Tensor:
        bias = torch.full_like(x[:, :1], math.sqrt(bias_variance))
        return torch.cat([x * math.sqrt(weight_variance / x.shape[1]), bias], dim=1)

    u1, u2 = augmented(x1), augmented(x2)
    unit1, unit2 = _unit_rows(u1), _unit_rows(u2)
    mode = "donot_use_mm_for_euclid_dist"  # differences, not |a|² + |b|² - 2a·b: no cancellation
    angle = 2 * torch.atan2(torch.cdist(unit1, unit2, compute_mode=mode), torch.cdist(unit1, -unit2, compute_mode=mode))
    return _Layer((u1**2).sum(dim=1), (u2**2).sum(dim=1), u1 @ u2.T, angle)


def _relu_layer(layer: _Layer, weight_variance: float, bias_variance: float) -> tuple[_Layer, torch.Tensor]:
    """(Σˡ⁺¹ with θˡ⁺¹, Σ̇ˡ⁺¹) from Σˡ and θˡ through a ReLU and a layer of the given variances (module docstring)."""
    angle, half = layer.angle, weight_variance / 2
    sin, cos = torch.sin(angle), torch.cos(angle)
    norms = torch.sqrt(layer.diag1[:, None] * layer.diag2[None, :])
    cross = weight_variance * norms * (sin + (math.pi - angle) * cos) / (2 * math.pi) + bias_variance
    derivative = weight_variance * (math.pi - angle) / (2 * math.pi)
    diag1, diag2 = half * layer.diag1 + bias_variance, half * layer.diag2 + bias_variance
    root = torch.sqrt(diag1[:, None] * diag2[None, :])
    spread = (layer.diag1.sqrt()[:, None] - layer.diag2.sqrt()[None, :]) ** 2
    curvature = 2 * math.pi * torch.sin(angle / 2) ** 2 - (sin - angle * cos)  # π - J1(θ) >= 0
    gap = _divide(half * bias_variance * spread, root + half * norms + bias_variance) + (
        weight_variance / (2 * math.pi) * norms * curvature.clamp(min=0)
    )
    next_angle = 2 * torch.atan2(gap.sqrt(), (root + cross).sqrt())
    return _Layer(diag1, diag2, cross, next_angle), derivative


def _relu_kernels(
    x1: torch.Tensor, x2: torch.Tensor, weight_variances: Sequence[float], bias_variances: Sequence[float]
) -> tuple[torch.Tensor, torch.Tensor]:
    """(K = Σ^(D+1), Θ^(D+1)) of the ReLU MLP whose layers have these variances, first hidden to output."""
    layer = _first_layer(x1, x2, weight_variances[0], bias_variances[0])
    ntk = layer.cross
    for weight_variance, bias_variance in zip(weight_variances[1:], bias_variances[1:], strict=True):
        layer, derivative = _relu_layer(layer, weight_variance, bias_variance)
        ntk = layer.cross + derivative * ntk
    return layer.cross, ntk


def _layer_variances(argument: str, sigma: float | Sequence[float], n_layers: int, allow_zero: bool) -> list[float]:
    """sigma² for each of ``n_layers`` layers from one sigma or one per layer (finite; positive, or >= 0)."""
    values = as_per_item(argument, sigma, n_layers, "layer")
    if (values < 0).any() or (not allow_zero and (values == 0).any()):
        sign = "non-negative" if allow_zero else "positive"
        fail(argument, f"{sign} numbers: one for every layer, or one per layer ({n_layers})", brief(sigma))
    return (values**2).tolist()


def _relu_mlp(
    x1: torch.Tensor,
    x2: torch.Tensor | None,
    depth: int,
    sigma_w: float | Sequence[float],
    sigma_b: float | Sequence[float],
) -> tuple[torch.Tensor, torch.Tensor]:
    depth = check_positive_int("depth", depth)
    weight_variances = _layer_variances("sigma_w", sigma_w, depth + 1, allow_zero=False)
    bias_variances = _layer_variances("sigma_b", sigma_b, depth + 1, allow_zero=True)
    return _relu_kernels(*_pair(x1, x2), weight_variances, bias_variances)


def relu_mlp_ntk(
    x1: torch.Tensor,
    x2: torch.Tensor | None = None,
    *,
    depth: int,
    sigma_w: float | Sequence[float] = math.sqrt(2.0),
    sigma_b: float | Sequence[float] = 0.1,
) -> torch.Tensor:
    """Infinite-width NTK Θ^(D+1) of a ReLU MLP with ``depth`` hidden layers in the NTK parameterisation
    (module docstring; the defaults are :class:`~spectra.models.MLP`'s); (N1, N2) float64.

    ``sigma_w`` and ``sigma_b``: one value for every layer, or depth + 1 values (first hidden layer to output).
    """
    return _relu_mlp(x1, x2, depth, sigma_w, sigma_b)[1]


def relu_mlp_nngp(
    x1: torch.Tensor,
    x2: torch.Tensor | None = None,
    *,
    depth: int,
    sigma_w: float | Sequence[float] = math.sqrt(2.0),
    sigma_b: float | Sequence[float] = 0.1,
) -> torch.Tensor:
    """NNGP kernel K = Σ^(D+1), the covariance of each output at initialisation, of a ReLU MLP with ``depth``
    hidden layers and Gaussian weights of variances sigma_w,l²/fan_in and biases of variances sigma_b,l²
    (module docstring); arguments as in :func:`relu_mlp_ntk`; (N1, N2) float64."""
    return _relu_mlp(x1, x2, depth, sigma_w, sigma_b)[0]


def _model_points(model: nn.Module, x1: torch.Tensor, x2: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """x1 and x2 checked against the input dimension of a TwoLayerFourierNet or an MLP, then as in :func:`_pair`."""
    x1 = as_points("x1", x1, model.in_features)
    return _pair(x1, None if x2 is None else as_points("x2", x2, model.in_features))


def _dense_variances(layer: Dense) -> tuple[float, float]:
    """(sigma_w², sigma_b²) of one layer's initial draws: Var(z_i) = sigma_w² ``|a|²``/fan_in + sigma_b² for input a."""
    if layer.parameterization == "ntk":
        return layer.weight_scale**2 * layer.in_features, layer.bias_scale**2
    if layer.init == "torch":
        fail(
            "model",
            "an MLP with Gaussian initial weights (parameterization='ntk', or init 'he', 'xavier' or 'normal'); "
            "init='torch' draws uniform weights, whose first-layer pre-activations are not Gaussian",
            "an MLP with init='torch'",
        )
    return gaussian_weight_variance(layer.init, layer.in_features, layer.out_features) * layer.in_features, 0.0


def analytic_ntk(model: nn.Module, x1: torch.Tensor, x2: torch.Tensor | None = None) -> torch.Tensor:
    """The infinite-width NTK matching ``model``'s architecture and hyperparameters (per output).

    Covers :class:`~spectra.models.TwoLayerFourierNet` (with a and b trained; the x·x' term when
    its frequencies are trained) and :class:`~spectra.models.MLP` with ReLU in the NTK
    parameterisation, all parameters trained. ``x1`` and ``x2`` must have the model's input dimension.
    """
    if isinstance(model, TwoLayerFourierNet):
        if not (model.a.requires_grad and model.b.requires_grad):
            fail("model", "a TwoLayerFourierNet whose output weights a and b are trained", "frozen a or b")
        return two_layer_fourier_ntk(
            *_model_points(model, x1, x2),
            rho_w=model.rho_w,
            sigma_a=model.sigma_a,
            train_frequencies=model.frequencies.requires_grad,
        )
    if isinstance(model, MLP) and model.activation_name == "relu" and model.parameterization == "ntk":
        if not all(p.requires_grad for p in model.parameters()):
            fail("model", "an MLP with every parameter trained", "an MLP with frozen parameters")
        variances = [_dense_variances(layer) for layer in model.layers]
        return _relu_kernels(*_model_points(model, x1, x2), *zip(*variances, strict=True))[1]
    fail("model", "a TwoLayerFourierNet or a ReLU MLP in the NTK parameterisation", type(model).__name__, TypeError)


def analytic_nngp(model: nn.Module, x1: torch.Tensor, x2: torch.Tensor | None = None) -> torch.Tensor:
    """The NNGP kernel K(x, x') = E[f_o(x) f_o(x')] of ``model``'s initialisation (per output; module docstring).

    Covers :class:`~spectra.models.TwoLayerFourierNet` (sigma_a² k(x - x'), exact at every width; 0 when
    ``doubled``) and :class:`~spectra.models.MLP` with ReLU and Gaussian initial weights: the NTK
    parameterisation, or the standard one with init 'he' (sigma_w² = 2), 'xavier' (sigma_w,l² =
    2 fan_in/(fan_in + fan_out)) or 'normal' (sigma_w,l² = fan_in), zero biases. It describes the
    initialisation distribution, whatever the current parameter values. ``x1`` and ``x2`` must have the
    model's input dimension. Compare with :func:`~spectra.ntk.nngp.empirical_nngp`.
    """
    if isinstance(model, TwoLayerFourierNet):
        x1, x2 = _model_points(model, x1, x2)
        kernel = two_layer_fourier_nngp(x1, x2, rho_w=model.rho_w, sigma_a=model.sigma_a)
        return torch.zeros_like(kernel) if model.doubled else kernel
    if isinstance(model, MLP) and model.activation_name == "relu":
        variances = [_dense_variances(layer) for layer in model.layers]
        return _relu_kernels(*_model_points(model, x1, x2), *zip(*variances, strict=True))[0]
    fail("model", "a TwoLayerFourierNet or a ReLU MLP", type(model).__name__, TypeError)
