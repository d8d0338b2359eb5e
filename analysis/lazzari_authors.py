"""Lazzari & Liu's activation-region findings under the authors' own protocol (the default of lazzari_regions.py).

    python analysis/lazzari_regions.py [--protocol authors] [--quick] [--out DIR] [--seeds S ...] [--no-progress]

The authors' public code (GitHub JohnLazzari/Spectral-Bias-Training-Dynamics) measures differently from the
toolkit's reproduction (``--protocol toolkit``, lazzari_regions.py); this module follows the code as described:

- local pairs: two random samples inside a window of ``window`` consecutive samples (1-D: 50 of 2048; 2-D: a
  ``window`` × ``window``-pixel patch), not nearest neighbours;
- global pairs: from separated zones: 1-D, an index below 800 against one above 1200 (of 2048, scaled to the
  grid); 2-D, opposite image quadrants with a gap (both coordinates below 225/512 of the side against both at or
  above 275/512, or the other diagonal, as in the authors' image scripts), not uniform random pairs;
- 1-D encodings with 8 or 14 features: sin/cos(2^l π x) for octaves l = 0..3 or 0..6 (``positional 8`` and
  ``positional 14``), against raw coordinates in [0, 1] and in [-1, 1];
- gradient confusion cos(∇θ ℓ_i, ∇θ ℓ_j) shown as a signed distribution (mean, spread, fraction negative), not a
  mean |cos| threshold;
- metrics tracked during training (a recorder at every record step), not only at the start and the end;
- 2-D: natural RGB images (spectra.data's bundled images, every pixel a training sample), 4 × 512 ReLU networks
  with the 14-feature encoding per axis (sin/cos of octaves 0..6 of each coordinate: 28 features).

Where this module still differs from the authors' 2-D scripts, by choice of size: images of 64 × 64 pixels, not
512 × 512 (the local patch scaled with them: 6 pixels, about the authors' tenth of the side); one encoding of 7
octaves where the authors compare L = 4, 8 and 16; full-batch Adam where they use minibatches of 4096-8192 pixels.
In 1-D it follows their code except that a local pair of one sample with itself (about 2% of their pairs) is
drawn again.

The four findings, restated with numbers (each "holds" or not):

1. the encoding gives (almost) every input its own activation pattern from the start (patterns per input at
   step 0, encodings against raw coordinates);
2. raw coordinates in [0, 1] leave more neurons dead than [-1, 1] and the encodings (at step 0);
3. local pairs differ in several times more neurons with the encoding (local Hamming distance at the end,
   encoding / raw ≥ 2);
4. gradient confusion of local pairs spreads over [-1, 1] with raw coordinates (std of the signed cos ≥ 0.5)
   and concentrates near 0 with the encoding (|mean cos| < 0.25 and a std at most half the smaller raw one).
"""

from __future__ import annotations

import time
from concurrent.futures import Executor
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from spectra.data import image_data
from spectra.models import MLP, FourierFeatureMLP, FourierFeatures
from spectra.parallel import map_tasks
from spectra.partition import count_patterns, dead_neurons, gradient_confusion, hamming_pairs
from spectra.plots.partition import plot_gradient_confusion
from spectra.plots.style import new_figure
from spectra.seeding import numpy_rng
from spectra.studies import format_table, spread, write_study
from spectra.targets import SumOfSines
from spectra.training import Recorder, Snapshot, fit

VARIANTS_1D = ("raw [0,1]", "raw [-1,1]", "positional 8", "positional 14")
VARIANTS_2D = ("raw [0,1]", "raw [-1,1]", "positional 14")
LEVELS = {"positional 8": 4, "positional 14": 7}  # octaves 0..3 and 0..6
ZONES = {1: (800 / 2048, 1200 / 2048), 2: (225 / 512, 275 / 512)}  # the authors' separated zones, fractions of an axis


@dataclass(frozen=True)
class AuthorsSetting:
    name: str
    dim: int
    points_per_axis: int  # 1-D samples, or pixels per image side
    width: int
    depth: int
    steps: int
    window: int  # local window: samples (1-D) or pixels per patch side (2-D)
    n_pairs: int
    records: int  # metric snapshots over training
    images: tuple[str, ...] = ()


