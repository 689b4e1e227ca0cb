"""A run's modes (the same parameters repeated, parameter rows or CSV text) and the
conversion of their parameters into the samples of every main iteration.

Field paths of the violations:

    mode.repeat.count
    mode.repeat.parameters.volume
    mode.rows[3].volume                        rows are counted from 0
    mode.csv.line 4.volume                     lines are counted from 1, as in an editor

Converted parameters are JSON-like values already of the declared type (an int
parameter given 3.0 holds 3, a float given 2 holds 2.0, an enum its member name),
so the runner converts them again with `from_json` without surprises.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ivorygrpc.deck.decode import Invalid, check_range, from_json, violation
from ivorygrpc.deck.jsonable import to_jsonable
from ivorygrpc.deck.model import Kind, ParamSpec, TypeSpec
from ivorygrpc.errors import FieldViolation
from ivorygrpc.workflow.parameters import RunParameter

_NULL_TEXTS = ("None", "null")
_MAX_DEPTH = 64


@dataclass(frozen=True)
class RepeatMode:
    """The same parameters for `count` iterations (and every sample of each)."""

    count: int
    parameters: dict[str, Any]  # JSON-like, by parameter name


@dataclass(frozen=True)
class RowsMode:
    """One row of parameters per sample."""

    rows: list[dict[str, Any]]  # JSON-like, by parameter name


@dataclass(frozen=True)
class CsvMode:
    """One CSV line of parameters per sample; the first line names the parameters."""

    text: str


Mode = RepeatMode | RowsMode | CsvMode


def csv_template(parameters: Sequence[RunParameter]) -> str:
    """A CSV header of the parameter names and a second line of their type names.

    `plan_run` skips that second line when it comes back unchanged. Empty when
    there are no parameters.
    """
    if not parameters:
        return ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([p.name for p in parameters])
    writer.writerow([p.type.python for p in parameters])
    return out.getvalue()


class Problems:
    """Collects violations (field paths once each, for the checks that ask)."""

    def __init__(self, violations: Sequence[FieldViolation] = ()) -> None:
        self.violations: list[FieldViolation] = list(violations)
        self.fields: set[str] = {v.field for v in violations}

    def add(self, field_path: str, description: str) -> None:
        """Record that `field_path` is wrong, and why."""
        self.violations.append(FieldViolation(field_path, description))
        self.fields.add(field_path)


class SampleConverter:
    """Checks and converts parameter values per mode."""

    def __init__(self, parameters: list[RunParameter],
                 ranges: dict[str, list[tuple[str, ParamSpec]]], planner: Problems) -> None:
        self.parameters = {p.name: p for p in parameters}
        self.ranges = ranges
        self.planner = planner
        self.known = ", ".join(self.parameters) or "none"

    def _unknown(self, what: str) -> str:
        if not self.parameters:
            return f"unknown {what}: the workflow has no run parameters"
        return f"unknown {what}; the workflow's run parameters are: {self.known}"

    def iterations(self, mode: Mode, batch: int | None,
                   max_samples: int) -> list[list[dict[str, Any]]] | None:
        """The converted samples of every main iteration, `batch` per iteration, or None
        when they cannot be made; every problem is recorded with the planner, which the
        caller checks before using the result."""
        if isinstance(mode, RepeatMode):
            return self._repeat(mode, batch, max_samples)
        if isinstance(mode, RowsMode):
            field_path, rows = "mode.rows", self._rows(mode.rows)
        elif isinstance(mode, CsvMode):
            field_path, rows = "mode.csv", self._csv(mode.text)
        else:
            self.planner.add("mode", "give repeat, rows or csv")
            return None
        if not self.parameters:
            self.planner.add(field_path, "the workflow has no run parameters; use repeat")
            return None
        if rows is None:
            return None
        if not rows:
            self.planner.add(field_path, "give at least one row of parameters")
        elif len(rows) > max_samples:
            self.planner.add(field_path, f"{len(rows)} rows exceed the limit of "
                             f"{max_samples} samples per run")
        if batch is None:
            return None
        return [rows[i:i + batch] for i in range(0, len(rows), batch)]

    def _repeat(self, mode: RepeatMode, batch: int | None,
                max_samples: int) -> list[list[dict[str, Any]]] | None:
        count: int | None = mode.count
        if isinstance(count, bool) or not isinstance(count, int) or not (
                1 <= count <= max_samples):
            self.planner.add("mode.repeat.count", f"must be 1 to {max_samples}, got {count!r}")
            count = None
        elif batch is not None and count * batch > max_samples:
            self.planner.add("mode.repeat.count", f"{count} iterations of {batch} samples are "
                             f"{count * batch} samples, more than the limit of {max_samples}")
            count = None
        if not isinstance(mode.parameters, Mapping):
            self.planner.add("mode.repeat.parameters", "must be an object of run parameters")
            return None
        values = self._row(mode.parameters, "mode.repeat.parameters")
        if values is None or count is None or batch is None:
            return None
        return [[dict(values) for _ in range(batch)] for _ in range(count)]

    def _rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        if not self.parameters:
            return None
        converted: list[dict[str, Any]] = []
        ok = True
        for index, row in enumerate(rows):
            where = f"mode.rows[{index}]"
            if not isinstance(row, Mapping):
                self.planner.add(where, "must be an object of run parameters")
                ok = False
                continue
            values = self._row(row, where)
            if values is None:
                ok = False
            else:
                converted.append(values)
        return converted if ok else None

    def _row(self, row: Mapping[str, Any], where: str) -> dict[str, Any] | None:
        """Every parameter given, none unknown, each converted; None after a problem."""
        ok = True
        for name in row:
            if name not in self.parameters:
                self.planner.add(f"{where}.{name}", self._unknown(f"run parameter {name!r}"))
                ok = False
        values: dict[str, Any] = {}
        for name, parameter in self.parameters.items():
            if name not in row:
                self.planner.add(f"{where}.{name}", f"run parameter #{name} "
                                 f"({parameter.type.python}) is required")
                ok = False
                continue
            converted = self._convert(row[name], parameter, f"{where}.{name}")
            if converted is _FAILED:
                ok = False
            else:
                values[name] = converted
        return values if ok else None

    def _convert(self, value: Any, parameter: RunParameter, where: str,
                 decode: Callable[[Any, TypeSpec], Any] = from_json) -> Any:
        """The JSON-like value of the parameter's type, or _FAILED after adding a violation."""
        try:
            python = decode(value, parameter.type)
            if _non_finite(python):
                raise Invalid("numbers must be finite (no NaN or Infinity)")
            for label, spec in self.ranges.get(parameter.name, []):
                try:
                    check_range(spec, python)
                except TypeError:  # another use with another type: not comparable
                    continue
                except Invalid as exc:
                    raise Invalid(f"{exc.description}: {label} must be {_bounds(spec)}") from None
            return to_jsonable(python)
        except Invalid as exc:
            found = violation(where, exc)
            self.planner.add(found.field, found.description)
        except (ValueError, RecursionError) as exc:  # nested too deeply
            self.planner.add(where, str(exc) or "the value is nested too deeply")
        return _FAILED

    # -- CSV -----------------------------------------------------------------------------------

    def _csv(self, text: str) -> list[dict[str, Any]] | None:
        if not self.parameters:
            return None
        reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
        lines: list[tuple[int, list[str]]] = []
        previous = 0
        try:
            for cells in reader:
                start, previous = previous + 1, reader.line_num
                if any(c.strip() for c in cells):
                    lines.append((start, cells))
        except csv.Error as exc:
            self.planner.add(f"mode.csv.line {previous + 1}", f"not valid CSV: {exc}")
            return None
        if not lines:
            self.planner.add("mode.csv", "the CSV text is empty; its first line must name "
                             f"the run parameters ({self.known})")
            return None
        header_line, header_cells = lines[0]
        header = [c.strip() for c in header_cells]
        if not self._header(header_line, header):
            return None
        body = lines[1:]
        types = [self.parameters[name].type.python for name in header]
        if body and [c.strip() for c in body[0][1]] == types:
            body = body[1:]  # the type names line of the template
        rows: list[dict[str, Any]] = []
        ok = True
        for number, cells in body:
            where = f"mode.csv.line {number}"
            if len(cells) != len(header):
                self.planner.add(where, f"has {len(cells)} cells, the header has {len(header)}")
                ok = False
                continue
            row: dict[str, Any] = {}
            for name, cell in zip(header, cells, strict=True):
                converted = self._convert(cell, self.parameters[name], f"{where}.{name}",
                                          _cell_decoder)
                if converted is _FAILED:
                    ok = False
                else:
                    row[name] = converted
            rows.append(row)
        return rows if ok else None

    def _header(self, line: int, header: list[str]) -> bool:
        where = f"mode.csv.line {line}"
        ok = True
        seen: set[str] = set()
        for index, name in enumerate(header, 1):
            if not name:
                self.planner.add(where, f"column {index} has no name")
                ok = False
            elif name in seen:
                self.planner.add(f"{where}.{name}", f"column {name!r} appears twice")
                ok = False
            elif name not in self.parameters:
                self.planner.add(f"{where}.{name}", self._unknown(f"column {name!r}"))
                ok = False
            seen.add(name)
        for name in self.parameters:
            if name not in seen:
                self.planner.add(where, f"missing column {name!r} (run parameter #{name}, "
                                 f"{self.parameters[name].type.python})")
                ok = False
        return ok


