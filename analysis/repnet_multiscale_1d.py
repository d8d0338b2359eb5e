"""RepNet against vanilla networks on the multiscale 1-D target, at equal parameters and equal steps.

    python analysis/repnet_multiscale_1d.py [--quick] [--out DIR] [--seeds 0 1 2] [--no-progress]
        [--workers N | --scheduler tcp://host:port | --cluster local:N]

RepNet here is "RepNet (reparameterised first layer, as described in the abstract)" (spectra.models.RepNet,
docs/theory.rst, "RepNet's reparameterisation"), not the paper's code; its numbers are this design's, not the paper's.

Target g(x) = sin(2πx) + 0.1 sin(50πx) on [0, 1] (lines at 1 and 25 cycles per unit length, k_max = 25),
sampled on ``n_train`` evenly spaced points; every model takes the same number of full-batch Adam steps, for
ReLU and for tanh, under the fair protocol of repnet_common.py: the naive and the normalised MLP, the three
RepNet variants (partition points on a uniform grid of the data's box, s0 = 2π k_max: the tanh transition
width 1/s0 resolves the finest oscillation; for ReLU s0 is a relative learning rate, see spectra.models.repnet,
and the s0 sweep shows what other values give), and the two Fourier-feature MLPs, all at the naive MLP's
parameter count, each with the learning rate its own training loss picks from ``lrs``.

Measured, over seeds: the relative L2 error |f - g| / |g| on a periodic probe grid (median over the last 20% of
the records, the headline, and at the last step) and its per-seed ratio to every baseline; Xu's per-frequency
relative error at k = 1 and k = 25 over training (spectra.fourier.FourierErrorRecorder); the breakpoint
density on [0, 1] at the start and at the end of training (spectra.partition.breakpoints_1d: kinks of f for
ReLU, exact; transition centres of every neuron for tanh, numerical); the median first-layer slope |w_i| at
the start and the end; the fraction of first-layer partition points inside [0, 1] at the start and the end;
how far RepNet's s, p and v moved; RepNet adaptive / best baseline at a quarter, half and all of the steps
(equal steps is a budget); and a sweep of RepNet's initial slope scale s0 (at RepNet's tuned learning rate).
Runs are spread over ``--workers`` processes (default 2; 1 with ``--quick``). ``--full`` trains 4× longer.

The pieces the RepNet studies share (the model set with matched parameter counts, the command line and the
worker processes, the summary table of ratios against the vanilla baselines, the error-curve figures, the
output directory) live in repnet_common.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from repnet_common import (
    BASELINES,
    MODELS,
    NAIVE,
    REPNET,
    Architecture,
    Study,
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
from repnet_common import Task as ComparisonTask
from torch import nn

from spectra.domain import uniform_grid
from spectra.fourier import FourierErrorRecorder, error_dynamics
from spectra.models import FourierFeatureMLP, count_parameters
from spectra.partition import breakpoints_1d, partition_points
from spectra.plots.partition import plot_breakpoint_density
from spectra.plots.style import new_figure
from spectra.plots.training import plot_fits
from spectra.studies import format_table
from spectra.targets import multiscale_1d
from spectra.training import fit

# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    steps: int = 10000
    lrs: tuple[float, ...] = (3e-4, 1e-3, 3e-3)  # every model's tuning budget (repnet_common)
    n_train: int = 500
    n_probe: int = 1024
    width: int = 96
    depth: int = 3
    activations: tuple[str, ...] = ("relu", "tanh")
    s0_sweep: tuple[float, ...] = (1.0, 10.0, 50.0, 2 * math.pi * 25, 500.0)
    ff_frequencies: int = 64
    record_every: int = 100

    @classmethod
    def quick(cls) -> Settings:
        return cls(
            steps=500,
            lrs=(1e-3, 3e-3),
            n_train=256,
            n_probe=256,
            width=48,
            depth=2,
            ff_frequencies=16,
            record_every=50,
            s0_sweep=(10.0, 2 * math.pi * 25),
        )

    @classmethod
    def full(cls) -> Settings:
        return cls(steps=40000, record_every=400)


K_MAX = 25.0
S0_DEFAULT = 2 * math.pi * K_MAX


@dataclass(frozen=True)
class Task(ComparisonTask):
    """A run of the comparison at RepNet's slope scale ``s0``; ``keep_history``: keep what the fit figures need."""

    s0: float = S0_DEFAULT
    keep_history: bool = False


def architecture(settings: Settings, activation: str, s0: float = S0_DEFAULT) -> Architecture:
    target = multiscale_1d()
    return Architecture(
        1, 1, settings.width, settings.depth, activation, target.domain, s0, settings.ff_frequencies, K_MAX
    )


