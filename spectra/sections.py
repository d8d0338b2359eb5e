"""The sections of the ``spectra report``: each runs one study at the size of a profile and says what it measured.

A section builder is a function ``(profile, seed, progress) -> Section``. Profiles: ``"smoke"`` (seconds,
what the tests run), ``"quick"`` (minutes on 2 cores, what ``make demo`` runs) and ``"full"`` (the sizes
behind the numbers of the project's closing notes). A :class:`Section` holds a title, a paragraph saying
what was measured and how, its findings (each headline number with the theory's prediction and a verdict
computed from the measurement, for the report's summary), figures with captions, tables with notes and the
measured numbers (for ``summary.json``).

Tables say which way is better in their column names, and mark an event that did not happen (a
breakdown that never came) "never", and a number that is not defined there (the kernel drift at a
breakdown that never came) "—", whatever the analysis stored for them (inf, -1 or NaN).

Sections, in the order of the report:

- ``pde``: the frequency PDE against training of the two-layer Fourier-feature network (validate.pde);
- ``linearized``: linearised NTK dynamics against training of MLP, RepNet, FF-MLP (validate.linearized);
- ``multilayer``: FF(rho_w) -> MLP, per-frequency decay under Gaussian against uniform rho_w (validate.multilayer);
- ``nonuniform``: the general equation on non-uniformly sampled data (validate.nonuniform);
- ``multiscale``: MLP, RepNet and FF-MLP on a multiscale target, with their diagnostics (comparison).
- ``images``: coordinate networks (MLP, positional encoding, Fourier features, RepNet, SIREN) fitting a natural
  image at equal parameters: held-out PSNR and per-radial-band errors (data.images, data.dynamics).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from spectra.comparison import ComparisonSettings, compare_models, spectrum_band
from spectra.data import ImageDynamics, fit_image, image_data
from spectra.models import CoordinateNetwork, count_parameters
from spectra.plots import (
    plot_breakpoint_density,
    plot_eigenvalue_frequency,
    plot_fits,
    plot_frequency_heatmap,
    plot_training_curves,
)
from spectra.plots.images import plot_band_heatmap, plot_image_fits
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
from spectra.training import late_median
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

#: The report's sizes: "smoke" (seconds; what the tests run), "quick" (minutes on 2 cores) and "full".
PROFILES = ("smoke", "quick", "full")


NEVER = "never"  # an event (a breakdown) that did not happen within the run


@dataclass(frozen=True)
class Finding:
    """One headline number of a section, what the theory predicts for it, and whether the measurement agrees.

    ``holds`` and ``verdict`` are computed from the measurement against ``criterion`` (None: the
    measurement cannot decide, ``verdict`` says why).
    """

    quantity: str
    measured: str
    theory: str
    criterion: str
    holds: bool | None
    verdict: str


@dataclass
class Table:
    """A table of the report and the note under it (what its columns and special values mean)."""

    frame: pd.DataFrame
    note: str = ""


@dataclass
class Section:
    """One part of the report (see module docstring). ``captions``: per figure, what it shows and what
    its reference lines are (the figure's name when missing)."""

    key: str
    title: str
    description: str
    figures: dict[str, Figure] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    numbers: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    captions: dict[str, str] = field(default_factory=dict)


SectionBuilder = Callable[[str, int, bool], Section]


def _by_profile(profile: str, smoke: Callable[[], Any], quick: Callable[[], Any], full: Callable[[], Any]) -> Any:
    """The settings of ``profile``, built by the matching constructor (only that one runs)."""
    return {"smoke": smoke, "quick": quick, "full": full}[profile]()


def _g(value: float) -> str:
    return f"{value:.3g}"


def _check(holds: bool, detail: str) -> tuple[bool, str]:
    """(holds, verdict text) of a comparison whose outcome is ``holds``."""
    return holds, ("holds: " if holds else "does not hold: ") + detail


def _mark_never(
    frame: pd.DataFrame, happened: Sequence[bool] | pd.Series, when: Sequence[str], there: Sequence[str] = ()
) -> pd.DataFrame:
    """``frame`` with "never" in the ``when`` columns and None (shown "—") in the ``there`` columns of the rows
    where the event did not happen; the analyses store inf, -1 or NaN there, which would read as numbers."""
    happened = np.asarray(happened, dtype=bool)
    out = frame.astype({name: object for name in [*when, *there]})
    out.loc[~happened, list(when)] = NEVER
    out.loc[~happened, list(there)] = None
    return out


def _renamed(frame: pd.DataFrame, names: Mapping[str, str], optional: Sequence[str] = ()) -> pd.DataFrame:
    """``frame`` with its columns renamed; every name in ``names`` but the ``optional`` ones must be a column
    (so a column renamed in an analysis fails here, not silently in the report)."""
    missing = [name for name in names if name not in frame.columns and name not in optional]
    if missing:
        raise KeyError(f"columns {missing} not in the table (columns: {list(frame.columns)})")
    return frame.rename(columns=dict(names))


def pde_section(profile: str, seed: int, progress: bool) -> Section:
    """Network against PDE against kernel flow: gap over time and width, frequency bias."""
    settings = _by_profile(profile, PDEComparisonSettings.smoke, PDEComparisonSettings.quick, PDEComparisonSettings)
    settings = settings.with_seeds([seed] if profile != "full" else [seed, seed + 1, seed + 2])
    result = pde_against_network(settings, progress=progress)
    reference = result.reference
    worst = result.to_frame().groupby(["case", "width"], as_index=False)[["gap", "gap_kernel", "kernel_gap"]].max()
    fit = result.width_fit(reference)
    ratios = result.decay_ratios()
    threshold = 0.05
    figures = {
        "spectra": plot_pde_network_spectra(result, reference),
        "gap-over-time": plot_pde_gap_over_time(result, reference, threshold=threshold),
        "gap-against-width": plot_pde_gap_against_width(result, reference),
        "decay": plot_pde_network_decay(result),
    }
    lower = "(lower = closer)"
    tables = {
        "worst gap over t, per case and width": Table(
            _renamed(
                worst,
                {
                    "width": "width m",
                    "gap": f"network vs PDE {lower}",
                    "gap_kernel": f"network vs kernel flow {lower}",
                    "kernel_gap": f"kernel flow vs PDE {lower}",
                },
            ),
            "Each gap is ‖û_a − û_b‖₂ / ‖û(·, 0)‖₂, the largest over the recorded t. The kernel flow is the "
            "infinite-width limit, so its gap to the PDE is the same at every width.",
        ),
        "decay ratios (frequency bias)": Table(
            _renamed(
                ratios,
                {
                    "width": "width m",
                    "xi_low": "low |ξ|",
                    "xi_high": "high |ξ|",
                    "decay_low": "remaining at low |ξ| (lower = learned)",
                    "decay_high": "remaining at high |ξ| (lower = learned)",
                    "ratio": "ratio high/low (higher = stronger bias)",
                },
            ),
            "Remaining: |û(ξ, t)| / |û(ξ, 0)| at the target's lowest and highest frequency. The network's row is "
            "the mean over seeds at its widest width; width — for the PDE and the kernel flow, which have none.",
        ),
    }
    findings = [_width_slope_finding(reference, fit.slope, fit.stderr)]
    for case, rows in ratios.groupby("case", sort=False):
        by_source = rows.set_index("source")["ratio"]
        network, pde = float(by_source["network"]), float(by_source["pde"])
        off = abs(network / pde - 1)
        holds, verdict = _check(off <= 0.2, f"the two differ by {off:.0%}")
        findings.append(
            Finding(
                quantity=f"decay ratio high/low |ξ| at t = {result.bias_time:g}, case {case}",
                measured=f"network {_g(network)}, PDE {_g(pde)}",
                theory="the network's ratio equals the PDE's (> 1: frequency bias)",
                criterion="within 20% of each other",
                holds=holds,
                verdict=verdict,
            )
        )
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
        captions={
            "spectra": f"Case {reference}: |û(ξ, t)| of the residual at several t (colours); PDE solid, network "
            "dashed (widest width, first seed).",
            "gap-over-time": f"Case {reference}: gap network–PDE against t, one line per width (mean over seeds, "
            "band: min to max); dotted: kernel flow against PDE (the infinite-width limit); grey dashed: the "
            f"reference level {threshold:g}, a gap of {threshold:.0%} of ‖û(·, 0)‖₂.",
            "gap-against-width": f"Case {reference}: largest gap over t against width m (log-log): each seed, "
            "their geometric mean, the least-squares power law (red) and the theory's slope −1/2 drawn through "
            "the data's centre (grey dashed).",
            "decay": "Remaining fraction |û(ξ, t)| / |û(ξ, 0)| at each target frequency: PDE solid, network dashed "
            "(widest width, mean over seeds).",
        },
        tables=tables,
        findings=findings,
        numbers={
            "worst_gap": worst.to_dict(orient="records"),
            "width_slope": fit.slope,
            "width_slope_stderr": fit.stderr,
            "decay_ratios": ratios.to_dict(orient="records"),
            "skipped": result.skipped,
            "settings": settings.describe(),
        },
    )