def authors_sizes(quick: bool) -> list[AuthorsSetting]:
    if quick:
        return [
            AuthorsSetting("1d", 1, 256, 32, 4, 60, 8, 64, 3),
            AuthorsSetting("2d", 2, 16, 32, 4, 40, 6, 64, 3, ("astronaut",)),
        ]
    return [
        AuthorsSetting("1d", 1, 2048, 128, 4, 1000, 50, 512, 6),
        # a 6-pixel patch of 64: the authors' 50 of 512 pixels, about a tenth of the side
        AuthorsSetting("2d", 2, 64, 512, 4, 500, 6, 256, 6, ("astronaut", "coffee", "chelsea")),
    ]


def window_pairs(n: int, dim: int, window: int, n_pairs: int, seed: int) -> torch.Tensor:
    """Local pairs: two distinct random samples inside a random window (1-D) or window × window patch (2-D)."""
    rng = numpy_rng(seed)
    window = min(window, n)
    first, second = [], []
    while len(first) < n_pairs:
        start = rng.integers(0, n - window + 1, size=dim)
        a, b = (start + rng.integers(0, window, size=dim) for _ in range(2))
        if np.array_equal(a, b):
            continue
        first.append(int(np.ravel_multi_index(tuple(a), (n,) * dim)))
        second.append(int(np.ravel_multi_index(tuple(b), (n,) * dim)))
    return torch.tensor([first, second]).T


def zone_pairs(n: int, dim: int, n_pairs: int, seed: int) -> torch.Tensor:
    """Global pairs from separated zones: indices below 800/2048 of the axis against above 1200/2048 (1-D); in 2-D
    a pixel of one image quadrant against one of the opposite quadrant, rows and columns below 225/512 of the side
    against at or above 275/512 (the authors' image scripts)."""
    rng = numpy_rng(seed)
    below, above = ZONES[dim]
    low = np.arange(n)[np.arange(n) < below * n]
    high = np.arange(n)[np.arange(n) > above * n]
    pairs = []
    for _ in range(n_pairs):
        if dim == 1:
            a, b = (rng.choice(low),), (rng.choice(high),)
        else:
            diagonal = rng.integers(0, 2)  # main diagonal (low, low)-(high, high) or the other one
            a = (rng.choice(low), rng.choice(low if diagonal == 0 else high))
            b = (rng.choice(high), rng.choice(high if diagonal == 0 else low))
        pairs.append((np.ravel_multi_index(a, (n,) * dim), np.ravel_multi_index(b, (n,) * dim)))
    return torch.tensor(pairs)


class RegionMetrics(Recorder):
    """Activation-pattern metrics at every record step (the authors track them during training)."""

    name = "regions"

    def __init__(self, inputs: torch.Tensor, y: torch.Tensor, local: torch.Tensor, far: torch.Tensor) -> None:
        self.inputs, self.y, self.local, self.far = inputs, y, local, far

    def record(self, model: torch.nn.Module, snapshot: Snapshot) -> dict[str, float]:
        with torch.enable_grad():
            cos_local = gradient_confusion(model, self.inputs, self.y, self.local, chunk_size=32).numpy()
            cos_far = gradient_confusion(model, self.inputs, self.y, self.far, chunk_size=32).numpy()
        activity = dead_neurons(model, self.inputs)
        return {
            "patterns_per_input": count_patterns(model, self.inputs) / len(self.inputs),
            "dead_fraction": activity.dead_fraction,
            "hamming_local": float(hamming_pairs(model, self.inputs, self.local).float().mean()),
            "hamming_global": float(hamming_pairs(model, self.inputs, self.far).float().mean()),
            "cos_local_mean": float(cos_local.mean()),
            "cos_local_std": float(cos_local.std()),
            "cos_local_negative": float((cos_local < 0).mean()),
            "cos_global_mean": float(cos_far.mean()),
            "cos_global_negative": float((cos_far < 0).mean()),
            "cos_local": cos_local,
        }


