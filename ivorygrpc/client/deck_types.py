"""Python types for a remote deck, built from its descriptors, and value conversion.

* enums become Python `Enum` classes named after the proto enum; a member's
  name is the proto value without its prefix (`SOLVENT_ETHANOL` -> `ETHANOL`),
  its value the name the server's users type: the Python member name or the
  `Literal` value as text (`"slow down"`, `"2"`), read from the value comment;
* records (dataclass, NamedTuple, TypedDict messages) become namedtuples
  named after the Python class, with the same fields (each defaulting to
  None): attribute access, unpacking and equality all work;
* `google.protobuf.Timestamp` is `datetime` (UTC), `google.protobuf.Value`
  any JSON-like value, repeated fields lists.

Arguments are accepted in the friendliest form: an enum as one of these
members, the user's own Enum member with the same name, or the name/value as
text; a record as the generated dataclass, the user's own dataclass or
NamedTuple, or a mapping.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import datetime
import enum
import json
import keyword
import re
from collections.abc import Callable, Mapping
from typing import Any

from google.protobuf import descriptor, json_format, message

from ivorygrpc.client.reflection import RemoteSchema
from ivorygrpc.client.values import integral_floats_to_int, to_jsonable

FD = descriptor.FieldDescriptor
_SCALARS: dict[int, type] = {FD.TYPE_DOUBLE: float, FD.TYPE_FLOAT: float, FD.TYPE_INT64: int,
                             FD.TYPE_INT32: int, FD.TYPE_UINT64: int, FD.TYPE_UINT32: int,
                             FD.TYPE_SINT64: int, FD.TYPE_SINT32: int, FD.TYPE_STRING: str,
                             FD.TYPE_BOOL: bool, FD.TYPE_BYTES: bytes}
_INTS = {FD.TYPE_INT64, FD.TYPE_INT32, FD.TYPE_UINT64, FD.TYPE_UINT32, FD.TYPE_SINT64,
         FD.TYPE_SINT32}
TIMESTAMP = "google.protobuf.Timestamp"
JSON_TYPES = {"google.protobuf.Value", "google.protobuf.Struct", "google.protobuf.ListValue"}
_namedtuple: Callable[..., type] = collections.namedtuple  # names known only at run time
_CHOICE = re.compile(r"^`(.*)`\.?$", re.DOTALL)


class ArgumentError(ValueError):
    """A value does not fit its field; `field` names it."""

    def __init__(self, field: str, description: str) -> None:
        super().__init__(f"{field}: {description}")
        self.field = field
        self.description = description


class DeckTypes:
    """The enum and record classes of one schema, made once and shared."""

    def __init__(self, schema: RemoteSchema) -> None:
        self.schema = schema
        self._enums: dict[str, type[enum.Enum]] = {}
        self._numbers: dict[str, dict[enum.Enum, int]] = {}  # enum full name -> member -> wire
        self._records: dict[str, type] = {}

    # -- classes ----------------------------------------------------------------------------

    def classes(self) -> list[type]:
        """Every enum and record class made so far."""
        return [*self._enums.values(), *self._records.values()]

    def enum_class(self, desc: descriptor.EnumDescriptor) -> type[enum.Enum]:
        """The Python Enum for a proto enum (without its `*_UNSPECIFIED` value)."""
        if desc.full_name not in self._enums:
            values = [v for v in desc.values if v.number != 0]
            prefix = _common_prefix(desc)
            members = {v.name[len(prefix):] or v.name: self._choice_text(desc, v, prefix)
                       for v in values}
            cls = enum.Enum(desc.name, members, module=desc.file.package)  # type: ignore[misc]
            self._numbers[desc.full_name] = {cls[v.name[len(prefix):] or v.name]: v.number
                                             for v in values}
            cls.__doc__ = self.schema.comment(desc.full_name) or f"Choices of `{desc.name}`."
            self._enums[desc.full_name] = cls
        return self._enums[desc.full_name]

    def _choice_text(self, desc: descriptor.EnumDescriptor,
                     value: descriptor.EnumValueDescriptor, prefix: str) -> str:
        match = _CHOICE.match(self.schema.comment(f"{desc.full_name}.{value.name}"))
        return match.group(1) if match else value.name[len(prefix):]

    def record_class(self, desc: descriptor.Descriptor) -> type:
        """A namedtuple with the message's fields (in order, each defaulting to None).

        A dataclass instead when a field name cannot be a namedtuple field (`_x`).
        """
        if desc.full_name not in self._records:
            names = [f.name for f in desc.fields]
            cls: type
            if all(n.isidentifier() and not n.startswith("_") and not keyword.iskeyword(n)
                   for n in names):
                cls = _namedtuple(desc.name, names, defaults=[None] * len(names))
            else:
                cls = dataclasses.make_dataclass(desc.name, [
                    (n, Any, dataclasses.field(default=None)) for n in names], frozen=True)
            cls.__module__ = desc.file.package
            cls.__doc__ = self.schema.comment(desc.full_name) or f"The record `{desc.name}`."
            self._records[desc.full_name] = cls
            cls.__annotations__ = {f.name: self.annotation(f) for f in desc.fields}
        return self._records[desc.full_name]

    def annotation(self, field: descriptor.FieldDescriptor, *, nullable: bool = False) -> Any:
        """The Python type of a field: `float`, `list[int]`, `Mode | None`, ..."""
        if field.type == FD.TYPE_ENUM:
            assert field.enum_type is not None
            base: Any = self.enum_class(field.enum_type)
        elif field.type == FD.TYPE_MESSAGE:
            assert field.message_type is not None
            name = field.message_type.full_name
            base = (datetime.datetime if name == TIMESTAMP else Any if name in JSON_TYPES
                    else self.record_class(field.message_type))
        else:
            base = _SCALARS.get(field.type, Any)
        if field.is_repeated:
            return list[base]
        if nullable and base is not Any:
            return base | None
        return base

    # -- messages -> Python -----------------------------------------------------------------

    def field_value(self, msg: message.Message, field: descriptor.FieldDescriptor) -> Any:
        """The Python value of one field of `msg` (None when an optional one is unset)."""
        if field.is_repeated:
            return [self._single(field, item) for item in getattr(msg, field.name)]
        if field.has_presence and not msg.HasField(field.name):
            return None
        return self._single(field, getattr(msg, field.name))

    def _single(self, field: descriptor.FieldDescriptor, value: Any) -> Any:
        if field.type == FD.TYPE_ENUM:
            assert field.enum_type is not None
            self.enum_class(field.enum_type)
            numbers = self._numbers[field.enum_type.full_name]
            return next((m for m, n in numbers.items() if n == value), value)
        if field.type != FD.TYPE_MESSAGE:
            return value
        assert field.message_type is not None
        name = field.message_type.full_name
        if name == TIMESTAMP:
            return value.ToDatetime(tzinfo=datetime.UTC)
        if name in JSON_TYPES:
            return integral_floats_to_int(json_format.MessageToDict(value))
        cls = self.record_class(field.message_type)
        return cls(**{f.name: self.field_value(value, f) for f in field.message_type.fields})

    # -- Python -> messages -----------------------------------------------------------------

    def set_field(self, msg: message.Message, field: descriptor.FieldDescriptor, value: Any,
                  path: str) -> None:
        """Store a Python value in `msg.<field>`; raises ArgumentError naming `path`.

        `None` leaves the field unset (proto3 has no null scalar), except for a
        `google.protobuf.Value` field, where it is JSON `null`.
        """
        if value is None:
            if field.message_type is not None and field.message_type.full_name == (
                    "google.protobuf.Value") and not field.is_repeated:
                getattr(msg, field.name).null_value = 0
            return
        if field.is_repeated:
            if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
                raise ArgumentError(path, f"expected a sequence, got {type(value).__name__}")
            target = getattr(msg, field.name)
            for i, item in enumerate(value):
                if field.type == FD.TYPE_MESSAGE:
                    self._fill(target.add(), field, item, f"{path}[{i}]")
                else:
                    target.append(self._scalar(field, item, f"{path}[{i}]"))
            return
        if field.type == FD.TYPE_MESSAGE:
            self._fill(getattr(msg, field.name), field, value, path)
        else:
            setattr(msg, field.name, self._scalar(field, value, path))

    def _scalar(self, field: descriptor.FieldDescriptor, value: Any, path: str) -> Any:
        item = getattr(value, "item", None)  # numpy scalars
        if callable(item) and not isinstance(value, enum.Enum):
            value = item()
        if field.type == FD.TYPE_ENUM:
            assert field.enum_type is not None
            return self.enum_number(field.enum_type, value, path)
        expected = _SCALARS[field.type]
        if expected is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if field.type in _INTS and isinstance(value, int) and not isinstance(value, bool):
            return value
        if expected is bytes and isinstance(value, bytes | bytearray):
            return bytes(value)
        if expected in (str, bool) and isinstance(value, expected):
            return value
        raise ArgumentError(path, f"expected {expected.__name__}, got {type(value).__name__}")

    def enum_number(self, desc: descriptor.EnumDescriptor, value: Any, path: str) -> int:
        """The wire number for an enum member, a member of a same-named enum, or text."""
        cls = self.enum_class(desc)
        numbers = self._numbers[desc.full_name]
        if isinstance(value, cls):
            return numbers[value]
        keys = [value.name] if isinstance(value, enum.Enum) else [str(value)]
        for key in keys:
            for member, number in numbers.items():
                if key in (member.name, member.value, f"{_common_prefix(desc)}{member.name}"):
                    return number
        if isinstance(value, int) and not isinstance(value, bool | enum.Enum):
            if value in numbers.values():  # the wire number: an IntEnum's value
                return value
        choices = ", ".join(str(m.value) for m in cls)
        raise ArgumentError(path, f"{value!r} is not one of {choices}")

    def _fill(self, target: message.Message, field: descriptor.FieldDescriptor, value: Any,
              path: str) -> None:
        assert field.message_type is not None
        name = field.message_type.full_name
        try:
            if name == TIMESTAMP:
                if not isinstance(value, datetime.datetime):
                    raise ArgumentError(path, f"expected a datetime, got {type(value).__name__}")
                target.FromDatetime(value)  # type: ignore[attr-defined]
            elif name in JSON_TYPES:
                json_format.ParseDict(to_jsonable(value), target)
            else:
                self.fill_record(target, field.message_type, value, path)
        except (TypeError, ValueError, json_format.ParseError) as exc:
            if isinstance(exc, ArgumentError):
                raise
            raise ArgumentError(path, str(exc)) from None

    def fill_record(self, target: message.Message, desc: descriptor.Descriptor, value: Any,
                    path: str) -> None:
        """Copy a record (dataclass, NamedTuple, object, mapping or plain tuple) into `target`."""
        if isinstance(value, tuple | list) and not hasattr(value, "_fields"):
            if len(value) != len(desc.fields):
                raise ArgumentError(path, f"expected {len(desc.fields)} items for a "
                                          f"{desc.name}, got {len(value)}")
            value = {f.name: item for f, item in zip(desc.fields, value, strict=True)}
        for f in desc.fields:
            if isinstance(value, Mapping):
                if f.name not in value:
                    continue
                item = value[f.name]
            elif hasattr(value, f.name):
                item = getattr(value, f.name)
            else:
                raise ArgumentError(path, f"expected a {desc.name} (or a mapping), "
                                          f"got {type(value).__name__} without `{f.name}`")
            self.set_field(target, f, item, f"{path}.{f.name}")

    # -- defaults ---------------------------------------------------------------------------

    def from_json(self, field: descriptor.FieldDescriptor, text: str) -> Any:
        """A Python value from the JSON text of a default (`(ivorygrpc.v1.parameter)`)."""
        return self._from_jsonable(field, json.loads(text), repeated=field.is_repeated)

    def _from_jsonable(self, field: descriptor.FieldDescriptor, value: Any, *,
                       repeated: bool) -> Any:
        if value is None:
            return None
        if repeated:
            return [self._from_jsonable(field, v, repeated=False) for v in value]
        if field.type == FD.TYPE_ENUM:
            assert field.enum_type is not None
            cls = self.enum_class(field.enum_type)
            return next((m for m in cls if str(value) in (m.name, m.value)), value)
        if field.type == FD.TYPE_BYTES and isinstance(value, str):
            return base64.b64decode(value)
        if field.type == FD.TYPE_DOUBLE and isinstance(value, int | float):
            return float(value)
        if field.type != FD.TYPE_MESSAGE or not isinstance(value, str | dict):
            return value
        assert field.message_type is not None
        name = field.message_type.full_name
        if name == TIMESTAMP and isinstance(value, str):
            return datetime.datetime.fromisoformat(value)
        if name in JSON_TYPES or not isinstance(value, dict):
            return value
        cls = self.record_class(field.message_type)
        return cls(**{f.name: self._from_jsonable(f, value.get(f.name), repeated=f.is_repeated)
                      for f in field.message_type.fields if f.name in value})

def _common_prefix(desc: descriptor.EnumDescriptor) -> str:
    zero = next((v.name for v in desc.values if v.number == 0), "")
    return zero[: -len("UNSPECIFIED")] if zero.endswith("_UNSPECIFIED") else ""