def _width_slope_finding(case: str, slope: float, stderr: float) -> Finding:
    """The fitted slope of log(gap) against log(width), judged against the theory's −1/2."""
    if math.isfinite(stderr) and stderr > 0:
        away = abs(slope + 0.5) / stderr
        holds, verdict = _check(away <= 2, f"{away:.1f} standard errors from −1/2")
    else:
        holds, verdict = None, "no verdict: fewer than three runs, so no standard error"
    return Finding(
        quantity=f"slope of the worst network–PDE gap against width (log-log), case {case}",
        measured=f"{slope:.2f} ± {stderr:.2f}".replace("-", "−"),  # the minus sign of the theory column
        theory="−1/2 (gap ∝ m^(−1/2))",
        criterion="within 2 standard errors of −1/2",
        holds=holds,
        verdict=verdict,
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
    never = (
        f"never: the observed and predicted errors stayed within {settings.atol} + {settings.rtol}·predicted for "
        "the whole run; —: not defined, as there was no breakdown."
    )
    summary = result.summary_frame()
    broke = np.isfinite(summary["first_breakdown_time"])
    breakdown = result.breakdown_frame()
    tables = {
        "per model": Table(
            _renamed(
                _mark_never(
                    summary, broke, ["first_breakdown_time"], ["first_breakdown_frequency", "drift_at_first_breakdown"]
                ),
                {
                    "lr": "learning rate",
                    "agreement": "residual gap (lower = closer)",
                    "max_error_gap": "largest error gap (lower = closer)",
                    "first_breakdown_time": "first breakdown t",
                    "first_breakdown_frequency": "at frequency k",
                    "drift_at_first_breakdown": "kernel drift there",
                    "final_drift": "final kernel drift (lower = lazier)",
                    "final_sharpness": "final lr·λ_max/N (stable below 2)",
                    "flow_gap": "step vs flow gap (lower = closer)",
                },
            ),
            "Residual gap: max over t of ‖r_obs − r_pred‖/‖y‖. Error gap: |observed − predicted| of Xu's "
            "per-frequency error. Step vs flow gap: the linearised gradient descent against its continuous-time "
            f"flow. {never}",
        ),
        "per model and frequency": Table(
            _renamed(
                _mark_never(
                    breakdown,
                    np.isfinite(breakdown["breakdown_time"]),
                    ["breakdown_time", "breakdown_step"],
                    ["drift_at_breakdown", "perturbation"],
                ),
                {
                    "breakdown_time": "breakdown t",
                    "breakdown_step": "breakdown step",
                    "drift_at_breakdown": "kernel drift there",
                    "perturbation": "drift·‖Θ_0‖_F/κ_k there",
                    "mode_eigenvalue": "mode eigenvalue κ_k (higher = learned sooner)",
                    "max_error_gap": "largest error gap (lower = closer)",
                    "predicted_final": "predicted final error",
                    "observed_final": "observed final error",
                },
            ),
            "Errors: Xu's |r̂(k)|/|ŷ(k)| at the end (lower = learned). " + never,
        ),
    }
    if len(widths := result.width_frame()):
        figures["widths"] = plot_linearized_widths(result)
        tables["width study"] = Table(
            _renamed(
                _mark_never(widths, np.isfinite(widths["first_breakdown_time"]), ["first_breakdown_time"]),
                {
                    "agreement": "residual gap (lower = closer)",
                    "max_error_gap": "largest error gap (lower = closer)",
                    "final_drift": "final kernel drift (lower = lazier)",
                    "first_breakdown_time": "first breakdown t",
                },
            ),
            never,
        )
    findings = []
    for row in summary.to_dict("records"):
        name, end = row["model"], float(result.time[row["model"]][-1])
        if math.isfinite(row["first_breakdown_time"]):
            detail = (
                f"breaks down at t = {_g(row['first_breakdown_time'])} (k = {row['first_breakdown_frequency']:g}, "
                f"kernel drift {row['drift_at_first_breakdown']:.2g})"
            )
        else:
            detail = f"no breakdown up to t = {_g(end)}"
        holds, verdict = _check(not math.isfinite(row["first_breakdown_time"]), detail)
        findings.append(
            Finding(
                quantity=f"{name}: training against its linearised NTK dynamics",
                measured=f"residual gap {_g(row['agreement'])}, final kernel drift {row['final_drift']:.2g}",
                theory="training follows the linearised dynamics (exactly as width → ∞)",
                criterion=f"every frequency's error within {settings.atol} + {settings.rtol}·predicted throughout",
                holds=holds,
                verdict=verdict,
            )
        )
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
            f"and predicted errors differ by more than {settings.atol} + {settings.rtol}·predicted. Residual gap: "
            "max over t of ‖r_obs − r_pred‖/‖y‖. Kernel drift ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F recorded during training."
        ),
        figures=figures,
        captions={
            "errors": "Xu's relative error per target frequency k against t: training solid, linearised prediction "
            f"dashed; ×: breakdown, the first t at which they differ by more than {settings.atol} + "
            f"{settings.rtol}·predicted. Panel titles: the residual gap (lower = closer).",
            "drift": "Kernel drift ‖Θ_t − Θ_0‖_F / ‖Θ_0‖_F against t; dotted vertical lines: the breakdown time of "
            "each frequency, with the drift there.",
            "kernel-spectra": "Decay rate per step lr·λ/N of each eigenvector of Θ_0 against its dominant frequency; "
            "dotted vertical lines: the target frequencies.",
            "widths": "Residual gap and final kernel drift against width (log-log), with the fitted slopes.",
        },
        tables=tables,
        findings=findings,
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
        captions={
            "decay": "Left two panels: Xu's relative error per target frequency ξ against t (each seed faint, their "
            f"geometric mean bold); grey dashed: the level {settings.level} that ends the rate fits. Right: fitted "
            "decay rate against ξ, trained (filled, mean ± std over seeds) and initial NTK (open), with ρ_w(ξ) "
            "rescaled onto the rates (dotted; the two-layer theory predicts rate ∝ ρ_w)."
        },
        tables={
            "ratios and slopes per rho_w (mean and std over seeds)": Table(
                _renamed(
                    result.summary_frame(),
                    {
                        "distribution": "ρ_w",
                        "density_ratio": "ρ_w ratio low/high",
                        "ratio_mean": "rate ratio low/high (higher = stronger bias)",
                        "ratio_std": "rate ratio std",
                        "kernel_ratio_mean": "initial-NTK rate ratio",
                        "kernel_ratio_std": "initial-NTK ratio std",
                        "loglog_slope_mean": "log-log slope, rate against ρ_w (two-layer: 1)",
                        "loglog_slope_std": "slope std",
                        "loglog_r_mean": "correlation r",
                        "loglog_r_std": "r std",
                    },
                    optional=["loglog_slope_mean", "loglog_slope_std", "loglog_r_mean", "loglog_r_std"],
                ),
                "Ratios: decay rate at the lowest frequency over that at the highest; the two-layer lazy theory "
                "predicts the ρ_w ratio. —: no log-log slope for a uniform ρ_w, which is constant at the target "
                "frequencies.",
            )
        },
        findings=_multilayer_findings(result.summary()),
        numbers={"summary": result.summary(), "settings": dataclasses.asdict(settings)},
    )


