"""Plain MLPs, RepNet and Fourier-feature MLP on a multiscale 1-D target, at equal steps, with diagnostics.

Target g(x) = sin(2πx) + 0.1 sin(50πx) on [0, 1] (frequencies 1 and 25 cycles per unit), trained
on an evenly spaced grid with Adam, full batch, the same steps and learning rate for every model,
and scored by the relative L2 error ``|f - g|`` / ``|g|`` on a finer periodic probe grid of [0, 1). One seed and one
learning rate: a demonstration; analysis/repnet_multiscale_1d.py is the fair comparison (a learning-rate
budget per model, seeds, late medians). The headline (:meth:`Comparison.headline`) sets RepNet against the
best other model of the run, not only against the naive MLP.

What each model is measured by, besides the error:

- per-frequency error during training: the residual's single-sided spectrum on the probe grid at every
  record step (:class:`~spectra.fourier.FourierErrorRecorder`), and Xu's relative error at the target's
  two frequencies;
- its empirical NTK at initialisation on a periodic grid of [0, 1): eigenvalue against each
  eigenvector's dominant frequency (which frequencies the kernel learns fast);
- the kinks of f on [0, 1] at the start and at the end of training (:func:`~spectra.partition.breakpoints_1d`;
  exact for the ReLU MLP and RepNet, numerical for the FF-MLP): how many pieces a model has to draw
  25 cycles per unit, which needs at least 50 kinks per unit length.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from spectra._validation import check_positive_float, check_positive_int, fail
from spectra.domain import uniform_grid
from spectra.fourier import ErrorDynamics, FourierErrorRecorder, error_dynamics
from spectra.models import MLP, FourierFeatureMLP, FourierFeatures, RepNet, count_parameters, normalised_mlp
from spectra.ntk import NTKSpectrum, empirical_ntk, ntk_spectrum
from spectra.partition import Breakpoints, breakpoints_1d
from spectra.results import Result, to_jsonable
from spectra.seeding import check_seed
from spectra.targets import multiscale_1d
from spectra.training import History, fit


@dataclass(frozen=True)
class ComparisonSettings:
    steps: int = 3000
    lr: float = 1e-3
    n_train: int = 1000
    n_probe: int = 2048
    width: int = 128
    depth: int = 3
    repnet_s0: float = 10.0
    ff_frequencies: int = 64
    ff_sigma: float = 10.0
    n_kernel: int = 256
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("steps", "n_train", "n_probe", "width", "depth", "ff_frequencies", "n_kernel"):
            check_positive_int(name, getattr(self, name))
        for name in ("lr", "repnet_s0", "ff_sigma"):
            check_positive_float(name, getattr(self, name))
        check_seed("seed", self.seed)

    @classmethod
    def quick(cls) -> ComparisonSettings:
        return cls(steps=200, n_train=256, n_probe=512, width=32, depth=2, ff_frequencies=16, n_kernel=128)


def comparison_models(settings: ComparisonSettings) -> dict[str, Callable[[], nn.Module]]:
    """Constructors of the models compared, with documented defaults: the naive MLP (PyTorch's defaults on raw
    inputs), the normalised MLP (:func:`~spectra.models.repnet.normalised_mlp`), RepNet and the FF-MLP."""
    w, d, seed = settings.width, settings.depth, settings.seed
    return {
        "MLP": lambda: MLP(1, 1, w, d, seed=seed),
        "MLP (normalised)": lambda: normalised_mlp(1, 1, w, d, (0.0, 1.0), seed=seed),
        "RepNet": lambda: RepNet(
            1, 1, w, d, domain=(0.0, 1.0), placement="uniform_grid", s0=settings.repnet_s0, seed=seed
        ),
        "FF-MLP": lambda: FourierFeatureMLP(
            FourierFeatures.gaussian(1, settings.ff_frequencies, settings.ff_sigma, seed=seed),
            width=w,
            depth=d,
            seed=seed,
        ),
    }


@dataclass
class Comparison(Result):
    """Errors and diagnostics of each model at equal steps, with run settings.

    ``relative_l2``, ``n_parameters``, ``wall_time``, ``kinks_start``, ``kinks_end`` (kinks of f per unit
    length on [0, 1]): one entry per model, in the order of ``models``. ``histories``, ``dynamics``
    (per-frequency errors), ``spectra`` (NTK at initialisation) and ``breakpoints`` (start, end) are
    kept for plotting and are not saved.
    """

    models: list[str]
    relative_l2: list[float]
    n_parameters: list[int]
    wall_time: list[float]
    kinks_start: list[float]
    kinks_end: list[float]
    settings: dict = field(default_factory=dict)
    histories: dict[str, History] = field(default_factory=dict, repr=False, metadata={"save": False})
    dynamics: dict[str, ErrorDynamics] = field(default_factory=dict, repr=False, metadata={"save": False})
    spectra: dict[str, NTKSpectrum] = field(default_factory=dict, repr=False, metadata={"save": False})
    breakpoints: dict[str, tuple[Breakpoints, Breakpoints]] = field(
        default_factory=dict, repr=False, metadata={"save": False}
    )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "model": self.models,
                "relative_l2": self.relative_l2,
                "n_parameters": self.n_parameters,
                "wall_time_s": self.wall_time,
                "kinks_per_unit_start": self.kinks_start,
                "kinks_per_unit_end": self.kinks_end,
            }
        )

    def _headline(self) -> list[tuple[str, Any]]:
        """RepNet over the best other model, for reprs (:meth:`headline`)."""
        if "RepNet" not in self.models or len(self.models) < 2:
            return []
        headline = self.headline()
        return [(f"RepNet / {headline['best_baseline']}", headline["repnet_over_best"])]

    def headline(self) -> dict[str, Any]:
        """RepNet's error over the best other model's (the strongest baseline of this run) and over the MLP's."""
        errors = dict(zip(self.models, self.relative_l2, strict=True))
        best = min((name for name in errors if name != "RepNet"), key=errors.__getitem__)
        return {
            "best_baseline": best,
            "repnet_over_best": errors["RepNet"] / errors[best],
            "repnet_over_mlp": errors["RepNet"] / errors["MLP"],
        }

    def frequency_frame(self) -> pd.DataFrame:
        """Xu's relative error at the target's frequencies at the last step, one row per (model, frequency)."""
        rows = [
            {"model": name, "frequency": float(f[0]), "relative_error_end": float(error)}
            for name, dynamics in self.dynamics.items()
            for f, error in zip(dynamics.frequency, dynamics.relative_error[-1], strict=True)
        ]
        return pd.DataFrame(rows)


