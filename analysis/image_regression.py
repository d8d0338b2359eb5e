"""Coordinate networks fitting natural images, frequency by frequency, at equal parameters and equal steps.

    python analysis/image_regression.py [--quick | --full] [--out DIR] [--seeds 0 1 2] [--no-progress]
                                        [--workers N | --scheduler tcp://host:port | --cluster local:N]

Data (spectra.data): bundled natural images (scikit-image's, nothing downloaded), centre-cropped and resized to
``size`` × ``size`` pixels, as (x0, x1) in [0, 1]² -> pixel value; the coordinate-network protocol: train on
every other pixel along each axis (a quarter of the pixels), test on the held-out pixels; PSNR on both.

Models (spectra.models.CoordinateNetwork), ``depth`` hidden layers each, at the plain MLP's parameter count
(widths chosen so that every count is within 2%, checked): the plain ReLU MLP on raw coordinates; NeRF-style
positional encoding with L octaves (frequencies 2^l / 2, l < L, up to the training grid's Nyquist frequency);
Gaussian Fourier features for each σ of ``sigmas``; RepNet (2-D, ReLU, partition levels on a uniform grid of the
square, s0 = 2π k_max with k_max the training grid's Nyquist frequency); SIREN with its published
initialisation (ω0 = 30, inputs mapped onto [-1, 1]²).

The fair protocol of the RepNet studies (analysis/repnet_common.py): the same data for every model; the same
tuning budget (each model trains at every learning rate of ``lrs`` on the first seed, and the rate with the
lowest training loss, median over the last 20% of the records, is kept for every seed: the test pixels never
choose anything); equal full-batch Adam steps; the headline is the median over the last 20% of the records
(here of the test PSNR), with the final value beside it; mean ± std over seeds.

Measured per image, model and seed: PSNR on the training and on the test pixels; the residual's relative error
per radial band (octave bands of |k|, cycles per unit length) on the whole image, on the test pixels and on the
training grid, over training; per-band early decay rates; the step at which each band's error on the training
grid first falls below 0.5 (the learning order). Theory: the eNTK of each model at initialisation on the
training pixels (first seed): eigenvalues against the radial frequency of their eigenvectors, the top eigenvectors
as images, and the linearised gradient flow's per-band learning order, compared with training's (Spearman rank
correlation over the bands). Partition: exact linear regions of the trained ReLU networks (MLP, RepNet) over the
image (regions per pixel; region density against the local image gradient, Spearman over 8 × 8-pixel patches).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from functools import lru_cache

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

from spectra.data import ImageData, fit_image, image_data, ntk_band_prediction
from spectra.models import CoordinateNetwork, count_parameters
from spectra.parallel import map_tasks
from spectra.partition import regions_2d
from spectra.plots.images import (
    plot_band_heatmap,
    plot_band_prediction,
    plot_eigenvectors,
    plot_image_fits,
    plot_ntk_bands,
)
from spectra.plots.partition import plot_regions_2d
from spectra.plots.style import new_figure
from spectra.studies import (
    format_spread,
    format_table,
    spread,
    study_executor,
    study_output,
    study_parser,
    write_study,
)
from spectra.training import late_median

BOX = ((0.0, 1.0), (0.0, 1.0))
LEVEL = 0.5  # a band is "learned" when its relative error first falls below this level


@dataclass(frozen=True)
class Settings:
    images: tuple[str, ...] = ("camera", "astronaut", "coffee")
    size: int = 64
    width: int = 84  # the plain MLP's width: about 14.6k parameters (grey) to 14.8k (RGB) at depth 3
    depth: int = 3
    steps: int = 3000
    record_every: int = 25
    lrs: tuple[float, ...] = (1e-4, 3e-4, 1e-3, 3e-3)
    sigmas: tuple[float, ...] = (1.0, 3.0, 10.0)
    n_frequencies: int = 64
    ntk_points: int = 1024
    patch: int = 8
    tolerance: float = 0.02  # largest relative deviation of a parameter count from the plain MLP's

    @classmethod
    def quick(cls) -> Settings:
        return cls(
            images=("camera", "astronaut"),
            size=16,
            width=24,
            depth=2,
            steps=100,
            record_every=20,
            lrs=(1e-3, 3e-3),
            sigmas=(1.0, 3.0),
            n_frequencies=16,
            ntk_points=64,
            patch=4,
            tolerance=0.06,  # tiny networks: one neuron more or less is several percent
        )

    @classmethod
    def full(cls) -> Settings:
        return cls(steps=20000, record_every=100)

    @property
    def nyquist(self) -> float:
        """The training grid's Nyquist frequency (cycles per unit length): size / 4 for stride 2."""
        return self.size / 4

    def networks(self) -> dict[str, CoordinateNetwork]:
        levels = int(round(math.log2(self.nyquist))) + 2  # top octave 2^(L-1) / 2 = the training Nyquist
        nets = [
            CoordinateNetwork("mlp", self.depth),
            CoordinateNetwork("positional", self.depth, levels=levels),
            *(
                CoordinateNetwork("gaussian", self.depth, sigma=s, n_frequencies=self.n_frequencies)
                for s in self.sigmas
            ),
            CoordinateNetwork("repnet", self.depth, s0=2 * math.pi * self.nyquist),
            CoordinateNetwork("siren", self.depth),
        ]
        return {net.label: net for net in nets}


