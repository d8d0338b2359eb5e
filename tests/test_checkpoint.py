"""Checkpoints you can trust: a resume of another run is refused by name, damaged files raise one clear error,
foreign files are never overwritten, one writer per file, leftovers of killed writes are cleaned."""

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from spectra.checkpoint import MAGIC, CheckpointError, tensor_digest
from spectra.domain import uniform_grid
from spectra.models import MLP
from spectra.output import OutputBusyError, exclusive_lock
from spectra.targets import multiscale_1d
from spectra.training import ParameterDriftRecorder, TrainingDivergedError, fit


@pytest.fixture
def data():
    target = multiscale_1d()
    x = uniform_grid(target.domain, 32).float()
    return x, target(x)


def train(data, path=None, *, width=8, model_seed=0, **kwargs):
    x, y = data
    options = dict(steps=20, lr=1e-2, record_every=5, batch_size=8, seed=1, progress=False, checkpoint=path)
    options.update(kwargs)
    x, y = options.pop("x", x), options.pop("y", y)
    return fit(MLP(1, 1, width, 2, seed=model_seed), x, y, **options)


@pytest.fixture
def saved(data, tmp_path):
    path = tmp_path / "run.pt"
    train(data, path, steps=10)
    return path


@pytest.mark.parametrize(
    "change, name",
    [
        (lambda d: {"x": d[0] + 1e-3}, "x"),
        (lambda d: {"y": d[1] * 2}, "y"),
        (lambda d: {"probe": d[0][:5]}, "probe"),
        (lambda d: {"probe": d[0], "probe_target": d[1] + 1}, "probe_target"),
        (lambda d: {"seed": 2}, "seed"),
        (lambda d: {"model_seed": 1}, "model initial state"),
        (lambda d: {"width": 9}, "model architecture"),
        (lambda d: {"optimizer": "sgd"}, "optimizer"),
        (lambda d: {"optimizer_options": {"weight_decay": 0.1}}, "optimizer_options"),
        (lambda d: {"batch_size": 4}, "batch_size"),
        (lambda d: {"record_every": 2}, "record_every"),
        (lambda d: {"recorders": [ParameterDriftRecorder()]}, "recorders"),
        (lambda d: {"dtype": torch.float64}, "dtype"),
    ],
)
def test_a_resume_of_another_run_is_refused_and_names_what_differs(data, saved, change, name):
    before = saved.read_bytes()
    with pytest.raises(
        CheckpointError, match=rf"checkpoint: expected a checkpoint of this training run.*another [^;]*\b{name}\b"
    ):
        train(data, saved, **change(data))
    assert saved.read_bytes() == before


def test_extending_a_run_is_a_resume_not_a_different_run(data, saved):
    history = train(data, saved, steps=20)
    assert history.steps.tolist() == [0, 5, 10, 15, 20]
    assert np.array_equal(history.loss, train(data, steps=20).loss)


def damage(path, how):
    raw = path.read_bytes()
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(raw[: len(raw) - 100])
    elif how == "flipped byte":
        index = len(raw) - 50  # inside the tensor data of the payload
        path.write_bytes(raw[:index] + bytes([raw[index] ^ 0x01]) + raw[index + 1 :])
    elif how == "damaged header":
        path.write_bytes(MAGIC + b"{not json\n" + raw.split(b"\n", 2)[2])
    elif how == "header without fields":
        path.write_bytes(MAGIC + b"{}\n" + raw.split(b"\n", 2)[2])


@pytest.mark.parametrize(
    "how, reason",
    [
        ("empty", "which is empty"),
        ("truncated", "which is truncated or padded"),
        ("flipped byte", "fail their checksum"),
        ("damaged header", "whose header is damaged"),
        ("header without fields", "whose header is damaged"),
    ],
)
def test_damaged_files_raise_one_clear_error_naming_the_file(data, saved, how, reason):
    damage(saved, how)
    with pytest.raises(CheckpointError, match=rf"checkpoint: .*{saved.name}'.*{reason}.*delete .* to start over"):
        train(data, saved)


