"""Write the intersphinx inventories under ``docs/_inventories/`` from the installed libraries.

Why: ``sphinx.ext.intersphinx`` resolves a reference such as ``torch.Tensor`` through the target
library's ``objects.inv``, which it normally downloads from the library's web site. The machines that
build this documentation (developers' and CI's) reach package registries only, so ``docs/conf.py``
reads the inventories committed here instead, and the build needs no network. Set
``SPECTRA_DOCS_ONLINE=1`` to make ``conf.py`` try each library's published inventory first (the
committed file stays the fallback).

How: for each library this script imports the installed package, walks the public names of a fixed
list of its modules (``__all__`` where the module defines one, else the names without a leading
underscore), keeps modules, classes and functions, and gives each name the address the library's own
Sphinx site gives it. Those sites follow a few documented patterns, applied here:

- Python: ``library/<module>.html#<module>.<name>``; built-in functions and types in ``functions.html`` or
  ``stdtypes.html``, exceptions and warnings in ``exceptions.html``.
- NumPy: one autosummary page per object, ``reference/generated/numpy.<name>.html``; ``numpy.random``
  under ``reference/random/``; ``numpy.typing`` on ``reference/typing.html``.
- SciPy: ``reference/generated/scipy.<module>.<name>.html``; module pages ``reference/<module>.html``.
- PyTorch: ``generated/torch.<name>.html`` (also for ``torch.nn``, ``torch.func``, ``torch.optim``, ...);
  ``torch.Tensor`` on ``tensors.html``, ``dtype`` and ``device`` on ``tensor_attributes.html``,
  ``torch.utils.data`` on ``data.html``.
- Matplotlib: ``api/_as_gen/<name>.html`` (pyplot, ``Figure`` and its methods, ``matplotlib.colors``);
  ``Axes`` on ``api/axes_api.html``; module pages ``api/<module>_api.html``.
- pandas: ``reference/api/pandas.<name>.html``.
- DOLFINx: one page per module, ``generated/dolfinx.<module>.html#dolfinx.<module>.<name>``, for the
  installed version.

An object whose page does not follow its library's pattern would get a dead link: the patterns are
those of the libraries' current documentation (checked by hand for the names this documentation
cites), and the exceptions are listed in this file. Regenerate after upgrading a library::

    .venv/bin/python docs/make_inventories.py            # all libraries
    .venv/bin/python docs/make_inventories.py torch      # one

Needs ``sphobjinv`` (the ``docs`` extra). A library that does not import is skipped with a message and
its committed inventory kept.
"""

from __future__ import annotations

import builtins
import importlib
import inspect
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import sphobjinv as soi

OUT = Path(__file__).resolve().parent / "_inventories"

# (sphinx role, object) for what an inventory entry describes
Entry = tuple[str, str, str]  # (name, role, uri relative to the library's base address)


def _role(obj: object) -> str | None:
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "function"
    return None


def _public(module: object) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    return sorted({str(n) for n in names if not str(n).startswith("_")})


def _walk(module_name: str) -> Iterator[tuple[str, str, object]]:
    """(full name, role, object) for the module itself and each public module, class or function in it."""
    module = importlib.import_module(module_name)
    yield module_name, "module", module
    for name in _public(module):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                obj = getattr(module, name)
            except Exception:  # lazily imported names that fail without optional dependencies
                continue
        role = _role(obj)
        if role is not None and role != "module":
            yield f"{module_name}.{name}", role, obj


def _methods(cls_name: str, cls: type) -> Iterator[tuple[str, str]]:
    """(full name, role) for the public methods and properties of a class."""
    for name, value in sorted(vars(cls).items()):
        if name.startswith("_"):
            continue
        if isinstance(value, property):
            yield f"{cls_name}.{name}", "attribute"
        elif callable(value) or isinstance(value, (classmethod, staticmethod)):
            yield f"{cls_name}.{name}", "method"


def python() -> list[Entry]:
    entries: list[Entry] = []
    for name in dir(builtins):
        obj = getattr(builtins, name)
        if name.startswith("_") or not (inspect.isclass(obj) or inspect.isbuiltin(obj)):
            continue
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            entries.append((name, "exception", f"library/exceptions.html#{name}"))
        elif name in {
            "bool",
            "bytearray",
            "bytes",
            "dict",
            "float",
            "frozenset",
            "int",
            "list",
            "memoryview",
            "range",
            "set",
            "str",
            "tuple",
            "complex",
            "slice",
            "type",
            "object",
        }:
            page = (
                "stdtypes"
                if name
                in {"bytearray", "bytes", "dict", "frozenset", "list", "memoryview", "range", "set", "str", "tuple"}
                else "functions"
            )
            entries.append((name, "class", f"library/{page}.html#{name}"))
        else:
            entries.append((name, _role(obj) or "function", f"library/functions.html#{name}"))
    entries.append(("None", "data", "library/constants.html#None"))
    modules = [
        "abc",
        "argparse",
        "collections",
        "collections.abc",
        "concurrent.futures",
        "contextlib",
        "dataclasses",
        "enum",
        "functools",
        "io",
        "itertools",
        "json",
        "math",
        "multiprocessing",
        "numbers",
        "os",
        "pathlib",
        "re",
        "signal",
        "subprocess",
        "tempfile",
        "threading",
        "typing",
        "warnings",
    ]
    for module in modules:
        for full, role, _ in _walk(module):
            page = f"library/{module}.html"
            entries.append((full, role, page + (f"#module-{module}" if role == "module" else f"#{full}")))
    entries.append(("os.PathLike", "class", "library/os.html#os.PathLike"))  # public, though not in os.__all__
    return entries


