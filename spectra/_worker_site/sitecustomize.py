"""Run by Python at the start of a spectra worker process (this folder is first on its PYTHONPATH).

Starts the watch of :mod:`spectra._lifeline` (loaded from its file: the spectra package itself is
not imported here, it would pull in torch), then runs the ``sitecustomize`` this one shadows, if any.
"""

import importlib.machinery
import importlib.util
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))


def _run(name: str, path: list[str]) -> None:
    spec = importlib.machinery.PathFinder.find_spec(name, path)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if name == "_lifeline":
            module.watch_parent_if_worker()


_run("_lifeline", [os.path.dirname(_here)])
_run("sitecustomize", [p for p in sys.path if os.path.abspath(p or ".") != _here])
