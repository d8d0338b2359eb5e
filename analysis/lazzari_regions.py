"""Lazzari & Liu's activation-region findings, at reduced size: raw coordinates against positional encoding.

    python analysis/lazzari_regions.py [--protocol authors|toolkit] [--quick] [--out DIR] [--seeds S ...]
                                       [--no-progress]

``--protocol authors`` (the default) measures as the authors' public code does: window pairs, separated-zone
pairs, 8- and 14-feature encodings, signed gradient cosines tracked during training, natural RGB images with
4 × 512 networks in 2-D (analysis/lazzari_authors.py). ``--protocol toolkit`` is the reproduction below, whose
choices (nearest-neighbour and uniform random pairs, a 10-feature encoding, a mean |cos| threshold, a random
image) are kept as that named option.

Reference: docs/theory.rst, "Partition diagnostics" (Lazzari & Liu, "Understanding the spectral bias of
coordinate based MLPs via training dynamics"). Three input variants of one ReLU MLP (PyTorch's
default initialisation, as in the paper):

- ``raw [0,1]``: the coordinates x in [0, 1]^d as they are;
- ``raw [-1,1]``: the same points mapped to 2x - 1;
- ``positional``: sin/cos(2^l π x_k), l < 5, of x in [0, 1]^d (FourierFeatures.positional).

Two settings, both smaller than the paper's (sizes in ``settings`` of summary.json):

- 1-D: 14 sines Σ_k sin(2π k x + 2π φ_k), k = 5, 10, ..., 70, on a uniform grid of [0, 1),
  full-batch Adam 1e-3 (paper: 2048 points, 4×128, 500 epochs);
- 2-D: a random image (pixels U(0, 1)) on the pixel centres of [0, 1]², Adam 1e-3, batch 256
  (paper: 64×64 image, 2×128, 5000 epochs).

Measured at initialisation and after training, for every seed (mean ± std over seeds):
distinct activation patterns per training input; linear regions of the input domain (1-D: exact
breakpoints for raw inputs, numerical for the encoding; 2-D: exact polygons for raw inputs, a grid
lower bound for the encoding); dead and always-active neurons on the training inputs; Hamming
distance of patterns for local pairs (nearest neighbours) and global pairs (random); gradient
confusion cos(∇_θ ℓ_i, ∇_θ ℓ_j) for those pairs; distance to the nearest region boundary in units of
the grid spacing. The four findings are then checked with numbers:

1. encoding gives (almost) every input its own region from the start;
2. raw coordinates in [0, 1] leave many neurons dead (more than [-1, 1] and the encoding);
3. local-pair Hamming distance is several times larger with the encoding;
4. gradient confusion of nearby inputs spreads over [-1, 1] with raw coordinates and stays
   near 0 with the encoding.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from spectra.domain import Box
from spectra.models import MLP, FourierFeatureMLP, FourierFeatures
from spectra.parallel import map_tasks
from spectra.partition import (
    PartitionRecorder,
    Regions2D,
    boundary_distance,
    breakpoints_1d,
    count_patterns,
    dead_neurons,
    global_pairs,
    gradient_confusion,
    hamming_pairs,
    local_pairs,
    regions_2d,
    regions_2d_sampled,
)
from spectra.plots.partition import plot_gradient_confusion, plot_regions_2d
from spectra.seeding import numpy_rng
from spectra.studies import (
    format_spread,
    format_table,
    spread,
    study_executor,
    study_output,
    study_parser,
    write_study,
)
from spectra.targets import SumOfSines
from spectra.training import fit

VARIANTS = ("raw [0,1]", "raw [-1,1]", "positional")
SHORT = {"raw [0,1]": "raw01", "raw [-1,1]": "raw11", "positional": "positional"}
LEVELS = 5  # positional encoding sin/cos(2^l π x), l < LEVELS


@dataclass(frozen=True)
class Setting:
    name: str
    dim: int
    points_per_axis: int
    width: int
    depth: int
    steps: int
    batch_size: int | None
    n_pairs: int
    region_grid: int


def sizes(quick: bool) -> list[Setting]:
    if quick:
        return [Setting("1d", 1, 256, 64, 3, 150, None, 128, 0), Setting("2d", 2, 16, 64, 2, 150, 64, 128, 128)]
    return [Setting("1d", 1, 2048, 128, 4, 500, None, 512, 0), Setting("2d", 2, 32, 128, 2, 2000, 256, 512, 512)]


def data(setting: Setting, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Training inputs in [0, 1]^d (cell centres of a uniform grid) and targets (n, 1)."""
    axis = (np.arange(setting.points_per_axis) + 0.5) / setting.points_per_axis
    mesh = np.meshgrid(*[axis] * setting.dim, indexing="ij")
    x = torch.as_tensor(np.stack([m.ravel() for m in mesh], axis=1), dtype=torch.float32)
    rng = numpy_rng(seed)
    if setting.dim == 1:
        target = SumOfSines(np.arange(5.0, 71.0, 5.0), 1.0, rng.uniform(0.0, 1.0, 14), domain=(0.0, 1.0))
        return x, target(x).float()
    return x, torch.as_tensor(rng.uniform(0.0, 1.0, (len(x), 1)), dtype=torch.float32)  # a random image


