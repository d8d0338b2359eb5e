"""Result objects: dataclasses that save whole or not at all.

Every analysis in ``spectra`` returns a dataclass deriving from :class:`Result`. Its fields are
NumPy arrays, dictionaries of arrays, or JSON-serialisable values (a field declared with
``metadata={"save": False}`` is left out and takes its default on load). ``save(path)`` writes one
``.npz`` file: the arrays under their field names (``field/key`` for dictionaries of arrays) and
everything else as JSON in ``__meta__``. The file is written whole or not at all
(:func:`spectra.output.write_atomic`).
``load(path)`` rebuilds the dataclass. ``to_frame()`` returns a tidy ``pandas.DataFrame``
(one observation per row), ready for seaborn.

Display. ``repr(result)`` is one short line (at most ``REPR_LIMIT`` characters): the kind, the
class's headline numbers (``Result._headline``), the dtype and shape of each array field and the
value of each scalar field, e.g. ``<NTKSpectrum | largest eigenvalue=736.6 | eigenvalues: float64
(256,), ...>``; never the array data. In Jupyter, ``_repr_html_`` shows the same as a small table with a
thumbnail figure where one fits (:mod:`spectra.plots.thumbnails`).

Schema. Each array field declares its shape and dtype where it is defined::

    steps: np.ndarray = Result.array_field(("R",), "int")
    predictions: np.ndarray = Result.array_field(("R", "P", "c"))          # float by default
    probe_target: np.ndarray | None = Result.array_field(("P", "c"), optional=True)
    records: dict[str, np.ndarray] = Result.array_dict_field(("R", "..."), default_factory=dict)

A symbol ("R") takes one length across all the fields of a result (``per_key=True``: per key of the
dictionaries), "K+1" / "C-1" are offsets of a symbol, "..." stands for any axes (``("...",)``: a free
shape), and a list of shapes gives alternatives. Every other saved field is JSON, checked against
its type annotation. ``load`` checks a file against this schema before it reads any array data:
presence, dtype and shape come from each member's ``.npy`` header, which must agree with the
member's stored size, and compressed members are refused (``save`` never writes them), so a file
can never make ``load`` allocate more than its own size. Nothing is unpickled. A file that does not
fit is refused with a ``ValueError`` naming the file and the field.
"""

from __future__ import annotations

import base64
import collections.abc
import dataclasses
import html
import io
import json
import math
import os
import platform
import re
import sys
import types
import typing
import zipfile
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Self

import numpy as np
import pandas as pd
from numpy.lib import format as npformat

from spectra._validation import fail
from spectra.output import write_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_META_KEY = "__meta__"
_DICT_SEPARATOR = "/"


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


# ----------------------------------------------------------------------------------------------
# Schemas: what each saved field must hold, declared once next to the field.
# ----------------------------------------------------------------------------------------------

_SCHEMA_KEY = "spectra.schema"
_ELLIPSIS = "..."
_DIM_PATTERN = re.compile(r"^([A-Za-z_][A-Za-z_0-9]*)(?:\s*([+-])\s*(\d+))?$")
#: dtype names a schema may use, and the NumPy kinds each accepts.
DTYPE_KINDS = {"bool": "b", "int": "iu", "float": "f", "complex": "c", "str": "U"}
_MAX_HEADER_SIZE = 10_000  # numpy.lib.format's default bound on an .npy header
_NPY_SUFFIX = ".npy"

Dim = str | int
Shape = tuple[Dim, ...]


@dataclasses.dataclass(frozen=True)
class ArraySchema:
    """What an array field (or each value of a dictionary-of-arrays field) must hold.

    ``shapes``: the accepted shapes, alternatives tried in order. Each entry of a shape is an integer
    (that exact length), a symbol such as ``"R"`` (any length, but the same for every use of the
    symbol in the result), a symbol plus or minus a constant (``"K+1"``), or ``"..."`` (any number of
    axes of any length; ``("...",)`` is a shape that is free). ``dtypes``: the accepted kinds, names
    from ``DTYPE_KINDS``. ``optional``: the field may be None. ``mapping``: the field is a
    dictionary of arrays, each value checked against the schema. ``per_key``: the symbols of a
    mapping field are bound separately for each key (shared by the mapping fields of that key).
    """

    shapes: tuple[Shape, ...]
    dtypes: tuple[str, ...]
    optional: bool = False
    mapping: bool = False
    per_key: bool = False

    def describe(self) -> str:
        kinds = " or ".join(self.dtypes)
        shapes = " or ".join(_shape_text(s) for s in self.shapes)
        article = "an" if kinds[0] in "aeiou" else "a"
        return f"{article} {kinds} array of shape {shapes}"


