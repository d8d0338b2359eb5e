"""Result files: every Result round-trips, and ``load`` checks a file against the schema before reading data.

The schema of each result is declared next to its fields (``Result.array_field`` /
``Result.array_dict_field``); ``Result.load`` checks presence, dtype and shape of every array (from the
``.npy`` headers, before any data is read) and the type of every JSON field, and names the file and the
field when it refuses.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import os
import sys
import tracemalloc
import typing
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from numpy.lib import format as npformat

from spectra import MLP, Gaussian, TwoLayerFourierNet, fit, uniform_grid
from spectra.comparison import Comparison
from spectra.fem.nonuniform import NonuniformSolver
from spectra.fem.reference import ReferenceSolver
from spectra.fourier import FourierErrorRecorder, error_dynamics, filtered_errors, frequency_error, spectrum
from spectra.fourier.spectrum import radial_average
from spectra.models.deeponet import antiderivative_data
from spectra.models.repnet import shallow_relu_magnitudes
from spectra.ntk import empirical_ntk, ntk_spectrum
from spectra.partition import breakpoints_1d, partition_points, regions_2d, regions_2d_sampled
from spectra.partition.patterns import dead_neurons
from spectra.results import Result, array_dict_field, array_field, array_schema
from spectra.targets import WindowedCosines
from spectra.training import History

PACKAGES = ("training", "comparison", "fourier", "ntk", "models", "partition", "fem", "validate")
for _package in PACKAGES:
    importlib.import_module(f"spectra.{_package}")


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        if sub.__module__.startswith("spectra."):
            found += [sub, *_subclasses(sub)]
    return found


RESULT_CLASSES = sorted(set(_subclasses(Result)), key=lambda c: c.__name__)


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------


def same(a: Any, b: Any) -> bool:
    """Deep equality of field values: arrays (shape, dtype and values, NaN equal), dicts, lists, tuples."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and same(a.numpy(), b.numpy())
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        )
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return type(a) is type(b) and a == b


def assert_round_trip(result: Result, tmp_path: Path) -> Result:
    path = result.save(tmp_path / f"{type(result).__name__}.npz")
    loaded = type(result).load(path)
    for field in dataclasses.fields(result):
        if field.metadata.get("save", True):
            original, reread = getattr(result, field.name), getattr(loaded, field.name)
            assert same(original, reread), f"{type(result).__name__}.{field.name}: {original!r} != {reread!r}"
    return loaded


def annotation(cls: type, field: dataclasses.Field) -> Any:
    return eval(field.type, dict(vars(sys.modules[cls.__module__]))) if isinstance(field.type, str) else field.type