def test_a_flipped_byte_in_the_tensors_is_caught_even_when_the_header_is_rewritten(data, saved):
    """The checksum covers the payload; a payload consistent with a forged header still has to unpickle safely."""
    raw = saved.read_bytes()
    magic, header, payload = raw.split(b"\n", 2)
    payload = payload[:-60] + b"\x00" * 60

    fields = json.loads(header)
    fields.update(size=len(payload), sha256=hashlib.sha256(payload).hexdigest())
    saved.write_bytes(magic + b"\n" + json.dumps(fields).encode() + b"\n" + payload)
    with pytest.raises(CheckpointError, match="payload cannot be read"):
        train(data, saved)


@pytest.mark.parametrize("content", [b"PK\x03\x04 a zip archive", b"some notes I wrote", b"\x80\x02}q\x00."])
def test_a_foreign_file_is_refused_and_never_overwritten(data, tmp_path, content):
    path = tmp_path / "notes.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="which is not one \\(spectra will not overwrite it\\)"):
        train(data, path)
    assert path.read_bytes() == content


def test_a_folder_given_as_checkpoint_is_refused(data, tmp_path):
    with pytest.raises(CheckpointError, match="which is a folder"):
        train(data, tmp_path)


def test_one_writer_per_checkpoint(data, tmp_path):
    path = tmp_path / "run.pt"
    with exclusive_lock(path, argument="checkpoint"):
        with pytest.raises(OutputBusyError, match=rf"checkpoint: .*process {os.getpid()} is writing now"):
            train(data, path)
    assert not path.exists()
    train(data, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt"]  # the lock file goes with its holder


def test_leftovers_of_killed_writes_are_removed_and_nothing_else(data, tmp_path):
    path = tmp_path / "run.pt"
    leftover = tmp_path / ".run.pt.spectra-tmp-0123456789abcdef"
    leftover.write_bytes(b"half a checkpoint")
    mine = [tmp_path / ".run.pt.notes", tmp_path / ".other.pt.spectra-tmp-0123456789abcdef", tmp_path / "run.pt.tmp"]
    for p in mine:
        p.write_text("user data")
    train(data, path)
    assert not leftover.exists()
    assert all(p.read_text() == "user data" for p in mine)


def test_files_follow_the_umask(data, tmp_path):
    previous = os.umask(0o022)
    try:
        train(data, tmp_path / "run.pt")
    finally:
        os.umask(previous)
    assert (tmp_path / "run.pt").stat().st_mode & 0o777 == 0o644


def test_digests_depend_on_values_dtype_and_shape():
    a = torch.arange(6.0)
    assert tensor_digest(a) == tensor_digest(a.clone()) != tensor_digest(a + 1e-7)
    assert tensor_digest(a) != tensor_digest(a.double()) and tensor_digest(a) != tensor_digest(a.reshape(2, 3))
    assert tensor_digest(None) == "None"


# --- fit's own inputs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(y=torch.zeros(32, 2)), r"y: expected one column per model output .*\(1, 1\).*got '2 column\(s\)'"),
        (dict(probe_target=torch.zeros(32, 3), probe=None), r"probe_target: expected one column per model output"),
        (dict(probe=torch.zeros(4, 1), probe_target=torch.zeros(5, 1)), r"probe_target: expected 4 rows"),
        (dict(device="cuda:99"), r"device: expected a device available here"),
        (dict(device="nonsense"), r"device: expected a device available here"),
        (dict(optimizer="sgd", optimizer_options={"momentum": "a"}), r"optimizer_options: expected keyword options"),
        (dict(optimizer_options={"nonsense": 1}), r"optimizer_options: expected keyword options of torch.optim.Adam"),
        (dict(optimizer_options=[1]), r"optimizer_options: expected a mapping"),
        (dict(seed=2**70), r"seed: expected an integer seed between 0 and 2\*\*63 - 1"),
        (dict(seed=-1), r"seed: expected an integer seed between 0 and 2\*\*63 - 1"),
        (dict(seed="0"), r"seed: expected an int, a torch.Generator or None"),
        (dict(dtype=torch.int32), r"dtype: expected a floating torch.dtype"),
        (dict(recorders=None), r"recorders: expected a sequence of Recorder objects"),
        (dict(recorders=ParameterDriftRecorder()), r"recorders: expected a sequence of Recorder objects"),
        (dict(checkpoint_every=0), r"checkpoint_every: expected a positive integer"),
        (dict(checkpoint=3), r"checkpoint: expected a file path"),
    ],
)
def test_fit_names_the_argument(data, kwargs, message):
    x, y = data
    arguments = dict(y=y, steps=2, progress=False)
    arguments.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=message):
        fit(MLP(1, 1, 8, 1, seed=0), x, arguments.pop("y"), **arguments)