def median_slope(model: nn.Module) -> float:
    """Median first-layer slope |w_i|; NaN for a Fourier-feature model, whose first layer has no partition points."""
    return math.nan if isinstance(model, FourierFeatureMLP) else float(np.median(partition_points(model).slopes))


def run_task(task: Task) -> dict:
    """Train one model on the target; measure errors, per-frequency errors and the partition at start and end."""
    settings, target = task.settings, multiscale_1d()
    arch = architecture(settings, task.activation, task.s0)
    width = matched_width(task.model, arch)
    model = build_model(task.model, arch, width, task.seed)
    domain = target.domain
    ends = domain.lo[0], domain.hi[0]
    start = {"density": breakpoint_density(model, task.activation, *ends), "slope": median_slope(model)}
    first_layer = first_layer_state(model, domain)
    x = uniform_grid(domain, settings.n_train, endpoint=True, dtype=torch.float32)
    probe = uniform_grid(domain, settings.n_probe, dtype=torch.float32)  # periodic: the lines fall on DFT bins
    history = fit(
        model,
        x,
        target(x),
        lr=task.lr,
        steps=settings.steps,
        record_every=settings.record_every,
        probe=probe,
        probe_target=target(probe),
        recorders=[FourierErrorRecorder(peaks=target.line_spectrum()[0][:, 0], residual_spectrum=False)],
        seed=task.seed,
        progress=False,
    )
    per_frequency = error_dynamics(history).relative_error  # (R, 2): k = 1, 25
    error = history.relative_l2_error()
    labels = dict(activation=task.activation, model=task.model, seed=task.seed)
    row = dict(
        **labels,
        lr=task.lr,
        s0=task.s0,
        width=width,
        n_parameters=count_parameters(model),
        relative_l2=float(error[-1]),
        **late_columns(history, error),
        error_k1=float(per_frequency[-1, 0]),
        error_k25=float(per_frequency[-1, 1]),
        density_start=start["density"],
        density_end=breakpoint_density(model, task.activation, *ends),
        slope_start=start["slope"],
        slope_end=median_slope(model),
        **first_layer_columns(first_layer, model, domain),
        wall_time_s=float(history.wall_time[-1]),
    )
    frequency_curves = scale_curves(history, {"k = 1": per_frequency[:, 0], "k = 25": per_frequency[:, 1]}, **labels)
    result = {"row": row, "curve": curve_rows(history, error, **labels), "frequency_curve": frequency_curves}
    if task.keep_history:
        result["history"] = history
        if task.activation == "relu":
            result["breakpoints"] = breakpoints_1d(model, *ends)
    return result


def main() -> None:
    with Study.from_command_line("repnet_multiscale_1d", __doc__, Settings) as study:
        run(study)


