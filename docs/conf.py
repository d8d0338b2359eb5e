"""Sphinx configuration of the spectra documentation (``make docs``).

The build needs no network: intersphinx reads the inventories committed under ``_inventories/``
(written by ``make_inventories.py``; ``SPECTRA_DOCS_ONLINE=1`` tries the published ones first), and
MathJax is served from the build's own ``_static/`` (``sphinx-mathjax-offline``). Notebooks are executed
at small size (``SPECTRA_NOTEBOOK_SIZE=small``) through myst-nb's jupyter-cache in
``_build/.jupyter_cache/<digest of spectra's source>``: a notebook runs again when its code or the package
changed. ``SPECTRA_DOCS_EXECUTE=off``
renders them without executing (no outputs), for quick checks of the rest of the site.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # the gallery's plot directives draw without a display

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import spectra  # noqa: E402

# Notebooks and gallery at small size; the kernels that execute the notebooks inherit this environment.
os.environ["SPECTRA_NOTEBOOK_SIZE"] = "small"

project = "spectra"
author = "the spectra developers"
copyright = "the spectra developers"  # noqa: A001
release = spectra.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
    "matplotlib.sphinxext.plot_directive",
    "sphinx_copybutton",
    "sphinx-mathjax-offline",
    "spectra_api",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]
source_suffix = {".rst": "restructuredtext", ".ipynb": "myst-nb", ".md": "myst-nb"}
nitpicky = True
default_role = "code"  # `text` in a docstring is code, never a silent reference

# -- API reference -------------------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_inherit_docstrings = False  # torch.nn.Module.forward's docstring is torch's, not ours
autodoc_mock_imports = ["lightning"]  # spectra.lightning's optional dependency
autosummary_generate = False
add_module_names = False
python_use_unqualified_type_names = True
# numpydoc parses every docstring; these checks turn a malformed section into a build error.
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = {
    "GL06",  # a section that numpydoc does not know
    "GL07",  # sections out of numpydoc's order
    "PR02",  # a documented parameter that the signature does not have
    "PR10",  # "name: type" instead of "name : type"
}

# -- Cross-references to other projects: offline inventories -------------------------------------------
sys.path.insert(0, str(HERE))
from make_inventories import BASE_URLS as _BASES  # noqa: E402  (one list of addresses for both)

_ONLINE = os.environ.get("SPECTRA_DOCS_ONLINE") == "1"
intersphinx_mapping = {
    key: (base, (None, f"_inventories/{key}.inv") if _ONLINE else f"_inventories/{key}.inv")
    for key, base in _BASES.items()
}

# -- Notebooks (myst-nb) ---------------------------------------------------------------------------------
nb_execution_mode = "off" if os.environ.get("SPECTRA_DOCS_EXECUTE") == "off" else "cache"


def _package_digest() -> str:
    """A digest of the package's source: jupyter-cache keys on a notebook's code only, not on what it imports."""
    digest = hashlib.sha256()
    for path in sorted((HERE.parent / "spectra").rglob("*.py")):
        digest.update(path.relative_to(HERE.parent).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


# One cache per state of the package's source, so a notebook runs again when spectra changes; older caches go.
_CACHES = HERE / "_build" / ".jupyter_cache"
nb_execution_cache_path = str(_CACHES / _package_digest())
if _CACHES.is_dir():
    for _old in _CACHES.iterdir():
        if _old.is_dir() and str(_old) != nb_execution_cache_path:
            shutil.rmtree(_old, ignore_errors=True)
nb_execution_timeout = 300  # seconds per cell
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# -- Gallery (matplotlib's plot directive) ---------------------------------------------------------------
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 90)]
plot_rcparams = {"figure.max_open_warning": 0}

# -- HTML ------------------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"spectra {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {page: [] for page in ("index", "conventions", "theory", "gallery")}  # pages without subpages
html_show_sourcelink = False
html_last_updated_fmt = None
