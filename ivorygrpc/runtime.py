"""Running a server until SIGINT/SIGTERM, and loading a deck file."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from types import ModuleType

from ivorygrpc.config import NotifyHook, ServerConfig
from ivorygrpc.server import create_server

logger = logging.getLogger("ivorygrpc")
_loading = False
_notify: tuple[NotifyHook, ...] = ()


def loading_deck() -> bool:
    """True while `load_deck` executes a deck file (its own `ivorygrpc.run` must not serve)."""
    return _loading


def register_notify(hooks: tuple[NotifyHook, ...]) -> None:
    """Keep the hooks a deck passed to `ivorygrpc.run` while `ivorygrpc serve` loads it."""
    global _notify
    _notify = hooks


def registered_notify() -> tuple[NotifyHook, ...]:
    """The hooks the loaded deck registered."""
    return _notify


@contextlib.contextmanager
def _deck_loading() -> Iterator[None]:
    global _loading
    _loading = True
    try:
        yield
    finally:
        _loading = False


def load_deck(path: Path) -> ModuleType:
    """Import a deck file as a module named after its stem (its folder joins sys.path)."""
    path = path.resolve()
    if not path.is_file():
        raise FileNotFoundError(f"deck file {path} does not exist")
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    with _deck_loading():
        spec.loader.exec_module(module)
    return module


# Runs next to the server while it serves, given the bound port (the CLI's browser UI).
Companion = Callable[[int], contextlib.AbstractAsyncContextManager[object]]


def browser_ui(*, server_host: str, ui_host: str = "127.0.0.1", ui_port: int = 8000,
               data_dir: Path, tls: bool = False) -> Companion | None:
    """The browser UI as a companion of the server (a gRPC client over loopback).

    None for a TLS server: the UI then runs alone with `ivorygrpc ui --ca-file`.
    """
    if tls:
        logger.warning("browser UI not started next to a TLS server: run it with "
                       "`ivorygrpc ui --server HOST:PORT --ca-file CA.pem`")
        return None
    host = "127.0.0.1" if server_host in {"0.0.0.0", "", "::"} else server_host
    host = f"[{host}]" if ":" in host else host

    @contextlib.asynccontextmanager
    async def companion(port: int) -> AsyncIterator[str]:
        from ivorygrpc_ui.main import serving  # lazy: without the UI NiceGUI never loads

        async with serving(f"{host}:{port}", host=ui_host, port=ui_port,
                           storage_dir=data_dir / "ui") as url:
            logger.info("ivorygrpc browser UI on %s", url)
            yield url
    return companion


async def serve(config: ServerConfig, companion: Companion | None = None) -> None:
    """Serve until SIGINT or SIGTERM, then shut down gracefully.

    `companion(port)` is entered once the server listens and left before it stops.

    A second signal during the shutdown exits at once (the shutdown may be
    waiting for an instrument call that blocks a worker thread). Nothing that
    was streamed is lost: every event is committed first, and the next start
    marks the run that was executing as interrupted.
    """
    server, port = await create_server(config)
    await server.start()
    host = config.host if ":" not in config.host else f"[{config.host}]"
    logger.info("ivorygrpc serving deck %r on %s:%d (try: grpcurl -plaintext %s:%d list)",
                server.deck.spec.name, host, port, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        if not stop.is_set():
            stop.set()
            return
        logger.warning("%s again: exiting now; the next start marks the active run "
                       "interrupted", sig.name)
        logging.shutdown()  # flush the log handlers: os._exit skips every cleanup
        os._exit(128 + sig.value)

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal, sig)
    try:
        async with contextlib.AsyncExitStack() as companions:
            if companion is not None:
                await companions.enter_async_context(companion(port))
            await stop.wait()
    finally:
        logger.info("ivorygrpc shutting down")
        await server.stop(grace=5.0)


def configure_logging() -> None:
    """Readable INFO logs on stderr (only if the application configured none)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