def sample_json(tp: Any) -> Any:
    """A JSON-like value of annotation ``tp`` (the first non-None choice of a union)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any or tp is object:
        return {"anything": [1, 2.5, "x"]}
    if args and origin not in (list, tuple, dict, Sequence, Mapping):  # a union
        return sample_json(next(a for a in args if a is not type(None)))
    target = origin or tp
    simple = {bool: True, int: 3, float: 0.25, str: "text"}
    if target in simple:
        return simple[target]
    if target is tuple:
        return tuple(sample_json(a) for a in args) if args else (1, 2)
    if target in (list, Sequence):
        return [sample_json(args[0]) if args else 1] * 2
    if target in (dict, Mapping):
        return {"first": sample_json(args[1]) if args else 1}
    raise AssertionError(f"no JSON sample for {tp!r}")


def synthetic(cls: type, sizes: dict[str, int] | None = None) -> Result:
    """An instance of ``cls`` built from its schema: every symbol gets one length (per key for per-key fields)."""
    rng = np.random.default_rng(0)
    lengths: dict[tuple[str | None, str], int] = {}

    def length(symbol: str, scope: str | None) -> int:
        key = (scope, symbol)
        if key not in lengths:
            base = (sizes or {}).get(symbol, 2 + len(lengths) % 3)
            lengths[key] = base + (1 if scope == "b" else 0)
        return lengths[key]

    def dims(shape: tuple, scope: str | None) -> tuple[int, ...]:
        out: list[int] = []
        for dim in shape:
            if isinstance(dim, int):
                out.append(dim)
            elif dim == "...":
                out.append(2)
            elif "+" in dim or "-" in dim:
                sign = "+" if "+" in dim else "-"
                name, offset = dim.split(sign)
                out.append(length(name.strip(), scope) + (1 if sign == "+" else -1) * int(offset))
            else:
                out.append(length(dim, scope))
        return tuple(out)

    def array(schema, scope: str | None) -> np.ndarray:
        shape = dims(schema.shapes[-1], scope)
        kind = schema.dtypes[0]
        if kind == "int":
            return rng.integers(0, 9, shape)
        if kind == "bool":
            return rng.random(shape) > 0.5
        if kind == "complex":
            return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
        return rng.standard_normal(shape)

    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if not field.metadata.get("save", True):
            continue
        schema = array_schema(field)
        if schema is None:
            values[field.name] = sample_json(annotation(cls, field))
        elif schema.mapping:
            values[field.name] = {k: array(schema, k if schema.per_key else None) for k in ("a", "b")}
        else:
            values[field.name] = array(schema, None)
    return cls(**values)


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    npformat.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def rewrite(
    path: Path, *, replace: Mapping[str, bytes] | None = None, drop: Sequence[str] = (), deflate: Sequence[str] = ()
) -> Path:
    """Rewrite the .npz at ``path`` with members replaced (raw .npy bytes), dropped or compressed."""
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    for name in drop:
        del members[name + ".npy"]
    for name, data in (replace or {}).items():
        members[name + ".npy"] = data
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            method = zipfile.ZIP_DEFLATED if name[: -len(".npy")] in deflate else zipfile.ZIP_STORED
            archive.writestr(name, data, compress_type=method)
    return path


def meta_of(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as data:
        return json.loads(str(data["__meta__"]))


# ------------------------------------------------------------------------------------------------
# Real results, small, from the public API
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def history() -> History:
    x = uniform_grid((0.0, 1.0), 32, dtype=torch.float64)
    y = torch.sin(2 * torch.pi * x) + 0.2 * torch.sin(2 * torch.pi * 5 * x)
    model = MLP(1, 1, 8, 2, seed=0, dtype=torch.float64)
    return fit(model, x, y, lr=1e-2, steps=4, record_every=2, recorders=[FourierErrorRecorder()], progress=False)


def _relu_2d() -> torch.nn.Module:
    return MLP(2, 1, 5, 2, seed=1, dtype=torch.float64)


def _real_results(history: History) -> dict[str, Callable[[], Result]]:
    x = uniform_grid((0.0, 1.0), 32, dtype=torch.float64)
    grid2 = uniform_grid([(0, 1), (0, 1)], [8, 8])
    u2 = torch.sin(2 * torch.pi * (2 * grid2[:, 0] + grid2[:, 1]))
    y = torch.sin(2 * torch.pi * x[:, 0]) + 0.3 * torch.sin(2 * torch.pi * 6 * x[:, 0])
    ntk = empirical_ntk(TwoLayerFourierNet(1, 16, Gaussian(1.0), seed=0).double(), x, progress=False)
    relu_1d = MLP(1, 1, 6, 2, seed=0, dtype=torch.float64)
    box = [(-1.0, 1.0), (-1.0, 1.0)]
    target = WindowedCosines([0.4], width=1.5, center=0.5)
    points = np.linspace(-2.0, 2.0, 12)
    return {
        "History": lambda: history,
        "ErrorDynamics": lambda: error_dynamics(history),
        "FrequencyError": lambda: frequency_error(torch.stack([0 * y, y]), y, x),
        "FilteredErrors": lambda: filtered_errors(torch.stack([0 * y, y]), y, x, [0.002, 0.01]),
        "Spectrum": lambda: spectrum(u2, grid2),
        "RadialSpectrum": lambda: radial_average(spectrum(u2, grid2)),
        "EmpiricalNTK": lambda: ntk,
        "NTKSpectrum": lambda: ntk_spectrum(ntk, x, k=4),
        "OperatorData": lambda: antiderivative_data(2, 10, 12, seed=0),
        "MagnitudeEstimate": lambda: shallow_relu_magnitudes(8, 2.0, 0.5),
        "Regions2D": lambda: regions_2d(_relu_2d(), box),
        "SampledRegions": lambda: regions_2d_sampled(_relu_2d(), box, n=16),
        "NeuronActivity": lambda: dead_neurons(_relu_2d(), torch.rand(50, 2, dtype=torch.float64)),
        "Breakpoints": lambda: breakpoints_1d(relu_1d, -1.0, 1.0),
        "PartitionPoints": lambda: partition_points(relu_1d),
        "PDESolution": lambda: ReferenceSolver(Gaussian(1.0), 0.6, 0.3, (-3, 3), 40).solve(target, [0.0, 0.5]),
        "NonuniformSolution": lambda: NonuniformSolver(Gaussian(1.0), 0.6, points, window=3.0, cells=40).solve(
            target, [0.0, 0.5]
        ),
        "Comparison": lambda: Comparison(
            models=["MLP", "RepNet"],
            relative_l2=[0.1, 0.05],
            n_parameters=[10, 12],
            wall_time=[1.5, 2.0],
            kinks_start=[3.0, 4.0],
            kinks_end=[5.0, 6.0],
            settings={"steps": 10, "seed": 0},
        ),
    }


REAL = [
    "History",
    "ErrorDynamics",
    "FrequencyError",
    "FilteredErrors",
    "Spectrum",
    "RadialSpectrum",
    "EmpiricalNTK",
    "NTKSpectrum",
    "OperatorData",
    "MagnitudeEstimate",
    "Regions2D",
    "SampledRegions",
    "NeuronActivity",
    "Breakpoints",
    "PartitionPoints",
    "PDESolution",
    "NonuniformSolution",
    "Comparison",
]


def test_every_result_subclass_is_found_and_declares_every_array_field():
    names = {cls.__name__ for cls in RESULT_CLASSES}
    assert len(RESULT_CLASSES) >= 22 and set(REAL) <= names
    for cls in RESULT_CLASSES:
        for field in dataclasses.fields(cls):
            text = field.type if isinstance(field.type, str) else repr(field.type)
            holds_arrays = "np.ndarray" in text or "torch.Tensor" in text
            if field.metadata.get("save", True) and holds_arrays:
                assert array_schema(field) is not None, f"{cls.__name__}.{field.name} declares no shape and dtype"


@pytest.mark.filterwarnings("ignore")  # coarse solvers warn about their resolution: only the files matter here
@pytest.mark.parametrize("name", REAL)
def test_real_results_round_trip(name, history, tmp_path):
    result = _real_results(history)[name]()
    assert type(result).__name__ == name
    loaded = assert_round_trip(result, tmp_path)
    assert type(loaded) is type(result)


@pytest.mark.parametrize("cls", RESULT_CLASSES, ids=lambda c: c.__name__)
def test_every_result_round_trips_when_built_from_its_schema(cls, tmp_path):
    assert_round_trip(synthetic(cls), tmp_path)


def test_tuples_come_back_as_tuples_and_empty_dictionaries_as_dictionaries(tmp_path):
    estimate = assert_round_trip(shallow_relu_magnitudes(4, 1.0, 1.0, domain=(-2.0, 3.0)), tmp_path)
    assert estimate.domain == (-2.0, 3.0)  # a tuple again, not the JSON list
    empty = History(
        steps=np.arange(2),
        time=np.zeros(2),
        loss=np.ones(2),
        wall_time=np.zeros(2),
        probe=np.zeros((3, 1)),
        predictions=np.zeros((2, 3, 1)),
    )
    loaded = assert_round_trip(empty, tmp_path)
    assert loaded.records == {} and loaded.probe_target is None and loaded.seed is None


# ------------------------------------------------------------------------------------------------
# Schema declarations
# ------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Toy(Result):
    times: np.ndarray = array_field(("T",))
    values: np.ndarray = array_field([("T",), ("R", "T")], ("float", "complex"))
    edges: np.ndarray = array_field(("K+1",), "int")
    order: np.ndarray = array_field(("K-1",))
    free: np.ndarray = array_field(("...",), ("bool", "int", "float", "complex"))
    per_case: dict[str, np.ndarray] = array_dict_field(("W", "T"), per_key=True, default_factory=dict)
    per_case_total: dict[str, np.ndarray] = array_dict_field(("W",), per_key=True, default_factory=dict)
    label: str = "toy"


def _toy(**changes: Any) -> _Toy:
    base = dict(
        times=np.zeros(3),
        values=np.zeros((2, 3), complex),
        edges=np.arange(5),
        order=np.ones(3),
        free=np.zeros((2, 1, 4), bool),
        per_case={"a": np.zeros((1, 3)), "b": np.zeros((4, 5))},  # T per key: not the T of ``times``
        per_case_total={"a": np.zeros(1), "b": np.zeros(4)},
    )
    return _Toy(**{**base, **changes})


def test_symbols_alternatives_offsets_and_per_key_scopes(tmp_path):
    assert_round_trip(_toy(), tmp_path)
    assert_round_trip(_toy(values=np.ones(3)), tmp_path)  # the (T,) alternative
    with pytest.raises(ValueError, match=r"field 'order': expected a float array of shape \(K-1,\) with K = 4"):
        _Toy.load(_toy(order=np.ones(4)).save(tmp_path / "toy.npz"))
    with pytest.raises(ValueError, match=r"field 'values': expected .* shape \(T,\) or \(R, T\) with T = 3"):
        _Toy.load(_toy(values=np.ones((2, 4))).save(tmp_path / "toy.npz"))
    wrong = _toy(per_case_total={"a": np.zeros(1), "b": np.zeros(2)})
    with pytest.raises(
        ValueError, match=r"field 'per_case_total/b': expected .* \(W,\) with W = 4 \(from 'per_case/b'\)"
    ):
        _Toy.load(wrong.save(tmp_path / "toy.npz"))


def test_bad_declarations_are_refused_where_they_are_written():
    with pytest.raises(ValueError, match="shape: expected dimensions"):
        array_field(("R", "2x"))
    with pytest.raises(ValueError, match="at most one '...'"):
        array_field(("...", "R", "..."))
    with pytest.raises(ValueError, match="dtype: expected one or more of"):
        array_field(("R",), "float32")
    with pytest.raises(TypeError, match="shape: expected a tuple"):
        array_field("R")


# ------------------------------------------------------------------------------------------------
# Damaged and crafted files: refused with a ValueError naming the file (and the field)
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def saved(history, tmp_path) -> Path:
    return history.save(tmp_path / "history.npz")


def _header_only(shape: tuple[int, ...], descr: str = "<f8", data: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    npformat.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + data


def test_a_header_claiming_a_huge_shape_is_refused_before_any_allocation(saved):
    """0.95 MB of data under a header claiming (10**6, 10**3, 1) float64 (8 GB): load allocated it all before."""
    rewrite(saved, replace={"predictions": _header_only((10**6, 10**3, 1), data=b"\0" * 10**6)})
    assert saved.stat().st_size < 2 * 10**6
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as caught:
            History.load(saved)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert str(saved) in message and "field 'predictions'" in message and "8000000000 bytes" in message
    assert peak < 50 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_a_compressed_member_is_refused_so_nothing_can_inflate(saved):
    rewrite(saved, deflate=["predictions"])
    with pytest.raises(ValueError, match=r"field 'predictions': expected an uncompressed member") as caught:
        History.load(saved)
    assert str(saved) in str(caught.value)


def test_a_missing_field_is_named(saved):
    rewrite(saved, drop=["predictions"])
    with pytest.raises(ValueError, match=r"history.npz', field 'predictions': expected a saved field .* without it"):
        History.load(saved)


def test_strings_in_a_float_field_are_refused(history, saved):
    rewrite(saved, replace={"loss": npy(np.array(["a"] * len(history.steps)))})
    with pytest.raises(ValueError, match=r"field 'loss': expected a float array of shape \(R,\).*got a <U1 array"):
        History.load(saved)


def test_an_inconsistent_record_axis_is_refused(history, saved):
    n = len(history.steps)
    rewrite(saved, replace={"loss": npy(np.zeros(n + 1))})
    with pytest.raises(ValueError, match=rf"field 'loss': .* with R = {n} \(from 'steps'\), got .* shape \({n + 1},\)"):
        History.load(saved)
    probe_points = history.probe.shape[0]
    rewrite(saved, replace={"loss": npy(np.zeros(n)), "predictions": npy(np.zeros((n, probe_points + 1, 1)))})
    with pytest.raises(ValueError, match=rf"field 'predictions': .*\(R, P, c\) with R = {n} .*, P = {probe_points}"):
        History.load(saved)


def test_a_record_of_the_wrong_length_is_named_with_its_key(history, saved):
    key = next(iter(history.records))
    rewrite(saved, replace={f"records/{key}": npy(np.zeros(len(history.steps) + 2))})
    with pytest.raises(ValueError, match=rf"field 'records/{key}': expected .* \(R, \.\.\.\)"):
        History.load(saved)


def test_a_json_field_of_the_wrong_type_is_named(saved):
    meta = meta_of(saved)
    rewrite(saved, replace={"__meta__": npy(np.array(json.dumps({**meta, "seed": "zero"})))})
    with pytest.raises(ValueError, match=r"field 'seed': expected int \| None \(JSON\), got str 'zero'"):
        History.load(saved)
    rewrite(saved, replace={"__meta__": npy(np.array(json.dumps({**meta, "seed": 0, "versions": {"numpy": 2}})))})
    with pytest.raises(ValueError, match=r"field 'versions'\['numpy'\]: expected str \(JSON\), got int 2"):
        History.load(saved)


def test_an_array_field_stored_as_json_is_refused(saved):
    rewrite(saved, drop=["probe_target"])
    meta = meta_of(saved)
    rewrite(saved, replace={"__meta__": npy(np.array(json.dumps({**meta, "probe_target": [[1.0]]})))})
    with pytest.raises(ValueError, match=r"field 'probe_target': expected a float array .* or None, got list"):
        History.load(saved)


class _Marker:
    """Unpickling this creates the directory ``path``: proof that something was unpickled."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_an_object_array_is_refused_without_unpickling(saved, tmp_path):
    marker = tmp_path / "unpickled"
    payload = np.empty(3, dtype=object)
    payload[:] = [_Marker(str(marker))] * 3
    rewrite(saved, replace={"loss": npy(payload)})
    with pytest.raises(ValueError, match=r"field 'loss': expected an array of numbers \(object arrays are refused"):
        History.load(saved)
    assert not marker.exists()


