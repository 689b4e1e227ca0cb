"""End-to-end fixtures: a real `ivorygrpc serve` (gRPC server + browser UI) in a subprocess,
driven by Debian's Chromium through Playwright.

- ``ui_url``: the UI of `examples/abstract_sdl.py` served with a temporary data folder, the
  admin password `ADMIN_PASSWORD`, gRPC on a port the server picks and the UI on a free port
  (one server per test module).
- ``browser``: headless Chromium (skipped when /usr/bin/chromium is missing, unless
  IVORYGRPC_REQUIRE_TOOLS=1).
- ``page``: a fresh browser context and page; when the test fails, a screenshot of every
  open page goes to a temporary folder and its path is printed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.fixtures.tools import ROOT, require

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DECK = ROOT / "examples" / "abstract_sdl.py"
ADMIN_PASSWORD = "e2e-admin-password"
SCREENSHOTS = ROOT / "docs" / "screenshots"
START_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ivorygrpc serve exited early:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the browser UI did not listen on {port} in time:\n{log.read_text()}")


@pytest.fixture(scope="module")
def ui_url() -> Iterator[str]:
    """The browser UI of a freshly started server."""
    with tempfile.TemporaryDirectory(prefix="ivorygrpc-e2e-") as folder:
        data, log = Path(folder) / "data", Path(folder) / "serve.log"
        port = _free_port()
        env = {**os.environ, "IVORYGRPC_ADMIN_PASSWORD": ADMIN_PASSWORD}
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "ivorygrpc", "serve", str(DECK), "--port", "0",
                 "--ui-port", str(port), "--data-dir", str(data)],
                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=folder)
        try:
            _wait_until_listening(process, port, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium."""
    executable = require("chromium", CHROMIUM)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """Keep each phase's report on the test item (the `context` fixture reads it)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    """A browser context (its own cookies); screenshots of its pages when the test fails."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15_000)
    yield context
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = Path(tempfile.mkdtemp(prefix="ivorygrpc-e2e-failure-"))
        for index, each in enumerate(context.pages):
            path = folder / f"{request.node.name}-{index}.png"
            with contextlib.suppress(Exception):
                each.screenshot(path=str(path), full_page=True)
                print(f"screenshot of the failed test: {path}")
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A page in a fresh context."""
    return context.new_page()


def log_in(page: Page, url: str, path: str = "/instruments") -> None:
    """Log in as admin through the Login page and wait for `path`."""
    page.goto(f"{url}/login?next={path}")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{path}")


def save_screenshot(page: Page, name: str) -> None:
    """Save the page for the README (docs/screenshots/<name>.png)."""
    page.evaluate("document.querySelectorAll('*').forEach(e => { e.scrollTop = 0; })")
    page.wait_for_timeout(400)  # let transitions (dialogs, notifications) finish
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