def _bounds(spec: ParamSpec) -> str:
    parts = [f"{sign} {bound:g}" for sign, bound in (
        (">=", spec.minimum), ("<=", spec.maximum), (">", spec.exclusive_minimum),
        ("<", spec.exclusive_maximum)) if bound is not None]
    return " and ".join(parts)


class _Failed:
    pass


_FAILED: Any = _Failed()


def _cell_decoder(text: Any, t: TypeSpec) -> Any:
    """CSV cell text -> the Python value of `t` (via from_json)."""
    assert isinstance(text, str)
    stripped = text.strip()
    if not stripped:
        raise Invalid("is blank: every cell needs a value"
                      + (" (write null for None)" if t.nullable else ""))
    if stripped in _NULL_TEXTS and t.nullable:
        return None
    if t.repeated or t.kind is Kind.RECORD:
        return from_json(_json_cell(stripped), t)
    if t.kind is Kind.ANY:
        return from_json(_guess(stripped), t)
    if t.kind is Kind.STRING:
        return text
    if t.kind is Kind.INT64:
        return from_json(_number(stripped), t)
    return from_json(stripped, t)


def _number(text: str) -> Any:
    """`3` -> 3, `3.0` -> 3.0 (from_json takes it as 3), anything else unchanged."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _guess(text: str) -> Any:
    """An untyped cell: a finite number, true/false, JSON list or object, else the text."""
    number = _number(text)
    if isinstance(number, int) or (isinstance(number, float) and math.isfinite(number)):
        return number
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text[0] in "[{":
        try:
            return _json_cell(text)
        except Invalid:
            pass
    return text


def _json_cell(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not allowed")

    try:
        return json.loads(text, parse_constant=refuse)
    except (ValueError, RecursionError) as exc:
        raise Invalid(f"expected JSON text (for example [1, 2] or {{\"x\": 1}}): {exc}") from None


def _non_finite(value: Any, depth: int = 0) -> bool:
    """True when a NaN or infinity hides anywhere in a converted value."""
    if depth > _MAX_DEPTH:
        return False  # to_jsonable refuses it
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, str | bytes | bool | int) or value is None:
        return False
    if isinstance(value, Mapping):
        return any(_non_finite(v, depth + 1) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_non_finite(v, depth + 1) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_non_finite(getattr(value, f.name), depth + 1)
                   for f in dataclasses.fields(value))
    return False
