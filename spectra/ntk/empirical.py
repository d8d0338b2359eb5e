"""Empirical neural tangent kernel (eNTK) of any torch module whose samples do not interact.

    Θ_op(x, x') = Σ_θ ∂f_o(x)/∂θ · ∂f_p(x')/∂θ,   θ = the parameters with requires_grad=True.

Shapes: ``outputs="trace"`` gives the (N1, N2) matrix Σ_o Θ_oo (the sum over the c outputs, which is
Θ itself for one output); ``outputs="full"`` gives per-output blocks of shape (N1, N2, c, c) with
``kernel[i, j, o, p] = Θ_op(x1_i, x2_j)``. Kernels stay on the model's device.

Methods (docs/theory.rst, "Computing the empirical NTK", for their costs):

- ``"structured"``: per-layer activation Gram × cotangent Gram (:mod:`spectra.ntk.structured`) for
  MLP, RepNet, FourierFeatureMLP, TwoLayerFourierNet and Sequential stacks of Dense/Linear layers;
  memory N·L·W instead of N·P.
- ``"jacobian"``: Jacobian contraction, Θ = J Jᵀ with J from ``torch.func.vmap(jacrev)``; any module.
- ``"vector_products"``: columns Θ e_j = J (Jᵀ e_j) by a vjp and a jvp (``torch.func``); any module.
- ``"auto"``: structured where it applies, else jacobian; the result's ``method`` says which ran and
  ``note`` why the structured path did not apply.

Tiling: with ``block_size`` the kernel is assembled in (block_size × block_size) tiles (only the
upper triangle when x2 is None, mirrored), which changes memory, not the result. Before computing,
the memory the request needs is estimated; above ``max_memory_gb`` the call stops with the size it
would need and a block_size that fits.

Scale-out: with ``executor`` (:func:`spectra.parallel.task_executor`: a local process pool or a Dask
cluster) each tile is a task computed by a worker, which receives the model and the tile's points, and
the driver assembles the kernel; the result equals the one computed here (to rounding, 1e-12 in float64).

Matrix-free: :func:`ntk_operator` gives Θ as a ``scipy.sparse.linalg.LinearOperator`` (products Θv
without forming Θ), for Lanczos (:func:`spectra.ntk.eigen.top_eigenpairs`) and iterative solvers.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.sparse.linalg import LinearOperator
from torch import nn
from torch.func import jacrev, jvp, vjp, vmap

from spectra._validation import (
    GIB,
    MAX_MEMORY_GB,
    check_choice,
    check_memory,
    check_positive_float,
    check_positive_int,
    fail,
)
from spectra.ntk._model import FunctionalModel, activation_size, functional_model
from spectra.ntk.structured import (
    Factor,
    NotStructuredError,
    concatenate,
    factor_gram,
    factor_matvec,
    structured_factors,
    structured_layers,
)
from spectra.ntk.tiling import (
    assemble,
    map_in_threads,
    mirror,
    plan_threads,
    plan_tiles,
    slices,
    tile_pairs,
)
from spectra.parallel import imap_tasks, map_tasks
from spectra.results import Result

METHODS = ("auto", "structured", "jacobian", "vector_products")
OUTPUTS = ("trace", "full")
_VMAP_CHUNK = 64  # basis vectors per vmapped vjp/jvp: bounds the vector-product method's memory


class KernelTensor:
    """What results holding a ``kernel`` tensor (kept on its device) share: saved as a NumPy array on the host,
    loaded back as a tensor, and a frame of one row per entry (i, j, and output_i, output_j for (N1, N2, c, c))."""

    kernel: torch.Tensor

    def __post_init__(self) -> None:
        if isinstance(self.kernel, np.ndarray):  # loaded from disk
            self.kernel = torch.from_numpy(self.kernel)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save to one .npz, atomically (the kernel copied to the host as a NumPy array)."""
        on_host = copy.copy(self)
        on_host.kernel = self.kernel.detach().cpu().numpy()
        return Result.save(on_host, path)

    def to_frame(self) -> pd.DataFrame:
        """One row per kernel entry: i, j (and output_i, output_j for full kernels), value."""
        values = self.kernel.detach().cpu().numpy()
        index = np.indices(values.shape).reshape(values.ndim, -1)
        names = ["i", "j", "output_i", "output_j"][: values.ndim]
        frame = pd.DataFrame(dict(zip(names, index, strict=True)))
        frame["value"] = values.ravel()
        return frame


