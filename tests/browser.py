"""Headless Chromium for the report tests: Debian's `chromium` driven by Playwright (the Python
package talks to the installed browser; no browser download). .ci/run installs chromium when it
is missing and sets MIRROR_REQUIRE_BROWSER=1, so on CI a missing browser fails instead of skipping."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# The flags this machine needs (README of the env probe): no sandbox as root, no GPU, and no
# background networking - Chromium's own calls home would show up as requests.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def chromium_path() -> str:
    found = os.environ.get("MIRROR_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("MIRROR_REQUIRE_BROWSER"):
        pytest.fail("Chromium is not installed. Fix: apt-get install -y chromium (.ci/run does this).")
    pytest.skip("Chromium is not installed (apt-get install -y chromium); the browser tests need it")
    raise AssertionError("unreachable")


@dataclass
class PageLog:
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@contextmanager
def open_page(path: Path):
    """The page at a file:// URL in an offline browser context; yields (page, log)."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 1000})
            page = context.new_page()
            log = PageLog()
            page.on("console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: log.console_errors.append(str(e)))
            page.on("request", lambda r: log.requests.append(r.url))
            page.on("dialog", lambda d: (log.dialogs.append(d.message), d.dismiss()))
            page.goto(path.resolve().as_uri())
            yield page, log
        finally:
            browser.close()


def wait_for_charts(page, count: int) -> None:
    page.wait_for_function(f"document.querySelectorAll('.chart svg.marks').length >= {count}", timeout=60_000)