def _multilayer_findings(summary: Mapping[str, Any]) -> list[Finding]:
    """The rate ratio low/high frequency under each ρ_w, against the frequency bias that ρ_w sets."""
    findings = []
    if "gaussian" in summary:
        ratio, density = summary["gaussian"]["ratio"], summary["gaussian"]["density_ratio"]
        low = ratio["mean"] - ratio["std"]
        holds, verdict = _check(low > 1, f"mean − std = {_g(low)}")
        findings.append(
            Finding(
                quantity="rate ratio low/high frequency, FF(Gaussian ρ_w) → MLP",
                measured=f"{_g(ratio['mean'])} ± {ratio['std']:.2g} (ρ_w ratio {_g(density)})",
                theory="> 1: low frequencies learned faster, as ρ_w sets (two-layer: equal to the ρ_w ratio)",
                criterion="mean − one standard deviation above 1",
                holds=holds,
                verdict=verdict,
            )
        )
    if "uniform" in summary:
        ratio = summary["uniform"]["ratio"]
        holds, verdict = _check(1 / 1.5 <= ratio["mean"] <= 1.5, f"mean {_g(ratio['mean'])}")
        findings.append(
            Finding(
                quantity="rate ratio low/high frequency, FF(uniform ρ_w) → MLP",
                measured=f"{_g(ratio['mean'])} ± {ratio['std']:.2g}",
                theory="≈ 1: no frequency bias when ρ_w is flat",
                criterion="mean between 1/1.5 and 1.5",
                holds=holds,
                verdict=verdict,
            )
        )
    return findings


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
        captions={
            "spectra": "|v̂(ξ, t)| at several t: the network (training), the general equation and the uniform-data "
            "equation with c = 1/length and with the best c; grey: v̂(·, 0).",
            "gaps": "Relative L2 gap against t for each pair (legend); lower = closer.",
            "data": "Left: the data density with the training points (ticks), the uniform density 1/length (red "
            "dotted) and the target (grey, right axis). Right: |μ̂(ξ)| of the data against uniform data on the "
            "interval, with ρ_w (grey dashed, right axis).",
        },
        tables={
            "relative L2 gap over time (lower = closer)": Table(
                gaps,
                "Gap ‖v̂_a − v̂_b‖ / ‖v̂(·, 0)‖ at each recorded t. At t = 0 all start from the same data, so "
                "the gaps there are rounding errors.",
            )
        },
        findings=[_nonuniform_finding(summary["max_gap"])],
        numbers={"summary": summary, "settings": vars(settings)},
    )


