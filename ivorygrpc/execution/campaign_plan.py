"""Checking a campaign against a workflow: the default parameter space, objectives that
are outputs, and the conversion of suggestions to run parameters.

A run parameter left out of the spec gets its default from its type and the
bounds declared on the methods it feeds (`Annotated` ranges); a parameter
without declared bounds (or of a type that cannot be searched) must be given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ivorygrpc.deck.decode import Invalid, check_range, from_json
from ivorygrpc.deck.jsonable import to_jsonable
from ivorygrpc.deck.model import DeckSpec, Kind, ParamSpec
from ivorygrpc.errors import FieldViolation
from ivorygrpc.execution.plan import bounded_inputs
from ivorygrpc.optimize.spec import FLOAT, INT, MINIMIZE, CampaignSpec, Objective, Parameter
from ivorygrpc.workflow.parameters import Output, RunParameter, outputs, run_parameters

NUMBERS = (Kind.INT64, Kind.DOUBLE)
_UNSPECIFIED = "NUMBER_TYPE_UNSPECIFIED"


@dataclass(frozen=True)
class SpaceDefaults:
    """`GetParameterSpace`: a spec per run parameter, the outputs, and notes."""

    parameters: list[Parameter]
    objectives: list[Objective]
    notes: dict[str, str]  # parameter name -> why its default is only a placeholder


def default_space(body: Mapping[str, Any], deck: DeckSpec) -> SpaceDefaults:
    """The default parameter space and candidate objectives of a workflow."""
    bounds = _declared_bounds(body, deck)
    parameters: list[Parameter] = []
    notes: dict[str, str] = {}
    for run_parameter in run_parameters(body, deck):
        parameter, note = _default(run_parameter, bounds.get(run_parameter.name, []))
        parameters.append(parameter)
        if note:
            notes[run_parameter.name] = note
    objectives = [Objective(o.name, MINIMIZE) for o in _numeric_outputs(body, deck)]
    return SpaceDefaults(parameters, objectives, notes)


def complete_spec(spec: CampaignSpec, body: Mapping[str, Any],
                  deck: DeckSpec) -> tuple[CampaignSpec, list[FieldViolation]]:
    """The spec with defaults for the run parameters left out, and every problem of it
    against the workflow (unknown parameters, wrong kinds or types, bounds outside the
    declared ones, objectives that are not outputs)."""
    problems: list[FieldViolation] = []
    declared = {p.name: p for p in run_parameters(body, deck)}
    bounds = _declared_bounds(body, deck)
    defaults = default_space(body, deck)
    given = {p.name for p in spec.parameters}
    completed: list[Parameter] = []
    for index, parameter in enumerate(spec.parameters):
        where = f"mode.campaign.spec.parameters[{index}]"
        run_parameter = declared.get(parameter.name)
        if run_parameter is None:
            known = ", ".join(declared) or "none"
            problems.append(FieldViolation(f"{where}.name", f"unknown run parameter "
                                           f"{parameter.name!r} (the workflow's: {known})"))
            completed.append(parameter)
            continue
        parameter, found = _typed(parameter, run_parameter, bounds.get(parameter.name, []),
                                  where)
        problems.extend(found)
        completed.append(parameter)
    for default in defaults.parameters:
        if default.name in given:
            continue
        if default.name in defaults.notes:
            problems.append(FieldViolation("mode.campaign.spec.parameters", (
                f"run parameter #{default.name} needs a spec: {defaults.notes[default.name]}")))
        completed.append(default)
    names = {o.name: o for o in outputs(body, deck)}
    for index, objective in enumerate(spec.objectives):
        output = names.get(objective.name)
        where = f"mode.campaign.spec.objectives[{index}].name"
        if output is None:
            known = ", ".join(names) or "none"
            problems.append(FieldViolation(where, f"{objective.name!r} is not an output of the "
                                                  f"main phase (outputs: {known})"))
        elif output.type.kind not in (*NUMBERS, Kind.ANY) or output.type.repeated:
            problems.append(FieldViolation(where, f"output {objective.name!r} is "
                                                  f"{output.type.python}, not a number"))
    return replace(spec, parameters=tuple(completed)), problems


def to_run_parameters(suggestion: Mapping[str, Any], body: Mapping[str, Any],
                      deck: DeckSpec) -> dict[str, Any]:
    """A suggestion as run parameters of their declared types (JSON form); raises Invalid."""
    declared = {p.name: p for p in run_parameters(body, deck)}
    row: dict[str, Any] = {}
    for name, value in suggestion.items():
        parameter = declared.get(name)
        row[name] = value if parameter is None else to_jsonable(from_json(value,
                                                                          parameter.type))
    return row


def _typed(parameter: Parameter, run_parameter: RunParameter,
           bounds: Sequence[ParamSpec], where: str) -> tuple[Parameter, list[FieldViolation]]:
    """The parameter with its number type filled in, and its problems against the type."""
    t = run_parameter.type
    problems: list[FieldViolation] = []
    if parameter.kind == "range":
        if t.kind not in (*NUMBERS, Kind.ANY) or t.repeated:
            return parameter, [FieldViolation(f"{where}.range", (
                f"#{parameter.name} is {t.python}: give a choice or a fixed value"))]
        wanted = INT if t.kind is Kind.INT64 else FLOAT
        if parameter.number_type == _UNSPECIFIED:
            parameter = replace(parameter, number_type=wanted)
        elif parameter.number_type == FLOAT and wanted == INT:
            problems.append(FieldViolation(f"{where}.range.number_type",
                                           f"#{parameter.name} is int: use NUMBER_TYPE_INT"))
        for label, bound in (("low", parameter.low), ("high", parameter.high)):
            for spec in bounds:
                try:
                    check_range(spec, int(bound) if wanted == INT else bound)
                except Invalid as exc:
                    problems.append(FieldViolation(f"{where}.range.{label}", (
                        f"{bound:g} is outside the bounds of {spec.name}: {exc.description}")))
                except TypeError:
                    continue
        return parameter, problems
    values = parameter.values if parameter.kind == "choice" else (parameter.value,)
    label = "choice.values" if parameter.kind == "choice" else "fixed.value"
    for value in values:
        try:
            from_json(value, t)
        except Invalid as exc:
            problems.append(FieldViolation(f"{where}.{label}",
                                           f"{value!r} is not a {t.python}: {exc.description}"))
    return parameter, problems


def _default(parameter: RunParameter, bounds: Sequence[ParamSpec]) -> tuple[Parameter, str]:
    t = parameter.type
    name = parameter.name
    if t.repeated:
        return Parameter(name, "fixed", value=None), f"{t.python} cannot be searched"
    if t.kind is Kind.BOOL:
        return Parameter(name, "choice", values=(True, False)), ""
    if t.kind is Kind.ENUM and t.enum is not None:
        return Parameter(name, "choice", values=tuple(m.name for m in t.enum.members)), ""
    if t.kind in (*NUMBERS, Kind.ANY):
        number_type = INT if t.kind is Kind.INT64 else FLOAT
        lows = [b for s in bounds for b in (s.minimum, s.exclusive_minimum) if b is not None]
        highs = [b for s in bounds for b in (s.maximum, s.exclusive_maximum) if b is not None]
        if lows and highs and max(lows) < min(highs):
            return Parameter(name, "range", float(max(lows)), float(min(highs)),
                             number_type=number_type), ""
        return (Parameter(name, "range", 0.0, 1.0 if number_type == FLOAT else 10.0,
                          number_type=number_type),
                "no bounds are declared on the methods it feeds; give a range")
    return Parameter(name, "fixed", value=""), f"{t.python} cannot be searched; give a " \
                                                "choice or a fixed value"


def _declared_bounds(body: Mapping[str, Any], deck: DeckSpec) -> dict[str, list[ParamSpec]]:
    """Parameter name -> the method parameters with bounds it is passed to."""
    return {name: [spec for _, spec in fed] for name, fed in bounded_inputs(body, deck).items()}


def _numeric_outputs(body: Mapping[str, Any], deck: DeckSpec) -> list[Output]:
    seen: set[str] = set()
    found = []
    for output in outputs(body, deck):
        if output.name in seen or output.type.repeated:
            continue
        if output.type.kind in (*NUMBERS, Kind.ANY):
            seen.add(output.name)
            found.append(output)
    return found
