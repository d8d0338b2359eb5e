"""The API reference of ``spectra``, written and checked at build time.

This local Sphinx extension

- walks the installed package and writes one page per public module or subpackage under
  ``docs/api/generated/`` (a module is public when no part of its dotted name starts with ``_``), so a
  module added to the package is documented without editing the documentation;
- documents every public object once, at its *canonical* name: the shallowest subpackage whose
  ``__all__`` exports it (``spectra.models.MLP``, not ``spectra.models.mlp.MLP``), else the module that
  defines it; every other name it is exported under (``spectra.MLP``) is listed on that module's page
  as a link to the canonical entry, and a reference to any of those names resolves to it;
- fails the build (a Sphinx warning, an error under ``-W``) when a name in an ``__all__`` is not
  documented, or when a docstring uses Google-style sections (``Args:``, ``Returns:``), which numpydoc
  would silently render as prose: the package's one docstring style is numpydoc.

Which names a module's page documents:

- a package or module with ``__all__``: the names of its ``__all__`` whose canonical name is there;
- a module without ``__all__``: the classes and functions it defines whose names do not start with
  ``_``; in a subpackage whose ``__init__`` has an ``__all__`` (that list is the subpackage's public
  surface), none: the page shows the submodule's docstring only.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.ext.autodoc.mock import mock
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging

logger = logging.getLogger(__name__)

PACKAGE = "spectra"
# Pages in reading order (the README's order); modules not named here follow, sorted.
ORDER = [
    "domain",
    "targets",
    "frequencies",
    "data",
    "models",
    "training",
    "lightning",
    "ntk",
    "fourier",
    "partition",
    "fem",
    "validate",
    "pinn",
    "comparison",
    "plots",
    "report",
    "sections",
    "studies",
    "sweep",
    "tasks",
    "parallel",
    "output",
    "checkpoint",
    "results",
    "seeding",
    "cli",
]
GOOGLE_SECTION = re.compile(
    r"^\s*(Args|Arguments|Keyword Args|Keyword Arguments|Kwargs|Returns?|Yields?|Raises|Attributes|Examples?|"
    r"Notes?|Todo|Warnings?|Warns|See Also|References|Parameters|Other Parameters|Methods):\s*$"
)
_PRIMITIVE = (int, float, complex, str, bytes, bool, type(None))


def _is_public(module_name: str) -> bool:
    return not any(part.startswith("_") for part in module_name.split("."))


@dataclass
class Registry:
    """Every public module of the package, the names each exports, and each object's canonical name."""

    modules: list[str] = field(default_factory=list)
    exports: dict[str, list[str]] = field(default_factory=dict)  # module -> exported names, in order
    has_all: dict[str, bool] = field(default_factory=dict)
    canonical: dict[tuple[str, str], str] = field(default_factory=dict)  # (module, name) -> canonical full name
    by_id: dict[int, str] = field(default_factory=dict)  # id(object) -> canonical full name
    failed: dict[str, str] = field(default_factory=dict)  # module -> why it did not import

    def documented_here(self, module: str) -> list[str]:
        """The names that ``module``'s page documents (their canonical name is in it)."""
        return [n for n in self.exports[module] if self.canonical.get((module, n)) == f"{module}.{n}"]

    def aliases_here(self, module: str) -> list[tuple[str, str]]:
        """(name, canonical full name) for the names ``module`` exports that are documented elsewhere."""
        out = []
        for n in self.exports[module]:
            target = self.canonical.get((module, n))
            if target is not None and target != f"{module}.{n}":
                out.append((n, target))
        return out


def _commented_constants(name: str) -> set[str]:
    """Module-level names of ``name`` with a ``#:`` doc comment: constants the module documents (and defines)."""
    try:
        docs = ModuleAnalyzer.for_module(name).find_attr_docs()
    except Exception:  # no source available
        return set()
    return {attr for (scope, attr) in docs if scope == "" and not attr.startswith("_")}


def _exports(module: Any, name: str, package_all: bool) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is not None:
        return [str(n) for n in names]
    if package_all:  # a submodule of a subpackage that lists its public names in __init__.__all__
        return []
    constants = _commented_constants(name)
    return [
        n
        for n, obj in vars(module).items()
        if not n.startswith("_")
        and (
            (inspect.isclass(obj) or inspect.isfunction(obj))
            and getattr(obj, "__module__", None) == name
            or n in constants
        )
    ]


