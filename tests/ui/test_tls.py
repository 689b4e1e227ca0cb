"""The UI talks to a TLS server (`ivorygrpc ui --tls --ca-file`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from nicegui.testing import User

from ivorygrpc.config import ServerConfig
from ivorygrpc.runtime import load_deck
from ivorygrpc.server import create_server
from tests.fixtures.certs import make_certificates
from tests.fixtures.runs import RUN_DECK
from tests.fixtures.server import ADMIN_PASSWORD, FAST_AUTH, Served
from tests.ui.conftest import logged_in


@pytest.fixture
def certificates(tmp_path: Path) -> tuple[Any, Any, Any]:
    return make_certificates(tmp_path)


@pytest.fixture
def ui_connect_options(certificates: tuple[Any, Any, Any]) -> dict[str, Any]:
    return {"tls": True, "root_certificates": certificates[0].cert.read_bytes()}


@pytest.fixture
async def ui_server(tmp_path: Path, database_url: str,
                    certificates: tuple[Any, Any, Any]) -> AsyncIterator[Served]:
    _, server_pem, _ = certificates
    config = ServerConfig(deck=load_deck(RUN_DECK), port=0, data_dir=tmp_path / "data",
                          database_url=database_url, admin_password=ADMIN_PASSWORD,
                          auth=FAST_AUTH, tls_cert=server_pem.cert, tls_key=server_pem.key)
    server, port = await create_server(config)
    await server.start()
    channel = grpc.aio.insecure_channel("unused")
    await channel.close()
    yield Served(server, port, channel, tmp_path / "data", "")
    await server.stop(grace=None)


async def test_login_and_a_call_over_tls(user: User) -> None:
    await logged_in(user)
    user.find("param-lab-add-a").type("1")
    user.find("run-lab-add").click()
    await user.should_see("Result: 2", retries=100)
    await user.should_see(marker="live-indicator")
