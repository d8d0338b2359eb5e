"""`spectra report`: a complete directory or nothing; every figure loads in a real browser."""

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from spectra import report as report_module
from spectra.cli import main
from spectra.output import output_folder
from spectra.report import Section, build_report


@pytest.fixture(scope="session")
def smoke_report(tmp_path_factory, worker_id):
    """The smoke report, built once per test run: the pytest-xdist workers share it through a lock."""
    root = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    out = root / "smoke_report"
    with open(root / "smoke_report.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker builds it; the other waits here
        if not out.exists():
            assert main(["report", "--out", str(out), "--profile", "smoke", "--no-progress"]) == 0
    return out


def test_report_writes_html_figures_and_summary(smoke_report):
    names = sorted(p.name for p in smoke_report.iterdir())
    assert "index.html" in names and "summary.json" in names
    assert {"multiscale-fits.png", "multiscale-fits.svg", "multiscale-training.png", "pde-gap-over-time.png"} <= set(
        names
    )
    summary = json.loads((smoke_report / "summary.json").read_text())
    assert summary["profile"] == "smoke" and summary["seed"] == 0 and "torch" in summary["versions"]
    assert list(summary["sections"]) == ["pde", "linearized", "multilayer", "nonuniform", "multiscale"]
    rows = summary["sections"]["multiscale"]["results"]
    assert [r["model"] for r in rows] == ["MLP", "RepNet", "FF-MLP"]
    assert all(0 < r["relative_l2"] < 2 for r in rows)
    # The theory sections report what they measured: the PDE follows the network at smoke size, and the
    # general equation follows training on non-uniform data better than the uniform-data equation.
    pde = summary["sections"]["pde"]
    assert max(r["gap"] for r in pde["worst_gap"] if r["case"] == "gaussian") < 0.15
    gaps = summary["sections"]["nonuniform"]["summary"]["max_gap"]
    assert gaps["network vs general equation"] < gaps["network vs uniform-data equation, c = 1/length"]
    page = (smoke_report / "index.html").read_text()
    for src in re.findall(r"<img src='([^']+)'", page):
        assert (smoke_report / src).stat().st_size > 1000


def test_existing_directory_is_not_clobbered(smoke_report, capsys):
    before = (smoke_report / "summary.json").read_text()
    assert main(["report", "--out", str(smoke_report), "--profile", "smoke", "--no-progress"]) == 2
    assert "holds an earlier spectra output; pass force=True (--force on the command line)" in capsys.readouterr().err
    assert (smoke_report / "summary.json").read_text() == before


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--profile", "huge"], "profile: expected one of 'smoke', 'quick', 'full'"),
        (["--sections", "nonsense"], "sections: expected one of 'pde', 'linearized', 'multilayer', 'nonuniform'"),
    ],
)
def test_unknown_profiles_and_sections_are_refused(argv, message, tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "r"), *argv, "--no-progress"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_interrupted_report_leaves_nothing_half_written(tmp_path, monkeypatch):
    def broken(profile, seed, progress):
        raise KeyboardInterrupt

    monkeypatch.setitem(report_module.SECTIONS, "broken", broken)
    out = tmp_path / "r"
    with pytest.raises(KeyboardInterrupt):
        build_report(out, profile="smoke", sections=["broken"], progress=False)
    assert list(tmp_path.iterdir()) == []

    def figure_fails(profile, seed, progress):
        figure = plt.figure()
        figure.savefig = lambda *args, **kwargs: (_ for _ in ()).throw(OSError("disk full"))
        return Section("bad", "bad", "a figure that cannot be saved", figures={"x": figure})

    monkeypatch.setitem(report_module.SECTIONS, "bad", figure_fails)
    with pytest.raises(OSError, match="disk full"):
        build_report(out, profile="smoke", sections=["bad"], progress=False)
    assert list(tmp_path.iterdir()) == []


def test_usage_error_from_the_command_line():
    result = subprocess.run([sys.executable, "-m", "spectra.cli", "report"], capture_output=True, text=True)
    assert result.returncode == 2 and "--out" in result.stderr


def find_chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


def test_every_image_loads_in_headless_chromium(smoke_report):
    browser = find_chromium()
    if browser is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium package)")
    with tempfile.TemporaryDirectory() as profile_dir:
        result = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile_dir}",
                "--allow-file-access-from-files",
                "--virtual-time-budget=10000",
                "--dump-dom",
                (smoke_report / "index.html").as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    match = re.search(r'data-loaded="(\d+)" data-total="(\d+)"', result.stdout)
    assert match, result.stdout[-2000:] + result.stderr[-2000:]
    loaded, total = map(int, match.groups())
    expected = len(re.findall(r"<img ", (Path(smoke_report) / "index.html").read_text()))
    assert total == expected > 0
    assert loaded == total


def test_a_bad_out_is_refused_before_any_section_runs(tmp_path, monkeypatch, capsys):
    ran = []
    monkeypatch.setitem(report_module.SECTIONS, "probe", lambda profile, seed, progress: ran.append(profile))
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "papers").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "papers")
    monkeypatch.chdir(tmp_path)
    cases = {
        str(tmp_path / "notes.txt"): "which is a file",
        str(tmp_path / "link"): "a symbolic link",
        str(tmp_path / "papers"): "an existing folder that spectra did not write",
        ".": "the current folder",
    }
    for out, reason in cases.items():
        assert main(["report", "--out", out, "--sections", "probe", "--no-progress"]) == 2
        assert reason in capsys.readouterr().err
    assert main(["report", "--out", "r", "--sections", "probe", "--seed", str(2**70), "--no-progress"]) == 2
    assert "seed: expected an integer seed between 0 and 2**63 - 1" in capsys.readouterr().err
    assert ran == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "notes.txt", "papers"]


def test_a_second_report_on_the_same_out_fails_at_once(tmp_path, monkeypatch, capsys):
    ran = []
    monkeypatch.setitem(report_module.SECTIONS, "probe", lambda profile, seed, progress: ran.append(profile))
    out = tmp_path / "r"
    with output_folder(out, kind="report"):  # another run holds out (its lock) while it computes
        assert main(["report", "--out", str(out), "--sections", "probe", "--force", "--no-progress"]) == 2
    assert f"process {os.getpid()} is writing now" in capsys.readouterr().err
    assert ran == []
