"""Process-wide UI settings: the gRPC server this UI talks to (set by `main.create_app`)."""

from __future__ import annotations

from ivorygrpc_ui.client.connection import ServerTarget

_target: list[ServerTarget] = []


def configure(target: ServerTarget) -> None:
    """Point the UI at `target`."""
    _target[:] = [target]


def server_target() -> ServerTarget:
    """The configured server; raises RuntimeError before `configure`."""
    if not _target:
        raise RuntimeError("the UI has no server address: call main.create_app first")
    return _target[0]
