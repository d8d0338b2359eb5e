"""Result reprs read well in Jupyter: a short line for every result class, and a small HTML table."""

from __future__ import annotations

import dataclasses
import html.parser
import importlib
import pkgutil
import re
import types
import typing
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import spectra
from spectra import MLP, fit, uniform_grid
from spectra.ntk import empirical_ntk, ntk_spectrum
from spectra.results import DTYPE_KINDS, REPR_LIMIT, Result, array_schema
from spectra.targets import multiscale_1d

# Every module, so that every Result subclass is defined before the subclasses are listed.
OPTIONAL = {"spectra.lightning"}  # needs an optional extra, and defines no results
for _module in pkgutil.walk_packages(spectra.__path__, "spectra."):
    # _worker_site: sitecustomize for worker processes, not a library module
    if "_worker_site" not in _module.name and _module.name not in OPTIONAL:
        importlib.import_module(_module.name)


def _subclasses(cls: type) -> list[type]:
    return [c for s in cls.__subclasses__() for c in (s, *_subclasses(s))]


RESULT_CLASSES = sorted(set(_subclasses(Result)), key=lambda c: c.__name__)
LENGTH = 3  # every shape symbol's length in the synthetic instances
NASTY = "<b>x</b> & 'y'"  # a string that must come out escaped in HTML


def _dim(dim: Any) -> list[int]:
    if isinstance(dim, int):
        return [dim]
    if dim == "...":
        return [2]
    match = re.fullmatch(r"[A-Za-z_]\w*\s*([+-])\s*(\d+)", dim)
    if match is None:
        return [LENGTH]
    return [LENGTH + int(match.group(2)) if match.group(1) == "+" else LENGTH - int(match.group(2))]


def _array(schema: Any) -> np.ndarray:
    shape = [n for dim in schema.shapes[0] for n in _dim(dim)]
    kind = schema.dtypes[0]
    dtype = {"bool": bool, "int": np.int64, "float": np.float64, "complex": np.complex128, "str": str}[kind]
    assert DTYPE_KINDS[kind]  # a dtype name the schema knows
    return np.ones(shape, dtype=dtype) if kind != "str" else np.full(shape, "s")


