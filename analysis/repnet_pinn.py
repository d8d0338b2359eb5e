"""Physics-informed networks with vanilla, RepNet and Fourier-feature bodies: forward and inverse Poisson problems.

    python analysis/repnet_pinn.py [--quick] [--out DIR] [--seeds 0 1 2] [--no-progress]
        [--workers N | --scheduler tcp://host:port | --cluster local:N]

RepNet here is "RepNet (reparameterised first layer, as described in the abstract)" (spectra.models.RepNet),
not the paper's code. Problems (spectra.pinn; loss: relative residual + λ_b · boundary [+ λ_d · data],
each term a mean loss):

- ``poisson_1d``: -u'' = f on [0, 1], u = sin(2πx) + 0.1 sin(50πx), u(0) = u(1) = 0;
- ``poisson_2d``: -Δu = f on [0, 1]², u = sin(2πx) sin(2πy) + 0.1 sin(8πx) sin(8πy), u = 0 on the boundary;
- ``inverse_1d``: -k u'' = f on [0, 1] with k unknown (true k* = 0.5, initial guess 1), u = sin(2πx) +
  0.1 sin(20πx), f known, ``n_observations`` observations of u at uniform random points with N(0, 0.01²)
  noise; k = exp(log k) is trained with the network (spectra.pinn.InverseModel).

Models: tanh networks (a ReLU network has no second derivative) under the fair protocol of repnet_common.py,
widths matched to the naive MLP's parameter count: ``MLP (naive)``, ``MLP (normalised)``, ``RepNet adaptive``
with s0 = 2π k_max (k_max = max|κ|, the highest frequency of the solution, cycles per unit length) and
partition points on a uniform grid, and the Fourier-feature MLPs with σ = 10 per side length (blind) and
σ = k_max / 2. All take the same number of full-batch Adam steps on the same collocation points, each at the
learning rate its own training loss (the PINN loss) picks from ``lrs``.

Measured over seeds: relative L2 error of u on a periodic probe grid (median over the last 20% of the records,
the headline, and at the last step) and its per-seed ratio to every baseline; Xu's relative error of u at the
low and the high frequencies of the solution at the end (spectra.fourier.FourierErrorRecorder); the final loss;
first-layer kinks in the domain and RepNet's s, p, v movement; for the inverse problem, |k - k*| / k*; and the
residual's frequency weighting (|k_high| / |k_low|)², how much more the loss weighs the highest line's error.
``--full`` trains 4× longer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
from repnet_common import (
    FF_BLIND,
    FF_KMAX,
    NAIVE,
    NORMALISED,
    REPNET,
    Architecture,
    Study,
    build_model,
    compare,
    curve_rows,
    first_layer_columns,
    first_layer_state,
    late_columns,
    matched_width,
    plot_error_curves,
    plot_scale_errors,
    print_headline,
    print_over_budget,
    scale_curves,
)
from torch import nn

from spectra.domain import sample_uniform, uniform_grid
from spectra.fourier import FourierErrorRecorder, error_dynamics
from spectra.models import count_parameters
from spectra.pinn import InverseModel, PINNLoss, Poisson, box_boundary, multiscale_poisson_1d, multiscale_poisson_2d
from spectra.studies import format_spread, format_table, spread
from spectra.training import Recorder, Snapshot, fit

MODELS = (NAIVE, NORMALISED, REPNET, FF_BLIND, FF_KMAX)


@dataclass(frozen=True)
class ProblemSpec:
    """A PINN problem of the study and how it is sampled and trained."""

    name: str
    build: Callable[[], Poisson]
    n_collocation: int  # per axis (a uniform grid, ends included)
    n_boundary: int  # per face axis (ignored in 1-D)
    n_probe: int  # per axis (periodic grid)
    steps: int
    n_observations: int = 0
    noise: float = 0.0
    initial_coefficient: float | None = None  # set: the coefficient is unknown and trained

    @property
    def k_max(self) -> float:
        return float(np.linalg.norm(self.build().solution.frequencies, axis=1).max())


def poisson_1d() -> Poisson:
    return multiscale_poisson_1d()


def poisson_2d() -> Poisson:
    return multiscale_poisson_2d(low=1.0, high=4.0)


def inverse_1d() -> Poisson:
    return multiscale_poisson_1d(frequencies=(1.0, 10.0), coefficient=0.5)


@dataclass(frozen=True)
class Settings:
    lrs: tuple[float, ...] = (3e-4, 1e-3, 3e-3)  # every model's tuning budget (repnet_common)
    width: int = 48
    depth: int = 3
    boundary_weight: float = 10.0
    data_weight: float = 10.0
    ff_frequencies: int = 32
    record_every: int = 100
    problems: tuple[ProblemSpec, ...] = field(
        default_factory=lambda: (
            ProblemSpec("poisson_1d", poisson_1d, 400, 1, 1024, 5000),
            ProblemSpec("poisson_2d", poisson_2d, 24, 24, 64, 3000),
            ProblemSpec("inverse_1d", inverse_1d, 200, 1, 1024, 3000, 30, 0.01, 1.0),
        )
    )

    @classmethod
    def full(cls) -> Settings:
        return cls(problems=tuple(replace(p, steps=4 * p.steps) for p in cls().problems), record_every=400)

    @classmethod
    def quick(cls) -> Settings:
        return cls(
            lrs=(1e-3, 3e-3),
            width=24,
            ff_frequencies=8,
            record_every=50,
            problems=(
                ProblemSpec("poisson_1d", poisson_1d, 200, 1, 256, 400),
                ProblemSpec("poisson_2d", poisson_2d, 12, 12, 32, 150),
                ProblemSpec("inverse_1d", inverse_1d, 100, 1, 256, 300, 30, 0.01, 1.0),
            ),
        )


class CoefficientRecorder(Recorder):
    """The trained coefficient k of an :class:`~spectra.pinn.InverseModel` at each snapshot."""

    name = "coefficient"

    def record(self, model: nn.Module, snapshot: Snapshot) -> dict[str, float]:
        return {"k": float(model.coefficient.detach())}


@dataclass(frozen=True)
class Task:
    settings: Settings
    problem: ProblemSpec
    model: str
    seed: int
    lr: float = math.nan  # set by Study.tune_and_run

    @property
    def group(self) -> str:
        return self.problem.name


def run_task(task: Task) -> dict:
    settings, spec = task.settings, task.problem
    problem = spec.build()
    d = problem.dim
    arch = Architecture(
        d,
        1,
        settings.width,
        settings.depth,
        "tanh",
        problem.domain,
        2 * math.pi * spec.k_max,
        settings.ff_frequencies,
        spec.k_max,
    )
    width = matched_width(task.model, arch)
    network = build_model(task.model, arch, width, task.seed)
    first_layer = first_layer_state(network, problem.domain)
    observations = None
    if spec.n_observations:  # the data depend on the seed only: every model of a seed sees the same
        points = sample_uniform(problem.domain, spec.n_observations, seed=1000 + task.seed, dtype=torch.float32)
        observations = problem.observations(points, spec.noise, seed=2000 + task.seed)
    model = network if spec.initial_coefficient is None else InverseModel(network, spec.initial_coefficient)
    loss = PINNLoss(
        problem,
        uniform_grid(problem.domain, spec.n_collocation, endpoint=True, dtype=torch.float32),
        box_boundary(problem.domain, spec.n_boundary, dtype=torch.float32),
        observations,
        boundary_weight=settings.boundary_weight,
        data_weight=settings.data_weight,
    )
    probe = uniform_grid(problem.domain, spec.n_probe, dtype=torch.float32)
    frequencies = problem.solution.frequencies
    recorders = [FourierErrorRecorder(peaks=frequencies if d > 1 else frequencies[:, 0], residual_spectrum=False)]
    if isinstance(model, InverseModel):
        recorders.append(CoefficientRecorder())
    history = fit(
        model,
        probe,
        None,
        objective=loss,
        lr=task.lr,
        steps=spec.steps,
        record_every=settings.record_every,
        probe=probe,
        probe_target=problem.solution(probe),
        recorders=recorders,
        seed=task.seed,
        progress=False,
    )
    per_frequency = error_dynamics(history).relative_error
    norms = np.linalg.norm(frequencies, axis=1)
    low, high = norms <= norms.min(), norms >= norms.max()
    error = history.relative_l2_error()
    labels = dict(problem=spec.name, model=task.model, seed=task.seed)
    row = dict(
        **labels,
        lr=task.lr,
        width=width,
        n_parameters=count_parameters(model),
        relative_l2=float(error[-1]),
        **late_columns(history, error),
        **first_layer_columns(first_layer, network, problem.domain),
        error_low=float(per_frequency[-1, low].mean()),
        error_high=float(per_frequency[-1, high].mean()),
        final_loss=float(history.loss[-1]),
        coefficient=math.nan,
        coefficient_error=math.nan,
        wall_time_s=float(history.wall_time[-1]),
    )
    if isinstance(model, InverseModel):
        row["coefficient"] = float(model.coefficient.detach())
        row["coefficient_error"] = abs(row["coefficient"] - problem.coefficient) / problem.coefficient
    frequency_curve = scale_curves(
        history, {"low": per_frequency[:, low].mean(axis=1), "high": per_frequency[:, high].mean(axis=1)}, **labels
    )
    return {"row": row, "curve": curve_rows(history, error, **labels), "frequency_curve": frequency_curve}


def residual_weighting(problems: Sequence[ProblemSpec]) -> dict[str, float]:
    """Per problem, (|k_high| / |k_low|)²: how much more the PINN loss weighs an error in the solution's highest line
    than the same error in its lowest (the Laplacian multiplies the amplitude at |k| by (2π|k|)²)."""
    out = {}
    for spec in problems:
        norms = np.linalg.norm(spec.build().solution.frequencies, axis=1)
        out[spec.name] = float((norms.max() / norms.min()) ** 2)
    return out


def main() -> None:
    with Study.from_command_line("repnet_pinn", __doc__, Settings) as study:
        run(study)


def run(study: Study) -> None:
    """The study itself: train, compare, print, and write the results into ``study.folder``."""
    settings = study.settings
    tasks = [Task(settings, p, name, study.seeds[0]) for p in settings.problems for name in MODELS]
    results, tuning = study.tune_and_run(run_task, tasks)
    comparison = compare(
        results,
        diagnostics=["error_low", "error_high", "final_loss", "coefficient", "coefficient_error"],
        tuning=tuning,
        by="problem",
    )
    inverse = comparison.runs[comparison.runs.coefficient.notna()]
    coefficient = {
        problem: {model: spread(frame.coefficient_error.to_list()) for model, frame in by_problem.groupby("model")}
        for problem, by_problem in inverse.groupby("problem")
    }

    print("PINNs (tanh): relative L2 error of u, median over the last 20% of the records and at the last step,")
    print(f"mean ± std over {len(study.seeds)} seeds; ratios per seed against each baseline (Adam, learning rate tuned")
    steps = ", ".join(f"{p.name} {p.steps}" for p in settings.problems)
    print(f"per model from {list(settings.lrs)} on the PINN loss; steps: {steps})")
    print(format_table(comparison.table))
    print("\nDiagnostics (means over seeds): Xu's relative error of u at the lowest and the highest frequencies")
    print("of the solution at the end, final loss, and for the inverse problem the coefficient k (k* = 0.5)")
    print(format_table(comparison.diagnostics))
    for problem, by_model in coefficient.items():
        print(f"{problem}: |k - k*| / k*: " + ", ".join(f"{m} {format_spread(s)}" for m, s in by_model.items()))
    print_over_budget(
        comparison.over_budget(max(p.steps for p in settings.problems), by="problem"), comparison.best_baseline
    )
    print_headline(comparison, high="error_high")
    weighting = residual_weighting(settings.problems)
    print("The residual -Δu - f weighs an error at frequency |k| by (2π|k|)²: relative to the lowest line, the")
    print("highest line's error counts " + ", ".join(f"{name} {w:.3g}×" for name, w in weighting.items()))

    study.write(
        comparison,
        {
            "coefficient_error": coefficient,
            "s0": {p.name: 2 * math.pi * p.k_max for p in settings.problems},
            "residual_weighting": weighting,
        },
        settings={  # a problem's build function is code, not a setting
            **{k: v for k, v in asdict(settings).items() if k != "problems"},
            "problems": [{k: v for k, v in asdict(p).items() if k != "build"} for p in settings.problems],
        },
        figures={
            "error_curves": plot_error_curves(comparison.curves, panel="problem", ylabel="relative L2 error of u"),
            "frequency_error": plot_scale_errors(
                comparison.frequency_curves, panel="problem", ylabel="relative error Δ_F of u"
            ),
        },
    )


if __name__ == "__main__":
    main()
