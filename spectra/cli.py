"""The ``spectra`` command.

spectra demo --out results/demo [--quick] [--force] [--steps N] [--seed S]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from spectra.demo import DemoSettings, run_demo


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spectra", description="Spectral-bias diagnostics for neural networks.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="fit MLP, RepNet and FF-MLP on a multiscale 1-D target; write figures and summary.json"
    )
    demo.add_argument("--out", required=True, help="output directory (must not exist unless --force)")
    demo.add_argument("--force", action="store_true", help="replace the output directory if it exists")
    demo.add_argument("--quick", action="store_true", help="small sizes (seconds), for tests")
    demo.add_argument("--steps", type=int, default=None, help="training steps per model")
    demo.add_argument("--seed", type=int, default=None, help="seed of initialisation and sampling")
    demo.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        settings = DemoSettings.quick() if args.quick else DemoSettings()
        overrides = {k: v for k, v in {"steps": args.steps, "seed": args.seed}.items() if v is not None}
        settings = dataclasses.replace(settings, **overrides)
        try:
            result = run_demo(args.out, settings, force=args.force, progress=not args.no_progress)
        except FileExistsError as error:
            print(f"spectra demo: {error}; pass --force to replace it", file=sys.stderr)
            return 2
        except (ValueError, TypeError) as error:
            print(f"spectra demo: {error}", file=sys.stderr)
            return 2
        print(result.to_frame().to_string(index=False))
        print(f"wrote {args.out}/fits.png, training.png, summary.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
