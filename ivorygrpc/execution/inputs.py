"""Typing the operator's answer to an input step (IvoryOS stored whatever was sent)."""

from __future__ import annotations

import math
from typing import Any

from ivorygrpc.errors import FieldViolation, InvalidArguments

_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")
_INT64 = (-(2**63), 2**63 - 1)


def convert_input(value: Any, input_type: str) -> Any:
    """`value` as the asked type; raises InvalidArguments naming `value`."""
    try:
        return _convert(value, input_type)
    except (TypeError, ValueError) as exc:
        raise InvalidArguments([FieldViolation("value", str(exc))]) from None
    except OverflowError:
        raise InvalidArguments([FieldViolation("value", "the number is out of range")]) from None


def _convert(value: Any, input_type: str) -> Any:
    if value is None:
        raise ValueError("an answer is required")
    if input_type == "INPUT_TYPE_NUMBER":
        number = _number(value)
        return float(number)
    if input_type == "INPUT_TYPE_INTEGER":
        number = _number(value)
        if isinstance(number, float):
            if not number.is_integer():
                raise ValueError(f"{value!r} is not a whole number")
            number = int(number)
        if not _INT64[0] <= number <= _INT64[1]:
            raise ValueError("the number does not fit in 64 bits")
        return number
    if input_type == "INPUT_TYPE_BOOLEAN":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"{value!r} is not true or false")
    if isinstance(value, dict | list):
        raise ValueError("expected text")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value).lower() if isinstance(
        value, bool) else str(value)


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        number: int | float = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise ValueError(f"{value!r} is not a number") from None
    else:
        raise ValueError(f"{value!r} is not a number")
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError("the number must be finite")
    return number
