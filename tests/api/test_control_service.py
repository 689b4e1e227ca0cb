"""ControlService through a real channel."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import descriptor_pb2, json_format, struct_pb2

from ivorygrpc.v1 import call_record_pb2, instrument_pb2
from ivorygrpc.v1 import control_service_pb2 as pb
from ivorygrpc.v1 import control_service_pb2_grpc as pb_grpc
from tests.fixtures.client import rich_status
from tests.fixtures.server import API_DECK, Served, ServeDeck


def _args(values: dict[str, object]) -> struct_pb2.Struct:
    return json_format.ParseDict(values, struct_pb2.Struct())


@pytest.fixture
def stub(served: Served) -> pb_grpc.ControlServiceStub:
    return pb_grpc.ControlServiceStub(served.channel)


async def test_list_instruments_in_deck_order_with_pages(stub: pb_grpc.ControlServiceStub) -> None:
    everything = await stub.ListInstruments(pb.ListInstrumentsRequest())
    assert [i.name for i in everything.instruments] == ["pump", "balance", "sdl", "blocks"]
    first = await stub.ListInstruments(pb.ListInstrumentsRequest(page_size=3))
    assert [i.name for i in first.instruments] == ["pump", "balance", "sdl"]
    rest = await stub.ListInstruments(pb.ListInstrumentsRequest(
        page_size=3, page_token=first.next_page_token))
    assert [i.name for i in rest.instruments] == ["blocks"] and rest.next_page_token == ""


async def test_get_instrument_describes_parameters(stub: pb_grpc.ControlServiceStub) -> None:
    sdl = (await stub.GetInstrument(pb.GetInstrumentRequest(name="sdl"))).instrument
    assert sdl.service == "ivorygrpc.deck.sdl.v1.SdlService"
    methods = {m.name: m for m in sdl.methods}
    assert {"get_temperature", "set_temperature", "dose_solvent", "analyze", "mix",
            "fail"} <= set(methods)
    solvent, volume, note = methods["dose_solvent"].parameters
    assert solvent.required and solvent.type.kind == instrument_pb2.VALUE_KIND_ENUM
    assert list(solvent.type.choices) == ["WATER", "ETHANOL", "ACETONE"]
    assert not volume.required and volume.default_value.number_value == 1.0
    assert volume.unit == "mL"
    assert note.type.nullable and not note.required
    assert methods["mix"].is_async
    analyze = methods["analyze"]
    assert analyze.returns.kind == instrument_pb2.RETURN_KIND_TUPLE
    assert [f.name for f in analyze.returns.fields] == ["result_0", "result_1"]
    assert methods["dose_solid"].parameters[0].maximum == 1000.0
    assert methods["get_temperature"].kind == instrument_pb2.METHOD_KIND_PROPERTY_GET


async def test_get_unknown_instrument_is_not_found(stub: pb_grpc.ControlServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetInstrument(pb.GetInstrumentRequest(name="nope"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    details = rich_status(caught.value)
    assert details["reason"] == "INSTRUMENT_NOT_FOUND"
    assert details["resource"] == ("instrument", "nope")


async def test_call_method_converts_json_arguments(stub: pb_grpc.ControlServiceStub) -> None:
    reply = await stub.CallMethod(pb.CallMethodRequest(
        instrument="sdl", method="dose_solvent",
        arguments=_args({"solvent": "ACETONE", "volume_ml": 2})))
    assert reply.result.string_value == "2.0 mL acetone"
    assert reply.call.state == call_record_pb2.CALL_STATE_SUCCEEDED
    assert dict(reply.call.arguments) == {"solvent": "ACETONE", "volume_ml": 2.0}
    tuple_reply = await stub.CallMethod(pb.CallMethodRequest(
        instrument="sdl", method="analyze", arguments=_args({"wavelengths_nm": [1, 2]})))
    assert len(tuple_reply.result.list_value.values) == 2
    record_reply = await stub.CallMethod(pb.CallMethodRequest(instrument="balance",
                                                              method="weigh"))
    assert set(json_format.MessageToDict(record_reply.result)) == {"mass_mg", "stable"}
    none_reply = await stub.CallMethod(pb.CallMethodRequest(instrument="pump", method="prime"))
    assert none_reply.result.WhichOneof("kind") == "null_value"


async def test_call_method_lists_every_bad_argument(stub: pb_grpc.ControlServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CallMethod(pb.CallMethodRequest(
            instrument="sdl", method="analyze",
            arguments=_args({"wavelengths_nm": "254", "mode": "turbo", "colour": 1})))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = rich_status(caught.value)["violations"]
    assert set(violations) == {"wavelengths_nm", "mode", "colour"}
    assert "fast" in violations["mode"]


async def test_call_method_unknown_names(stub: pb_grpc.ControlServiceStub) -> None:
    for instrument, method, reason in [("nope", "x", "INSTRUMENT_NOT_FOUND"),
                                       ("pump", "explode", "METHOD_NOT_FOUND"),
                                       ("pump", "_private", "METHOD_NOT_FOUND")]:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.CallMethod(pb.CallMethodRequest(instrument=instrument, method=method))
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        assert rich_status(caught.value)["reason"] == reason


async def test_call_method_instrument_error(stub: pb_grpc.ControlServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CallMethod(pb.CallMethodRequest(instrument="sdl", method="fail"))
    assert caught.value.code() == grpc.StatusCode.ABORTED
    assert rich_status(caught.value)["reason"] == "INSTRUMENT_ERROR"
    record = (await stub.ListCalls(pb.ListCallsRequest())).calls[0]
    assert record.state == call_record_pb2.CALL_STATE_FAILED
    assert record.error.message == "simulated instrument fault"


async def test_list_calls_pages_newest_first(stub: pb_grpc.ControlServiceStub) -> None:
    for volume in range(1, 8):
        await stub.CallMethod(pb.CallMethodRequest(instrument="pump", method="dispense",
                                                   arguments=_args({"volume_ml": volume})))
    await stub.CallMethod(pb.CallMethodRequest(instrument="balance", method="tare"))
    seen: list[float] = []
    token = ""
    while True:
        page = await stub.ListCalls(pb.ListCallsRequest(instrument="pump", page_size=3,
                                                        page_token=token))
        assert len(page.calls) <= 3
        seen += [c.arguments["volume_ml"] for c in page.calls]
        token = page.next_page_token
        if not token:
            break
    assert seen == [7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]


async def test_page_token_is_bound_to_its_filter(stub: pb_grpc.ControlServiceStub) -> None:
    for _ in range(3):
        await stub.CallMethod(pb.CallMethodRequest(instrument="pump", method="prime"))
    page = await stub.ListCalls(pb.ListCallsRequest(instrument="pump", page_size=1))
    for bad in [pb.ListCallsRequest(instrument="sdl", page_token=page.next_page_token),
                pb.ListCallsRequest(page_token="garbage"),
                pb.ListCallsRequest(page_size=-1)]:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.ListCalls(bad)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_get_call_unknown_id(stub: pb_grpc.ControlServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetCall(pb.GetCallRequest(id="does-not-exist"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_request_id_never_acts_twice(serve_deck: ServeDeck) -> None:
    served = await serve_deck(API_DECK)
    stub = pb_grpc.ControlServiceStub(served.channel)
    request = pb.CallMethodRequest(instrument="counter", method="increment", request_id="r-1")
    first = await stub.CallMethod(request)
    retry = await stub.CallMethod(request)
    assert first.result.number_value == retry.result.number_value == 1
    assert first.call.id == retry.call.id
    other = pb.CallMethodRequest(instrument="counter", method="increment",
                                 arguments=_args({"by": 5}), request_id="r-2")
    assert (await stub.CallMethod(other)).result.number_value == 6
    misuse = pb.CallMethodRequest(instrument="probe", method="hold", request_id="r-1")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CallMethod(misuse)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_export_schema_holds_static_and_deck_files(
        stub: pb_grpc.ControlServiceStub) -> None:
    export = await stub.ExportSchema(pb.ExportSchemaRequest())
    names = {f.name for f in export.files}
    assert {"ivorygrpc/v1/control_service.proto", "ivorygrpc/v1/options.proto",
            "ivorygrpc/deck/pump/v1/pump.proto", "ivorygrpc/deck/sdl/v1/sdl.proto"} <= names
    pump = next(f.content for f in export.files if f.name.endswith("pump/v1/pump.proto"))
    assert "package ivorygrpc.deck.pump.v1;" in pump
    assert "service PumpService {" in pump
    assert "rpc Dispense(DispenseRequest) returns (DispenseResponse)" in pump
    assert "Dispense a volume at a flow rate" in pump
    fds = descriptor_pb2.FileDescriptorSet.FromString(export.file_descriptor_set)
    assert {"google/protobuf/struct.proto"} | names <= {f.name for f in fds.file}
