"""Incoming values -> the Python values a method declares (SPEC §2, §4).

Two sources: typed request messages and JSON-like arguments (`CallMethod`).
Both produce values of the declared types (Enum members, floats for float
parameters, record instances) and collect every problem as a
`FieldViolation` instead of stopping at the first one.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import math
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format, message

from ivorygrpc.deck.jsonable import integral_floats_to_int
from ivorygrpc.deck.model import EnumSpec, Kind, ParamSpec, RecordSpec, TypeSpec
from ivorygrpc.errors import FieldViolation

_CONTAINERS: dict[str, Callable[[list[Any]], Any]] = {
    "list": list, "set": set, "frozenset": frozenset, "tuple": tuple,
}
_INT64 = (-(2**63), 2**63 - 1)
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class Invalid(Exception):
    """One value is wrong; `path` is relative to the field being decoded."""

    def __init__(self, description: str, path: str = "") -> None:
        super().__init__(description)
        self.description = description
        self.path = path


def violation(field: str, exc: Invalid) -> FieldViolation:
    """A FieldViolation for `exc` found under `field`."""
    path = f"{field}{exc.path}" if exc.path.startswith("[") else ".".join(
        p for p in (field, exc.path) if p)
    return FieldViolation(path, exc.description)


def enum_from_name(spec: EnumSpec, value: Any) -> Any:
    """Accept a member name, the proto value name, a Literal value or an IntEnum value."""
    for member in spec.members:
        if value == member.name or value == f"{spec.value_prefix}_{member.proto_suffix}":
            return member.value
        if spec.python is None and value == member.value and type(value) is type(member.value):
            return member.value
        if (spec.python is not None and isinstance(value, int | float) and not isinstance(
                value, bool) and member.value.value == value):
            return member.value
    choices = ", ".join(m.name for m in spec.members)
    raise Invalid(f"{value!r} is not one of: {choices}")


def check_range(param: ParamSpec, value: Any) -> None:
    """Raise Invalid when a numeric value is outside the declared bounds."""
    if param.type.kind not in (Kind.DOUBLE, Kind.INT64) or value is None:
        return  # None: an `Optional[list[...]]` sent as null
    items = value if param.type.repeated else [value]
    for item in items:
        if item is None:
            continue
        bad = (
            (param.minimum is not None and not item >= param.minimum)
            or (param.maximum is not None and not item <= param.maximum)
            or (param.exclusive_minimum is not None and not item > param.exclusive_minimum)
            or (param.exclusive_maximum is not None and not item < param.exclusive_maximum)
        )
        if bad:
            raise Invalid(f"{item!r} is outside the allowed range")


# -- JSON-like values (CallMethod arguments, stored outputs) ---------------------------------


def from_json(value: Any, t: TypeSpec) -> Any:
    """Convert one JSON-like value to the declared type; raises Invalid."""
    if value is None:
        if t.nullable or t.kind is Kind.ANY:
            return None
        raise Invalid("must not be null")
    if t.repeated:
        if not isinstance(value, list):
            raise Invalid("expected a list")
        return _each(value, t, _scalar_from_json)
    return _scalar_from_json(value, t)


def _each(items: Any, t: TypeSpec, convert: Callable[[Any, TypeSpec], Any]) -> Any:
    """Convert every item of a repeated value, locating a failure by its index."""
    converted = []
    for index, item in enumerate(items):
        try:
            converted.append(convert(item, t))
        except Invalid as exc:
            raise Invalid(exc.description, f"[{index}]{exc.path}") from None
    return _CONTAINERS[t.container](converted)


def _scalar_from_json(value: Any, t: TypeSpec) -> Any:
    kind = t.kind
    if kind is Kind.ANY:
        return integral_floats_to_int(value)
    if value is None:
        raise Invalid("must not be null")
    if kind is Kind.DOUBLE:
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                raise Invalid(f"expected a number, got {value[:40]!r}") from None
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:  # an int beyond the double range
                raise Invalid("number is too large for a double") from None
        raise Invalid(f"expected a number, got {type(value).__name__}")
    if kind is Kind.INT64:
        return _int_from_json(value)
    if kind is Kind.STRING:
        if isinstance(value, str):
            return value
        raise Invalid(f"expected a string, got {type(value).__name__}")
    if kind is Kind.BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise Invalid(f"expected true or false, got {value!r:.40}")
    if kind is Kind.BYTES:
        if not isinstance(value, str):
            raise Invalid("expected base64 text")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise Invalid("expected base64 text") from None
    if kind is Kind.ENUM:
        assert t.enum is not None
        return enum_from_name(t.enum, value)
    if kind is Kind.TIMESTAMP:
        return _datetime_from_json(value)
    assert t.record is not None
    return record_from_json(value, t.record)


def _int_from_json(value: Any) -> int:
    if isinstance(value, bool):
        raise Invalid("expected an integer, got bool")
    if isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            raise Invalid(f"expected an integer, got {value[:40]!r}") from None
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise Invalid(f"expected an integer, got {value!r}")
        number = int(value)
    elif isinstance(value, int):
        number = value
    else:
        raise Invalid(f"expected an integer, got {type(value).__name__}")
    if not _INT64[0] <= number <= _INT64[1]:
        raise Invalid("integer does not fit in 64 bits")
    return number


def _datetime_from_json(value: Any) -> datetime.datetime:
    if not isinstance(value, str):
        raise Invalid("expected an RFC 3339 timestamp text")
    try:
        parsed = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"expected an RFC 3339 timestamp, got {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise Invalid("timestamp needs a time zone (for example a trailing Z)")
    try:
        return parsed.astimezone(datetime.UTC)
    except OverflowError:  # 9999-12-31T23:00-01:00 is past year 9999 in UTC
        raise Invalid("timestamp is out of range") from None


def record_from_json(value: Any, record: RecordSpec) -> Any:
    """Build a dataclass / NamedTuple / TypedDict from a JSON object."""
    if not isinstance(value, dict):
        raise Invalid(f"expected an object with fields of {record.name}")
    known = {f.name: f for f in record.fields}
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise Invalid(f"unknown field {unknown[0]!r}")
    kwargs: dict[str, Any] = {}
    for name, item in value.items():
        try:
            kwargs[name] = from_json(item, known[name].type)
        except Invalid as exc:
            raise Invalid(exc.description, _join(name, exc.path)) from None
    return build_record(record, kwargs)


def build_record(record: RecordSpec, kwargs: dict[str, Any]) -> Any:
    """Instantiate the record class; its own validation errors become Invalid."""
    if record.flavour == "typeddict":
        return kwargs
    try:
        return record.python(**kwargs)
    except Exception as exc:  # user class constructor
        raise Invalid(f"{record.name}: {exc}") from None


def _join(name: str, path: str) -> str:
    return f"{name}{path}" if path.startswith("[") or not path else f"{name}.{path}"


# -- typed request messages --------------------------------------------------------------------


def from_message_field(msg: message.Message, name: str, t: TypeSpec) -> Any:
    """Convert field `name` of `msg` (known to be set, or repeated) to Python."""
    raw = getattr(msg, name)
    if t.repeated:
        return _each(raw, t, _scalar_from_wire)
    return _scalar_from_wire(raw, t)


def _scalar_from_wire(raw: Any, t: TypeSpec) -> Any:
    kind = t.kind
    if kind is Kind.ENUM:
        assert t.enum is not None
        if raw == 0:
            raise Invalid(f"{t.enum.value_prefix}_UNSPECIFIED is not a valid choice")
        return enum_by_number(t.enum, raw)
    if kind is Kind.TIMESTAMP:
        try:
            return raw.ToDatetime(tzinfo=datetime.UTC)
        except ValueError as exc:  # seconds or nanos outside the Timestamp range
            raise Invalid(str(exc)) from None
    if kind is Kind.ANY:
        try:
            return integral_floats_to_int(json_format.MessageToDict(raw))
        except ValueError as exc:  # NaN or Infinity in a number_value
            raise Invalid(f"not a JSON value: {exc}") from None
    if kind is Kind.RECORD:
        assert t.record is not None
        return record_from_message(raw, t.record)
    return raw


def enum_by_number(spec: EnumSpec, number: int) -> Any:
    """Map a wire number to the Python value, using the numbers the pool assigned."""
    member = spec.member_by_number(number)
    if member is None:
        raise Invalid(f"{number} is not a known {spec.name} value")
    return member.value


def record_from_message(msg: message.Message, record: RecordSpec) -> Any:
    """Build the record class from a nested message."""
    kwargs: dict[str, Any] = {}
    for f in record.fields:
        t = f.type
        if t.repeated or t.kind in (Kind.DOUBLE, Kind.INT64, Kind.STRING, Kind.BOOL, Kind.BYTES):
            if t.nullable and not t.repeated and not msg.HasField(f.name):
                kwargs[f.name] = None
                continue
        elif t.kind is Kind.ENUM and getattr(msg, f.name) == 0 and t.nullable:
            kwargs[f.name] = None
            continue
        elif t.kind is not Kind.ENUM and not msg.HasField(f.name):
            if t.nullable:
                kwargs[f.name] = None
                continue
            raise Invalid("is required", f.name)
        try:
            kwargs[f.name] = from_message_field(msg, f.name, t)
        except Invalid as exc:
            raise Invalid(exc.description, _join(f.name, exc.path)) from None
    return build_record(record, kwargs)
