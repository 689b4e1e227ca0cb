"""Offline design: a server on an exported descriptor set designs and validates, never calls."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format, struct_pb2

from ivorygrpc.config import ServerConfig
from ivorygrpc.export import BINPB_NAME, write_export
from ivorygrpc.runtime import load_deck
from ivorygrpc.server import build_deck
from ivorygrpc.v1 import control_service_pb2 as control_pb
from ivorygrpc.v1 import control_service_pb2_grpc as control_grpc
from ivorygrpc.v1 import design_service_pb2 as pb
from ivorygrpc.v1 import design_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import workflow_pb2
from tests.api.test_design_service import DOSE_AND_MEASURE
from tests.fixtures.client import DeckClient, rich_status
from tests.fixtures.server import EXAMPLE_DECK, Served, ServeDeck


@pytest.fixture
async def pair(serve_deck: ServeDeck, tmp_path: Path) -> tuple[Served, Served]:
    live = await serve_deck()
    _, schema = build_deck(ServerConfig(deck=load_deck(EXAMPLE_DECK), data_dir=live.data_dir))
    write_export(schema, tmp_path / "export")
    offline = await serve_deck(None, data_dir=tmp_path / "offline",
                               schema_file=tmp_path / "export" / BINPB_NAME)
    return live, offline


def _summary(instrument: object) -> list[tuple[object, ...]]:
    return [(m.name, m.rpc, m.kind, m.is_async, m.returns.kind,
             [(p.name, p.type.kind, p.type.repeated, p.required, list(p.type.choices),
               p.default_value.WhichOneof("kind"), p.unit, p.maximum)
              for p in m.parameters])
            for m in instrument.methods]  # type: ignore[attr-defined]


async def test_offline_deck_describes_the_same_instruments(pair: tuple[Served, Served]) -> None:
    live, offline = pair
    listed = []
    for served in pair:
        stub = control_grpc.ControlServiceStub(served.channel)
        reply = await stub.ListInstruments(control_pb.ListInstrumentsRequest())
        listed.append({i.name: _summary(i) for i in reply.instruments})
    assert listed[0] == listed[1]
    assert live.server.deck.spec.name == "abstract_sdl"
    assert offline.server.deck.spec.name == "ivorygrpc"


async def test_offline_validation_matches_live(pair: tuple[Served, Served]) -> None:
    data = {**DOSE_AND_MEASURE, "main": [
        *DOSE_AND_MEASURE["main"],
        {"id": "bad", "call": {"instrument": "sdl", "method": "dose_solvent",
                               "arguments": {"solvent": {"literal": "fast"}}}}]}
    workflow = json_format.ParseDict(data, workflow_pb2.Workflow())
    answers = []
    for served in pair:
        stub = pb_grpc.DesignServiceStub(served.channel)
        reply = await stub.ValidateWorkflow(pb.ValidateWorkflowRequest(workflow=workflow))
        answers.append([(p.step_id, p.field, p.code) for p in reply.problems])
    assert answers[0] == answers[1] == [("bad", "arguments.solvent", "WRONG_TYPE")]


async def test_offline_server_refuses_calls(pair: tuple[Served, Served]) -> None:
    _, offline = pair
    stub = control_grpc.ControlServiceStub(offline.channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CallMethod(control_pb.CallMethodRequest(
            instrument="pump", method="dispense",
            arguments=json_format.ParseDict({"volume_ml": 1}, struct_pb2.Struct())))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rich_status(caught.value)["reason"] == "DECK_OFFLINE"
    client = await DeckClient.connect(offline.channel)
    with pytest.raises(grpc.aio.AioRpcError) as typed:
        await client.call("ivorygrpc.deck.pump.v1.PumpService", "Dispense", {"volume_ml": 1})
    assert typed.value.code() == grpc.StatusCode.FAILED_PRECONDITION
