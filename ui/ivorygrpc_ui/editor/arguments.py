"""Step arguments as the user types them, and back.

One line of text names the kind of value:

* `#volume` is the run parameter `volume` (its value comes with each run);
* `=total` is the variable `total` set by an earlier step;
* `=#volume * 2 + total` is an expression of the workflow expression language;
* anything else is a literal, converted to the parameter's type.
"""

from __future__ import annotations

import json
import re
from typing import Any

from google.protobuf import json_format, struct_pb2

from ivorygrpc.v1 import instrument_pb2 as ins
from ivorygrpc.v1 import workflow_pb2 as wf

from .tree import EditError

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def parse_argument(text: str, type_info: ins.TypeInfo | None = None) -> wf.ArgumentValue:
    """The argument a line of text stands for; `EditError` when it cannot be one."""
    text = text.strip()
    if text.startswith("#"):
        name = text[1:].strip()
        if not IDENTIFIER.match(name):
            raise EditError(f"{text!r} is not a parameter name (letters, digits and _)")
        return wf.ArgumentValue(parameter=name)
    if text.startswith("="):
        source = text[1:].strip()
        if not source:
            raise EditError("write a variable name or an expression after '='")
        if IDENTIFIER.match(source):
            return wf.ArgumentValue(variable=source)
        return wf.ArgumentValue(expression=source)
    return literal(convert_text(text, type_info))


def literal(value: Any) -> wf.ArgumentValue:
    """A literal argument holding a JSON-like value."""
    proto = struct_pb2.Value()
    json_format.ParseDict(value, proto)
    return wf.ArgumentValue(literal=proto)


def format_argument(value: wf.ArgumentValue) -> str:
    """The text a user would type for `value` (the inverse of `parse_argument`)."""
    kind = value.WhichOneof("kind")
    if kind == "parameter":
        return f"#{value.parameter}"
    if kind == "variable":
        return f"={value.variable}"
    if kind == "expression":
        return f"={value.expression}"
    if kind == "literal":
        plain = json_format.MessageToDict(value.literal)
        if isinstance(plain, str):
            return plain
        if isinstance(plain, float) and plain.is_integer():
            return str(int(plain))
        return json.dumps(plain)
    return ""


def literal_value(value: wf.ArgumentValue) -> Any:
    """The plain value of a literal argument; None for any other kind."""
    if value.WhichOneof("kind") != "literal":
        return None
    return json_format.MessageToDict(value.literal)


def convert_text(text: str, type_info: ins.TypeInfo | None) -> Any:
    """Text converted to the JSON-like value the parameter's type wants."""
    kind = type_info.kind if type_info is not None else ins.VALUE_KIND_ANY
    if type_info is not None and type_info.repeated:
        return _list(text, type_info)
    if text == "" and type_info is not None and type_info.nullable:
        return None
    if kind == ins.VALUE_KIND_DOUBLE:
        return _number(text, float, "a number")
    if kind == ins.VALUE_KIND_INT64:
        return _number(text, int, "a whole number")
    if kind == ins.VALUE_KIND_BOOL:
        return _bool(text)
    if kind == ins.VALUE_KIND_ENUM:
        if type_info is not None and type_info.choices and text not in type_info.choices:
            raise EditError(f"{text!r} is not one of {', '.join(type_info.choices)}")
        return text
    if kind in (ins.VALUE_KIND_RECORD, ins.VALUE_KIND_ANY, ins.VALUE_KIND_UNSPECIFIED):
        return _json_or_text(text)
    return text


def _number(text: str, cast: type[int] | type[float], what: str) -> int | float:
    try:
        return cast(text)
    except ValueError:
        raise EditError(f"{text!r} is not {what}") from None


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise EditError(f"{text!r} is not true or false")


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _list(text: str, type_info: ins.TypeInfo) -> list[Any]:
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except ValueError:
            raise EditError(f"{text!r} is not a JSON list") from None
        if not isinstance(items, list):
            raise EditError(f"{text!r} is not a list")
        return items
    single = ins.TypeInfo()
    single.CopyFrom(type_info)
    single.repeated = False
    return [convert_text(item.strip(), single) for item in stripped.split(",") if item.strip()]
