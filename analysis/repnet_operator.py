"""Operator learning: DeepONets whose trunk is a vanilla MLP, a RepNet or a Fourier-feature MLP.

    python analysis/repnet_operator.py [--quick] [--out DIR] [--seeds 0 1 2] [--no-progress]
        [--workers N | --scheduler tcp://host:port | --cluster local:N]

RepNet here is "RepNet (reparameterised first layer, as described in the abstract)" (spectra.models.RepNet),
not the paper's code (the paper's operator example is an earthquake data set; this study uses a synthetic
operator with a known answer instead).

Operator (spectra.models.deeponet.antiderivative_data): G(u)(y) = ∫_0^y u(x) dx for random multiscale inputs
u(x) = Σ_k c_k sin(2π k x + 2π φ_k), k in the bands 1–3 and 20–25 cycles per unit length, scaled so that the
output has a slow component of size about 1 and a fast one of size about 0.1: the trunk must carry structure
at 25 cycles per unit length. Sensors: ``n_sensors`` evenly spaced points of [0, 1]; query points: the
periodic grid j / n_points (the outputs are periodic since every k is an integer).

DeepONet (spectra.models.deeponet.DeepONet): branch = an MLP on the sensor values (divided by their standard
deviation over the training inputs), the same for every model of a seed; trunk = the model compared, with
``n_basis`` outputs, widths matched to the naive MLP trunk's parameter count, under the fair protocol of
repnet_common.py (trunks: the naive and the normalised MLP, RepNet adaptive with s0 = 2π·25 and partition points
on a uniform grid of [0, 1], the Fourier-feature MLPs with σ = 10 and σ = k_max / 2 = 12.5). Training: full-batch
Adam on the mean loss over every (function, point) pair of ``n_train`` functions
(spectra.models.deeponet.OperatorLoss), the same steps for all, each at the learning rate its own training loss
picks from ``lrs``. ``--full`` trains 4× longer.

Measured over seeds: the relative L2 error on the first ``n_probe_functions`` held-out input functions over
training (median over the last 20% of the records: the headline) and on all ``n_test`` of them at the end,
(1/F) Σ_f |G_θ(u_f) - G(u_f)| / |G(u_f)|, with per-seed ratios to every baseline trunk; the trunk's first-layer
kinks in [0, 1] and RepNet's s, p, v movement; the band errors at the end, sqrt(Σ_f Σ_{k in band}
A_r(k)²) / sqrt(Σ_f Σ_{k in band} A_g(k)²) with A the single-sided amplitudes of the residual r and of the
true output g on the query grid (spectra.fourier.spectrum), for the slow and the fast band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from repnet_common import (
    FF_BLIND,
    FF_KMAX,
    HEADLINE_LABEL,
    NAIVE,
    NORMALISED,
    REPNET,
    Architecture,
    Study,
    Task,
    build_model,
    compare,
    curve_rows,
    first_layer_columns,
    first_layer_state,
    late_columns,
    matched_width,
    plot_error_curves,
    print_headline,
    print_over_budget,
)

from spectra.domain import Box
from spectra.fourier import spectrum
from spectra.models import MLP, count_parameters
from spectra.models.deeponet import DeepONet, OperatorLoss, antiderivative_data, pairs
from spectra.studies import format_table
from spectra.training import fit

MODELS = (NAIVE, NORMALISED, REPNET, FF_BLIND, FF_KMAX)
BANDS = ((1, 3), (20, 25))
K_MAX = 25.0


@dataclass(frozen=True)
class Settings:
    steps: int = 5000
    lrs: tuple[float, ...] = (3e-4, 1e-3, 3e-3)  # every model's tuning budget (repnet_common)
    n_train: int = 500
    n_test: int = 200
    n_sensors: int = 100
    n_points: int = 128
    n_basis: int = 64
    width: int = 64  # trunk
    depth: int = 3  # trunk
    branch_width: int = 128
    branch_depth: int = 2
    activations: tuple[str, ...] = ("relu", "tanh")
    ff_frequencies: int = 32
    n_probe_functions: int = 20
    record_every: int = 100

    @classmethod
    def quick(cls) -> Settings:
        return cls(
            steps=400,
            lrs=(1e-3, 3e-3),
            n_train=200,
            n_test=50,
            n_sensors=64,
            n_points=64,
            n_basis=16,
            width=24,
            branch_width=32,
            ff_frequencies=8,
            n_probe_functions=5,
            record_every=50,
        )

    @classmethod
    def full(cls) -> Settings:
        return cls(steps=20000, record_every=400)


def band_errors(prediction: np.ndarray, truth: np.ndarray, grid: np.ndarray) -> dict[str, float]:
    """Residual against output energy in each band, summed over functions (module docstring)."""
    residual_energy = dict.fromkeys(BANDS, 0.0)
    target_energy = dict.fromkeys(BANDS, 0.0)
    for f_hat, g in zip(prediction, truth, strict=True):
        r, t = spectrum(f_hat - g, grid), spectrum(g, grid)
        k = r.frequency[:, 0]
        for band in BANDS:
            inside = (k >= band[0]) & (k <= band[1])
            residual_energy[band] += float((r.amplitude[inside] ** 2).sum())
            target_energy[band] += float((t.amplitude[inside] ** 2).sum())
    return {f"error_k{lo}_{hi}": math.sqrt(residual_energy[(lo, hi)] / target_energy[(lo, hi)]) for lo, hi in BANDS}


def run_task(task: Task) -> dict:
    settings = task.settings
    data = {
        split: antiderivative_data(n, settings.n_sensors, settings.n_points, bands=BANDS, seed=seed)
        for split, n, seed in (("train", settings.n_train, 0), ("test", settings.n_test, 1))
    }
    scale = float(data["train"].u.std())
    (u_train, y, s_train), (u_test, _, s_test) = (data[split].tensors() for split in ("train", "test"))
    u_train, u_test = u_train / scale, u_test / scale
    arch = Architecture(
        1,
        settings.n_basis,
        settings.width,
        settings.depth,
        task.activation,
        Box.interval(0.0, 1.0),
        2 * math.pi * K_MAX,
        settings.ff_frequencies,
        K_MAX,
    )
    width = matched_width(task.model, arch)
    trunk = build_model(task.model, arch, width, task.seed)
    first_layer = first_layer_state(trunk, arch.domain)
    branch = MLP(
        settings.n_sensors,
        settings.n_basis,
        settings.branch_width,
        settings.branch_depth,
        activation=task.activation,
        seed=10_000 + task.seed,
    )
    model = DeepONet(branch, trunk, n_sensors=settings.n_sensors, n_basis=settings.n_basis)
    probe_functions = slice(0, settings.n_probe_functions)
    probe = pairs(u_test[probe_functions], y)
    history = fit(
        model,
        probe,
        None,
        objective=OperatorLoss(u_train, y, s_train),
        lr=task.lr,
        steps=settings.steps,
        record_every=settings.record_every,
        probe=probe,
        probe_target=s_test[probe_functions].reshape(-1, 1),
        seed=task.seed,
        progress=False,
    )
    with torch.no_grad():
        prediction = model.operator(u_test, y)[:, :, 0].numpy()
    truth = s_test[:, :, 0].numpy()
    per_function = np.linalg.norm(prediction - truth, axis=1) / np.linalg.norm(truth, axis=1)
    error = history.relative_l2_error()  # on the probe functions, over training
    labels = dict(activation=task.activation, model=task.model, seed=task.seed)
    row = dict(
        **labels,
        lr=task.lr,
        trunk_width=width,
        n_parameters=count_parameters(trunk),
        n_parameters_deeponet=count_parameters(model),
        relative_l2=float(per_function.mean()),
        **late_columns(history, error),
        **first_layer_columns(first_layer, trunk, arch.domain),
        **band_errors(prediction, truth, data["test"].y),
        final_loss=float(history.loss[-1]),
        wall_time_s=float(history.wall_time[-1]),
    )
    return {"row": row, "curve": curve_rows(history, error, **labels)}


def main() -> None:
    with Study.from_command_line("repnet_operator", __doc__, Settings) as study:
        run(study)


def run(study: Study) -> None:
    """The study itself: train, compare, print, and write the results into ``study.folder``."""
    settings = study.settings
    tasks = [Task(settings, a, name, study.seeds[0]) for a in settings.activations for name in MODELS]
    band_columns = [f"error_k{lo}_{hi}" for lo, hi in BANDS]
    # Parameter counts are the trunks' (the branch is the same network for every model).
    results, tuning = study.tune_and_run(run_task, tasks)
    comparison = compare(results, diagnostics=[*band_columns, "final_loss"], tuning=tuning)

    print("DeepONet on the antiderivative of multiscale inputs: relative L2 error on held-out input functions")
    print(f"(median over the last 20% of the records on {settings.n_probe_functions} of them; at the end on all")
    print(f"{settings.n_test}), mean ± std over {len(study.seeds)} seeds ({settings.steps} Adam steps, learning rate")
    print(f"tuned per model from {list(settings.lrs)}); params = trunk parameters; ratios per seed against each trunk")
    print(format_table(comparison.table))
    print("\nDiagnostics (means over seeds): relative error of the outputs in the slow band (1-3 cycles) and")
    print("the fast band (20-25 cycles) on held-out inputs, and the final training loss")
    print(format_table(comparison.diagnostics))
    print_over_budget(comparison.over_budget(settings.steps), comparison.best_baseline)
    print_headline(comparison, high="error_k20_25")

    study.write(
        comparison,
        {"s0": 2 * math.pi * K_MAX},
        headline=f"{HEADLINE_LABEL} (trunks)",
        figures={
            "error_curves": plot_error_curves(
                comparison.curves, ylabel=f"relative L2 error on {settings.n_probe_functions} held-out functions"
            )
        },
    )


if __name__ == "__main__":
    main()
