"""Process-wide UI settings: the gRPC server this UI talks to (set by `main.create_app`)."""

from __future__ import annotations

_address: list[str] = []


def configure(server_address: str) -> None:
    """Point the UI at `server_address` (``host:port``)."""
    _address[:] = [server_address]


def server_address() -> str:
    """The configured server address; raises RuntimeError before `configure`."""
    if not _address:
        raise RuntimeError("the UI has no server address: call main.create_app first")
    return _address[0]