def numpy() -> list[Entry]:
    import numpy as np

    entries: list[Entry] = []
    for module in ["numpy", "numpy.linalg", "numpy.fft"]:
        for full, role, obj in _walk(module):
            if role == "module":
                page = "index.html" if module == "numpy" else f"reference/routines.{module.split('.')[1]}.html"
                entries.append((full, role, f"{page}#module-{full}"))
            elif inspect.isclass(obj) and issubclass(obj, np.generic):
                entries.append((full, role, f"reference/arrays.scalars.html#{full}"))
            else:
                entries.append((full, role, f"reference/generated/{full}.html#{full}"))
    entries += [(n, r, f"reference/generated/{n}.html#{n}") for n, r in _methods("numpy.ndarray", np.ndarray)]
    for full, role, _ in _walk("numpy.random"):
        if full in {"numpy.random.Generator", "numpy.random.default_rng"}:
            entries.append((full, role, f"reference/random/generator.html#{full}"))
        elif role == "module":
            entries.append((full, role, "reference/random/index.html#module-numpy.random"))
        else:
            entries.append((full, role, f"reference/random/generated/{full}.html#{full}"))
    entries += [
        (n, r, f"reference/random/generated/{n}.html#{n}")
        for n, r in _methods("numpy.random.Generator", np.random.Generator)
    ]
    entries.append(("numpy.typing", "module", "reference/typing.html#module-numpy.typing"))
    for name in ["ArrayLike", "DTypeLike", "NDArray"]:
        entries.append((f"numpy.typing.{name}", "data", f"reference/typing.html#numpy.typing.{name}"))
    return entries


def scipy() -> list[Entry]:
    entries: list[Entry] = []
    for module in [
        "scipy.fft",
        "scipy.integrate",
        "scipy.interpolate",
        "scipy.linalg",
        "scipy.optimize",
        "scipy.sparse",
        "scipy.sparse.linalg",
        "scipy.special",
        "scipy.stats",
    ]:
        short = module.removeprefix("scipy.")
        for full, role, _ in _walk(module):
            if role == "module":
                entries.append((full, role, f"reference/{short}.html#module-{full}"))
            else:
                entries.append((full, role, f"reference/generated/{full}.html#{full}"))
    return entries


def torch() -> list[Entry]:
    import torch as t

    special = {
        "torch.Tensor": "tensors.html#torch.Tensor",
        "torch.dtype": "tensor_attributes.html#torch.dtype",
        "torch.device": "tensor_attributes.html#torch.device",
        "torch.layout": "tensor_attributes.html#torch.layout",
        "torch.Size": "size.html#torch.Size",
        "torch.optim.Optimizer": "optim.html#torch.optim.Optimizer",
    }
    module_pages = {
        "torch": "torch.html",
        "torch.nn": "nn.html",
        "torch.nn.functional": "nn.functional.html",
        "torch.func": "func.api.html",
        "torch.optim": "optim.html",
        "torch.optim.lr_scheduler": "optim.html",
        "torch.autograd": "autograd.html",
        "torch.linalg": "linalg.html",
        "torch.fft": "fft.html",
        "torch.utils.data": "data.html",
    }
    entries: list[Entry] = []
    for module, page in module_pages.items():
        for full, role, _ in _walk(module):
            if role == "module":
                entries.append((full, role, f"{page}#module-{full}"))
            elif full in special:
                entries.append((full, role, special[full]))
            elif module == "torch.utils.data":
                entries.append((full, role, f"data.html#{full}"))
            else:
                entries.append((full, role, f"generated/{full}.html#{full}"))
    entries += [(n, r, f"generated/{n}.html#{n}") for n, r in _methods("torch.Tensor", t.Tensor)]
    entries += [(n, r, f"generated/{n}.html#{n}") for n, r in _methods("torch.nn.Module", t.nn.Module)]
    return entries


