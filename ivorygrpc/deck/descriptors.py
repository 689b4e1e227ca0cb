"""Deck model -> one `FileDescriptorProto` per instrument (pure; no pool, no I/O).

Naming contract (SPEC §2): instrument `pump_2` -> package
`ivorygrpc.deck.pump_2.v1`, file `ivorygrpc/deck/pump_2/v1/pump_2.proto`,
service `Pump2Service`, rpc `<Rpc>(<Rpc>Request) returns (<Rpc>Response)`.
Every singular request field has explicit presence (`optional`) so a missing
argument is told apart from a zero. Numbers come from the `FieldLock`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from google.protobuf import descriptor_pb2 as d

from ivorygrpc.deck.fieldlock import FieldLock
from ivorygrpc.deck.jsonable import to_jsonable
from ivorygrpc.deck.model import (
    MISSING,
    DeckSpec,
    EnumSpec,
    InstrumentSpec,
    Kind,
    OperationKind,
    OperationSpec,
    ParamSpec,
    RecordSpec,
    TypeSpec,
)
from ivorygrpc.v1 import options_pb2

OPTIONS_FILE = "ivorygrpc/v1/options.proto"
STRUCT_FILE = "google/protobuf/struct.proto"
TIMESTAMP_FILE = "google/protobuf/timestamp.proto"

F = d.FieldDescriptorProto
_SCALAR_TYPES = {
    Kind.DOUBLE: F.TYPE_DOUBLE,
    Kind.INT64: F.TYPE_INT64,
    Kind.STRING: F.TYPE_STRING,
    Kind.BOOL: F.TYPE_BOOL,
    Kind.BYTES: F.TYPE_BYTES,
}
_OPERATION_KINDS = {
    OperationKind.METHOD: options_pb2.OPERATION_KIND_METHOD,
    OperationKind.PROPERTY_GET: options_pb2.OPERATION_KIND_PROPERTY_GET,
    OperationKind.PROPERTY_SET: options_pb2.OPERATION_KIND_PROPERTY_SET,
}


def build_deck_files(deck: DeckSpec, lock: FieldLock) -> list[d.FileDescriptorProto]:
    """One file per instrument, in deck order."""
    return [_FileBuilder(inst, lock).build() for inst in deck.instruments]


def json_name(name: str) -> str:
    """protoc's default JSON name: `volume_ml` -> `volumeMl`."""
    out: list[str] = []
    upper = False
    for ch in name:
        if ch == "_":
            upper = True
        else:
            out.append(ch.upper() if upper else ch)
            upper = False
    return "".join(out)