def run(study: Study) -> None:
    """The study itself: tune, train, compare, print, and write the results into ``study.folder``."""
    settings, first = study.settings, study.seeds[0]
    kept_models = (REPNET, NAIVE, *BASELINES[2:])
    tasks = [
        Task(settings, activation, name, first, keep_history=name in kept_models)
        for activation in settings.activations
        for name in MODELS
    ]
    main_results, tuning = study.tune_and_run(run_task, tasks)
    chosen = {(r["row"]["activation"], r["row"]["model"]): r["row"]["lr"] for r in main_results}
    sweep_tasks = [
        Task(settings, activation, REPNET, seed, chosen[activation, REPNET], s0)
        for activation in settings.activations
        for s0 in settings.s0_sweep
        if not math.isclose(s0, S0_DEFAULT)  # the main comparison already trained s0 = S0_DEFAULT
        for seed in study.seeds
    ]
    sweep_results = study.map(run_task, sweep_tasks)
    diagnostic_columns = ["error_k1", "error_k25", "density_start", "density_end", "slope_start", "slope_end"]
    comparison = compare(main_results, diagnostics=diagnostic_columns, tuning=tuning)
    runs, curves = comparison.runs, comparison.curves
    metric = ["activation", "s0", "seed", "relative_l2_late", "error_k25"]
    sweep = pd.concat(
        [
            runs[runs.model == REPNET][metric],
            pd.DataFrame([r["row"] for r in sweep_results], columns=list(runs.columns))[metric],
        ],
        ignore_index=True,
    ).sort_values(["activation", "s0", "seed"])
    sweep_table = sweep.groupby(["activation", "s0"])[["relative_l2_late", "error_k25"]].agg(["mean", "std"])
    sweep_table.columns = [f"{a} {b}" for a, b in sweep_table.columns]
    sweep_table = sweep_table.reset_index()
    over_budget = comparison.over_budget(settings.steps)

    print("Multiscale 1-D target sin(2πx) + 0.1 sin(50πx): relative L2 error, median over the last 20% of the")
    seeds = len(study.seeds)
    print(f"records and at the last step, mean ± std over {seeds} seeds ({settings.steps} Adam steps; each model's")
    print(f"learning rate tuned from {list(settings.lrs)} on its training loss; ratios per seed against each baseline)")
    print(format_table(comparison.table))
    print("\nDiagnostics (means over seeds): Xu's relative error at k = 1 and k = 25 at the end; breakpoint density on")
    print("[0, 1] per unit length at start and end (ReLU: kinks of f; tanh: transition centres); median first-layer")
    print("slope |w_i| at start and end; fraction of first-layer partition points inside [0, 1] at start and end;")
    print("RepNet's scale change s_end/s0 - 1, offset shift |Δp| / L and direction turn (degrees); plateau: change")
    print("of the median error between the last two tenths of the records")
    print(format_table(comparison.diagnostics))
    print("\nRepNet adaptive, initial slope scale s0 sweep (mean and std over seeds)")
    print(format_table(sweep_table))
    print_over_budget(over_budget, comparison.best_baseline)
    print_headline(comparison, high="error_k25")

    kept = [r for r in main_results if "history" in r and r["row"]["seed"] == first]
    figures = {
        "error_curves": plot_error_curves(curves),
        "frequency_error": plot_scale_errors(comparison.frequency_curves, ylabel="relative error Δ_F(k)"),
        "s0_sweep": plot_s0_sweep(sweep, runs, comparison.best_baseline),
        "breakpoint_density": plot_densities(runs),
        **{
            f"fits_{a}": plot_fits({r["row"]["model"]: r["history"] for r in kept if r["row"]["activation"] == a})
            for a in settings.activations
        },
        **{
            f"breakpoints_relu_{r['row']['model'].split()[0].lower()}": plot_breakpoint_density(r["breakpoints"])
            for r in kept
            if "breakpoints" in r and r["row"]["model"] in (REPNET, NAIVE)
        },
    }
    study.write(
        comparison,
        {
            "ratio_over_budget": over_budget,
            "widths": runs.groupby(["activation", "model"], sort=False).width.first().unstack().to_dict(),
            "s0_sweep": sweep_table.to_dict(orient="records"),
            "s0_default": S0_DEFAULT,
        },
        figures=figures,
        tables={"s0_sweep": sweep},
    )


def plot_s0_sweep(sweep: pd.DataFrame, runs: pd.DataFrame, best: dict[str, str]) -> Figure:
    """Late relative L2 of RepNet adaptive against s0 (mean, min–max bars), with the naive and the best baselines'."""
    fig, ax = new_figure(width=6.5)
    for index, (activation, frame) in enumerate(sweep.groupby("activation", sort=False)):
        stats = frame.groupby("s0").relative_l2_late.agg(["mean", "min", "max"])
        color = f"C{index}"
        ax.errorbar(
            stats.index,
            stats["mean"],
            yerr=[stats["mean"] - stats["min"], stats["max"] - stats["mean"]],
            marker="o",
            color=color,
            capsize=3,
            label=f"{REPNET}, {activation}",
        )
        for style, baseline in zip((":", "-."), dict.fromkeys((NAIVE, best[activation])), strict=False):
            level = runs[(runs.activation == activation) & (runs.model == baseline)].relative_l2_late.mean()
            ax.axhline(level, ls=style, color=color, lw=1, label=f"{baseline}, {activation} (mean over seeds)")
    ax.axvline(S0_DEFAULT, color="gray", lw=0.8, label="s0 = 2π·25 (default)")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="initial slope scale s0 (1 / input unit)",
        ylabel="relative L2 error (late median)",
        title="RepNet's initial slope scale",
    )
    ax.legend(fontsize="x-small", loc="best")
    return fig


def plot_densities(runs: pd.DataFrame) -> Figure:
    """Breakpoint density at the start and the end of training per model (mean over seeds), per activation."""
    activations = list(dict.fromkeys(runs.activation))
    fig, axes = new_figure(ncols=len(activations), width=6.0)
    axes = np.atleast_1d(axes)
    for ax, activation in zip(axes, activations, strict=True):
        means = runs[runs.activation == activation].groupby("model", sort=False)[["density_start", "density_end"]]
        means = means.mean()
        position = np.arange(len(means))
        ax.bar(position - 0.2, means.density_start, width=0.4, label="start")
        ax.bar(position + 0.2, means.density_end, width=0.4, label="end")
        ax.set_xticks(position, means.index, rotation=30, ha="right", fontsize="small")
        what = "kinks of f" if activation == "relu" else "transition centres"
        ax.set(ylabel=f"{what} per unit length", title=f"activation: {activation}", yscale="symlog")
    axes[0].legend(fontsize="small")
    return fig


if __name__ == "__main__":
    main()
