"""What every study script under ``analysis/`` shares: its command line, its summary of seeds, its output.

A study is run as

    python analysis/<study>.py [--quick] [--out DIR] [--force] [--seeds S ...] [--no-progress]
                               [--workers N | --scheduler tcp://host:port | --cluster local:N]

and writes the folder ``DIR`` (default ``results/<study>``) through :func:`spectra.output.output_folder`:
the path is checked and locked before any computation (a folder the toolkit did not write is refused;
an earlier study output is replaced only with ``--force``), and the results appear there whole, in one
atomic swap, or not at all. The folder holds

- ``summary.json``: the measured numbers, the settings, seeds, library versions and wall time;
- each figure as ``<name>.png`` and ``<name>.svg``;
- each table as ``<name>.csv``.

It also prints its main table, so that a terminal run shows the numbers a closing note quotes.
A study's independent runs go through :func:`study_executor`: ``--workers N`` local processes, or a
Dask cluster (``--scheduler`` to join a running one, ``--cluster local:N`` to start one), with the same
numbers wherever they run (:mod:`spectra.parallel`).
``--quick`` shrinks every size so that the test suite can run the study in well under a minute.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from spectra.output import OutputBusyError, output_folder
from spectra.parallel import add_executor_arguments, check_executor_options, sigterm_as_exit, task_executor
from spectra.plots.style import save_figure
from spectra.results import library_versions, spread, to_jsonable

__all__ = [
    "format_spread",
    "format_table",
    "spread",
    "study_executor",
    "study_output",
    "study_parser",
    "write_study",
]


def study_parser(name: str, description: str | None, *, seeds: Sequence[int] = (0, 1, 2)) -> argparse.ArgumentParser:
    """The common arguments: --quick, --out (default results/<name>), --force, --seeds, --no-progress."""
    parser = argparse.ArgumentParser(
        prog=f"analysis/{name}.py", description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="reduced sizes (what the tests run)")
    parser.add_argument("--out", type=Path, default=Path("results") / name, help=f"output folder (results/{name})")
    parser.add_argument("--force", action="store_true", help="replace an earlier output of this toolkit at --out")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(seeds), help=f"seeds (default {list(seeds)})")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    add_executor_arguments(parser, default=None, help="local worker processes (default: the study's own, often 1)")
    return parser


def study_executor(args: argparse.Namespace, default_workers: int = 1) -> AbstractContextManager[Executor | None]:
    """The executor the study's runs go to, from --workers (None: ``default_workers``), --scheduler, --cluster."""
    return task_executor(
        args.workers or default_workers, scheduler=args.scheduler, cluster=args.cluster, progress=not args.no_progress
    )


def format_spread(summary: Mapping[str, Any], digits: int = 3) -> str:
    """'mean ± std' of a :func:`spread` summary, for printed tables."""
    return f"{summary['mean']:.{digits}g} ± {summary['std']:.{digits - 1}g}"


def format_table(frame: pd.DataFrame) -> str:
    """A DataFrame as aligned text with 4 significant digits (what the scripts print)."""
    return frame.to_string(index=False, float_format=lambda v: f"{v:.4g}")


@contextmanager
def study_output(args: argparse.Namespace) -> Iterator[Path]:
    """Claim ``args.out`` for this study before it computes anything; yield the folder to write into.

    The results appear at ``args.out`` when the block ends without an error (see the module docstring);
    SIGTERM ends the run like Ctrl-C, leaving ``args.out`` as it was. A refused or busy ``--out`` ends the
    script at once with the reason on stderr and exit status 2.
    """
    with ExitStack() as stack:
        stack.enter_context(sigterm_as_exit())
        try:
            check_executor_options(args.workers or 1, args.scheduler, args.cluster)
            staging = stack.enter_context(output_folder(args.out, force=args.force, kind="study"))
        except (ValueError, TypeError, FileExistsError, OutputBusyError) as error:
            print(f"{Path(sys.argv[0]).name}: {error}", file=sys.stderr)
            raise SystemExit(2) from None
        yield staging


def write_study(
    folder: Path,
    numbers: Mapping[str, Any],
    *,
    study: str,
    settings: Mapping[str, Any] | None = None,
    seeds: Sequence[int] = (),
    figures: Mapping[str, Figure] | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    wall_time: float | None = None,
) -> None:
    """Write summary.json, the figures and the tables of ``study`` into ``folder`` (from :func:`study_output`).

    Closes the figures.
    """
    figures = dict(figures or {})
    try:
        for name, figure in figures.items():
            save_figure(figure, folder / name)
        for name, table in (tables or {}).items():
            table.to_csv(folder / f"{name}.csv", index=False)
        summary = {
            "study": study,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "seeds": list(seeds),
            "settings": dict(settings or {}),
            "wall_time_s": wall_time,
            "versions": library_versions(),
            "figures": sorted(figures),
            "tables": sorted(tables or {}),
            **numbers,
        }
        (folder / "summary.json").write_text(json.dumps(to_jsonable(summary), indent=2))
    finally:
        for figure in figures.values():
            plt.close(figure)
