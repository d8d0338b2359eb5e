"""How many of the names ``spectra`` exports are documented in a built site's ``objects.inv``.

Usage (after ``make docs``)::

    .venv/bin/python docs/api_coverage.py [docs/_build/html/objects.inv]

Exported names are the entries of every ``__all__`` in the package (the package itself, its subpackages and
its modules). One object is often exported under several names (``spectra.MLP`` and ``spectra.models.MLP``);
the site documents it once, at its canonical name (see ``docs/_ext/spectra_api.py``), and every other name
links there. A name counts as documented when the inventory holds it, or holds the canonical name of the
object it names. Prints the counts (names, and distinct objects) and every name that is not documented;
exits with 1 if there is one.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sphinx.util.inventory import InventoryFile

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

from spectra_api import build_registry, exported_names  # noqa: E402


def documented_names(inventory: Path) -> set[str]:
    with inventory.open("rb") as stream:
        data = InventoryFile.load(stream, "", lambda base, uri: uri)
    return {name for role, entries in data.items() if role.startswith("py:") for name in entries}


def main(argv: list[str]) -> int:
    inventory = Path(argv[0]) if argv else HERE / "_build" / "html" / "objects.inv"
    if not inventory.is_file():
        print(f"{inventory} not found: build the documentation first (make docs)", file=sys.stderr)
        return 2
    names = documented_names(inventory)
    registry = build_registry(["lightning"])
    exported = list(exported_names(registry))
    missing = [(module, name, canonical) for module, name, canonical in exported if canonical not in names]
    objects = {canonical for _, _, canonical in exported}
    documented_objects = objects & names
    print(f"exported names (every __all__ entry, package and subpackages): {len(exported)}")
    print(f"  documented (directly, or through the canonical name they link to): {len(exported) - len(missing)}")
    print(f"distinct exported objects: {len(objects)}, documented: {len(documented_objects)}")
    without_all = [m for m in registry.modules if not registry.has_all[m] and registry.exports[m]]
    defined = {f"{m}.{n}" for m in without_all for n in registry.exports[m]}
    print(
        f"public classes and functions of modules without __all__: {len(defined)}, documented: {len(defined & names)}"
    )
    for module, name, canonical in missing:
        print(f"NOT DOCUMENTED: {module}.{name} (expected at {canonical})")
    for module, why in registry.failed.items():
        print(f"NOT IMPORTABLE: {module}: {why}")
    return 1 if missing or registry.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
