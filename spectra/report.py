"""The HTML report: the ``spectra report`` main job.

A report is a list of sections (:mod:`spectra.sections`). Each section is built by a function of
(profile, seed, progress) and returns a :class:`~spectra.sections.Section`: a title, a paragraph saying
what was measured and how, figures, tables and the measured numbers. :func:`build_report` runs the
sections, then writes into ``out``

- ``index.html``: first a summary of findings (each section's headline numbers, what the theory
  predicts for them and the verdict computed from the measurement), then every section with its
  figures (captions say what each line is) and tables (notes say what the columns and the entries
  "never" and "—" mean), the seeds, library versions and wall times. Wide tables scroll inside their
  box, so the page fits a 1280-pixel window;
- each figure as ``<section>-<name>.png`` and ``.svg``;
- ``summary.json``: the numbers and findings of every section, the profile, seed, versions and wall times.

A section named twice runs once.

``out`` is claimed before any section runs, through :func:`spectra.output.output_folder`: a path the
toolkit may not write (the current folder, a folder it did not write, a file, a link, ...) is refused at
once, a second run on the same ``out`` fails at once, and an earlier report is replaced only with
``force=True``. Everything is written into a staging folder that is swapped onto ``out`` in one atomic
step when the whole report is complete: a reader of ``out`` sees the complete old report or the complete
new one, never a mixture, whatever happens to the run.

Profiles: ``"smoke"`` (seconds; what the tests run), ``"quick"`` (minutes on 2 cores; what
``make demo`` runs) and ``"full"``.
"""

from __future__ import annotations

import dataclasses
import html
import json
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from spectra._validation import check_choice, check_positive_int, fail
from spectra.output import output_folder
from spectra.parallel import check_executor_options, map_tasks, task_executor
from spectra.plots.style import save_figure
from spectra.results import library_versions, to_jsonable
from spectra.sections import PROFILES, SECTIONS, Finding, Section, Table
from spectra.seeding import check_seed

__all__ = ["PROFILES", "SECTIONS", "Finding", "ReportSummary", "Section", "Table", "build_report"]


@dataclass
class ReportSummary:
    """What :func:`build_report` wrote: the folder, the run's settings, the sections run and the figure stems."""

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
    jobs: int = 1,
    scheduler: str | None = None,
    cluster: str | None = None,
) -> ReportSummary:
    """Run the sections and write the report directory ``out`` (see module docstring).

    ``jobs`` > 1 runs that many sections at a time in worker processes with one torch thread each (on a
    small machine this beats one process whose torch threads compete with each other); progress is then
    one bar over the sections instead of bars inside each. ``scheduler`` (a running Dask scheduler's
    address) or ``cluster`` (``"local:N"``) run the sections on a Dask cluster instead
    (:func:`spectra.parallel.task_executor`); the numbers are the same wherever a section runs. A section
    named twice in ``sections`` runs once.
    """
    jobs = check_positive_int("jobs", jobs)
    check_executor_options(jobs, scheduler, cluster)
    check_choice("profile", profile, PROFILES)
    seed = check_seed("seed", seed)
    names = list(SECTIONS) if sections is None else list(dict.fromkeys(sections))  # first mention's order
    for name in names:
        check_choice("sections", name, SECTIONS)
    if not names:
        fail("sections", "at least one section name", names)

    with output_folder(out, force=force, kind="report") as staging:
        start = time.perf_counter()
        with task_executor(jobs, scheduler=scheduler, cluster=cluster, progress=progress) as executor:
            built = _run_sections(names, profile, seed, progress, executor)
        wall_time = time.perf_counter() - start
        try:
            figures = _write_figures(staging, [section for section, _ in built])
            versions = library_versions()
            summary = {
                "profile": profile,
                "seed": seed,
                "wall_time_s": wall_time,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "versions": versions,
                "sections": {
                    s.key: {
                        "title": s.title,
                        "wall_time_s": t,
                        "findings": [dataclasses.asdict(f) for f in s.findings],
                        **to_jsonable(s.numbers),
                    }
                    for s, t in built
                },
            }
            (staging / "summary.json").write_text(json.dumps(summary, indent=2))
            (staging / "index.html").write_text(_html(built, profile, seed, wall_time, versions))
        finally:
            for section, _ in built:
                for figure in section.figures.values():
                    plt.close(figure)
    return ReportSummary(Path(out), profile, seed, wall_time, names, figures)


def _run_section(task: tuple[str, str, int, bool]) -> tuple[Section, float]:
    name, profile, seed, progress = task
    start = time.perf_counter()
    return SECTIONS[name](profile, seed, progress), time.perf_counter() - start


def _run_sections(
    names: list[str], profile: str, seed: int, progress: bool, executor: Executor | None
) -> list[tuple[Section, float]]:
    """Each section with its wall time, in the order of ``names`` (progress bars inside a section only when serial)."""
    tasks = [(name, profile, seed, progress and executor is None) for name in names]
    return map_tasks(_run_section, tasks, executor, progress=progress, description=f"report ({profile})")


