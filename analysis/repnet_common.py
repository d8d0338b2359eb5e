"""What the RepNet studies share: the fair protocol, the model set with matched parameter counts, summaries, figures.

RepNet here is "RepNet (reparameterised first layer, as described in the abstract)" (spectra.models.RepNet,
docs/theory.rst, "RepNet's reparameterisation"), not the paper's code. Imported by repnet_multiscale_1d.py,
repnet_multiscale_4d.py, repnet_pinn.py and repnet_operator.py.

The fair protocol (every study, every model):

- Models (``MODELS``), built at widths chosen so that each has the naive MLP's parameter count (within 10%,
  checked): ``MLP (naive)``, PyTorch's default initialisation on raw inputs; ``MLP (normalised)``, the help
  RepNet gets without its reparameterisation: inputs mapped from the data's box onto [-1, 1]^d, PyTorch's
  default first layer (its biases spread the kinks over the inputs), He (ReLU) or Xavier (tanh) deeper layers
  with zero biases and an output layer calibrated to an O(1) initial output, exactly as RepNet's; the three
  RepNet variants (adaptive, frozen scale, init-only) with s0 = 2π k_max; and two Fourier-feature MLPs,
  ``FF-MLP (σ = 10/L)``, a scale chosen without knowing the target (the coordinate-network default of 10 per
  side length L of the data's box), and ``FF-MLP (σ = k_max/2)``, the scale from the same k_max RepNet is
  given (2σ = k_max: the features reach the finest frequency).
- The same tuning budget: every model trains at each learning rate of ``settings.lrs`` on the first seed; the
  rate with the lowest training loss (median over the last 20% of the records: the data every model sees,
  never the test error) is the model's, for every seed (:meth:`Study.tune_and_run`).
- The headline metric is the median test error over the last 20% of the records (Adam's curves spike, and a
  last step can land on a spike), with the final value beside it; ratios are per seed and compare RepNet
  adaptive to the best baseline of each group (the lowest mean headline metric among ``BASELINES``) and to the
  naive MLP.
- Diagnostics: first-layer kinks inside the data's box at the start and at the end, and how far RepNet's
  slope scale s, offsets p and directions v moved (:func:`first_layer_columns`).

A study script defines its settings (with ``lrs``, and ``quick()`` and ``full()``) and ``run_task`` (one model,
one group such as an activation, one seed, one learning rate: returns {"row": measures including
:func:`late_columns`, "curve": curve_rows(...), optionally "frequency_curve": scale_curves(...)}), and runs
them as

    with Study.from_command_line(name, __doc__, Settings) as study:   # --out is claimed here, before any work
        results, tuning = study.tune_and_run(run_task, [Task(settings, group, model, 0) for ...])
        comparison = compare(results, diagnostics=[...], tuning=tuning)
        ... print its tables, make its figures ...
        study.write(comparison, {its own numbers}, figures={...})
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn

from spectra.domain import Box
from spectra.models import (
    MLP,
    FourierFeatureMLP,
    FourierFeatures,
    RepLayer,
    RepNet,
    count_parameters,
    normalised_mlp,
)
from spectra.parallel import map_tasks
from spectra.partition import breakpoints_1d, partition_points
from spectra.plots.style import new_figure
from spectra.studies import format_spread, spread, study_executor, study_output, study_parser, write_study
from spectra.training import History, late_median

NAIVE = "MLP (naive)"
NORMALISED = "MLP (normalised)"
FF_BLIND = "FF-MLP (σ = 10/L)"
FF_KMAX = "FF-MLP (σ = k_max/2)"
BASELINES = (NAIVE, NORMALISED, FF_BLIND, FF_KMAX)
REPNET_VARIANTS = {"RepNet adaptive": "adaptive", "RepNet init-only": "init_only", "RepNet frozen-s": "frozen_scale"}
MODELS = (NAIVE, NORMALISED, *REPNET_VARIANTS, FF_BLIND, FF_KMAX)
REPNET = "RepNet adaptive"
HEADLINE_LABEL = f"{REPNET} / best baseline"
METRIC = "relative_l2_late"  # the headline metric (module docstring)
BLIND_SIGMA = 10.0  # Fourier-feature scale per side length of the data's box, chosen without the target
SEEDS, QUICK_SEEDS = (0, 1, 2, 3, 4), (0, 1)


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
    k_max: float  # the target's highest frequency (cycles per unit length): RepNet's s0 and FF_KMAX's σ come from it
    placement: str = "uniform_grid"

    @property
    def ff_sigma(self) -> dict[str, float]:
        """σ of each Fourier-feature baseline (module docstring), cycles per unit length."""
        side = math.prod(self.domain.lengths) ** (1 / self.domain.dim)
        return {FF_BLIND: BLIND_SIGMA / side, FF_KMAX: self.k_max / 2}


@dataclass(frozen=True)
class Task:
    """One training run of a comparison: the study's settings, the activation, a model of MODELS and a seed."""

    settings: Any
    activation: str
    model: str
    seed: int
    lr: float = math.nan  # set by Study.tune_and_run

    @property
    def group(self) -> str:
        """What the comparison groups runs by (here the activation)."""
        return self.activation


