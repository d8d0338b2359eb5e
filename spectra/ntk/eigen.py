"""Eigen-analysis of the NTK: eigenpairs in float64 and the frequency content of each eigenvector.

Θ = V Λ Vᵀ with eigenvalues in descending order and unit eigenvectors (columns of V), each signed
so that its largest-magnitude entry is positive. On a uniform grid of N points (1-D, or a d-D
tensor-product grid as recognised by :func:`spectra.fourier.grid_layout`, in any order) an
eigenvector v is read as one period of a sampled function with DFT coefficients
c(k) = (1/N) Σ_j v_j exp(-2πi k·x_j) on the bins k (cycles per unit length, both signs), and

- its dominant frequency is ``|k|`` of the bin maximising ``|c(k)|``;
- its spectral centroid is Σ_k ``|k|`` ``|c(k)|²`` / Σ_k ``|c(k)|²`` (over all bins, ±k both counted).

Small kernels: :func:`ntk_spectrum` (symmetrise, ``torch.linalg.eigh`` in float64). Large ones:
:func:`top_eigenpairs` by Lanczos (ARPACK through scipy) on the matrix-free operator, never forming Θ.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.sparse.linalg import eigsh
from torch import nn
from tqdm.auto import tqdm

from spectra._validation import (
    MAX_MEMORY_GB,
    as_points,
    as_real_array,
    check_positive_float,
    check_positive_int,
    fail,
)
from spectra.fourier.grid import grid_layout, is_uniform_grid
from spectra.fourier.spectrum import GridTransform
from spectra.ntk.empirical import EmpiricalNTK, ntk_operator
from spectra.results import Result
from spectra.seeding import Seed, make_generator


@dataclass
class NTKSpectrum(Result):
    """Eigenpairs of an NTK (see module docstring).

    ``eigenvalues`` (n,) descending; ``eigenvectors`` (N, n) unit columns (N·c rows, sample-major,
    for full kernels); ``points`` (N, d) where the kernel was taken (or None); ``dominant_frequency``
    and ``spectral_centroid`` (n,) in cycles per unit length when the points form a uniform grid
    (else None); ``method``: how they were computed; ``n_products``: operator products used (Lanczos).
    """

    eigenvalues: np.ndarray = Result.array_field(("n",))
    eigenvectors: np.ndarray = Result.array_field(("Nc", "n"))  # N·c rows
    points: np.ndarray | None = Result.array_field(("N", "d"), optional=True)
    dominant_frequency: np.ndarray | None = Result.array_field(("n",), optional=True)
    spectral_centroid: np.ndarray | None = Result.array_field(("n",), optional=True)
    method: str = "eigh"
    n_products: int = 0

    def _headline(self) -> list[tuple[str, Any]]:
        """λ_1 and λ_n (largest and smallest computed) and, on a grid, the top eigenvector's frequency."""
        n = len(self.eigenvalues)
        if n == 0:
            return []
        items: list[tuple[str, Any]] = [("λ_1", self.eigenvalues[0]), (f"λ_{n}", self.eigenvalues[-1])]
        if self.dominant_frequency is not None:
            items.append(("top mode frequency", self.dominant_frequency[0]))
        return items

    def to_frame(self) -> pd.DataFrame:
        """One row per eigenpair: rank (1 = largest), eigenvalue, and the frequencies when known."""
        frame = pd.DataFrame({"rank": np.arange(1, len(self.eigenvalues) + 1), "eigenvalue": self.eigenvalues})
        if self.dominant_frequency is not None:
            frame["dominant_frequency"] = self.dominant_frequency
            frame["spectral_centroid"] = self.spectral_centroid
        return frame


def kernel_matrix(argument: str, kernel: EmpiricalNTK | torch.Tensor | np.ndarray) -> torch.Tensor:
    """A kernel as a square float64 tensor: (N, N) as is, (N, N, c, c) blocks as (N·c, N·c) sample-major."""
    if isinstance(kernel, EmpiricalNTK):
        kernel = kernel.kernel
    if isinstance(kernel, np.ndarray):
        kernel = torch.from_numpy(as_real_array(argument, kernel, finite=False))
    if not isinstance(kernel, torch.Tensor):
        fail(argument, "a kernel tensor or array of shape (N, N) or (N, N, c, c)", type(kernel).__name__, TypeError)
    shape = tuple(kernel.shape)
    if len(shape) == 4 and shape[0] == shape[1] and shape[2] == shape[3]:
        kernel = kernel.permute(0, 2, 1, 3).reshape(shape[0] * shape[2], shape[1] * shape[3])
    elif len(shape) != 2 or shape[0] != shape[1] or shape[0] == 0:
        fail(argument, "a square kernel of shape (N, N) or (N, N, c, c)", f"shape {shape}")
    kernel = kernel.detach().to(torch.float64)
    if not bool(torch.isfinite(kernel).all()):
        fail(argument, "finite kernel values", "a kernel containing NaN or inf")
    return kernel