def _nonuniform_finding(max_gap: Mapping[str, float]) -> Finding:
    """The general equation's gap to training against the uniform-data equation's, with its best c."""
    general = max_gap["network vs general equation"]
    best = max_gap["network vs uniform-data equation, best c"]
    naive = max_gap["network vs uniform-data equation, c = 1/length"]
    holds, verdict = _check(general < best, f"{_g(general)} against {_g(best)} with the best c")
    return Finding(
        quantity="largest gap to training over t > 0: general equation against uniform-data equation",
        measured=f"general {_g(general)}; uniform-data {_g(best)} (best c), {_g(naive)} (c = 1/length)",
        theory="on non-uniform data the general equation follows training, the uniform-data one does not",
        criterion="the general equation's gap below the uniform-data equation's with the best c",
        holds=holds,
        verdict=verdict,
    )


def multiscale_section(profile: str, seed: int, progress: bool) -> Section:
    """MLP against RepNet against FF-MLP on sin(2πx) + 0.1 sin(50πx), equal steps, with their diagnostics."""
    settings = _by_profile(
        profile, ComparisonSettings.quick, ComparisonSettings, lambda: ComparisonSettings(steps=10_000)
    )
    settings = dataclasses.replace(settings, seed=seed)
    comparison = compare_models(settings, progress=progress)
    table = comparison.to_frame()
    frequency_errors = comparison.frequency_frame()
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
        title="Spectral bias on a multiscale target: MLPs, RepNet, Fourier features",
        description=(
            "Target sin(2πx) + 0.1 sin(50πx) on [0, 1] (1 and 25 cycles per unit), "
            f"{settings.n_train} evenly spaced training points, full-batch Adam (lr {settings.lr}), "
            f"{settings.steps} steps for every model ({settings.depth} hidden layers of {settings.width}). "
            f"Error: relative L2 |f - g| / |g| on {settings.n_probe} periodic probe points. "
            "MLP: PyTorch's defaults on raw inputs; MLP (normalised): inputs mapped onto [-1, 1], He deeper layers and "
            "a calibrated output, the help RepNet gets without its reparameterisation. "
            "RepNet (reparameterised first layer, as described in the abstract): partition points on an even grid, "
            f"initial slope scale s0 = {settings.repnet_s0}. FF-MLP: {settings.ff_frequencies} Gaussian Fourier "
            f"features, sigma = {settings.ff_sigma} cycles per unit. Heat maps: the residual's single-sided "
            "amplitude spectrum on the probe grid at every record step (which frequencies are removed, and when). "
            f"NTK: the empirical kernel at initialisation on {settings.n_kernel} periodic points, each eigenvalue "
            "at its eigenvector's dominant frequency. Kinks: breakpoints of f on [0, 1] per unit length at the "
            "end of training (exact for ReLU networks, numerical for the FF-MLP); drawing 25 cycles per unit "
            "takes at least 50. One seed and one learning rate: RepNet is set against the best other model of this "
            "run; analysis/repnet_multiscale_1d.py is the fair comparison (a learning-rate budget per model, seeds)."
        ),
        figures=figures,
        captions={
            "fits": "The target (black) and each model's prediction on the probe points at the last step.",
            "training": "Training loss (left) and relative L2 error on the probe points (right) against step.",
            **{
                f"residual-spectrum-{name}": f"{name}: the residual's single-sided amplitude spectrum (colour) at "
                "each record step; the target's frequencies are 1 and 25 cycles per unit."
                for name in comparison.dynamics
            },
            "ntk-eigenvalues": "Eigenvalues of each initial empirical NTK against its eigenvectors' dominant "
            "frequency (filled) and spectral centroid (open); values near 1e-14 are zero up to rounding.",
            **{
                f"kinks-{name}": f"{name}: kinks of f (solid) and activation breakpoints (dashed) per unit length at "
                "the end of training, against the training data's density (grey, scaled to the same total)."
                for name in comparison.breakpoints
            },
        },
        tables={
            "relative L2 error and kinks at equal steps": Table(
                _renamed(
                    table,
                    {
                        "relative_l2": "relative L2 error (lower = better)",
                        "n_parameters": "parameters",
                        "wall_time_s": "wall time (s)",
                        "kinks_per_unit_start": "kinks per unit, start",
                        "kinks_per_unit_end": "kinks per unit, end",
                    },
                ),
                "Kinks: breakpoints of f per unit length; following 25 cycles per unit takes at least 50.",
            ),
            "Xu's relative error per target frequency at the end": Table(
                _renamed(frequency_errors, {"relative_error_end": "relative error |r̂(k)|/|ĝ(k)| (lower = learned)"}),
            ),
        },
        findings=_multiscale_findings(frequency_errors, comparison.headline()),
        numbers={
            "results": table.to_dict(orient="records"),
            "frequency_errors": frequency_errors.to_dict(orient="records"),
            "headline": comparison.headline(),
            "settings": comparison.settings,
        },
    )


