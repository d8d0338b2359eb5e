"""The sections of the ``spectra report``: each runs one study at the size of a profile and says what it measured.

A section builder is a function ``(profile, seed, progress) -> Section``. Profiles: ``"smoke"`` (seconds,
what the tests run), ``"quick"`` (minutes on 2 cores, what ``make demo`` runs) and ``"full"`` (the sizes
behind the numbers of the project's closing notes). A :class:`Section` holds a title, a paragraph saying
what was measured and how, figures, tables and the measured numbers (for ``summary.json``).

Sections, in the order of the report:
- ``pde``: the frequency PDE against training of the two-layer Fourier-feature network (validate.pde);
- ``linearized``: linearised NTK dynamics against training of MLP, RepNet, FF-MLP (validate.linearized);
- ``multilayer``: FF(rho_w) -> MLP, per-frequency decay under Gaussian against uniform rho_w (validate.multilayer);
- ``nonuniform``: the general equation on non-uniformly sampled data (validate.nonuniform);
- ``multiscale``: MLP, RepNet and FF-MLP on a multiscale target, with their diagnostics (comparison).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from spectra.comparison import ComparisonSettings, compare_models, spectrum_band
from spectra.plots import (
    plot_breakpoint_density,
    plot_eigenvalue_frequency,
    plot_fits,
    plot_frequency_heatmap,
    plot_training_curves,
)
from spectra.plots.linearized import (
    plot_linearized_drift,
    plot_linearized_errors,
    plot_linearized_spectra,
    plot_linearized_widths,
)
from spectra.plots.multilayer import plot_multilayer
from spectra.plots.nonuniform import plot_data_measure, plot_nonuniform_gaps, plot_nonuniform_spectra
from spectra.plots.pde_comparison import (
    plot_pde_gap_against_width,
    plot_pde_gap_over_time,
    plot_pde_network_decay,
    plot_pde_network_spectra,
)
from spectra.validate import (
    LinearizedSettings,
    MultilayerSettings,
    NonuniformSettings,
    PDEComparisonSettings,
    linearized_against_training,
    multilayer_frequency_bias,
    nonuniform_against_training,
    pde_against_network,
)

PROFILES = ("smoke", "quick", "full")


@dataclass
class Section:
    """One part of the report (see module docstring)."""

    key: str
    title: str
    description: str
    figures: dict[str, Figure] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    numbers: dict[str, Any] = field(default_factory=dict)


SectionBuilder = Callable[[str, int, bool], Section]


def _by_profile(profile: str, smoke: Callable[[], Any], quick: Callable[[], Any], full: Callable[[], Any]) -> Any:
    """The settings of ``profile``, built by the matching constructor (only that one runs)."""
    return {"smoke": smoke, "quick": quick, "full": full}[profile]()


def pde_section(profile: str, seed: int, progress: bool) -> Section:
    """Network against PDE against kernel flow: gap over time and width, frequency bias."""
    settings = _by_profile(profile, PDEComparisonSettings.smoke, PDEComparisonSettings.quick, PDEComparisonSettings)
    settings = settings.with_seeds([seed] if profile != "full" else [seed, seed + 1, seed + 2])
    result = pde_against_network(settings, progress=progress)
    reference = result.reference
    worst = result.to_frame().groupby(["case", "width"], as_index=False)[["gap", "gap_kernel", "kernel_gap"]].max()
    fit = result.width_fit(reference)
    ratios = result.decay_ratios()
    figures = {
        "spectra": plot_pde_network_spectra(result, reference),
        "gap-over-time": plot_pde_gap_over_time(result, reference),
        "gap-against-width": plot_pde_gap_against_width(result, reference),
        "decay": plot_pde_network_decay(result),
    }
    case = settings.case(reference)
    return Section(
        key="pde",
        title="The frequency PDE against training (two-layer Fourier-feature network)",
        description=(
            f"TwoLayerFourierNet (doubled initialisation, f ≡ 0 at start; its width m counts every neuron, the "
            "doubled pairs included: m/2 frequencies drawn, each neuron paired with a copy whose output weights are "
            f"negated) trained by full-batch gradient descent "
            f"on the mean loss, on {case.n_points} grid points of the target's box; u_hat(ξ, t) of its residual "
            "by quadrature, against the damped heat equation ∂_t u_hat = c[σ_a² ∂(ρ_w ∂u_hat) − ρ_w u_hat] "
            "(finite elements) and against the infinite-width kernel flow (analytic NTK). Gap: "
            "‖u_hat_net − u_hat_pde‖₂ / ‖u_hat(·, 0)‖₂ over the comparison window, at every recorded t = lr × steps. "
            f"Width slope fitted over the widths of case '{reference}' (theory: −1/2). Decay ratio: "
            f"decay(high ξ)/decay(low ξ) at t = {result.bias_time:g}; the frequency bias makes it large for a "
            "Gaussian ρ_w and about 1 for a uniform one. Cases skipped: "
            + (", ".join(f"{k} ({v})" for k, v in result.skipped.items()) or "none")
            + "."
        ),
        figures=figures,
        tables={"worst gap over t, per case and width": worst, "decay ratios (frequency bias)": ratios},
        numbers={
            "worst_gap": worst.to_dict(orient="records"),
            "width_slope": fit.slope,
            "width_slope_stderr": fit.stderr,
            "decay_ratios": ratios.to_dict(orient="records"),
            "skipped": result.skipped,
            "settings": settings.describe(),
        },
    )


def linearized_section(profile: str, seed: int, progress: bool) -> Section:
    """Linearised NTK dynamics against gradient-descent training, per frequency, for MLP, RepNet and FF-MLP."""
    settings = _by_profile(profile, LinearizedSettings.smoke, LinearizedSettings.quick, LinearizedSettings)
    settings = dataclasses.replace(settings, seed=seed)
    result = linearized_against_training(settings, progress=progress)
    figures = {
        "errors": plot_linearized_errors(result),
        "drift": plot_linearized_drift(result),
        "kernel-spectra": plot_linearized_spectra(result),
    }
    tables = {"per model": result.summary_frame(), "per model and frequency": result.breakdown_frame()}
    if len(result.width_frame()):
        figures["widths"] = plot_linearized_widths(result)
        tables["width study"] = result.width_frame()
    return Section(
        key="linearized",
        title="Linearised NTK dynamics against training: MLP, RepNet, FF-MLP",
        description=(
            f"Each model ({settings.depth} hidden layers of {settings.width}) is linearised around its "
            "initialisation: the empirical NTK Θ_0 on the training grid predicts the residual of full-batch "
            "gradient descent exactly as linear gradient descent, r_n = V (1 − lr Λ/N)^n Vᵀ r_0 (mean loss). "
            f"The real network is trained with the same step (a fraction {settings.lr_fraction} of its largest "
            "stable step 2N/λ_max) for the same steps. Target: equal-amplitude sines at "
            f"{', '.join(f'{k:g}' for k in settings.frequencies)} cycles per unit on {settings.n_train} periodic "
            "grid points. Per-frequency error: Xu's |r_hat(k)|/|y_hat(k)|. Breakdown: the first time the observed "
            f"and predicted errors differ by more than {settings.atol} + {settings.rtol}·predicted. Agreement: "
            "max over t of ‖r_obs − r_pred‖/‖y‖. Kernel drift ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F recorded during training."
        ),
        figures=figures,
        tables=tables,
        numbers={"summary": result.summary(), "settings": vars(settings)},
    )


def multilayer_section(profile: str, seed: int, progress: bool) -> Section:
    """FF(rho_w) -> MLP: do per-frequency learning rates still follow rho_w with an MLP on top?"""
    settings = _by_profile(profile, MultilayerSettings.smoke, MultilayerSettings.quick, MultilayerSettings.full)
    settings = dataclasses.replace(settings, seeds=tuple(seed + s for s in range(len(settings.seeds))))
    result = multilayer_frequency_bias(settings, progress=progress)
    return Section(
        key="multilayer",
        title="The multi-layer claim: FF(rho_w) -> MLP under Gaussian against uniform rho_w",
        description=(
            f"{settings.n_features} Fourier features with frequencies drawn from a Gaussian rho_w (standard deviation "
            f"k_max/{settings.tail:g}) or a uniform band (±{settings.band_margin:g} k_max), then an MLP "
            f"({settings.depth} × {settings.width}, {settings.parameterization} parameterisation), trained by "
            f"full-batch gradient descent (mean loss, a fraction {settings.lr_fraction} of the largest stable step) "
            f"on equal-amplitude sines at {', '.join(f'{k:g}' for k in settings.frequencies)} cycles per unit "
            f"({settings.n_points} periodic grid points), {len(settings.seeds)} seeds. Decay rate per frequency "
            f"fitted until Xu's relative error reaches {settings.level}. For the two-layer network the rate is "
            "proportional to rho_w(ξ) (log-log slope 1); the ratio of rates lowest/highest frequency measures the "
            "frequency bias, next to the same ratio of the initial NTK and of rho_w itself."
        ),
        figures={"decay": plot_multilayer(result)},
        tables={"ratios and slopes per rho_w (mean and std over seeds)": result.summary_frame()},
        numbers={"summary": result.summary(), "settings": dataclasses.asdict(settings)},
    )


def nonuniform_section(profile: str, seed: int, progress: bool) -> Section:
    """The general equation against training on non-uniform data, and the uniform-data equation's miss."""
    settings = _by_profile(profile, NonuniformSettings.smoke, NonuniformSettings.quick, NonuniformSettings.full)
    settings = dataclasses.replace(settings, seed=seed)
    result = nonuniform_against_training(settings, progress=progress)
    summary = result.summary()
    gaps = result.to_frame().pivot(index="comparison", columns="t", values="gap").reset_index()
    gaps.columns = [str(c) if c == "comparison" else f"t = {c:g}" for c in gaps.columns]
    return Section(
        key="nonuniform",
        title="Non-uniform data: the general frequency equation against training",
        description=(
            f"TwoLayerFourierNet (doubled initialisation, width {settings.width}) trained by full-batch gradient "
            f"descent on {settings.n_points} points drawn from a non-uniform density on "
            f"[−{settings.half_length:g}, {settings.half_length:g}]. Compared quantity: v_hat(ξ, t) = "
            "(1/N) Σ_i u(x_i, t) exp(−2πi ξ x_i), the transform of the residual times the data measure. The general "
            "equation ∂_t v_hat = μ_hat * [σ_a² ∂(ρ_w ∂v_hat) − ρ_w v_hat] (μ the empirical data measure) against "
            "the damped heat equation that assumes uniform data, with c = 1/length and with the best constant c "
            "fitted to the network. Gap: relative L2 over ξ against |v_hat(·, 0)|."
        ),
        figures={
            "spectra": plot_nonuniform_spectra(result),
            "gaps": plot_nonuniform_gaps(result),
            "data": plot_data_measure(result),
        },
        tables={"relative L2 gap over time": gaps},
        numbers={"summary": summary, "settings": vars(settings)},
    )