def build_registry(mock_imports: Sequence[str] = ()) -> Registry:
    """Import every public module of the package and decide each exported object's canonical name.

    ``mock_imports``: optional dependencies to mock while importing (``autodoc_mock_imports``), as autodoc does.
    """
    registry = Registry()
    root = importlib.import_module(PACKAGE)
    names = [PACKAGE] + [m.name for m in pkgutil.walk_packages(root.__path__, PACKAGE + ".") if _is_public(m.name)]
    for name in names:
        try:
            with mock(list(mock_imports)):
                module = importlib.import_module(name)
        except ImportError as error:  # a dependency is missing: reported by the coverage check
            registry.failed[name] = str(error)
            continue
        parent = name.rpartition(".")[0]
        package_all = parent != PACKAGE and parent in registry.has_all and registry.has_all[parent]
        registry.modules.append(name)
        registry.has_all[name] = hasattr(module, "__all__")
        registry.exports[name] = _exports(module, name, package_all)

    def defines_constant(module: str, obj: Any) -> bool:
        # a documented constant of a module without __all__ is defined there (it carries its #: comment)
        mod = importlib.import_module(module)
        return not registry.has_all[module] and any(getattr(mod, n, None) is obj for n in registry.exports[module])

    def rank(module: str, obj: Any) -> tuple[int, int, str]:
        is_package = hasattr(importlib.import_module(module), "__path__")
        if module == PACKAGE:
            kind = 3  # the top level only summarises
        elif is_package and registry.has_all[module]:
            kind = 0
        elif getattr(obj, "__module__", None) == module or defines_constant(module, obj):
            kind = 1
        else:
            kind = 2
        return kind, module.count("."), module

    owners: dict[int, list[tuple[str, str]]] = {}
    objects: dict[int, Any] = {}
    for module in registry.modules:
        mod = importlib.import_module(module)
        for n in registry.exports[module]:
            obj = getattr(mod, n, None)
            if obj is None or isinstance(obj, _PRIMITIVE) or inspect.ismodule(obj):
                registry.canonical[(module, n)] = f"{module}.{n}"  # values and modules: documented where exported
                continue
            owners.setdefault(id(obj), []).append((module, n))
            objects[id(obj)] = obj
    for key, pairs in owners.items():
        module, n = min(pairs, key=lambda pair: rank(pair[0], objects[key]))
        full = f"{module}.{n}"
        registry.by_id[key] = full
        for pair in pairs:
            registry.canonical[pair] = full
    return registry


def _title(text: str, underline: str = "=") -> str:
    return f"{text}\n{underline * len(text)}\n"


def _role(obj: Any) -> str:
    if inspect.isclass(obj):
        return "exc" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "func"
    return "data"


def _directive(obj: Any) -> str:
    if inspect.isclass(obj):
        return "autoexception" if issubclass(obj, BaseException) else "autoclass"
    if callable(obj):
        return "autofunction"
    return "autodata"


def page_text(registry: Registry, unit: str) -> str:
    """The reStructuredText of the page of ``unit`` (a module directly under the package, or a subpackage)."""
    members = [unit] if unit == PACKAGE else [m for m in registry.modules if m == unit or m.startswith(unit + ".")]
    lines = [".. This page is written by docs/_ext/spectra_api.py at every build: edit that, not this.", ""]
    lines.append(_title(f"``{unit}``"))
    documented = {f"{m}.{n}" for m in members for n in registry.documented_here(m)}
    for module in members:
        mod = importlib.import_module(module)
        if module != unit:
            lines.append(_title(f"``{module}``", "-"))
        lines.append(f".. automodule:: {module}")
        if module in documented:  # a submodule named like a function of its package (spectra.fourier.spectrum)
            lines.append("   :no-index:")
        lines.append("")
        for n in registry.documented_here(module):
            obj = getattr(mod, n)
            directive = _directive(obj)
            lines.append(f".. {directive}:: {module}.{n}")
            if directive == "autoclass":
                lines.append("   :members:")
            elif directive == "autodata" and (" at 0x" in repr(obj) or len(repr(obj)) > 120):
                lines.append("   :no-value:")  # an address changes at every run; a long value says little
            lines.append("")
        aliases = registry.aliases_here(module)
        if aliases:
            mod = importlib.import_module(module)
            lines.append(f"Also exported by ``{module}``, documented at their canonical names:")
            lines.append("")
            for n, target in aliases:
                lines.append(f"- ``{n}``: :{_role(getattr(mod, n))}:`{target}`")
            lines.append("")
    return "\n".join(lines)


