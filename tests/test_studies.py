"""The study scaffolding: seeds summarised honestly, output directories whole or not at all."""

import json

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from spectra.studies import format_spread, spread, study_output, study_parser, write_study


def test_spread_of_seeds():
    summary = spread([1.0, 2.0, 4.0])
    assert summary["mean"] == pytest.approx(7 / 3)
    assert summary["std"] == pytest.approx(1.5275252316519468)  # sample standard deviation (ddof=1)
    assert (summary["min"], summary["max"], summary["values"]) == (1.0, 4.0, [1.0, 2.0, 4.0])
    assert spread([3.0])["std"] == 0.0
    assert format_spread(summary) == "2.33 ± 1.5"
    with pytest.raises(ValueError, match="values: expected a non-empty sequence"):
        spread([])


def write_demo(out, error, figure, *extra):
    args = study_parser("demo", "doc").parse_args(["--out", str(out), *extra])
    with study_output(args) as folder:
        write_study(
            folder,
            {"error": error},
            study="demo",
            settings={"steps": 10},
            seeds=[0, 1],
            figures={"curve": figure},
            tables={"errors": pd.DataFrame({"model": ["a"], "error": [error]})},
            wall_time=1.0,
        )


def test_write_study_writes_everything_or_nothing(tmp_path, capsys):
    figure = plt.figure()
    figure.add_subplot().plot([0, 1], [0, 1])
    out = tmp_path / "demo"
    write_demo(out, 0.5, figure)
    names = sorted(p.name for p in out.iterdir())
    assert names == [".spectra-output", "curve.png", "curve.svg", "errors.csv", "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["error"] == 0.5 and summary["seeds"] == [0, 1] and summary["settings"] == {"steps": 10}
    assert summary["study"] == "demo"

    with pytest.raises(SystemExit) as refused:  # an earlier output is replaced only with --force
        write_demo(out, 0.1, plt.figure())
    assert refused.value.code == 2 and "pass force=True (--force" in capsys.readouterr().err

    broken = plt.figure()
    broken.savefig = lambda *args, **kwargs: (_ for _ in ()).throw(OSError("disk full"))
    with pytest.raises(OSError, match="disk full"):
        write_demo(out, 0.1, broken, "--force")
    assert json.loads((out / "summary.json").read_text())["error"] == 0.5  # the old results survive
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]

    write_demo(out, 0.25, figure, "--force")
    assert json.loads((out / "summary.json").read_text())["error"] == 0.25
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_study_parser_defaults():
    args = study_parser("example", "doc").parse_args([])
    assert (args.quick, str(args.out), args.seeds, args.force) == (False, "results/example", [0, 1, 2], False)
