"""`ivorygrpc.v1.ControlService`: instruments, generic calls, call records."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

from google.protobuf import json_format, struct_pb2

from ivorygrpc.direct_control import DirectControl
from ivorygrpc.errors import FieldViolation, InvalidArguments, InvalidPageToken, NotFound
from ivorygrpc.export import descriptor_set, proto_texts
from ivorygrpc.paging import PageTokens, page_size, split_page
from ivorygrpc.schema import Schema
from ivorygrpc.services.context import Context, caller_of
from ivorygrpc.services.convert import call_record_message, instrument_message
from ivorygrpc.services.errors import rpc_errors
from ivorygrpc.v1 import control_service_pb2 as pb
from ivorygrpc.v1 import control_service_pb2_grpc as pb_grpc


def _value_to_python(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return struct_to_python(value.struct_value)
    if kind == "list_value":
        return [_value_to_python(item) for item in value.list_value.values]
    if kind in ("number_value", "string_value", "bool_value"):
        return getattr(value, kind)
    return None


def struct_to_python(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A Struct as plain Python; unlike MessageToDict it keeps NaN and infinities,
    which argument validation then judges like any other number."""
    return {key: _value_to_python(item) for key, item in struct.fields.items()}


class ControlServicer(pb_grpc.ControlServiceServicer):
    """Direct control of the deck."""

    def __init__(self, control: DirectControl, schema: Schema, tokens: PageTokens) -> None:
        self._control = control
        self._schema = schema
        self._tokens = tokens

    @rpc_errors
    async def ListInstruments(self, request: pb.ListInstrumentsRequest,
                              context: Context) -> pb.ListInstrumentsResponse:
        """Lists the deck's instruments, in deck order."""
        size = page_size(request.page_size)
        start = self._offset("ListInstruments", request.page_token)
        instruments = self._control.deck.spec.instruments
        page = instruments[start:start + size]
        next_token = ""
        if start + size < len(instruments):
            next_token = self._tokens.encode("ListInstruments", [start + size])
        return pb.ListInstrumentsResponse(instruments=[instrument_message(i) for i in page],
                                          next_page_token=next_token)

    def _offset(self, scope: str, token: str) -> int:
        if not token:
            return 0
        cursor = self._tokens.decode(scope, token)
        if len(cursor) != 1 or not isinstance(cursor[0], int) or cursor[0] < 0:
            raise InvalidPageToken()
        return cursor[0]

    @rpc_errors
    async def GetInstrument(self, request: pb.GetInstrumentRequest,
                            context: Context) -> pb.GetInstrumentResponse:
        """Describes one instrument."""
        inst = self._control.deck.spec.instrument(request.name)
        if inst is None:
            raise NotFound("instrument", request.name, reason="INSTRUMENT_NOT_FOUND")
        return pb.GetInstrumentResponse(instrument=instrument_message(inst))

    @rpc_errors
    async def CallMethod(self, request: pb.CallMethodRequest,
                         context: Context) -> pb.CallMethodResponse:
        """Calls an instrument method with JSON-like arguments."""
        arguments = struct_to_python(request.arguments)
        result, record = await self._control.call_json(
            request.instrument, request.method, arguments, caller_of(context), request.request_id,
            override_busy=request.override_busy)
        response = pb.CallMethodResponse(call=call_record_message(record))
        json_format.ParseDict(result, response.result)
        return response

    @rpc_errors
    async def ListCalls(self, request: pb.ListCallsRequest,
                        context: Context) -> pb.ListCallsResponse:
        """Lists direct-call records, newest first."""
        size = page_size(request.page_size)
        scope = f"ListCalls:{request.instrument}"
        before = None
        if request.page_token:
            cursor = self._tokens.decode(scope, request.page_token)
            try:
                before = (datetime.datetime.fromisoformat(cursor[0]), str(cursor[1]))
            except (IndexError, TypeError, ValueError):
                raise InvalidPageToken() from None
        records = await asyncio.to_thread(self._control.store.calls.list,
                                          instrument=request.instrument or None,
                                          limit=size + 1, before=before)
        records, last = split_page(records, size)
        next_token = self._tokens.encode(scope, [last.started_at.isoformat(), last.id]) if (
            last) else ""
        return pb.ListCallsResponse(calls=[call_record_message(r) for r in records],
                                    next_page_token=next_token)

    @rpc_errors
    async def GetCall(self, request: pb.GetCallRequest, context: Context) -> pb.GetCallResponse:
        """Gets one direct-call record."""
        if not request.id:
            raise InvalidArguments([FieldViolation("id", "is required")])
        record = await asyncio.to_thread(self._control.store.calls.get, request.id)
        if record is None:
            raise NotFound("call", request.id, reason="CALL_NOT_FOUND")
        return pb.GetCallResponse(call=call_record_message(record))

    @rpc_errors
    async def ExportSchema(self, request: pb.ExportSchemaRequest,
                           context: Context) -> pb.ExportSchemaResponse:
        """Exports the whole schema as a FileDescriptorSet and `.proto` texts."""
        files = [pb.ProtoFile(name=name, content=text) for name, text in proto_texts(self._schema)]
        return pb.ExportSchemaResponse(file_descriptor_set=descriptor_set(self._schema),
                                       files=files)
