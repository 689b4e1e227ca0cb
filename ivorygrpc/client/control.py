"""ControlService operations: the instruments, generic calls, call records, the schema."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ivorygrpc.client.base import ClientBase, new_request_id
from ivorygrpc.client.values import from_json_value, to_jsonable
from ivorygrpc.v1 import call_record_pb2, instrument_pb2
from ivorygrpc.v1 import control_service_pb2 as pb


@dataclass(frozen=True)
class CallResult:
    """What `Client.call` returns: the JSON-like result and the call's record."""

    value: Any
    record: call_record_pb2.CallRecord


class ControlOperations(ClientBase):
    """Direct control by name (the typed way is `Client.deck()`)."""

    async def list_instruments(self) -> list[instrument_pb2.Instrument]:
        """Every instrument of the deck with its methods, parameters and return shapes."""
        return await self._collect(self._control.ListInstruments,
                                   pb.ListInstrumentsRequest(), "instruments", None)

    async def get_instrument(self, name: str) -> instrument_pb2.Instrument:
        """Describe one instrument (NotFound for an unknown name)."""
        reply = await self._unary(self._control.GetInstrument, pb.GetInstrumentRequest(name=name))
        return reply.instrument

    async def call(self, instrument: str, method: str,
                   arguments: Mapping[str, Any] | None = None, *,
                   request_id: str | None = None, override_busy: bool = False,
                   timeout: float | None = None) -> CallResult:
        """Call `instrument.method(**arguments)` with JSON-like arguments.

        Enums go by member name, bytes as base64 text, datetimes as RFC 3339 text.
        A fresh `request_id` is used unless given: reuse one to retry safely (the
        server answers a repeat with the first call's result and never acts twice).
        Raises `InstrumentError` when the method raises, `InstrumentBusy` during a run.
        """
        request = pb.CallMethodRequest(instrument=instrument, method=method,
                                       request_id=request_id or new_request_id(),
                                       override_busy=override_busy)
        request.arguments.update(to_jsonable(dict(arguments or {})))
        reply = await self._unary(self._control.CallMethod, request, timeout=timeout)
        value = from_json_value(reply.result) if reply.HasField("result") else None
        return CallResult(value, reply.call)

    async def list_calls(self, instrument: str = "", *,
                         limit: int | None = 100) -> list[call_record_pb2.CallRecord]:
        """Direct-call records, newest first (of one instrument when given)."""
        return await self._collect(self._control.ListCalls,
                                   pb.ListCallsRequest(instrument=instrument), "calls", limit)

    async def get_call(self, call_id: str) -> call_record_pb2.CallRecord:
        """One direct-call record: state, arguments, output or error, times."""
        reply = await self._unary(self._control.GetCall, pb.GetCallRequest(id=call_id))
        return reply.call

    async def export_schema(self) -> pb.ExportSchemaResponse:
        """The whole schema: a FileDescriptorSet and the `.proto` texts."""
        return await self._unary(self._control.ExportSchema, pb.ExportSchemaRequest())

