"""`SyncClient`: the blocking twin, used from plain threads (as scripts and notebooks do)."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path
from typing import Any

import pytest

from ivorygrpc import SyncClient
from ivorygrpc.client import Client, errors
from ivorygrpc.config import ServerConfig
from ivorygrpc.runtime import load_deck
from ivorygrpc.server import create_server
from ivorygrpc.v1 import run_pb2
from tests.fixtures.certs import make_certificates
from tests.fixtures.runs import RUN_DECK, call, deck_module, par
from tests.fixtures.server import ADMIN_PASSWORD, Served


async def test_a_script_round_trip(run_lab: Served) -> None:
    def script() -> dict[str, Any]:
        with SyncClient.connect(run_lab.target, username="admin",
                                password=ADMIN_PASSWORD) as client:
            out: dict[str, Any] = {"user": client.current_user().username}
            out["instruments"] = [i.name for i in client.list_instruments()]
            out["call"] = client.call("lab", "measure", {"x": 2}).value
            client.save_workflow({"name": "dose", "main": [
                call("measure", save_as=["m"], x=par("x"))]})
            out["valid"] = client.validate_workflow("dose").valid
            run = client.create_run("dose", rows=[{"x": 1}, {"x": 2}])
            out["kinds"] = {e.WhichOneof("kind") for e in client.follow_run(run.id)}
            events: list[run_pb2.RunEvent] = []
            again = client.create_run("dose", parameters={"x": 3})
            out["done"] = client.wait_for_run(again.id, on_event=events.append, timeout=30)
            out["events"] = events
            out["csv"] = client.export_run_data(run.id)
            out["runs"] = [r.id for r in client.list_runs("dose")]
            out["expected_runs"] = [again.id, run.id]
            with pytest.raises(errors.NotFound):
                client.get_workflow("missing")
            client.logout()
            with pytest.raises(errors.Unauthenticated):
                client.list_runs()
            return out

    out = await asyncio.to_thread(script)
    assert out["user"] == "admin" and out["instruments"] == ["lab"] and out["call"] == 4
    assert out["valid"] and {"state_changed", "step_finished"} <= out["kinds"]
    assert out["done"].state == run_pb2.RUN_STATE_SUCCEEDED and out["done"].phases
    assert out["events"][-1].state_changed.state == run_pb2.RUN_STATE_SUCCEEDED
    assert out["csv"].count("\n") == 3 and out["runs"] == out["expected_runs"]


async def test_breaking_out_of_an_event_stream_closes_it(run_lab: Served) -> None:
    def script() -> int:
        with SyncClient.connect(run_lab.target, token=run_lab.token) as client:
            client.save_workflow({"name": "w", "main": [call("hold")]})
            deck_module().lab.gate.clear()
            run = client.create_run("w")
            for event in client.follow_run(run.id):
                if event.WhichOneof("kind") == "step_started":
                    break
            deck_module().lab.gate.set()
            return client.wait_for_run(run.id, timeout=30).state

    assert await asyncio.to_thread(script) == run_pb2.RUN_STATE_SUCCEEDED


async def test_it_works_where_an_event_loop_is_already_running(run_lab: Served) -> None:
    """As in a Jupyter cell: blocking calls made from inside a running event loop."""
    async def cell() -> str:
        with SyncClient.connect(run_lab.target, token=run_lab.token) as client:
            return client.current_user().username

    assert await asyncio.to_thread(asyncio.run, cell()) == "admin"


def test_sync_methods_keep_the_async_signatures_and_docs() -> None:
    for name, method in inspect.getmembers(Client, inspect.iscoroutinefunction):
        if name.startswith("_") or name in {"connect", "close", "deck", "schema",
                                            "wait_for_run"}:
            continue
        twin = getattr(SyncClient, name)
        assert twin.__doc__ == method.__doc__, name
        assert inspect.signature(twin) == inspect.signature(method), name
    assert "its full record" in (SyncClient.wait_for_run.__doc__ or "")
    for name in ("events", "follow_run"):
        assert getattr(SyncClient, name).__doc__ == getattr(Client, name).__doc__


def test_calling_a_closed_client_fails_clearly() -> None:
    client = SyncClient.connect("127.0.0.1:1", timeout=1)
    client.close()
    client.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        client.list_runs()


async def test_tls_and_client_certificates(tmp_path: Path, database_url: str) -> None:
    ca, server_pem, client_pem = make_certificates(tmp_path)
    config = ServerConfig(deck=load_deck(RUN_DECK), port=0, data_dir=tmp_path / "data",
                          database_url=database_url, admin_password=ADMIN_PASSWORD,
                          tls_cert=server_pem.cert, tls_key=server_pem.key,
                          tls_client_ca=ca.cert)
    server, port = await create_server(config)
    await server.start()
    try:
        client = await Client.connect(
            f"localhost:{port}", root_certificates=ca.cert.read_bytes(),
            private_key=client_pem.key.read_bytes(),
            certificate_chain=client_pem.cert.read_bytes(), username="admin",
            password=ADMIN_PASSWORD)
        assert (await client.current_user()).username == "admin"
        await client.close()
        with pytest.raises(errors.Unavailable):  # no client certificate
            await Client.connect(f"localhost:{port}", tls=True,
                                 root_certificates=ca.cert.read_bytes(), username="admin",
                                 password=ADMIN_PASSWORD, timeout=5)
    finally:
        await server.stop(grace=None)
