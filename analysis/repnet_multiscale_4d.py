"""RepNet against vanilla networks on a multiscale 4-D function, at equal parameters and equal steps.

    python analysis/repnet_multiscale_4d.py [--quick] [--out DIR] [--seeds 0 1 2] [--no-progress]
        [--workers N | --scheduler tcp://host:port | --cluster local:N]

RepNet here is "RepNet (reparameterised first layer, as described in the abstract)" (spectra.models.RepNet),
not the paper's code. The comparison is the one of repnet_multiscale_1d.py (the fair protocol of
repnet_common.py: the same models at matched parameter counts, the same Adam steps and the same learning-rate
budget for all, ReLU and tanh, seeds; the headline is the late median error), on

    g(x) = Σ_{j=1..4} [ sin(2π x_j) + 0.2 sin(2π·8·x_j) ]   on [0, 1]^4   (spectra.targets.multiscale_4d),

learned from ``n_train`` uniform random samples in minibatches of ``batch_size``, and scored on the held-out
periodic grid of ``n_grid``^4 points (relative L2 error |f - g| / |g|; with n_grid = 17 > 2·8 every line of g
falls on a DFT bin of the grid). RepNet's partition hyperplanes
{x : v_i·x = p_i} have random unit normals v_i and offsets p_i on a uniform grid of the range of v_i·x
over the cube; s0 = 2π·8.

Diagnostics: Xu's relative error at the 8 frequency vectors of g (k = e_j and 8 e_j) on the grid over
training (spectra.fourier.FourierErrorRecorder), averaged per scale. Breakpoint density along the
axis-parallel segment x(t) = (t, 1/2, 1/2, 1/2), t in [0, 1],
at the start and the end (ReLU: kinks of f, exact; tanh: transition centres, numerical); first-layer hyperplanes
meeting the cube at the start and the end; how far RepNet's s, p and v moved. ``--full`` trains 5× longer (at
4000 steps no model had learned the 8-cycle component).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from repnet_common import (
    MODELS,
    Architecture,
    Study,
    Task,
    breakpoint_density,
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

from spectra.domain import sample_uniform, uniform_grid
from spectra.fourier import FourierErrorRecorder, error_dynamics
from spectra.models import count_parameters
from spectra.studies import format_table
from spectra.targets import multiscale_4d
from spectra.training import fit

HIGH = 8.0
S0_DEFAULT = 2 * math.pi * HIGH
SEGMENT = (np.array([0.0, 0.5, 0.5, 0.5]), np.array([1.0, 0.5, 0.5, 0.5]))


@dataclass(frozen=True)
class Settings:
    steps: int = 4000
    lrs: tuple[float, ...] = (3e-4, 1e-3, 3e-3)  # every model's tuning budget (repnet_common)
    n_train: int = 8192
    batch_size: int = 1024
    n_grid: int = 17
    width: int = 96
    depth: int = 3
    activations: tuple[str, ...] = ("relu", "tanh")
    ff_frequencies: int = 64
    record_every: int = 250  # each record evaluates the model on the n_grid^4 grid

    @classmethod
    def quick(cls) -> Settings:
        return cls(
            steps=300, lrs=(1e-3, 3e-3), n_train=2048, batch_size=512, width=32, depth=2, ff_frequencies=16,
            record_every=60,
        )  # fmt: skip

    @classmethod
    def full(cls) -> Settings:
        return cls(steps=20000, record_every=1000)


def run_task(task: Task) -> dict:
    settings, target = task.settings, multiscale_4d(high=HIGH)
    arch = Architecture(
        4,
        1,
        settings.width,
        settings.depth,
        task.activation,
        target.domain,
        S0_DEFAULT,
        settings.ff_frequencies,
        HIGH,
    )
    width = matched_width(task.model, arch)
    model = build_model(task.model, arch, width, task.seed)
    density_start = breakpoint_density(model, task.activation, *SEGMENT)
    first_layer = first_layer_state(model, target.domain)
    # Data sets depend on the seed only, so every model of a seed sees the same samples.
    x = sample_uniform(target.domain, settings.n_train, seed=1000 + task.seed, dtype=torch.float32)
    test = uniform_grid(target.domain, settings.n_grid, dtype=torch.float32)
    frequencies, _ = target.line_spectrum()  # e_j (scale 1) then 8 e_j (scale 8)
    history = fit(
        model,
        x,
        target(x),
        lr=task.lr,
        steps=settings.steps,
        batch_size=settings.batch_size,
        record_every=settings.record_every,
        probe=test,
        probe_target=target(test),
        recorders=[FourierErrorRecorder(peaks=frequencies, residual_spectrum=False)],
        seed=task.seed,
        progress=False,
    )
    per_frequency = error_dynamics(history).relative_error  # (R, 8)
    low, high = per_frequency[:, :4].mean(axis=1), per_frequency[:, 4:].mean(axis=1)
    error = history.relative_l2_error()
    labels = dict(activation=task.activation, model=task.model, seed=task.seed)
    row = dict(
        **labels,
        lr=task.lr,
        width=width,
        n_parameters=count_parameters(model),
        relative_l2=float(error[-1]),
        **late_columns(history, error),
        error_low=float(low[-1]),
        error_high=float(high[-1]),
        density_start=density_start,
        density_end=breakpoint_density(model, task.activation, *SEGMENT),
        **first_layer_columns(first_layer, model, target.domain),
        wall_time_s=float(history.wall_time[-1]),
    )
    frequency_curve = scale_curves(history, {"low (k = 1)": low, "high (k = 8)": high}, **labels)
    return {"row": row, "curve": curve_rows(history, error, **labels), "frequency_curve": frequency_curve}


def main() -> None:
    with Study.from_command_line("repnet_multiscale_4d", __doc__, Settings) as study:
        run(study)


def run(study: Study) -> None:
    """The study itself: train, compare, print, and write the results into ``study.folder``."""
    settings = study.settings
    tasks = [Task(settings, a, name, study.seeds[0]) for a in settings.activations for name in MODELS]
    results, tuning = study.tune_and_run(run_task, tasks)
    comparison = compare(
        results, diagnostics=["error_low", "error_high", "density_start", "density_end"], tuning=tuning
    )
    over_budget = comparison.over_budget(settings.steps)

    print("Multiscale 4-D target Σ_j [sin(2πx_j) + 0.2 sin(16πx_j)] on [0, 1]^4: relative L2 error on a held-out")
    print(f"grid (median over the last 20% of the records, and at the last step), mean ± std over {len(study.seeds)}")
    print(f"seeds ({settings.steps} Adam steps, learning rate tuned per model from {list(settings.lrs)}, minibatch")
    print(f"{settings.batch_size} of {settings.n_train}; ratios per seed against each baseline)")
    print(format_table(comparison.table))
    print("\nDiagnostics (means over seeds): Xu's relative error averaged over the frequency vectors of each")
    print("scale at the end; breakpoint density along (t, 1/2, 1/2, 1/2) at start and end; first-layer")
    print("hyperplanes meeting the cube; RepNet's s, p and v movement; plateau (module docstring of repnet_common)")
    print(format_table(comparison.diagnostics))
    print_over_budget(over_budget, comparison.best_baseline)
    print_headline(comparison, high="error_high")

    study.write(
        comparison,
        {"ratio_over_budget": over_budget, "s0": S0_DEFAULT},
        figures={
            "error_curves": plot_error_curves(comparison.curves, ylabel="relative L2 error on the held-out grid"),
            "frequency_error": plot_scale_errors(
                comparison.frequency_curves, ylabel="relative error Δ_F, mean over a scale"
            ),
        },
    )


if __name__ == "__main__":
    main()