@dataclass
class EmpiricalNTK(KernelTensor, Result):
    """An empirical NTK and how it was computed (see module docstring for shapes and conventions).

    ``kernel``: tensor (N1, N2) (outputs="trace") or (N1, N2, c, c) (outputs="full"), on the model's
    device; ``method``: the path that ran; ``block_size``: the tile size (None: one tile);
    ``note``: why ``method="auto"`` did not take the structured path (None when it did), e.g. a layer
    that runs twice per forward pass.
    """

    kernel: torch.Tensor = Result.array_field([("N1", "N2"), ("N1", "N2", "c", "c")])  # saved as a NumPy array
    method: str
    outputs: str
    block_size: int | None = None
    note: str | None = None


def _resolve_method(method: str, model: nn.Module, generic: str) -> tuple[str, str | None]:
    """(method to run, note on why structured was not taken) for a requested method."""
    check_choice("method", method, METHODS)
    if method not in ("auto", "structured"):
        return method, None
    try:
        structured_layers(model)
    except NotStructuredError as reason:
        if method == "structured":
            fail(
                "method",
                "a method that applies to this model ('auto', 'jacobian' or 'vector_products')",
                f"'structured', which does not: {reason}",
            )
        return generic, f"structured path not applicable: {reason}"
    return "structured", None


def _jacobian_factors(fm: FunctionalModel, x: torch.Tensor) -> list[Factor]:
    """J as plain factors (one per parameter tensor): U = 1, Δ = ∂f/∂θ of shape (n, c, ``|θ|``)."""

    def single(params: dict[str, torch.Tensor], xi: torch.Tensor) -> torch.Tensor:
        return fm(xi[None], params)[0]

    jacobians = vmap(jacrev(single), in_dims=(None, 0))(fm.trainable, x)
    return [Factor(None, j.reshape(j.shape[0], j.shape[1], -1)) for j in jacobians.values()]


def _vector_product_tile(fm: FunctionalModel, x_rows: torch.Tensor, x_cols: torch.Tensor, full: bool) -> torch.Tensor:
    """Θ(x_rows, x_cols) column by column: Θ e_(j,p) = J_rows (J_colsᵀ e_(j,p)), a vjp then a jvp."""
    _, pullback = vjp(lambda params: fm(x_cols, params), fm.trainable)

    def column(cotangent: torch.Tensor) -> torch.Tensor:
        (tangent,) = pullback(cotangent)
        return jvp(lambda params: fm(x_rows, params), (fm.trainable,), (tangent,))[1]

    n_cols, n_rows = len(x_cols), len(x_rows)
    n_out = fm(x_cols[:1]).shape[1]
    basis = torch.eye(n_cols * n_out, dtype=fm.dtype, device=fm.device).reshape(-1, n_cols, n_out)
    columns = vmap(column, chunk_size=_VMAP_CHUNK)(basis)  # columns[j·c + p, i, o] = Θ_op(x_i, x_j)
    blocks = columns.reshape(n_cols, n_out, n_rows, n_out).permute(2, 0, 3, 1)
    return blocks if full else blocks.diagonal(dim1=2, dim2=3).sum(dim=-1)


@dataclass
class _Request:
    """Sizes that determine time and memory of one kernel request."""

    method: str
    n1: int
    n2: int
    symmetric: bool
    n_out: int
    full: bool
    n_parameters: int
    activations: int  # floats per sample in one forward pass
    feature_width: int  # floats per sample of the structured factors
    itemsize: int
    workers: int = 1  # tiles computed at once

    def bytes(self, block: int | None) -> int:
        """Approximate peak memory of the request with tiles of ``block`` rows (None: untiled)."""
        b1, b2 = min(block or self.n1, self.n1), min(block or self.n2, self.n2)
        blocks_per_entry = self.n_out**2 if self.full else 1
        floats = self.n1 * self.n2 * blocks_per_entry + 2 * b1 * b2 * blocks_per_entry * self.workers
        if self.method == "structured":
            stored = self.n1 + (0 if self.symmetric else self.n2)
            floats += stored * self.feature_width + max(b1, b2) * self.activations * (2 + self.n_out)
        elif self.method == "jacobian":
            held = b1 if self.symmetric and block is None else b1 + b2
            floats += held * self.n_out * (self.n_parameters + self.activations)
        else:
            chunk = min(_VMAP_CHUNK, b2 * self.n_out)
            floats += chunk * (2 * self.n_parameters + b1 * self.n_out * self.activations)
        return floats * self.itemsize


