"""Typed inputs generated from parameter schemas (`client.control.ParameterInfo`).

Used by the Instruments page (one form per method) and the Design page's step dialog::

    form = ParameterForm(method.parameters, mark_prefix='lab-add-')   # builds the inputs
    values, problems = form.read()      # {'a': 3, 'b': 1}, [] -- or {}, ['a: is required']
    form.set_values({'a': 5})           # fill from saved arguments

Inputs by type: float/int -> number (int rejects fractions; declared ranges checked),
str -> text, bool -> checkbox, enum -> dropdown of the choices, datetime -> ISO 8601 text,
bytes -> base64 text, list of scalars -> comma-separated text or a JSON array, records
and untyped (``Value``) parameters -> JSON text. Defaults are filled in, required inputs
are marked ``*``, the Python annotation and unit are shown as hints. Every input gets the
marker ``f'{mark_prefix}{name}'``. Values come back as JSON-like Python values; an input
left empty is left out (the server applies the default), or None for a nullable one
whose dropdown says ``None``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from nicegui import ui

from ivorygrpc_ui.client.control import ParameterInfo, TypeSpec
from ivorygrpc_ui.client.values import JsonValue

__all__ = ["FieldProblem", "ParameterField", "ParameterForm", "field_label", "parse_text"]

_NONE_CHOICE = "None"
_EMPTY = object()


class FieldProblem(ValueError):
    """A value that cannot be sent; the message is for the user."""


def field_label(param: ParameterInfo) -> str:
    """``name (unit) *``."""
    unit = f" ({param.unit})" if param.unit else ""
    return f"{param.name}{unit}{' *' if param.required else ''}"


def _uses_json(spec: TypeSpec) -> bool:
    return spec.kind in {"record", "any"}


def _scalar(text: str, spec: TypeSpec) -> JsonValue:
    """One list item typed by `spec.kind` (for comma-separated lists)."""
    text = text.strip()
    if spec.kind == "int":
        try:
            return int(text)
        except ValueError:
            raise FieldProblem(f"{text!r} is not a whole number") from None
    if spec.kind == "float":
        try:
            return float(text)
        except ValueError:
            raise FieldProblem(f"{text!r} is not a number") from None
    if spec.kind == "bool":
        lowered = text.lower()
        if lowered in {"true", "1", "yes"}:
            return True
        if lowered in {"false", "0", "no"}:
            return False
        raise FieldProblem(f"{text!r} is not true or false")
    if spec.kind == "enum" and spec.choices and text not in spec.choices:
        raise FieldProblem(f"{text!r} is not one of: {', '.join(spec.choices)}")
    return text


def parse_text(text: str, spec: TypeSpec) -> JsonValue:
    """The value typed into a text input for a list, record, JSON or scalar parameter."""
    stripped = text.strip()
    if _uses_json(spec) or stripped.startswith(("[", "{")):
        try:
            value: JsonValue = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise FieldProblem(f"not valid JSON ({exc.msg})") from None
        if spec.repeated and not isinstance(value, list):
            raise FieldProblem("expected a list")
        return value
    if spec.repeated:
        return [_scalar(item, spec) for item in stripped.split(",") if item.strip()]
    return _scalar(stripped, spec)


def _as_text(value: JsonValue, spec: TypeSpec) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and not spec.repeated:
        return value
    if (spec.repeated and isinstance(value, list) and not _uses_json(spec)
            and all(isinstance(v, int | float | str) and not isinstance(v, bool) for v in value)):
        return ", ".join(str(v) for v in value)
    return json.dumps(value)


class ParameterField:
    """One typed input for `param`, marked `marker`.

    ``element`` is the NiceGUI input, ``kind`` one of ``number``, ``bool``, ``enum``, ``text``;
    `set(value)` fills it; `read()` returns the typed value or raises `FieldProblem`.
    """

    def __init__(self, param: ParameterInfo, marker: str) -> None:
        self.param = param
        spec = param.type
        self.kind = ("number" if spec.kind in {"float", "int"} and not spec.repeated
                     else "bool" if spec.kind == "bool" and not spec.repeated
                     else "enum" if spec.kind == "enum" and not spec.repeated
                     else "text")
        label = field_label(param)
        hint = spec.python + (" (JSON)" if _uses_json(spec) else
                              " (comma-separated or JSON list)" if spec.repeated else "")
        if param.minimum is not None or param.maximum is not None:
            low = "" if param.minimum is None else f"{param.minimum:g}"
            high = "" if param.maximum is None else f"{param.maximum:g}"
            hint += f", {low}..{high}"
        self.element: Any
        if self.kind == "number":
            self.element = ui.number(label, format="%d" if spec.kind == "int" else None,
                                     min=param.minimum, max=param.maximum)
            self.element.props(f'hint="{hint}"')
        elif self.kind == "bool":
            self.element = ui.checkbox(label)
        elif self.kind == "enum":
            options = list(spec.choices)
            if spec.nullable or not param.required:
                options.insert(0, _NONE_CHOICE)
            self.element = ui.select(options, label=label, value=None)
            self.element.props(f'hint="{hint}" clearable')
        elif _uses_json(spec):
            self.element = ui.textarea(label).props(f'hint="{hint}" autogrow')
        else:
            self.element = ui.input(label).props(f'hint="{hint}"')
        self.element.mark(marker)
        if param.description:
            self.element.tooltip(param.description)
        if param.has_default:
            self.set(param.default)

    def set(self, value: JsonValue) -> None:
        """Show `value` in the input."""
        if self.kind == "number":
            self.element.value = value if isinstance(value, int | float) else None
        elif self.kind == "bool":
            self.element.value = bool(value)
        elif self.kind == "enum":
            self.element.value = _NONE_CHOICE if value is None and (
                _NONE_CHOICE in self.element.options) else value
        else:
            self.element.value = _as_text(value, self.param.type)

    def read(self) -> Any:
        """The typed value; raises `FieldProblem` (``is required`` when a required input is
        empty). An optional input left empty gives the module's private empty marker, which
        `ParameterForm.read` leaves out."""
        spec, param = self.param.type, self.param
        raw = self.element.value
        if self.kind == "bool":
            return bool(raw)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if param.required and not spec.nullable:
                raise FieldProblem("is required")
            return _EMPTY
        if self.kind == "enum":
            return None if raw == _NONE_CHOICE else raw
        if self.kind == "number":
            number = float(raw)
            if spec.kind == "int":
                if not number.is_integer():
                    raise FieldProblem("must be a whole number")
                value: JsonValue = int(number)
            else:
                value = number
            self._check_range(number)
            return value
        return parse_text(str(raw), spec)

    def _check_range(self, number: float) -> None:
        low, high = self.param.minimum, self.param.maximum
        if low is not None and number < low:
            raise FieldProblem(f"must be at least {low:g}")
        if high is not None and number > high:
            raise FieldProblem(f"must be at most {high:g}")


class ParameterForm:
    """Inputs for `parameters`, laid out in a responsive grid in the current container.

    :param parameters: the schema (method or run parameters)
    :param values: initial values, overriding the defaults
    :param mark_prefix: prefix of each input's marker (``f'{mark_prefix}{name}'``)
    """

    def __init__(self, parameters: Sequence[ParameterInfo],
                 values: Mapping[str, JsonValue] | None = None, *,
                 mark_prefix: str = "param-") -> None:
        self.fields: dict[str, ParameterField] = {}
        with ui.element("div").classes("grid grid-cols-1 sm:grid-cols-2 lg:grid-cols-3 "
                                       "gap-x-4 gap-y-2 w-full"):
            for param in parameters:
                self.fields[param.name] = ParameterField(param, f"{mark_prefix}{param.name}")
        self.problems = ui.label("").classes("text-negative text-sm whitespace-pre-line")
        self.problems.mark(f"{mark_prefix}problems")
        if values:
            self.set_values(values)

    def set_values(self, values: Mapping[str, JsonValue]) -> None:
        """Fill the inputs named in `values`."""
        for name, value in values.items():
            if name in self.fields:
                self.fields[name].set(value)

    def read(self) -> tuple[dict[str, JsonValue], list[str]]:
        """The entered values and the problems (``'name: message'``), also shown below."""
        values: dict[str, JsonValue] = {}
        problems: list[str] = []
        for name, each in self.fields.items():
            try:
                value = each.read()
            except FieldProblem as exc:
                problems.append(f"{name}: {exc}")
                continue
            if value is not _EMPTY:
                values[name] = value
        self.problems.text = "\n".join(problems)
        return values, problems

    def show_problems(self, lines: Sequence[str]) -> None:
        """Show messages under the form (for example the server's field violations)."""
        self.problems.text = "\n".join(lines)
