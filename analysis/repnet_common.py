"""What the RepNet studies share: the model set with matched parameter counts, summaries over seeds, figures.

RepNet here is "RepNet (reparameterised first layer, as described in the abstract)" (spectra.models.RepNet,
reference/repnet.md), not the paper's code. Every comparison builds the models of ``MODELS`` at widths
chosen so that each has the vanilla MLP's parameter count (within 10%, checked), and reports each model's
error over seeds and its per-seed ratio to each vanilla baseline. Imported by repnet_multiscale_1d.py,
repnet_multiscale_4d.py, repnet_pinn.py and repnet_operator.py.

A study script defines its settings and ``run_task`` (one model, one group such as an activation, one seed:
returns {"row": measures, "curve": curve_rows(...), optionally "frequency_curve": scale_curves(...)}), and
runs them as

    with Study.from_command_line(name, __doc__, Settings) as study:   # --out is claimed here, before any work
        comparison = compare(study.map(run_task, tasks), diagnostics=[...])
        ... print its tables, make its figures ...
        study.write(comparison, {its own numbers}, figures={...})
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn

from spectra.domain import Box
from spectra.models import MLP, FourierFeatureMLP, FourierFeatures, RepNet, count_parameters
from spectra.parallel import map_in_processes
from spectra.partition import breakpoints_1d
from spectra.plots.style import new_figure
from spectra.studies import format_spread, spread, study_output, study_parser, write_study
from spectra.training import History

VANILLA = ("MLP (torch)", "MLP (Xavier)")
REPNET_VARIANTS = {"RepNet adaptive": "adaptive", "RepNet init-only": "init_only", "RepNet frozen-s": "frozen_scale"}
MODELS = (*VANILLA, *REPNET_VARIANTS, "FF-MLP")
HEADLINE = ("RepNet adaptive", "MLP (torch)")  # the ratio a closing note quotes first
HEADLINE_LABEL = f"{HEADLINE[0]} / {HEADLINE[1]}"


@dataclass(frozen=True)
class Architecture:
    """What every model of a comparison shares; ``width`` is the vanilla MLP's (the others are matched)."""

    in_features: int
    out_features: int
    width: int
    depth: int
    activation: str
    domain: Box
    s0: float
    ff_frequencies: int
    ff_sigma: float
    placement: str = "uniform_grid"


@dataclass(frozen=True)
class Task:
    """One training run of a comparison: the study's settings, the activation, a model of MODELS and a seed."""

    settings: Any
    activation: str
    model: str
    seed: int


def build_model(name: str, arch: Architecture, width: int, seed: int) -> nn.Module:
    """The model called ``name`` (one of MODELS) with ``width`` neurons per hidden layer."""
    d, c, depth, activation = arch.in_features, arch.out_features, arch.depth, arch.activation
    if name in VANILLA:
        init = "torch" if name == "MLP (torch)" else "xavier"
        return MLP(d, c, width, depth, activation=activation, init=init, seed=seed)
    if name in REPNET_VARIANTS:
        return RepNet(
            d,
            c,
            width,
            depth,
            activation=activation,
            s0=arch.s0,
            placement=arch.placement,
            domain=arch.domain,
            variant=REPNET_VARIANTS[name],
            seed=seed,
        )
    if name == "FF-MLP":
        encoder = FourierFeatures.gaussian(d, arch.ff_frequencies, arch.ff_sigma, seed=seed)
        return FourierFeatureMLP(encoder, c, width, depth, activation=activation, seed=seed)
    raise ValueError(f"name: expected one of {MODELS}, got {name!r}")


def matched_width(name: str, arch: Architecture) -> int:
    """The width at which ``name`` has the parameter count closest to the vanilla MLP's at ``arch.width``.

    Parameter counts grow with width, so a bisection over widths finds it.
    """
    reference = count_parameters(build_model(VANILLA[0], arch, arch.width, 0))

    def count(width: int) -> int:
        return count_parameters(build_model(name, arch, width, 0))

    lo, hi = 1, 4 * arch.width
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if count(mid) <= reference else (lo, mid)
    return min((lo, hi), key=lambda w: abs(count(w) - reference))


