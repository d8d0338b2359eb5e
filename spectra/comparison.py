"""Plain MLP, RepNet and Fourier-feature MLP on a multiscale 1-D target, at equal steps.

Target g(x) = sin(2πx) + 0.1 sin(50πx) on [0, 1] (frequencies 1 and 25 cycles per unit), trained
on an evenly spaced grid with Adam, full batch, the same steps and learning rate for every model,
and scored by the relative L2 error |f - g| / |g| on a finer probe grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import torch
from torch import nn

from spectra._validation import check_positive_int
from spectra.domain import uniform_grid
from spectra.models import MLP, FourierFeatureMLP, FourierFeatures, RepNet, count_parameters
from spectra.results import Result, to_jsonable
from spectra.targets import multiscale_1d
from spectra.training import History, fit


@dataclass(frozen=True)
class ComparisonSettings:
    steps: int = 3000
    lr: float = 1e-3
    n_train: int = 1000
    n_probe: int = 2001
    width: int = 128
    depth: int = 3
    repnet_s0: float = 10.0
    ff_frequencies: int = 64
    ff_sigma: float = 10.0
    seed: int = 0

    @classmethod
    def quick(cls) -> ComparisonSettings:
        return cls(steps=200, n_train=256, n_probe=513, width=32, depth=2, ff_frequencies=16)


def comparison_models(settings: ComparisonSettings) -> dict[str, Callable[[], nn.Module]]:
    """Constructors of the three models compared, with documented defaults."""
    w, d, seed = settings.width, settings.depth, settings.seed
    return {
        "MLP": lambda: MLP(1, 1, w, d, seed=seed),
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
    """Relative L2 error of each model at equal steps, with run settings (histories are not saved)."""

    models: list[str]
    relative_l2: list[float]
    n_parameters: list[int]
    wall_time: list[float]
    settings: dict = field(default_factory=dict)
    histories: dict[str, History] = field(default_factory=dict, repr=False, metadata={"save": False})

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "model": self.models,
                "relative_l2": self.relative_l2,
                "n_parameters": self.n_parameters,
                "wall_time_s": self.wall_time,
            }
        )


def compare_models(settings: ComparisonSettings = ComparisonSettings(), *, progress: bool = True) -> Comparison:
    """Train the three models on the multiscale target with equal steps; return errors and histories."""
    check_positive_int("steps", settings.steps)
    target = multiscale_1d()
    x = uniform_grid(target.domain, settings.n_train, endpoint=True, dtype=torch.float32)
    probe = uniform_grid(target.domain, settings.n_probe, endpoint=True, dtype=torch.float32)
    histories: dict[str, History] = {}
    n_parameters = []
    for name, build in comparison_models(settings).items():
        model = build()
        n_parameters.append(count_parameters(model))
        histories[name] = fit(
            model,
            x,
            target(x),
            lr=settings.lr,
            steps=settings.steps,
            probe=probe,
            probe_target=target(probe),
            seed=settings.seed,
            progress=progress,
        )
    return Comparison(
        models=list(histories),
        relative_l2=[float(h.relative_l2_error()[-1]) for h in histories.values()],
        n_parameters=n_parameters,
        wall_time=[float(h.wall_time[-1]) for h in histories.values()],
        settings=to_jsonable(vars(settings)),
        histories=histories,
    )
