"""Fourier-domain error dynamics during training: a :class:`~spectra.training.Recorder` and its reader.

At each record step of :func:`spectra.training.fit`, :class:`FourierErrorRecorder` takes the residual
r = f - g on the probe points and records, at frequencies k (default: the peaks of the target's
spectrum on the probe grid) with c(k) the coefficient of :mod:`spectra.fourier.spectrum`:

- ``frequency`` (K, d): the frequencies k (cycles per unit length);
- ``residual_coefficient`` (K,) complex: c_r(k);
- ``relative_error`` (K,): Xu's complex Δ_F(k) = ``|c_r(k)|`` / ``|c_g(k)|``;
- ``magnitude_error`` (K,): ``| |c_f(k``)| - ``|c_g(k)|`` ``| / |c_g(k``)|, with c_f = c_g + c_r;
- ``amplitude_ratio`` (K,): ``|c_f(k)|`` / ``|c_g(k)|``, Rahaman's normalised amplitude at a line of the target;
- ``residual_spectrum`` (M,): the single-sided amplitude of r on every bin of the half-space
  (:class:`~spectra.fourier.spectrum.Spectrum` order), on grid probes when ``residual_spectrum=True``.

On a probe that is not a uniform grid, give the frequencies explicitly and ``residual_spectrum=False``:
the coefficients are then the normalised non-uniform DFT (1/P) Σ_j r_j exp(-2πi k·x_j). Work stays on
the training device; only the K (+ M) recorded numbers are copied to the CPU. :func:`error_dynamics`
reads the records of a :class:`~spectra.training.History` back as an :class:`ErrorDynamics`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from spectra._validation import (
    _Described,
    as_real_array,
    check_choice,
    check_positive_float,
    check_positive_int,
    fail,
)
from spectra.fourier._arrays import as_tensor, to_numpy
from spectra.fourier.dynamics import decay_rates, time_to_threshold
from spectra.fourier.errors import check_nonzero, relative_error
from spectra.fourier.grid import grid_layout, is_uniform_grid
from spectra.fourier.spectrum import (
    GridTransform,
    bins_of,
    flat_index,
    frequencies_of,
    half_space_bins,
    peak_bins,
    single_sided,
)
from spectra.fourier.transforms import direct_transform
from spectra.results import Result
from spectra.training import History, Recorder, Snapshot


@dataclass
class _Plan:
    """What the recorder sets up once per probe: frequencies, the transform, target coefficients."""

    probe: torch.Tensor
    frequency: np.ndarray
    transform: GridTransform | None = None
    peak_index: torch.Tensor | None = None
    spectrum_index: torch.Tensor | None = None
    spectrum_factor: torch.Tensor | None = None
    target: torch.Tensor | None = None  # c_g(k), set once the plan can compute it

    def coefficients(self, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """c(k) of values (P,) on the probe at the plan's frequencies (K,), and on every bin (grids only)."""
        if self.transform is not None:
            every_bin = self.transform(values[None])[0]
            return every_bin[self.peak_index], every_bin
        k = torch.as_tensor(self.frequency, dtype=self.probe.dtype, device=self.probe.device)
        return direct_transform(self.probe, values[:, None], k)[:, 0] / len(self.probe), None