def summarise(runs: pd.DataFrame, by: Sequence[str] = ("activation",), metric: str = "relative_l2"):
    """Summary table and numbers of ``runs`` (one row per group, model and seed).

    For every group and model: the parameter count, ``metric`` over seeds (mean ± sample std), and the
    per-seed ratio metric / metric of each vanilla baseline (same group and seed), over seeds. Returns
    (printable table, {group key: {model: {"n_parameters", metric, "ratio_vs": {baseline: spread}}}}).
    """
    rows, numbers = [], {}
    for key, group in runs.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        label = "/".join(str(k) for k in key)
        numbers[label] = {}
        baselines = {b: group[group.model == b].set_index("seed")[metric] for b in VANILLA if b in set(group.model)}
        for model, frame in group.groupby("model", sort=False):
            values = frame.set_index("seed")[metric]
            entry = {"n_parameters": int(frame.n_parameters.iloc[0]), metric: spread(values.to_list())}
            entry["ratio_vs"] = {
                b: spread((values / base.loc[values.index]).to_list()) for b, base in baselines.items()
            }
            numbers[label][model] = entry
            row = dict(zip(by, key, strict=True))
            row.update(model=model, params=entry["n_parameters"], **{metric: format_spread(entry[metric])})
            row.update({f"ratio vs {b}": format_spread(s) for b, s in entry["ratio_vs"].items()})
            rows.append(row)
    return pd.DataFrame(rows), numbers


def check_parameter_counts(runs: pd.DataFrame, by: Sequence[str] = ("activation",), tolerance: float = 0.1) -> dict:
    """Largest relative deviation of any model's parameter count from the vanilla MLP's, per group."""
    deviations = {}
    for key, group in runs.groupby(list(by), sort=False):
        reference = group[group.model == VANILLA[0]].n_parameters.iloc[0]
        deviation = float((group.n_parameters - reference).abs().max() / reference)
        if deviation > tolerance:
            raise RuntimeError(f"parameter counts differ by {deviation:.1%} (> {tolerance:.0%}) in group {key}")
        deviations["/".join(map(str, key if isinstance(key, tuple) else (key,)))] = deviation
    return deviations


def plot_error_curves(curves: pd.DataFrame, panel: str = "activation", ylabel: str = "relative L2 error") -> Figure:
    """Error against step, one line per model (mean over seeds, band from min to max), one panel per ``panel``.

    ``curves`` is tidy: columns panel, model, seed, step, error.
    """
    panels = list(dict.fromkeys(curves[panel]))
    fig, axes = new_figure(ncols=len(panels), width=5.5)
    axes = np.atleast_1d(axes)
    for ax, value in zip(axes, panels, strict=True):
        for model, frame in curves[curves[panel] == value].groupby("model", sort=False):
            stats = frame.groupby("step").error.agg(["mean", "min", "max"])
            (line,) = ax.plot(stats.index, stats["mean"], label=model, lw=1.4)
            ax.fill_between(stats.index, stats["min"], stats["max"], color=line.get_color(), alpha=0.15)
        ax.set(yscale="log", xlabel="training step", ylabel=ylabel, title=f"{panel}: {value}")
    axes[0].legend(fontsize="small")
    return fig


def plot_scale_errors(curves: pd.DataFrame, panel: str = "activation", ylabel: str = "relative error Δ_F") -> Figure:
    """Per-frequency (or per-scale) error against step: one colour per model, one line style per ``scale``.

    ``curves`` is tidy: columns panel, model, seed, scale, step, error; lines are means over seeds.
    """
    panels = list(dict.fromkeys(curves[panel]))
    scales = list(dict.fromkeys(curves.scale))
    styles = dict(zip(scales, ("--", "-", ":", "-."), strict=False))
    fig, axes = new_figure(ncols=len(panels), width=5.5)
    axes = np.atleast_1d(axes)
    for ax, value in zip(axes, panels, strict=True):
        frame = curves[curves[panel] == value]
        for index, (model, by_model) in enumerate(frame.groupby("model", sort=False)):
            for scale in scales:
                mean = by_model[by_model.scale == scale].groupby("step").error.mean()
                ax.plot(
                    mean.index,
                    mean.values,
                    styles[scale],
                    color=f"C{index}",
                    lw=1.3,
                    label=model if scale == scales[-1] else None,
                )
        ax.set(yscale="log", xlabel="training step", ylabel=ylabel, title=f"{panel}: {value}")
    axes[0].legend(fontsize="small", title=", ".join(f"{styles[s]} {s}" for s in scales), title_fontsize="small")
    return fig


