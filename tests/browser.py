"""Headless Chromium for the tests that look at pages as a reader's browser renders them.

``chromium_dom`` returns a page's DOM after its load handlers ran; tests that need to measure something
inject a script into a copy of the page that writes its findings into the DOM (see tests/test_report.py
and tests/test_docs.py). Without Chromium those tests skip and say why (.ci/run installs Debian's package).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def find_chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


def chromium_dom(page: Path, *, width: int = 1280, budget_ms: int = 10000) -> str:
    """The DOM of ``page`` after its load handlers ran, in headless Chromium with a ``width``-pixel window.

    Runs with a fresh profile, no network services of the browser's own, and file access between local
    files (so a page under file:// loads its images, scripts and styles); ``budget_ms`` is the virtual time
    the page gets to settle.
    """
    browser = find_chromium()
    if browser is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium package)")
    with tempfile.TemporaryDirectory() as profile_dir:
        result = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--window-size={width},900",
                f"--user-data-dir={profile_dir}",
                "--allow-file-access-from-files",
                f"--virtual-time-budget={budget_ms}",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert "</html>" in result.stdout, result.stderr[-2000:]
    return result.stdout
