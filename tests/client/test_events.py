"""Following a run survives a dropped stream: the client resumes after the last event."""

from __future__ import annotations

from ivorygrpc.client import Client
from ivorygrpc.v1 import run_pb2
from tests.client.tcp_proxy import TcpProxy
from tests.fixtures.runs import call, deck_module, lit
from tests.fixtures.server import Served


async def test_follow_run_resumes_after_the_connection_drops(run_lab: Served,
                                                             client: Client) -> None:
    lab = deck_module().lab
    lab.gate.clear()
    await client.save_workflow({"name": "held", "main": [
        call("hold"), call("note", text=lit("after")), call("add", a=lit(1))]})
    proxy = await TcpProxy(run_lab.port).start()
    proxied = await Client.connect(proxy.target, token=client.token)
    run = await proxied.create_run("held")
    seen: list[run_pb2.RunEvent] = []
    async for event in proxied.follow_run(run.id):
        seen.append(event)
        if event.WhichOneof("kind") == "step_started" and event.step_started.title == (
                "lab.hold"):
            proxy.cut()  # the stream drops while the run goes on
            lab.gate.set()
    direct = [event async for event in client.follow_run(run.id)]
    assert proxy.connections >= 2
    assert [e.sequence for e in seen] == [e.sequence for e in direct]
    assert seen == direct
    assert seen[-1].state_changed.state == run_pb2.RUN_STATE_SUCCEEDED
    await proxied.close()
    await proxy.close()


async def test_events_of_every_run(client: Client) -> None:
    await client.save_workflow({"name": "w", "main": [call("add", a=lit(1))]})
    run = await client.create_run("w")
    kinds = []
    async for event in client.events():
        kinds.append(event.WhichOneof("kind"))
        if event.run_id == run.id and event.state_changed.state == (
                run_pb2.RUN_STATE_SUCCEEDED):
            break
    assert kinds[0] == "state_changed" and "step_finished" in kinds
