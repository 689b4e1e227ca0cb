"""Python results -> response messages, checked against the declared type.

A method that returns something its annotation does not allow raises
`ResultMismatch`; the caller turns it into INSTRUMENT_RESULT_INVALID.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import numbers
from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, message

from ivorygrpc.deck.jsonable import to_jsonable
from ivorygrpc.deck.model import Kind, RecordSpec, TypeSpec


class ResultMismatch(Exception):
    """A result value does not fit its declared type."""


def set_field(msg: message.Message, name: str, value: Any, t: TypeSpec) -> None:
    """Store `value` in field `name` of `msg`."""
    if value is None:
        if t.kind is Kind.ANY and not t.repeated:
            getattr(msg, name).null_value = 0
            return
        if t.nullable or t.repeated:
            return
        raise ResultMismatch(f"{name}: None where {t.python or t.kind.value} was declared")
    if t.repeated:
        if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
            raise ResultMismatch(f"{name}: expected a sequence, got {type(value).__name__}")
        target = getattr(msg, name)
        for item in value:
            if t.kind in (Kind.RECORD, Kind.TIMESTAMP, Kind.ANY):
                _fill_message(target.add(), item, t, name)
            else:
                try:
                    target.append(_scalar(item, t, name))
                except (ValueError, TypeError) as exc:  # e.g. an int beyond int64
                    raise ResultMismatch(f"{name}: {exc}") from None
        return
    if t.kind in (Kind.RECORD, Kind.TIMESTAMP, Kind.ANY):
        _fill_message(getattr(msg, name), value, t, name)
    else:
        try:
            setattr(msg, name, _scalar(value, t, name))
        except (ValueError, TypeError) as exc:
            raise ResultMismatch(f"{name}: {exc}") from None


def _scalar(value: Any, t: TypeSpec, name: str) -> Any:
    kind = t.kind
    if kind is Kind.DOUBLE and isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if kind is Kind.INT64 and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if kind is Kind.STRING and isinstance(value, str):
        return value
    if kind is Kind.BOOL and isinstance(value, bool):
        return value
    if kind is Kind.BYTES and isinstance(value, bytes | bytearray):
        return bytes(value)
    if kind is Kind.ENUM:
        assert t.enum is not None
        for member in t.enum.members:
            same = value is member.value or (
                not isinstance(value, enum.Enum) and value == _plain(member.value)
                and type(value) is type(_plain(member.value)))
            if same:
                return t.enum.numbers[member.proto_suffix]
    raise ResultMismatch(f"{name}: {type(value).__name__} {value!r:.60} is not {t.python}")


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _fill_message(target: message.Message, value: Any, t: TypeSpec, name: str) -> None:
    if t.kind is Kind.ANY:
        try:
            json_format.ParseDict(to_jsonable(value), target)
        except (json_format.ParseError, ValueError, OverflowError) as exc:
            raise ResultMismatch(f"{name}: {exc}") from None
    elif t.kind is Kind.TIMESTAMP:
        if not isinstance(value, datetime.datetime):
            raise ResultMismatch(f"{name}: expected a datetime, got {type(value).__name__}")
        target.FromDatetime(value)  # type: ignore[attr-defined]
    else:
        assert t.record is not None
        fill_record(target, value, t.record, name)


def fill_record(target: message.Message, value: Any, record: RecordSpec, name: str) -> None:
    """Copy the fields of a record instance (or a mapping) into `target`."""
    for f in record.fields:
        if isinstance(value, Mapping):
            if f.name not in value:
                raise ResultMismatch(f"{name}.{f.name}: missing")
            item = value[f.name]
        elif isinstance(value, record.python) or _has_fields(value, record):
            item = getattr(value, f.name)
        else:
            raise ResultMismatch(f"{name}: expected {record.name}, got {type(value).__name__}")
        set_field(target, f.name, item, f.type)


def _has_fields(value: Any, record: RecordSpec) -> bool:
    if dataclasses.is_dataclass(value) or hasattr(value, "_fields"):
        return all(hasattr(value, f.name) for f in record.fields)
    return False
