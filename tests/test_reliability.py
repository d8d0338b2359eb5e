"""Killing real runs (report, study, training) with SIGINT, SIGTERM and SIGKILL at several moments.

After every kill: the output path holds the old complete output (or the new one), no process of the run is
left alive within a few seconds, and the next run cleans the leftovers; a killed training run resumes from
its checkpoint to exactly the numbers of an uninterrupted run.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from spectra.output import MARKER, output_folder

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process sessions from /proc (Linux)"),
]


def session_processes(session: int) -> list[int]:
    """Live processes (not zombies) of a session: a run started with start_new_session and all it spawned."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        state, sid = fields[0], int(fields[3])
        if sid == session and state != "Z":
            found.append(int(entry.name))
    return found


def wait_until(condition, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        command, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )


def kill_and_check_no_orphans(process: subprocess.Popen, sig: int) -> None:
    process.send_signal(sig)  # to the parent only, as a user's kill or a scheduler would
    process.wait(timeout=60)
    gone = wait_until(lambda: not session_processes(process.pid), timeout=5)
    leftover = [Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ") for pid in session_processes(process.pid)]
    for pid in session_processes(process.pid):
        os.kill(pid, signal.SIGKILL)
    assert gone, f"processes left behind by {signal.Signals(sig).name}: {leftover}"


def fake_earlier_output(out: Path, kind: str) -> dict[str, bytes]:
    """An earlier output written through the toolkit's own function (so it carries the marker)."""
    with output_folder(out, kind=kind) as staging:
        (staging / "index.html").write_text("<html>the earlier report</html>")
        (staging / "summary.json").write_text(json.dumps({"earlier": True}))
    return {p.name: p.read_bytes() for p in out.iterdir()}


def report_is_complete(out: Path) -> bool:
    page = (out / "index.html").read_text()
    json.loads((out / "summary.json").read_text())
    images = re.findall(r"<img src='([^']+)'", page)
    return (out / MARKER).is_file() and len(images) > 0 and all((out / src).stat().st_size > 0 for src in images)


@pytest.mark.parametrize(
    "sig, delay, rerun",
    [
        (signal.SIGINT, 0.5, False),
        (signal.SIGTERM, 0.5, False),
        (signal.SIGKILL, 0.5, False),
        (signal.SIGKILL, 2, True),
    ],
    ids=["SIGINT", "SIGTERM", "SIGKILL-early", "SIGKILL-later-then-rerun"],
)
def test_killing_the_report_keeps_the_old_report_and_leaves_no_process(tmp_path, sig, delay, rerun):
    out = tmp_path / "report"
    earlier = fake_earlier_output(out, "report")
    command = [sys.executable, "-m", "spectra.cli", "report", "--out", str(out), "--profile", "smoke"]
    process = start([*command, "--sections", "multilayer", "nonuniform", "--jobs", "2", "--force", "--no-progress"])
    # Wait for the two section workers (the parent and two workers, plus multiprocessing's resource tracker).
    assert wait_until(lambda: len(session_processes(process.pid)) >= 3, timeout=120), process.stderr.read()
    time.sleep(delay)
    kill_and_check_no_orphans(process, sig)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == earlier
    if sig != signal.SIGKILL:  # a run that could clean up did: no staging folder and no lock file
        assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]

    if not rerun:
        return
    # The next run replaces the report whole and removes the killed run's leftovers.
    finished = subprocess.run(
        [*command, "--sections", "multilayer", "--jobs", "1", "--force", "--no-progress"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert report_is_complete(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killing_a_study_keeps_the_old_results_and_leaves_no_process(tmp_path, sig):
    out = tmp_path / "study"
    earlier = fake_earlier_output(out, "study")
    script = str(ROOT / "analysis" / "repnet_operator.py")
    process = start(
        [sys.executable, script, "--quick", "--out", str(out), "--force", "--workers", "2", "--no-progress"]
    )
    assert wait_until(lambda: len(session_processes(process.pid)) >= 3, timeout=120), process.stderr.read()
    time.sleep(1.0)
    kill_and_check_no_orphans(process, sig)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == earlier
    if sig == signal.SIGTERM:
        assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]


def test_a_study_refuses_a_bad_out_before_computing(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("keep")
    script = str(ROOT / "analysis" / "lazzari_regions.py")
    for out, reason in [(".", "the current folder"), (str(tmp_path / "mine"), "spectra did not write")]:
        result = subprocess.run(
            [sys.executable, script, "--quick", "--out", out, "--no-progress"],
            cwd=tmp_path,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 2 and reason in result.stderr and "Traceback" not in result.stderr
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


TRAINER = """
import sys, torch
torch.set_num_threads(1)
from spectra.domain import uniform_grid
from spectra.models import MLP
from spectra.targets import multiscale_1d
from spectra.training import ParameterDriftRecorder, fit

target = multiscale_1d()
x = uniform_grid(target.domain, 64).float()
fit(MLP(1, 1, 32, 2, seed=0), x, target(x), steps=int(sys.argv[2]), lr=1e-2, batch_size=16, seed=3,
    record_every=5, checkpoint=sys.argv[1], checkpoint_every=1, recorders=[ParameterDriftRecorder()], progress=False)
"""
STEPS = 400


def train_here(checkpoint=None):
    from spectra.domain import uniform_grid
    from spectra.models import MLP
    from spectra.targets import multiscale_1d
    from spectra.training import ParameterDriftRecorder, fit

    target = multiscale_1d()
    x = uniform_grid(target.domain, 64).float()
    return fit(
        MLP(1, 1, 32, 2, seed=0),
        x,
        target(x),
        steps=STEPS,
        lr=1e-2,
        batch_size=16,
        seed=3,
        record_every=5,
        checkpoint=checkpoint,
        checkpoint_every=1,
        recorders=[ParameterDriftRecorder()],
        progress=False,
    )


def checkpoint_step(path: Path) -> int:
    try:
        with open(path, "rb") as handle:
            handle.readline()
            return json.loads(handle.readline())["step"]
    except (FileNotFoundError, ValueError, KeyError):
        return -1


@pytest.fixture
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # the killed child runs with one thread: the same arithmetic, bit for bit
    yield
    torch.set_num_threads(previous)


@pytest.mark.parametrize(
    "sig, after",
    [(signal.SIGKILL, 1), (signal.SIGKILL, 300), (signal.SIGTERM, 150), (signal.SIGINT, 200)],
    ids=["SIGKILL-first-checkpoint", "SIGKILL-later", "SIGTERM", "SIGINT"],
)
def test_a_killed_training_run_resumes_bit_for_bit(tmp_path, one_thread, sig, after):
    path = tmp_path / "run.pt"
    process = start([sys.executable, "-c", TRAINER, str(path), str(STEPS)])
    assert wait_until(lambda: checkpoint_step(path) >= after, timeout=120), process.stderr.read()
    kill_and_check_no_orphans(process, sig)
    killed_at = checkpoint_step(path)
    assert 0 < killed_at < STEPS, "the run finished before the kill: raise STEPS"
    resumed = train_here(path)
    uninterrupted = train_here()
    for field in ("steps", "loss", "predictions"):
        assert np.array_equal(getattr(resumed, field), getattr(uninterrupted, field)), field
    assert np.array_equal(resumed.records["parameters/drift"], uninterrupted.records["parameters/drift"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt"]  # no temporary or lock file left