class _FileBuilder:
    def __init__(self, inst: InstrumentSpec, lock: FieldLock) -> None:
        self.inst = inst
        self.lock = lock
        self.file = d.FileDescriptorProto(name=inst.file_name, package=inst.package,
                                          syntax="proto3")
        self.deps: set[str] = {OPTIONS_FILE}
        self.comments: list[tuple[list[int], str]] = []
        self.records: dict[int, RecordSpec] = {}
        self.enums: dict[int, EnumSpec] = {}

    def build(self) -> d.FileDescriptorProto:
        service = self.file.service.add(name=self.inst.service)
        self._comment([6, 0], self.inst.doc or self._default_service_doc())
        for op in self.inst.operations:
            self._operation(service, op)
        for record in list(self._walk_records()):
            self._record(record)
        for spec in self.enums.values():
            self._enum(self.file.enum_type.add(), spec, f".{self.inst.package}",
                       [5, len(self.file.enum_type) - 1])
        self.file.dependency.extend(sorted(self.deps))
        self.file.source_code_info.CopyFrom(self._source_info())
        return self.file

    def _default_service_doc(self) -> str:
        if self.inst.is_blocks:
            return "Block functions of the deck."
        return f"Operations of the `{self.inst.name}` instrument (class `{self.inst.class_name}`)."

    def _operation(self, service: d.ServiceDescriptorProto, op: OperationSpec) -> None:
        pkg = f".{self.inst.package}"
        method = service.method.add(name=op.rpc, input_type=f"{pkg}.{op.rpc}Request",
                                    output_type=f"{pkg}.{op.rpc}Response")
        ext: options_pb2.OperationOptions = method.options.Extensions[
            options_pb2.operation]  # type: ignore[index]
        ext.python_name = op.python_name
        ext.kind = _OPERATION_KINDS[op.kind]
        ext.is_async = op.is_async
        doc = op.doc or f"Calls `{self.inst.name}.{op.python_name}`."
        if op.notes:
            doc += "\n\nNot exposed: " + ", ".join(op.notes) + "."
        self._comment([6, 0, 2, len(service.method) - 1], doc)
        request = [(p.name, p.type, p) for p in op.params]
        response = [(f.name, f.type, None) for f in op.returns.fields]
        self._message(f"{op.rpc}Request", request, f"Request of `{op.rpc}`.", presence=True)
        result_doc = f"Response of `{op.rpc}`"
        if op.returns.python:
            result_doc += f" (Python result `{op.returns.python}`)"
        self._message(f"{op.rpc}Response", response, result_doc + ".", presence=False)

    def _message(self, name: str, fields: Sequence[tuple[str, TypeSpec, ParamSpec | None]],
                 doc: str, *, presence: bool) -> None:
        msg = self.file.message_type.add(name=name)
        index = len(self.file.message_type) - 1
        scope = f".{self.inst.package}.{name}"
        path = [4, index]
        self._comment(path, doc)
        synthetic: list[d.FieldDescriptorProto] = []
        for fname, spec, param in fields:
            field = msg.field.add(name=fname, json_name=json_name(fname),
                                  number=self.lock.number(scope, fname))
            self._set_type(field, spec, msg, scope, path)
            singular_scalar = not spec.repeated and spec.kind not in (
                Kind.RECORD, Kind.TIMESTAMP, Kind.ANY)
            if singular_scalar and (presence or spec.nullable):
                field.proto3_optional = True
                synthetic.append(field)
            if param is not None:
                _parameter_options(field, param)
            self._comment([*path, 2, len(msg.field) - 1], _field_doc(fname, spec, param))
        taken = {f.name for f in msg.field}
        for field in synthetic:  # oneof names as protoc makes them: never equal to a field name
            oneof = field.name if field.name.startswith("_") else f"_{field.name}"
            while oneof in taken:
                oneof = f"X{oneof}"
            taken.add(oneof)
            field.oneof_index = len(msg.oneof_decl)
            msg.oneof_decl.add(name=oneof)
        for old, number in self.lock.retired(scope, {f[0] for f in fields}):
            msg.reserved_range.add(start=number, end=number + 1)
            msg.reserved_name.append(old)

    def _set_type(self, field: d.FieldDescriptorProto, spec: TypeSpec, msg: d.DescriptorProto,
                  scope: str, path: list[int]) -> None:
        field.label = F.LABEL_REPEATED if spec.repeated else F.LABEL_OPTIONAL
        if spec.kind in _SCALAR_TYPES:
            field.type = _SCALAR_TYPES[spec.kind]
        elif spec.kind is Kind.ENUM:
            assert spec.enum is not None
            field.type = F.TYPE_ENUM
            if spec.enum.nested:
                field.type_name = f"{scope}.{spec.enum.name}"
                if all(e.name != spec.enum.name for e in msg.enum_type):
                    nested = msg.enum_type.add()
                    self._enum(nested, spec.enum, scope, [*path, 4, len(msg.enum_type) - 1])
            else:
                field.type_name = f".{self.inst.package}.{spec.enum.name}"
                self.enums.setdefault(id(spec.enum), spec.enum)
        elif spec.kind is Kind.RECORD:
            assert spec.record is not None
            field.type = F.TYPE_MESSAGE
            field.type_name = f".{self.inst.package}.{spec.record.name}"
            self.records.setdefault(id(spec.record), spec.record)
        elif spec.kind is Kind.TIMESTAMP:
            field.type = F.TYPE_MESSAGE
            field.type_name = ".google.protobuf.Timestamp"
            self.deps.add(TIMESTAMP_FILE)
        else:
            field.type = F.TYPE_MESSAGE
            field.type_name = ".google.protobuf.Value"
            self.deps.add(STRUCT_FILE)

    def _walk_records(self) -> Iterable[RecordSpec]:
        done: set[int] = set()
        while len(done) < len(self.records):
            for key, record in list(self.records.items()):
                if key not in done:
                    done.add(key)
                    yield record

    def _record(self, record: RecordSpec) -> None:
        fields = [(f.name, f.type, None) for f in record.fields]
        doc = record.doc or f"The Python {record.flavour} `{record.python.__qualname__}`."
        self._message(record.name, fields, doc, presence=False)

    def _enum(self, enum: d.EnumDescriptorProto, spec: EnumSpec, scope: str,
              path: list[int]) -> None:
        enum.name = spec.name
        full = f"{scope}.{spec.name}"
        prefix = spec.value_prefix
        self._comment(path, f"Choices of `{spec.python.__qualname__}`." if spec.python
                      else "Allowed values.")
        enum.value.add(name=f"{prefix}_UNSPECIFIED", number=0)
        self._comment([*path, 2, 0], "Not set; rejected as an argument.")
        for member in spec.members:
            number = self.lock.number(full, member.proto_suffix, member.preferred_number)
            spec.numbers[member.proto_suffix] = number
            enum.value.add(name=f"{prefix}_{member.proto_suffix}", number=number)
            self._comment([*path, 2, len(enum.value) - 1], f"`{member.name}`.")
        for old, number in self.lock.retired(full, {m.proto_suffix for m in spec.members}):
            enum.reserved_range.add(start=number, end=number)  # inclusive end for enums
            enum.reserved_name.append(f"{prefix}_{old}")

    def _comment(self, path: list[int], text: str) -> None:
        self.comments.append((path, text))

    def _source_info(self) -> d.SourceCodeInfo:
        info = d.SourceCodeInfo()
        for path, text in self.comments:
            lines = text.strip().splitlines() or [""]
            info.location.add(path=path, span=[0, 0, 0],
                              leading_comments="".join(f" {line}\n" for line in lines))
        return info


