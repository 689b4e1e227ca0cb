"""What a campaign optimizes: parameters, objectives, constraints; and its trials.

Plain dataclasses with a JSON form (the proto JSON form, so services convert
with `json_format`) and `check_spec`, which lists every problem of a spec as
field violations. No protobuf, no optimizer library here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ivorygrpc.errors import FieldViolation
from ivorygrpc.workflow.expressions import Expression, ExpressionError

MINIMIZE, MAXIMIZE = "OBJECTIVE_DIRECTION_MINIMIZE", "OBJECTIVE_DIRECTION_MAXIMIZE"
INT, FLOAT = "NUMBER_TYPE_INT", "NUMBER_TYPE_FLOAT"
PENDING, COMPLETED, FAILED = "TRIAL_STATE_PENDING", "TRIAL_STATE_COMPLETED", "TRIAL_STATE_FAILED"
FROM_OPTIMIZER, FROM_EXISTING = "TRIAL_SOURCE_OPTIMIZER", "TRIAL_SOURCE_EXISTING"
MAX_PARAMETERS = 100
MAX_OBJECTIVES = 10
MAX_CHOICES = 1000
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
_COMPARISON = re.compile(r"<=|>=")


@dataclass(frozen=True)
class Parameter:
    """One parameter: `kind` is "range", "choice" or "fixed"."""

    name: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    step: float | None = None
    log_scale: bool = False
    number_type: str = FLOAT  # INT or FLOAT, for ranges
    values: tuple[Any, ...] = ()  # choices
    value: Any = None  # fixed

    def to_json(self) -> dict[str, Any]:
        """The `ParameterSpec` JSON form."""
        if self.kind == "range":
            spec: dict[str, Any] = {"low": self.low, "high": self.high,
                                    "log_scale": self.log_scale, "number_type": self.number_type}
            if self.step is not None:
                spec["step"] = self.step
            return {"name": self.name, "range": spec}
        if self.kind == "choice":
            return {"name": self.name, "choice": {"values": list(self.values)}}
        return {"name": self.name, "fixed": {"value": self.value}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Parameter:
        """The parameter of a `ParameterSpec` JSON form (unchecked)."""
        name = str(data.get("name", ""))
        if "range" in data:
            r = data["range"] or {}
            step = r.get("step")
            return cls(name, "range", float(r.get("low", 0.0)), float(r.get("high", 0.0)),
                       None if step is None else float(step), bool(r.get("log_scale", False)),
                       str(r.get("number_type") or "NUMBER_TYPE_UNSPECIFIED"))
        if "choice" in data:
            return cls(name, "choice", values=tuple((data["choice"] or {}).get("values") or ()))
        if "fixed" in data:
            return cls(name, "fixed", value=(data["fixed"] or {}).get("value"))
        return cls(name, "")


@dataclass(frozen=True)
class Objective:
    """An output to minimize or maximize, with an optional early-stop threshold."""

    name: str
    direction: str
    weight: float = 1.0
    threshold: float | None = None

    @property
    def minimize(self) -> bool:
        """True when smaller is better."""
        return self.direction == MINIMIZE

    def met(self, value: float) -> bool:
        """True when `value` meets the threshold (never without one)."""
        if self.threshold is None:
            return False
        return value <= self.threshold if self.minimize else value >= self.threshold

    def to_json(self) -> dict[str, Any]:
        """The `Objective` JSON form."""
        data: dict[str, Any] = {"name": self.name, "direction": self.direction,
                                "weight": self.weight}
        if self.threshold is not None:
            data["threshold"] = self.threshold
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Objective:
        """The objective of an `Objective` JSON form (unchecked)."""
        threshold = data.get("threshold")
        return cls(str(data.get("name", "")),
                   str(data.get("direction") or "OBJECTIVE_DIRECTION_UNSPECIFIED"),
                   float(data.get("weight") or 1.0),
                   None if threshold is None else float(threshold))


@dataclass(frozen=True)
class Constraint:
    """`left <= right` (or `>=`): feasible when `violation(values) <= 0`."""

    text: str
    left: Expression
    right: Expression
    at_most: bool  # True for <=

    def names(self) -> frozenset[str]:
        """The names it reads."""
        return self.left.names() | self.right.names()

    def violation(self, values: Mapping[str, Any]) -> float:
        """How far from feasible (> 0 means violated); raises ExpressionError."""
        left, right = self.left.evaluate(values), self.right.evaluate(values)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right)):
            raise ExpressionError("both sides must be numbers", 0)
        return float(left - right if self.at_most else right - left)


def parse_constraint(text: str) -> Constraint:
    """`a + b <= 80` -> Constraint; raises ExpressionError."""
    parts = _COMPARISON.split(text)
    operators = _COMPARISON.findall(text)
    if len(operators) != 1:
        raise ExpressionError("a constraint is one comparison: <expression> <= <expression> "
                              "or >=", 0)
    return Constraint(text, Expression(parts[0].strip()), Expression(parts[1].strip()),
                      operators[0] == "<=")


@dataclass(frozen=True)
class CampaignSpec:
    """A checked (or to-be-checked) campaign spec."""

    optimizer: str
    settings: dict[str, Any]
    parameters: tuple[Parameter, ...]
    objectives: tuple[Objective, ...]
    constraints: tuple[str, ...] = ()
    seed: int | None = None

    def parsed_constraints(self) -> list[Constraint]:
        """The constraints, parsed (call after `check_spec` passed)."""
        return [parse_constraint(text) for text in self.constraints]

    def to_json(self) -> dict[str, Any]:
        """The `CampaignSpec` JSON form."""
        data: dict[str, Any] = {"optimizer": self.optimizer, "settings": dict(self.settings),
                                "parameters": [p.to_json() for p in self.parameters],
                                "objectives": [o.to_json() for o in self.objectives],
                                "constraints": list(self.constraints)}
        if self.seed is not None:
            data["seed"] = str(self.seed)  # int64 is a string in proto JSON
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CampaignSpec:
        """The spec of a `CampaignSpec` JSON form (unchecked)."""
        seed = data.get("seed")
        return cls(str(data.get("optimizer", "")), dict(data.get("settings") or {}),
                   tuple(Parameter.from_json(p) for p in data.get("parameters") or ()),
                   tuple(Objective.from_json(o) for o in data.get("objectives") or ()),
                   tuple(str(c) for c in data.get("constraints") or ()),
                   None if seed is None else int(seed))


@dataclass(frozen=True)
class Trial:
    """One trial as stored: parameters, outputs, objective values and state."""

    number: int
    state: str
    source: str
    parameters: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    objective_values: dict[str, float] = field(default_factory=dict)
    feasible: bool = True
    constraint_values: tuple[float, ...] = ()
    error: str = ""
    iteration: int = 0
    sample: int = 0


def check_spec(spec: CampaignSpec, prefix: str = "spec") -> list[FieldViolation]:
    """Every problem of the spec's parameters, objectives and constraints (not the
    optimizer's own rules: see `Adapter.check`)."""
    problems: list[FieldViolation] = []

    def add(where: str, text: str) -> None:
        problems.append(FieldViolation(f"{prefix}.{where}", text))

    if len(spec.parameters) > MAX_PARAMETERS:
        add("parameters", f"at most {MAX_PARAMETERS} parameters")
    searched = 0
    seen: set[str] = set()
    for index, parameter in enumerate(spec.parameters):
        where = f"parameters[{index}]"
        if not _NAME.match(parameter.name):
            add(f"{where}.name", f"{parameter.name!r} is not a name (letters, digits, _)")
        elif parameter.name in seen:
            add(f"{where}.name", f"parameter {parameter.name!r} appears twice")
        seen.add(parameter.name)
        problems.extend(FieldViolation(f"{prefix}.{where}.{f}", t)
                        for f, t in _parameter_problems(parameter))
        searched += parameter.kind in ("range", "choice")
    if spec.parameters and not searched:
        add("parameters", "at least one parameter must be a range or a choice")
    if not spec.objectives:
        add("objectives", "give at least one objective")
    if len(spec.objectives) > MAX_OBJECTIVES:
        add("objectives", f"at most {MAX_OBJECTIVES} objectives")
    names: set[str] = set()
    for index, objective in enumerate(spec.objectives):
        where = f"objectives[{index}]"
        if not _NAME.match(objective.name):
            add(f"{where}.name", f"{objective.name!r} is not a name (letters, digits, _)")
        elif objective.name in names:
            add(f"{where}.name", f"objective {objective.name!r} appears twice")
        elif objective.name in seen:
            add(f"{where}.name", f"{objective.name!r} is a parameter, not an output")
        names.add(objective.name)
        if objective.direction not in (MINIMIZE, MAXIMIZE):
            add(f"{where}.direction", "must be OBJECTIVE_DIRECTION_MINIMIZE or _MAXIMIZE")
        if not math.isfinite(objective.weight) or objective.weight <= 0:
            add(f"{where}.weight", "must be a positive number (0 means 1)")
        if objective.threshold is not None and not math.isfinite(objective.threshold):
            add(f"{where}.threshold", "must be a finite number")
    for index, text in enumerate(spec.constraints):
        try:
            constraint = parse_constraint(text)
        except ExpressionError as exc:
            add(f"constraints[{index}]", f"{text!r}: {exc}")
            continue
        unknown = sorted(constraint.names() - seen - names)
        if unknown:
            add(f"constraints[{index}]", f"unknown names {', '.join(unknown)} (constraints "
                "read parameters and objectives)")
    return problems


