"""Python values <-> JSON-like values (for records, `CallMethod` and defaults).

Enums become member names, datetimes RFC 3339 text, bytes base64 text,
records objects, tuples and sets lists; non-finite floats become the strings
`NaN`, `Infinity`, `-Infinity` (JSON has no such numbers).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import enum
import math
from collections.abc import Mapping
from typing import Any

_MAX_DEPTH = 64


def to_jsonable(value: Any, _depth: int = 0) -> Any:
    """Convert a Python value to nested dict/list/str/float/int/bool/None."""
    if _depth > _MAX_DEPTH:
        raise ValueError("value is nested too deeply")
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return float(value)
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
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [to_jsonable(v, _depth + 1) for v in items]
    number = _as_number(value)
    if number is not None:
        return to_jsonable(number, _depth)
    return str(value)


def _as_number(value: Any) -> int | float | None:
    """numpy scalars and friends expose `item()`."""
    item = getattr(value, "item", None)
    if callable(item):
        try:
            result = item()
        except (TypeError, ValueError):
            return None
        if isinstance(result, int | float) and not isinstance(result, bool):
            return result
    return None


def integral_floats_to_int(value: Any) -> Any:
    """JSON numbers arrive as floats in `google.protobuf.Value`; `2.0` becomes `2`."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, list):
        return [integral_floats_to_int(v) for v in value]
    if isinstance(value, dict):
        return {k: integral_floats_to_int(v) for k, v in value.items()}
    return value
