"""Sweeps and the executors behind every study (spectra.sweep, spectra.parallel), on a real Dask LocalCluster.

One cluster of 2 worker processes serves the whole module (its tests share one xdist group): a sweep gives
the same table wherever it runs, survives a worker killed by SIGKILL, resumes after an interruption with only
the missing tasks, tiles a float64 eNTK equal to the serial one, and a study script joined to the cluster
prints the numbers it prints locally. Killing the process that started a cluster leaves no process behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from spectra.cli import main as spectra_main
from spectra.models import MLP
from spectra.ntk import empirical_ntk, top_eigenpairs
from spectra.parallel import check_executor_options, task_executor
from spectra.report import build_report
from spectra.sweep import SweepSpec, run, task_key
from spectra.tasks import train_multiscale

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.xdist_group("dask-cluster")

ROOT = Path(__file__).resolve().parents[1]
TASK = "sweep_tasks:noisy_square"


@pytest.fixture(scope="module")
def cluster():
    with task_executor(cluster="local:2", progress=False) as executor:
        yield executor


def spec(**fixed) -> dict:
    return {"task": TASK, "fixed": fixed, "grid": {"x": [0, 1, 2, 3, 4, 5], "seed": [0, 1]}}


def numbers(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=["pid"])


def test_sweep_equals_serial_on_every_executor(tmp_path, cluster):
    serial = run(spec(), tmp_path / "serial", progress=False)
    on_cluster = run(spec(), tmp_path / "dask", executor=cluster, progress=False)
    with task_executor(2) as pool:
        on_pool = run(spec(), tmp_path / "pool", executor=pool, progress=False)
    assert len(serial.table) == 12 and serial.ran == 12
    pd.testing.assert_frame_equal(numbers(serial.table), numbers(on_cluster.table), check_exact=True)
    pd.testing.assert_frame_equal(numbers(serial.table), numbers(on_pool.table), check_exact=True)
    assert on_cluster.table.pid.nunique() == 2  # both workers ran tasks, not this process
    assert os.getpid() not in set(on_cluster.table.pid)
    saved = pd.read_parquet(tmp_path / "dask" / "results.parquet")
    pd.testing.assert_frame_equal(saved, on_cluster.table)
    assert (tmp_path / "serial" / "square.png").exists()


def test_sweep_survives_a_killed_worker(tmp_path, cluster):
    client = cluster._client
    victim = next(iter(client.run(os.getpid).values()))
    tasks = tmp_path / "killed" / "tasks"
    finished_at_kill: list[int] = []

    def kill_after_two_results() -> None:  # mid-sweep: some results in, most still to come
        while not tasks.exists() or len(os.listdir(tasks)) < 2:
            time.sleep(0.02)
        finished_at_kill.append(len(os.listdir(tasks)))
        os.kill(victim, signal.SIGKILL)

    killer = threading.Thread(target=kill_after_two_results, daemon=True)
    killer.start()
    result = run(spec(pause=0.4), tmp_path / "killed", executor=cluster, progress=False)
    killer.join(timeout=5)
    assert finished_at_kill and finished_at_kill[0] < 12
    assert victim not in set(client.run(os.getpid).values())  # the worker really died (and was replaced)
    assert len(result.table) == 12 and result.table.key.is_unique and not result.failed
    assert sorted(os.listdir(tmp_path / "killed" / "tasks")) == sorted(f"{k}.json" for k in result.table.key)
    serial = run(spec(), tmp_path / "serial", progress=False)  # the pause changes the keys, not the numbers
    pd.testing.assert_frame_equal(
        numbers(serial.table).drop(columns="key"), numbers(result.table).drop(columns="key"), check_exact=True
    )


def test_interrupted_sweep_resumes_with_only_the_missing_tasks(tmp_path):
    stop = tmp_path / "stop"
    stop.touch()
    with pytest.raises(KeyboardInterrupt):
        run(spec(stop_file=str(stop)), tmp_path / "sweep", progress=False)
    finished = os.listdir(tmp_path / "sweep" / "tasks")
    assert len(finished) == 6  # x = 0, 1, 2 for both seeds; the run stopped at x = 3
    stop.unlink()
    resumed = run(spec(stop_file=str(stop)), tmp_path / "sweep", progress=False)
    assert (resumed.ran, resumed.reused, len(resumed.table)) == (6, 6, 12)
    again = run(spec(stop_file=str(stop)), tmp_path / "sweep", progress=False)
    assert (again.ran, again.reused) == (0, 12)


def test_failing_task_is_recorded_and_retried(tmp_path):
    failing = {"task": TASK, "grid": {"x": [-1, 2], "seed": [0]}}
    result = run(failing, tmp_path / "sweep", progress=False)
    assert result.ran == 1 and len(result.failed) == 1
    failures = json.loads((tmp_path / "sweep" / "failures.json").read_text())
    assert failures[0]["key"] == task_key(TASK, {"x": -1, "seed": 0}) and "negative x" in failures[0]["error"]
    assert run(failing, tmp_path / "sweep", progress=False).ran == 0  # tried again, failed again


def test_tiled_entk_on_the_cluster_equals_serial(cluster):
    model = MLP(2, 2, 16, 2, seed=0).double()
    generator = torch.Generator().manual_seed(0)
    x, y = torch.rand(90, 2, generator=generator, dtype=torch.float64), torch.rand(50, 2, dtype=torch.float64)
    for x2, outputs in ((None, "trace"), (y, "full")):
        serial = empirical_ntk(model, x, x2, outputs=outputs, progress=False).kernel
        tiled = empirical_ntk(model, x, x2, outputs=outputs, executor=cluster, block_size=32, progress=False).kernel
        assert torch.allclose(tiled, serial, rtol=0, atol=1e-12)


def test_lanczos_products_on_the_cluster_equal_serial(cluster):
    model = MLP(1, 2, 16, 2, seed=1).double()
    x = torch.linspace(-1, 1, 64, dtype=torch.float64)[:, None]
    serial = top_eigenpairs(model, x, 4, progress=False)
    distributed_ = top_eigenpairs(model, x, 4, executor=cluster, progress=False)
    assert distributed_.method == "lanczos/vector_products"
    assert np.allclose(distributed_.eigenvalues, serial.eigenvalues, rtol=1e-10, atol=0)
    assert np.allclose(np.abs(distributed_.eigenvectors), np.abs(serial.eigenvectors), atol=1e-8)


def test_study_on_the_cluster_prints_the_local_numbers(tmp_path, cluster, run_study):
    address = cluster._client.scheduler.address
    local, local_summary = run_study("rahaman_spectral_bias", "--seeds", "0")
    remote, remote_summary = run_study("rahaman_spectral_bias", "--seeds", "0", "--scheduler", address, "--force")
    assert local.splitlines()[:14] == remote.splitlines()[:14]
    assert local_summary["final_amplitude"] == remote_summary["final_amplitude"]


def test_cli_sweep_from_a_toml_file(tmp_path, capsys):
    path = tmp_path / "sweep.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            task = "{TASK}"
            [grid]
            x = [1, 2]
            seed = [0, 1, 2]
            [plot]
            x = "x"
            """
        )
    )
    assert spectra_main(["sweep", str(path), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    assert "6 tasks: 6 run now, 0 from earlier runs" in capsys.readouterr().out
    assert spectra_main(["sweep", str(path), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    assert "0 run now, 6 from earlier runs" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "out" / "results.csv")
    assert list(table.x) == [1, 1, 1, 2, 2, 2] and list(table.seed) == [0, 1, 2] * 2


@pytest.mark.parametrize(
    ("mapping", "argument"),
    [
        ({"task": "nowhere:nothing", "grid": {"x": [1]}}, "task"),
        ({"task": "spectra.tasks", "grid": {"x": [1]}}, "task"),
        ({"task": TASK, "grid": {}}, "grid"),
        ({"task": TASK, "grid": [1, 2]}, "grid"),
        ({"task": TASK, "grid": {"x": 1}}, "grid.x"),
        ({"task": TASK, "grid": {"x": [1]}, "fixed": {"x": 2}}, "grid"),
        ({"task": TASK, "grid": {"x": [1]}, "plot": {"x": "width"}}, "plot.x"),
        ({"task": TASK, "grid": {"x": [1]}, "colour": 1}, "spec"),
    ],
)
def test_bad_sweep_specs_name_the_argument(mapping, argument):
    with pytest.raises((ValueError, TypeError), match=f"^{argument}:"):
        SweepSpec.from_mapping(mapping)


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"cluster": "local:0"}, "cluster"),
        ({"cluster": "2"}, "cluster"),
        ({"scheduler": "localhost"}, "scheduler"),
        ({"scheduler": "tcp://a:1", "cluster": "local:2"}, "scheduler"),
        ({"workers": 0}, "workers"),
    ],
)
def test_bad_executor_options_name_the_argument(options, argument):
    with pytest.raises((ValueError, TypeError), match=f"^{argument}:"):
        check_executor_options(**options)


