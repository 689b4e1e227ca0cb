"""Domain objects -> static `ivorygrpc.v1` messages, in one place."""

from __future__ import annotations

import datetime

from google.protobuf import json_format, timestamp_pb2

from ivorygrpc.deck.jsonable import to_jsonable
from ivorygrpc.deck.model import (
    MISSING,
    InstrumentSpec,
    Kind,
    OperationKind,
    OperationSpec,
    ParamSpec,
    ReturnKind,
    TypeSpec,
)
from ivorygrpc.errors import FieldViolation, InvalidArguments
from ivorygrpc.store import CallRecord
from ivorygrpc.v1 import call_record_pb2, instrument_pb2

_KINDS = {
    Kind.DOUBLE: instrument_pb2.VALUE_KIND_DOUBLE,
    Kind.INT64: instrument_pb2.VALUE_KIND_INT64,
    Kind.STRING: instrument_pb2.VALUE_KIND_STRING,
    Kind.BOOL: instrument_pb2.VALUE_KIND_BOOL,
    Kind.BYTES: instrument_pb2.VALUE_KIND_BYTES,
    Kind.ENUM: instrument_pb2.VALUE_KIND_ENUM,
    Kind.RECORD: instrument_pb2.VALUE_KIND_RECORD,
    Kind.TIMESTAMP: instrument_pb2.VALUE_KIND_TIMESTAMP,
    Kind.ANY: instrument_pb2.VALUE_KIND_ANY,
}
_METHOD_KINDS = {
    OperationKind.METHOD: instrument_pb2.METHOD_KIND_METHOD,
    OperationKind.PROPERTY_GET: instrument_pb2.METHOD_KIND_PROPERTY_GET,
    OperationKind.PROPERTY_SET: instrument_pb2.METHOD_KIND_PROPERTY_SET,
}
_RETURN_KINDS = {
    ReturnKind.NONE: instrument_pb2.RETURN_KIND_NONE,
    ReturnKind.SCALAR: instrument_pb2.RETURN_KIND_SCALAR,
    ReturnKind.TUPLE: instrument_pb2.RETURN_KIND_TUPLE,
    ReturnKind.RECORD: instrument_pb2.RETURN_KIND_RECORD,
}
_CALL_STATES: dict[str, call_record_pb2.CallState] = {
    "running": call_record_pb2.CALL_STATE_RUNNING,
    "succeeded": call_record_pb2.CALL_STATE_SUCCEEDED,
    "failed": call_record_pb2.CALL_STATE_FAILED,
}


def instrument_message(inst: InstrumentSpec) -> instrument_pb2.Instrument:
    """The `Instrument` resource of an instrument."""
    kind = instrument_pb2.INSTRUMENT_KIND_BLOCKS if inst.is_blocks else (
        instrument_pb2.INSTRUMENT_KIND_OBJECT)
    return instrument_pb2.Instrument(
        name=inst.name, kind=kind, class_name=inst.class_name, description=inst.doc,
        service=inst.service_full_name,
        methods=[_method(inst, op) for op in inst.operations])


def _method(inst: InstrumentSpec, op: OperationSpec) -> instrument_pb2.Method:
    returns = instrument_pb2.ReturnShape(
        kind=_RETURN_KINDS[op.returns.kind],
        fields=[instrument_pb2.RecordField(name=f.name, type=type_info(f.type))
                for f in op.returns.fields])
    return instrument_pb2.Method(
        name=op.name, rpc=op.rpc, full_method=f"/{inst.service_full_name}/{op.rpc}",
        kind=_METHOD_KINDS[op.kind], description=op.doc, is_async=op.is_async,
        parameters=[_parameter(p) for p in op.params], returns=returns)


def _parameter(p: ParamSpec) -> instrument_pb2.Parameter:
    message = instrument_pb2.Parameter(name=p.name, type=type_info(p.type), required=p.required,
                                       unit=p.unit)
    if p.default is not MISSING:
        json_format.ParseDict(to_jsonable(p.default), message.default_value)
    if p.minimum is not None:
        message.minimum = p.minimum
    if p.maximum is not None:
        message.maximum = p.maximum
    return message


def type_info(t: TypeSpec, _depth: int = 0) -> instrument_pb2.TypeInfo:
    """The `TypeInfo` of a type (records expanded, self-references cut at depth 8)."""
    info = instrument_pb2.TypeInfo(python=t.python, kind=_KINDS[t.kind], repeated=t.repeated,
                                   nullable=t.nullable)
    if t.enum is not None:
        info.choices.extend(m.name for m in t.enum.members)
        info.proto_type = t.enum.name
    if t.record is not None:
        info.proto_type = t.record.name
        if _depth < 8:
            info.fields.extend(instrument_pb2.RecordField(name=f.name,
                                                          type=type_info(f.type, _depth + 1))
                               for f in t.record.fields)
    return info


def timestamp(value: datetime.datetime) -> timestamp_pb2.Timestamp:
    """A Timestamp message of an aware datetime."""
    stamp = timestamp_pb2.Timestamp()
    set_timestamp(stamp, value)
    return stamp


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def set_timestamp(target: timestamp_pb2.Timestamp, value: datetime.datetime) -> None:
    """`target.FromDatetime(value)`, without its Python time-tuple work for aware times
    (run events and answers set several per step)."""
    if value.tzinfo is None:
        target.FromDatetime(value)
        return
    since = value - _EPOCH
    target.seconds = since.days * 86_400 + since.seconds
    target.nanos = since.microseconds * 1000


def parse_etag(etag: str) -> int | None:
    """The version an etag stands for (etags are version numbers); None when empty."""
    if not etag:
        return None
    if not etag.isdigit():
        raise InvalidArguments([FieldViolation("etag", "is not an etag of this server")])
    return int(etag)


def call_record_message(record: CallRecord) -> call_record_pb2.CallRecord:
    """The `CallRecord` message of a stored record."""
    message = call_record_pb2.CallRecord(
        id=record.id, instrument=record.instrument, method=record.method, caller=record.caller,
        request_id=record.request_id,
        state=_CALL_STATES.get(record.state, call_record_pb2.CALL_STATE_UNSPECIFIED),
        start_time=timestamp(record.started_at))
    json_format.ParseDict(to_jsonable(record.arguments), message.arguments)
    if record.finished_at is not None:
        message.end_time.CopyFrom(timestamp(record.finished_at))
    if record.state == "succeeded":
        json_format.ParseDict(to_jsonable(record.output), message.output)
    if record.error_type:
        message.error.type = record.error_type
        message.error.message = record.error_message
    return message
