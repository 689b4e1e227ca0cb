"""Composition root: registers every page and serves the UI.

- `create_app(server_address)` points the UI at a gRPC server and registers the pages of
  `PAGES` (each module under `ivorygrpc_ui.pages` exposes ``create()``); it is what tests
  call inside a NiceGUI user simulation.
- `run(...)` serves the UI alone (``ivorygrpc ui --server HOST:PORT``) with `ui.run`.
- `serving(...)` serves it inside an already running event loop, next to the gRPC server
  (``ivorygrpc serve DECK.py``); the caller keeps signal handling.

Logins are kept in NiceGUI's user storage under `storage_dir` (bearer tokens: the folder is
private to the user running the UI) and signed with a secret kept there too.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import secrets
import socket
from collections.abc import AsyncIterator, Generator
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import app, ui
from nicegui.storage import Storage

from ivorygrpc_ui import settings, state
from ivorygrpc_ui.client.connection import ServerTarget
from ivorygrpc_ui.disconnects import DroppedClients

__all__ = ["PAGES", "create_app", "run", "serving"]

PAGES = ("login", "users", "instruments", "library", "data", "campaigns", "design", "execute")
TITLE = "ivorygrpc"


def create_app(server_address: str, *, tls: bool = False,
               root_certificates: bytes | None = None) -> None:
    """Register every page, talking to the gRPC server at `server_address` (``host:port``;
    with `tls`, verified against `root_certificates` or the system's roots)."""
    settings.configure(ServerTarget(server_address, tls, root_certificates))
    for name in PAGES:
        importlib.import_module(f"ivorygrpc_ui.pages.{name}").create()

    @ui.page("/")
    def index() -> RedirectResponse:
        return RedirectResponse("/instruments")

    app.on_shutdown(state.close_hubs)
    app.add_middleware(DroppedClients)


def _storage(storage_dir: Path) -> str:
    """Put NiceGUI's storage in `storage_dir` and return its (persistent) secret."""
    storage_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    storage_dir.chmod(0o700)  # it holds bearer tokens
    Storage.path = storage_dir.resolve()
    app.storage = Storage()
    secret_file = storage_dir / "secret"
    if not secret_file.exists():
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32))
    return secret_file.read_text().strip()


def run(server_address: str, *, host: str = "127.0.0.1", port: int = 8000,
        storage_dir: Path = Path("ivorygrpc_ui_data"), tls: bool = False,
        root_certificates: bytes | None = None) -> None:
    """Serve the UI until interrupted (blocking)."""
    secret = _storage(storage_dir)
    create_app(server_address, tls=tls, root_certificates=root_certificates)
    ui.run(host=host, port=port, title=TITLE, reload=False, show=False, storage_secret=secret,
           show_welcome_message=False, favicon="🧪")


@contextlib.asynccontextmanager
async def serving(server_address: str, *, host: str = "127.0.0.1", port: int = 8000,
                  storage_dir: Path = Path("ivorygrpc_ui_data")) -> AsyncIterator[str]:
    """Serve the UI in the running loop while the block runs; yields its URL."""
    import uvicorn

    secret = _storage(storage_dir)
    create_app(server_address)
    fastapi_app = FastAPI()
    ui.run_with(fastapi_app, title=TITLE, storage_secret=secret, show_welcome_message=False,
                favicon="🧪")

    class EmbeddedServer(uvicorn.Server):
        """A uvicorn server that leaves signal handling to the embedding program."""

        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            yield

    listener = _listen(host, port)  # here, so a taken port is an OSError, not uvicorn's exit
    server = EmbeddedServer(uvicorn.Config(fastapi_app, log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[listener]), name="ivorygrpc ui")
    while not server.started and not task.done():  # start-up only
        await asyncio.sleep(0.05)
    if task.done():
        listener.close()
        with contextlib.suppress(SystemExit):
            await task
        raise OSError(f"the browser UI could not start on {host}:{port}")
    shown = f"[{host}]" if ":" in host else host
    try:
        yield f"http://{shown}:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        listener.close()


def _listen(host: str, port: int) -> socket.socket:
    """A bound TCP socket for the UI; OSError with a readable message when it cannot bind."""
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise OSError(f"the browser UI cannot listen on {host}:{port}: {exc.strerror}") from None
    return listener
