"""TLS, mutual TLS and the plaintext guard, with certificates made by the test."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from ivorygrpc.config import ServerConfig
from ivorygrpc.runtime import load_deck
from ivorygrpc.server import create_server
from ivorygrpc.transport import TransportError
from ivorygrpc.v1 import auth_service_pb2 as pb
from ivorygrpc.v1 import auth_service_pb2_grpc as pb_grpc
from tests.fixtures.certs import make_certificates
from tests.fixtures.server import ADMIN_PASSWORD, API_DECK, FAST_AUTH

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _config(tmp_path: Path, database_url: str, **options: object) -> ServerConfig:
    return ServerConfig(deck=load_deck(API_DECK), port=0, data_dir=tmp_path / "data",
                        database_url=database_url, admin_password=ADMIN_PASSWORD,
                        auth=FAST_AUTH, **options)  # type: ignore[arg-type]


async def _login(channel: grpc.aio.Channel) -> str:
    reply = await pb_grpc.AuthServiceStub(channel).Login(
        pb.LoginRequest(username="admin", password=ADMIN_PASSWORD), timeout=5)
    return reply.user.username


async def test_tls_and_mutual_tls(tmp_path: Path, database_url: str) -> None:
    ca, server_pem, client_pem = make_certificates(tmp_path)
    server, port = await create_server(_config(
        tmp_path, database_url, tls_cert=server_pem.cert, tls_key=server_pem.key,
        tls_client_ca=ca.cert))
    await server.start()
    target = f"localhost:{port}"
    with_cert = grpc.ssl_channel_credentials(ca.cert.read_bytes(), client_pem.key.read_bytes(),
                                             client_pem.cert.read_bytes())
    without_cert = grpc.ssl_channel_credentials(ca.cert.read_bytes())
    try:
        async with grpc.aio.secure_channel(target, with_cert) as channel:
            assert await _login(channel) == "admin"
        async with grpc.aio.secure_channel(target, without_cert) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await _login(channel)
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        async with grpc.aio.insecure_channel(target) as channel:
            with pytest.raises(grpc.aio.AioRpcError):
                await _login(channel)
    finally:
        await server.stop(grace=None)


async def test_tls_without_client_certificates(tmp_path: Path, database_url: str) -> None:
    ca, server_pem, _ = make_certificates(tmp_path)
    server, port = await create_server(_config(tmp_path, database_url,
                                               tls_cert=server_pem.cert,
                                               tls_key=server_pem.key))
    await server.start()
    try:
        credentials = grpc.ssl_channel_credentials(ca.cert.read_bytes())
        async with grpc.aio.secure_channel(f"127.0.0.1:{port}", credentials) as channel:
            assert await _login(channel) == "admin"
    finally:
        await server.stop(grace=None)


async def test_plaintext_off_loopback_is_refused(tmp_path: Path, database_url: str) -> None:
    with pytest.raises(TransportError, match="--insecure"):
        await create_server(_config(tmp_path, database_url, host="0.0.0.0"))
    with pytest.raises(TransportError, match="both"):
        await create_server(_config(tmp_path, database_url, tls_cert=tmp_path / "x.crt"))


async def test_insecure_allows_plaintext_off_loopback(tmp_path: Path, database_url: str) -> None:
    server, port = await create_server(_config(tmp_path, database_url, host="0.0.0.0",
                                               insecure=True))
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            assert await _login(channel) == "admin"
    finally:
        await server.stop(grace=None)
