"""ControlService: the deck's instruments and methods, direct calls and their records.

Returns plain dataclasses (`InstrumentInfo`, `MethodInfo`, `ParameterInfo`, `TypeSpec`,
`CallInfo`) so pages and `components.parameter_form` never touch protobuf.
`type_spec` converts an `ivorygrpc.v1.TypeInfo` (also used by DesignService's run
parameters) for client modules that need it.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from ivorygrpc.v1 import call_record_pb2, control_service_pb2, instrument_pb2
from ivorygrpc_ui.client.connection import Connection
from ivorygrpc_ui.client.design import deck_instruments
from ivorygrpc_ui.client.errors import rpc_errors
from ivorygrpc_ui.client.values import JsonValue, from_struct, from_value, time_of, to_struct

_KINDS = {
    instrument_pb2.VALUE_KIND_DOUBLE: "float", instrument_pb2.VALUE_KIND_INT64: "int",
    instrument_pb2.VALUE_KIND_STRING: "str", instrument_pb2.VALUE_KIND_BOOL: "bool",
    instrument_pb2.VALUE_KIND_BYTES: "bytes", instrument_pb2.VALUE_KIND_ENUM: "enum",
    instrument_pb2.VALUE_KIND_RECORD: "record", instrument_pb2.VALUE_KIND_TIMESTAMP: "datetime",
    instrument_pb2.VALUE_KIND_ANY: "any",
}
_METHOD_KINDS = {
    instrument_pb2.METHOD_KIND_METHOD: "method",
    instrument_pb2.METHOD_KIND_PROPERTY_GET: "property_get",
    instrument_pb2.METHOD_KIND_PROPERTY_SET: "property_set",
}
_CALL_STATES = {call_record_pb2.CALL_STATE_RUNNING: "running",
                call_record_pb2.CALL_STATE_SUCCEEDED: "succeeded",
                call_record_pb2.CALL_STATE_FAILED: "failed"}


@dataclass(frozen=True)
class TypeSpec:
    """A declared parameter type.

    :param python: the annotation as text, for example ``Optional[list[int]]``
    :param kind: one value's kind: ``float``, ``int``, ``str``, ``bool``, ``bytes``, ``enum``,
        ``record``, ``datetime`` or ``any``
    :param repeated: a list of such values
    :param nullable: ``None`` is accepted
    :param choices: the accepted names of an enum
    :param fields: the fields of a record, as ``(name, TypeSpec)`` pairs
    """

    python: str
    kind: str
    repeated: bool = False
    nullable: bool = False
    choices: tuple[str, ...] = ()
    fields: tuple[tuple[str, TypeSpec], ...] = ()


@dataclass(frozen=True)
class ParameterInfo:
    """One parameter of a method (or of a workflow run).

    `default` is meaningful only when `has_default` is true (a default may be None).
    """

    name: str
    type: TypeSpec
    required: bool = True
    has_default: bool = False
    default: JsonValue = None
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""


@dataclass(frozen=True)
class MethodInfo:
    """An operation of an instrument; `name` is what `call_method` takes."""

    name: str
    kind: str
    description: str
    parameters: tuple[ParameterInfo, ...]
    returns: str
    is_async: bool = False


@dataclass(frozen=True)
class InstrumentInfo:
    """An instrument (or the blocks group) with its methods in declaration order."""

    name: str
    class_name: str
    description: str
    is_blocks: bool
    methods: tuple[MethodInfo, ...]


@dataclass(frozen=True)
class CallInfo:
    """The record of one direct call."""

    id: str
    instrument: str
    method: str
    arguments: dict[str, JsonValue]
    caller: str
    state: str
    start_time: datetime.datetime | None
    end_time: datetime.datetime | None
    output: JsonValue
    error: str = ""


@dataclass(frozen=True)
class CallResult:
    """The result of `call_method` and its record."""

    result: JsonValue
    call: CallInfo


@dataclass
class CallPage:
    """A page of call records and the token of the next one."""

    calls: list[CallInfo] = field(default_factory=list)
    next_page_token: str = ""


def type_spec(info: instrument_pb2.TypeInfo) -> TypeSpec:
    """The `TypeSpec` of a `TypeInfo` message."""
    return TypeSpec(python=info.python, kind=_KINDS.get(info.kind, "any"),
                    repeated=info.repeated, nullable=info.nullable,
                    choices=tuple(info.choices),
                    fields=tuple((f.name, type_spec(f.type)) for f in info.fields))


def parameter_info(message: instrument_pb2.Parameter) -> ParameterInfo:
    """The `ParameterInfo` of a `Parameter` message."""
    has_default = not message.required and message.HasField("default_value")
    return ParameterInfo(
        name=message.name, type=type_spec(message.type), required=message.required,
        has_default=has_default,
        default=from_value(message.default_value) if has_default else None,
        unit=message.unit,
        minimum=message.minimum if message.HasField("minimum") else None,
        maximum=message.maximum if message.HasField("maximum") else None)


def _method(message: instrument_pb2.Method) -> MethodInfo:
    return MethodInfo(name=message.name, kind=_METHOD_KINDS.get(message.kind, "method"),
                      description=message.description,
                      parameters=tuple(parameter_info(p) for p in message.parameters),
                      returns=instrument_pb2.ReturnKind.Name(message.returns.kind)
                      .removeprefix("RETURN_KIND_").lower(),
                      is_async=message.is_async)


def instrument_info(message: instrument_pb2.Instrument) -> InstrumentInfo:
    """The `InstrumentInfo` of an `Instrument` message."""
    return InstrumentInfo(name=message.name, class_name=message.class_name,
                          description=message.description,
                          is_blocks=message.kind == instrument_pb2.INSTRUMENT_KIND_BLOCKS,
                          methods=tuple(_method(m) for m in message.methods))


def call_info(record: call_record_pb2.CallRecord) -> CallInfo:
    """The `CallInfo` of a `CallRecord` message."""
    error = ""
    if record.HasField("error"):
        error = f"{record.error.type}: {record.error.message}".strip(": ")
    return CallInfo(id=record.id, instrument=record.instrument, method=record.method,
                    arguments=from_struct(record.arguments), caller=record.caller,
                    state=_CALL_STATES.get(record.state, "unknown"),
                    start_time=time_of(record, "start_time"),
                    end_time=time_of(record, "end_time"),
                    output=from_value(record.output) if record.HasField("output") else None,
                    error=error)


@rpc_errors
async def list_instruments(conn: Connection) -> list[InstrumentInfo]:
    """Every instrument of the deck, in deck order (all pages)."""
    return [instrument_info(i) for i in await deck_instruments(conn)]


def new_request_id() -> str:
    """A fresh idempotency key for one user action."""
    return str(uuid.uuid4())


@rpc_errors
async def call_method(conn: Connection, instrument: str, method: str,
                      arguments: dict[str, JsonValue], request_id: str) -> CallResult:
    """Call a method now; a retry with the same `request_id` never calls twice."""
    reply = await conn.control.CallMethod(
        control_service_pb2.CallMethodRequest(instrument=instrument, method=method,
                                               arguments=to_struct(arguments),
                                               request_id=request_id),
        metadata=conn.metadata())
    result = from_value(reply.result) if reply.HasField("result") else None
    return CallResult(result=result, call=call_info(reply.call))


@rpc_errors
async def list_calls(conn: Connection, instrument: str = "", page_size: int = 20,
                     page_token: str = "") -> CallPage:
    """Recent direct calls, newest first (of one instrument when given)."""
    reply = await conn.control.ListCalls(
        control_service_pb2.ListCallsRequest(instrument=instrument, page_size=page_size,
                                             page_token=page_token),
        metadata=conn.metadata())
    return CallPage([call_info(c) for c in reply.calls], reply.next_page_token)
