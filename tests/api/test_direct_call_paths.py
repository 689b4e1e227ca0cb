"""Direct calls on each dispatch path record a durable start and outcome
(CallMethod and typed rpcs, SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format, struct_pb2

from ivorygrpc.v1 import call_record_pb2
from ivorygrpc.v1 import control_service_pb2 as pb
from ivorygrpc.v1 import control_service_pb2_grpc as pb_grpc
from tests.fixtures.server import Served, ServeDeck

DECK = Path(__file__).resolve().parents[1] / "decks" / "call_paths_deck.py"


@pytest.fixture
async def paths(serve_deck: ServeDeck) -> Served:
    return await serve_deck(DECK)


@pytest.mark.parametrize(("method", "factor"), [("blocking", 2), ("coroutine", 3),
                                                ("deferred", 4)])
async def test_each_path_answers_and_records_the_call(paths: Served, method: str,
                                                       factor: int) -> None:
    stub = pb_grpc.ControlServiceStub(paths.channel)
    reply = await stub.CallMethod(pb.CallMethodRequest(
        instrument="paths", method=method,
        arguments=json_format.ParseDict({"x": 1.5}, struct_pb2.Struct())))
    assert json_format.MessageToDict(reply)["result"] == 1.5 * factor
    assert reply.call.state == call_record_pb2.CALL_STATE_SUCCEEDED
    stored = (await stub.GetCall(pb.GetCallRequest(id=reply.call.id))).call
    assert stored == reply.call
    assert json_format.MessageToDict(stored.arguments) == {"x": 1.5}


async def test_a_failing_blocking_call_is_recorded_failed(paths: Served) -> None:
    stub = pb_grpc.ControlServiceStub(paths.channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CallMethod(pb.CallMethodRequest(instrument="paths", method="broken"))
    assert caught.value.code() == grpc.StatusCode.ABORTED
    calls = (await stub.ListCalls(pb.ListCallsRequest(instrument="paths"))).calls
    assert len(calls) == 1 and calls[0].state == call_record_pb2.CALL_STATE_FAILED
    assert calls[0].error.type == "RuntimeError"
    assert calls[0].error.message == "jammed"


SERIAL_DECK = '''
import asyncio


class Serial:
    """Counts how many of its deferred calls run at once."""

    def __init__(self) -> None:
        self.active = 0
        self.most = 0

    def deferred(self) -> int:
        """A plain method handing back an awaitable that takes a while."""
        async def later() -> int:
            self.active += 1
            self.most = max(self.most, self.active)
            await asyncio.sleep(0.02)
            self.active -= 1
            return self.most
        return later()  # type: ignore[return-value]


serial = Serial()
'''


async def test_an_awaitable_from_a_plain_method_holds_the_instrument_lock(
        serve_deck: ServeDeck, tmp_path: Path) -> None:
    deck = tmp_path / "serial_deck.py"
    deck.write_text(SERIAL_DECK)
    served = await serve_deck(deck)
    stub = pb_grpc.ControlServiceStub(served.channel)
    request = pb.CallMethodRequest(instrument="serial", method="deferred")
    replies = await asyncio.gather(*(stub.CallMethod(request) for _ in range(3)))
    assert [json_format.MessageToDict(r)["result"] for r in replies] == [1, 1, 1]
