"""JSON-like values: Python -> `google.protobuf.Value` text and back.

The same rules as the server's: enums travel as member names, datetimes as
RFC 3339 text (naive means UTC), bytes as base64 text, dataclasses,
NamedTuples and mappings as objects, tuples and sets as lists, non-finite
floats as the strings `NaN`, `Infinity`, `-Infinity`. JSON numbers come back
as floats; integral ones (`2.0`) are returned as `int`.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import enum
import math
from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, message

_MAX_DEPTH = 64


def to_jsonable(value: Any, _depth: int = 0) -> Any:
    """Nested dict/list/str/float/int/bool/None for any supported Python value."""
    if _depth > _MAX_DEPTH:
        raise ValueError("value is nested too deeply")
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name), _depth + 1)
                for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {name: to_jsonable(getattr(value, name), _depth + 1) for name in value._fields}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v, _depth + 1) for v in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return to_jsonable(item(), _depth + 1)
    raise TypeError(f"cannot send a {type(value).__name__} as a JSON-like value")


def from_json_value(value: message.Message) -> Any:
    """A `google.protobuf.Value` (or Struct/ListValue) as Python, integral floats as ints."""
    return integral_floats_to_int(json_format.MessageToDict(value))


def integral_floats_to_int(value: Any) -> Any:
    """`2.0` -> `2`, recursively (JSON numbers arrive as floats)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, list):
        return [integral_floats_to_int(v) for v in value]
    if isinstance(value, dict):
        return {k: integral_floats_to_int(v) for k, v in value.items()}
    return value