def _multiscale_findings(frequencies: pd.DataFrame, headline: dict[str, Any]) -> list[Finding]:
    """Spectral bias of the MLP (low frequency learned first), the Fourier features' lift of it, and RepNet
    against the strongest other model of the run (``headline``: :meth:`spectra.comparison.Comparison.headline`)."""
    error = frequencies.pivot(index="model", columns="frequency", values="relative_error_end")
    low, high = float(error.columns.min()), float(error.columns.max())
    findings = []
    if "MLP" in error.index:
        e_low, e_high = float(error.loc["MLP", low]), float(error.loc["MLP", high])
        holds, verdict = _check(e_low < e_high, f"error {_g(e_low)} at {low:g} against {_g(e_high)} at {high:g}")
        findings.append(
            Finding(
                quantity=f"MLP: error at {low:g} against {high:g} cycles per unit after equal steps",
                measured=f"{_g(e_low)} and {_g(e_high)}",
                theory="spectral bias: the low frequency is learned first",
                criterion="error at the low frequency below the error at the high one",
                holds=holds,
                verdict=verdict,
            )
        )
    if {"MLP", "FF-MLP"} <= set(error.index):
        ff, mlp = float(error.loc["FF-MLP", high]), float(error.loc["MLP", high])
        holds, verdict = _check(ff < mlp, f"FF-MLP {_g(ff)} against MLP {_g(mlp)}")
        findings.append(
            Finding(
                quantity=f"error at {high:g} cycles per unit: FF-MLP against MLP",
                measured=f"{_g(ff)} and {_g(mlp)}",
                theory="Fourier features reaching the high frequency lift the spectral bias",
                criterion="the FF-MLP's error below the MLP's",
                holds=holds,
                verdict=verdict,
            )
        )
    best, ratio = headline["best_baseline"], headline["repnet_over_best"]
    holds, verdict = _check(ratio < 1, f"RepNet / {best} = {_g(ratio)}")
    findings.append(
        Finding(
            quantity=f"relative L2 error: RepNet against the best other model ({best})",
            measured=f"ratio {_g(ratio)} (against the MLP: {_g(headline['repnet_over_mlp'])})",
            theory="RepNet's claim: its reparameterised first layer learns multiscale targets better",
            criterion="RepNet's error below the best other model's",
            holds=holds,
            verdict=verdict,
        )
    )
    return findings


@dataclass(frozen=True)
class ImageSectionSettings:
    """Sizes of the ``images`` section: one bundled image, one seed and one learning rate for every model.

    Parameters
    ----------
    image
        A bundled natural image (:data:`spectra.data.BUNDLED_IMAGES`), read in grey.
    size
        Pixels per side after the centre crop and resize.
    width
        The plain MLP's width; its parameter count is the budget of every other model.
    depth
        Hidden layers of every model.
    steps, record_every
        Full-batch Adam steps (equal for every model) and steps between records.
    lr
        Adam's learning rate, the same for every model.
    n_frequencies
        Rows of the Gaussian Fourier-feature matrix.
    level
        A band is learned at the first record where its relative error falls to this level or below.
    """

    image: str = "camera"
    size: int = 64
    width: int = 84
    depth: int = 3
    steps: int = 3000
    record_every: int = 25
    lr: float = 1e-3
    n_frequencies: int = 64
    level: float = 0.5

    @classmethod
    def smoke(cls) -> ImageSectionSettings:
        """16 × 16 pixels, about 500 parameters per model, 40 steps: a few seconds at most."""
        return cls(size=16, width=20, depth=2, steps=40, record_every=5, lr=3e-3, n_frequencies=8)

    @classmethod
    def quick(cls) -> ImageSectionSettings:
        """64 × 64 pixels, about 8.6k parameters per model, 1500 steps: well under a minute on one core."""
        return cls(width=64, steps=1500, n_frequencies=32)

    @property
    def nyquist(self) -> float:
        """Nyquist frequency of the training grid (every other pixel), cycles per unit length: size / 4."""
        return self.size / 4

    def networks(self) -> dict[str, CoordinateNetwork]:
        """The compared families by label: MLP, positional encoding up to the training grid's Nyquist frequency,
        Gaussian Fourier features (σ = Nyquist / 4), RepNet (s0 = 2π Nyquist) and SIREN (ω0 = 30)."""
        levels = int(round(math.log2(self.nyquist))) + 2  # top octave 2^(L-1) / 2 = the training Nyquist
        nets = [
            CoordinateNetwork("mlp", self.depth),
            CoordinateNetwork("positional", self.depth, levels=levels),
            CoordinateNetwork("gaussian", self.depth, sigma=self.nyquist / 4, n_frequencies=self.n_frequencies),
            CoordinateNetwork("repnet", self.depth, s0=2 * math.pi * self.nyquist),
            CoordinateNetwork("siren", self.depth),
        ]
        return {net.label: net for net in nets}