def _parameter_options(field: d.FieldDescriptorProto, param: ParamSpec) -> None:
    ext: options_pb2.ParameterOptions = field.options.Extensions[
        options_pb2.parameter]  # type: ignore[index]  # grpc_tools' .pyi types extensions loosely
    ext.required = param.required
    if param.default is not MISSING:
        ext.default_json = json.dumps(to_jsonable(param.default))
    if param.unit:
        ext.unit = param.unit
    for name in ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum"):
        value = getattr(param, name)
        if value is not None:
            setattr(ext, name, value)


def _field_doc(name: str, spec: TypeSpec, param: ParamSpec | None) -> str:
    text = f"`{name}`"
    if spec.python:
        text += f": `{spec.python}`"
    if param is None:
        return text + "."
    parts = [text]
    if param.required:
        parts.append("required")
    elif param.default is not MISSING:
        parts.append(f"default `{json.dumps(to_jsonable(param.default))}`")
    if param.unit:
        parts.append(f"unit {param.unit}")
    bounds = _bounds(param)
    if bounds:
        parts.append(bounds)
    doc = ", ".join(parts) + "."
    return f"{doc}\n{param.doc}" if param.doc else doc


def _bounds(param: ParamSpec) -> str:
    low = f"[{param.minimum:g}" if param.minimum is not None else (
        f"({param.exclusive_minimum:g}" if param.exclusive_minimum is not None else "")
    high = f"{param.maximum:g}]" if param.maximum is not None else (
        f"{param.exclusive_maximum:g})" if param.exclusive_maximum is not None else "")
    if not low and not high:
        return ""
    return f"range {low or '(-inf'}, {high or 'inf)'}"