def curve_rows(history: History, errors: np.ndarray, **labels) -> pd.DataFrame:
    """Tidy rows (labels..., step, error) of an error per record step."""
    return pd.DataFrame({**labels, "step": history.steps, "error": errors})


def scale_curves(history: History, errors: Mapping[str, np.ndarray], **labels) -> pd.DataFrame:
    """Tidy rows (labels..., scale, step, error) of an error per record step and scale, for plot_scale_errors.

    ``errors`` maps a scale's name (a frequency, a band) to its errors, one per record step.
    """
    return pd.concat(
        [curve_rows(history, scale_errors, **labels, scale=scale) for scale, scale_errors in errors.items()],
        ignore_index=True,
    )


def breakpoint_density(model: nn.Module, activation: str, start: float | np.ndarray, end: float | np.ndarray) -> float:
    """Breakpoints per unit length along the segment from ``start`` to ``end`` (spectra.partition.breakpoints_1d).

    ReLU: kinks of f (exact); tanh: transition centres of every neuron (numerical).
    """
    if activation == "relu":
        return breakpoints_1d(model, start, end).density
    return breakpoints_1d(model, start, end, method="numerical").activation_density


def ratio_over_budget(curves: pd.DataFrame, model: str, baseline: str, steps: Sequence[int], by: str = "activation"):
    """The per-seed ratio error(model) / error(baseline) at several step counts of the same runs, over seeds.

    Equal steps is a budget: this shows how the comparison depends on it. Each budget is read at the last
    record step not after it. Returns {group: {step: spread}}.
    """
    out = {}
    for group, frame in curves.groupby(by, sort=False):
        pivot = frame.pivot_table(index=["step", "seed"], columns="model", values="error")
        recorded = pivot.index.get_level_values("step").unique().sort_values()
        out[group] = {}
        for budget in steps:
            at = pivot.xs(recorded[recorded <= budget].max(), level="step")
            out[group][int(budget)] = spread((at[model] / at[baseline]).to_list())
    return out


