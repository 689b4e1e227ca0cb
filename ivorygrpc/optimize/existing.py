"""Existing data: rows, CSV text or earlier runs' samples that seed a campaign.

Every row needs every searched parameter and every objective; missing
columns are refused by name. Fixed parameters may be left out (the fixed
value is used); other columns are kept as outputs.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ivorygrpc.errors import FieldViolation, InvalidArguments
from ivorygrpc.optimize.spec import INT, CampaignSpec, Parameter

MAX_ROWS = 100_000


@dataclass(frozen=True)
class ExistingData:
    """Rows by column name, CSV text, and ids of earlier runs (read by the caller)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    csv_text: str = ""
    run_ids: list[str] = field(default_factory=list)

    def empty(self) -> bool:
        """True when nothing is given."""
        return not (self.rows or self.csv_text.strip() or self.run_ids)


Row = tuple[dict[str, Any], dict[str, Any]]
"""(parameters, outputs) of one existing trial."""


def existing_rows(spec: CampaignSpec, data: ExistingData,
                  run_samples: Mapping[int, Sequence[Mapping[str, Any]]],
                  prefix: str) -> list[Row]:
    """The rows of `data` (and of the runs' samples, by index in `data.run_ids`);
    raises InvalidArguments naming every missing column and bad value."""
    problems: list[FieldViolation] = []
    rows: list[Row] = []
    for index, row in enumerate(data.rows):
        rows.extend(_rows(spec, [row], f"{prefix}.rows[{index}]", problems))
    if data.csv_text.strip():
        rows.extend(_rows(spec, _csv(data.csv_text, f"{prefix}.csv_text", problems),
                          f"{prefix}.csv_text", problems, from_text=True))
    for index, samples in sorted(run_samples.items()):
        rows.extend(_rows(spec, samples, f"{prefix}.run_ids[{index}]", problems,
                          outputs_optional=True))
    if len(rows) > MAX_ROWS:
        problems.append(FieldViolation(prefix, f"at most {MAX_ROWS} rows"))
    if problems:
        raise InvalidArguments(problems)
    return rows


def _csv(text: str, where: str, problems: list[FieldViolation]) -> list[dict[str, Any]]:
    try:
        table = [r for r in csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
                 if any(c.strip() for c in r)]
    except csv.Error as exc:
        problems.append(FieldViolation(where, f"not valid CSV: {exc}"))
        return []
    if not table:
        return []
    header = [c.strip() for c in table[0]]
    return [dict(zip(header, cells, strict=False)) for cells in table[1:]]


def _rows(spec: CampaignSpec, rows: Sequence[Mapping[str, Any]], where: str,
          problems: list[FieldViolation], *, from_text: bool = False,
          outputs_optional: bool = False) -> list[Row]:
    searched = [p for p in spec.parameters if p.kind != "fixed"]
    needed = [p.name for p in searched] + (
        [] if outputs_optional else [o.name for o in spec.objectives])
    found: list[Row] = []
    missing_reported = False
    for number, row in enumerate(rows):
        missing = [n for n in needed if n not in row or row[n] in (None, "")]
        if missing:
            if not missing_reported or not from_text:
                problems.append(FieldViolation(where, f"missing columns: {', '.join(missing)}"
                                               + (f" (line {number + 2})" if from_text else "")))
            missing_reported = True
            continue
        parameters: dict[str, Any] = {p.name: p.value for p in spec.parameters
                                      if p.kind == "fixed"}
        ok = True
        for parameter in searched:
            value, why = _value(parameter, row[parameter.name], from_text)
            if why:
                problems.append(FieldViolation(f"{where}.{parameter.name}", why))
                ok = False
            parameters[parameter.name] = value
        outputs = {k: _cell(v) if from_text else v for k, v in row.items()
                   if k not in parameters}
        if ok:
            found.append((parameters, outputs))
    return found


def _value(parameter: Parameter, raw: Any, from_text: bool) -> tuple[Any, str]:
    if parameter.kind == "choice":
        for choice in parameter.values:
            if raw == choice or (from_text and str(raw).strip().lower() == _text(choice)):
                return choice, ""
        return raw, f"{raw!r} is not one of the choices"
    value = _cell(raw) if from_text else raw
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return raw, f"{raw!r} is not a finite number"
    if not parameter.low <= value <= parameter.high:
        return raw, f"{value!r} is outside {parameter.low:g} to {parameter.high:g}"
    if parameter.step is not None:
        steps = (value - parameter.low) / parameter.step
        if abs(steps - round(steps)) > 1e-9:
            return raw, f"{value!r} is not on the grid {parameter.low:g} + k * {parameter.step:g}"
    if parameter.number_type == INT:
        if not float(value).is_integer():
            return raw, f"{value!r} is not a whole number"
        return int(value), ""
    return float(value), ""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cell(text: Any) -> Any:
    """CSV cell -> a number where it is one, true/false, else the text."""
    if not isinstance(text, str):
        return text
    stripped = text.strip()
    for convert in (int, float):
        try:
            return convert(stripped)
        except ValueError:
            pass
    if stripped.lower() in ("true", "false"):
        return stripped.lower() == "true"
    return stripped