def units(registry: Registry) -> list[str]:
    """The package, then its modules and subpackages: those of ``ORDER`` in that order, then the others, sorted."""
    top = [m for m in registry.modules if m.count(".") == 1]
    short = {m.split(".")[1]: m for m in top}
    ordered = [short[s] for s in ORDER if s in short]
    return [PACKAGE, *ordered, *sorted(set(top) - set(ordered))]


def write_pages(app: Sphinx) -> None:
    """Write ``api/generated/<module>.rst`` for every unit and ``toc.txt``, the toctree that ``api/index.rst``
    includes; files whose text is unchanged are left alone (so incremental builds stay incremental)."""
    registry = build_registry(app.config.autodoc_mock_imports)
    app.env_registry = registry  # type: ignore[attr-defined]
    out = Path(app.srcdir) / "api" / "generated"
    out.mkdir(parents=True, exist_ok=True)
    order = units(registry)
    wanted = {f"{u}.rst": page_text(registry, u) for u in order}
    wanted["toc.txt"] = "\n".join([".. toctree::", "   :maxdepth: 1", "", *(f"   generated/{u}" for u in order), ""])
    for stale in [*out.glob("*.rst"), *out.glob("*.txt")]:
        if stale.name not in wanted:
            stale.unlink()
    for name, text in wanted.items():
        path = out / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


def _registry(app: Sphinx) -> Registry:
    return app.env_registry  # type: ignore[attr-defined]


