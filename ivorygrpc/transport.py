"""Binding the listening port: TLS, mutual TLS, and the plaintext guard."""

from __future__ import annotations

import ipaddress
import logging

import grpc

from ivorygrpc.config import ServerConfig
from ivorygrpc.errors import DeckError

logger = logging.getLogger(__name__)


class TransportError(DeckError):
    """The server cannot listen as configured."""

    reason = "TRANSPORT_INVALID"


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def address(config: ServerConfig) -> str:
    """`host:port`, with brackets for IPv6."""
    host = config.host
    return f"[{host}]:{config.port}" if ":" in host and not host.startswith("[") else (
        f"{host}:{config.port}")


def credentials(config: ServerConfig) -> grpc.ServerCredentials | None:
    """TLS credentials from the configured PEM files, or None for plaintext."""
    if config.tls_cert is None and config.tls_key is None:
        if config.tls_client_ca is not None:
            raise TransportError("--tls-client-ca needs --tls-cert and --tls-key")
        return None
    if config.tls_cert is None or config.tls_key is None:
        raise TransportError("TLS needs both --tls-cert and --tls-key")
    try:
        chain = config.tls_cert.read_bytes()
        key = config.tls_key.read_bytes()
        client_ca = config.tls_client_ca.read_bytes() if config.tls_client_ca else None
    except OSError as exc:
        raise TransportError(f"cannot read TLS files: {exc}") from exc
    return grpc.ssl_server_credentials([(key, chain)], root_certificates=client_ca,
                                       require_client_auth=client_ca is not None)


def bind(server: grpc.aio.Server, config: ServerConfig) -> int:
    """Open the port; refuses plaintext off loopback unless `insecure`."""
    creds = credentials(config)
    where = address(config)
    if creds is None and not is_loopback(config.host):
        if not config.insecure:
            raise TransportError(
                f"refusing to serve plaintext on {where}: anyone on the network could read "
                "tokens and drive the instruments. Use --tls-cert/--tls-key, or --insecure "
                "if the network is trusted")
        logger.warning("serving PLAINTEXT on %s (--insecure): tokens and data travel unencrypted",
                       where)
    try:
        port = (server.add_secure_port(where, creds) if creds is not None
                else server.add_insecure_port(where))
    except RuntimeError as exc:
        raise TransportError(f"cannot listen on {where}: {exc}") from exc
    if port == 0:
        raise TransportError(f"cannot listen on {where}")
    return port
