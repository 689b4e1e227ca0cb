"""Server configuration."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from ivorygrpc.auth.accounts import AuthSettings

NotifyHook = Callable[[str, Mapping[str, Any]], Any]
"""A notification hook: `hook(message, {"run_id", "run", "workflow", "step_id", "message"})`."""
DATABASE_URL_ENV = "IVORYGRPC_DATABASE_URL"
SECRET_FILE = "server.secret"


@dataclass(frozen=True)
class ServerConfig:
    """Everything `create_server` needs."""

    deck: ModuleType | None  # None with `schema_file`: offline design
    host: str = "127.0.0.1"
    port: int = 50051
    data_dir: Path = Path("ivorygrpc_data")
    database_url: str | None = None  # default: $IVORYGRPC_DATABASE_URL, else SQLite in data_dir
    exclude: tuple[str, ...] = field(default_factory=tuple)
    tls_cert: Path | None = None  # PEM certificate chain of the server
    tls_key: Path | None = None  # PEM private key of the server
    tls_client_ca: Path | None = None  # PEM CA: when set, clients must present a certificate
    insecure: bool = False  # allow plaintext on a non-loopback address
    auth: AuthSettings = field(default_factory=AuthSettings)
    max_message_bytes: int = 4 * 1024 * 1024
    admin_password: str | None = None  # first start only; default $IVORYGRPC_ADMIN_PASSWORD
    schema_file: Path | None = None  # an exported descriptor set to design against offline
    notify: tuple[NotifyHook, ...] = ()  # called with (message, run info) at pause steps
    stream_capacity: int = 10_000  # events a StreamRunEvents consumer may fall behind

    def resolved_database_url(self) -> str | None:
        """The explicit URL, else the environment's, else None (SQLite in the data folder)."""
        return self.database_url or os.environ.get(DATABASE_URL_ENV) or None


def server_secret(data_dir: Path) -> bytes:
    """A per-installation random secret (page tokens), created once, owner-only."""
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_bytes()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(value)
    return value