_UNIT_SQUARE = ((0.0, 1.0), (0.0, 1.0))


def _step_cell(step: float) -> Any:
    """A learning step as a table entry: the step, "never" (inf) or None (NaN: shown "—")."""
    if np.isnan(step):
        return None
    return NEVER if np.isinf(step) else int(step)


def _learning_order_text(steps: np.ndarray, edges: np.ndarray) -> str:
    """Bands (by lower edge of |k|) in the order they were learned, "=" for a tie, then the never-learned ones."""
    learned = [b for b in np.argsort(steps, kind="stable") if np.isfinite(steps[b])]
    text = ""
    for i, b in enumerate(learned):
        if i:
            text += " = " if steps[b] == steps[learned[i - 1]] else " → "
        text += f"{edges[b]:g}"
    never = [f"{edges[b]:g}" for b in range(len(steps)) if np.isinf(steps[b])]
    return (text or "none") + (f"; never: {', '.join(never)}" if never else "")


def _floats(values: np.ndarray) -> list[float | None]:
    """Plain floats for ``summary.json``, None for NaN (a band without energy or without bins there)."""
    return [None if np.isnan(v) else float(v) for v in values]


def images_section(profile: str, seed: int, progress: bool) -> Section:
    """Coordinate networks fitting one natural image at equal parameters and steps: PSNR and per-band errors.

    Parameters
    ----------
    profile
        ``"smoke"``, ``"quick"`` or ``"full"`` (:class:`ImageSectionSettings`).
    seed
        Seed of every model's initial weights (and of the Gaussian frequencies).
    progress
        Show a progress bar for each model's training.

    Returns
    -------
    Section
        Key ``"images"``: the fits, per-band error heat maps of the MLP and of the best model by test PSNR, the
        PSNR and per-band tables, and the findings computed from them.
    """
    settings = _by_profile(profile, ImageSectionSettings.smoke, ImageSectionSettings.quick, ImageSectionSettings)
    data = image_data(settings.image, settings.size, grey=True)
    networks = settings.networks()
    mlp = next(label for label, net in networks.items() if net.kind == "mlp")
    budget = count_parameters(networks[mlp].build(2, data.channels, settings.width, _UNIT_SQUARE, seed=0))
    widths, counts, predictions, dynamics = {}, {}, {}, {}
    for label, net in networks.items():
        width = settings.width if net.kind == "mlp" else net.width_for(budget, 2, data.channels, _UNIT_SQUARE)
        model = net.build(2, data.channels, width, _UNIT_SQUARE, seed=seed)
        history, dynamics[label] = fit_image(
            model,
            data,
            lr=settings.lr,
            steps=settings.steps,
            record_every=settings.record_every,
            seed=seed,
            progress=progress,
        )
        widths[label], counts[label] = width, count_parameters(model)
        predictions[label] = data.as_image(history.predictions[-1])
    deviation = max(abs(n - budget) for n in counts.values()) / budget
    late_test = {label: late_median(d.psnr_test) for label, d in dynamics.items()}
    late_train = {label: late_median(d.psnr_train) for label, d in dynamics.items()}
    ranked = sorted(late_test, key=late_test.__getitem__, reverse=True)
    best = ranked[0]
    learned = {label: d.learning_steps(settings.level, on="train") for label, d in dynamics.items()}
    reference = dynamics[mlp]
    edges, bands = reference.edges, reference.band_labels

    results = pd.DataFrame(
        {
            "model": list(networks),
            "width": [widths[m] for m in networks],
            "parameters": [counts[m] for m in networks],
            "test PSNR, late (dB, higher = better)": [late_test[m] for m in networks],
            "train PSNR, late (dB)": [late_train[m] for m in networks],
            "train − test, late (dB, lower = less memorised)": [late_train[m] - late_test[m] for m in networks],
            "test PSNR, final (dB)": [float(dynamics[m].psnr_test[-1]) for m in networks],
            "train PSNR, final (dB)": [float(dynamics[m].psnr_train[-1]) for m in networks],
            "bands learned on the training grid, in order (lower edge of |k|)": [
                _learning_order_text(learned[m], edges) for m in networks
            ],
        }
    )
    learned_table = pd.DataFrame(
        {
            "band |k| (cycles per unit length)": bands,
            "share of the image's mean square": reference.target_energy,
            **{f"{m}: learned at step": pd.Series([_step_cell(s) for s in learned[m]], dtype=object) for m in networks},
        }
    )
    test_error = pd.DataFrame(
        {
            "band |k| (cycles per unit length)": bands,
            "has frequencies on the training grid": [
                "yes" if np.isfinite(e) else "no (aliases there)" for e in reference.train_band_error[-1]
            ],
            **{f"{m} (lower = better)": dynamics[m].test_band_error[-1] for m in networks},
        }
    )
    if best == mlp:
        shown = {f"{mlp} (best test PSNR)": dynamics[mlp], f"{ranked[1]} (second-best test PSNR)": dynamics[ranked[1]]}
    else:
        shown = {mlp: dynamics[mlp], f"{best} (best test PSNR)": dynamics[best]}
    titles = {f"{settings.image}/{m}": f"\ntest {late_test[m]:.1f} dB" for m in networks}
    figures = {
        "fits": plot_image_fits({settings.image: {"target": data.image, **predictions}}, titles=titles),
        "band-errors-train": plot_band_heatmap(shown, on="train"),
        "band-errors-test": plot_band_heatmap(shown, on="test"),
    }
    panels = " and ".join(shown)
    level = settings.level
    return Section(
        key="images",
        title="Coordinate networks on a natural image: held-out pixels and radial bands",
        description=(
            f"The bundled image '{settings.image}' (scikit-image's, in grey), centre-cropped and resized to "
            f"{settings.size} × {settings.size} pixels, as (x0, x1) in [0, 1]² → pixel value. Protocol of the "
            "coordinate-network papers: train on every other pixel along each axis (a quarter of the pixels, a "
            f"grid whose Nyquist frequency is {settings.nyquist:g} cycles per unit length), test on the held-out "
            "pixels; PSNR = 10 log10(1 / MSE) on both. Models, each with "
            f"{settings.depth} hidden layers, at the plain MLP's parameter count ({budget} parameters at width "
            f"{settings.width}; the other widths chosen to match it, every count within {deviation:.1%}): the ReLU "
            "MLP on raw coordinates; positional encoding sin/cos(2^l π x) up to the training grid's Nyquist "
            f"frequency; {settings.n_frequencies} Gaussian Fourier features with σ = {settings.nyquist / 4:g} "
            f"cycles per unit length; RepNet (partition levels on a uniform grid, s0 = 2π·{settings.nyquist:g}); "
            f"SIREN (ω0 = 30). Every model: {settings.steps} full-batch Adam steps at learning rate {settings.lr:g}, "
            f"seed {seed}, a record every {settings.record_every} steps. Headline PSNR: the median over the last "
            "20% of the records. Per record, the residual's relative error in each octave band of the radial "
            "frequency |k| on the training grid (the training pixels alone) and on the held-out pixels "
            "(band-passed residual there); a band is learned at the first record where its training-grid error "
            f"is at most {level:g}. Bands with no frequency on the training grid alias in the training data, "
            "which therefore do not determine them. One seed and one learning rate: a model set against "
            "another here may be held back by the rate; analysis/image_regression.py is the fair comparison "
            "(a learning-rate sweep per model chosen by training loss, several seeds and images, and the eNTK's "
            "predicted learning order)."
        ),
        figures=figures,
        captions={
            "fits": f"The target '{settings.image}' (first panel) and each model's prediction on every pixel at the "
            "last step; each title gives the model's late test PSNR (held-out pixels).",
            "band-errors-train": f"Relative error per radial band (rows, octave bands of |k| in cycles per unit "
            f"length) against training step (columns), log colour scale, for {panels}, on the training grid "
            f"(training pixels alone; blank: bands with no frequency on that grid). A band counts as learned "
            f"once its error is at most {level:g}.",
            "band-errors-test": f"The same on the held-out test pixels (band-passed residual there), for {panels}: "
            "the top rows hold the bands that alias in the training data.",
        },
        tables={
            "PSNR at equal parameters and equal steps": Table(
                results,
                "Late: median over the last 20% of the records; final: the last record. Train − test: the gap "
                "between fitting the training pixels and predicting the held-out ones. Learning order: bands by "
                f"the first record where their training-grid error is at most {level:g}; '=' joins bands learned "
                "between the same two records.",
            ),
            "step at which each band is learned (training grid)": Table(
                learned_table,
                f"First recorded step where the band's relative error on the training grid is at most {level:g}. "
                "never: it stayed above that for the whole run; —: the band has no frequency on the training grid "
                "(it aliases there).",
            ),
            "relative error per band on the held-out pixels at the last step": Table(
                test_error,
                "‖band-passed residual‖ / ‖band-passed target‖ on the test pixels; 1 is the error of predicting "
                "nothing in the band, above 1 the model adds content the image does not have there; —: the "
                "image has no energy in the band on the held-out pixels.",
            ),
        },
        findings=_image_findings(dynamics, learned, late_train, late_test, networks, level),
        numbers={
            "image": settings.image,
            "results": [
                {
                    "model": m,
                    "kind": networks[m].kind,
                    "width": widths[m],
                    "n_parameters": counts[m],
                    "psnr_test_late": late_test[m],
                    "psnr_train_late": late_train[m],
                    "psnr_test": float(dynamics[m].psnr_test[-1]),
                    "psnr_train": float(dynamics[m].psnr_train[-1]),
                    "learned_step": [_step_cell(s) for s in learned[m]],
                    "final_train_band_error": _floats(dynamics[m].train_band_error[-1]),
                    "final_test_band_error": _floats(dynamics[m].test_band_error[-1]),
                }
                for m in networks
            ],
            "bands": bands,
            "target_energy": reference.target_energy,
            "train_nyquist": reference.train_nyquist,
            "best_by_test_psnr_late": best,
            "best_by_train_psnr_late": max(late_train, key=late_train.__getitem__),
            "parameter_budget": budget,
            "parameter_deviation": deviation,
            "settings": dataclasses.asdict(settings),
        },
    )


