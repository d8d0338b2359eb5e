"""The documentation site: it renders in a browser, its links resolve, and nothing cites files outside the repository.

The browser test reads the site that ``make docs`` built (docs/_build/html): ``make docs-check`` builds it and
runs this file with SPECTRA_DOCS_BUILT=1, which makes a missing site a failure; CI runs ``make docs-check``.
Under ``make test`` alone the tests that read the site skip and say so (a site left from an earlier build may
predate the code under test).
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
from browser import chromium_dom

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "docs" / "_build" / "html"

# Collects, once the page, its images and its typeset formulas have loaded, what the test checks: title, headings,
# every image's natural width, every link's href as written, the MathJax version that loaded and the number of
# typeset formulas, into a <div id="docs-probe" data-probe="JSON">.
_PROBE = """<script>
function spectraProbe() {
  var images = Array.prototype.map.call(document.images, function (img) {
    return {src: img.getAttribute('src'), complete: img.complete, width: img.naturalWidth};
  });
  var links = Array.prototype.map.call(document.querySelectorAll('a[href]'), function (a) {
    return a.getAttribute('href');
  });
  var probe = document.createElement('div');
  probe.id = 'docs-probe';
  probe.setAttribute('data-probe', JSON.stringify({
    title: document.title,
    h1: Array.prototype.map.call(document.querySelectorAll('h1'), function (h) { return h.textContent; }),
    images: images,
    links: links,
    mathjax: (window.MathJax && window.MathJax.version) || null,
    formulas: document.querySelectorAll('mjx-container').length
  }));
  document.body.appendChild(probe);
}
window.addEventListener('load', function () {
  var startup = window.MathJax && window.MathJax.startup;
  if (startup && startup.promise) { startup.promise.then(spectraProbe, spectraProbe); } else { spectraProbe(); }
});
</script>"""


def _built_site() -> Path:
    # Only right after a build: a site left from an earlier build may predate the code under test.
    if os.environ.get("SPECTRA_DOCS_BUILT") != "1":
        pytest.skip("reads the site just built: `make docs-check` builds it (make docs) and runs this test")
    if not (SITE / "index.html").is_file():
        pytest.fail(f"SPECTRA_DOCS_BUILT=1 but {SITE / 'index.html'} is missing: `make docs` did not build the site")
    return SITE


def _render(site: Path, page: Path, tmp_path: Path) -> dict:
    """What the probe saw in ``page`` of ``site``, rendered in headless Chromium from a copy with the probe."""
    text = page.read_text()
    base = page.parent.as_uri() + "/"
    probe = tmp_path / f"probe-{page.stem}.html"
    probe.write_text(text.replace("<head>", f"<head><base href='{base}'>", 1).replace("</body>", _PROBE + "</body>"))
    dom = chromium_dom(probe, budget_ms=15000)
    match = re.search(r'id="docs-probe" data-probe="([^"]*)"', dom)
    assert match, f"{page.relative_to(site)}: the page did not finish loading:\n{dom[-1500:]}"
    return json.loads(html.unescape(match.group(1)))


def _broken_links(site: Path, page: Path, links: list[str]) -> list[str]:
    """The internal links of ``page`` whose target file does not exist in ``site``."""
    broken = []
    for href in links:
        parsed = urlparse(href)
        if parsed.scheme in ("http", "https", "mailto") or href.startswith("#") or not (parsed.path or ""):
            continue
        target = Path(unquote(urlparse(urljoin(page.as_uri(), href)).path))
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file() or site.resolve() not in target.resolve().parents:
            broken.append(href)
    return broken


@pytest.mark.parametrize(
    "relative, needs_images",
    [
        ("index.html", False),
        ("api/generated/spectra.models.html", False),
        ("notebooks/01_quickstart.html", True),
        ("gallery.html", True),
    ],
)
def test_pages_render_in_headless_chromium(relative, needs_images, tmp_path):
    site = _built_site()
    page = site / relative
    assert page.is_file(), f"{relative} is not in the built site"
    seen = _render(site, page, tmp_path)
    assert seen["title"].strip() and "spectra" in seen["title"], seen["title"]
    assert [h for h in seen["h1"] if h.strip()], f"{relative}: no heading"
    not_loaded = [i["src"] for i in seen["images"] if not (i["complete"] and i["width"] > 0)]
    assert not not_loaded, f"{relative}: images that did not load: {not_loaded}"
    if needs_images:
        assert len(seen["images"]) >= 2, f"{relative}: expected figures, found {len(seen['images'])} images"
    assert seen["links"], f"{relative}: no links at all"
    assert not _broken_links(site, page, seen["links"]), f"{relative}: broken links"


def test_theory_page_renders_its_formulas_offline(tmp_path):
    site = _built_site()
    seen = _render(site, site / "theory.html", tmp_path)
    assert seen["mathjax"], "MathJax did not load from the site's own _static folder"
    assert seen["formulas"] > 50, f"only {seen['formulas']} formulas typeset"
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()


def test_every_api_name_is_in_the_inventory():
    site = _built_site()
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "api_coverage.py"), str(site / "objects.inv")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_no_citation_points_outside_the_repository():
    # The theory notes the code once cited (reference/*.md) live outside the repository; the code, notebooks and
    # tests cite the documentation's pages (docs/theory.rst, docs/conventions.rst) or papers instead.
    pattern = re.compile(r"reference/[\w-]+\.md|frequency-pde\.md|diagnostics\.md|repnet\.md|entk\.md")
    offenders = []
    for folder in ("spectra", "analysis", "notebooks", "tests", "docs"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in {".py", ".ipynb", ".rst", ".md"} or "_build" in path.parts or path.is_symlink():
                continue
            if path.resolve() == Path(__file__).resolve():
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    readme = (ROOT / "README.md").read_text().splitlines()
    offenders += [f"README.md:{n}" for n, line in enumerate(readme, 1) if pattern.search(line)]
    assert not offenders, "\n".join(offenders)


def test_offline_inventories_cover_every_intersphinx_project():
    pytest.importorskip("sphobjinv", reason="the docs extra is not installed (pip install -e '.[docs]')")
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import make_inventories
    finally:
        sys.path.remove(str(ROOT / "docs"))
    for key in make_inventories.LIBRARIES:
        path = ROOT / "docs" / "_inventories" / f"{key}.inv"
        assert path.is_file() and path.stat().st_size > 100, f"{path} missing: run docs/make_inventories.py"