def test_sweep_refuses_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(ValueError, match="^out:.*did not write"):
        run(spec(), tmp_path / "mine", progress=False)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


def test_killing_the_parent_leaves_no_process(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, sys, time
            from spectra.parallel import task_executor
            if __name__ == "__main__":
                with task_executor(cluster="local:2", progress=False) as executor:
                    pids = executor._client.run(os.getpid)
                    print(" ".join(str(p) for p in pids.values()), flush=True)
                    time.sleep(120)
            """
        )
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    workers = [int(p) for p in parent.stdout.readline().split()]
    assert len(workers) == 2
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def test_resources_need_a_dask_executor():
    with pytest.raises(ValueError, match="^resources:"), task_executor(2, resources={"GPU": 1}):
        pass


def test_report_on_the_cluster_has_the_local_numbers(tmp_path, cluster):
    address = cluster._client.scheduler.address
    sections = ["linearized", "multilayer"]
    local = build_report(tmp_path / "local", profile="smoke", sections=sections, progress=False)
    remote = build_report(tmp_path / "remote", profile="smoke", sections=sections, scheduler=address, progress=False)
    numbers = [_without_times(json.loads((s.out / "summary.json").read_text())["sections"]) for s in (local, remote)]
    assert numbers[0] == numbers[1]


def _without_times(value):
    """The summary without its wall-clock times (the only numbers that may differ from run to run)."""
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if "wall_time" not in k and k != "seconds"}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def test_builtin_task_measures_what_each_model_learned():
    """Fourier features fit the 25-cycle component that the naive MLP misses in the same 200 steps."""
    mlp = train_multiscale(model="mlp", width=32, steps=200)
    features = train_multiscale(model="fourier_features", width=32, steps=200)
    assert mlp["relative_error_k25"] > 0.5 and features["relative_error_k25"] < 0.05
    assert features["relative_l2_late"] < 0.1 < mlp["relative_l2_late"]
    again = train_multiscale(model="mlp", width=32, steps=200)
    assert again.pop("wall_time_s") > 0 and again == {k: v for k, v in mlp.items() if k != "wall_time_s"}
    for arguments, argument in (({"model": "cnn"}, "model"), ({"frequencies": (1, 300)}, "frequencies")):
        with pytest.raises((ValueError, TypeError), match=f"^{argument}:"):
            train_multiscale(**arguments)
