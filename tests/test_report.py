"""`spectra report`: a complete directory or nothing; every figure loads in a real browser."""

import json
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
from spectra.report import Section, build_report


@pytest.fixture(scope="module")
def smoke_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "out"
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
    assert "pass --force" in capsys.readouterr().err
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
