"""Offline design: a deck model rebuilt from an exported descriptor set.

`ivorygrpc serve --schema ivorygrpc.binpb` serves design and validation for a
deck that is not attached (for example on an office laptop); calls and runs
are refused. The model comes from the descriptors and the options and
comments `descriptors.py` put there, so it matches the live deck's.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable
from typing import Any

from google.protobuf import descriptor_pb2 as d

from ivorygrpc.deck.model import (
    MISSING,
    DeckSpec,
    EnumMember,
    EnumSpec,
    FieldSpec,
    InstrumentSpec,
    Kind,
    OperationKind,
    OperationSpec,
    ParamSpec,
    RecordSpec,
    ReturnKind,
    ReturnSpec,
    TypeSpec,
)
from ivorygrpc.errors import DeckError
from ivorygrpc.v1 import options_pb2

F = d.FieldDescriptorProto
_KINDS = {F.TYPE_DOUBLE: Kind.DOUBLE, F.TYPE_INT64: Kind.INT64, F.TYPE_STRING: Kind.STRING,
          F.TYPE_BOOL: Kind.BOOL, F.TYPE_BYTES: Kind.BYTES}
_OPERATION_KINDS = {options_pb2.OPERATION_KIND_PROPERTY_GET: OperationKind.PROPERTY_GET,
                    options_pb2.OPERATION_KIND_PROPERTY_SET: OperationKind.PROPERTY_SET}
_CHOICE = re.compile(r"^\s*`(.*)`\.\s*$", re.S)
DECK_FILE = re.compile(r"^ivorygrpc/deck/([a-z][a-z0-9_]*)/v1/\1\.proto$")


def deck_files(data: bytes) -> list[d.FileDescriptorProto]:
    """The deck files of a serialised FileDescriptorSet; raises DeckError."""
    try:
        files = d.FileDescriptorSet.FromString(data).file
    except Exception as exc:  # DecodeError and friends: not a descriptor set
        raise DeckError(f"not a FileDescriptorSet: {exc}") from exc
    found = [f for f in files if DECK_FILE.match(f.name)]
    if not found:
        raise DeckError("the descriptor set holds no ivorygrpc deck files "
                        "(export one with `ivorygrpc protos export`)")
    return found


def offline_deck(name: str, files: Iterable[d.FileDescriptorProto]) -> DeckSpec:
    """The deck model described by exported deck files."""
    return DeckSpec(name, tuple(_Instrument(f).spec() for f in files))


class _Instrument:
    def __init__(self, file: d.FileDescriptorProto) -> None:
        self.file = file
        self.messages = {f".{file.package}.{m.name}": m for m in file.message_type}
        self.enums = {f".{file.package}.{e.name}": e for e in file.enum_type}
        self.comments = {tuple(loc.path): loc.leading_comments
                         for loc in file.source_code_info.location}
        self.records: dict[str, RecordSpec] = {}

    def spec(self) -> InstrumentSpec:
        name = self.file.package.split(".")[2]
        service = self.file.service[0]
        ops = tuple(self._operation(m, i) for i, m in enumerate(service.method))
        return InstrumentSpec(name, name == "blocks", "", self._comment(6, 0), ops)

    def _comment(self, *path: int) -> str:
        return "\n".join(line.strip() for line in self.comments.get(path, "").splitlines())

    def _operation(self, method: d.MethodDescriptorProto, index: int) -> OperationSpec:
        ext: options_pb2.OperationOptions = method.options.Extensions[
            options_pb2.operation]  # type: ignore[index]
        kind = _OPERATION_KINDS.get(ext.kind, OperationKind.METHOD)
        python = ext.python_name
        name = {OperationKind.PROPERTY_GET: f"get_{python}",
                OperationKind.PROPERTY_SET: f"set_{python}"}.get(kind, python)
        request = self.messages[method.input_type]
        response = self.messages[method.output_type]
        scope = method.input_type
        params = tuple(self._param(f, request, scope) for f in request.field)
        return OperationSpec(name, method.name, python, kind, params,
                             self._returns(response, method.output_type),
                             self._comment(6, 0, 2, index), ext.is_async)

    def _param(self, field: d.FieldDescriptorProto, msg: d.DescriptorProto,
               scope: str) -> ParamSpec:
        ext: options_pb2.ParameterOptions = field.options.Extensions[
            options_pb2.parameter]  # type: ignore[index]
        default: Any = MISSING
        if ext.default_json:
            default = json.loads(ext.default_json)
        type_spec = self._type(field, msg, scope)
        if not ext.required and default is MISSING and not type_spec.repeated:
            type_spec = TypeSpec(type_spec.kind, type_spec.python, type_spec.repeated, True,
                                 type_spec.container, type_spec.enum, type_spec.record)
        return ParamSpec(field.name, type_spec, default, unit=ext.unit,
                         minimum=ext.minimum if ext.HasField("minimum") else None,
                         maximum=ext.maximum if ext.HasField("maximum") else None,
                         exclusive_minimum=ext.exclusive_minimum
                         if ext.HasField("exclusive_minimum") else None,
                         exclusive_maximum=ext.exclusive_maximum
                         if ext.HasField("exclusive_maximum") else None)

    def _type(self, field: d.FieldDescriptorProto, msg: d.DescriptorProto,
              scope: str) -> TypeSpec:
        repeated = field.label == F.LABEL_REPEATED
        nullable = field.proto3_optional and not repeated
        if field.type in _KINDS:
            kind = _KINDS[field.type]
            return TypeSpec(kind, kind.value, repeated, False)
        if field.type == F.TYPE_ENUM:
            return TypeSpec(Kind.ENUM, field.type_name.rsplit(".", 1)[-1], repeated, False,
                            enum=self._enum(field.type_name, msg, scope))
        if field.type_name == ".google.protobuf.Value":
            return TypeSpec(Kind.ANY, "Any", repeated, True)
        if field.type_name == ".google.protobuf.Timestamp":
            return TypeSpec(Kind.TIMESTAMP, "datetime", repeated, nullable)
        if field.type_name in self.messages:
            return TypeSpec(Kind.RECORD, field.type_name.rsplit(".", 1)[-1], repeated, False,
                            record=self._record(field.type_name))
        raise DeckError(f"{self.file.name}: unsupported field type {field.type_name}")

    def _value_type(self, field: d.FieldDescriptorProto, msg: d.DescriptorProto,
                    scope: str) -> TypeSpec:
        """A result or record field: `optional` means the value may be None (request
        fields are all `optional`; their options say which are required)."""
        type_spec = self._type(field, msg, scope)
        if field.proto3_optional and not type_spec.nullable:
            type_spec = dataclasses.replace(type_spec, nullable=True)
        return type_spec

    def _enum(self, full_name: str, msg: d.DescriptorProto, scope: str) -> EnumSpec:
        nested = full_name.startswith(scope + ".")
        if nested:
            index = next(i for i, e in enumerate(msg.enum_type)
                         if f"{scope}.{e.name}" == full_name)
            enum = msg.enum_type[index]
            path: tuple[int, ...] = (4, self._message_index(scope), 4, index)
        else:
            enum = self.enums[full_name]
            path = (5, list(self.enums).index(full_name))
        prefix = enum.value[0].name.removesuffix("UNSPECIFIED")
        members = []
        for i, value in enumerate(enum.value):
            if value.number == 0:
                continue
            suffix = value.name.removeprefix(prefix)
            match = _CHOICE.match(self.comments.get((*path, 2, i), ""))
            label = match.group(1) if match else suffix
            members.append(EnumMember(label, label, suffix))
        spec = EnumSpec(enum.name, tuple(members), nested)
        spec.numbers.update({m.proto_suffix: v.number for m, v in
                             zip(members, [v for v in enum.value if v.number], strict=True)})
        return spec

    def _message_index(self, full_name: str) -> int:
        return list(self.messages).index(full_name)

    def _record(self, full_name: str) -> RecordSpec:
        if full_name not in self.records:
            msg = self.messages[full_name]
            record = RecordSpec(msg.name, dict, "typeddict")
            self.records[full_name] = record
            record.fields.extend(FieldSpec(f.name, self._value_type(f, msg, full_name))
                                 for f in msg.field)
        return self.records[full_name]

    def _returns(self, response: d.DescriptorProto, full_name: str) -> ReturnSpec:
        fields = tuple(FieldSpec(f.name, self._value_type(f, response, full_name))
                       for f in response.field)
        if not fields:
            return ReturnSpec(ReturnKind.NONE)
        if [f.name for f in fields] == ["result"]:
            return ReturnSpec(ReturnKind.SCALAR, fields)
        if all(f.name == f"result_{i}" for i, f in enumerate(fields)):
            return ReturnSpec(ReturnKind.TUPLE, fields)
        return ReturnSpec(ReturnKind.RECORD, fields, RecordSpec(response.name, dict, "typeddict",
                                                                list(fields)))