def _shape_text(shape: Sequence[Any]) -> str:
    inner = ", ".join(str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _parse_shapes(shape: Any) -> tuple[Shape, ...]:
    """One shape (a tuple of dims) or a list of alternative shapes -> a tuple of checked shapes."""
    alternatives = shape if isinstance(shape, list) else [shape]
    if not alternatives:
        fail("shape", "a shape or a non-empty list of alternative shapes", shape, TypeError)
    parsed = []
    for candidate in alternatives:
        if not isinstance(candidate, tuple):
            fail(
                "shape", "a tuple of dimensions such as ('R', 'P', 'c'), or a list of such tuples", candidate, TypeError
            )
        if sum(d == _ELLIPSIS for d in candidate) > 1:
            fail("shape", "at most one '...' in a shape", candidate)
        for dim in candidate:
            ok = (isinstance(dim, int) and not isinstance(dim, bool) and dim >= 0) or (
                isinstance(dim, str) and (dim == _ELLIPSIS or _DIM_PATTERN.match(dim) is not None)
            )
            if not ok:
                fail("shape", "dimensions that are integers >= 0, symbols ('R', 'K+1') or '...'", candidate)
        parsed.append(candidate)
    return tuple(parsed)


def _parse_dtypes(dtype: str | Sequence[str]) -> tuple[str, ...]:
    dtypes = (dtype,) if isinstance(dtype, str) else tuple(dtype)
    if not dtypes or any(d not in DTYPE_KINDS for d in dtypes):
        fail("dtype", "one or more of " + ", ".join(repr(k) for k in DTYPE_KINDS), dtype)
    return dtypes


def _with_schema(schema: ArraySchema, kwargs: dict[str, Any]) -> Any:
    metadata = dict(kwargs.pop("metadata", None) or {})
    metadata[_SCHEMA_KEY] = schema
    return dataclasses.field(metadata=metadata, **kwargs)


def array_field(
    shape: Shape | list[Shape], dtype: str | Sequence[str] = "float", *, optional: bool = False, **kwargs: Any
) -> Any:
    """A dataclass field holding a NumPy array of the declared shape and dtype (see :class:`ArraySchema`).

    ``array_field(shape=("R", "P", "c"))``: a float array whose first axis has the length of every
    other "R" of the result. ``optional=True`` allows None (and makes None the default). Other
    keyword arguments go to :func:`dataclasses.field`.
    """
    if optional:
        kwargs.setdefault("default", None)
    return _with_schema(ArraySchema(_parse_shapes(shape), _parse_dtypes(dtype), optional=optional), kwargs)


def array_dict_field(
    shape: Shape | list[Shape], dtype: str | Sequence[str] = "float", *, per_key: bool = False, **kwargs: Any
) -> Any:
    """A dataclass field holding a dictionary of NumPy arrays, each of the declared shape and dtype.

    ``array_dict_field(shape=("R", "..."))``: every value has a first axis of length R (shared with
    the other fields), then any axes. ``per_key=True``: the symbols are bound per key (for results
    with one entry per case, whose cases differ in size). Other keyword arguments go to
    :func:`dataclasses.field`.
    """
    schema = ArraySchema(_parse_shapes(shape), _parse_dtypes(dtype), mapping=True, per_key=per_key)
    return _with_schema(schema, kwargs)


def array_schema(field: dataclasses.Field) -> ArraySchema | None:
    """The schema declared for a field by :func:`array_field` / :func:`array_dict_field` (None: a JSON field)."""
    return field.metadata.get(_SCHEMA_KEY)


def _describe_array(shape: tuple[int, ...], dtype: np.dtype) -> str:
    article = "an" if str(dtype)[0] in "aeiou" else "a"
    return f"{article} {dtype} array of shape {_shape_text(shape)}"


class _Dimensions:
    """The lengths bound to the symbols of a result's shapes while its fields are checked."""

    def __init__(self) -> None:
        self.values: dict[tuple[Any, str], tuple[int, str]] = {}  # (scope, symbol) -> (length, field)

    def match(self, shape: Shape, actual: tuple[int, ...], scope: Any, source: str) -> dict | None:
        """Bindings that make ``actual`` fit ``shape`` (None: it does not fit)."""
        if _ELLIPSIS in shape:
            at = shape.index(_ELLIPSIS)
            head, tail = shape[:at], shape[at + 1 :]
            if len(actual) < len(head) + len(tail):
                return None
            pairs = list(zip(head, actual[: len(head)], strict=True))
            pairs += list(zip(tail, actual[len(actual) - len(tail) :], strict=True))
        elif len(shape) != len(actual):
            return None
        else:
            pairs = list(zip(shape, actual, strict=True))
        new: dict[tuple[Any, str], tuple[int, str]] = {}
        for dim, length in pairs:
            if isinstance(dim, int):
                if dim != length:
                    return None
                continue
            name, sign, offset = _DIM_PATTERN.match(dim).groups()
            value = length - int(offset) if sign == "+" else length + int(offset) if sign == "-" else length
            if value < 0:
                return None
            key = (scope, name)
            known = self.values.get(key, new.get(key))
            if known is None:
                new[key] = (value, source)
            elif known[0] != value:
                return None
        return new

    def bind(self, schema: ArraySchema, actual: tuple[int, ...], scope: Any, source: str) -> bool:
        for shape in schema.shapes:
            new = self.match(shape, actual, scope, source)
            if new is not None:
                self.values.update(new)
                return True
        return False

    def known(self, schema: ArraySchema, scope: Any) -> str:
        """'R = 3 (from 'steps'), ...' for the symbols of ``schema`` already bound."""
        names = []
        for shape in schema.shapes:
            for dim in shape:
                if isinstance(dim, str) and dim != _ELLIPSIS:
                    name = _DIM_PATTERN.match(dim).group(1)
                    if name not in names:
                        names.append(name)
        parts = [
            f"{name} = {self.values[(scope, name)][0]} (from {self.values[(scope, name)][1]!r})"
            for name in names
            if (scope, name) in self.values
        ]
        return f" with {', '.join(parts)}" if parts else ""


# ----------------------------------------------------------------------------------------------
# Reading an .npz without trusting it: headers first, data only once every field has been checked.
# ----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Member:
    info: zipfile.ZipInfo
    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool


class _NpzReader:
    """An ``.npz`` opened for checking: member headers are read on demand, data only by :meth:`array`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"path {str(path)!r}"
        handle = open(path, "rb")  # closed by __exit__; a missing file stays FileNotFoundError
        try:
            self.size = os.fstat(handle.fileno()).st_size
            self.zip = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as error:
            handle.close()
            self._refuse(f"an .npz file written by Result.save (a zip archive), got a file that is not one ({error})")
        self.handle = handle
        self.members = {
            info.filename[: -len(_NPY_SUFFIX)]: info
            for info in self.zip.infolist()
            if info.filename.endswith(_NPY_SUFFIX)
        }
        self.headers: dict[str, _Member] = {}

    def __enter__(self) -> _NpzReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.close()
        self.handle.close()

    def _refuse(self, message: str) -> NoReturn:
        raise ValueError(f"{self.where}: expected {message}")

    def refuse(self, field: str, expected: str, given: str, within: str = "") -> NoReturn:
        raise ValueError(f"{self.where}, field {field!r}{within}: expected {expected}, got {given}")

    def header(self, name: str, field: str) -> _Member:
        """Shape and dtype of member ``name``, checked against the member's stored size; no data read."""
        if name in self.headers:
            return self.headers[name]
        info = self.members[name]
        if info.flag_bits & 0x1:
            self.refuse(field, "an unencrypted member", f"an encrypted member {info.filename!r}")
        if info.compress_type != zipfile.ZIP_STORED:
            self.refuse(
                field,
                "an uncompressed member (Result.save never compresses)",
                f"member {info.filename!r} compressed with method {info.compress_type}",
            )
        if info.compress_size != info.file_size or info.header_offset + info.compress_size > self.size:
            self.refuse(
                field,
                f"a member that fits in the file ({self.size} bytes)",
                f"member {info.filename!r} claiming {info.file_size} bytes (the file is truncated or damaged)",
            )
        readers = {(1, 0): npformat.read_array_header_1_0, (2, 0): npformat.read_array_header_2_0}
        try:
            with self.zip.open(info) as stream:
                version = npformat.read_magic(stream)
                if version in readers:
                    shape, fortran_order, dtype = readers[version](stream, _MAX_HEADER_SIZE)
                    offset = stream.tell()
        except (ValueError, EOFError, OSError, zipfile.BadZipFile, SyntaxError, TypeError) as error:
            self.refuse(field, "a member holding an .npy array", f"member {info.filename!r} that is not one ({error})")
        if version not in readers:
            self.refuse(field, "an .npy member of format version 1.0 or 2.0", f"version {version}")
        if dtype.hasobject:
            self.refuse(
                field,
                "an array of numbers (object arrays are refused: loading one would unpickle)",
                f"member {info.filename!r} of dtype {dtype}",
            )
        stored = info.file_size - offset
        claimed = math.prod(shape) * dtype.itemsize
        if claimed != stored:
            self.refuse(
                field,
                f"a member whose data fills its header's shape {_shape_text(shape)} × {dtype.itemsize} bytes "
                f"= {claimed} bytes",
                f"{stored} bytes of data in member {info.filename!r}",
            )
        member = _Member(info, tuple(int(n) for n in shape), dtype, bool(fortran_order))
        self.headers[name] = member
        return member

    def array(self, member: _Member, field: str) -> np.ndarray:
        """The data of a member whose header has been checked (at most its stored size is allocated)."""
        try:
            with self.zip.open(member.info) as stream:
                return npformat.read_array(stream, allow_pickle=False, max_header_size=_MAX_HEADER_SIZE)
        except (ValueError, EOFError, OSError, zipfile.BadZipFile) as error:
            self.refuse(field, "a readable array", f"member {member.info.filename!r} that is damaged ({error})")

    def meta(self, cls: type) -> dict[str, Any]:
        """The JSON ``__meta__`` of the file, checked to describe a saved ``cls``."""
        if _META_KEY not in self.members:
            self._refuse(
                f"a saved {cls.__name__} (an .npz with a {_META_KEY} member), got an .npz without one "
                f"(members: {sorted(self.members)[:8]})"
            )
        member = self.header(_META_KEY, _META_KEY)
        if member.shape != () or member.dtype.kind != "U":
            self.refuse(_META_KEY, "a JSON string", _describe_array(member.shape, member.dtype))
        try:
            meta = json.loads(str(self.array(member, _META_KEY)[()]))
        except (ValueError, RecursionError) as error:
            self.refuse(_META_KEY, "a JSON object", f"text that is not JSON ({error})")
        if not isinstance(meta, dict):
            self.refuse(_META_KEY, "a JSON object", _short(meta))
        if meta.get("__class__") != cls.__name__:
            self._refuse(f"a saved {cls.__name__}, got a saved {meta.get('__class__')!r}")
        dicts = meta.get("__array_dicts__", [])
        if not isinstance(dicts, list) or not all(isinstance(name, str) for name in dicts):
            self.refuse("__array_dicts__", "a list of field names", _short(dicts))
        return meta


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return f"{type(value).__name__} {text}"


# ----------------------------------------------------------------------------------------------
# JSON fields: checked against the dataclass's type annotations.
# ----------------------------------------------------------------------------------------------


class _JSONMismatch(Exception):
    def __init__(self, where: str, expected: Any, value: Any) -> None:
        super().__init__(where)
        self.where, self.expected, self.value = where, expected, value


def _type_text(annotation: Any) -> str:
    if annotation is type(None):
        return "None"
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _conform(value: Any, annotation: Any, where: str = "") -> Any:
    """``value`` read from JSON, checked against ``annotation``; tuples come back as tuples."""
    if annotation is Any or annotation is object:
        return value
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        for option in args:
            try:
                return _conform(value, option, where)
            except _JSONMismatch:
                continue
        raise _JSONMismatch(where, annotation, value)
    if annotation is None or annotation is type(None):
        if value is None:
            return value
        raise _JSONMismatch(where, annotation, value)
    target = origin or annotation
    if target is bool:
        ok = isinstance(value, bool)
    elif target is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif target is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif target is str:
        ok = isinstance(value, str)
    elif target in (list, tuple, Sequence, collections.abc.Sequence):
        if not isinstance(value, list):
            raise _JSONMismatch(where, annotation, value)
        if target is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            if len(args) != len(value):
                raise _JSONMismatch(where, annotation, value)
            return tuple(_conform(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args, strict=True)))
        item = args[0] if args else Any
        items = [_conform(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if target is tuple else items
    elif target in (dict, Mapping, collections.abc.Mapping):
        if not isinstance(value, dict):
            raise _JSONMismatch(where, annotation, value)
        item = args[1] if len(args) == 2 else Any
        return {k: _conform(v, item, f"{where}[{k!r}]") for k, v in value.items()}
    else:  # e.g. np.ndarray: cannot come from JSON
        ok = False
    if not ok:
        raise _JSONMismatch(where, annotation, value)
    return value


def _annotation(cls: type, field: dataclasses.Field) -> Any:
    """The field's annotation as a type (Any where it cannot be resolved)."""
    if not isinstance(field.type, str):
        return field.type
    namespace = dict(vars(sys.modules[cls.__module__]))
    try:
        return eval(field.type, namespace)  # the class's own annotation, in its module
    except Exception:  # e.g. a name imported only for type checking
        return Any


# ----------------------------------------------------------------------------------------------
# Display: a short repr and an HTML table, describing fields without printing their data.
# ----------------------------------------------------------------------------------------------

#: The longest ``repr`` of a result, in characters.
REPR_LIMIT = 400
_INLINE_LIMIT = 40  # longest inline text of one value (a string, a short list, a set of keys)
_THUMBNAIL_PX = 320  # width of the HTML repr's thumbnail figure


def _number(value: Any) -> str:
    """A scalar as short text: floats to 4 significant digits, strings quoted and cut."""
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= _INLINE_LIMIT else text[: _INLINE_LIMIT - 2] + "…'"
    return type(value).__name__


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str, np.generic))