def build_model(name: str, arch: Architecture, width: int, seed: int) -> nn.Module:
    """The model called ``name`` (one of MODELS, module docstring) with ``width`` neurons per hidden layer."""
    d, c, depth, activation = arch.in_features, arch.out_features, arch.depth, arch.activation
    if name == NAIVE:
        return MLP(d, c, width, depth, activation=activation, init="torch", seed=seed)
    if name == NORMALISED:
        return normalised_mlp(d, c, width, depth, arch.domain, activation=activation, seed=seed)
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
    if name in (FF_BLIND, FF_KMAX):
        encoder = FourierFeatures.gaussian(d, arch.ff_frequencies, arch.ff_sigma[name], seed=seed)
        return FourierFeatureMLP(encoder, c, width, depth, activation=activation, seed=seed)
    raise ValueError(f"name: expected one of {MODELS}, got {name!r}")


def matched_width(name: str, arch: Architecture) -> int:
    """The width at which ``name`` has the parameter count closest to the vanilla MLP's at ``arch.width``.

    Parameter counts grow with width, so a bisection over widths finds it.
    """
    reference = count_parameters(build_model(NAIVE, arch, arch.width, 0))

    def count(width: int) -> int:
        return count_parameters(build_model(name, arch, width, 0))

    lo, hi = 1, 4 * arch.width
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if count(mid) <= reference else (lo, mid)
    return min((lo, hi), key=lambda w: abs(count(w) - reference))


def summarise(runs: pd.DataFrame, by: Sequence[str] = ("activation",), metric: str = METRIC):
    """Summary table and numbers of ``runs`` (one row per group, model and seed).

    For every group and model: the parameter count, the learning rate the tuning chose, ``metric`` and the
    final ``relative_l2`` over seeds (mean ± sample std), and the per-seed ratio of ``metric`` to that of each
    baseline of ``BASELINES`` (same group and seed), over seeds. Returns (printable table, {group: {model:
    {"n_parameters", "lr", metric, "relative_l2", "ratio_vs": {baseline: spread}}}}, {group: best baseline}),
    the best baseline being the one with the lowest mean ``metric``.
    """
    rows, numbers, best = [], {}, {}
    for key, group in runs.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        label = "/".join(str(k) for k in key)
        numbers[label] = {}
        baselines = {b: group[group.model == b].set_index("seed")[metric] for b in BASELINES if b in set(group.model)}
        best[label] = min(baselines, key=lambda b: baselines[b].mean())
        for model, frame in group.groupby("model", sort=False):
            values = frame.set_index("seed")[metric]
            entry = {
                "n_parameters": int(frame.n_parameters.iloc[0]),
                "lr": float(frame.lr.iloc[0]),
                metric: spread(values.to_list()),
                "relative_l2": spread(frame.relative_l2.to_list()),
                "ratio_vs": {b: spread((values / base.loc[values.index]).to_list()) for b, base in baselines.items()},
            }
            numbers[label][model] = entry
            row = dict(zip(by, key, strict=True))
            row.update(model=model, params=entry["n_parameters"], lr=entry["lr"])
            row.update({f"{metric} (lower is better)": format_spread(entry[metric])})
            row.update({"final relative_l2": format_spread(entry["relative_l2"])})
            row.update({f"ratio vs {b}": format_spread(s) for b, s in entry["ratio_vs"].items()})
            rows.append(row)
    return pd.DataFrame(rows), numbers, best


def check_parameter_counts(runs: pd.DataFrame, by: Sequence[str] = ("activation",), tolerance: float = 0.1) -> dict:
    """Largest relative deviation of any model's parameter count from the vanilla MLP's, per group."""
    deviations = {}
    for key, group in runs.groupby(list(by), sort=False):
        reference = group[group.model == NAIVE].n_parameters.iloc[0]
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