def symmetric_eigh(kernel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(eigenvalues descending, eigenvectors) of (K + Kᵀ)/2 in float64, columns signed deterministically."""
    values, vectors = torch.linalg.eigh((kernel + kernel.T) / 2)
    values, vectors = values.flip(0), vectors.flip(1)
    return values, _fix_signs(vectors)


def _fix_signs(vectors: torch.Tensor) -> torch.Tensor:
    peak = vectors.gather(0, vectors.abs().argmax(dim=0, keepdim=True))
    return vectors * torch.where(peak < 0, -1.0, 1.0).to(vectors.dtype)


def eigenvector_frequencies(
    eigenvectors: np.ndarray | torch.Tensor, x: np.ndarray | torch.Tensor
) -> tuple[np.ndarray, np.ndarray]:
    """(dominant frequency, spectral centroid), each (n,), of the columns of ``eigenvectors`` (N, n)
    sampled on the uniform grid ``x`` (N, d) (module docstring); cycles per unit length."""
    points = as_points("x", x, dtype=torch.float64)
    layout = grid_layout("x", points)
    vectors = torch.as_tensor(as_real_array("eigenvectors", eigenvectors), device=points.device)
    if vectors.dim() != 2 or vectors.shape[0] != layout.size:
        fail("eigenvectors", f"an array (N, n) with one row per grid point ({layout.size})", tuple(vectors.shape))
    power = (GridTransform(layout)(vectors.T).abs() ** 2).cpu().numpy()  # (n, N) bins in FFT order
    bins = np.stack(np.meshgrid(*layout.signed_bins(), indexing="ij"), axis=-1).reshape(-1, layout.dim)
    radius = np.linalg.norm(bins / np.asarray(layout.periods), axis=1)
    return radius[np.argmax(power, axis=1)], (power * radius).sum(axis=1) / power.sum(axis=1)


def _spectrum(
    values: np.ndarray, vectors: np.ndarray, x: np.ndarray | None, method: str, products: int = 0
) -> NTKSpectrum:
    frequencies = (None, None)
    if x is not None and vectors.shape[0] == len(x) and is_uniform_grid(torch.from_numpy(x)):
        frequencies = eigenvector_frequencies(vectors, x)
    return NTKSpectrum(values, vectors, x, *frequencies, method=method, n_products=products)


def ntk_spectrum(
    kernel: EmpiricalNTK | torch.Tensor | np.ndarray,
    x: torch.Tensor | np.ndarray | None = None,
    *,
    k: int | None = None,
) -> NTKSpectrum:
    """The ``k`` largest eigenpairs (default all) of a formed kernel, by ``eigh`` in float64.

    ``x`` (N, d), if given, must be the uniform grid the kernel was taken on; each eigenvector's
    dominant frequency and spectral centroid are then computed (see module docstring).
    """
    matrix = kernel_matrix("kernel", kernel)
    k = len(matrix) if k is None else check_positive_int("k", k)
    if k > len(matrix):
        fail("k", f"at most the kernel size {len(matrix)}", k)
    points = None
    if x is not None:
        points = as_points("x", x, dtype=torch.float64).detach().cpu()
        grid_layout("x", points)
        if len(points) != len(matrix):
            fail("x", f"the grid of {len(matrix)} points the kernel was taken on", f"{len(points)} points")
        points = points.numpy()
    values, vectors = symmetric_eigh(matrix)
    return _spectrum(values[:k].cpu().numpy(), vectors[:, :k].cpu().numpy(), points, "eigh")


def top_eigenpairs(
    model: nn.Module,
    x: torch.Tensor,
    k: int,
    *,
    method: str = "auto",
    outputs: str = "trace",
    dtype: torch.dtype | None = None,
    block_size: int | None = None,
    tol: float | None = None,
    seed: Seed = 0,
    max_memory_gb: float | None = MAX_MEMORY_GB,
    progress: bool = True,
    executor: Executor | None = None,
) -> NTKSpectrum:
    """The ``k`` largest eigenpairs of Θ(x, x) by Lanczos on :func:`~spectra.ntk.empirical.ntk_operator`.

    Θ is never formed: each Lanczos step is one product Θv (``method`` as in ntk_operator). ``tol``
    is ARPACK's relative accuracy of the eigenvalues (default 100 × machine epsilon of the computation
    dtype); ``seed`` fixes the starting vector, so runs repeat exactly. Frequencies are filled in when
    x is a uniform grid. Requires k < N (N·c for full outputs); for all eigenpairs form the kernel
    and use :func:`ntk_spectrum`. With ``executor`` each product is computed block by block on it
    (:func:`~spectra.ntk.empirical.ntk_operator`), with the same eigenpairs to rounding.
    """
    k = check_positive_int("k", k)
    if tol is not None:
        tol = check_positive_float("tol", tol, allow_zero=True)
    operator = ntk_operator(
        model,
        x,
        method=method,
        outputs=outputs,
        dtype=dtype,
        block_size=block_size,
        max_memory_gb=max_memory_gb,
        executor=executor,
    )
    n = operator.shape[0]
    if k >= n:
        fail("k", f"fewer eigenpairs than the operator size N = {n} (use ntk_spectrum for all of them)", k)
    if tol is None:
        tol = 100 * float(np.finfo(operator.dtype).eps)
    start = torch.randn(n, generator=make_generator(seed), dtype=torch.float64).numpy().astype(operator.dtype)
    with tqdm(desc=f"Lanczos products ({operator.method})", disable=not progress) as bar:
        operator.on_product = lambda: bar.update(1)
        values, vectors = eigsh(operator, k=k, which="LA", v0=start, tol=tol)
    order = np.argsort(values)[::-1]
    vectors = _fix_signs(torch.from_numpy(vectors[:, order].astype(np.float64))).numpy()
    points = as_points("x", x).detach().cpu().numpy()
    return _spectrum(
        values[order].astype(np.float64), vectors, points, f"lanczos/{operator.method}", operator.n_products
    )
