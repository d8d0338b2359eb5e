"""Benchmark scripts keep running: each one's --quick mode is executed (numbers are not asserted here)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "analysis" / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_benchmark_quick_mode_runs(script):
    result = subprocess.run(
        [sys.executable, str(script), "--quick"], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ratio" in result.stdout.lower() or "|" in result.stdout, result.stdout
    if script.stem == "fem":  # probing against solving, and where mpirun pays, printed side by side
        assert "u0 from samples" in result.stdout and "crossover:" in result.stdout, result.stdout
