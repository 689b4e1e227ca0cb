"""The run parameters a workflow needs and the outputs it produces.

Execute builds run forms, CSV templates and optimizer campaigns from this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ivorygrpc.deck.model import DeckSpec, Kind, ReturnKind, TypeSpec
from ivorygrpc.workflow.expressions import ExpressionError, parse
from ivorygrpc.workflow.validate import iter_enabled_steps

ANY = TypeSpec(Kind.ANY, "Any", nullable=True)
NUMBER = TypeSpec(Kind.DOUBLE, "float")
INPUT_TYPES = {"INPUT_TYPE_STRING": TypeSpec(Kind.STRING, "str"),
               "INPUT_TYPE_NUMBER": NUMBER,
               "INPUT_TYPE_INTEGER": TypeSpec(Kind.INT64, "int"),
               "INPUT_TYPE_BOOLEAN": TypeSpec(Kind.BOOL, "bool")}


@dataclass
class RunParameter:
    """A `#name` parameter: its type (from the first typed use) and the steps using it."""

    name: str
    type: TypeSpec = ANY
    step_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Output:
    """A variable the main phase sets."""

    name: str
    type: TypeSpec
    step_id: str


def run_parameters(body: Mapping[str, Any], deck: DeckSpec) -> list[RunParameter]:
    """The parameters of the enabled main-phase steps, in order of first use."""
    found: dict[str, RunParameter] = {}

    def use(name: str, step_id: str, typed: TypeSpec | None) -> None:
        parameter = found.setdefault(name, RunParameter(name))
        if step_id not in parameter.step_ids:
            parameter.step_ids.append(step_id)
        if typed is not None and parameter.type is ANY:
            parameter.type = typed

    for step in iter_enabled_steps(body.get("main") or []):
        step_id = str(step.get("id", ""))
        for value, typed in _values(step, deck):
            if not isinstance(value, dict):
                continue
            if "parameter" in value:
                use(str(value["parameter"]), step_id, typed)
            elif "expression" in value:
                for name in sorted(_expression_parameters(str(value["expression"]))):
                    use(name, step_id, None)
        for text in _conditions(step):
            for name in sorted(_expression_parameters(text)):
                use(name, step_id, None)
    return list(found.values())


def outputs(body: Mapping[str, Any], deck: DeckSpec) -> list[Output]:
    """Variables set by the enabled main-phase steps (saved results, variables, inputs)."""
    result: list[Output] = []
    for step in iter_enabled_steps(body.get("main") or []):
        step_id = str(step.get("id", ""))
        if isinstance(step.get("call"), dict):
            types = _result_types(step["call"], deck, len(step["call"].get("save_as") or []))
            for name, typed in zip(step["call"].get("save_as") or [], types, strict=False):
                if name:
                    result.append(Output(str(name), typed, step_id))
        elif isinstance(step.get("set_variable"), dict) and step["set_variable"].get("name"):
            result.append(Output(str(step["set_variable"]["name"]), ANY, step_id))
        elif isinstance(step.get("input"), dict) and step["input"].get("name"):
            typed = INPUT_TYPES.get(str(step["input"].get("type", "")), ANY)
            result.append(Output(str(step["input"]["name"]), typed, step_id))
        elif isinstance(step.get("call_workflow"), dict):
            result.extend(Output(str(n), ANY, step_id)
                          for n in step["call_workflow"].get("save_as") or [] if n)
    return result


def _values(step: Mapping[str, Any], deck: DeckSpec) -> list[tuple[Any, TypeSpec | None]]:
    """(ArgumentValue, declared type or None) pairs of a step."""
    call = step.get("call")
    if isinstance(call, dict):
        inst = deck.instrument(str(call.get("instrument", "")))
        op = inst.operation(str(call.get("method", ""))) if inst else None
        params = {p.name: p.type for p in op.params} if op else {}
        # A proto map has no order: follow the signature, then names, so the answer is stable.
        order = {name: i for i, name in enumerate(params)}
        arguments = sorted((call.get("arguments") or {}).items(),
                           key=lambda item: (order.get(item[0], len(order)), item[0]))
        return [(value, params.get(name)) for name, value in arguments]
    pairs: list[tuple[Any, TypeSpec | None]] = []
    for kind, key, typed in (("set_variable", "value", None), ("repeat", "count", None),
                             ("wait", "seconds", NUMBER)):
        if isinstance(step.get(kind), dict):
            pairs.append((step[kind].get(key), typed))
    if isinstance(step.get("call_workflow"), dict):
        pairs.extend((v, None) for v in (step["call_workflow"].get("arguments") or {}).values())
    return pairs


def _conditions(step: Mapping[str, Any]) -> list[str]:
    return [str(step[kind].get("condition", "")) for kind in ("if_else", "while_loop")
            if isinstance(step.get(kind), dict)]


def _expression_parameters(text: str) -> frozenset[str]:
    try:
        return parse(text).parameters()
    except ExpressionError:
        return frozenset()  # reported by validation


def _result_types(call: Mapping[str, Any], deck: DeckSpec, count: int) -> list[TypeSpec]:
    inst = deck.instrument(str(call.get("instrument", "")))
    op = inst.operation(str(call.get("method", ""))) if inst else None
    if op is None or op.returns.kind is ReturnKind.NONE:
        return [ANY] * count
    if op.returns.kind is ReturnKind.TUPLE and count > 1:
        return [f.type for f in op.returns.fields]
    if op.returns.kind is ReturnKind.SCALAR:
        return [op.returns.fields[0].type]
    return [ANY]
