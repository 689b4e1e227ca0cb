"""Protobuf well-known types <-> plain Python values, and display text for them.

`JsonValue` is what the UI passes around: None, bool, int, float, str, lists and
dicts of those (the shape of `google.protobuf.Value`).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any, TypeAlias

from google.protobuf import struct_pb2, timestamp_pb2
from google.protobuf.message import Message

JsonValue: TypeAlias = bool | int | float | str | list[Any] | dict[str, Any] | None

_SAFE_INT = 2**53


def from_value(value: struct_pb2.Value) -> JsonValue:
    """A `Value` as a Python value (integral numbers become int)."""
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() and abs(number) < _SAFE_INT else number
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return from_struct(value.struct_value)
    if kind == "list_value":
        return [from_value(item) for item in value.list_value.values]
    return None


def from_struct(struct: struct_pb2.Struct) -> dict[str, JsonValue]:
    """A `Struct` as a dict."""
    return {key: from_value(item) for key, item in struct.fields.items()}


def to_value(data: JsonValue) -> struct_pb2.Value:
    """A Python value as a `Value`."""
    value = struct_pb2.Value()
    if data is None:
        value.null_value = struct_pb2.NULL_VALUE
    elif isinstance(data, bool):
        value.bool_value = data
    elif isinstance(data, int | float):
        value.number_value = float(data)
    elif isinstance(data, str):
        value.string_value = data
    elif isinstance(data, Mapping):
        value.struct_value.CopyFrom(to_struct(data))
    else:
        value.list_value.values.extend(to_value(item) for item in data)
    return value


def to_struct(data: Mapping[str, JsonValue]) -> struct_pb2.Struct:
    """A dict as a `Struct`."""
    struct = struct_pb2.Struct()
    for key, item in data.items():
        struct.fields[key].CopyFrom(to_value(item))
    return struct


def time_of(message: Message, field: str) -> datetime.datetime | None:
    """A Timestamp field as an aware UTC datetime, or None when unset."""
    if not message.HasField(field):
        return None
    stamp: timestamp_pb2.Timestamp = getattr(message, field)
    return stamp.ToDatetime(tzinfo=datetime.UTC)


def show(value: JsonValue) -> str:
    """Compact display text: strings as they are, everything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def show_time(when: datetime.datetime | None) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC, or an empty string."""
    return when.strftime("%Y-%m-%d %H:%M:%S") if when else ""


def show_duration(start: datetime.datetime | None, end: datetime.datetime | None) -> str:
    """``1.23 s`` / ``2 min 5 s``, or an empty string when not finished."""
    if start is None or end is None:
        return ""
    seconds = (end - start).total_seconds()
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"