def ratio_over_budget(
    curves: pd.DataFrame, model: str, baseline: Mapping[str, str], steps: Sequence[int], by: str = "activation"
) -> dict:
    """The per-seed ratio error(model) / error(baseline[group]) at several step counts of the same runs, over seeds.

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
            out[group][int(budget)] = spread((at[model] / at[baseline[group]]).to_list())
    return out


def print_over_budget(over_budget: Mapping[str, Mapping[int, Mapping[str, float]]], best: Mapping[str, str]) -> None:
    """Print a :meth:`Comparison.over_budget` result, one line per group."""
    print(f"\n{HEADLINE_LABEL} at several step budgets of the same runs (test error at that step)")
    for group, by_step in over_budget.items():
        steps = ", ".join(f"{step} steps {format_spread(s)}" for step, s in by_step.items())
        print(f"  {group} (best baseline {best[group]}): {steps}")


def verdict(ratio: Mapping[str, Any]) -> str:
    """How a per-seed ratio (a :func:`spread`) reads: RepNet wins where it is below 1."""
    wins, seeds = sum(v < 1 for v in ratio["values"]), len(ratio["values"])
    return (
        "wins at every seed"
        if wins == seeds
        else "loses at every seed"
        if wins == 0
        else f"wins at {wins}/{seeds} seeds"
    )


def print_headline(comparison: Comparison, high: str) -> dict[str, str]:
    """Print RepNet adaptive against the best baseline and the naive MLP per group, and where RepNet does not win
    at every seed, what the diagnostics show: its error in the high band (the column ``high``) against the best
    baseline's, its first-layer kinks in the domain and how far s moved. Returns {group: verdict}."""
    verdicts = {}
    means = comparison.diagnostics.set_index([comparison.diagnostics.columns[0], "model"])
    for group, ratio in comparison.headline.items():
        best, verdicts[group] = ratio["best_baseline"], verdict(ratio["vs_best"])
        print(
            f"{group}: {REPNET} / best baseline ({best}) = {format_spread(ratio['vs_best'])}; / {NAIVE} = "
            f"{format_spread(ratio['vs_naive'])} -> RepNet {verdicts[group]} against the best baseline"
        )
        if verdicts[group] != "wins at every seed":
            mine, theirs = means.loc[(group, REPNET)], means.loc[(group, best)]
            print(
                f"  why: high-frequency error ({high}) {mine[high]:.3g} against {theirs[high]:.3g} for {best}; "
                "RepNet's "
                f"first-layer kinks in the domain {mine['inside_start']:.0%} at the start, {mine['inside_end']:.0%} at "
                f"the end; its scale s moved by {mine['scale_change']:+.1%}"
            )
    return verdicts


