"""Test configuration: headless plotting, one torch thread per pytest-xdist worker (2 workers on 2 cores).

``run_study`` runs a study script of ``analysis/`` in its ``--quick`` mode, as a user would, and
returns what it printed and its ``summary.json``.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_study(tmp_path):
    def run(name: str, *arguments: str, timeout: float = 300) -> tuple[str, dict]:
        out = tmp_path / name
        command = [sys.executable, str(ROOT / "analysis" / f"{name}.py"), "--quick", "--out", str(out), "--no-progress"]
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
        result = subprocess.run(
            [*command, *arguments], capture_output=True, text=True, cwd=ROOT, timeout=timeout, env=env
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout, json.loads((out / "summary.json").read_text())

    return run