def data(setting: AuthorsSetting, seed: int, image: str | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs in [0, 1]^d and targets: 1-D, 14 sines (k = 5..70) on a uniform grid; 2-D, a natural RGB image."""
    if setting.dim == 1:
        x = torch.linspace(0, 1, setting.points_per_axis + 1, dtype=torch.float64)[:-1, None]
        rng = numpy_rng(seed)
        target = SumOfSines(np.arange(5.0, 71.0, 5.0), 1.0, rng.uniform(0.0, 1.0, 14), domain=(0.0, 1.0))
        return x.float(), target(x).float()
    pixels = image_data(image, setting.points_per_axis)
    return pixels.coordinates(), pixels.values()


def make_model(variant: str, setting: AuthorsSetting, channels: int, seed: int):
    if variant.startswith("positional"):
        encoder = FourierFeatures.positional(setting.dim, LEVELS[variant])
        return FourierFeatureMLP(encoder, channels, setting.width, setting.depth, seed=seed), lambda x: x
    model = MLP(setting.dim, channels, setting.width, setting.depth, seed=seed)
    return model, (lambda x: 2 * x - 1) if variant == "raw [-1,1]" else (lambda x: x)


def run_setting(
    setting: AuthorsSetting, seeds: list[int], progress: bool, executor: Executor | None = None
) -> tuple[pd.DataFrame, dict]:
    """Train every variant for every seed (and image); the metrics at every record step; the final local cosines.

    Each (image, seed) is one task on ``executor`` (None: here), merged in order.
    """
    images = setting.images or (None,)
    tasks = [(setting, image, seed, progress and executor is None) for image in images for seed in seeds]
    rows, cosines = [], {}
    for task_rows, task_cosines in map_tasks(
        _run_seed, tasks, executor, progress=progress and executor is not None, description=setting.name
    ):
        rows += task_rows
        for variant, cos_local in task_cosines.items():
            cosines.setdefault(variant, []).append(cos_local)
    return pd.DataFrame(rows), cosines


def _run_seed(task: tuple[AuthorsSetting, str | None, int, bool]) -> tuple[list[dict], dict[str, np.ndarray]]:
    """One (image, seed) of :func:`run_setting`: every variant trained, its metrics at every record step."""
    setting, image, seed, progress = task
    rows, cosines = [], {}
    variants = VARIANTS_1D if setting.dim == 1 else VARIANTS_2D
    x, y = data(setting, seed, image)
    local = window_pairs(setting.points_per_axis, setting.dim, setting.window, setting.n_pairs, seed)
    far = zone_pairs(setting.points_per_axis, setting.dim, setting.n_pairs, seed)
    for variant in variants:
        model, transform = make_model(variant, setting, y.shape[1], seed)
        inputs = transform(x)
        history = fit(
            model,
            inputs,
            y,
            lr=1e-3,
            steps=setting.steps,
            record_every=max(1, setting.steps // (setting.records - 1)),
            recorders=[RegionMetrics(inputs, y, local, far)],
            seed=seed,
            progress=progress,
        )
        for r, step in enumerate(history.steps):
            row = {"setting": setting.name, "image": image or "sines", "variant": variant, "seed": seed}
            row.update(step=int(step), loss=float(history.loss[r]))
            for key, values in history.records.items():
                if values.ndim == 1:
                    row[key.split("/", 1)[1]] = float(values[r])
            rows.append(row)
        cosines[variant] = history.records["regions/cos_local"][-1]
    return rows, cosines


def authors_findings(frame: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    """The four findings per setting, at step 0 (1, 2) and at the end (3, 4), means over seeds and images."""
    result, rows = {}, []
    for setting, group in frame.groupby("setting", sort=False):
        start = group[group.step == 0].groupby("variant", sort=False).mean(numeric_only=True)
        end = group[group.step == group.step.max()].groupby("variant", sort=False).mean(numeric_only=True)
        raw = [v for v in start.index if v.startswith("raw")]
        encoded = [v for v in start.index if v.startswith("positional")]
        own = start.patterns_per_input.to_dict()
        dead = start.dead_fraction.to_dict()
        hamming = end.hamming_local.to_dict()
        ratio = min(hamming[e] / max(hamming[r], 1e-12) for e in encoded for r in raw)
        cos_mean, cos_negative = end.cos_local_mean.to_dict(), end.cos_local_negative.to_dict()
        cos_std = end.cos_local_std.to_dict()
        checks = {
            "1_encoding_own_region_per_input": {
                "measure": "distinct patterns per input at step 0 (holds: every encoding >= 0.9 and above every raw)",
                "values": own,
                "holds": bool(
                    min(own[e] for e in encoded) >= 0.9 and min(own[e] for e in encoded) > max(own[r] for r in raw)
                ),
            },
            "2_raw01_dead_neurons": {
                "measure": "fraction of dead neurons at step 0 (holds: raw [0,1] the largest)",
                "values": dead,
                "holds": bool(dead["raw [0,1]"] > max(v for k, v in dead.items() if k != "raw [0,1]")),
            },
            "3_local_hamming_ratio": {
                "measure": "local-pair (window) Hamming distance at the end (holds: every encoding / every raw >= 2)",
                "values": hamming,
                "ratio": ratio,
                "holds": bool(ratio >= 2.0),
            },
            "4_local_confusion_signed": {
                "measure": "signed cos of local-pair loss gradients at the end (holds: raw std of cos >= 0.5, "
                "encoding |mean cos| < 0.25 and std <= half the smaller raw std)",
                "values": cos_std,
                "mean_cos": cos_mean,
                "negative_fraction": cos_negative,
                "holds": bool(
                    min(cos_std[r] for r in raw) >= 0.5
                    and max(abs(cos_mean[e]) for e in encoded) < 0.25
                    and max(cos_std[e] for e in encoded) <= 0.5 * min(cos_std[r] for r in raw)
                ),
            },
        }
        result[setting] = checks
        for name, check in checks.items():
            rows.append({"setting": setting, "finding": name, **check["values"], "holds": check["holds"]})
    return result, pd.DataFrame(rows)


def trajectory_figure(frame: pd.DataFrame, setting: str) -> Figure:
    metrics = [
        ("patterns_per_input", "patterns per input"),
        ("dead_fraction", "dead fraction"),
        ("hamming_local", "local Hamming distance"),
        ("cos_local_mean", "mean cos, local pairs"),
    ]
    fig, axes = new_figure(ncols=len(metrics), width=3.6)
    group = frame[frame.setting == setting]
    for ax, (metric, label) in zip(axes, metrics, strict=True):
        for variant, data in group.groupby("variant", sort=False):
            stats = data.groupby("step")[metric].mean()
            ax.plot(stats.index, stats.values, marker="o", ms=3, label=variant)
        ax.set(xlabel="training step", ylabel=label, title=f"{setting}: {label}")
    axes[0].legend(fontsize="x-small")
    return fig


def run_authors(args, folder, start: float, executor: Executor | None = None) -> None:
    """The authors' protocol end to end: train, print the tables and the findings, write the study."""
    settings = authors_sizes(args.quick)
    frames, figures = [], {}
    for setting in settings:
        frame, cosines = run_setting(setting, args.seeds, not args.no_progress, executor)
        frames.append(frame)
        figures[f"confusion_{setting.name}"] = plot_gradient_confusion(
            cosines, pairs="local (window) pairs", title=f"{setting.name}: end of training (authors' protocol)"
        )
        figures[f"trajectories_{setting.name}"] = trajectory_figure(frame, setting.name)
    frame = pd.concat(frames, ignore_index=True)
    checks, finding_table = authors_findings(frame)
    metrics = [c for c in frame.columns if c not in ("setting", "image", "variant", "seed", "step")]
    last = frame.groupby(["setting", "variant", "image", "seed"]).step.transform("max")
    stages = frame[(frame.step == 0) | (frame.step == last)].assign(
        stage=lambda f: np.where(f.step == 0, "init", "trained")
    )
    summary: dict = {}
    for (setting, variant, stage), group in stages.groupby(["setting", "variant", "stage"], sort=False):
        summary.setdefault(setting, {}).setdefault(variant, {})[stage] = {m: spread(group[m].tolist()) for m in metrics}
    printed = stages.groupby(["setting", "variant", "stage"], sort=False)[metrics].mean().reset_index()
    print("Lazzari & Liu, the authors' protocol: window pairs, zone pairs, 8/14-feature encodings, signed cosines")
    print(format_table(printed))
    print()
    print(format_table(finding_table))
    write_study(
        folder,
        {"protocol": "authors", "metrics": summary, "findings": checks},
        study="lazzari_regions",
        settings={
            "protocol": "authors",
            "quick": args.quick,
            "sizes": [asdict(s) for s in settings],
            "levels": LEVELS,
            "zones": ZONES,
            "optimizer": "adam 1e-3, full batch",
        },
        seeds=args.seeds,
        figures=figures,
        tables={"trajectories": frame, "table": printed, "findings": finding_table},
        wall_time=time.perf_counter() - start,
    )