@dataclass(frozen=True)
class Task:
    settings: Settings
    image: str
    model: str
    seed: int
    lr: float = math.nan
    keep: bool = False  # keep the final prediction, the dynamics and the trained model's regions


@lru_cache(maxsize=8)
def load(name: str, size: int) -> ImageData:
    return image_data(name, size)


def run_task(task: Task) -> dict:
    """Train one model on one image at one seed and learning rate; measure PSNR and per-band errors."""
    settings = task.settings
    data = load(task.image, settings.size)
    net = settings.networks()[task.model]
    reference = CoordinateNetwork("mlp", settings.depth).build(2, data.channels, settings.width, BOX, seed=0)
    budget = count_parameters(reference)
    width = settings.width if net.kind == "mlp" else net.width_for(budget, 2, data.channels, BOX)
    model = net.build(2, data.channels, width, BOX, seed=task.seed)
    history, dyn = fit_image(
        model, data, lr=task.lr, steps=settings.steps, record_every=settings.record_every, seed=task.seed
    )
    learned = dyn.learning_steps(LEVEL, on="train")
    row = dict(
        image=task.image,
        model=task.model,
        seed=task.seed,
        lr=task.lr,
        width=width,
        n_parameters=count_parameters(model),
        psnr_train=float(dyn.psnr_train[-1]),
        psnr_test=float(dyn.psnr_test[-1]),
        psnr_train_late=late_median(dyn.psnr_train),
        psnr_test_late=late_median(dyn.psnr_test),
        train_loss_late=late_median(history.loss),
        plateau_db=float(
            np.median(dyn.psnr_test[-max(1, len(dyn.steps) // 10) :])
            - np.median(dyn.psnr_test[-2 * max(1, len(dyn.steps) // 10) : -max(1, len(dyn.steps) // 10)])
        ),
    )
    bands = pd.DataFrame(
        {
            "image": task.image,
            "model": task.model,
            "seed": task.seed,
            "band": dyn.band_labels,
            "band_index": np.arange(len(dyn.band_labels)),
            "target_energy": dyn.target_energy,
            "learned_step": learned,
            "decay_rate": dyn.decay_rates(),
            "final_error": dyn.band_error[-1],
            "final_test_error": dyn.test_band_error[-1],
        }
    )
    result = {
        "row": row,
        "bands": bands,
        "curves": dyn.to_frame().assign(image=task.image, model=task.model, seed=task.seed),
    }
    if task.keep:
        result["dynamics"] = dyn
        result["prediction"] = data.as_image(history.predictions[-1])
        if net.kind in ("mlp", "repnet"):
            result["regions"] = partition_measures(model, data, settings.patch)
    return result


def partition_measures(model: torch.nn.Module, data: ImageData, patch: int) -> dict:
    """Exact regions of a trained ReLU network over the image: per pixel, and density against the image gradient."""
    regions = regions_2d(model.double(), BOX)
    centroids = regions.centroids
    rows = np.clip((centroids[:, 0] * data.height).astype(int), 0, data.height - 1) // patch
    cols = np.clip((centroids[:, 1] * data.width).astype(int), 0, data.width - 1) // patch
    n_rows, n_cols = data.height // patch, data.width // patch
    inside = (rows < n_rows) & (cols < n_cols)
    counts = np.zeros((n_rows, n_cols))
    np.add.at(counts, (rows[inside], cols[inside]), 1.0)
    density = counts / patch**2  # regions per pixel in each patch
    grey = data.image.mean(axis=2)
    g0, g1 = np.gradient(grey, 1 / data.height, 1 / data.width)
    gradient = np.hypot(g0, g1)[: n_rows * patch, : n_cols * patch]
    local = gradient.reshape(n_rows, patch, n_cols, patch).mean(axis=(1, 3))
    rho = spearmanr(local.ravel(), density.ravel()).statistic
    return {
        "regions": regions,
        "count": regions.count,
        "regions_per_pixel": regions.count / (data.height * data.width),
        "density_gradient_spearman": float(rho),
        "density": density,
        "gradient": local,
    }


def ntk_task(task: Task) -> dict:
    """eNTK at initialisation (first seed) on the training pixels and its linearised per-band prediction."""
    settings = task.settings
    data = load(task.image, settings.size)
    net = settings.networks()[task.model]
    reference = CoordinateNetwork("mlp", settings.depth).build(2, data.channels, settings.width, BOX, seed=0)
    width = settings.width if net.kind == "mlp" else net.width_for(count_parameters(reference), 2, data.channels, BOX)
    model = net.build(2, data.channels, width, BOX, seed=task.seed, dtype=torch.float64)
    times = np.geomspace(1e-3, 1e9, 121)
    return {
        "image": task.image,
        "model": task.model,
        "prediction": ntk_band_prediction(model, data, times, max_points=settings.ntk_points),
    }


def rank_agreement(predicted: np.ndarray, observed: np.ndarray) -> tuple[float, int]:
    """Spearman correlation between predicted learning times and observed learning steps over bands where both are
    defined (never-learned bands rank last); and the number of bands compared."""
    valid = ~np.isnan(predicted) & ~np.isnan(observed)
    if valid.sum() < 3:
        return math.nan, int(valid.sum())
    p, o = predicted[valid], observed[valid]
    big = 1e300  # inf (never learned) ranks last, ties among them
    rho = spearmanr(np.where(np.isinf(p), big, p), np.where(np.isinf(o), big, o)).statistic
    return float(rho), int(valid.sum())


def main() -> None:
    parser = study_parser("image_regression", __doc__)
    parser.add_argument("--full", action="store_true", help="long runs: every model trains until it plateaus")
    args = parser.parse_args()
    if args.quick and args.full:
        parser.error("--quick and --full: expected at most one of them, got both")
    if args.quick and args.seeds == [0, 1, 2]:
        args.seeds = [0]
    settings = Settings.quick() if args.quick else Settings.full() if args.full else Settings()
    with study_output(args) as folder, study_executor(args, 1) as executor:
        torch.set_num_threads(1)
        start = time.perf_counter()
        run(settings, args, executor, folder, start)


def run(settings: Settings, args, executor, folder, start: float) -> None:
    progress, workers, seeds = not args.no_progress, args.workers or 1, args.seeds
    labels = list(settings.networks())
    tasks = [Task(settings, image, label, seeds[0]) for image in settings.images for label in labels]
    trials = [replace(t, lr=lr) for t in tasks for lr in settings.lrs]
    tried = map_tasks(run_task, trials, executor, progress=progress, description="tuning")
    tuning = pd.DataFrame([r["row"] for r in tried])
    chosen = tuning.loc[tuning.groupby(["image", "model"], sort=False).train_loss_late.idxmin()]
    lr_of = {(r.image, r.model): r.lr for r in chosen.itertuples()}
    tuning["chosen"] = [lr_of[i, m] == lr for i, m, lr in zip(tuning.image, tuning.model, tuning.lr, strict=True)]
    kept = [replace(t, lr=lr_of[t.image, t.model], keep=True) for t in tasks]  # rerun seed 0 keeping the details
    more = [replace(t, seed=s, lr=lr_of[t.image, t.model]) for s in seeds[1:] for t in tasks]
    results = map_tasks(run_task, kept + more, executor, progress=progress, description="seeds")
    ntk = map_tasks(ntk_task, tasks, executor, progress=progress, description="eNTK")

    runs = pd.DataFrame([r["row"] for r in results])
    bands = pd.concat([r["bands"] for r in results], ignore_index=True)
    curves = pd.concat([r["curves"] for r in results], ignore_index=True)
    deviation = {}
    for image, frame in runs.groupby("image", sort=False):
        reference = frame[frame.model == labels[0]].n_parameters.iloc[0]
        deviation[image] = float((frame.n_parameters - reference).abs().max() / reference)
        if deviation[image] > settings.tolerance:
            raise RuntimeError(
                f"parameter counts differ by {deviation[image]:.1%} (> {settings.tolerance:.0%}) on {image}"
            )

    # PSNR table: mean ± std over seeds.
    numbers: dict = {}
    rows = []
    for (image, model), frame in runs.groupby(["image", "model"], sort=False):
        entry = {k: spread(frame[k].tolist()) for k in ("psnr_train", "psnr_test", "psnr_train_late", "psnr_test_late")}
        entry.update(
            n_parameters=int(frame.n_parameters.iloc[0]), width=int(frame.width.iloc[0]), lr=float(frame.lr.iloc[0])
        )
        numbers.setdefault(image, {})[model] = entry
        rows.append(
            {
                "image": image,
                "model": model,
                "params": entry["n_parameters"],
                "lr": entry["lr"],
                "test PSNR late (dB, higher is better)": format_spread(entry["psnr_test_late"]),
                "train PSNR late (dB)": format_spread(entry["psnr_train_late"]),
                "final test PSNR (dB)": format_spread(entry["psnr_test"]),
                "final train PSNR (dB)": format_spread(entry["psnr_train"]),
            }
        )
    table = pd.DataFrame(rows)
    best = {image: max(models, key=lambda m: models[m]["psnr_test_late"]["mean"]) for image, models in numbers.items()}

    # Band order: observed (median step over seeds) against the eNTK's prediction.
    observed = bands.groupby(["image", "model", "band_index"], sort=False).learned_step.median().unstack()
    order_rows, predictions = [], {}
    for item in ntk:
        prediction = item["prediction"]
        predictions[item["image"], item["model"]] = prediction
        seen = observed.loc[(item["image"], item["model"])].to_numpy(dtype=float)
        predicted = prediction.learning_times(LEVEL)
        rho, compared = rank_agreement(predicted, seen)
        order_rows.append(
            {
                "image": item["image"],
                "model": item["model"],
                "predicted_order": " < ".join(_order_text(predicted, prediction.edges)),
                "observed_order": " < ".join(_order_text(seen, prediction.edges)),
                "spearman": rho,
                "bands_compared": compared,
                "kernel_points": len(prediction.eigenvalues),
                "top_eigen_frequency": float(prediction.eigen_frequency[0]),
                "median_top16_frequency": float(np.median(prediction.eigen_frequency[:16])),
            }
        )
    orders = pd.DataFrame(order_rows)
    band_table = (
        bands.groupby(["image", "model", "band"], sort=False)[
            ["target_energy", "learned_step", "decay_rate", "final_test_error"]
        ]
        .mean()
        .reset_index()
    )
    partition_rows = [
        {
            "image": r["row"]["image"],
            "model": r["row"]["model"],
            "regions": r["regions"]["count"],
            "regions_per_pixel": r["regions"]["regions_per_pixel"],
            "density_gradient_spearman": r["regions"]["density_gradient_spearman"],
        }
        for r in results[: len(kept)]
        if "regions" in r
    ]
    partition = pd.DataFrame(partition_rows)

    print(f"Images {list(settings.images)} at {settings.size}×{settings.size}; train on every other pixel, test on")
    print(f"the rest. {settings.steps} full-batch Adam steps; learning rate per model from {list(settings.lrs)} by")
    print(f"training loss; mean ± std over seeds {seeds}; late = median over the last 20% of the records")
    print(format_table(table))
    print("\nBest model by late test PSNR:", best)
    print(
        f"\nPer band (means over seeds): step at which the training-grid error first falls below {LEVEL}, early decay"
    )
    print("rate (1/step, first quarter of the steps), final relative error on the test pixels")
    print(format_table(band_table))
    print(
        "\nLearning order of the bands: eNTK linearised flow at initialisation against training (Spearman over bands)"
    )
    print(format_table(orders))
    if len(partition):
        print(
            "\nExact linear regions of the trained ReLU networks (seed 0): regions per pixel and Spearman"
        )
        print(f"correlation of region density with the local image gradient over {settings.patch}² -pixel patches")
        print(format_table(partition))

    first = settings.images[0]
    keep = {(r["row"]["image"], r["row"]["model"]): r for r in results[: len(kept)]}
    fits = {
        image: {"target": load(image, settings.size).image, **{m: keep[image, m]["prediction"] for m in labels}}
        for image in settings.images
    }
    titles = {f"{i}/{m}": f"\n{keep[i, m]['row']['psnr_test']:.1f} dB" for i in settings.images for m in labels}
    figures = {
        "fits": plot_image_fits(fits, titles=titles),
        f"band_heatmap_{first}": plot_band_heatmap({m: keep[first, m]["dynamics"] for m in labels}),
        f"band_heatmap_test_{first}": plot_band_heatmap({m: keep[first, m]["dynamics"] for m in labels}, on="test"),
        "psnr_curves": plot_psnr_curves(curves_psnr(results)),
        f"ntk_spectrum_{first}": plot_ntk_bands({m: predictions[first, m] for m in labels}),
        f"ntk_eigenvectors_{first}": plot_eigenvectors({m: predictions[first, m] for m in labels}),
        "band_test_error": plot_band_test_error(band_table),
        **{
            f"band_prediction_{first}_{i}": plot_band_prediction(
                keep[first, m]["dynamics"], predictions[first, m], keep[first, m]["row"]["lr"], title=f"{first}: {m}"
            )
            for i, m in enumerate(labels)
        },
        **{
            f"regions_{first}_{keep[first, m]['row']['model'].split()[0].lower()}": plot_regions_2d(
                keep[first, m]["regions"]["regions"]
            )
            for m in labels
            if "regions" in keep[first, m]
        },
    }
    write_study(
        folder,
        {
            "results": numbers,
            "best_by_test_psnr_late": best,
            "parameter_deviation": deviation,
            "learning_order": orders.to_dict(orient="records"),
            "bands": band_table.to_dict(orient="records"),
            "partition": partition.to_dict(orient="records"),
            "tuning": tuning.to_dict(orient="records"),
            "workers": workers,
        },
        study="image_regression",
        settings={**asdict(settings), "models": {k: asdict(v) for k, v in settings.networks().items()}},
        seeds=seeds,
        figures=figures,
        tables={
            "runs": runs,
            "summary": table,
            "bands": bands,
            "band_summary": band_table,
            "learning_order": orders,
            "partition": partition,
            "tuning": tuning,
            "band_curves": curves,
        },
        wall_time=time.perf_counter() - start,
    )


def _order_text(times: np.ndarray, edges: np.ndarray) -> list[str]:
    valid = np.flatnonzero(~np.isnan(times))
    ordered = valid[np.lexsort((valid, times[valid]))]
    return [f"{edges[b]:g}" + ("(never)" if np.isinf(times[b]) else "") for b in ordered]


def curves_psnr(results: list[dict]) -> pd.DataFrame:
    rows = []
    for r in results:
        if "dynamics" in r:
            frame = r["dynamics"].psnr_frame()
            rows.append(frame.assign(image=r["row"]["image"], model=r["row"]["model"]))
    return pd.concat(rows, ignore_index=True)


def plot_psnr_curves(frame: pd.DataFrame):
    images = list(dict.fromkeys(frame.image))
    fig, axes = new_figure(ncols=len(images), width=4.6)
    axes = np.atleast_1d(axes)
    for ax, image in zip(axes, images, strict=True):
        for index, (model, data) in enumerate(frame[frame.image == image].groupby("model", sort=False)):
            ax.plot(data.step, data.psnr_test, color=f"C{index}", lw=1.4, label=model)
            ax.plot(data.step, data.psnr_train, color=f"C{index}", lw=0.8, ls=":")
        ax.set(xlabel="training step", ylabel="PSNR (dB; solid test, dotted train)", title=f"{image} (seed 0)")
    axes[0].legend(fontsize="x-small")
    return fig


def plot_band_test_error(band_table: pd.DataFrame):
    images = list(dict.fromkeys(band_table.image))
    fig, axes = new_figure(ncols=len(images), width=4.6)
    axes = np.atleast_1d(axes)
    for ax, image in zip(axes, images, strict=True):
        for model, data in band_table[band_table.image == image].groupby("model", sort=False):
            ax.plot(data.band, data.final_test_error, marker="o", lw=1.2, label=model)
        ax.set(
            yscale="log",
            xlabel="radial band |k| (cycles per unit length)",
            ylabel="relative error on test pixels",
            title=f"{image}: end of training (mean over seeds)",
        )
        ax.tick_params(axis="x", labelrotation=45, labelsize="x-small")
    axes[0].legend(fontsize="x-small")
    return fig


if __name__ == "__main__":
    main()