def _array_text(value: Any) -> str:
    """'float64 (64, 64)' for a NumPy array or a torch tensor (with its device when not the CPU)."""
    shape = _shape_text(tuple(value.shape))
    if isinstance(value, np.ndarray):
        return f"{value.dtype} {shape}"
    dtype = str(value.dtype).removeprefix("torch.")
    device = str(getattr(value, "device", "cpu"))
    return f"{dtype} {shape}" + ("" if device == "cpu" else f" on {device}")


def _is_array(value: Any) -> bool:
    """A NumPy array or a torch tensor, without importing torch (results need not hold tensors)."""
    return isinstance(value, np.ndarray) or (
        type(value).__module__.startswith("torch") and hasattr(value, "shape") and hasattr(value, "dtype")
    )


def _describe_value(value: Any, seen_keys: set[tuple[str, ...]]) -> tuple[str, str]:
    """(separator, text) describing one field value: ('=', '0.5') for scalars, (': ', 'float64 (3,)') else.

    A mapping shows its keys the first time a set of keys appears (``seen_keys`` collects them), so
    that a result with many per-model dictionaries names the models once.
    """
    if _is_scalar(value):
        return "=", _number(value)
    if _is_array(value):
        return ": ", _array_text(value)
    if isinstance(value, Mapping):
        values = list(value.values())
        kinds = {type(v) for v in values}
        if values and all(_is_array(v) for v in values):
            of = " of arrays"
        elif len(kinds) == 1:
            of = f" of {kinds.pop().__name__}"
        else:
            of = ""
        keys = tuple(str(k) for k in value)
        listed = "{" + ", ".join(keys) + "}"
        if keys in seen_keys or len(listed) > _INLINE_LIMIT:
            listed = f"{{{len(keys)} keys}}"
        seen_keys.add(keys)
        return ": ", listed + of
    if isinstance(value, (list, tuple)):
        if all(_is_scalar(v) for v in value):
            inner = ", ".join(_number(v) for v in value)
            text = f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
            if len(text) <= _INLINE_LIMIT:
                return "=", text
        return ": ", f"{type(value).__name__} of {len(value)}"
    return ": ", type(value).__name__


