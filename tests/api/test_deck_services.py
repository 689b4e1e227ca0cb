"""Typed deck rpcs through a real channel: values, defaults, errors, records."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf import json_format, message_factory, struct_pb2

from ivorygrpc.v1 import call_record_pb2
from ivorygrpc.v1 import control_service_pb2 as pb
from ivorygrpc.v1 import control_service_pb2_grpc as pb_grpc
from tests.fixtures.client import DeckClient, rich_status
from tests.fixtures.server import API_DECK, Served, ServeDeck

PUMP = "ivorygrpc.deck.pump.v1.PumpService"
SDL = "ivorygrpc.deck.sdl.v1.SdlService"
BALANCE = "ivorygrpc.deck.balance.v1.BalanceService"
BLOCKS = "ivorygrpc.deck.blocks.v1.BlocksService"


async def test_dispense_returns_typed_result(served: Served) -> None:
    client = await DeckClient.connect(served.channel)
    first = await client.call(PUMP, "Dispense", {"volume_ml": 1.5})
    second = await client.call(PUMP, "Dispense", {"volume_ml": 2, "flow_rate": 4})
    assert first == {"result": 1.5}
    assert second == {"result": 3.5}


async def test_enum_optional_and_defaults_reach_the_method(served: Served) -> None:
    client = await DeckClient.connect(served.channel)
    reply = await client.call(SDL, "DoseSolvent", {"solvent": "SOLVENT_ETHANOL"})
    assert reply == {"result": "1.0 mL ethanol"}
    reply = await client.call(SDL, "DoseSolvent",
                              {"solvent": "SOLVENT_ACETONE", "volume_ml": 2, "note": "dry"})
    assert reply == {"result": "2.0 mL acetone (dry)"}


async def test_tuple_record_async_and_property_shapes(served: Served) -> None:
    client = await DeckClient.connect(served.channel)
    analyzed = await client.call(SDL, "Analyze", {"wavelengths_nm": [254, 280],
                                                  "mode": "MODE_ACCURATE"})
    assert set(analyzed) == {"result_0", "result_1"}
    assert analyzed["result_1"] == 99.0
    reading = await client.call(BALANCE, "Weigh")
    assert set(reading) == {"mass_mg", "stable"} and reading["stable"] is True
    assert await client.call(SDL, "Mix", {"seconds": 0.01}) == {"result": "mixed"}
    assert await client.call(SDL, "SetTemperature", {"value": 61.5}) == {}
    assert await client.call(SDL, "GetTemperature") == {"result": 61.5}
    assert await client.call(BLOCKS, "Dilute", {"volume_ml": 1}) == {"result": 1.0}


async def test_missing_required_argument_is_invalid_argument(served: Served) -> None:
    client = await DeckClient.connect(served.channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.call(SDL, "DoseSolvent", {"volume_ml": 1})
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = rich_status(caught.value)
    assert details["reason"] == "INVALID_ARGUMENT"
    assert details["domain"] == "ivorygrpc"
    assert details["violations"] == {"solvent": "is required"}


async def test_out_of_range_and_unspecified_enum_listed_together(served: Served) -> None:
    client = await DeckClient.connect(served.channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.call(SDL, "DoseSolvent", {"solvent": "SOLVENT_UNSPECIFIED"})
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.call(PUMP, "Dispense", {"volume_ml": 99})
    assert set(rich_status(caught.value)["violations"]) == {"volume_ml"}
    calls = await pb_grpc.ControlServiceStub(served.channel).ListCalls(pb.ListCallsRequest())
    assert list(calls.calls) == []  # bad input changes nothing, not even the records


async def test_instrument_exception_is_aborted_and_recorded(served: Served) -> None:
    client = await DeckClient.connect(served.channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.call(SDL, "Fail", {"message": "valve stuck"})
    assert caught.value.code() == grpc.StatusCode.ABORTED
    details = rich_status(caught.value)
    assert details["reason"] == "INSTRUMENT_ERROR"
    assert details["metadata"]["exception_type"] == "RuntimeError"
    assert details["metadata"]["exception_message"] == "valve stuck"
    stub = pb_grpc.ControlServiceStub(served.channel)
    record = (await stub.GetCall(pb.GetCallRequest(id=details["metadata"]["call_id"]))).call
    assert record.error.type == "RuntimeError" and record.error.message == "valve stuck"
    # the server stays up
    assert await client.call(PUMP, "Dispense", {"volume_ml": 1}) == {"result": 1.0}


async def test_malformed_request_bytes_are_invalid_argument(served: Served) -> None:
    call = served.channel.unary_unary(f"/{PUMP}/Dispense", request_serializer=lambda b: b,
                                      response_deserializer=lambda b: b)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(b"\xff\xff\xff")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_unknown_rpc_is_unimplemented(served: Served) -> None:
    call = served.channel.unary_unary(f"/{PUMP}/Explode", request_serializer=lambda b: b,
                                      response_deserializer=lambda b: b)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(b"")
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_typed_calls_are_recorded_with_arguments_as_sent(served: Served) -> None:
    client = await DeckClient.connect(served.channel)
    await client.call(SDL, "Analyze", {"wavelengths_nm": [254], "mode": "MODE_FAST"})
    stub = pb_grpc.ControlServiceStub(served.channel)
    record = (await stub.ListCalls(pb.ListCallsRequest(instrument="sdl"))).calls[0]
    assert (record.instrument, record.method) == ("sdl", "analyze")
    assert dict(record.arguments) == {"wavelengths_nm": [254.0], "mode": "MODE_FAST"}
    assert record.HasField("end_time") and record.HasField("output")


async def test_request_id_header_makes_a_typed_call_idempotent(serve_deck: ServeDeck) -> None:
    served = await serve_deck(API_DECK)
    client = await DeckClient.connect(served.channel)
    service = "ivorygrpc.deck.counter.v1.CounterService"
    header = [("ivorygrpc-request-id", "req-1")]
    first, again = await asyncio.gather(client.call(service, "Increment", {}, header),
                                        client.call(service, "Increment", {}, header))
    later = await client.call(service, "Increment", {}, header)
    assert first == again == later == {"result": "1"}
    assert await client.call(service, "Increment", {}) == {"result": "2"}


async def test_calls_to_one_instrument_are_serialised(serve_deck: ServeDeck) -> None:
    served = await serve_deck(API_DECK)
    client = await DeckClient.connect(served.channel)
    service = "ivorygrpc.deck.probe.v1.ProbeService"
    replies = await asyncio.gather(*(client.call(service, "Hold", {"seconds": 0.02})
                                     for _ in range(5)))
    assert max(int(r["result"]) for r in replies) == 1


async def test_calls_to_different_instruments_run_concurrently(serve_deck: ServeDeck) -> None:
    served = await serve_deck(API_DECK)
    client = await DeckClient.connect(served.channel)
    # Each call waits at a barrier for the other: serialised calls would time out.
    replies = await asyncio.gather(client.call("ivorygrpc.deck.left.v1.LeftService", "Meet"),
                                   client.call("ivorygrpc.deck.right.v1.RightService", "Meet"))
    assert replies == [{"result": True}, {"result": True}]


async def test_a_cancelled_call_keeps_the_instrument_locked_and_is_recorded(
        serve_deck: ServeDeck) -> None:
    served = await serve_deck(API_DECK)
    stub = pb_grpc.ControlServiceStub(served.channel)
    slow = pb.CallMethodRequest(instrument="probe", method="hold", request_id="slow-1",
                                arguments=json_format.ParseDict({"seconds": 0.6},
                                                                struct_pb2.Struct()))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CallMethod(slow, timeout=0.1)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    # The method still runs: a second call must wait for it, never overlap it.
    quick = await stub.CallMethod(pb.CallMethodRequest(instrument="probe", method="hold",
                                                       arguments=json_format.ParseDict(
                                                           {"seconds": 0}, struct_pb2.Struct())))
    assert quick.result.number_value == 1  # the highest concurrency the probe saw
    retry = await stub.CallMethod(slow)  # the first attempt finished and was recorded
    assert retry.call.state == call_record_pb2.CALL_STATE_SUCCEEDED
    assert retry.result.number_value == 1


async def test_a_cancelled_typed_call_without_request_id_still_records_its_outcome(
        serve_deck: ServeDeck) -> None:
    served = await serve_deck(API_DECK)
    client = await DeckClient.connect(served.channel)
    stub = pb_grpc.ControlServiceStub(served.channel)
    method = client.pool.FindServiceByName(
        "ivorygrpc.deck.probe.v1.ProbeService").methods_by_name["Hold"]
    request_cls = message_factory.GetMessageClass(method.input_type)
    hold = served.channel.unary_unary("/ivorygrpc.deck.probe.v1.ProbeService/Hold",
                                      request_serializer=request_cls.SerializeToString,
                                      response_deserializer=lambda raw: raw)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await hold(request_cls(seconds=0.5), timeout=0.1)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    # A call queued behind it waits for the instrument, then both are recorded.
    quick = await stub.CallMethod(pb.CallMethodRequest(instrument="probe", method="hold",
                                                       arguments=json_format.ParseDict(
                                                           {"seconds": 0}, struct_pb2.Struct())))
    assert quick.result.number_value == 1
    calls = (await stub.ListCalls(pb.ListCallsRequest(instrument="probe"))).calls
    assert [c.state for c in calls] == [call_record_pb2.CALL_STATE_SUCCEEDED] * 2
    assert calls[1].arguments["seconds"] == 0.5
