"""The main job for now: plain MLP, RepNet and Fourier-feature MLP on a multiscale 1-D target.

Target g(x) = sin(2πx) + 0.1 sin(50πx) on [0, 1] (frequencies 1 and 25 cycles per unit), trained
on an evenly spaced grid with Adam, full batch, the same steps and learning rate for every model,
and scored by the relative L2 error |f - g| / |g| on a finer probe grid. Writes into ``out``:
``fits.png``, ``training.png`` and ``summary.json`` (errors, wall times, settings, versions).
The directory is written whole: everything goes to a temporary sibling that is renamed at the end.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import torch
from torch import nn

from spectra._validation import check_positive_int, fail
from spectra.domain import uniform_grid
from spectra.models import MLP, FourierFeatureMLP, FourierFeatures, RepNet, count_parameters
from spectra.plots import plot_fits, plot_training_curves
from spectra.results import Result, library_versions, to_jsonable
from spectra.targets import multiscale_1d
from spectra.training import History, fit


@dataclass(frozen=True)
class DemoSettings:
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
    def quick(cls) -> DemoSettings:
        return cls(steps=200, n_train=256, n_probe=513, width=32, depth=2, ff_frequencies=16)


def demo_models(settings: DemoSettings) -> dict[str, Callable[[], nn.Module]]:
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
class DemoResult(Result):
    """Relative L2 error of each model at equal steps, with run settings."""

    models: list[str]
    relative_l2: list[float]
    n_parameters: list[int]
    wall_time: list[float]
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "model": self.models,
                "relative_l2": self.relative_l2,
                "n_parameters": self.n_parameters,
                "wall_time_s": self.wall_time,
            }
        )


def run_demo(
    out: str | Path, settings: DemoSettings = DemoSettings(), *, force: bool = False, progress: bool = True
) -> DemoResult:
    """Train the three models, write the figures and summary.json into ``out``; return the numbers."""
    out = Path(out)
    check_positive_int("steps", settings.steps)
    if out.exists() and not force:
        fail("out", "a directory that does not exist yet (or force=True to replace it)", str(out), FileExistsError)
    target = multiscale_1d()
    x = uniform_grid(target.domain, settings.n_train, endpoint=True, dtype=torch.float32)
    probe = uniform_grid(target.domain, settings.n_probe, endpoint=True, dtype=torch.float32)
    histories: dict[str, History] = {}
    n_parameters = []
    for name, build in demo_models(settings).items():
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
    result = DemoResult(
        models=list(histories),
        relative_l2=[float(h.relative_l2_error()[-1]) for h in histories.values()],
        n_parameters=n_parameters,
        wall_time=[float(h.wall_time[-1]) for h in histories.values()],
        settings=to_jsonable(vars(settings)),
    )
    _write_directory(out, histories, result)
    return result


def _write_directory(out: Path, histories: dict[str, History], result: DemoResult) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, figure in {"fits.png": plot_fits(histories), "training.png": plot_training_curves(histories)}.items():
            figure.savefig(staging / name, dpi=120)
            plt.close(figure)
        summary = {
            "target": "sin(2πx) + 0.1 sin(50πx) on [0, 1]",
            "metric": "relative L2 error |f - g| / |g| on the probe grid at the last step",
            "results": result.to_frame().to_dict(orient="records"),
            "settings": result.settings,
            "versions": library_versions(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (staging / "summary.json").write_text(json.dumps(summary, indent=2))
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