def _field_items(result: Result) -> list[tuple[str, str, str]]:
    """(name, separator, text) for every field of ``result`` shown in its repr."""
    seen_keys: set[tuple[str, ...]] = set()
    items = []
    for field in dataclasses.fields(result):
        if field.repr:
            separator, text = _describe_value(getattr(result, field.name), seen_keys)
            items.append((field.name, separator, text))
    return items


def _headline_items(result: Result) -> list[str]:
    return [f"{name}={_number(value)}" for name, value in result._headline()]


def _html_cell(text: str) -> str:
    return f"<td style='text-align:left'>{html.escape(text)}</td>"


@dataclasses.dataclass
class Result:
    """Base class of result dataclasses: ``save``/``load`` to one ``.npz`` and ``to_frame``.

    Array fields are declared with :func:`array_field` / :func:`array_dict_field` (their shape and
    dtype); every other saved field is JSON, checked on load against its type annotation. The repr is
    short and the HTML repr a table (module docstring); a subclass adds its headline numbers by
    overriding ``_headline``, and its thumbnail by registering a plot in
    :mod:`spectra.plots.thumbnails` (or overriding ``_thumbnail``).
    """

    #: The schema helpers, reachable from any module that imports :class:`Result`.
    array_field = staticmethod(array_field)
    array_dict_field = staticmethod(array_dict_field)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # @dataclass gives each subclass a field-by-field __repr__ (thousands of characters of array
        # data) unless the class body defines one; it runs after this hook and leaves an existing
        # __repr__ in place, so pinning the inherited one here keeps every subclass's repr short.
        if "__repr__" not in cls.__dict__:
            cls.__repr__ = cls.__repr__

    def _headline(self) -> list[tuple[str, Any]]:
        """The few numbers that say what this result found, as (name, value) pairs (shown first in reprs)."""
        return []

    def _thumbnail(self) -> Figure | None:
        """A small figure of this result for the HTML repr (None: no figure fits)."""
        # Imported here: plotting depends on the result classes, not the other way round.
        from spectra.plots.thumbnails import thumbnail

        return thumbnail(self)

    def __repr__(self) -> str:
        """``<Kind | headline numbers | field: dtype (shape), field=value, …>``, at most REPR_LIMIT characters."""
        head = f"<{type(self).__name__}"
        headline = ", ".join(_headline_items(self))
        if headline:
            head += f" | {headline}"
        fields = [f"{name}{separator}{text}" for name, separator, text in _field_items(self)]
        for count in range(len(fields), -1, -1):  # as many fields as fit, then how many were left out
            left = len(fields) - count
            body = ", ".join(fields[:count] + ([f"… {left} more"] if left else []))
            text = head + (f" | {body}" if body else "") + ">"
            if len(text) <= REPR_LIMIT:
                return text
        return head[: REPR_LIMIT - 2] + "…>"  # only a headline longer than the limit gets here

    def _repr_html_(self) -> str:
        """Jupyter's view: a table of the headline numbers and fields, and a thumbnail figure where one fits."""
        rows = [
            f"<tr><th style='text-align:left'>{html.escape(n)}</th>{_html_cell(_number(v))}</tr>"
            for n, v in self._headline()
        ]
        rows += [
            f"<tr><td style='text-align:left'><code>{html.escape(n)}</code></td>{_html_cell(t)}</tr>"
            for n, _, t in _field_items(self)
        ]
        table = (
            f"<table><caption style='text-align:left'><b>{html.escape(type(self).__name__)}</b></caption>"
            + "".join(rows)
            + "</table>"
        )
        image = self._thumbnail_png()
        if image is None:
            return f"<div>{table}</div>"
        figure = f"<img src='data:image/png;base64,{image}' alt='{html.escape(type(self).__name__)} thumbnail'>"
        return f"<div style='display:flex;gap:1em;align-items:flex-start'>{table}{figure}</div>"

    def _thumbnail_png(self) -> str | None:
        """The thumbnail as base64 PNG text, or None when there is none or it cannot be drawn."""
        try:
            figure = self._thumbnail()
        except Exception:  # a repr must never fail: the table alone still describes the result
            return None
        if figure is None:
            return None
        import matplotlib.pyplot as plt

        try:
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=_THUMBNAIL_PX / figure.get_figwidth())
            return base64.b64encode(buffer.getvalue()).decode("ascii")
        except Exception:  # as above: a figure that cannot be rendered leaves the table
            return None
        finally:
            plt.close(figure)  # closed, so that Jupyter's inline backend does not show it a second time

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
        """Load a result saved by :meth:`save`, checking it against the class's schema first.

        Every field's presence, dtype and shape (read from the ``.npy`` headers, which must agree
        with each member's stored size) and every JSON field's type are checked before any array
        data is read, so a damaged or crafted file is refused with a ``ValueError`` that names the
        file and the field, and never makes ``load`` allocate more than the file's size. Nothing is
        unpickled (object arrays are refused).
        """
        path = Path(path)
        with _NpzReader(path) as reader:
            meta = reader.meta(cls)
            array_dicts = set(meta.get("__array_dicts__", []))
            dims = _Dimensions()
            values: dict[str, Any] = {}
            pending: list[tuple[str, str | None, _Member]] = []  # (field, key, member) to read

            def check(member_name: str, label: str, schema: ArraySchema, scope: Any) -> _Member:
                member = reader.header(member_name, label)
                if member.dtype.kind not in "".join(DTYPE_KINDS[d] for d in schema.dtypes):
                    reader.refuse(label, schema.describe(), _describe_array(member.shape, member.dtype))
                if not dims.bind(schema, member.shape, scope, label):
                    reader.refuse(
                        label,
                        schema.describe() + dims.known(schema, scope),
                        _describe_array(member.shape, member.dtype),
                    )
                return member

            for field in dataclasses.fields(cls):
                if not field.metadata.get("save", True) or not field.init:
                    continue
                name = field.name
                schema = array_schema(field)
                required = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
                if schema is not None and schema.mapping:
                    prefix = name + _DICT_SEPARATOR
                    if name in array_dicts:
                        keys = [m[len(prefix) :] for m in reader.members if m.startswith(prefix)]
                        for key in keys:
                            scope = ("key", key) if schema.per_key else None
                            member = check(prefix + key, f"{name}{_DICT_SEPARATOR}{key}", schema, scope)
                            pending.append((name, key, member))
                        values[name] = {}
                    elif name in meta:
                        if meta[name] != {}:  # save() writes an empty dictionary of arrays as JSON {}
                            reader.refuse(name, "a dictionary of arrays, each " + schema.describe(), _short(meta[name]))
                        values[name] = {}
                    elif required:
                        reader.refuse(name, "a saved field (a dictionary of arrays)", "a file without it")
                elif schema is not None:
                    if name in reader.members:
                        pending.append((name, None, check(name, name, schema, None)))
                    elif name in meta and meta[name] is None and schema.optional:
                        values[name] = None
                    elif name in meta:
                        reader.refuse(
                            name, schema.describe() + (" or None" if schema.optional else ""), _short(meta[name])
                        )
                    elif required:
                        reader.refuse(name, "a saved field (" + schema.describe() + ")", "a file without it")
                elif name in meta:
                    annotation = _annotation(cls, field)
                    try:
                        values[name] = _conform(meta[name], annotation)
                    except _JSONMismatch as mismatch:
                        type_text = field.type if not mismatch.where else _type_text(mismatch.expected)
                        reader.refuse(name, f"{type_text} (JSON)", _short(mismatch.value), mismatch.where)
                elif name in reader.members:
                    reader.refuse(name, "a JSON value", "an array")
                elif required:
                    reader.refuse(name, "a saved field", "a file without it")

            for name, key, member in pending:  # every header checked: now read, within the file's size
                label = name if key is None else f"{name}{_DICT_SEPARATOR}{key}"
                array = reader.array(member, label)
                if key is None:
                    values[name] = array
                else:
                    values[name][key] = array
        return cls(**values)
