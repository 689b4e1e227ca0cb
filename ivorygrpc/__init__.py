"""ivorygrpc: serve a Python lab deck as typed gRPC services.

    import ivorygrpc
    ivorygrpc.run(__name__)

and use one from Python (`ivorygrpc.client`):

    lab = ivorygrpc.connect("localhost:50051", username="admin", password="...")
    lab.pump.dispense(volume_ml=1.5)
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivorygrpc.annotations import Range, Unit, block

if TYPE_CHECKING:
    from ivorygrpc.client import Client, SyncClient, connect
    from ivorygrpc.deck.remote import remote

# The client and remote instruments pull in grpc and reflection: a deck script
# that only calls `ivorygrpc.run` should not pay for them, so they load on first use.
_LAZY = {"Client": "ivorygrpc.client", "SyncClient": "ivorygrpc.client",
         "connect": "ivorygrpc.client", "remote": "ivorygrpc.deck.remote"}

__all__ = ["Client", "Range", "SyncClient", "Unit", "__version__", "block", "connect", "remote",
           "run"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ivorygrpc' has no attribute {name!r}")


def run(module_name: str, *, host: str = "127.0.0.1", port: int = 50051,
        data_dir: str | Path = "ivorygrpc_data", exclude: Iterable[str] = (),
        tls_cert: str | Path | None = None, tls_key: str | Path | None = None,
        tls_client_ca: str | Path | None = None, insecure: bool = False,
        notify: Iterable[Callable[[str, Mapping[str, Any]], Any]] = (),
        ui: bool = True, ui_host: str = "127.0.0.1", ui_port: int = 8000) -> None:
    """Serve the deck module `module_name` (usually `__name__`) until interrupted,
    with the browser UI on http://{ui_host}:{ui_port} unless `ui=False`.

    `notify` hooks are called as `hook(message, info)` when a run reaches a pause
    step (send a chat message, an e-mail, ...). Does nothing but keep the hooks
    when the deck is being loaded by `ivorygrpc serve`, which serves it itself.
    """
    from ivorygrpc.config import ServerConfig
    from ivorygrpc.runtime import (
        browser_ui,
        configure_logging,
        loading_deck,
        register_notify,
        serve,
    )

    hooks = tuple(notify)
    if loading_deck():
        register_notify(hooks)
        return
    configure_logging()
    def path(value: str | Path | None) -> Path | None:
        return Path(value) if value is not None else None

    config = ServerConfig(deck=sys.modules[module_name], host=host, port=port,
                          data_dir=Path(data_dir), exclude=tuple(exclude),
                          tls_cert=path(tls_cert), tls_key=path(tls_key),
                          tls_client_ca=path(tls_client_ca), insecure=insecure, notify=hooks)
    try:
        companion = browser_ui(server_host=host, ui_host=ui_host, ui_port=ui_port,
                               data_dir=Path(data_dir), tls=tls_cert is not None) if ui else None
        asyncio.run(serve(config, companion=companion))
    except KeyboardInterrupt:
        pass