class FourierErrorRecorder(Recorder):
    """Residual spectra and per-frequency errors at each record step (module docstring for the keys).

    Parameters
    ----------
    peaks
        ``"auto"``: the strict local maxima of the target's spectrum on the probe grid with amplitude
        >= ``threshold`` × the largest; or frequencies (K, d) (1-D: (K,)), on the DFT bins of a grid probe.
    residual_spectrum
        Also record the residual's full single-sided spectrum (grid probes only).
    output
        Which output column of a multi-output model to analyse.
    name
        Prefix of the keys in ``History.records``.
    """

    def __init__(
        self,
        peaks: str | np.ndarray = "auto",
        *,
        residual_spectrum: bool = True,
        threshold: float = 1e-3,
        output: int = 0,
        name: str = "fourier",
    ) -> None:
        auto = isinstance(peaks, str)
        self.peaks = check_choice("peaks", peaks, ("auto",)) if auto else as_real_array("peaks", peaks)
        self.residual_spectrum = bool(residual_spectrum)
        self.threshold = check_positive_float("threshold", threshold)
        self.output = check_positive_int("output", output, allow_zero=True)
        self.name = name
        self._plan: _Plan | None = None

    def _make_plan(self, snapshot: Snapshot) -> _Plan:
        probe = snapshot.probe
        if snapshot.probe_target is None:
            fail("probe_target", "target values on the probe points (fit(..., probe_target=...))", None)
        if self.output >= snapshot.probe_target.shape[1]:
            fail("output", f"an output index below {snapshot.probe_target.shape[1]}", self.output)
        target = snapshot.probe_target[:, self.output]
        if not is_uniform_grid(probe):
            if isinstance(self.peaks, str) or self.residual_spectrum:
                fail(
                    "peaks",
                    "explicit frequencies and residual_spectrum=False for a probe that is not a uniform grid",
                    _Described(f"peaks={self.peaks!r}, residual_spectrum={self.residual_spectrum}"),
                )
            k = as_tensor("peaks", self.peaks, probe.device).to(probe.dtype)
            k = k[:, None] if k.dim() == 1 else k
            if k.dim() != 2 or k.shape[1] != probe.shape[1] or len(k) == 0:
                fail("peaks", f"a non-empty set of frequencies of shape (K, {probe.shape[1]})", tuple(k.shape))
            plan = _Plan(probe, to_numpy(k))
        else:
            layout = grid_layout("probe", probe)
            transform = GridTransform(layout)
            if isinstance(self.peaks, str):
                bins = peak_bins(transform(target[None])[0], layout.shape, self.threshold)
                if len(bins) == 0:
                    fail("probe_target", "a target whose spectrum has at least one peak", _Described("a flat spectrum"))
            else:
                bins = bins_of("peaks", self.peaks, layout)
            plan = _Plan(probe, frequencies_of(bins, layout), transform, flat_index(bins, layout.shape, probe.device))
            if self.residual_spectrum:
                half = half_space_bins(layout.shape)
                plan.spectrum_index = flat_index(half, layout.shape, probe.device)
                plan.spectrum_factor = torch.as_tensor(
                    single_sided(half, layout.shape), dtype=probe.dtype, device=probe.device
                )
        plan.target = plan.coefficients(target)[0]
        check_nonzero("peaks", plan.target, target, plan.frequency)
        return plan

    def record(self, model: nn.Module, snapshot: Snapshot) -> dict[str, np.ndarray]:
        if self._plan is None or self._plan.probe is not snapshot.probe:
            self._plan = self._make_plan(snapshot)
        plan = self._plan
        residual = snapshot.residual[:, self.output]
        r_hat, every_bin = plan.coefficients(residual)
        f_hat = plan.target + r_hat
        values = {
            "relative_error": relative_error(f_hat, plan.target, "complex"),
            "magnitude_error": relative_error(f_hat, plan.target, "magnitude"),
            "amplitude_ratio": f_hat.abs() / plan.target.abs(),
            "residual_coefficient": r_hat,
        }
        if plan.spectrum_index is not None:
            values["residual_spectrum"] = plan.spectrum_factor * every_bin[plan.spectrum_index].abs()
        out = {key: to_numpy(value) for key, value in values.items()}
        out["frequency"] = plan.frequency
        return out


