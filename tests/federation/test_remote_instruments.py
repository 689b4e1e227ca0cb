"""Federation: lab B's balance served by lab A as `remote_balance` (two real servers).

Lab B is an `ivorygrpc serve` subprocess on loopback; lab A runs in the test
process and loads `lab_a_deck.py`, which reads B's schema through reflection.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format, struct_pb2

from ivorygrpc.errors import DeckError
from ivorygrpc.export import write_export
from ivorygrpc.runtime import load_deck
from ivorygrpc.v1 import control_service_pb2 as control_pb
from ivorygrpc.v1 import control_service_pb2_grpc as control_grpc
from ivorygrpc.v1 import execute_service_pb2 as execute_pb
from ivorygrpc.v1 import execute_service_pb2_grpc as execute_grpc
from ivorygrpc.v1 import instrument_pb2, run_pb2
from tests.federation.remote_server import LabB
from tests.fixtures.certs import make_certificates
from tests.fixtures.client import rich_status
from tests.fixtures.runs import (
    call,
    create_run,
    finish,
    mode,
    paused,
    save_workflow,
    wait_for_event,
)
from tests.fixtures.server import ROOT, Served, ServeDeck

LAB_A_DECK = ROOT / "tests" / "federation" / "lab_a_deck.py"
SERVICE = "ivorygrpc.deck.remote_balance.v1.RemoteBalanceService"


async def _call(served: Served, method: str, **arguments: object) -> object:
    reply = await control_grpc.ControlServiceStub(served.channel).CallMethod(
        control_pb.CallMethodRequest(instrument="remote_balance", method=method,
                                     arguments=json_format.ParseDict(arguments,
                                                                     struct_pb2.Struct())))
    return json_format.MessageToDict(reply)["result"] if reply.HasField("result") else None



async def test_remote_instrument_is_a_first_class_instrument_of_lab_a(
        lab_b: LabB, serve_deck: ServeDeck, tmp_path: Path) -> None:
    lab_a = await serve_deck(LAB_A_DECK)
    assert SERVICE in lab_a.server.schema.service_names()

    # ControlService on A describes B's method: types, enum choices, defaults, units, docs.
    control = control_grpc.ControlServiceStub(lab_a.channel)
    inst = (await control.GetInstrument(
        control_pb.GetInstrumentRequest(name="remote_balance"))).instrument
    assert inst.service == SERVICE
    assert "analytical balance on lab B" in inst.description
    assert lab_b.target in inst.description
    methods = {m.name: m for m in inst.methods}
    assert set(methods) == {"weigh", "add", "lookup", "history", "fail", "settle",
                            "get_mode_names"}
    weigh = methods["weigh"]
    assert weigh.description == "Read the mass on the pan, averaging `samples` readings."
    mode_param, samples = weigh.parameters
    assert list(mode_param.type.choices) == ["FAST", "PRECISE"]
    assert mode_param.type.kind == instrument_pb2.VALUE_KIND_ENUM
    assert json_format.MessageToDict(mode_param.default_value) == "PRECISE"
    assert not mode_param.required
    assert json_format.MessageToDict(samples.default_value) == 3
    (mass,) = methods["add"].parameters
    assert (mass.required, mass.unit, mass.minimum, mass.maximum) == (True, "mg", 0, 1000)
    assert [f.name for f in weigh.returns.fields] == ["mass_mg", "stable"]

    # A typed call of A's own service lands on B.
    add = lab_a.channel.unary_unary(
        f"/{SERVICE}/Add",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=lab_a.server.schema.message_class(
            "ivorygrpc.deck.remote_balance.v1.AddResponse").FromString)
    request = lab_a.server.schema.message_class("ivorygrpc.deck.remote_balance.v1.AddRequest")
    assert (await add(request(mass_mg=5.0))).result == 105.0
    # Defaults apply on B; an enum travels by name.
    assert await _call(lab_a, "weigh") == {"mass_mg": 105.0, "stable": True}
    assert await _call(lab_a, "weigh", mode="FAST") == {"mass_mg": 105.0, "stable": False}
    assert await _call(lab_a, "get_mode_names") == ["FAST", "PRECISE"]

    # None, lists, tuples and timestamps survive both hops.
    assert await _call(lab_a, "lookup", sample="standard") == 50.0
    assert await _call(lab_a, "lookup", sample="unknown") is None
    assert await _call(lab_a, "history", last=[1.0, 2.5],
                       at="2026-01-02T03:04:05Z") == [2, "2026-01-02T03:04:05+00:00"]

    # Bad arguments are refused by A before anything is forwarded.
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await _call(lab_a, "add", mass_mg=5000)
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # B's instrument error comes back as A's instrument error, naming B's exception.
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await _call(lab_a, "fail")
    assert failed.value.code() == grpc.StatusCode.ABORTED
    assert rich_status(failed.value)["reason"] == "INSTRUMENT_ERROR"
    assert "RuntimeError: balance jammed" in (failed.value.details() or "")

    # Both labs recorded the calls; B is the owner of the instrument.
    on_b = await control_grpc.ControlServiceStub(lab_b.channel()).ListCalls(
        control_pb.ListCallsRequest(instrument="balance"))
    assert sorted(c.method for c in on_b.calls) == ["add", "fail", "get_mode_names", "history",
                                                    "lookup", "lookup", "weigh", "weigh"]
    on_a = await control.ListCalls(control_pb.ListCallsRequest(instrument="remote_balance"))
    assert sorted(c.method for c in on_a.calls) == ["add", "fail", "get_mode_names", "history",
                                                    "lookup", "lookup", "weigh", "weigh"]

    # B's busy rule applies: while a run holds B's deck, A's call is refused with B's reason.
    await save_workflow(lab_b.channel(), "hold_b", main=[{"pause": {"message": "hold"}}])
    held = await create_run(lab_b.channel(), "hold_b")
    await wait_for_event(lab_b.channel(), held.id, paused(run_pb2.PAUSE_KIND_PAUSE_STEP))
    with pytest.raises(grpc.aio.AioRpcError) as busy:
        await _call(lab_a, "weigh")
    assert busy.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rich_status(busy.value)["reason"] == "REMOTE_INSTRUMENT_BUSY"

    # The export carries the remote instrument under A's name.
    write_export(lab_a.server.schema, tmp_path / "export")
    text = (tmp_path / "export/ivorygrpc/deck/remote_balance/v1/remote_balance.proto").read_text()
    assert "service RemoteBalanceService" in text and "enum Mode" in text


async def test_a_run_on_lab_a_survives_lab_b_going_away(lab_b: LabB,
                                                         serve_deck: ServeDeck) -> None:
    lab_a = await serve_deck(LAB_A_DECK)
    gate = sys.modules["lab_a_deck"].lab.gate
    gate.clear()
    await save_workflow(lab_a.channel, "weigh_twice", main=[
        call("weigh", instrument="remote_balance", step_id="weigh", save_as=["reading"],
             mode={"literal": "FAST"}),
        call("hold", instrument="lab", step_id="hold"),
    ])
    run = await create_run(lab_a.channel, "weigh_twice", mode=mode(repeat=2))
    try:
        first = await wait_for_event(lab_a.channel, run.id, lambda e: (
            e.WhichOneof("kind") == "step_finished" and e.step_finished.step_id == "weigh"))
        assert json_format.MessageToDict(first.step_finished.output) == {
            "mass_mg": 100.0, "stable": False}

        await asyncio.to_thread(lab_b.stop)
        gate.set()
        failed = await wait_for_event(lab_a.channel, run.id, paused(run_pb2.PAUSE_KIND_STEP_ERROR))
        error = failed.state_changed.pause.error
        assert error.type == "RemoteUnavailable"
        assert lab_b.target in error.message and "unavailable" in error.message

        # A direct call meanwhile fails the same way, as UNAVAILABLE/REMOTE_UNAVAILABLE.
        with pytest.raises(grpc.aio.AioRpcError) as direct:
            await control_grpc.ControlServiceStub(lab_a.channel).CallMethod(
                control_pb.CallMethodRequest(instrument="remote_balance", method="weigh",
                                             override_busy=True))
        assert direct.value.code() == grpc.StatusCode.UNAVAILABLE
        assert rich_status(direct.value)["reason"] == "REMOTE_UNAVAILABLE"

        await asyncio.to_thread(lab_b.start)  # same port, same data folder
        await execute_grpc.ExecuteServiceStub(lab_a.channel).RetryStep(
            execute_pb.RetryStepRequest(run_id=run.id, pause_id=failed.state_changed.pause.id))
        final, events = await finish(lab_a.channel, run.id)
    finally:
        gate.set()
    assert final.state == run_pb2.RUN_STATE_SUCCEEDED
    weighs = [e.step_finished for e in events if e.WhichOneof("kind") == "step_finished"
              and e.step_finished.step_id == "weigh"]
    assert [w.attempt for w in weighs] == [1, 1, 2]
    assert weighs[1].error.type == "RemoteUnavailable"
    assert json_format.MessageToDict(weighs[2].output) == {"mass_mg": 100.0, "stable": False}
    # B (restarted, same data) recorded both calls that reached it.
    await lab_b.login()
    on_b = await control_grpc.ControlServiceStub(lab_b.channel()).ListCalls(
        control_pb.ListCallsRequest(instrument="balance"))
    assert [c.method for c in on_b.calls] == ["weigh", "weigh"]
    arguments = [json_format.MessageToDict(c.arguments) for c in on_b.calls]
    assert arguments == [{"mode": "MODE_FAST"}] * 2  # B records its typed request


def test_an_unreachable_lab_b_fails_the_deck_loudly(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_B_TARGET", "127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("LAB_B_TOKEN", "unused")
    deck = tmp_path / "lab_a_unreachable.py"
    deck.write_text(LAB_A_DECK.read_text().replace("connect_timeout=10", "connect_timeout=0.5"))
    with pytest.raises(DeckError, match=r"remote instrument 'balance': 127\.0\.0\.1:9"):
        load_deck(deck)


async def test_a_wrong_instrument_or_token_fails_the_deck_loudly(
        lab_b: LabB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deck = tmp_path / "lab_a_unknown.py"
    deck.write_text(LAB_A_DECK.read_text().replace('"balance"', '"scale"'))
    with pytest.raises(DeckError, match=r"serves no such instrument \(it serves: balance\)"):
        await asyncio.to_thread(load_deck, deck)
    monkeypatch.setenv("LAB_B_TOKEN", "not-a-token")
    with pytest.raises(DeckError, match="refused the token"):
        await asyncio.to_thread(load_deck, LAB_A_DECK)


async def test_a_call_past_the_deadline_is_remote_deadline_exceeded(
        lab_b: LabB, serve_deck: ServeDeck, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_B_DEADLINE", "0.3")
    lab_a = await serve_deck(LAB_A_DECK)
    assert await _call(lab_a, "settle", seconds=0.01) == 0.01
    with pytest.raises(grpc.aio.AioRpcError) as late:
        await _call(lab_a, "settle", seconds=2)
    assert late.value.code() == grpc.StatusCode.UNAVAILABLE
    assert rich_status(late.value)["reason"] == "REMOTE_DEADLINE_EXCEEDED"
    assert "did not answer within 0.3 s" in (late.value.details() or "")


async def test_mutual_tls_to_lab_b(tmp_path: Path, serve_deck: ServeDeck) -> None:
    ca, server, client = make_certificates(tmp_path)
    lab_b = LabB(tmp_path / "lab_b", options=(
        "--tls-cert", str(server.cert), "--tls-key", str(server.key),
        "--tls-client-ca", str(ca.cert)),
        credentials=grpc.ssl_channel_credentials(
            ca.cert.read_bytes(), client.key.read_bytes(), client.cert.read_bytes()))
    async with lab_b.running():
        deck = tmp_path / "lab_a_tls.py"
        deck.write_text(textwrap.dedent(f'''
            import ivorygrpc
            remote_balance = ivorygrpc.remote(
                "localhost:{lab_b.port}", "balance", token="{lab_b.token}",
                ca_file={str(ca.cert)!r}, cert_file={str(client.cert)!r},
                key_file={str(client.key)!r}, connect_timeout=10)
        '''))
        lab_a = await serve_deck(deck)
        assert await _call(lab_a, "add", mass_mg=1.0) == 101.0
