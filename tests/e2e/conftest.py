"""End-to-end fixtures: a real `ivorygrpc serve` (gRPC server + browser UI) in a subprocess,
driven by Debian's Chromium through Playwright.

- ``e2e_server``: `examples/abstract_sdl.py` served with a temporary data folder, the
  admin password `ADMIN_PASSWORD`, gRPC and the UI on free ports (one server for the whole
  session); ``.url`` is the UI, ``.grpc_target`` the gRPC address for arranging data
  through the API. ``ui_url`` is its ``.url``.
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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class E2eServer:
    """A running `ivorygrpc serve`: its browser UI and its gRPC address."""

    url: str
    grpc_target: str


@pytest.fixture(scope="package")
def e2e_server() -> Iterator[E2eServer]:
    """A freshly started server with the browser UI."""
    with tempfile.TemporaryDirectory(prefix="ivorygrpc-e2e-") as folder:
        data, log = Path(folder) / "data", Path(folder) / "serve.log"
        grpc_port, port = _free_port(), _free_port()
        env = {**os.environ, "IVORYGRPC_ADMIN_PASSWORD": ADMIN_PASSWORD}
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "ivorygrpc", "serve", str(DECK), "--port", str(grpc_port),
                 "--ui-port", str(port), "--data-dir", str(data)],
                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=folder)
        try:
            _wait_until_listening(process, port, log)
            yield E2eServer(f"http://127.0.0.1:{port}", f"127.0.0.1:{grpc_port}")
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="package")
def ui_url(e2e_server: E2eServer) -> str:
    """The browser UI of the session's server."""
    return e2e_server.url


@pytest.fixture(scope="package")
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
