"""`spectra report`: a complete directory or nothing; every figure loads in a real browser."""

import fcntl
import html
import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from browser import chromium_dom

from spectra import report as report_module
from spectra.cli import main
from spectra.comparison import ComparisonSettings, comparison_models
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
    assert list(summary["sections"]) == ["pde", "linearized", "multilayer", "nonuniform", "multiscale", "images"]
    rows = summary["sections"]["multiscale"]["results"]
    assert [r["model"] for r in rows] == list(comparison_models(ComparisonSettings.quick()))
    assert all(0 < r["relative_l2"] < 2 for r in rows)
    # The theory sections report what they measured: the PDE follows the network at smoke size, and the
    # general equation follows training on non-uniform data better than the uniform-data equation.
    pde = summary["sections"]["pde"]
    assert max(r["gap"] for r in pde["worst_gap"] if r["case"] == "gaussian") < 0.15
    gaps = summary["sections"]["nonuniform"]["summary"]["max_gap"]
    assert gaps["network vs general equation"] < gaps["network vs uniform-data equation, c = 1/length"]
    # The image section: every model at the MLP's parameter count, PSNR on train and held-out pixels.
    images = summary["sections"]["images"]
    assert [r["kind"] for r in images["results"]] == ["mlp", "positional", "gaussian", "repnet", "siren"]
    assert images["parameter_deviation"] < 0.06
    assert all(5 < r["psnr_train_late"] < 200 and 5 < r["psnr_test_late"] < 60 for r in images["results"])
    assert {"images-fits.png", "images-band-errors-train.png", "images-band-errors-test.png"} <= set(names)
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


def test_every_image_loads_in_headless_chromium(smoke_report):
    dom = chromium_dom(smoke_report / "index.html")
    match = re.search(r'data-loaded="(\d+)" data-total="(\d+)"', dom)
    assert match, dom[-2000:]
    loaded, total = map(int, match.groups())
    expected = len(re.findall(r"<img ", (Path(smoke_report) / "index.html").read_text()))
    assert total == expected > 0
    assert loaded == total


# Measures the laid-out page once everything has loaded: its scroll width against the window's, and which
# elements stick out (outside the scrolling table boxes, where sticking out is the point).
_MEASURE = """<script>
window.addEventListener('load', function () {
  var root = document.documentElement;
  var out = Array.prototype.filter.call(document.querySelectorAll('body *'), function (e) {
    var box = e.closest('.table-box');
    return e.getBoundingClientRect().right > root.clientWidth + 0.5 && (!box || box === e);
  }).map(function (e) { return e.tagName.toLowerCase() + '.' + e.className; });
  var report = document.createElement('div');
  report.id = 'layout-measure';
  report.setAttribute('data-scroll-width', root.scrollWidth);
  report.setAttribute('data-client-width', root.clientWidth);
  report.setAttribute('data-outside', out.slice(0, 8).join(' '));
  document.body.appendChild(report);
});
</script>"""


def test_report_fits_a_1280_pixel_window_with_its_summary_on_top(smoke_report, tmp_path):
    # A copy with the measuring script, reading figures from the report (<base>), which stays untouched.
    page = (smoke_report / "index.html").read_text()
    probe = tmp_path / "measure.html"
    probe.write_text(
        page.replace("<head>", f"<head><base href='{smoke_report.as_uri()}/'>", 1).replace(
            "</body>", _MEASURE + "</body>"
        )
    )
    dom = chromium_dom(probe, width=1280)
    match = re.search(r'data-scroll-width="(\d+)" data-client-width="(\d+)" data-outside="([^"]*)"', dom)
    assert match, dom[-2000:]
    scroll_width, client_width, outside = int(match.group(1)), int(match.group(2)), match.group(3)
    assert 1200 <= client_width <= 1280  # the window really was 1280 pixels wide
    assert scroll_width <= client_width, f"page {scroll_width} px wide in a {client_width} px window: {outside}"
    assert outside == ""
    # The summary comes first and holds every section's findings, with the verdicts computed in them.
    assert dom.index('id="summary"') < dom.index('id="pde"')
    summary = json.loads((smoke_report / "summary.json").read_text())
    findings = [f for section in summary["sections"].values() for f in section["findings"]]
    assert len(findings) >= 5
    holding = sum(f["holds"] is True for f in findings)
    assert f"{holding} of {len(findings)} findings agree with the theory" in dom
    for finding in findings:
        assert (
            html.escape(finding["measured"], quote=False) in dom and html.escape(finding["verdict"], quote=False) in dom
        )


def test_tables_show_never_and_missing_one_way(smoke_report):
    page = (smoke_report / "index.html").read_text()
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)
    assert cells and not {"inf", "-inf", "-1", "nan", "NaN", "<NA>", "&lt;NA&gt;", "None"} & set(cells)
    summary = json.loads((smoke_report / "summary.json").read_text())
    times = [
        t for m in summary["sections"]["linearized"]["summary"]["models"].values() for t in m["breakdown_time"].values()
    ]
    # A frequency that never broke down reads "never" in its row, and the note says what that means.
    assert ("<td>never</td>" in page) == (None in times)
    if None in times:
        assert "never: the observed and predicted errors stayed within" in page
    assert "agreement" not in re.findall(r"<th>([^<]*)</th>", page)  # an error is named as one
    assert "residual gap (lower = closer)" in page


def test_sections_named_twice_run_once(tmp_path, monkeypatch):
    ran = []

    def probe(profile, seed, progress):
        ran.append(profile)
        return Section("probe", "probe", "counts its runs")

    monkeypatch.setitem(report_module.SECTIONS, "probe", probe)
    summary = build_report(tmp_path / "r", profile="smoke", sections=["probe", "probe"], progress=False)
    assert ran == ["smoke"] and summary.sections == ["probe"]


def test_version_is_printed(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"spectra {metadata.version('spectra')}"


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
