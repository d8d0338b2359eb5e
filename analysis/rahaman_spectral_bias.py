"""Rahaman et al. (2019), "On the spectral bias of neural networks": a ReLU MLP learns low frequencies first.

    python analysis/rahaman_spectral_bias.py [--quick] [--out DIR] [--seeds S ...] [--amplitudes equal|increasing]

Target (docs/theory.rst, "Per-frequency diagnostics"): g(z) = Σ_i A_i sin(2π k_i z + 2π φ_i), k_i = 5, 10, ..., 50
cycles per unit, on the 200-point periodic grid of [0, 1), A_i = 1 (or 0.1, 0.2, ..., 1.0), phases
φ_i ~ U(0, 1) drawn from each seed (one phase draw and one initialisation per seed). A ReLU MLP is
trained full batch with Adam on the mean loss. The diagnostic is the normalised amplitude
2|F_t(k_i)| / (200 A_i) of the prediction at every 100th step (spectra.fourier.target_amplitudes),
averaged over the phase draws as in the paper's heat map; the table gives, for each k_i, the first
recorded step at which that mean reaches 0.9 (null / "never" if it does not within the run).

Size: the paper trains 5 × 256 hidden units for 60,000 steps at lr 3e-4; here 4 × 256 for 15,000
steps at lr 1e-3, which keeps the study to a few minutes on 2 cores (--quick: 4 × 128, 1,200 steps).
The ordering of the learned frequencies is the finding; the step counts depend on the size, and
within this budget the highest lines stay below 0.9.

Outputs (results/rahaman_spectral_bias/): summary.json (``steps_to_0.9`` per k, per seed as well,
the final amplitudes), heatmap (normalised amplitude, step × k), frequency_error (Xu's relative
error from spectra.fourier.FourierErrorRecorder, step × k), curves, spectra (target / prediction /
residual early in training), amplitudes.csv (tidy: seed, step, k, amplitude, relative_error).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
import torch

from spectra.domain import uniform_grid
from spectra.fourier import FourierErrorRecorder, error_dynamics, target_amplitudes, time_to_threshold
from spectra.models import MLP
from spectra.parallel import map_tasks
from spectra.plots.fourier import plot_frequency_curves, plot_frequency_heatmap, plot_spectra
from spectra.studies import format_table, study_executor, study_output, study_parser, write_study
from spectra.targets import rahaman
from spectra.training import History, fit

AMPLITUDE_LABEL = "normalised amplitude 2|F_t(k)|/(n A_k)"


@dataclass(frozen=True)
class Settings:
    n_points: int = 200
    width: int = 256
    depth: int = 4
    lr: float = 1e-3
    steps: int = 15_000
    record_every: int = 100
    amplitudes: str = "equal"
    level: float = 0.9

    @classmethod
    def quick(cls) -> Settings:
        return cls(width=128, steps=1_200, record_every=50)


@dataclass
class Run:
    seed: int
    frequencies: np.ndarray
    amplitudes: np.ndarray
    history: History
    normalised: np.ndarray  # (R, K) Rahaman's normalised amplitudes
    relative_error: np.ndarray  # (R, K) Xu's complex relative error, from the recorder


def _train_task(task: tuple[Settings, int, bool]) -> Run:
    return train(*task)


def train(settings: Settings, seed: int, progress: bool) -> Run:
    target = rahaman(settings.amplitudes, seed=seed)
    x = uniform_grid(target.domain, settings.n_points, dtype=torch.float32)
    model = MLP(1, 1, settings.width, settings.depth, activation="relu", seed=seed)
    history = fit(
        model,
        x,
        target(x),
        optimizer="adam",
        lr=settings.lr,
        steps=settings.steps,
        record_every=settings.record_every,
        recorders=[FourierErrorRecorder(target.frequencies)],
        seed=seed,
        progress=progress,
    )
    return Run(
        seed=seed,
        frequencies=target.frequencies[:, 0],
        amplitudes=target.amplitudes,
        history=history,
        normalised=target_amplitudes(history.predictions, target.frequencies, target.amplitudes),
        relative_error=error_dynamics(history).relative_error,
    )


def steps_to_level(values: np.ndarray, steps: np.ndarray, level: float) -> list[int | None]:
    reached = time_to_threshold(values, steps, level, direction="above")
    return [None if np.isinf(s) else int(s) for s in reached]


def tidy(runs: list[Run]) -> pd.DataFrame:
    frames = []
    for run in runs:
        records, k = run.normalised.shape
        frames.append(
            pd.DataFrame(
                {
                    "seed": run.seed,
                    "step": np.repeat(run.history.steps, k),
                    "k": np.tile(run.frequencies, records),
                    "amplitude": run.normalised.reshape(-1),
                    "relative_error": run.relative_error.reshape(-1),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = study_parser("rahaman_spectral_bias", __doc__)
    parser.add_argument("--amplitudes", choices=("equal", "increasing"), default="equal", help="A_i = 1 or 0.1..1.0")
    args = parser.parse_args()
    with study_output(args) as folder:
        settings = replace(Settings.quick() if args.quick else Settings(), amplitudes=args.amplitudes)
        start = time.perf_counter()
        with study_executor(args) as executor:
            tasks = [(settings, seed, executor is None and not args.no_progress) for seed in args.seeds]
            runs = map_tasks(_train_task, tasks, executor, progress=not args.no_progress, description="seeds")
        steps = runs[0].history.steps
        frequencies = runs[0].frequencies
        mean_amplitude = np.mean([run.normalised for run in runs], axis=0)
        mean_error = np.mean([run.relative_error for run in runs], axis=0)
        reached = steps_to_level(mean_amplitude, steps, settings.level)
        per_seed = {run.seed: steps_to_level(run.normalised, steps, settings.level) for run in runs}

        table = pd.DataFrame(
            {
                "k": frequencies,
                "A_k": runs[0].amplitudes,
                f"steps to {settings.level} (mean over phases)": ["never" if s is None else s for s in reached],
                "per seed": [
                    ", ".join("never" if s[i] is None else str(s[i]) for s in per_seed.values())
                    for i in range(len(frequencies))
                ],
                "final amplitude": mean_amplitude[-1],
            }
        )
        print(f"Rahaman et al. spectral bias: {settings.width} x {settings.depth} ReLU MLP, Adam lr {settings.lr}, "
              f"{settings.steps} steps, phase draws {list(args.seeds)}, amplitudes {settings.amplitudes}")  # fmt: skip
        print(format_table(table))

        early = int(np.argmin(np.abs(steps - settings.steps / 10)))
        first = runs[0].history
        spectra = plot_spectra(
            {"target": first.probe_target, "prediction": first.predictions[early]}, first.probe, residual=True
        )
        spectra.axes[0].set_title(f"seed {runs[0].seed}, step {steps[early]}")
        heatmap = plot_frequency_heatmap(
            steps,
            frequencies,
            mean_amplitude,
            label="normalised amplitude (mean over phases)",
            log=False,
            vmin=0,
            vmax=1,
        )
        heatmap.axes[0].set_title("Rahaman et al.: 2|F_t(k)|/(n A_k) of each line")
        numbers = {
            "threshold": settings.level,
            "frequencies": frequencies.tolist(),
            f"steps_to_{settings.level}": {f"{k:g}": s for k, s in zip(frequencies, reached, strict=True)},
            f"steps_to_{settings.level}_per_seed": {
                str(seed): {f"{k:g}": s for k, s in zip(frequencies, values, strict=True)}
                for seed, values in per_seed.items()
            },
            "final_amplitude": {f"{k:g}": float(a) for k, a in zip(frequencies, mean_amplitude[-1], strict=True)},
            "final_relative_error": {f"{k:g}": float(e) for k, e in zip(frequencies, mean_error[-1], strict=True)},
        }
        write_study(
            folder,
            numbers,
            study="rahaman_spectral_bias",
            settings={**asdict(settings), "quick": args.quick},
            seeds=args.seeds,
            figures={
                "heatmap": heatmap,
                "frequency_error": plot_frequency_heatmap(
                    steps, frequencies, mean_error, label="relative error Δ_F(k) (mean over phases)"
                ),
                "curves": plot_frequency_curves(steps, frequencies, mean_amplitude, label=AMPLITUDE_LABEL, log=False),
                "spectra": spectra,
            },
            tables={"amplitudes": tidy(runs)},
            wall_time=time.perf_counter() - start,
        )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
