"""The ``spectra`` command::

    spectra report --out results/report [--profile smoke|quick|full] [--sections NAME ...] [--force] [--seed S]
                   [--jobs J | --scheduler tcp://host:port | --cluster local:N]
    spectra sweep SPEC.toml --out results/sweep [--workers N | --scheduler tcp://host:port | --cluster local:N]
    spectra --version

A section named twice in ``--sections`` runs once.
"""

from __future__ import annotations

import argparse
import sys

from spectra import __version__
from spectra.output import OutputBusyError, check_output_folder
from spectra.parallel import add_executor_arguments, check_executor_options, sigterm_as_exit, task_executor
from spectra.report import PROFILES, SECTIONS, build_report
from spectra.sweep import KIND as SWEEP_KIND
from spectra.sweep import SweepSpec
from spectra.sweep import run as run_sweep


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
    add_executor_arguments(
        report, workers="--jobs", default=2, help="sections run at a time, each in its own process (default 2)"
    )
    report.add_argument("--no-progress", action="store_true", help="hide progress bars")
    sweep = commands.add_parser(
        "sweep", help="run a task at every point of a parameter grid (a TOML file); a re-run continues it"
    )
    sweep.add_argument("spec", help="the sweep's TOML file (see spectra.sweep)")
    sweep.add_argument("--out", required=True, help="the sweep's folder: a new path, or an earlier sweep's (continued)")
    add_executor_arguments(sweep, default=1)
    sweep.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def _report(args: argparse.Namespace) -> int:
    summary = build_report(
        args.out,
        profile=args.profile,
        sections=args.sections,
        seed=args.seed,
        force=args.force,
        progress=not args.no_progress,
        jobs=args.jobs,
        scheduler=args.scheduler,
        cluster=args.cluster,
    )
    print(f"wrote {summary.out}/index.html ({len(summary.figures)} figures, {summary.wall_time:.1f} s)")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    spec = SweepSpec.from_toml(args.spec)
    check_executor_options(args.workers, args.scheduler, args.cluster)
    check_output_folder(args.out, resume=SWEEP_KIND)  # refused at once, before a cluster starts
    progress = not args.no_progress
    with task_executor(args.workers, scheduler=args.scheduler, cluster=args.cluster, progress=progress) as executor:
        result = run_sweep(spec, args.out, executor=executor, progress=progress)
    print(
        f"wrote {args.out}/results.csv ({len(result.table)} tasks: {result.ran} run now, {result.reused} from "
        f"earlier runs, {len(result.failed)} failed; {result.wall_time:.1f} s)"
    )
    if result.failed:
        print(f"spectra sweep: {len(result.failed)} tasks raised; see {args.out}/failures.json", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = {"report": _report, "sweep": _sweep}[args.command]
    try:
        with sigterm_as_exit():
            return command(args)
    except (FileExistsError, OutputBusyError, ValueError, TypeError) as error:
        print(f"spectra {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
