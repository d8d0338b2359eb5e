"""Training checkpoints you can trust: a fingerprint of the run, a checksum of the payload, one clear error.

A checkpoint file (written by :func:`spectra.training.fit` with ``checkpoint=path``) is laid out as

    line 1   ``spectra-checkpoint 1``                          (magic and format version)
    line 2   a JSON header: ``{"step", "size", "sha256", "fingerprint"}``
    rest     the payload: ``torch.save`` of the training state (tensors and plain values only)

- The **fingerprint** holds one digest (SHA-256, or the value itself when short) per input that
  defines the run: the data ``x``, ``y``, ``probe``, ``probe_target``, the ``seed``, the model's
  architecture and initial state, the optimiser and its options, the batch size, the snapshot
  schedule, the recorders and the objective. Resuming with anything different is refused, naming
  what differs, so a History never splices two runs. (The number of ``steps`` may grow: that is
  how a run is extended.) Digests are taken of CPU copies in the training dtype, so a run
  started on a GPU resumes on a CPU.
- The **checksum** (SHA-256 of the payload, and its size) is verified before the payload is
  unpickled; the payload is then read with ``torch.load(weights_only=True)``, which refuses
  arbitrary Python objects.
- Every unreadable file (empty, truncated, flipped bytes, another program's file) raises
  :class:`CheckpointError`, naming the file and saying how to start over. A file that is not a
  spectra checkpoint is never overwritten.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from spectra.output import write_atomic

MAGIC = b"spectra-checkpoint 1\n"
_MAX_HEADER_BYTES = 1 << 20
# Entries short enough to print both values in the message (the others are digests).
_READABLE = {
    "seed",
    "optimizer",
    "lr",
    "optimizer_options",
    "batch_size",
    "record_every",
    "recorders",
    "objective",
    "dtype",
}
_DIGEST_CHARS = 16  # of SHA-256's 64 hex characters: collisions are not a concern for telling runs apart


class CheckpointError(ValueError):
    """A checkpoint file that cannot be resumed from (unreadable, corrupted, foreign, or of another run)."""


def _start_over(path: Path) -> str:
    return f"delete {str(path)!r} (or pass another checkpoint= path) to start over"


def tensor_digest(tensor: torch.Tensor | None) -> str:
    """SHA-256 (first 16 hex characters) of a tensor's dtype, shape and values; "None" for None."""
    if tensor is None:
        return "None"
    data = tensor.detach().cpu().contiguous()
    digest = hashlib.sha256(f"{data.dtype}{tuple(data.shape)}".encode())
    digest.update(data.reshape(-1).view(torch.uint8).numpy().tobytes() if data.numel() else b"")
    return digest.hexdigest()[:_DIGEST_CHARS]


def _text_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:_DIGEST_CHARS]


def module_digests(model: nn.Module) -> tuple[str, str]:
    """(architecture, state) digests of a module: its repr with every tensor's name, shape and dtype; the values."""
    state = model.state_dict()
    layout = repr(model) + repr([(name, tuple(t.shape), str(t.dtype)) for name, t in state.items()])
    values = hashlib.sha256()
    for tensor in state.values():
        values.update(tensor_digest(tensor).encode())
    return _text_digest(layout), values.hexdigest()[:_DIGEST_CHARS]


def seed_digest(seed: int | torch.Generator | None) -> str:
    """The seed itself, or a digest of a generator's state (taken before training draws from it)."""
    if isinstance(seed, torch.Generator):
        return "generator " + tensor_digest(seed.get_state())
    return repr(seed)


def run_fingerprint(
    *,
    x: torch.Tensor,
    y: torch.Tensor | None,
    probe: torch.Tensor,
    probe_target: torch.Tensor | None,
    seed: int | torch.Generator | None,
    model: nn.Module,
    optimizer: str,
    lr: float,
    optimizer_options: Mapping[str, Any],
    batch_size: int | None,
    record_every: int,
    recorders: Sequence[str],
    objective: str | None,
    dtype: torch.dtype,
) -> dict[str, str]:
    """What defines a training run, one readable entry per input (see the module docstring)."""
    architecture, initial_state = module_digests(model)
    return {
        "x": tensor_digest(x),
        "y": tensor_digest(y),
        "probe": tensor_digest(probe),
        "probe_target": tensor_digest(probe_target),
        "seed": seed_digest(seed),
        "model architecture": architecture,
        "model initial state": initial_state,
        "optimizer": optimizer,
        "lr": repr(lr),
        "optimizer_options": json.dumps(dict(optimizer_options), sort_keys=True, default=repr),
        "batch_size": repr(batch_size),
        "record_every": repr(record_every),
        "recorders": repr(list(recorders)),
        "objective": repr(objective),
        "dtype": str(dtype),
    }