def multiscale_section(profile: str, seed: int, progress: bool) -> Section:
    """MLP against RepNet against FF-MLP on sin(2πx) + 0.1 sin(50πx), equal steps, with their diagnostics."""
    settings = _by_profile(
        profile, ComparisonSettings.quick, ComparisonSettings, lambda: ComparisonSettings(steps=10_000)
    )
    settings = dataclasses.replace(settings, seed=seed)
    comparison = compare_models(settings, progress=progress)
    table = comparison.to_frame()
    figures = {"fits": plot_fits(comparison.histories), "training": plot_training_curves(comparison.histories)}
    for name, dynamics in comparison.dynamics.items():
        frequencies, amplitudes = spectrum_band(dynamics, highest=40.0)
        figures[f"residual-spectrum-{name}"] = plot_frequency_heatmap(
            dynamics.steps, frequencies, amplitudes, label=f"{name}: residual amplitude (single-sided)"
        )
    figures["ntk-eigenvalues"] = plot_eigenvalue_frequency(comparison.spectra)
    for name, (_, end) in comparison.breakpoints.items():
        figures[f"kinks-{name}"] = plot_breakpoint_density(end, data=comparison.histories[name].probe)
    return Section(
        key="multiscale",
        title="Spectral bias on a multiscale target: MLP, RepNet, Fourier features",
        description=(
            "Target sin(2πx) + 0.1 sin(50πx) on [0, 1] (1 and 25 cycles per unit), "
            f"{settings.n_train} evenly spaced training points, full-batch Adam (lr {settings.lr}), "
            f"{settings.steps} steps for every model ({settings.depth} hidden layers of {settings.width}). "
            f"Error: relative L2 |f - g| / |g| on {settings.n_probe} periodic probe points. "
            "RepNet (reparameterised first layer, as described in the abstract): partition points on an even grid, "
            f"initial slope scale s0 = {settings.repnet_s0}. FF-MLP: {settings.ff_frequencies} Gaussian Fourier "
            f"features, sigma = {settings.ff_sigma} cycles per unit. Heat maps: the residual's single-sided "
            "amplitude spectrum on the probe grid at every record step (which frequencies are removed, and when). "
            f"NTK: the empirical kernel at initialisation on {settings.n_kernel} periodic points, each eigenvalue "
            "at its eigenvector's dominant frequency. Kinks: breakpoints of f on [0, 1] per unit length at the "
            "end of training (exact for ReLU networks, numerical for the FF-MLP); drawing 25 cycles per unit "
            "takes at least 50."
        ),
        figures=figures,
        tables={
            "relative L2 error and kinks at equal steps": table,
            "Xu's relative error per target frequency at the end": comparison.frequency_frame(),
        },
        numbers={
            "results": table.to_dict(orient="records"),
            "frequency_errors": comparison.frequency_frame().to_dict(orient="records"),
            "settings": comparison.settings,
        },
    )


SECTIONS: dict[str, SectionBuilder] = {
    "pde": pde_section,
    "linearized": linearized_section,
    "multilayer": multilayer_section,
    "nonuniform": nonuniform_section,
    "multiscale": multiscale_section,
}
