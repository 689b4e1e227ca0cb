"""Per-operation conversion between the wire and a Python call.

`OperationCodec` turns a typed request or JSON-like arguments into the
positional and keyword arguments of the Python method, and its result into
the response message or a JSON-like value. Both request paths apply the same
rules (SPEC §2): absent + default -> the Python default; absent + required ->
INVALID_ARGUMENT naming the field; values converted to the declared types.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import descriptor, json_format, message
from google.protobuf.unknown_fields import UnknownFieldSet

from ivorygrpc.deck.decode import (
    Invalid,
    check_range,
    from_json,
    from_message_field,
    record_from_json,
    violation,
)
from ivorygrpc.deck.encode import ResultMismatch, fill_record, set_field
from ivorygrpc.deck.jsonable import to_jsonable
from ivorygrpc.deck.model import MISSING, InstrumentSpec, OperationSpec, ParamSpec, ReturnKind
from ivorygrpc.errors import FieldViolation, InvalidArguments

_JSON_TYPES = {"google.protobuf.Value", "google.protobuf.Struct", "google.protobuf.ListValue"}
_CONTAINERS: dict[str, type] = {"list": list, "set": set, "frozenset": frozenset, "tuple": tuple}


@dataclass(frozen=True)
class BoundCall:
    """Arguments ready for the Python callable."""

    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


class OperationCodec:
    """Conversions for one operation of one instrument."""

    def __init__(self, instrument: InstrumentSpec, op: OperationSpec,
                 request_cls: type[message.Message], response_cls: type[message.Message]) -> None:
        self.instrument = instrument
        self.op = op
        self.request_cls = request_cls
        self.response_cls = response_cls

    # -- requests ---------------------------------------------------------------------------

    def from_request(self, request: message.Message) -> BoundCall:
        """Decode a typed request; raises InvalidArguments listing every problem."""
        unknown = UnknownFieldSet(request)
        violations = [FieldViolation(f"#{unknown[i].field_number}", "unknown field")
                      for i in range(len(unknown))]
        return self._decode(
            violations,
            lambda p: (len(getattr(request, p.name)) > 0 if p.type.repeated
                       else request.HasField(p.name)),
            lambda p: from_message_field(request, p.name, p.type))

    def from_json(self, arguments: Mapping[str, Any]) -> BoundCall:
        """Decode JSON-like arguments (`CallMethod`); raises InvalidArguments."""
        names = {p.name for p in self.op.params}
        violations = [FieldViolation(name, "unknown parameter")
                      for name in sorted(set(arguments) - names)]
        return self._decode(violations, lambda p: p.name in arguments,
                            lambda p: from_json(arguments[p.name], p.type))

    def _decode(self, violations: list[FieldViolation], present: Callable[[ParamSpec], bool],
                convert: Callable[[ParamSpec], Any]) -> BoundCall:
        """Convert each parameter, collecting every problem before raising."""
        values: dict[str, Any] = {}
        for p in self.op.params:
            if not present(p):
                self._absent(p, values, violations)
                continue
            try:
                value = convert(p)
                check_range(p, value)
                values[p.name] = value
            except Invalid as exc:
                violations.append(violation(p.name, exc))
        if violations:
            raise InvalidArguments(violations)
        return self._bind(values)

    @staticmethod
    def _absent(p: ParamSpec, values: dict[str, Any], violations: list[FieldViolation]) -> None:
        if p.default is not MISSING:
            return  # the Python default applies
        if p.required:
            violations.append(FieldViolation(p.name, "is required"))
        elif p.type.repeated:
            values[p.name] = _CONTAINERS[p.type.container]()
        else:
            values[p.name] = None

    def _bind(self, values: dict[str, Any]) -> BoundCall:
        positional = [p for p in self.op.params if p.positional_only]
        last = max((i for i, p in enumerate(positional) if p.name in values), default=-1)
        args = tuple(values.pop(p.name, p.default) for p in positional[: last + 1])
        for p in positional:
            values.pop(p.name, None)
        return BoundCall(args, values)

    # -- results ----------------------------------------------------------------------------

    def to_response(self, result: Any) -> message.Message:
        """Build the response message; raises ResultMismatch."""
        response = self.response_cls()
        returns = self.op.returns
        if returns.kind is ReturnKind.SCALAR:
            set_field(response, "result", result, returns.fields[0].type)
        elif returns.kind is ReturnKind.TUPLE:
            if not isinstance(result, tuple | list) or len(result) != len(returns.fields):
                raise ResultMismatch(f"expected a tuple of {len(returns.fields)} items, "
                                     f"got {type(result).__name__}")
            for f, item in zip(returns.fields, result, strict=True):
                set_field(response, f.name, item, f.type)
        elif returns.kind is ReturnKind.RECORD:
            assert returns.record is not None
            fill_record(response, result, returns.record, "result")
        return response

    def response_from_json(self, output: Any) -> message.Message:
        """Rebuild the response from a recorded JSON-like output (idempotent replays)."""
        returns = self.op.returns
        try:
            if returns.kind is ReturnKind.SCALAR:
                value: Any = from_json(output, returns.fields[0].type)
            elif returns.kind is ReturnKind.TUPLE:
                value = tuple(from_json(item, f.type)
                              for f, item in zip(returns.fields, output or [], strict=True))
            elif returns.kind is ReturnKind.RECORD:
                assert returns.record is not None
                value = record_from_json(output, returns.record)
            else:
                value = None
        except (Invalid, ValueError) as exc:
            raise ResultMismatch(f"recorded output does not fit: {exc}") from None
        return self.to_response(value)


def result_to_json(result: Any) -> Any:
    """The JSON-like form of a Python result (records as objects, tuples as lists)."""
    return to_jsonable(result)


def message_to_json(msg: message.Message) -> dict[str, Any]:
    """The set fields of a message as JSON-like values (int64 stay numbers)."""
    return {fd.name: _field_to_json(fd, value) for fd, value in msg.ListFields()}


def _field_to_json(fd: descriptor.FieldDescriptor, value: Any) -> Any:
    if fd.is_repeated:
        return [_value_to_json(fd, item) for item in value]
    return _value_to_json(fd, value)


def _value_to_json(fd: descriptor.FieldDescriptor, value: Any) -> Any:
    if fd.type == fd.TYPE_ENUM:
        assert fd.enum_type is not None
        known = fd.enum_type.values_by_number.get(value)
        return known.name if known is not None else value
    if fd.type == fd.TYPE_BYTES:
        return base64.b64encode(value).decode("ascii")
    if fd.type == fd.TYPE_MESSAGE:
        assert fd.message_type is not None
        name = fd.message_type.full_name
        if name in _JSON_TYPES or name == "google.protobuf.Timestamp":
            return json_format.MessageToDict(value)
        return message_to_json(value)
    return to_jsonable(value)