def _image_findings(
    dynamics: Mapping[str, ImageDynamics],
    learned: Mapping[str, np.ndarray],
    late_train: Mapping[str, float],
    late_test: Mapping[str, float],
    networks: Mapping[str, CoordinateNetwork],
    level: float,
) -> list[Finding]:
    """The MLP's learning order of the radial bands, the high-frequency models and RepNet against the MLP in the
    top band the training grid resolves, memorisation (best train PSNR against best test PSNR), and the bands
    that alias in the training data."""
    mlp = next(label for label, net in networks.items() if net.kind == "mlp")
    reference = dynamics[mlp]
    labels = reference.band_labels
    findings = [_band_order_finding(mlp, learned[mlp], labels, level)]
    resolved = [b for b in range(len(labels)) if reference.edges[b + 1] <= reference.train_nyquist]
    if resolved:
        top = resolved[-1]
        error = {m: float(d.train_band_error[-1, top]) for m, d in dynamics.items()}
        featured = [m for m, net in networks.items() if net.kind in ("positional", "gaussian", "siren")]
        if featured:
            lowest = min(featured, key=error.__getitem__)
            holds, verdict = _check(
                error[lowest] < error[mlp], f"{lowest} {_g(error[lowest])} against {_g(error[mlp])}"
            )
            findings.append(
                Finding(
                    quantity=f"relative error on the training grid in band |k| ∈ {labels[top]} (the top band below "
                    f"its Nyquist frequency) at the last step: the lowest of {', '.join(featured)} against the MLP",
                    measured=", ".join(f"{m} {_g(error[m])}" for m in [mlp, *featured]),
                    theory="spectral bias: the MLP learns this band last; Fourier features and sine activations "
                    "reach it sooner",
                    criterion="the lowest of their errors below the MLP's",
                    holds=holds,
                    verdict=verdict,
                )
            )
        for repnet in (m for m, net in networks.items() if net.kind == "repnet"):
            holds, verdict = _check(error[repnet] < error[mlp], f"{_g(error[repnet])} against {_g(error[mlp])}")
            findings.append(
                Finding(
                    quantity=f"relative error on the training grid in band |k| ∈ {labels[top]} at the last step: "
                    f"{repnet} against the MLP",
                    measured=f"{repnet} {_g(error[repnet])}, MLP {_g(error[mlp])}",
                    theory="RepNet's claim: its reparameterised first layer lifts the MLP's spectral bias",
                    criterion="RepNet's error below the MLP's",
                    holds=holds,
                    verdict=verdict,
                )
            )
    best_train = max(late_train, key=late_train.__getitem__)
    best_test = max(late_test, key=late_test.__getitem__)
    holds, verdict = _check(
        best_train != best_test,
        f"{best_train} fits the training pixels best, {best_test} predicts the held-out ones best"
        if best_train != best_test
        else f"{best_test} is best on both",
    )
    findings.append(
        Finding(
            quantity="the model with the best late train PSNR against the one with the best late test PSNR",
            measured=f"best train: {best_train} {late_train[best_train]:.1f} dB (test {late_test[best_train]:.1f} "
            f"dB); best test: {best_test} {late_test[best_test]:.1f} dB (train {late_train[best_test]:.1f} dB)",
            theory="memorisation: the training pixels do not determine what lies between them, so the closest fit "
            "of the training pixels need not predict the held-out pixels best",
            criterion="the best model by train PSNR is not the best by test PSNR",
            holds=holds,
            verdict=verdict,
        )
    )
    aliased = [
        b
        for b in range(len(labels))
        if np.isnan(reference.train_band_error[-1, b])
        and all(np.isfinite(d.test_band_error[-1, b]) for d in dynamics.values())
    ]
    if aliased:
        error = {(m, b): float(d.test_band_error[-1, b]) for m, d in dynamics.items() for b in aliased}
        (m_low, b_low), lowest = min(error.items(), key=lambda item: item[1])
        holds, verdict = _check(lowest > level, f"lowest {_g(lowest)} ({m_low}, band {labels[b_low]})")
        findings.append(
            Finding(
                quantity="relative error on the held-out pixels at the last step in the band(s) with no frequency "
                f"on the training grid ({', '.join(labels[b] for b in aliased)}): the lowest over the models",
                measured=f"{_g(lowest)} ({m_low}, band {labels[b_low]}); the MLP's: "
                + ", ".join(_g(error[mlp, b]) for b in aliased),
                theory="these frequencies alias in the training data, which therefore do not determine them: "
                "no model learns them",
                criterion=f"every model's error there above the learning level {level:g}",
                holds=holds,
                verdict=verdict,
            )
        )
    return findings


