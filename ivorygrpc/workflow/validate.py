"""Validation of a workflow against the deck: every problem at once.

Works on the JSON form of a workflow (`Workflow` as `MessageToDict` with
proto field names), so it needs neither protobuf nor the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ivorygrpc.deck.decode import Invalid, check_range, from_json
from ivorygrpc.deck.model import DeckSpec, InstrumentSpec, OperationSpec, ReturnKind
from ivorygrpc.workflow.expressions import ExpressionError, parse

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PHASES = ("prep", "main", "cleanup")
BLOCK_BODIES = {"if_else": ("then_steps", "else_steps"), "while_loop": ("steps",),
                "repeat": ("steps",)}
STEP_KINDS = ("call", "set_variable", "if_else", "while_loop", "repeat", "wait", "pause",
              "input", "comment", "call_workflow")

WorkflowLookup = Callable[[str, int | None], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Problem:
    """One problem: where (step id, field path), what, and a stable code."""

    step_id: str
    field: str
    message: str
    code: str


def iter_steps(steps: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every step of a list, depth first, blocks before their bodies."""
    for step in steps:
        yield step
        for kind, bodies in BLOCK_BODIES.items():
            block = step.get(kind)
            if isinstance(block, dict):
                for body in bodies:
                    yield from iter_steps(block.get(body) or [])


def step_kind(step: Mapping[str, Any]) -> str:
    """The oneof kind of a step (`call`, `wait`, ...), or "" for an empty step."""
    return next((kind for kind in STEP_KINDS if kind in step), "")