def _kinks(model: nn.Module) -> Breakpoints:
    return breakpoints_1d(model.double(), 0.0, 1.0)


def compare_models(settings: ComparisonSettings = ComparisonSettings(), *, progress: bool = True) -> Comparison:
    """Train the three models on the multiscale target with equal steps; return errors and diagnostics."""
    if not isinstance(settings, ComparisonSettings):
        fail("settings", "a ComparisonSettings", type(settings).__name__, TypeError)
    target = multiscale_1d()
    x = uniform_grid(target.domain, settings.n_train, endpoint=True, dtype=torch.float32)
    probe = uniform_grid(target.domain, settings.n_probe, dtype=torch.float32)  # periodic: DFT bins exact
    kernel_grid = uniform_grid(target.domain, settings.n_kernel, dtype=torch.float64)
    comparison = Comparison([], [], [], [], [], [], settings=to_jsonable(vars(settings)))
    for name, build in comparison_models(settings).items():
        model = build()
        initial = copy.deepcopy(model)
        comparison.spectra[name] = ntk_spectrum(empirical_ntk(initial.double(), kernel_grid), kernel_grid)
        history = fit(
            model,
            x,
            target(x),
            lr=settings.lr,
            steps=settings.steps,
            probe=probe,
            probe_target=target(probe),
            recorders=[FourierErrorRecorder()],
            seed=settings.seed,
            progress=progress,
        )
        comparison.breakpoints[name] = (_kinks(initial), _kinks(copy.deepcopy(model)))
        comparison.histories[name] = history
        comparison.dynamics[name] = error_dynamics(history)
        comparison.models.append(name)
        comparison.relative_l2.append(float(history.relative_l2_error()[-1]))
        comparison.n_parameters.append(count_parameters(model))
        comparison.wall_time.append(float(history.wall_time[-1]))
        comparison.kinks_start.append(float(comparison.breakpoints[name][0].density))
        comparison.kinks_end.append(float(comparison.breakpoints[name][1].density))
    return comparison


def spectrum_band(dynamics: ErrorDynamics, highest: float) -> tuple[np.ndarray, np.ndarray]:
    """The residual spectrum's frequencies up to ``highest`` (cycles per unit) and its values there (R, K)."""
    keep = np.linalg.norm(dynamics.spectrum_frequency, axis=1) <= highest
    return dynamics.spectrum_frequency[keep], dynamics.residual_spectrum[:, keep]
