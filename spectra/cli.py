"""The ``spectra`` command.

spectra report --out results/report [--profile smoke|quick|full] [--sections NAME ...] [--force] [--seed S] [--jobs J]
spectra --version

A section named twice in ``--sections`` runs once.
"""

from __future__ import annotations

import argparse
import sys

from spectra import __version__
from spectra.output import OutputBusyError
from spectra.parallel import sigterm_as_exit
from spectra.report import PROFILES, SECTIONS, build_report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spectra", description="Spectral-bias diagnostics for neural networks.")
    parser.add_argument("--version", action="version", version=f"spectra {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="run the diagnostics and write an HTML report with figures and numbers")
    report.add_argument(
        "--out", required=True, help="output folder: a new path, or an earlier spectra report with --force"
    )
    report.add_argument("--profile", default="quick", help=f"one of {', '.join(PROFILES)} (default quick)")
    report.add_argument(
        "--sections", nargs="+", default=None, help=f"subset of: {', '.join(SECTIONS)} (each runs once)"
    )
    report.add_argument("--force", action="store_true", help="replace an earlier spectra report at --out")
    report.add_argument("--seed", type=int, default=0, help="seed of initialisation and sampling (default 0)")
    report.add_argument(
        "--jobs", type=int, default=2, help="sections run at a time, each in its own process (default 2)"
    )
    report.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        with sigterm_as_exit():
            summary = build_report(
                args.out,
                profile=args.profile,
                sections=args.sections,
                seed=args.seed,
                force=args.force,
                progress=not args.no_progress,
                jobs=args.jobs,
            )
    except (FileExistsError, OutputBusyError, ValueError, TypeError) as error:
        print(f"spectra report: {error}", file=sys.stderr)
        return 2
    print(f"wrote {summary.out}/index.html ({len(summary.figures)} figures, {summary.wall_time:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
