"""Nothing is lost on restart: records stay, field numbers stay."""

from __future__ import annotations

import json

from ivorygrpc.v1 import control_service_pb2 as pb
from ivorygrpc.v1 import control_service_pb2_grpc as pb_grpc
from tests.fixtures.client import DeckClient
from tests.fixtures.server import ServeDeck


async def test_records_and_field_numbers_survive_a_restart(serve_deck: ServeDeck) -> None:
    first = await serve_deck()
    client = await DeckClient.connect(first.channel)
    await client.call("ivorygrpc.deck.pump.v1.PumpService", "Dispense", {"volume_ml": 1})
    lock = (first.data_dir / "field_numbers.lock.json").read_text()
    await first.close()

    second = await serve_deck(data_dir=first.data_dir)
    stub = pb_grpc.ControlServiceStub(second.channel)
    calls = (await stub.ListCalls(pb.ListCallsRequest())).calls
    assert [(c.instrument, c.method, c.caller) for c in calls] == [("pump", "dispense", "admin")]
    assert json.loads((second.data_dir / "field_numbers.lock.json").read_text()) == json.loads(lock)
