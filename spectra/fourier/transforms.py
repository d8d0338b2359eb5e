"""Fourier transforms of values on scattered points: the non-uniform DFT and the continuous transform.

Convention (docs/conventions.rst): frequencies in cycles per unit length and

    nudft:          F(xi)     = Σ_j v_j exp(-2πi xi·x_j)
    continuous_ft:  u_hat(xi) = ∫ u(x) exp(-2πi xi·x) dx ≈ Σ_j w_j u(x_j) exp(-2πi xi·x_j)

for points x_j (n, d) and frequencies xi (k, d). Direct sums are evaluated in tiles of at most
``block`` phases, so memory stays O(block + n + k) whatever n × k is. NumPy inputs give NumPy
complex128 results; torch inputs give complex tensors on their device, in their precision.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from spectra._validation import (
    _Described,
    as_points,
    check_choice,
    check_positive_float,
    check_positive_int,
    describe,
    fail,
)
from spectra.fourier._arrays import as_tensor, as_values, common_device, complex_dtype, is_torch, real_dtype
from spectra.fourier.grid import grid_layout

# Phases per tile of the direct sum: about 8 MB per float64 work array.
DEFAULT_BLOCK = 2**20
# Below this many phases the direct sum beats finufft's set-up cost.
FINUFFT_MIN_SIZE = 2**22
METHODS = ("auto", "direct", "finufft")


def finufft_available() -> bool:
    try:
        import finufft  # noqa: F401
    except ImportError:
        return False
    return True


def direct_transform(x: torch.Tensor, c: torch.Tensor, xi: torch.Tensor, block: int = DEFAULT_BLOCK) -> torch.Tensor:
    """Σ_j c_jm exp(-2πi xi_k·x_j) for x (n, d), c (n, m) real or complex, xi (k, d): complex (k, m), tiled.

    Works on real arithmetic: with θ = 2π xi·x, exp(-iθ)(a + ib) = (a cos θ + b sin θ) + i(b cos θ - a sin θ).
    """
    n, k = len(x), len(xi)
    a = c.real if c.is_complex() else c
    b = c.imag if c.is_complex() else None
    rows = min(n, block)
    freqs_per_tile = max(1, block // rows)
    real = torch.zeros(k, c.shape[1], dtype=x.dtype, device=x.device)
    imag = torch.zeros_like(real)
    for k0 in range(0, k, freqs_per_tile):
        xi_tile = xi[k0 : k0 + freqs_per_tile]
        for n0 in range(0, n, rows):
            theta = (2 * math.pi) * (xi_tile @ x[n0 : n0 + rows].T)
            cos, sin = torch.cos(theta), torch.sin(theta)
            a_tile = a[n0 : n0 + rows]
            real[k0 : k0 + len(xi_tile)] += cos @ a_tile
            imag[k0 : k0 + len(xi_tile)] -= sin @ a_tile
            if b is not None:
                b_tile = b[n0 : n0 + rows]
                real[k0 : k0 + len(xi_tile)] += sin @ b_tile
                imag[k0 : k0 + len(xi_tile)] += cos @ b_tile
    return torch.complex(real, imag)


def finufft_transform(x: np.ndarray, c: np.ndarray, xi: np.ndarray, eps: float) -> np.ndarray:
    """The same sums with finufft's type-3 transform (d <= 3): x (n, d), c (n, m), xi (k, d) -> (k, m).

    finufft computes f_k = Σ_j c_j exp(isign · i s_k·x_j) with angular target frequencies s, so
    s = 2π xi and isign = -1 give our convention.
    """
    import finufft

    dim = x.shape[1]
    plan = {1: finufft.nufft1d3, 2: finufft.nufft2d3, 3: finufft.nufft3d3}[dim]
    points = [np.ascontiguousarray(x[:, j], dtype=np.float64) for j in range(dim)]
    targets = [np.ascontiguousarray(2 * math.pi * xi[:, j], dtype=np.float64) for j in range(dim)]
    columns = [
        plan(*points, np.ascontiguousarray(c[:, m], dtype=np.complex128), *targets, eps=eps, isign=-1)
        for m in range(c.shape[1])
    ]
    return np.stack(columns, axis=1)


def _frequencies(argument: str, xi: Any, dim: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """Frequencies (k, d); a 1-D array is k scalar frequencies, valid only when d == 1."""
    tensor = as_tensor(argument, xi, device)
    if tensor.dim() == 1 and dim != 1:
        fail(argument, f"frequencies of shape (k, {dim}) for {dim}-D points", _Described(describe(tensor)))
    if tensor.is_complex():
        fail(argument, "real frequencies", _Described(describe(tensor)), TypeError)
    return as_points(argument, tensor.to(dtype), dim)


def _sum(
    x: Any, values: Any, xi: Any, weights: torch.Tensor | None, method: str, eps: float, block: int, xi_name: str
) -> np.ndarray | torch.Tensor:
    """Shared body of :func:`nudft` and :func:`continuous_ft` (weights None means 1)."""
    check_choice("method", method, METHODS)
    torch_out = is_torch(x, values)
    device = common_device(x=x, values=values)
    points = as_points("x", as_tensor("x", x, device))
    v = as_values("values", values, len(points), device)
    dtype = real_dtype(points, v) if torch_out else torch.float64
    points = points.to(dtype)
    freqs = _frequencies(xi_name, xi, points.shape[1], dtype, device)
    if weights is not None:
        v = v * weights.to(device=device, dtype=dtype)
    use_finufft = method == "finufft" or (
        method == "auto"
        and not torch_out
        and points.shape[1] <= 3
        and len(points) * len(freqs) >= FINUFFT_MIN_SIZE
        and finufft_available()
    )
    if use_finufft:
        if not finufft_available():
            fail("method", "'direct' or 'auto' (finufft is not installed: pip install finufft)", method, ImportError)
        if points.shape[1] > 3:
            fail("method", "'direct' or 'auto' for points in more than 3 dimensions (finufft stops at 3)", method)
        if device.type != "cpu":
            fail("method", f"'direct' or 'auto' for tensors on {device} (finufft runs on the CPU)", method)
        coefficients = v.to(complex_dtype(torch.float64)).cpu().numpy()[:, None]
        result = finufft_transform(points.cpu().numpy(), coefficients, freqs.cpu().numpy(), eps)[:, 0]
        return torch.as_tensor(result, device=device) if torch_out else result
    coefficients = v.to(complex_dtype(dtype) if v.is_complex() else dtype)[:, None]
    result = direct_transform(points, coefficients, freqs, block)[:, 0]
    return result if torch_out else result.numpy()


def nudft(
    x: np.ndarray | torch.Tensor,
    values: np.ndarray | torch.Tensor,
    freqs: np.ndarray | torch.Tensor,
    *,
    method: str = "auto",
    eps: float = 1e-12,
    block: int = DEFAULT_BLOCK,
) -> np.ndarray | torch.Tensor:
    """Non-uniform DFT F(xi_k) = Σ_j v_j exp(-2πi xi_k·x_j) (no weights, no normalisation).

    Parameters
    ----------
    x
        Points (n, d); a 1-D array is n scalar points.
    values
        v_j, shape (n,) or (n, 1), real or complex.
    freqs
        Frequencies xi (k, d) in cycles per unit length; a 1-D array is k scalar frequencies (d = 1).
    method
        ``"direct"``: tiled direct sums (exact to rounding; the path always tested). ``"finufft"``:
        finufft's type-3 NUFFT to relative tolerance ``eps`` (NumPy inputs or CPU tensors, d <= 3,
        computed in float64; its test is skipped where finufft is not installed). ``"auto"``: finufft
        for NumPy inputs in d <= 3 with n × k >= 2^22 when finufft is installed, direct sums otherwise.
    block
        Phases per tile of the direct sum (memory O(block)).

    Returns
    -------
    Complex (k,): NumPy complex128 for NumPy x and values, else a tensor on their device.
    """
    eps = check_positive_float("eps", eps)
    block = check_positive_int("block", block)
    return _sum(x, values, freqs, None, method, eps, block, "freqs")


def continuous_ft(
    x: np.ndarray | torch.Tensor,
    values: np.ndarray | torch.Tensor,
    xi: np.ndarray | torch.Tensor,
    weights: np.ndarray | torch.Tensor | float | None = None,
) -> np.ndarray | torch.Tensor:
    """Quadrature estimate of u_hat(xi) = ∫ u(x) exp(-2πi xi·x) dx:  Σ_i w_i u(x_i) exp(-2πi xi·x_i).

    Parameters
    ----------
    x
        Points (n, d); a 1-D array is n scalar points.
    values
        u(x_i), shape (n,) or (n, 1), real or complex.
    xi
        Frequencies (k, d) in cycles per unit length; a 1-D array is k scalar frequencies (d = 1).
    weights
        Quadrature weights w_i, shape (n,), or one scalar for all points (e.g. a grid's cell volume;
        ``volume / n`` is the Monte Carlo weight of n uniform samples from a region of that volume).
        ``None`` (default): ``x`` must be a uniform tensor-product grid (any point order) and every
        weight is its cell volume Π_j h_j (the rectangle rule, docs/theory.rst, "Comparing with training");
        scattered points without weights raise a ValueError.

    Returns
    -------
    u_hat(xi), complex, shape (k,): a NumPy complex128 array for NumPy x and values, otherwise a
    complex tensor on their device (complex64 for float32 inputs). Direct sums, tiled so that memory
    stays bounded for large n × k (finufft is used as :func:`nudft` says for large NumPy problems).
    """
    device = common_device(x=x, values=values)
    points = as_points("x", as_tensor("x", x, device))
    n = len(points)
    if weights is None:
        try:
            cell_volume = grid_layout("x", points).cell_volume
        except ValueError as error:
            expected = "quadrature weights (n,) or a scalar; the default, the cell volume, needs x on a uniform grid"
            fail("weights", expected, _Described(f"None, and {error}"))
        w = torch.tensor(cell_volume, dtype=torch.float64, device=device)
    elif isinstance(weights, (int, float, np.integer, np.floating)) and not isinstance(weights, bool):
        w = torch.tensor(check_positive_float("weights", weights, allow_zero=True), dtype=torch.float64, device=device)
    else:
        w = as_tensor("weights", weights, device)
        if w.is_complex() or (w.dim() != 0 and tuple(w.shape) not in ((n,), (n, 1))):
            fail("weights", f"real quadrature weights of shape ({n},) or a scalar", _Described(describe(w)))
        w = w.reshape(-1) if w.dim() else w
        if not bool(torch.isfinite(w).all()):
            fail("weights", "finite weights", _Described(describe(w) + " containing non-finite values"))
    return _sum(x, values, xi, w, "auto", 1e-12, DEFAULT_BLOCK, "xi")