def make_model(variant: str, setting: Setting, seed: int) -> tuple[torch.nn.Module, Callable, Box]:
    """The network, the map from x in [0, 1]^d to its input, and the box its inputs fill."""
    if variant == "positional":
        encoder = FourierFeatures.positional(setting.dim, LEVELS)
        model = FourierFeatureMLP(encoder, 1, setting.width, setting.depth, seed=seed)
        return model, lambda x: x, Box.cube(0.0, 1.0, setting.dim)
    model = MLP(setting.dim, 1, setting.width, setting.depth, seed=seed)
    if variant == "raw [-1,1]":
        return model, lambda x: 2 * x - 1, Box.cube(-1.0, 1.0, setting.dim)
    return model, lambda x: x, Box.cube(0.0, 1.0, setting.dim)


def regions(model: torch.nn.Module, box: Box, setting: Setting) -> tuple[int, bool]:
    """Linear regions of the input box, and whether the count is exact (else numerical / lower bound)."""
    encoded = isinstance(model, FourierFeatureMLP)
    if setting.dim == 1:
        return breakpoints_1d(model, box.lo[0], box.hi[0]).n_activation_regions, not encoded
    if encoded:
        return regions_2d_sampled(model, box, setting.region_grid).count, False
    return regions_2d(model, box).count, True


def measure(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    y: torch.Tensor,
    local: torch.Tensor,
    far: torch.Tensor,
    box: Box,
    spacing: float,
    setting: Setting,
) -> tuple[dict[str, float], np.ndarray]:
    """The metrics of the module docstring, and the local-pair gradient confusions."""
    activity = dead_neurons(model, inputs)
    cos_local = gradient_confusion(model, inputs, y, local).numpy()
    cos_far = gradient_confusion(model, inputs, y, far).numpy()
    count, exact = regions(model, box, setting)
    with torch.no_grad():
        loss = float(0.5 * ((model(inputs) - y) ** 2).mean())
    return {
        "patterns_per_input": count_patterns(model, inputs) / len(inputs),
        "regions": float(count),
        "regions_exact": float(exact),
        "dead_fraction": activity.dead_fraction,
        "always_active_fraction": activity.always_active_fraction,
        "hamming_local": float(hamming_pairs(model, inputs, local).float().mean()),
        "hamming_global": float(hamming_pairs(model, inputs, far).float().mean()),
        "confusion_local_abs": float(np.abs(cos_local).mean()),
        "confusion_local_std": float(cos_local.std()),
        "confusion_local_beyond_half": float((np.abs(cos_local) > 0.5).mean()),
        "confusion_global_abs": float(np.abs(cos_far).mean()),
        "boundary_distance_in_spacings": float(boundary_distance(model, inputs).median()) / spacing,
        "loss": loss,
    }, cos_local