def _write_figures(directory: Path, sections: list[Section]) -> list[str]:
    names = []
    for section in sections:
        for name, figure in section.figures.items():
            stem = f"{section.key}-{name}"
            save_figure(figure, directory / stem)
            names.append(stem)
    return names


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222;
       overflow-wrap: break-word; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
figure { margin: 1.5em 0; } img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption, .note { color: #444; font-size: .9em; }
.table-box { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: .5em 0; font-size: .9em; }
td, th { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f6f6f6; max-width: 14em; }
td.number { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.holds { color: #17622a; } .fails { color: #a4161a; } .undecided { color: #555; }
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

MISSING = "—"  # a number that is not defined in its row (see the table's note)


def _cell(value: Any) -> str:
    """One table cell: numbers to 4 significant digits (right-aligned), missing values as "—", text escaped."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return f"<td class='number'>{MISSING}</td>"
    if isinstance(value, (bool, np.bool_)):
        return f"<td>{value}</td>"
    if isinstance(value, (int, np.integer)):
        return f"<td class='number'>{int(value)}</td>"
    if isinstance(value, (float, np.floating)):
        return f"<td class='number'>{float(value):.4g}</td>"
    return f"<td>{html.escape(str(value))}</td>"


def _table_html(name: str, table: Table) -> str:
    frame = table.frame
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in frame.itertuples(index=False))
    note = f"<p class='note'>{html.escape(table.note)}</p>" if table.note else ""
    return (
        f"<h3>{html.escape(name)}</h3><div class='table-box'><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table></div>{note}"
    )


_VERDICT_CLASS = {True: ("holds", "✓"), False: ("fails", "✗"), None: ("undecided", "?")}


def _summary_html(built: list[tuple[Section, float]]) -> str:
    """The summary of findings: each section's headline numbers against the theory, with computed verdicts."""
    findings: list[tuple[Section, Finding]] = [(s, f) for s, _ in built for f in s.findings]
    if not findings:
        return ""
    holding = sum(f.holds is True for _, f in findings)
    failing = sum(f.holds is False for _, f in findings)
    rows = []
    for section, finding in findings:
        kind, mark = _VERDICT_CLASS[finding.holds]
        rows.append(
            f"<tr><td><a href='#{section.key}'>{html.escape(section.key)}</a></td>"
            f"<td>{html.escape(finding.quantity)}</td><td>{html.escape(finding.measured)}</td>"
            f"<td>{html.escape(finding.theory)}</td>"
            f"<td class='{kind}'>{mark} {html.escape(finding.verdict)}<br><span class='note'>criterion: "
            f"{html.escape(finding.criterion)}</span></td></tr>"
        )
    return (
        "<section id='summary'><h2>Summary of findings</h2>"
        f"<p>{holding} of {len(findings)} findings agree with the theory's prediction, {failing} do not"
        + (f", {len(findings) - holding - failing} cannot be decided" if len(findings) > holding + failing else "")
        + ". Each verdict is computed from the measured numbers against the stated criterion.</p>"
        "<div class='table-box'><table><thead><tr><th>section</th><th>quantity</th><th>measured</th>"
        "<th>theory predicts</th><th>verdict</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div></section>"
    )


def _html(built: list[tuple[Section, float]], profile: str, seed: int, wall_time: float, versions: dict) -> str:
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><title>spectra report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>spectra report</h1>",
        f"<p class='meta'>profile <code>{html.escape(profile)}</code> · seed {seed} · wall time {wall_time:.1f} s · "
        + " · ".join(f"{html.escape(k)} {html.escape(v)}" for k, v in versions.items())
        + "</p><p class='meta' id='image-status'>figures loaded: (checking)</p>",
        _summary_html(built),
        "<ul>" + "".join(f"<li><a href='#{s.key}'>{html.escape(s.title)}</a></li>" for s, _ in built) + "</ul>",
    ]
    for section, seconds in built:
        parts.append(f"<h2 id='{section.key}'>{html.escape(section.title)}</h2>")
        parts.append(f"<p>{html.escape(section.description)}</p><p class='meta'>section wall time {seconds:.1f} s</p>")
        for name, table in section.tables.items():
            parts.append(_table_html(name, table))
        for name in section.figures:
            stem = f"{section.key}-{name}"
            caption = section.captions.get(name, name)
            parts.append(
                f"<figure><img src='{stem}.png' alt='{html.escape(section.title)}: {html.escape(name)}'>"
                f"<figcaption>{html.escape(caption)} (<a href='{stem}.svg'>SVG</a>)</figcaption></figure>"
            )
    parts.append(f"<script>{_IMAGE_CHECK}</script></body></html>")
    return "\n".join(parts)
