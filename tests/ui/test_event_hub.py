"""The event hub survives a server restart: it reconnects and resumes after the last event."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from nicegui.testing import User

from ivorygrpc.config import ServerConfig
from ivorygrpc.runtime import load_deck
from ivorygrpc.server import IvorygrpcServer, create_server
from tests.fixtures.runs import RUN_DECK, call, create_run, finish, save_workflow
from tests.fixtures.server import ADMIN_PASSWORD, FAST_AUTH, Served
from tests.ui.conftest import eventually, logged_in, table_rows


class Restartable(Served):
    """A served run deck on a fixed port that can be stopped and started again."""

    async def restart(self, database_url: str) -> None:
        await self.close()
        self.server = await _start(self.port, self.data_dir, database_url)
        self.token = await self.login("admin", ADMIN_PASSWORD)
        self.channel = self.open_channel(self.token)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _start(port: int, data_dir: Path, database_url: str) -> IvorygrpcServer:
    config = ServerConfig(deck=load_deck(RUN_DECK), port=port, data_dir=data_dir,
                          database_url=database_url, admin_password=ADMIN_PASSWORD,
                          auth=FAST_AUTH)
    server, _ = await create_server(config)
    await server.start()
    return server


@pytest.fixture
async def ui_server(tmp_path: Path, database_url: str) -> AsyncIterator[Restartable]:
    port = _free_port()
    served = Restartable(await _start(port, tmp_path / "data", database_url), port,
                         grpc.aio.insecure_channel("unused"), tmp_path / "data", "")
    await served.channel.close()
    served.token = await served.login("admin", ADMIN_PASSWORD)
    served.channel = served.open_channel(served.token)
    yield served
    await served.close()


async def test_the_hub_resumes_after_a_server_restart(user: User, ui_server: Restartable,
                                                      database_url: str) -> None:
    await logged_in(user, path="/data")
    await save_workflow(ui_server.channel, "before", [call("measure", x={"literal": 1})])
    await finish(ui_server.channel, (await create_run(ui_server.channel, "before")).id)
    await eventually(lambda: [r["name"] for r in table_rows(user, "runs-table")] == ["before"])
    await ui_server.restart(database_url)
    await save_workflow(ui_server.channel, "after", [call("measure", x={"literal": 2})])
    await finish(ui_server.channel, (await create_run(ui_server.channel, "after")).id)
    await eventually(lambda: [(r["name"], r["state"]) for r in table_rows(user, "runs-table")]
                     == [("after", "succeeded"), ("before", "succeeded")], timeout=20)
