"""Kernel dynamics: the linearised (lazy) training predicted by the NTK, its stability, and kernel drift.

Conventions (the project's, as in :mod:`spectra.training`): the mean loss
L = (1/2N) Σ_i ``|f(x_i) - y_i|²`` over N training points, and the theory time t = lr × steps. In
the kernel regime full-batch gradient descent follows, in the limit lr -> 0 at fixed t,

    ∂_t f = -(1/N) Θ (f - y),   so with Θ = V Λ Vᵀ the residual r = f - y is  r(t) = V exp(-Λ t / N) Vᵀ r(0),

i.e. after s steps of size lr, r = V exp(-lr Λ s / N) Vᵀ r(0). Gradient descent itself takes
r_(s+1) = (I - lr Θ/N) r_s, i.e. r_s = V (1 - lr Λ/N)^s Vᵀ r(0), which is stable only for
lr < 2N / λ_max (:func:`max_stable_lr`). Points outside the training set move with the
cross-kernel Θ(x_test, x_train) (see :func:`linearized_prediction`).

Kernel drift ‖Θ_t - Θ_0‖_F / ‖Θ_0‖_F measures how far training leaves the kernel regime;
:class:`NTKRecorder` records it, with the eigenvalues, during :func:`spectra.training.fit`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from spectra._validation import (
    as_points,
    as_real_array,
    brief,
    check_choice,
    check_float_dtype,
    check_memory,
    check_positive_float,
    check_positive_int,
    fail,
)
from spectra.ntk._model import check_kernel_dtype, input_width
from spectra.ntk.eigen import kernel_matrix, symmetric_eigh
from spectra.ntk.empirical import METHODS, OUTPUTS, EmpiricalNTK, empirical_ntk
from spectra.training import Recorder, Snapshot

ArrayLike = torch.Tensor | np.ndarray


class LinearizedPrediction(NamedTuple):
    """Predictions at each requested time: ``train`` (T, N, c) and ``test`` (T, M, c) or None (float64)."""

    train: torch.Tensor
    test: torch.Tensor | None


def _as_tensor(argument: str, value: ArrayLike, device: torch.device) -> torch.Tensor:
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(as_real_array(argument, value, finite=False))
    if not isinstance(value, torch.Tensor):
        fail(argument, "a torch.Tensor or numpy.ndarray", type(value).__name__, TypeError)
    return value.detach().to(device=device, dtype=torch.float64)


def _outputs(argument: str, value: ArrayLike, n: int, device: torch.device) -> torch.Tensor:
    """Targets or predictions as (n, c) float64; a 1-D array is read as one output."""
    value = as_points(argument, _as_tensor(argument, value, device))
    if len(value) != n:
        fail(argument, f"{n} rows, one per point of the kernel", f"{len(value)} rows")
    return value


def _times(times: ArrayLike | float) -> torch.Tensor:
    t = torch.as_tensor(as_real_array("times", times, finite=False)).reshape(-1)
    if len(t) == 0 or bool(torch.isnan(t).any()) or bool((t < 0).any()):
        fail("times", "non-negative times t = lr × steps (inf allowed)", brief(times))
    return t


def _decay_minus_one(values: torch.Tensor, t: torch.Tensor, n: int, lr: float, discrete: bool) -> torch.Tensor:
    """(T, K) factors g = exp(-λ t / N) - 1 (gradient flow) or (1 - lr λ/N)^(t/lr) - 1 (gradient descent)."""
    t = t.to(values.device)[:, None]
    if not discrete:
        return torch.expm1(-values[None] * torch.where(values[None] > 0, t, 0.0) / n)
    steps = t / lr
    finite = torch.isfinite(steps)
    whole = torch.round(torch.where(finite, steps, 0.0))
    if bool((finite & ((steps - whole).abs() > 1e-6 * whole.clamp(min=1))).any()):
        fail("times", "multiples of lr (t = lr × steps) when discrete=True", t[:, 0].tolist())
    rate = lr * values[None] / n  # in [0, 2) since lr < max_stable_lr
    smooth = torch.expm1(whole * torch.log1p(-torch.where(rate < 1, rate, 0.0)))  # accurate for small rate
    power = torch.where(rate < 1, smooth, torch.pow(1 - rate, whole) - 1)  # 1 <= rate < 2: oscillating decay
    limit = torch.where(values[None] > 0, -1.0, 0.0).to(values.dtype)  # t = inf: stable modes are learned fully
    return torch.where(finite, power, limit)


def linearized_prediction(
    K_train: ArrayLike | EmpiricalNTK,
    y: ArrayLike,
    f0: ArrayLike,
    lr: float,
    times: ArrayLike | float,
    K_test_train: ArrayLike | EmpiricalNTK | None = None,
    f0_test: ArrayLike | None = None,
    *,
    discrete: bool = False,
) -> LinearizedPrediction:
    """Predictions of the network linearised around its initialisation, in closed form.

    Parameters
    ----------
    K_train
        Θ(x_train, x_train): (N, N), the kernel of every output (Θ_op = K δ_op), or (N, N, c, c)
        per-output blocks (``empirical_ntk(..., outputs="full")``).
    y, f0
        Targets and initial predictions on the training points, (N, c) (or (N,) for one output).
    lr
        The learning rate. With ``discrete=True`` the prediction is exact linearised gradient descent
        with this step, which must be below :func:`max_stable_lr`; with ``discrete=False`` (gradient
        flow) lr enters only through the times t = lr × steps the caller passes.
    times
        Theory times t = lr × steps (not steps), shape (T,); ``inf`` gives the end point.
    K_test_train, f0_test
        Θ(x_test, x_train) of shape (M, N) (or (M, N, c, c)) and the initial predictions (M, c) there.
    discrete
        False: gradient flow, r(t) = V exp(-Λ t/N) Vᵀ r(0) (the theory's convention). True: gradient
        descent, r = V (1 - lr Λ/N)^(t/lr) Vᵀ r(0) (t must be a multiple of lr).

    Returns
    -------
    LinearizedPrediction(train (T, N, c), test (T, M, c) or None), float64 on K_train's device:

        f(t) = f0 + V diag(g) Vᵀ (f0 - y),   f_test(t) = f0_test + Θ_test,train V diag(g/λ) Vᵀ (f0 - y),

    with g = exp(-λ t/N) - 1 computed by ``expm1`` (or its gradient-descent analogue). Negative
    eigenvalues (rounding) are clamped to 0, and eigenvalues below N·eps·λ_max are treated as exact
    zeros: their modes are never learned and do not move test points (at t = inf this is the
    pseudo-inverse solution f_test = f0_test + Θ_test,train Θ⁺ (y - f0)). One eigendecomposition
    serves all times.
    """
    matrix = kernel_matrix("K_train", K_train)
    device = matrix.device
    lr = check_positive_float("lr", lr)
    block = matrix.shape[0]
    y_ = as_points("y", _as_tensor("y", y, device))
    n, n_out = y_.shape
    if block not in (n, n * n_out):
        fail("y", f"one row per training point of K_train ({block}, or {block} / c for per-output blocks)", f"{n} rows")
    shared = block == n  # one kernel for every output
    r0 = _outputs("f0", f0, n, device) - y_
    if r0.shape[1] != n_out:
        fail("f0", f"{n_out} output(s) per row, like y", f"{r0.shape[1]}")
    values, vectors = symmetric_eigh(matrix)
    values = values.clamp(min=0)
    if float(values[0]) == 0:
        fail("K_train", "a kernel with a positive eigenvalue", "a kernel whose eigenvalues are all <= 0")
    values = torch.where(values > block * torch.finfo(torch.float64).eps * values[0], values, 0.0)
    t = _times(times)
    if discrete and lr >= 2 * n / float(values[0]):
        fail("lr", f"a step below the largest stable one 2N/λ_max = {2 * n / float(values[0]):.6g}", lr)
    g = _decay_minus_one(values, t, n, lr, discrete)  # (T, K)
    coefficients = vectors.T @ (r0 if shared else r0.reshape(-1, 1))  # (K, c) or (K, 1)
    train = torch.einsum("nk,tk,kc->tnc", vectors, g, coefficients).reshape(len(t), n, n_out) + r0 + y_
    if K_test_train is None:
        return LinearizedPrediction(train, None)
    if f0_test is None:
        fail("f0_test", "the initial predictions on the test points when K_test_train is given", None)
    cross = _cross_kernel(K_test_train, n, n_out, shared, device)
    m = cross.shape[0] // (1 if shared else n_out)
    f_test = _outputs("f0_test", f0_test, m, device)
    inverse = torch.where(values > 0, 1 / torch.where(values > 0, values, 1.0), 0.0)
    test = torch.einsum("mk,tk,kc->tmc", cross @ vectors, g * inverse, coefficients).reshape(len(t), m, n_out)
    return LinearizedPrediction(train, test + f_test)


def _cross_kernel(
    kernel: ArrayLike | EmpiricalNTK, n: int, n_out: int, shared: bool, device: torch.device
) -> torch.Tensor:
    """Θ(x_test, x_train) as (M, N) or, for per-output blocks, (M·c, N·c) sample-major."""
    if isinstance(kernel, EmpiricalNTK):
        kernel = kernel.kernel
    kernel = _as_tensor("K_test_train", kernel, device)
    if shared and kernel.dim() == 2 and kernel.shape[1] == n:
        return kernel
    if not shared and kernel.dim() == 4 and kernel.shape[1:] == (n, n_out, n_out):
        return kernel.permute(0, 2, 1, 3).reshape(kernel.shape[0] * n_out, n * n_out)
    expected = f"(M, {n})" if shared else f"(M, {n}, {n_out}, {n_out})"
    fail("K_test_train", f"shape {expected}, matching K_train", f"shape {tuple(kernel.shape)}")


def max_stable_lr(K: ArrayLike | EmpiricalNTK) -> float:
    """2N / λ_max: the largest gradient-descent step on the mean loss for which the linearised dynamics
    converge (N = number of training points; λ_max of the full (N·c, N·c) matrix for per-output blocks)."""
    matrix = kernel_matrix("K", K)
    n = (K.kernel if isinstance(K, EmpiricalNTK) else K).shape[0]
    top = float(torch.linalg.eigvalsh((matrix + matrix.T) / 2)[-1])
    if top <= 0:
        fail("K", "a kernel with a positive eigenvalue", f"λ_max = {top}")
    return 2 * n / top


def kernel_drift(kernel: ArrayLike | EmpiricalNTK, reference: ArrayLike | EmpiricalNTK) -> float:
    """‖Θ - Θ_ref‖_F / ‖Θ_ref‖_F, e.g. between the kernels of two checkpoints on the same points."""
    a, b = (k.kernel if isinstance(k, EmpiricalNTK) else k for k in (kernel, reference))
    device = a.device if isinstance(a, torch.Tensor) else torch.device("cpu")
    a, b = _as_tensor("kernel", a, device), _as_tensor("reference", b, device)
    if a.shape != b.shape:
        fail("kernel", f"the shape of reference {tuple(b.shape)}", f"shape {tuple(a.shape)}")
    norm = float(torch.linalg.norm(b))
    if norm == 0:
        fail("reference", "a non-zero kernel", "a kernel of zeros")
    return float(torch.linalg.norm(a - b)) / norm


class NTKRecorder(Recorder):
    """Records the empirical NTK on probe points during :func:`spectra.training.fit`.

    At each snapshot: ``eigenvalues`` (the ``n_eigenvalues`` largest, descending, float64 eigh),
    ``drift`` ‖Θ_t - Θ_0‖_F / ‖Θ_0‖_F against the kernel at the first snapshot, and ``trace`` tr Θ_t.
    ``x`` are the probe points (default: the snapshot's probe points, i.e. fit's ``probe``). Θ_0 is
    part of ``state_dict()``, so a run resumed from a checkpoint records the same drift.
    History keys: ``"<name>/eigenvalues"`` (R, n_eigenvalues), ``"<name>/drift"`` and ``"<name>/trace"`` (R,).
    """

    def __init__(
        self,
        x: ArrayLike | None = None,
        *,
        n_eigenvalues: int = 20,
        method: str = "auto",
        outputs: str = "trace",
        dtype: torch.dtype = torch.float64,
        name: str = "ntk",
    ) -> None:
        self.x = None if x is None else as_points("x", x)
        self.n_eigenvalues = check_positive_int("n_eigenvalues", n_eigenvalues)
        check_memory(
            "n_eigenvalues",
            n_eigenvalues,
            8 * n_eigenvalues,
            subject=f"a record of {n_eigenvalues} eigenvalues per snapshot",
            advice="record fewer eigenvalues (at most the number of probe points are ever filled)",
        )
        self.method = check_choice("method", method, METHODS)
        self.outputs = check_choice("outputs", outputs, OUTPUTS)
        self.dtype = check_kernel_dtype("dtype", check_float_dtype("dtype", dtype, allow_none=False))
        self.name = name
        self.initial: torch.Tensor | None = None

    def record(self, model: nn.Module, snapshot: Snapshot) -> dict[str, Any]:
        points = as_points("x", snapshot.probe if self.x is None else self.x, input_width(model))
        kernel = empirical_ntk(
            model, points, method=self.method, outputs=self.outputs, dtype=self.dtype, progress=False
        ).kernel
        if self.initial is None:
            self.initial = kernel.clone()
        matrix = kernel_matrix("kernel", kernel)
        values, _ = symmetric_eigh(matrix)
        top = np.full(self.n_eigenvalues, np.nan)  # fixed length: records stack across snapshots
        count = min(self.n_eigenvalues, len(values))
        top[:count] = values[:count].cpu().numpy()
        return {"eigenvalues": top, "drift": kernel_drift(kernel, self.initial), "trace": float(matrix.trace())}

    def state_dict(self) -> dict[str, Any]:
        return {"initial": self.initial}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.initial = state["initial"]