def headline_over_budget(curves: pd.DataFrame, steps: int) -> dict:
    """The HEADLINE ratio at a quarter, half and all of ``steps`` (ratio_over_budget): {group: {step: spread}}."""
    return ratio_over_budget(curves, *HEADLINE, sorted({steps // 4, steps // 2, steps}))


def print_over_budget(over_budget: Mapping[str, Mapping[int, Mapping[str, float]]]) -> None:
    """Print a :func:`headline_over_budget` result, one line per group."""
    print(f"\n{HEADLINE_LABEL} at several step budgets of the same runs")
    for group, by_step in over_budget.items():
        print(f"  {group}: " + ", ".join(f"{step} steps {format_spread(s)}" for step, s in by_step.items()))


def late_ratio(curves: pd.DataFrame, model: str, baseline: str, fraction: float = 0.1, by: str = "activation"):
    """Per-seed ratio of the median errors over the last ``fraction`` of the records, over seeds.

    Adam's error curves spike now and then; the last step alone can land on a spike. Returns {group: spread}.
    """
    out = {}
    for group, frame in curves.groupby(by, sort=False):
        late = frame[frame.step >= frame.step.max() * (1 - fraction)]
        medians = late.groupby(["model", "seed"]).error.median()
        out[group] = spread((medians[model] / medians[baseline]).to_list())
    return out


@dataclass(frozen=True)
class Comparison:
    """What the runs of a comparison give (see :func:`compare`)."""

    runs: pd.DataFrame  # one row per group, model and seed: the "row" of each run
    table: pd.DataFrame  # printable summary over seeds (summarise)
    numbers: dict  # {group: {model: {"n_parameters", "relative_l2", "ratio_vs"}}} (summarise)
    deviations: dict  # {group: largest relative parameter-count deviation} (check_parameter_counts)
    diagnostics: pd.DataFrame  # per group and model, means over seeds of the study's diagnostic columns
    curves: pd.DataFrame  # error against step of every run (curve_rows)
    frequency_curves: pd.DataFrame | None  # per-scale error against step (scale_curves), where recorded

    @property
    def headline(self) -> dict:
        """{group: the per-seed ratio HEADLINE[0] / HEADLINE[1] over seeds}."""
        return {group: models[HEADLINE[0]]["ratio_vs"][HEADLINE[1]] for group, models in self.numbers.items()}

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables a study writes as CSV files, by name."""
        tables = {
            "runs": self.runs,
            "summary": self.table,
            "diagnostics": self.diagnostics,
            "error_curves": self.curves,
        }
        if self.frequency_curves is not None:
            tables["frequency_curves"] = self.frequency_curves
        return tables


def compare(results: Sequence[Mapping[str, Any]], diagnostics: Sequence[str], by: str = "activation") -> Comparison:
    """Tables of the ``results`` of run_task over groups (the column ``by``), models and seeds.

    Checks that the models of each group have matched parameter counts, summarises the "relative_l2" column
    over seeds with ratios to the vanilla baselines (summarise), averages the ``diagnostics`` columns over
    seeds, and stacks the runs' error curves (and frequency curves, where the runs carry them).
    """
    runs = pd.DataFrame([r["row"] for r in results])
    deviations = check_parameter_counts(runs, by=(by,))
    table, numbers = summarise(runs, by=(by,))
    means = runs.groupby([by, "model"], sort=False)[list(diagnostics)].mean().reset_index()
    curves = pd.concat([r["curve"] for r in results], ignore_index=True)
    frequency_curves = None
    if "frequency_curve" in results[0]:
        frequency_curves = pd.concat([r["frequency_curve"] for r in results], ignore_index=True)
    return Comparison(runs, table, numbers, deviations, means, curves, frequency_curves)


@dataclass(frozen=True)
class Study:
    """One run of a study script: its name, command line (study_parser + --workers), settings, workers, output."""

    name: str
    args: argparse.Namespace
    settings: Any
    workers: int
    start: float  # time.perf_counter() at the start, for the wall time
    folder: Path  # where write() puts the results (spectra.studies.study_output)

    @classmethod
    @contextmanager
    def from_command_line(cls, name: str, description: str | None, settings_type: type) -> Iterator[Study]:
        """Parse the command line and claim --out; the settings are ``settings_type.quick()`` with --quick.

        The results written by :meth:`write` appear at --out when the block ends without an error.
        """
        parser = study_parser(name, description)
        parser.add_argument(
            "--workers", type=int, default=None, help="training processes (default: 1 with --quick, else 2)"
        )
        args = parser.parse_args()
        settings = settings_type.quick() if args.quick else settings_type()
        workers = args.workers or (1 if args.quick else 2)
        with study_output(args) as folder:
            start = time.perf_counter()
            torch.set_num_threads(1)  # small networks: one thread per run, runs spread over processes
            yield cls(name, args, settings, workers, start, folder)

    @property
    def seeds(self) -> list[int]:
        return self.args.seeds

    def map(self, function: Callable, tasks: Sequence) -> list:
        """``[function(t) for t in tasks]`` over the study's worker processes (spectra.parallel.map_in_processes)."""
        return map_in_processes(
            function, tasks, self.workers, progress=not self.args.no_progress, description=self.name
        )

    def write(
        self,
        comparison: Comparison,
        numbers: Mapping[str, Any],
        *,
        figures: Mapping[str, Figure],
        tables: Mapping[str, pd.DataFrame] | None = None,
        settings: Mapping[str, Any] | None = None,
        headline: str = HEADLINE_LABEL,
    ) -> None:
        """Write the study's results (spectra.studies.write_study); they appear at --out when the study ends.

        summary.json holds the comparison's "results", "headline" (``headline`` names the ratio),
        "headline_ratio", then the study's own ``numbers``, then "parameter_deviation", "diagnostics" and
        "workers"; the tables are the comparison's and ``tables``; ``settings`` defaults to asdict(settings).
        """
        write_study(
            self.folder,
            {
                "results": comparison.numbers,
                "headline": headline,
                "headline_ratio": comparison.headline,
                **numbers,
                "parameter_deviation": comparison.deviations,
                "diagnostics": comparison.diagnostics.to_dict(orient="records"),
                "workers": self.workers,
            },
            settings=asdict(self.settings) if settings is None else settings,
            seeds=self.seeds,
            figures=figures,
            tables={**comparison.tables(), **(tables or {})},
            study=self.name,
            wall_time=time.perf_counter() - self.start,
        )
