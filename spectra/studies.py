"""What every study script under ``analysis/`` shares: its command line, its summary of seeds, its output.

A study is run as

    python analysis/<study>.py [--quick] [--out DIR] [--seeds S ...] [--no-progress]

and writes ``DIR`` (default ``results/<study>``) whole or not at all (a staging directory renamed
into place; a re-run replaces the previous results):

- ``summary.json``: the measured numbers, the settings, seeds, library versions and wall time;
- each figure as ``<name>.png`` and ``<name>.svg``;
- each table as ``<name>.csv``.

It also prints its main table, so that a terminal run shows the numbers a closing note quotes.
``--quick`` shrinks every size so that the test suite can run the study in well under a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from spectra.plots.style import save_figure
from spectra.results import library_versions, spread, staged_directory, to_jsonable

__all__ = ["format_spread", "format_table", "spread", "study_parser", "write_study"]


def study_parser(name: str, description: str | None, *, seeds: Sequence[int] = (0, 1, 2)) -> argparse.ArgumentParser:
    """The common arguments: --quick, --out (default results/<name>), --seeds, --no-progress."""
    parser = argparse.ArgumentParser(
        prog=f"analysis/{name}.py", description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="reduced sizes (what the tests run)")
    parser.add_argument("--out", type=Path, default=Path("results") / name, help=f"output directory (results/{name})")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(seeds), help=f"seeds (default {list(seeds)})")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser


def format_spread(summary: Mapping[str, Any], digits: int = 3) -> str:
    """'mean ± std' of a :func:`spread` summary, for printed tables."""
    return f"{summary['mean']:.{digits}g} ± {summary['std']:.{digits - 1}g}"


def format_table(frame: pd.DataFrame) -> str:
    """A DataFrame as aligned text with 4 significant digits (what the scripts print)."""
    return frame.to_string(index=False, float_format=lambda v: f"{v:.4g}")


def write_study(
    out: str | os.PathLike[str],
    numbers: Mapping[str, Any],
    *,
    settings: Mapping[str, Any] | None = None,
    seeds: Sequence[int] = (),
    figures: Mapping[str, Figure] | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    wall_time: float | None = None,
) -> Path:
    """Write a study directory (see module docstring); closes the figures. Returns ``out``."""
    out = Path(out)
    figures = dict(figures or {})
    try:
        with staged_directory(out, force=True) as staging:
            for name, figure in figures.items():
                save_figure(figure, staging / name)
            for name, table in (tables or {}).items():
                table.to_csv(staging / f"{name}.csv", index=False)
            summary = {
                "study": out.name,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "seeds": list(seeds),
                "settings": dict(settings or {}),
                "wall_time_s": wall_time,
                "versions": library_versions(),
                "figures": sorted(figures),
                "tables": sorted(tables or {}),
                **numbers,
            }
            (staging / "summary.json").write_text(json.dumps(to_jsonable(summary), indent=2))
    finally:
        for figure in figures.values():
            plt.close(figure)
    return out