def _check_memory(request: _Request, block_size: int | None, max_memory_gb: float | None) -> None:
    """Refuse a request above ``max_memory_gb`` (None: no cap), suggesting a block_size that fits."""
    need = request.bytes(block_size)
    if max_memory_gb is None or need <= max_memory_gb * GIB:
        return
    n = max(request.n1, request.n2)
    candidates = [
        b for b in (8192, 4096, 2048, 1024, 512, 256, 128, 64) if b < n and (block_size is None or b < block_size)
    ]
    fitting = next((b for b in candidates if request.bytes(b) <= max_memory_gb * GIB), None)
    if fitting is not None:
        advice = f"pass block_size={fitting} (about {request.bytes(fitting) / GIB:.2f} GB)"
    else:
        output = request.bytes(1) / GIB
        advice = (
            f"even small tiles need about {output:.2f} GB (the kernel and stored features themselves); use "
            "ntk_operator / top_eigenpairs (matrix-free), fewer points, a smaller dtype, or a larger max_memory_gb"
        )
    tiling = "untiled" if block_size is None else f"with block_size={block_size}"
    subject = f"this {request.method} kernel {tiling}"
    check_memory("block_size", block_size, need, subject=subject, advice=advice, max_memory_gb=max_memory_gb)


def _structured_features(fm: FunctionalModel, x: torch.Tensor, block: int, workers: int) -> list[Factor]:
    """The structured factors of all rows of x, computed block by block by ``workers`` threads.

    Forward hooks and functional calls act on module objects, so each thread works on its own copy of
    the model (evaluated at the same parameter tensors, which are only read).
    """

    def make_worker() -> Callable[[slice], list[Factor]]:
        own = fm if workers == 1 else replace(fm, model=copy.deepcopy(fm.model))
        layers = structured_layers(own.model)
        return lambda rows: structured_factors(own, layers, x[rows])

    return concatenate(map_in_threads(make_worker, slices(len(x), block), workers))


class _BlockFeatures:
    """Factors of the rows of x by blocks: all given at once (structured), or computed one block at a
    time (jacobian, whose N·c·P floats would not fit), keeping the last block for reuse."""

    def __init__(
        self,
        compute: Callable[[torch.Tensor], list[Factor]] | None,
        x: torch.Tensor,
        block: int,
        factors: list[Factor] | None = None,
    ):
        self.compute, self.x, self.all = compute, x, factors
        self.last: tuple[int, list[Factor]] | None = None

    def __getitem__(self, rows: slice) -> list[Factor]:
        if self.all is not None:
            return [f.rows(rows.start, rows.stop) for f in self.all]
        if self.last is None or self.last[0] != rows.start:
            self.last = (rows.start, self.compute(self.x[rows]))
        return self.last[1]


def _check_options(
    outputs: str, block_size: int | None, max_memory_gb: float | None
) -> tuple[int | None, float | None]:
    """The arguments empirical_ntk and ntk_operator share, checked: (block_size, max_memory_gb)."""
    check_choice("outputs", outputs, OUTPUTS)
    if block_size is not None:
        block_size = check_positive_int("block_size", block_size)
    if max_memory_gb is not None:
        max_memory_gb = check_positive_float("max_memory_gb", max_memory_gb)
    return block_size, max_memory_gb


