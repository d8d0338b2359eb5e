"""The HTML report: the ``spectra report`` main job.

A report is a list of sections. Each section is built by a function of (profile, seed, progress)
and returns a :class:`Section`: a title, a paragraph saying what was measured and how, figures,
tables and the measured numbers. :func:`build_report` runs the sections, then writes into ``out``

- ``index.html``: every figure, every table, the seeds, library versions and wall times;
- each figure as ``<section>-<name>.png`` and ``.svg``;
- ``summary.json``: the numbers of every section, the profile, seed, versions and wall times.

Everything is written into a staging directory beside ``out`` that is renamed onto ``out`` only
when the whole report is complete: an interrupted report leaves no half-written ``index.html``.
An existing ``out`` is replaced only with ``force=True``.

Profiles: ``"smoke"`` (seconds; what the tests run), ``"quick"`` (minutes on 2 cores; what
``make demo`` runs) and ``"full"``.
"""

from __future__ import annotations

import html
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from spectra._validation import check_choice, fail
from spectra.comparison import ComparisonSettings, compare_models
from spectra.plots import plot_fits, plot_training_curves
from spectra.plots.style import save_figure
from spectra.results import library_versions, staged_directory, to_jsonable

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


def multiscale_section(profile: str, seed: int, progress: bool) -> Section:
    """MLP against RepNet against FF-MLP on sin(2πx) + 0.1 sin(50πx), equal steps."""
    settings = {
        "smoke": ComparisonSettings.quick(),
        "quick": ComparisonSettings(),
        "full": ComparisonSettings(steps=10_000),
    }[profile]
    settings = ComparisonSettings(**{**vars(settings), "seed": seed})
    comparison = compare_models(settings, progress=progress)
    table = comparison.to_frame()
    return Section(
        key="multiscale",
        title="Spectral bias on a multiscale target: MLP, RepNet, Fourier features",
        description=(
            "Target sin(2πx) + 0.1 sin(50πx) on [0, 1] (1 and 25 cycles per unit), "
            f"{settings.n_train} evenly spaced training points, full-batch Adam (lr {settings.lr}), "
            f"{settings.steps} steps for every model. "
            f"Error: relative L2 |f - g| / |g| on {settings.n_probe} probe points. "
            "RepNet (reparameterised first layer, as described in the abstract): partition points on an even grid, "
            f"initial slope scale s0 = {settings.repnet_s0}. FF-MLP: {settings.ff_frequencies} Gaussian Fourier "
            f"features, sigma = {settings.ff_sigma} cycles per unit."
        ),
        figures={"fits": plot_fits(comparison.histories), "training": plot_training_curves(comparison.histories)},
        tables={"relative L2 error at equal steps": table},
        numbers={"results": table.to_dict(orient="records"), "settings": comparison.settings},
    )


SECTIONS: dict[str, SectionBuilder] = {"multiscale": multiscale_section}


@dataclass
class ReportSummary:
    out: Path
    profile: str
    seed: int
    wall_time: float
    sections: list[str]
    figures: list[str]


def build_report(
    out: str | Path,
    *,
    profile: str = "quick",
    sections: Sequence[str] | None = None,
    seed: int = 0,
    force: bool = False,
    progress: bool = True,
) -> ReportSummary:
    """Run the sections and write the report directory ``out`` (see module docstring)."""
    out = Path(out)
    check_choice("profile", profile, PROFILES)
    names = list(SECTIONS) if sections is None else list(sections)
    for name in names:
        check_choice("sections", name, SECTIONS)
    if not names:
        fail("sections", "at least one section name", names)
    if out.exists() and not force:
        fail("out", "a directory that does not exist yet (or force=True to replace it)", str(out), FileExistsError)

    start = time.perf_counter()
    built: list[tuple[Section, float]] = []
    for index, name in enumerate(names, start=1):
        if progress:
            print(f"[{index}/{len(names)}] {name} ({profile})", file=sys.stderr, flush=True)
        section_start = time.perf_counter()
        built.append((SECTIONS[name](profile, seed, progress), time.perf_counter() - section_start))
    wall_time = time.perf_counter() - start

    try:
        with staged_directory(out, force=force) as staging:
            figures = _write_figures(staging, [section for section, _ in built])
            versions = library_versions()
            summary = {
                "profile": profile,
                "seed": seed,
                "wall_time_s": wall_time,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "versions": versions,
                "sections": {
                    s.key: {"title": s.title, "wall_time_s": t, **to_jsonable(s.numbers)} for s, t in built
                },
            }
            (staging / "summary.json").write_text(json.dumps(summary, indent=2))
            (staging / "index.html").write_text(_html(built, profile, seed, wall_time, versions))
    finally:
        for section, _ in built:
            for figure in section.figures.values():
                plt.close(figure)
    return ReportSummary(out, profile, seed, wall_time, names, figures)


def _write_figures(directory: Path, sections: list[Section]) -> list[str]:
    names = []
    for section in sections:
        for name, figure in section.figures.items():
            stem = f"{section.key}-{name}"
            save_figure(figure, directory / stem)
            names.append(stem)
    return names


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
figure { margin: 1em 0; } img { max-width: 100%; border: 1px solid #eee; }
table { border-collapse: collapse; margin: .5em 0; font-size: .9em; }
td, th { border: 1px solid #ddd; padding: .25em .6em; text-align: right; }
.meta { color: #555; font-size: .9em; } code { background: #f4f4f4; padding: 0 .2em; }
"""

# Counts the figures that really loaded, for the reader and for the headless-browser test.
_IMAGE_CHECK = """
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  var loaded = images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  var status = document.getElementById('image-status');
  status.textContent = 'figures loaded: ' + loaded + ' of ' + images.length;
  status.setAttribute('data-loaded', loaded);
  status.setAttribute('data-total', images.length);
});
"""


def _html(built: list[tuple[Section, float]], profile: str, seed: int, wall_time: float, versions: dict) -> str:
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>spectra report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>spectra report</h1>",
        f"<p class='meta'>profile <code>{profile}</code> · seed {seed} · wall time {wall_time:.1f} s · "
        + " · ".join(f"{html.escape(k)} {html.escape(v)}" for k, v in versions.items())
        + "</p><p class='meta' id='image-status'>figures loaded: (checking)</p>",
        "<ul>" + "".join(f"<li><a href='#{s.key}'>{html.escape(s.title)}</a></li>" for s, _ in built) + "</ul>",
    ]
    for section, seconds in built:
        parts.append(f"<h2 id='{section.key}'>{html.escape(section.title)}</h2>")
        parts.append(f"<p>{html.escape(section.description)}</p><p class='meta'>section wall time {seconds:.1f} s</p>")
        for name, table in section.tables.items():
            parts.append(
                f"<h3>{html.escape(name)}</h3>" + table.to_html(index=False, float_format=lambda v: f"{v:.4g}")
            )
        for name in section.figures:
            stem = f"{section.key}-{name}"
            parts.append(
                f"<figure><img src='{stem}.png' alt='{html.escape(section.title)}: {name}'>"
                f"<figcaption>{html.escape(name)} (<a href='{stem}.svg'>SVG</a>)</figcaption></figure>"
            )
    parts.append(f"<script>{_IMAGE_CHECK}</script></body></html>")
    return "\n".join(parts)