def save_checkpoint(path: str | os.PathLike[str], state: Mapping[str, Any], fingerprint: Mapping[str, str]) -> None:
    """Write ``state`` (for ``torch.save``) with its fingerprint and checksum, whole or not at all."""
    buffer = io.BytesIO()
    torch.save(dict(state), buffer)
    payload = buffer.getvalue()
    header = {
        "step": int(state["step"]),
        "size": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
        "fingerprint": dict(fingerprint),
    }

    def write(handle) -> None:
        handle.write(MAGIC)
        handle.write(json.dumps(header).encode() + b"\n")
        handle.write(payload)

    write_atomic(path, write)


def _read(path: Path) -> tuple[dict[str, Any], bytes]:
    """The header and the verified payload of a checkpoint file; CheckpointError for anything unreadable."""

    def unreadable(why: str) -> CheckpointError:
        return CheckpointError(
            f"checkpoint: expected a spectra checkpoint file, got {str(path)!r}, {why}; " + _start_over(path)
        )

    try:
        with open(path, "rb") as handle:
            magic = handle.read(len(MAGIC))
            if magic != MAGIC:
                if not magic:
                    raise unreadable("which is empty")
                raise CheckpointError(
                    f"checkpoint: expected a spectra checkpoint file, got {str(path)!r}, which is not one "
                    "(spectra will not overwrite it); pass another checkpoint= path"
                )
            line = handle.readline(_MAX_HEADER_BYTES)
            payload = handle.read()
    except IsADirectoryError:
        raise unreadable("which is a folder") from None
    except OSError as error:
        raise unreadable(f"which cannot be read ({error.strerror})") from None
    try:
        header = json.loads(line)
        size, checksum, step = int(header["size"]), str(header["sha256"]), int(header["step"])
        if not isinstance(header["fingerprint"], dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise unreadable("whose header is damaged") from None
    if len(payload) != size:
        raise unreadable(f"which is truncated or padded (payload of {len(payload)} bytes, expected {size})")
    if hashlib.sha256(payload).hexdigest() != checksum:
        raise unreadable("whose data fail their checksum (the file is corrupted)")
    if step < 0:
        raise unreadable(f"whose header gives step {step}")
    return header, payload


def load_checkpoint(path: str | os.PathLike[str], fingerprint: Mapping[str, str]) -> dict[str, Any]:
    """The training state saved at ``path``, on the CPU, after checking its checksum and its fingerprint.

    Raises :class:`CheckpointError` when the file is unreadable or was written by a run that differs
    from ``fingerprint`` (the message names every input that differs).
    """
    path = Path(path)
    header, payload = _read(path)
    saved = header["fingerprint"]
    differing = [key for key in dict.fromkeys([*fingerprint, *saved]) if saved.get(key) != fingerprint.get(key)]
    if differing:
        details = ", ".join(
            f"{key} (saved {saved.get(key)!r}, now {fingerprint.get(key)!r})" if key in _READABLE else key
            for key in differing
        )
        raise CheckpointError(
            f"checkpoint: expected a checkpoint of this training run, got {str(path)!r}, written by a run with "
            f"another {details}; resume with the same inputs, or {_start_over(path)}"
        )
    try:
        state = torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - whatever torch raises, the file is unusable
        raise CheckpointError(
            f"checkpoint: expected a spectra checkpoint file, got {str(path)!r}, whose payload cannot be read "
            f"({type(error).__name__}); {_start_over(path)}"
        ) from None
    if not isinstance(state, dict) or state.get("step") != header["step"]:
        raise CheckpointError(
            f"checkpoint: expected a spectra checkpoint file, got {str(path)!r}, whose payload does not match its "
            f"header; {_start_over(path)}"
        )
    return state
