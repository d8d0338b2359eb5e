"""The main job: `spectra demo` writes its figures and numbers, whole, and never clobbers by accident."""

import json
import subprocess
import sys

import pytest

from spectra.cli import main


def test_demo_quick_writes_figures_and_summary(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quick", "--no-progress"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["fits.png", "summary.json", "training.png"]
    summary = json.loads((out / "summary.json").read_text())
    models = [row["model"] for row in summary["results"]]
    assert models == ["MLP", "RepNet", "FF-MLP"]
    assert all(0 < row["relative_l2"] < 2 for row in summary["results"])
    assert "torch" in summary["versions"]
    assert "RepNet" in capsys.readouterr().out
    # An existing directory is refused without --force and left untouched.
    before = (out / "summary.json").read_text()
    assert main(["demo", "--out", str(out), "--quick", "--no-progress"]) == 2
    assert "pass --force" in capsys.readouterr().err
    assert (out / "summary.json").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]  # no staging directory left behind


def test_command_line_entry_point_reports_usage_errors():
    result = subprocess.run([sys.executable, "-m", "spectra.cli", "demo"], capture_output=True, text=True)
    assert result.returncode == 2 and "--out" in result.stderr


@pytest.mark.parametrize("argv", [["demo", "--out", "x", "--steps", "0"]])
def test_bad_settings_are_refused(argv, tmp_path, capsys):
    argv[2] = str(tmp_path / "x")
    assert main(argv + ["--quick", "--no-progress"]) == 2
    assert "steps: expected a positive integer" in capsys.readouterr().err