def _band_order_finding(model: str, steps: np.ndarray, labels: Sequence[str], level: float) -> Finding:
    """Whether ``model`` learned the radial bands (with frequencies on the training grid) in increasing order."""
    defined = [b for b in range(len(steps)) if not np.isnan(steps[b])]
    measured = "; ".join(f"{labels[b]}: {_step_cell(steps[b])}" for b in defined)
    n_learned = sum(np.isfinite(steps[b]) for b in defined)
    if n_learned < 2:
        holds, verdict = None, f"no verdict: {n_learned} band(s) reached the level {level:g} within the run"
    else:
        earlier = [(a, b) for a, b in zip(defined[:-1], defined[1:], strict=True) if steps[b] < steps[a]]
        holds, verdict = _check(
            not earlier,
            "each band learned no earlier than the band below it"
            if not earlier
            else "; ".join(f"{labels[b]} at step {int(steps[b])} before {labels[a]}" for a, b in earlier),
        )
    return Finding(
        quantity=f"{model}: step at which each radial band's error on the training grid first reaches {level:g}",
        measured=measured,
        theory="spectral bias: radial bands are learned in increasing order of frequency",
        criterion="steps non-decreasing from band to band (never: after every step; equal: learned between the "
        "same two records), at least two bands learned",
        holds=holds,
        verdict=verdict,
    )


#: The report's sections in page order: key -> builder ``(profile, seed, progress) -> Section``.
SECTIONS: dict[str, SectionBuilder] = {
    "pde": pde_section,
    "linearized": linearized_section,
    "multilayer": multilayer_section,
    "nonuniform": nonuniform_section,
    "multiscale": multiscale_section,
    "images": images_section,
}