@dataclass
class ErrorDynamics(Result):
    """The records of a :class:`FourierErrorRecorder` over a run (recorder module docstring).

    ``steps``, ``time`` (R,); ``frequency`` (K, d); ``relative_error``, ``magnitude_error``,
    ``amplitude_ratio`` (R, K); ``residual_coefficient`` (R, K) complex; ``spectrum_frequency`` (M, d)
    and ``residual_spectrum`` (R, M) (M = 0 when not recorded).
    """

    steps: np.ndarray = Result.array_field(("R",), "int")
    time: np.ndarray = Result.array_field(("R",))
    frequency: np.ndarray = Result.array_field(("K", "d"))
    relative_error: np.ndarray = Result.array_field(("R", "K"))
    magnitude_error: np.ndarray = Result.array_field(("R", "K"))
    amplitude_ratio: np.ndarray = Result.array_field(("R", "K"))
    residual_coefficient: np.ndarray = Result.array_field(("R", "K"), "complex")
    spectrum_frequency: np.ndarray = Result.array_field(("M", "d"))
    residual_spectrum: np.ndarray = Result.array_field(("R", "M"))

    def to_frame(self) -> pd.DataFrame:
        """One row per (record step, frequency): step, time, f0..f{d-1}, ``|f|``, and the three errors."""
        records, k = self.relative_error.shape
        frame = pd.DataFrame({"step": np.repeat(self.steps, k), "time": np.repeat(self.time, k)})
        for j in range(self.frequency.shape[1]):
            frame[f"f{j}"] = np.tile(self.frequency[:, j], records)
        frame["|f|"] = np.tile(np.linalg.norm(self.frequency, axis=1), records)
        for key in ("relative_error", "magnitude_error", "amplitude_ratio"):
            frame[key] = getattr(self, key).reshape(-1)
        return frame

    def _series(self, key: str, by: str) -> tuple[np.ndarray, np.ndarray]:
        check_choice("key", key, ("relative_error", "magnitude_error", "amplitude_ratio"))
        check_choice("by", by, ("step", "time"))
        return getattr(self, key), (self.steps if by == "step" else self.time).astype(float)

    def decay_rates(
        self, key: str = "relative_error", *, by: str = "time", t_range: tuple[float, float] | None = None
    ) -> np.ndarray:
        """:func:`~spectra.fourier.dynamics.decay_rates` per frequency against ``by`` ("time": lr × steps)."""
        values, clock = self._series(key, by)
        return decay_rates(values, clock, t_range=t_range)

    def time_to_threshold(
        self, level: float, key: str = "relative_error", *, by: str = "time", direction: str = "below"
    ) -> np.ndarray:
        """:func:`~spectra.fourier.dynamics.time_to_threshold` per frequency against ``by`` (``inf``: never)."""
        values, clock = self._series(key, by)
        return time_to_threshold(values, clock, level, direction=direction)


def error_dynamics(history: History, name: str = "fourier") -> ErrorDynamics:
    """Read the records of the :class:`FourierErrorRecorder` called ``name`` from a History."""
    if not isinstance(history, History):
        fail("history", "a spectra.training.History", _Described(type(history).__name__), TypeError)
    records: Mapping[str, Any] = history.records
    if f"{name}/relative_error" not in records:
        recorded = sorted({key.split("/")[0] for key in records})
        fail("name", f"the name of a FourierErrorRecorder in the History (recorded: {recorded})", name)
    frequency = records[f"{name}/frequency"][0]
    spectrum = records.get(f"{name}/residual_spectrum")
    if spectrum is None:
        spectrum_frequency = np.zeros((0, history.probe.shape[1]))
        spectrum = np.zeros((len(history.steps), 0))
    else:
        layout = grid_layout("history.probe", torch.as_tensor(history.probe))
        spectrum_frequency = frequencies_of(half_space_bins(layout.shape), layout)
    return ErrorDynamics(
        steps=history.steps,
        time=history.time,
        frequency=frequency.reshape(len(frequency), -1),
        relative_error=records[f"{name}/relative_error"],
        magnitude_error=records[f"{name}/magnitude_error"],
        amplitude_ratio=records[f"{name}/amplitude_ratio"],
        residual_coefficient=records[f"{name}/residual_coefficient"],
        spectrum_frequency=spectrum_frequency,
        residual_spectrum=spectrum,
    )