def _resolve(path: str) -> tuple[Any, list[Any]] | None:
    """The object named by a dotted ``path`` and the chain of objects leading to it, or None."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        except Exception:
            return None
        chain = [obj]
        for attr in parts[cut:]:
            try:
                obj = inspect.getattr_static(obj, attr)
            except AttributeError:
                return None
            chain.append(obj)
        return obj, chain
    return None


def canonical_name(registry: Registry, path: str) -> str | None:
    """The canonical name of the object ``path`` names (a member of a class included), or None."""
    found = _resolve(path)
    if found is None:
        return None
    obj, chain = found
    parts = path.split(".")
    if id(obj) in registry.by_id and not isinstance(obj, _PRIMITIVE):
        return registry.by_id[id(obj)]
    # a member: the canonical name of its owner (a class or module), then the member's own name
    for back in range(1, len(chain)):
        owner = chain[-1 - back]
        if id(owner) in registry.by_id:
            return registry.by_id[id(owner)] + "." + ".".join(parts[len(parts) - back :])
        if inspect.ismodule(owner) and owner.__name__ in registry.exports:
            name = parts[len(parts) - back]
            target = registry.canonical.get((owner.__name__, name))
            if target is not None:
                return ".".join([target, *parts[len(parts) - back + 1 :]])
    return None


def public_names(obj: Any) -> list[str]:
    """The shortest importable names of another library's class or function, shortest first.

    Signatures name objects where they are defined (``torch.nn.modules.module.Module``,
    ``torch._C.Generator``); libraries document them where they are exported (``torch.nn.Module``,
    ``torch.Generator``): try each prefix of the defining module.
    """
    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(name, str) or "." in name:
        return []
    parts = module.split(".")
    names = []
    for cut in range(1, len(parts) + 1):
        try:
            if getattr(importlib.import_module(".".join(parts[:cut])), name, None) is obj:
                names.append(".".join([*parts[:cut], name]))
        except Exception:
            continue
    return names


def resolve_alias(app: Sphinx, env: Any, node: Any, contnode: nodes.Node) -> nodes.Node | None:
    """``missing-reference``: another name of a documented object resolves to the object's entry.

    A name of this package (``spectra.MLP``, ``spectra.models.mlp.MLP``, or a name relative to the current
    module) resolves to its canonical entry; another library's object named where it is defined
    (``torch.nn.modules.module.Module``, or an unqualified name imported into the current module)
    resolves through intersphinx under the name its library documents it by.
    """
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip(".~")
    if not target:
        return None
    registry = _registry(app)
    module, cls = node.get("py:module"), node.get("py:class")
    candidates = []
    if module and cls:
        candidates.append(f"{module}.{cls}.{target}")
    parts = module.split(".") if module else []
    for cut in range(len(parts), 0, -1):  # the current module, then the packages holding it
        candidates.append(".".join([*parts[:cut], target]))
    candidates.append(target)
    domain = env.get_domain("py")
    for candidate in candidates:
        if not candidate.startswith(PACKAGE + ".") and candidate != PACKAGE:
            continue
        full = canonical_name(registry, candidate)
        if full is None or full == candidate and full not in domain.objects:
            continue
        for reftype in (node["reftype"], "obj"):
            resolved = domain.resolve_xref(env, node["refdoc"], app.builder, reftype, full, node, contnode)
            if resolved is not None:
                return resolved
    # another library's object
    found = _resolve(target)
    if found is None and module:
        found = _resolve(f"{module}.{target}")
    if found is None or getattr(found[0], "__module__", "").split(".")[0] == PACKAGE:
        return None
    from sphinx.ext import intersphinx

    for name in public_names(found[0]):
        if name == target:
            continue
        retry = node.deepcopy()
        retry["reftarget"] = name
        resolved = intersphinx.missing_reference(app, env, retry, contnode)
        if resolved is not None:
            return resolved
    return None


def drop_type_docstrings(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """``autodoc-process-docstring``: a constant without a doc comment shows its value, not its type's docstring.

    autodoc falls back to ``type(value).__doc__`` (a tuple's "Built-in immutable sequence...") for a module
    constant that has no ``#:`` comment; that text describes ``tuple``, not the constant.
    """
    if what not in ("data", "attribute") or not lines:
        return
    own = " ".join("\n".join(lines).split())
    inherited = " ".join((inspect.getdoc(type(obj)) or "").split())
    if own and own == inherited:
        lines[:] = []


def check_docstring_style(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """``autodoc-process-docstring``: Google-style section headers are an error (the package uses numpydoc)."""
    for number, line in enumerate(lines):
        match = GOOGLE_SECTION.match(line)
        if match:
            logger.warning(
                "%s: Google-style section %r in the docstring (line %d); use a numpydoc section, "
                "%r underlined with dashes",
                name,
                match.group(1) + ":",
                number + 1,
                match.group(1).rstrip("s") + "s" if match.group(1) in {"Return", "Yield"} else match.group(1),
                type="spectra",
                subtype="docstring-style",
            )


def dataclass_defaults(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, signature: str | None, annotation: str | None
) -> tuple[str | None, str | None] | None:
    """``autodoc-process-signature``: a dataclass field's ``<factory>`` default shown as the call it stands for.

    ``inspect`` renders ``field(default_factory=dict)`` as ``= <factory>``, which is not Python and breaks
    Sphinx's parsing of the whole signature; ``= {}`` (or ``= list()``, ...) says what the default is.
    """
    if what != "class" or not signature or "<factory>" not in signature or not dataclasses.is_dataclass(obj):
        return None
    literal = {dict: "{}", list: "[]", tuple: "()"}
    for f in dataclasses.fields(obj):
        if f.default_factory is dataclasses.MISSING:
            continue
        factory = f.default_factory
        shown = literal.get(factory) or (f"{factory.__name__}()" if factory.__name__ != "<lambda>" else "...")
        signature = re.sub(
            rf"(\b{re.escape(f.name)}: [^=]*?=\s*)<factory>", lambda m, shown=shown: m.group(1) + shown, signature
        )
    return signature, annotation


def check_coverage(app: Sphinx, env: Any) -> None:
    """``env-check-consistency``: every public module and every name of every ``__all__`` is documented."""
    registry = _registry(app)
    domain = env.get_domain("py")
    for module, why in registry.failed.items():
        logger.warning("%s is not documented: it does not import (%s)", module, why, type="spectra", subtype="api")
    objects = set(registry.canonical.values())
    for module in registry.modules:
        # a module named like a documented object (spectra.fourier.spectrum) is on its page, not indexed
        if module not in domain.objects and module not in objects:
            logger.warning("module %s has no page in the API reference", module, type="spectra", subtype="api")
        if not registry.has_all[module]:
            continue
        for n in registry.exports[module]:
            target = registry.canonical.get((module, n), f"{module}.{n}")
            if target not in domain.objects:
                logger.warning(
                    "%s.%s (in %s.__all__) is not documented (expected at %s)",
                    module,
                    n,
                    module,
                    target,
                    type="spectra",
                    subtype="api",
                )


def exported_names(registry: Registry) -> Iterable[tuple[str, str, str]]:
    """(module, name, canonical full name) for every name of every ``__all__`` in the package."""
    for module in registry.modules:
        if registry.has_all[module]:
            for n in registry.exports[module]:
                yield module, n, registry.canonical.get((module, n), f"{module}.{n}")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", write_pages)
    app.connect("autodoc-process-docstring", check_docstring_style, priority=100)
    app.connect("autodoc-process-docstring", drop_type_docstrings, priority=100)
    app.connect("autodoc-process-signature", dataclass_defaults)
    app.connect("missing-reference", resolve_alias)
    app.connect("env-check-consistency", check_coverage)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