def _parameter_problems(p: Parameter) -> list[tuple[str, str]]:
    if p.kind == "range":
        return _range_problems(p)
    if p.kind == "choice":
        if len(p.values) < 2:
            return [("choice.values", "give at least two values")]
        if len(p.values) > MAX_CHOICES:
            return [("choice.values", f"at most {MAX_CHOICES} values")]
        if any(isinstance(v, dict | list) or v is None for v in p.values):
            return [("choice.values", "values must be numbers, text or booleans")]
        if len({repr(v) for v in p.values}) != len(p.values):
            return [("choice.values", "values must be distinct")]
        return []
    if p.kind == "fixed":
        return []
    return [("kind", "give range, choice or fixed")]


def _range_problems(p: Parameter) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if not (math.isfinite(p.low) and math.isfinite(p.high)):
        return [("range", "bounds must be finite numbers")]
    if p.low >= p.high:
        found.append(("range.high", f"must be greater than low ({p.high:g} <= {p.low:g})"))
    if p.number_type not in (INT, FLOAT):
        found.append(("range.number_type", "must be NUMBER_TYPE_INT or NUMBER_TYPE_FLOAT"))
    if p.number_type == INT and not (float(p.low).is_integer() and float(p.high).is_integer()):
        found.append(("range", "whole-number ranges need whole-number bounds"))
    if p.step is not None:
        if not math.isfinite(p.step) or p.step <= 0:
            found.append(("range.step", "must be a positive number"))
        elif p.step > p.high - p.low:
            found.append(("range.step", "is larger than the range"))
        elif p.number_type == INT and not float(p.step).is_integer():
            found.append(("range.step", "must be a whole number for a whole-number range"))
        if p.log_scale:
            found.append(("range.log_scale", "cannot be combined with a step"))
    if p.log_scale and p.low <= 0:
        found.append(("range.low", "must be greater than 0 on a log scale"))
    return found


def objective_values(outputs: Mapping[str, Any],
                     objectives: Sequence[Objective]) -> tuple[dict[str, float], str]:
    """The objective values of a trial's outputs, or ({}, why not)."""
    found: dict[str, float] = {}
    for objective in objectives:
        value = outputs.get(objective.name)
        if value is None:
            return {}, f"no value for objective {objective.name!r}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return {}, f"objective {objective.name!r} is not a number: {value!r}"
        if not math.isfinite(value):
            return {}, f"objective {objective.name!r} is not finite: {value!r}"
        found[objective.name] = float(value)
    return found, ""


def float_ranges(spec: CampaignSpec) -> CampaignSpec:
    """The spec with ranges of unspecified number type made float (outside a run)."""
    return replace(spec, parameters=tuple(
        replace(p, number_type=FLOAT) if p.kind == "range" and p.number_type not in (INT, FLOAT)
        else p for p in spec.parameters))