def matplotlib() -> list[Entry]:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    entries: list[Entry] = [
        ("matplotlib", "module", "api/matplotlib_configuration_api.html#module-matplotlib"),
        ("matplotlib.pyplot", "module", "api/pyplot_summary.html#module-matplotlib.pyplot"),
        ("matplotlib.figure", "module", "api/figure_api.html#module-matplotlib.figure"),
        ("matplotlib.axes", "module", "api/axes_api.html#module-matplotlib.axes"),
        ("matplotlib.colors", "module", "api/colors_api.html#module-matplotlib.colors"),
        ("matplotlib.figure.Figure", "class", "api/_as_gen/matplotlib.figure.Figure.html#matplotlib.figure.Figure"),
        ("matplotlib.axes.Axes", "class", "api/axes_api.html#matplotlib.axes.Axes"),
    ]
    for module in ["matplotlib.pyplot", "matplotlib.colors"]:
        for full, role, obj in _walk(module):
            if role != "module" and getattr(obj, "__module__", "").startswith(module):
                entries.append((full, role, f"api/_as_gen/{full}.html#{full}"))
    for cls_name, cls in [("matplotlib.figure.Figure", Figure), ("matplotlib.axes.Axes", Axes)]:
        entries += [(n, r, f"api/_as_gen/{n}.html#{n}") for n, r in _methods(cls_name, cls)]
    return entries


def pandas() -> list[Entry]:
    import pandas as pd

    entries: list[Entry] = [("pandas", "module", "reference/index.html#module-pandas")]
    for full, role, _ in _walk("pandas"):
        if role != "module":
            entries.append((full, role, f"reference/api/{full}.html#{full}"))
    for cls_name, cls in [("pandas.DataFrame", pd.DataFrame), ("pandas.Series", pd.Series)]:
        entries += [(n, r, f"reference/api/{n}.html#{n}") for n, r in _methods(cls_name, cls)]
    return entries


def dolfinx() -> list[Entry]:
    try:
        import dolfinx_solver  # noqa: F401  # the pip wheel's MPI must load before DOLFINx's bindings
    except ImportError:
        pass
    entries: list[Entry] = [("dolfinx", "module", "api.html#module-dolfinx")]
    for module in ["dolfinx.fem", "dolfinx.fem.petsc", "dolfinx.io", "dolfinx.la", "dolfinx.mesh"]:
        page = f"generated/{module}.html"
        for full, role, obj in _walk(module):
            if role == "module":
                entries.append((full, role, f"{page}#module-{full}"))
            elif getattr(obj, "__module__", "") == module:  # defined there, so documented on that page
                entries.append((full, role, f"{page}#{full}"))
    return entries


def _version(package: str) -> str:
    from importlib import metadata

    return metadata.version(package)


LIBRARIES: dict[str, tuple[str, Callable[[], list[Entry]], Callable[[], str]]] = {
    # key: (project name, entries, version)
    "python": ("Python", python, lambda: f"{sys.version_info.major}.{sys.version_info.minor}"),
    "numpy": ("NumPy", numpy, lambda: _version("numpy")),
    "scipy": ("SciPy", scipy, lambda: _version("scipy")),
    "torch": ("PyTorch", torch, lambda: _version("torch").split("+")[0]),
    "matplotlib": ("Matplotlib", matplotlib, lambda: _version("matplotlib")),
    "pandas": ("pandas", pandas, lambda: _version("pandas")),
    "dolfinx": ("DOLFINx", dolfinx, lambda: importlib.import_module("dolfinx").__version__),
}

# The base address of each library's documentation, for conf.py's intersphinx_mapping.
BASE_URLS = {
    "python": "https://docs.python.org/3/",
    "numpy": "https://numpy.org/doc/stable/",
    "scipy": "https://docs.scipy.org/doc/scipy/",
    "torch": "https://docs.pytorch.org/docs/stable/",
    "matplotlib": "https://matplotlib.org/stable/",
    "pandas": "https://pandas.pydata.org/docs/",
    "dolfinx": "https://docs.fenicsproject.org/dolfinx/v0.11.0/python/",
}


def write(key: str) -> int:
    """Write ``_inventories/<key>.inv``; return the number of entries."""
    project, entries_of, version_of = LIBRARIES[key]
    entries = sorted(set(entries_of()))
    inventory = soi.Inventory()
    inventory.project, inventory.version = project, version_of()
    seen: set[tuple[str, str]] = set()
    for name, role, uri in entries:
        if (name, role) in seen:
            continue
        seen.add((name, role))
        inventory.objects.append(soi.DataObjStr(name=name, domain="py", role=role, priority="1", uri=uri, dispname="-"))
    OUT.mkdir(exist_ok=True)
    # contract: "$" abbreviates a uri ending in the name, as Sphinx writes its own inventories
    soi.writebytes(OUT / f"{key}.inv", soi.compress(inventory.data_file(contract=True)))
    return len(inventory.objects)


def main(argv: list[str]) -> int:
    keys = argv or list(LIBRARIES)
    unknown = sorted(set(keys) - set(LIBRARIES))
    if unknown:
        print(f"unknown libraries {unknown}; expected some of {list(LIBRARIES)}", file=sys.stderr)
        return 2
    for key in keys:
        try:
            count = write(key)
        except ImportError as error:
            print(f"{key}: skipped, does not import ({error}); the committed inventory is kept", file=sys.stderr)
            continue
        print(f"{key}: {count} entries -> {(OUT / f'{key}.inv').relative_to(Path.cwd(), walk_up=True)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