def empirical_ntk(
    model: nn.Module,
    x1: torch.Tensor,
    x2: torch.Tensor | None = None,
    *,
    method: str = "auto",
    block_size: int | None = None,
    outputs: str = "trace",
    dtype: torch.dtype | None = None,
    max_memory_gb: float | None = MAX_MEMORY_GB,
    workers: int | None = None,
    progress: bool = True,
    executor: Executor | None = None,
) -> EmpiricalNTK:
    """Empirical NTK Θ(x1, x2) of ``model`` at its current parameters (see module docstring).

    Parameters
    ----------
    model
        Any ``torch.nn.Module`` mapping (n, d) inputs to (n, c) outputs whose samples do not interact.
    x1, x2
        Points (N1, d) and (N2, d), moved to the model's device; ``x2=None`` means x1 and uses symmetry.
    method
        ``"auto"``, ``"structured"``, ``"jacobian"`` or ``"vector_products"``.
    block_size
        Tile size in samples (None: chosen for the workers, ``spectra.ntk.tiling.plan_tiles``).
        Tiling bounds the working memory; the result is the same.
    outputs
        ``"trace"`` for (N1, N2) = Σ_o Θ_oo, ``"full"`` for (N1, N2, c, c) per-output blocks.
    dtype
        Computation dtype (default: the parameters' dtype); parameters, buffers and inputs are cast.
    max_memory_gb
        Refuse requests estimated above this many GiB, saying how much they need (None: no check).
    workers
        Threads computing tiles of the structured kernel at once, each with one torch thread
        (:mod:`spectra.ntk.tiling`; default: ``torch.get_num_threads()`` on the CPU, one on a GPU; a
        small kernel is computed in one thread). With 1, tiles are computed one after the other with
        torch's own intra-op threads.
    progress
        Show a progress bar over tiles when there is more than one.
    executor
        Compute the tiles as tasks on this executor (a process pool or a Dask cluster,
        :func:`spectra.parallel.task_executor`) instead of here; tiles of ``block_size`` rows (default: a
        quarter of the points, so 10 tiles of a symmetric kernel). The model and each tile's points are
        sent to the workers as they are (on their device); the driver assembles the kernel.
    """
    block_size, max_memory_gb = _check_options(outputs, block_size, max_memory_gb)
    fm = functional_model(model, dtype)
    x1 = fm.points("x1", x1)
    symmetric = x2 is None
    x2 = x1 if symmetric else fm.points("x2", x2, x1.shape[1])
    method, note = _resolve_method(method, model, generic="jacobian")
    full = outputs == "full"
    n_out, activations = activation_size(fm, x1)
    layers = structured_layers(model) if method == "structured" else []
    feature_width = sum(f.width for f in structured_factors(fm, layers, x1[:1])) if layers else 0
    # Only stored structured factors can be read by several threads; the other paths compute per tile.
    plan = plan_tiles(
        len(x1),
        len(x2),
        symmetric=symmetric,
        block_size=block_size,
        workers=workers if layers else 1,
        device=x1.device,
    )
    request = _Request(
        method=method,
        n1=len(x1),
        n2=len(x2),
        symmetric=symmetric,
        n_out=n_out,
        full=full,
        n_parameters=fm.n_parameters,
        activations=activations,
        feature_width=feature_width,
        itemsize=torch.empty((), dtype=fm.dtype).element_size(),
        workers=plan.workers,
    )
    _check_memory(request, block_size, max_memory_gb)
    shape = (len(x1), len(x2), n_out, n_out) if full else (len(x1), len(x2))
    if executor is not None:
        options = {"method": method, "outputs": outputs, "dtype": fm.dtype}
        block = block_size or -(-max(len(x1), len(x2)) // 4)
        kernel = _tiles_on_executor(model, x1, None if symmetric else x2, executor, block, options, shape, progress)
        return EmpiricalNTK(kernel, method, outputs, block_size, note)
    block = plan.block

    with plan_threads(plan):
        if method == "vector_products":

            def tile(rows: slice, cols: slice) -> torch.Tensor:
                return _vector_product_tile(fm, x1[rows], x2[cols], full)
        else:

            def features(x: torch.Tensor) -> _BlockFeatures:
                if layers:
                    return _BlockFeatures(None, x, block, _structured_features(fm, x, block, plan.workers))
                return _BlockFeatures(partial(_jacobian_factors, fm), x, block)

            row_features = features(x1)
            # Stored factors are shared; recomputed Jacobian blocks need a cache for rows and one for columns.
            col_features = row_features if symmetric and layers else features(x2)

            def tile(rows: slice, cols: slice) -> torch.Tensor:
                return factor_gram(row_features[rows], col_features[cols], full)

        with torch.no_grad():
            kernel = assemble(tile, shape, plan, symmetric=symmetric, like=x1, progress=progress)
    return EmpiricalNTK(kernel, method, outputs, block_size, note)


def _remote_tile(task: tuple[nn.Module, torch.Tensor, torch.Tensor | None, dict]) -> torch.Tensor:
    """One tile of the kernel where the executor runs it: Θ(rows, cols), or Θ(rows, rows) when cols is None."""
    model, rows, cols, options = task
    return empirical_ntk(model, rows, cols, workers=1, progress=False, max_memory_gb=None, **options).kernel


def _tiles_on_executor(
    model: nn.Module,
    x1: torch.Tensor,
    x2: torch.Tensor | None,
    executor: Executor,
    block: int,
    options: dict,
    shape: tuple[int, ...],
    progress: bool,
) -> torch.Tensor:
    """The kernel assembled from tiles computed on ``executor`` (only I <= J when x2 is None, mirrored)."""
    symmetric = x2 is None
    columns = x1 if symmetric else x2
    rows, cols = slices(len(x1), block), slices(len(columns), block)
    pairs = tile_pairs(len(rows), len(cols), symmetric)
    # clone(): a slice would carry its whole storage (all the points) to every worker
    tasks = [
        (model, x1[rows[i]].clone(), None if symmetric and i == j else columns[cols[j]].clone(), options)
        for i, j in pairs
    ]
    kernel = torch.empty(shape, dtype=x1.dtype, device=x1.device)
    for index, tile in imap_tasks(_remote_tile, tasks, executor, progress=progress, description="eNTK tiles"):
        i, j = pairs[index]
        tile = tile.to(kernel.device)
        kernel[rows[i], cols[j]] = tile
        if symmetric and i != j:
            kernel[cols[j], rows[i]] = mirror(tile)
    return kernel


class NTKOperator(LinearOperator):
    """Θ on the points x as a symmetric LinearOperator: (N, N) traced, or (N·c, N·c) full, sample-major.

    Vectors cross the NumPy boundary (scipy's interface); products run in torch on the model's
    device. ``method`` says which path computes them, ``n_products`` counts them.
    """

    def __init__(
        self,
        product: Callable[[torch.Tensor], torch.Tensor],
        n: int,
        dtype: torch.dtype,
        device: torch.device,
        method: str,
        note: str | None,
    ) -> None:
        super().__init__(dtype=np.dtype(str(dtype).removeprefix("torch.")), shape=(n, n))
        self._product, self._torch_dtype, self._device = product, dtype, device
        self.method, self.note, self.n_products = method, note, 0
        self.on_product: Callable[[], None] | None = None

    def _matvec(self, v: np.ndarray) -> np.ndarray:
        vector = torch.as_tensor(np.asarray(v).reshape(-1), dtype=self._torch_dtype, device=self._device)
        with torch.no_grad():
            result = self._product(vector)
        self.n_products += 1
        if self.on_product is not None:
            self.on_product()
        return result.cpu().numpy()

    def _rmatvec(self, v: np.ndarray) -> np.ndarray:
        return self._matvec(v)

    def _adjoint(self) -> NTKOperator:
        return self


def _pullback(task: tuple[FunctionalModel, torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Jᵀ u on one block of samples: the parameter-space vector Σ_i Σ_o u_io ∂f_o(x_i)/∂θ."""
    fm, x, cotangent = task
    _, pullback = vjp(lambda params: fm(x, params), fm.trainable)
    (part,) = pullback(cotangent)
    return part


def _pushforward(task: tuple[FunctionalModel, torch.Tensor, dict[str, torch.Tensor]]) -> torch.Tensor:
    """J t on one block of samples: the directional derivative of the outputs along t."""
    fm, x, tangent = task
    return jvp(lambda params: fm(x, params), (fm.trainable,), (tangent,))[1]


def _vector_product_matvec(
    fm: FunctionalModel, x: torch.Tensor, n_out: int, block: int, full: bool, executor: Executor | None = None
) -> Callable:
    """v -> Θ v by Jᵀv (vjp, summed over blocks of samples) and then J(Jᵀv) (jvp per block).

    With ``executor`` each block's vjp and jvp is a task (the functional model and the block's points go to
    the worker); the sum over blocks is formed here, so the product equals the serial one to rounding.
    """
    blocks = slices(len(x), block)

    def blockwise(function: Callable, tasks: list) -> list:
        if executor is None:
            return [function(task) for task in tasks]
        return map_tasks(function, tasks, executor, progress=False)

    def apply(cotangent: torch.Tensor) -> torch.Tensor:
        # clone(): a slice would carry its whole storage to a worker
        parts = blockwise(_pullback, [(fm, x[rows].clone(), cotangent[rows].clone()) for rows in blocks])
        tangent = {k: sum(part[k] for part in parts) for k in parts[0]}
        return torch.cat(blockwise(_pushforward, [(fm, x[rows].clone(), tangent) for rows in blocks]))

    def product(v: torch.Tensor) -> torch.Tensor:
        if full:
            return apply(v.reshape(len(x), n_out)).reshape(-1)
        total = torch.zeros_like(v)
        for o in range(n_out):  # Σ_o J_o J_oᵀ v
            cotangent = torch.zeros(len(x), n_out, dtype=v.dtype, device=v.device)
            cotangent[:, o] = v
            total += apply(cotangent)[:, o]
        return total

    return product


def ntk_operator(
    model: nn.Module,
    x: torch.Tensor,
    *,
    method: str = "auto",
    outputs: str = "trace",
    dtype: torch.dtype | None = None,
    block_size: int | None = None,
    max_memory_gb: float | None = MAX_MEMORY_GB,
    executor: Executor | None = None,
) -> NTKOperator:
    """Θ(x, x) as a matrix-free :class:`NTKOperator` (a scipy LinearOperator), never formed.

    ``"structured"`` stores the per-layer factors (N·L·W floats) and applies each as two products of
    size N·k·w (``spectra.ntk.structured.factor_matvec``); ``"vector_products"`` recomputes
    J(Jᵀv) with a vjp and a jvp per block of ``block_size`` samples (memory of one forward pass);
    ``"jacobian"`` stores J (N·c·P floats). ``"auto"``: structured where it applies, else vector
    products. ``outputs="trace"`` gives the (N, N) operator Σ_o Θ_oo; ``"full"`` the (N·c, N·c)
    operator on vectors flattened sample-major (index i·c + o).

    With ``executor`` (:func:`spectra.parallel.task_executor`) the vjp and jvp of each block of
    ``block_size`` samples (default: a quarter of the points) are tasks on that executor, for points too
    many for one machine's time; this is the vector-product method ("auto" picks it), the only one whose
    products need no stored state.
    """
    block_size, max_memory_gb = _check_options(outputs, block_size, max_memory_gb)
    fm = functional_model(model, dtype)
    x = fm.points("x", x)
    if executor is not None:
        if method not in ("auto", "vector_products"):
            fail("method", "'auto' or 'vector_products' with an executor (products with no stored factors)", method)
        method = "vector_products"
        block_size = block_size or -(-len(x) // 4)
    method, note = _resolve_method(method, model, generic="vector_products")
    full = outputs == "full"
    n_out, activations = activation_size(fm, x)
    block = block_size or len(x)
    layers = structured_layers(model) if method == "structured" else []
    itemsize = torch.empty((), dtype=fm.dtype).element_size()
    if method == "vector_products":
        need = min(block, len(x)) * activations * 3 * itemsize + 3 * fm.n_parameters * itemsize
    else:
        width = sum(f.width for f in structured_factors(fm, layers, x[:1])) if layers else n_out * fm.n_parameters
        need = len(x) * width * itemsize + min(block, len(x)) * activations * (2 + n_out) * itemsize
    if max_memory_gb is not None:
        check_memory(
            "max_memory_gb",
            max_memory_gb,
            need,
            subject=f"the {method} operator's stored factors",
            advice="try method='vector_products' (memory of one forward pass per block) or fewer points",
            max_memory_gb=max_memory_gb,
        )
    if method == "vector_products":
        product = _vector_product_matvec(fm, x, n_out, block, full, executor)
    else:
        if layers:
            factors = _structured_features(fm, x, block, workers=1)
        else:
            factors = concatenate([_jacobian_factors(fm, x[rows]) for rows in slices(len(x), block)])

        def product(v: torch.Tensor) -> torch.Tensor:
            return factor_matvec(factors, v.reshape(len(x), n_out) if full else v, full).reshape(-1)

    return NTKOperator(product, len(x) * (n_out if full else 1), fm.dtype, fm.device, method, note)
