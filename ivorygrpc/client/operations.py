"""One deck rpc as a Python callable: signature, docstring, request and result mapping.

Built from descriptors alone (reflection), so it works for any ivorygrpc server:

* parameters are the request fields in order, with the Python defaults from the
  `(ivorygrpc.v1.parameter)` option; a required parameter after one with a
  default becomes keyword-only (proto has no such rule, Python does);
* an argument left out is not sent, so the server applies the deck's own
  default; passing `None` is the same as leaving it out (proto3 cannot send a
  null scalar), except for JSON-like (`Any`) parameters where it is `null`;
* results: no field -> `None`; `result` -> its value; `result_0..n` -> a tuple;
  other fields (a NamedTuple or dataclass result) -> a namedtuple named after
  the Python class (the deck's record class when the same record is also a
  parameter or field somewhere).
"""

from __future__ import annotations

import collections
import inspect
import re
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import descriptor, message

from ivorygrpc.client.deck_types import ArgumentError, DeckTypes
from ivorygrpc.client.errors import FieldViolation, InvalidArgument
from ivorygrpc.v1 import options_pb2

_P = inspect.Parameter
INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT
_RESULT_CLASS = re.compile(r"Python result `([^`]+)`")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TUPLE_FIELD = re.compile(r"^result_\d+$")


@dataclass(frozen=True)
class Operation:
    """A deck rpc and how it maps to a Python method."""

    attribute: str  # `dispense`, `get_temperature`, `set_temperature`
    property_name: str  # `temperature` for a getter or setter, else empty
    is_setter: bool
    full_method: str  # `/ivorygrpc.deck.pump.v1.PumpService/Dispense`
    method: descriptor.MethodDescriptor
    request_class: type[message.Message]
    response_class: type[message.Message]
    signature: inspect.Signature  # with `self` first
    doc: str
    result_class: type | None  # the namedtuple of a record result


def build_operation(types: DeckTypes, method: descriptor.MethodDescriptor) -> Operation:
    """The Operation of one rpc of a deck service."""
    schema = types.schema
    options: options_pb2.OperationOptions = method.GetOptions().Extensions[
        options_pb2.operation]  # type: ignore[index]
    python_name = options.python_name or _snake(method.name)
    property_name, is_setter = "", False
    attribute = python_name
    if options.kind == options_pb2.OPERATION_KIND_PROPERTY_GET:
        property_name, attribute = python_name, f"get_{python_name}"
    elif options.kind == options_pb2.OPERATION_KIND_PROPERTY_SET:
        property_name, attribute, is_setter = python_name, f"set_{python_name}", True
    result_class = _result_class(types, method)
    signature = inspect.Signature(
        [_P("self", _P.POSITIONAL_OR_KEYWORD), *_parameters(types, method.input_type)],
        return_annotation=_return_annotation(types, method.output_type, result_class))
    return Operation(
        attribute=attribute, property_name=property_name, is_setter=is_setter,
        full_method=f"/{method.containing_service.full_name}/{method.name}", method=method,
        request_class=schema.message_class(method.input_type),
        response_class=schema.message_class(method.output_type),
        signature=signature, doc=_docstring(types, method), result_class=result_class)


def encode(types: DeckTypes, op: Operation, args: tuple[Any, ...],
           kwargs: dict[str, Any]) -> message.Message:
    """The request for a Python call; TypeError for a bad call shape, InvalidArgument
    (with every field violation) for values that do not fit."""
    bound = op.signature.bind(None, *args, **kwargs)
    request = op.request_class()
    violations: list[FieldViolation] = []
    for name, value in bound.arguments.items():
        if name == "self":
            continue
        try:
            types.set_field(request, op.method.input_type.fields_by_name[name], value, name)
        except ArgumentError as exc:
            violations.append(FieldViolation(exc.field, exc.description))
    if violations:
        text = "; ".join(f"{v.field}: {v.description}" for v in violations)
        raise InvalidArgument(f"invalid arguments: {text}", code=INVALID_ARGUMENT,
                              reason="INVALID_ARGUMENT", field_violations=violations)
    return request


def decode(types: DeckTypes, op: Operation, response: message.Message) -> Any:
    """The Python value of a response."""
    fields = op.method.output_type.fields
    values = [types.field_value(response, f) for f in fields]
    if not fields:
        return None
    if op.result_class is not None:
        return op.result_class(*values)
    if len(fields) == 1 and fields[0].name == "result":
        return values[0]
    return tuple(values)


def _parameters(types: DeckTypes, request: descriptor.Descriptor) -> list[inspect.Parameter]:
    params: list[inspect.Parameter] = []
    keyword_only = seen_default = False
    for field in request.fields:
        opts: options_pb2.ParameterOptions = field.GetOptions().Extensions[
            options_pb2.parameter]  # type: ignore[index]
        if opts.required:
            default: Any = _P.empty
        elif opts.default_json:
            default = types.from_json(field, opts.default_json)
        else:
            default = None
        keyword_only = keyword_only or (default is _P.empty and seen_default)
        seen_default = seen_default or default is not _P.empty
        nullable = default is None and not field.is_repeated
        params.append(_P(field.name, _P.KEYWORD_ONLY if keyword_only else
                         _P.POSITIONAL_OR_KEYWORD, default=default,
                         annotation=types.annotation(field, nullable=nullable)))
    return params


def _result_class(types: DeckTypes, method: descriptor.MethodDescriptor) -> type | None:
    fields = method.output_type.fields
    names = [f.name for f in fields]
    if not names or names == ["result"] or all(_TUPLE_FIELD.match(n) for n in names):
        return None
    match = _RESULT_CLASS.search(types.schema.comment(method.output_type.full_name))
    declared = match.group(1) if match and _IDENTIFIER.match(match.group(1)) else ""
    package = method.containing_service.file.package
    if declared:
        try:  # the record's own message (when it is also used elsewhere): one class for both
            record = types.schema.pool.FindMessageTypeByName(f"{package}.{declared}")
            if [f.name for f in record.fields] == names:
                return types.record_class(record)
        except KeyError:
            pass
    cls = collections.namedtuple(declared or f"{method.name}Result", names)  # type: ignore[misc]
    cls.__module__ = package
    cls.__annotations__ = {f.name: types.annotation(f, nullable=f.has_presence) for f in fields}
    return cls


def _return_annotation(types: DeckTypes, response: descriptor.Descriptor,
                       result_class: type | None) -> Any:
    fields = response.fields
    if not fields:
        return None
    if result_class is not None:
        return result_class
    items = [types.annotation(f, nullable=f.has_presence) for f in fields]
    if len(fields) == 1 and fields[0].name == "result":
        return items[0]
    return tuple[tuple(items)]  # type: ignore[misc]


def _docstring(types: DeckTypes, method: descriptor.MethodDescriptor) -> str:
    schema = types.schema
    parts = [schema.comment(method.full_name) or f"Calls `{method.name}`."]
    args = []
    for field in method.input_type.fields:
        text = schema.comment(field.full_name)
        text = re.sub(rf"^`{re.escape(field.name)}`:\s*", "", text)
        args.append(f"    {field.name}: {text.replace(chr(10), ' ')}".rstrip())
    if args:
        parts.append("Args:\n" + "\n".join(args))
    returns = _RESULT_CLASS.search(schema.comment(method.output_type.full_name))
    if method.output_type.fields and returns:
        parts.append(f"Returns:\n    `{returns.group(1)}`")
    return "\n\n".join(parts)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