def test_a_model_with_two_outputs_refuses_one_column_targets(data):
    x, y = data
    with pytest.raises(ValueError, match=r"y: expected one column per model output .*\(1, 2\)"):
        fit(MLP(1, 2, 8, 1, seed=0), x, y, steps=2, progress=False)


def test_a_model_on_the_meta_device_is_refused(data):
    with torch.device("meta"):
        model = MLP(1, 1, 8, 1, seed=0)
    with pytest.raises(ValueError, match="model: expected a model whose parameters hold values"):
        fit(model, *data, steps=2, progress=False)


def test_the_divergence_step_is_the_model_whose_loss_is_not_finite(data):
    """A divergence seen by the optimiser's step is reported at the step of the model it evaluated: stopping
    training right there, the snapshot of that same model must report the same step."""
    x, y = data
    options = dict(optimizer="sgd", lr=40.0, record_every=1000, progress=False)
    with pytest.raises(TrainingDivergedError) as by_optimizer:
        fit(MLP(1, 1, 16, 2, seed=0), x, y * 1e3, steps=1000, **options)
    step = by_optimizer.value.step
    assert step > 1
    with pytest.raises(TrainingDivergedError, match=rf"at step {step} ") as by_snapshot:
        fit(MLP(1, 1, 16, 2, seed=0), x, y * 1e3, steps=step, **options)
    assert by_snapshot.value.step == step


def test_a_non_finite_loss_before_any_update_is_not_blamed_on_the_learning_rate(data):
    model = MLP(1, 1, 8, 1, seed=0)
    with torch.no_grad():
        next(model.parameters()).fill_(float("nan"))
    with pytest.raises(TrainingDivergedError, match="at step 0 .*before any update.*not the lr"):
        fit(model, *data, steps=2, progress=False)


# --- a checkpoint written on a GPU ----------------------------------------------------------------

GPU_RESUME_ON_CPU = """
import sys, numpy as np, torch
assert not torch.cuda.is_available()
from spectra.models import MLP
from spectra.training import ParameterDriftRecorder, fit
x, y = torch.load(sys.argv[2])
history = fit(MLP(1, 1, 8, 2, seed=0), x, y, steps=40, lr=1e-2, record_every=5, batch_size=8, seed=1, progress=False,
              checkpoint=sys.argv[1], device="cpu", recorders=[ParameterDriftRecorder()])
np.save(sys.argv[3], history.loss)
"""


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (run on the GPU machine)")
def test_a_gpu_checkpoint_resumes_on_the_gpu_bit_for_bit_and_on_a_cpu_only_machine(data, tmp_path):
    import subprocess
    import sys

    x, y = data
    options = dict(steps=40, lr=1e-2, record_every=5, batch_size=8, seed=1, progress=False, device="cuda")

    def gpu_run(**kwargs):
        recorders = [ParameterDriftRecorder()]
        return fit(MLP(1, 1, 8, 2, seed=0), x, y, recorders=recorders, **{**options, **kwargs})

    uninterrupted = gpu_run()
    path = tmp_path / "gpu.pt"
    gpu_run(checkpoint=path, steps=20)
    cpu_copy = tmp_path / "for_cpu.pt"
    cpu_copy.write_bytes(path.read_bytes())
    resumed = gpu_run(checkpoint=path)
    assert np.array_equal(resumed.loss, uninterrupted.loss)
    assert np.array_equal(resumed.records["parameters/drift"], uninterrupted.records["parameters/drift"])

    torch.save((x, y), tmp_path / "data.pt")
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-c", GPU_RESUME_ON_CPU, str(cpu_copy), str(tmp_path / "data.pt"), str(tmp_path / "l")]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    loss = np.load(tmp_path / "l.npy")
    assert np.array_equal(loss[:5], uninterrupted.loss[:5])  # steps 0..20 come from the GPU run's checkpoint
    np.testing.assert_allclose(loss, uninterrupted.loss, rtol=1e-4)  # then the CPU continues the same run