def iter_enabled_steps(steps: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Like `iter_steps`, without disabled steps and everything inside them."""
    for step in steps:
        if not isinstance(step, dict) or step.get("disabled"):
            continue
        yield step
        for kind, bodies in BLOCK_BODIES.items():
            block = step.get(kind)
            if isinstance(block, dict):
                for body in bodies:
                    yield from iter_enabled_steps(block.get(body) or [])


def called_workflows(body: Mapping[str, Any]) -> set[str]:
    """Names of the workflows a workflow calls (enabled or not)."""
    return {step["call_workflow"].get("workflow", "")
            for phase in PHASES for step in iter_steps(body.get(phase) or [])
            if isinstance(step.get("call_workflow"), dict)} - {""}


def validate(name: str, body: Mapping[str, Any], deck: DeckSpec,
             lookup: WorkflowLookup) -> list[Problem]:
    """All problems of workflow `name` with content `body`."""
    checker = _Checker(deck, lookup)
    seen_ids: set[str] = set()
    for phase in PHASES:
        for step in iter_steps(body.get(phase) or []):
            step_id = str(step.get("id", ""))
            if step_id and step_id in seen_ids:  # unsaved steps have no id yet
                checker.problem(step_id, "id", "step id is used twice", "DUPLICATE_STEP_ID")
            seen_ids.add(step_id)
    for phase in PHASES:  # each phase runs with its own, fresh context
        checker.phase = phase
        checker.steps(body.get(phase) or [], set())
    checker.cycles(name, body)
    return checker.problems


class _Checker:
    def __init__(self, deck: DeckSpec, lookup: WorkflowLookup) -> None:
        self.deck = deck
        self.lookup = lookup
        self.problems: list[Problem] = []
        self.phase = "main"

    def problem(self, step_id: str, field: str, message: str, code: str) -> None:
        self.problems.append(Problem(step_id, field, message, code))

    def steps(self, steps: list[dict[str, Any]], defined: set[str]) -> None:
        """Check steps in order; `defined` grows with the names they set."""
        for step in steps:
            if step.get("disabled"):
                continue
            step_id = str(step.get("id", ""))
            kinds = [k for k in STEP_KINDS if k in step]
            if not kinds:
                self.problem(step_id, "", "the step does nothing (no kind set)", "EMPTY_STEP")
                continue
            kind = kinds[0]
            getattr(self, f"_{kind}")(step_id, step.get(kind) or {}, defined)

    # -- values --------------------------------------------------------------------------------

    def value(self, step_id: str, field: str, value: Any, defined: set[str]) -> None:
        """Check an ArgumentValue's references (not its type)."""
        if not isinstance(value, dict) or not value:
            self.problem(step_id, field, "a value is required", "MISSING_VALUE")
            return
        if "parameter" in value:
            self._parameter(step_id, field, str(value["parameter"]))
        elif "variable" in value:
            self._variable(step_id, field, str(value["variable"]), defined)
        elif "expression" in value:
            self.expression(step_id, field, str(value["expression"]), defined)

    def _parameter(self, step_id: str, field: str, name: str) -> None:
        if not IDENTIFIER.match(name):
            self.problem(step_id, field, f"#{name} is not a valid parameter name",
                         "INVALID_NAME")
        elif self.phase != "main":
            self.problem(step_id, field, f"run parameter #{name} can only be used in main "
                         "(prep and cleanup run once per run)", "PARAMETER_OUTSIDE_MAIN")

    def _variable(self, step_id: str, field: str, name: str, defined: set[str]) -> None:
        if name not in defined:
            self.problem(step_id, field, f"variable {name!r} is used before it is set",
                         "UNDEFINED_VARIABLE")

    def expression(self, step_id: str, field: str, text: str, defined: set[str]) -> None:
        """Parse an expression and check the names it uses."""
        try:
            expression = parse(text)
        except ExpressionError as exc:
            self.problem(step_id, field, str(exc), "EXPRESSION_ERROR")
            return
        for name in sorted(expression.names()):
            self._variable(step_id, field, name, defined)
        for name in sorted(expression.parameters()):
            self._parameter(step_id, field, name)

    def names(self, step_id: str, field: str, names: list[str], defined: set[str]) -> None:
        for index, name in enumerate(names):
            if name and not IDENTIFIER.match(name):
                self.problem(step_id, f"{field}[{index}]", f"{name!r} is not a valid name",
                             "INVALID_NAME")
            elif name:
                defined.add(name)

    # -- step kinds ----------------------------------------------------------------------------

    def _call(self, step_id: str, call: dict[str, Any], defined: set[str]) -> None:
        inst = self.deck.instrument(str(call.get("instrument", "")))
        if inst is None:
            self.problem(step_id, "instrument", f"no instrument {call.get('instrument')!r} "
                         "in the deck", "UNKNOWN_INSTRUMENT")
            return
        op = inst.operation(str(call.get("method", "")))
        if op is None:
            self.problem(step_id, "method", f"{inst.name} has no method "
                         f"{call.get('method')!r}", "UNKNOWN_METHOD")
            return
        self._arguments(step_id, inst, op, call.get("arguments") or {}, defined)
        save_as = [str(n) for n in call.get("save_as") or []]
        self._save_as(step_id, op, save_as)
        self.names(step_id, "save_as", save_as, defined)

    def _arguments(self, step_id: str, inst: InstrumentSpec, op: OperationSpec,
                   arguments: dict[str, Any], defined: set[str]) -> None:
        params = {p.name: p for p in op.params}
        for name in sorted(set(arguments) - set(params)):
            self.problem(step_id, f"arguments.{name}", f"{inst.name}.{op.name} has no "
                         f"parameter {name!r}", "UNKNOWN_ARGUMENT")
        for p in op.params:
            field = f"arguments.{p.name}"
            if p.name not in arguments:
                if p.required:
                    self.problem(step_id, field, f"{p.name} is required", "MISSING_ARGUMENT")
                continue
            value = arguments[p.name]
            self.value(step_id, field, value, defined)
            if isinstance(value, dict) and "literal" in value:
                try:
                    check_range(p, from_json(value["literal"], p.type))
                except Invalid as exc:
                    self.problem(step_id, field + exc.path, exc.description, "WRONG_TYPE")

    def _save_as(self, step_id: str, op: OperationSpec, save_as: list[str]) -> None:
        returns = op.returns
        if not save_as:
            return
        if returns.kind is ReturnKind.NONE:
            self.problem(step_id, "save_as", f"{op.name} returns nothing to save",
                         "SAVE_AS_MISMATCH")
        elif returns.kind is ReturnKind.TUPLE and len(save_as) not in (1, len(returns.fields)):
            self.problem(step_id, "save_as", f"{op.name} returns {len(returns.fields)} values: "
                         f"give one name per value (blanks allowed) or one name for all",
                         "SAVE_AS_MISMATCH")
        elif returns.kind is not ReturnKind.TUPLE and len(save_as) > 1:
            self.problem(step_id, "save_as", f"{op.name} returns one value",
                         "SAVE_AS_MISMATCH")

    def _set_variable(self, step_id: str, step: dict[str, Any], defined: set[str]) -> None:
        self.value(step_id, "value", step.get("value"), defined)
        self.names(step_id, "name", [str(step.get("name", ""))], defined)
        if not step.get("name"):
            self.problem(step_id, "name", "a variable name is required", "INVALID_NAME")

    def _if_else(self, step_id: str, step: dict[str, Any], defined: set[str]) -> None:
        self.expression(step_id, "condition", str(step.get("condition", "")), defined)
        then_defined, else_defined = set(defined), set(defined)
        self.steps(step.get("then_steps") or [], then_defined)
        self.steps(step.get("else_steps") or [], else_defined)
        defined |= then_defined & else_defined  # set on both branches: set afterwards

    def _while_loop(self, step_id: str, step: dict[str, Any], defined: set[str]) -> None:
        self.expression(step_id, "condition", str(step.get("condition", "")), defined)
        if int(step.get("max_iterations", 0) or 0) < 0:
            self.problem(step_id, "max_iterations", "must not be negative", "WRONG_TYPE")
        self.steps(step.get("steps") or [], set(defined))  # the body may not run at all

    def _repeat(self, step_id: str, step: dict[str, Any], defined: set[str]) -> None:
        count = step.get("count")
        self.value(step_id, "count", count, defined)
        if isinstance(count, dict) and "literal" in count:
            literal = count["literal"]
            if not (isinstance(literal, int | float) and not isinstance(literal, bool)
                    and float(literal).is_integer() and literal >= 0):
                self.problem(step_id, "count", "must be a whole number >= 0", "WRONG_TYPE")
        self.steps(step.get("steps") or [], set(defined))

    def _wait(self, step_id: str, step: dict[str, Any], defined: set[str]) -> None:
        seconds = step.get("seconds")
        self.value(step_id, "seconds", seconds, defined)
        if isinstance(seconds, dict) and "literal" in seconds:
            literal = seconds["literal"]
            if not (isinstance(literal, int | float) and not isinstance(literal, bool)
                    and literal >= 0):
                self.problem(step_id, "seconds", "must be a number >= 0", "WRONG_TYPE")

    def _pause(self, step_id: str, step: dict[str, Any], defined: set[str]) -> None:
        return None

    def _comment(self, step_id: str, step: dict[str, Any], defined: set[str]) -> None:
        return None

    def _input(self, step_id: str, step: dict[str, Any], defined: set[str]) -> None:
        if step.get("type", "INPUT_TYPE_UNSPECIFIED") == "INPUT_TYPE_UNSPECIFIED":
            self.problem(step_id, "type", "the input type is required", "MISSING_VALUE")
        if not step.get("name"):
            self.problem(step_id, "name", "a variable name is required", "INVALID_NAME")
        self.names(step_id, "name", [str(step.get("name", ""))], defined)

    def _call_workflow(self, step_id: str, step: dict[str, Any], defined: set[str]) -> None:
        target = str(step.get("workflow", ""))
        version = int(step.get("version", 0) or 0) or None
        found = self.lookup(target, version)
        if found is None:
            self.problem(step_id, "workflow", f"no saved workflow {target!r}"
                         + (f" version {version}" if version else ""), "UNKNOWN_WORKFLOW")
        elif not found.get("registered"):
            self.problem(step_id, "workflow", f"{target!r} is not registered as callable",
                         "NOT_REGISTERED")
        for name, value in sorted((step.get("arguments") or {}).items()):
            self.value(step_id, f"arguments.{name}", value, defined)
        self.names(step_id, "save_as", [str(n) for n in step.get("save_as") or []], defined)

    def cycles(self, name: str, body: Mapping[str, Any]) -> None:
        """Report a call_workflow chain that leads back to `name`."""
        stack = [(callee, [name, callee]) for callee in sorted(called_workflows(body))]
        seen: set[str] = set()
        while stack:
            current, path = stack.pop()
            if current == name:
                self.problem("", "call_workflow", "workflow calls form a cycle: "
                             + " -> ".join(path), "CALL_CYCLE")
                return
            if current in seen:
                continue
            seen.add(current)
            found = self.lookup(current, None)
            if found is not None:
                stack.extend((callee, [*path, callee])
                             for callee in sorted(called_workflows(found)))