def test_a_header_whose_data_is_short_or_long_is_refused(history, saved):
    n = len(history.steps)
    rewrite(saved, replace={"time": _header_only((n,), data=b"\0" * (8 * n - 1))})
    with pytest.raises(ValueError, match=rf"field 'time': expected a member whose data .* = {8 * n} bytes, got"):
        History.load(saved)
    rewrite(saved, replace={"time": _header_only((n,), data=b"\0" * (8 * n + 8))})
    with pytest.raises(ValueError, match="field 'time'"):
        History.load(saved)


@pytest.mark.parametrize(
    "content",
    [b"", b"not an npz at all\n" * 10, bytes(range(256)) * 4, "half"],
    ids=["empty", "text", "garbage", "truncated"],
)
def test_a_file_that_is_not_a_saved_result_gives_one_value_error_naming_it(content, saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2] if content == "half" else content)
    with pytest.raises(ValueError, match="expected an .npz file written by Result.save") as caught:
        History.load(saved)
    assert str(saved) in str(caught.value)


def test_a_foreign_npz_and_a_wrong_class_are_refused(saved, tmp_path):
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.zeros(3))
    with pytest.raises(ValueError, match=r"foreign.npz': expected a saved History \(an .npz with a __meta__ member\)"):
        History.load(foreign)
    with pytest.raises(ValueError, match=r"history.npz': expected a saved Spectrum, got a saved 'History'"):
        importlib.import_module("spectra.fourier").Spectrum.load(saved)
    rewrite(saved, replace={"__meta__": npy(np.array("{not json"))})
    with pytest.raises(ValueError, match=r"field '__meta__': expected a JSON object"):
        History.load(saved)


def test_a_missing_file_stays_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        History.load(tmp_path / "absent.npz")