def run(
    setting: Setting, seeds: list[int], progress: bool, executor: Executor | None = None
) -> tuple[list[dict], dict[str, list[np.ndarray]], dict[str, Regions2D], list[dict]]:
    """Train every variant for every seed; metrics records, local confusions, 2-D region maps, breakpoint densities.

    Each seed is one task on ``executor`` (None: here); the results are merged in the order of ``seeds``.
    """
    tasks = [(setting, seed, seed == seeds[0], progress and executor is None) for seed in seeds]
    records, confusion, region_maps, trajectories = [], {}, {}, []
    for seed_records, seed_confusion, seed_maps, seed_trajectories in map_tasks(
        _run_seed, tasks, executor, progress=progress and executor is not None, description=setting.name
    ):
        records += seed_records
        trajectories += seed_trajectories
        region_maps.update(seed_maps)
        for variant, cos_local in seed_confusion.items():
            confusion.setdefault(variant, []).append(cos_local)
    return records, confusion, region_maps, trajectories


def _run_seed(
    task: tuple[Setting, int, bool, bool],
) -> tuple[list[dict], dict[str, np.ndarray], dict[str, Regions2D], list[dict]]:
    """One seed of :func:`run`: every variant trained and measured; region maps only for the first seed."""
    setting, seed, first, progress = task
    records, confusion, region_maps, trajectories = [], {}, {}, []
    x, y = data(setting, seed)
    local = local_pairs(x, n_pairs=setting.n_pairs, seed=seed)
    far = global_pairs(x, setting.n_pairs, seed=seed)
    for variant in VARIANTS:
        model, transform, box = make_model(variant, setting, seed)
        inputs = transform(x)
        spacing = float(box.lengths[0]) / setting.points_per_axis
        before, _ = measure(model, inputs, y, local, far, box, spacing, setting)
        recorders = [PartitionRecorder(box)] if setting.dim == 1 else []
        history = fit(
            model,
            inputs,
            y,
            lr=1e-3,
            steps=setting.steps,
            batch_size=setting.batch_size,
            record_every=max(1, setting.steps // 5),
            recorders=recorders,
            seed=seed,
            progress=progress,
        )
        after, cos_local = measure(model, inputs, y, local, far, box, spacing, setting)
        for stage, numbers in (("init", before), ("trained", after)):
            records.append({"setting": setting.name, "variant": variant, "stage": stage, "seed": seed, **numbers})
        confusion[variant] = cos_local
        if setting.dim == 1:
            trajectories += [
                {
                    "variant": variant,
                    "seed": seed,
                    "step": int(step),
                    "breakpoints_per_unit": float(density),
                    "method": "numerical" if variant == "positional" else "exact",
                }
                for step, density in zip(history.steps, history.records["partition/density"], strict=True)
            ]
        if setting.dim == 2 and first and variant != "positional":
            region_maps[variant] = regions_2d(model, box)
    return records, confusion, region_maps, trajectories


def summarise(frame: pd.DataFrame) -> dict:
    metrics = [c for c in frame.columns if c not in ("setting", "variant", "stage", "seed")]
    out: dict = {}
    for (setting, variant, stage), group in frame.groupby(["setting", "variant", "stage"], sort=False):
        out.setdefault(setting, {}).setdefault(variant, {})[stage] = {m: spread(group[m].tolist()) for m in metrics}
    return out


def findings(summary: dict) -> tuple[dict, pd.DataFrame]:
    """The four findings as numbers per setting, with whether each holds here."""
    raw01, raw11, encoded = VARIANTS
    result, rows = {}, []
    for setting, variants in summary.items():

        def values(stage: str, metric: str, variants: dict = variants) -> dict[str, float]:
            return {v: variants[v][stage][metric]["mean"] for v in VARIANTS}

        own = values("init", "patterns_per_input")
        dead = values("init", "dead_fraction")
        hamming = values("trained", "hamming_local")
        confusion = values("trained", "confusion_local_abs")
        spread_of_cos = values("trained", "confusion_local_std")
        ratio = min(hamming[encoded] / max(hamming[raw01], 1e-12), hamming[encoded] / max(hamming[raw11], 1e-12))
        checks = {
            "1_encoding_own_region_per_input": {
                "measure": "distinct patterns per training input at init (holds: encoding >= 0.9 and above raw)",
                "values": own,
                "holds": own[encoded] >= 0.9 and own[encoded] > max(own[raw01], own[raw11]),
            },
            "2_raw01_dead_neurons": {
                "measure": "fraction of dead neurons on the training inputs at init (holds: raw [0,1] the largest)",
                "values": dead,
                "holds": dead[raw01] > max(dead[raw11], dead[encoded]),
            },
            "3_local_hamming_ratio": {
                "measure": "local-pair Hamming distance after training (holds: encoding / larger raw >= 2)",
                "values": hamming,
                "ratio": ratio,
                "holds": ratio >= 2.0,
            },
            "4_local_confusion": {
                "measure": "mean |cos| of local-pair loss gradients after training "
                "(holds: raw std of cos >= 0.5 and encoding mean |cos| <= 0.25)",
                "values": confusion,
                "std_of_cos": spread_of_cos,
                "holds": min(spread_of_cos[raw01], spread_of_cos[raw11]) >= 0.5 and confusion[encoded] <= 0.25,
            },
        }
        result[setting] = checks
        for name, check in checks.items():
            rows.append({"setting": setting, "finding": name, **check["values"], "holds": check["holds"]})
    return result, pd.DataFrame(rows)


def table(frame: pd.DataFrame) -> pd.DataFrame:
    columns = {
        "patterns_per_input": "patterns/input",
        "regions": "regions",
        "dead_fraction": "dead",
        "always_active_fraction": "always on",
        "hamming_local": "Hamming local",
        "hamming_global": "Hamming global",
        "confusion_local_abs": "|cos| local",
        "confusion_local_std": "std cos local",
        "boundary_distance_in_spacings": "boundary/spacing",
        "loss": "loss",
    }
    grouped = frame.groupby(["setting", "variant", "stage"], sort=False)
    rows = []
    for (setting, variant, stage), group in grouped:
        row = {"setting": setting, "variant": variant, "stage": stage}
        for key, label in columns.items():
            row[label] = format_spread(spread(group[key].tolist()))
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    parser = study_parser("lazzari_regions", __doc__)
    parser.add_argument(
        "--protocol",
        choices=("authors", "toolkit"),
        default="authors",
        help="authors: the measurements of the authors' code (lazzari_authors.py, the default); "
        "toolkit: this module's earlier reproduction",
    )
    args = parser.parse_args()
    with study_output(args) as folder, study_executor(args) as executor:
        torch.set_num_threads(1)  # these small networks run faster on one thread than with intra-op threads
        start = time.perf_counter()
        if args.protocol == "authors":
            from lazzari_authors import run_authors  # the script's folder is on sys.path

            run_authors(args, folder, start, executor)
            return
        settings = sizes(args.quick)
        all_records, figures, trajectories = [], {}, []
        for setting in settings:
            records, confusion, region_maps, trajectory = run(setting, args.seeds, not args.no_progress, executor)
            all_records += records
            trajectories += trajectory
            figures[f"confusion_{setting.name}"] = plot_gradient_confusion(
                confusion, pairs="local pairs", title=f"{setting.name}: after training"
            )
            for variant, result in region_maps.items():
                figures[f"regions_{setting.name}_{SHORT[variant]}"] = plot_regions_2d(result)
        frame = pd.DataFrame(all_records)
        summary = summarise(frame)
        checks, finding_table = findings(summary)
        printed = table(frame)
        print(format_table(printed))
        print()
        print(format_table(finding_table))
        write_study(
            folder,
            {"metrics": summary, "findings": checks},
            study="lazzari_regions",
            settings={
                "quick": args.quick,
                "levels": LEVELS,
                "sizes": [vars(s) for s in settings],
                "optimizer": "adam 1e-3",
            },
            seeds=args.seeds,
            figures=figures,
            tables={
                "metrics": frame,
                "table": printed,
                "findings": finding_table,
                "breakpoint_density": pd.DataFrame(trajectories),
            },
            wall_time=time.perf_counter() - start,
        )


if __name__ == "__main__":
    main()
