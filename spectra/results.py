"""Result objects: dataclasses that save whole or not at all.

Every analysis in ``spectra`` returns a dataclass deriving from :class:`Result`. Its fields are
NumPy arrays, dictionaries of arrays, or JSON-serialisable values (a field declared with
``metadata={"save": False}`` is left out and takes its default on load). ``save(path)`` writes one
``.npz`` file: the arrays under their field names (``field/key`` for dictionaries of arrays) and
everything else as JSON in ``__meta__``. The file is written to a temporary name in the same
directory and renamed into place, so an interrupted save never leaves a half-written file.
``load(path)`` rebuilds the dataclass. ``to_frame()`` returns a tidy ``pandas.DataFrame``
(one observation per row), ready for seaborn.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import IO, Any, Self

import numpy as np
import pandas as pd

from spectra._validation import fail

_META_KEY = "__meta__"
_DICT_SEPARATOR = "/"


@contextmanager
def atomic_path(path: str | os.PathLike[str]):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


@contextmanager
def staged_directory(out: str | os.PathLike[str], *, force: bool = False) -> Iterator[Path]:
    """Yield an empty staging directory beside ``out``; it replaces ``out`` only if the block succeeds.

    A report or study directory therefore appears whole or not at all. An existing ``out`` is
    refused (``FileExistsError``) unless ``force=True``; it is removed only once the new one is ready.
    """
    out = Path(out)
    if out.exists() and not force:
        raise FileExistsError(f"out: expected a directory that does not exist yet (or force=True), got {str(out)!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield staging
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def write_atomic(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> Path:
    """Write a file through ``write(fileobj)`` so that it appears whole or not at all."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        write(handle)
    return Path(path)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    return write_atomic(path, lambda handle: handle.write(text.encode("utf-8")))


def to_jsonable(value: Any) -> Any:
    """Convert NumPy scalars and arrays, tuples and paths into plain JSON values."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries whose numbers a result depends on."""
    versions = {"python": platform.python_version()}
    for name in ("spectra", "numpy", "scipy", "torch", "matplotlib", "seaborn", "fenics-dolfinx"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def spread(values: Sequence[float]) -> dict[str, Any]:
    """Mean, sample standard deviation (0 for one value), min, max and the values themselves."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or len(array) == 0:
        fail("values", "a non-empty sequence of numbers", values)
    return {
        "mean": float(array.mean()),
        "std": float(array.std(ddof=1)) if len(array) > 1 else 0.0,
        "min": float(array.min()),
        "max": float(array.max()),
        "values": array.tolist(),
    }


def _is_array_dict(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) > 0 and all(isinstance(v, np.ndarray) for v in value.values())


@dataclasses.dataclass
class Result:
    """Base class of result dataclasses: ``save``/``load`` to one ``.npz`` and ``to_frame``."""

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError(f"{type(self).__name__} does not define to_frame()")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save to ``path`` (a ``.npz`` file), atomically."""
        arrays: dict[str, np.ndarray] = {}
        meta: dict[str, Any] = {"__class__": type(self).__name__, "__array_dicts__": []}
        for field in dataclasses.fields(self):
            if not field.metadata.get("save", True):  # e.g. live objects kept for plotting only
                continue
            value = getattr(self, field.name)
            if isinstance(value, np.ndarray):
                arrays[field.name] = value
            elif _is_array_dict(value):
                meta["__array_dicts__"].append(field.name)
                for key, array in value.items():
                    arrays[f"{field.name}{_DICT_SEPARATOR}{key}"] = array
            else:
                meta[field.name] = to_jsonable(value)
        arrays[_META_KEY] = np.array(json.dumps(meta))
        return write_atomic(path, lambda handle: np.savez(handle, **arrays))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """Load a result saved by :meth:`save`."""
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(str(data[_META_KEY]))
            if meta.get("__class__") != cls.__name__:
                raise ValueError(f"path: expected a saved {cls.__name__}, got a saved {meta.get('__class__')!r}")
            values: dict[str, Any] = {}
            for name in meta.pop("__array_dicts__"):
                prefix = name + _DICT_SEPARATOR
                values[name] = {k[len(prefix) :]: data[k] for k in data.files if k.startswith(prefix)}
            for field in dataclasses.fields(cls):
                if field.name in values:
                    continue
                if field.name in data.files:
                    values[field.name] = data[field.name]
                elif field.name in meta:
                    values[field.name] = meta[field.name]
        return cls(**values)