def _json(annotation: Any) -> Any:
    """A small value of the annotated JSON type (strings carry HTML to test escaping)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return _json(next(a for a in args if a is not type(None)))
    target = origin or annotation
    if target is tuple:
        return tuple(_json(a) for a in args) if args and args[-1] is not Ellipsis else ()
    values = {bool: True, int: 7, float: 0.25, str: NASTY, list: [], dict: {}}
    return values.get(target, {} if target is typing.Any else None)


def synthetic(cls: type[Result]) -> Result:
    """An instance of ``cls`` built from its declared fields: arrays of the declared shapes, small JSON values."""
    hints = typing.get_type_hints(cls, vars(importlib.import_module(cls.__module__)))
    values = {}
    for field in dataclasses.fields(cls):
        schema = array_schema(field)
        if schema is not None and schema.mapping:
            values[field.name] = {"a": _array(schema), "b": _array(schema)}
        elif schema is not None:
            values[field.name] = _array(schema)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            values[field.name] = _json(hints[field.name])
    return cls(**values)


class _Parser(html.parser.HTMLParser):
    """Collects tags and text, and checks that every opened tag is closed in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        if tag not in ("img", "br"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, f"</{tag}> closes nothing open"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_every_result_class_is_listed():
    names = {c.__name__ for c in RESULT_CLASSES}
    assert {"History", "NTKSpectrum", "PDESolution", "Breakpoints", "LinearizedComparison", "Comparison"} <= names
    assert len(RESULT_CLASSES) >= 20


@pytest.mark.parametrize("cls", RESULT_CLASSES, ids=lambda c: c.__name__)
def test_every_result_has_a_short_repr(cls):
    result = synthetic(cls)
    text = repr(result)
    assert len(text) <= REPR_LIMIT, text
    assert text.startswith(f"<{cls.__name__}") and text.endswith(">")
    assert "array(" not in text and "\n" not in text  # no array data
    names = [f.name for f in dataclasses.fields(cls)]
    assert re.search(rf"[|,] {names[0]}[:=]", text)  # at least the first field
    for field in dataclasses.fields(cls):  # every plain array shown, with its dtype and shape
        value = getattr(result, field.name)
        if isinstance(value, (np.ndarray, torch.Tensor)) and f" {field.name}: " in text:
            dtype = str(value.dtype).removeprefix("torch.")
            assert f" {field.name}: {dtype} {tuple(value.shape)}" in text


@pytest.mark.parametrize("cls", RESULT_CLASSES, ids=lambda c: c.__name__)
def test_every_result_has_an_html_table(cls, monkeypatch):
    # The thumbnails are tested below on real results; synthetic data need not make a plottable figure.
    monkeypatch.setattr(cls, "_thumbnail", lambda self: None)
    result = synthetic(cls)
    page = result._repr_html_()
    parser = _Parser()
    parser.feed(page)
    parser.close()
    assert parser.stack == [] and "table" in parser.tags
    assert cls.__name__ in "".join(parser.text)
    if any(getattr(result, f.name) is NASTY for f in dataclasses.fields(cls)):
        assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
        assert any("<b>x</b>" in t for t in parser.text)  # shown as text, not as markup


def test_repr_never_exceeds_the_limit_and_says_what_it_left_out():
    @dataclasses.dataclass
    class Wide(Result):
        a: np.ndarray = Result.array_field(("...",))
        b: dict[str, float] = dataclasses.field(default_factory=dict)

    wide = Wide(np.zeros((5, 7)), {f"case_{i:02d}": 0.5 for i in range(40)})
    assert repr(wide) == "<Wide | a: float64 (5, 7), b: {40 keys} of float>"
    assert repr(Wide(np.zeros(2), {"MLP": np.ones(3)})) == "<Wide | a: float64 (2,), b: {MLP} of arrays>"
    many = dataclasses.make_dataclass("Many", [(f"x{i}", float, 0.125) for i in range(60)], bases=(Result,))
    text = repr(many())
    assert len(text) <= REPR_LIMIT and text.startswith("<Many | x0=0.125, x1=0.125")
    shown = text.count("=0.125")
    assert text.endswith(f", … {60 - shown} more>")


def test_a_failing_thumbnail_leaves_the_table(monkeypatch):
    spectrum = synthetic(RESULT_CLASSES[[c.__name__ for c in RESULT_CLASSES].index("NTKSpectrum")])

    def broken(self):
        raise RuntimeError("no display")

    monkeypatch.setattr(type(spectrum), "_thumbnail", broken)
    page = spectrum._repr_html_()
    assert "<table" in page and "<img" not in page


@pytest.fixture(scope="module")
def trained():
    """A small History and the NTK spectrum of the trained model, as a user would make them."""
    torch.manual_seed(0)
    target = multiscale_1d()
    x = uniform_grid(target.domain, 64, endpoint=True, dtype=torch.float64)
    probe = uniform_grid(target.domain, 257, endpoint=True, dtype=torch.float64)
    model = MLP(1, 1, width=16, depth=2, seed=0).double()
    history = fit(model, x, target(x), lr=1e-3, steps=40, probe=probe, probe_target=target(probe), progress=False)
    grid = uniform_grid((0.0, 1.0), 64)
    return history, ntk_spectrum(empirical_ntk(model, grid), grid)


def test_history_and_ntk_spectrum_reprs_name_kind_shapes_and_headline(trained):
    history, spectrum = trained
    text = repr(history)
    assert len(text) <= REPR_LIMIT and text.startswith("<History")
    assert f"predictions: float64 ({len(history.steps)}, 257, 1)" in text
    text = repr(spectrum)
    assert len(text) <= REPR_LIMIT
    assert text.startswith(f"<NTKSpectrum | λ_1={spectrum.eigenvalues[0]:.4g}, λ_64={spectrum.eigenvalues[-1]:.4g}")
    assert "eigenvectors: float64 (64, 64)" in text and "method='eigh'" in text


def test_html_repr_has_a_thumbnail_where_one_fits(trained):
    history, spectrum = trained
    open_figures = plt.get_fignums()
    for result in (history, spectrum):
        page = result._repr_html_()
        assert plt.get_fignums() == open_figures  # closed, or Jupyter would show it a second time
        match = re.search(r"<img src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
        assert match is not None and len(match.group(1)) > 1000
        assert "<table" in page