def late_columns(history: History, error: np.ndarray) -> dict[str, float]:
    """The protocol's per-run numbers from the records (module docstring).

    ``relative_l2_late``: median test error over the last ``LATE_FRACTION`` of the records (the headline);
    ``train_loss_late``: the same median of the training loss (what the tuning selects on); ``plateau``: the
    relative change of the test error's median between the last two tenths of the records (near 0 when the
    run has plateaued; negative while it still improves).
    """
    records = len(error)
    tenth = max(1, records // 10)
    last, before = np.median(error[-tenth:]), np.median(error[-2 * tenth : -tenth] if records > tenth else error)
    return {
        "relative_l2_late": late_median(error),
        "train_loss_late": late_median(history.loss),
        "plateau": float(last / before - 1),
    }


def first_layer_state(model: nn.Module, domain: Box) -> dict[str, Any]:
    """What :func:`first_layer_columns` compares at the end: kinks inside ``domain`` and RepNet's (s, v, p)."""
    state: dict[str, Any] = {"inside": math.nan, "rep": None}
    if isinstance(model, (MLP, RepNet)):
        state["inside"] = float(partition_points(model).inside(domain).mean())
    if isinstance(model, RepNet) and isinstance(model.first, RepLayer):
        layer = model.first
        state["rep"] = tuple(t.detach().double().clone() for t in (layer.scale, layer.unit_direction(), layer.offset))
    return state


def first_layer_columns(start: Mapping[str, Any], model: nn.Module, domain: Box) -> dict[str, float]:
    """First-layer diagnostics of a run (NaN where a model has no such thing).

    ``inside_start`` / ``inside_end``: fraction of first-layer partition sets that meet ``domain``;
    ``scale_change``: s_end / s_start - 1 (median over neurons); ``offset_shift``: median |p_end - p_start| over
    the diagonal of ``domain``; ``direction_turn_deg``: median angle between v_start and v_end (degrees).
    """
    end = first_layer_state(model, domain)
    columns = {"inside_start": start["inside"], "inside_end": end["inside"]}
    columns.update(scale_change=math.nan, offset_shift=math.nan, direction_turn_deg=math.nan)
    if start["rep"] is not None:
        (s0, v0, p0), (s1, v1, p1) = start["rep"], end["rep"]
        diagonal = math.sqrt(sum(length**2 for length in domain.lengths))
        cosine = (v0 * v1).sum(dim=1).clamp(-1.0, 1.0)
        columns.update(
            scale_change=float((s1 / s0 - 1).median()),
            offset_shift=float((p1 - p0).abs().median() / diagonal),
            direction_turn_deg=float(torch.rad2deg(torch.arccos(cosine)).median()),
        )
    return columns


@dataclass(frozen=True)
class Comparison:
    """What the runs of a comparison give (see :func:`compare`)."""

    runs: pd.DataFrame  # one row per group, model and seed: the "row" of each run
    table: pd.DataFrame  # printable summary over seeds (summarise)
    numbers: dict  # {group: {model: {"n_parameters", "lr", METRIC, "relative_l2", "ratio_vs"}}} (summarise)
    best_baseline: dict  # {group: the baseline with the lowest mean METRIC}
    deviations: dict  # {group: largest relative parameter-count deviation} (check_parameter_counts)
    diagnostics: pd.DataFrame  # per group and model, means over seeds of the study's diagnostic columns
    curves: pd.DataFrame  # error against step of every run (curve_rows)
    frequency_curves: pd.DataFrame | None  # per-scale error against step (scale_curves), where recorded
    tuning: pd.DataFrame  # every tuning run: group, model, lr, train_loss_late, relative_l2_late, chosen

    @property
    def headline(self) -> dict:
        """{group: {"best_baseline", "vs_best", "vs_naive"}}: per-seed ratios of RepNet adaptive over seeds."""
        return {
            group: {
                "best_baseline": self.best_baseline[group],
                "vs_best": models[REPNET]["ratio_vs"][self.best_baseline[group]],
                "vs_naive": models[REPNET]["ratio_vs"][NAIVE],
            }
            for group, models in self.numbers.items()
            if REPNET in models
        }

    def over_budget(self, steps: int, by: str = "activation") -> dict:
        """RepNet adaptive / best baseline at a quarter, half and all of ``steps`` (:func:`ratio_over_budget`)."""
        return ratio_over_budget(self.curves, REPNET, self.best_baseline, sorted({steps // 4, steps // 2, steps}), by)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables a study writes as CSV files, by name."""
        tables = {
            "runs": self.runs,
            "summary": self.table,
            "diagnostics": self.diagnostics,
            "error_curves": self.curves,
            "tuning": self.tuning,
        }
        if self.frequency_curves is not None:
            tables["frequency_curves"] = self.frequency_curves
        return tables


PROTOCOL_COLUMNS = ["plateau", "inside_start", "inside_end", "scale_change", "offset_shift", "direction_turn_deg"]


def compare(
    results: Sequence[Mapping[str, Any]], diagnostics: Sequence[str], tuning: pd.DataFrame, by: str = "activation"
) -> Comparison:
    """Tables of the ``results`` of run_task over groups (the column ``by``), models and seeds.

    Checks that the models of each group have matched parameter counts and the same tuning budget, summarises
    METRIC over seeds with ratios to every baseline (summarise), averages the ``diagnostics`` columns and the
    protocol's first-layer columns over seeds, and stacks the runs' error curves (and frequency curves, where the
    runs carry them).
    """
    runs = pd.DataFrame([r["row"] for r in results])
    deviations = check_parameter_counts(runs, by=(by,))
    budgets = tuning.groupby(["group", "model"]).lr.nunique()
    if budgets.nunique() != 1:
        raise RuntimeError(f"unequal tuning budgets (learning rates tried per model): {budgets.to_dict()}")
    table, numbers, best = summarise(runs, by=(by,))
    columns = [*diagnostics, *(c for c in PROTOCOL_COLUMNS if c in runs and c not in diagnostics)]
    means = runs.groupby([by, "model"], sort=False)[columns].mean().reset_index()
    curves = pd.concat([r["curve"] for r in results], ignore_index=True)
    frequency_curves = None
    if "frequency_curve" in results[0]:
        frequency_curves = pd.concat([r["frequency_curve"] for r in results], ignore_index=True)
    return Comparison(runs, table, numbers, best, deviations, means, curves, frequency_curves, tuning)


@dataclass(frozen=True)
class Study:
    """One run of a study script: its name, command line (study_parser + --full), settings, executor, output."""

    name: str
    args: argparse.Namespace
    settings: Any
    executor: Executor | None  # where the runs go (spectra.studies.study_executor); None: here
    workers: str  # the executor, as recorded in summary.json ("2 processes", "local:2", a scheduler address)
    start: float  # time.perf_counter() at the start, for the wall time
    folder: Path  # where write() puts the results (spectra.studies.study_output)

    @classmethod
    @contextmanager
    def from_command_line(cls, name: str, description: str | None, settings_type: type) -> Iterator[Study]:
        """Parse the command line and claim --out; the settings are ``settings_type.quick()`` with --quick and
        ``settings_type.full()`` with --full (long enough for every model to plateau); seeds default to
        ``SEEDS`` (``QUICK_SEEDS`` with --quick).

        The results written by :meth:`write` appear at --out when the block ends without an error.
        """
        parser = study_parser(name, description)
        parser.set_defaults(seeds=None)
        parser.add_argument("--full", action="store_true", help="long runs: every model trains until it plateaus")
        args = parser.parse_args()
        if args.quick and args.full:
            parser.error("--quick and --full: expected at most one of them, got both")
        args.seeds = args.seeds or list(QUICK_SEEDS if args.quick else SEEDS)
        settings = settings_type.quick() if args.quick else settings_type.full() if args.full else settings_type()
        workers = args.workers or (1 if args.quick else 2)
        where = args.scheduler or args.cluster or f"{workers} processes"
        with study_output(args) as folder, study_executor(args, workers) as executor:
            start = time.perf_counter()
            torch.set_num_threads(1)  # small networks: one thread per run, runs spread over processes
            yield cls(name, args, settings, executor, where, start, folder)

    @property
    def seeds(self) -> list[int]:
        return self.args.seeds

    def map(self, function: Callable, tasks: Sequence) -> list:
        """``[function(t) for t in tasks]`` through the study's executor (spectra.parallel.map_tasks)."""
        return map_tasks(function, tasks, self.executor, progress=not self.args.no_progress, description=self.name)

    def tune_and_run(self, run_task: Callable, tasks: Sequence[Any]) -> tuple[list, pd.DataFrame]:
        """The protocol's equal tuning budget, then every seed (module docstring).

        ``tasks``: one per group and model (dataclasses with ``group``, ``model``, ``seed`` and ``lr``; seed and lr
        are set here). Each trains at every learning rate of
        ``settings.lrs`` on the first seed; the rate with the lowest ``train_loss_late`` is kept for the other
        seeds. Returns the results of every seed at the chosen rates (the first seed's are the tuning runs
        themselves) and the tuning table (group, model, lr, train_loss_late, relative_l2_late, chosen).
        """
        first, rest = self.seeds[0], self.seeds[1:]
        trials = [replace(task, seed=first, lr=lr) for task in tasks for lr in self.settings.lrs]
        tried = self.map(run_task, trials)
        tuning = pd.DataFrame(
            [
                {"group": task.group, "model": task.model, "lr": task.lr}
                | {k: result["row"][k] for k in ("train_loss_late", "relative_l2_late")}
                for task, result in zip(trials, tried, strict=True)
            ]
        )
        best = tuning.loc[tuning.groupby(["group", "model"], sort=False).train_loss_late.idxmin()]
        chosen = {(row.group, row.model): row.lr for row in best.itertuples()}
        tuning["chosen"] = [chosen[g, m] == lr for g, m, lr in zip(tuning.group, tuning.model, tuning.lr, strict=True)]
        kept = [r for t, r in zip(trials, tried, strict=True) if chosen[t.group, t.model] == t.lr]
        more = [replace(task, seed=seed, lr=chosen[task.group, task.model]) for seed in rest for task in tasks]
        return kept + self.map(run_task, more), tuning

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
                "best_baseline": comparison.best_baseline,
                "verdict": {group: verdict(ratio["vs_best"]) for group, ratio in comparison.headline.items()},
                "tuning": {
                    group: {model: {"lrs_tried": sorted(f.lr), "lr": float(f.lr[f.chosen].iloc[0])} for model, f in g}
                    for group, g in (
                        (group, frame.groupby("model")) for group, frame in comparison.tuning.groupby("group")
                    )
                },
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
