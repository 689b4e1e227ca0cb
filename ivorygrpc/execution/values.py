"""Values inside a run: per-sample contexts, argument resolution, `#name` text, result saving.

Everything a sample holds is JSON-like (numbers, text, booleans, lists,
objects, null); values are converted to a method's declared types at each
call by the same codec as direct control.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ivorygrpc.deck.jsonable import integral_floats_to_int
from ivorygrpc.workflow.expressions import ExpressionError, parse
from ivorygrpc.workflow.validate import step_kind

_REFERENCE = re.compile(r"#([A-Za-z_][A-Za-z0-9_]*)")
MAX_WAIT_SECONDS = 7 * 24 * 3600.0
MAX_REPEAT = 1_000_000


class StepFailure(Exception):
    """A step could not run: bad value, undefined name, failed call. Pauses the run.

    `arguments` are the step's resolved arguments when the failure came after
    resolving them (a value of the wrong type), so the record shows what was refused.
    """

    def __init__(self, error_type: str, message: str,
                 arguments: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.arguments = dict(arguments or {})


@dataclass
class Sample:
    """One sample's context: its run parameters and the variables its steps set."""

    index: int
    parameters: dict[str, Any]
    variables: dict[str, Any] = field(default_factory=dict)

    def context(self) -> dict[str, Any]:
        """Parameters, then variables (a variable shadows a parameter of the same name)."""
        return {**self.parameters, **self.variables}


def step_title(step: Mapping[str, Any]) -> str:
    """A short description: `pump.dispense`, `wait`, `if x > 1`, ..."""
    kind = step_kind(step)
    body = step.get(kind) or {}
    if kind == "call":
        return f"{body.get('instrument', '')}.{body.get('method', '')}"
    if kind == "call_workflow":
        return f"workflow {body.get('workflow', '')}"
    if kind in ("if_else", "while_loop"):
        return f"{'if' if kind == 'if_else' else 'while'} {body.get('condition', '')}"
    if kind == "set_variable":
        return f"set {body.get('name', '')}"
    if kind == "input":
        return f"input {body.get('name', '')}"
    return kind


def resolve(value: Any, sample: Sample) -> Any:
    """The value of an `ArgumentValue` (JSON form) for one sample; raises StepFailure."""
    if not isinstance(value, Mapping):
        raise StepFailure("InvalidValue", "the argument has no value")
    if "literal" in value:
        # JSON has one number type: a whole number is an int, as for untyped method arguments
        return integral_floats_to_int(value["literal"])
    if "parameter" in value:
        name = str(value["parameter"])
        if name not in sample.parameters:
            raise StepFailure("UndefinedName", f"run parameter #{name} has no value")
        return sample.parameters[name]
    if "variable" in value:
        name = str(value["variable"])
        if name not in sample.variables:
            raise StepFailure("UndefinedName", f"variable {name!r} is not set")
        return sample.variables[name]
    if "expression" in value:
        return evaluate(str(value["expression"]), sample)
    raise StepFailure("InvalidValue", "the argument has no value")


def evaluate(text: str, sample: Sample) -> Any:
    """Evaluate an expression of the workflow language for one sample."""
    try:
        return parse(text).evaluate(sample.variables, sample.parameters)
    except ExpressionError as exc:
        raise StepFailure("ExpressionError", f"{text!r}: {exc}") from None


def condition(text: str, sample: Sample) -> bool:
    """A block condition; it must evaluate to a boolean."""
    value = evaluate(text, sample)
    if not isinstance(value, bool):
        raise StepFailure("ExpressionError",
                          f"condition {text!r} gave {type(value).__name__} {value!r}, "
                          "not true or false")
    return value


def count(value: Any, sample: Sample) -> int:
    """A repeat count: a whole number from 0 to MAX_REPEAT."""
    resolved = resolve(value, sample)
    if isinstance(resolved, float) and resolved.is_integer():
        resolved = int(resolved)
    if isinstance(resolved, bool) or not isinstance(resolved, int):
        raise StepFailure("InvalidValue", f"repeat count must be a whole number, not {resolved!r}")
    if not 0 <= resolved <= MAX_REPEAT:
        raise StepFailure("InvalidValue", f"repeat count must be 0 to {MAX_REPEAT}")
    return resolved


def seconds(value: Any, sample: Sample) -> float:
    """A wait duration in seconds: finite, 0 to a week."""
    resolved = resolve(value, sample)
    if isinstance(resolved, bool) or not isinstance(resolved, int | float):
        raise StepFailure("InvalidValue", f"wait needs a number of seconds, not {resolved!r}")
    if not math.isfinite(resolved) or not 0 <= resolved <= MAX_WAIT_SECONDS:
        raise StepFailure("InvalidValue", f"wait must be 0 to {MAX_WAIT_SECONDS:.0f} seconds")
    return float(resolved)


def interpolate(text: str, sample: Sample) -> str:
    """Fill `#name` with the sample's value; unknown names stay as written."""
    context = sample.context()

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(context[name]) if name in context else match.group(0)

    return _REFERENCE.sub(fill, text)


def save(names: list[str], output: Any, sample: Sample) -> None:
    """Store a result: one name takes it whole, several take the items of a tuple result.

    Blank names skip an item; a `None` result (or tuple item) is never stored.
    """
    if output is None or not any(names):
        return
    if len(names) == 1:
        sample.variables[names[0]] = output
        return
    if isinstance(output, Mapping):  # a named tuple's JSON form: its fields in order
        output = list(output.values())
    if not isinstance(output, list) or len(output) < len(names):
        raise StepFailure("ResultMismatch", f"cannot save {len(names)} names from {output!r}")
    for name, item in zip(names, output, strict=False):
        if name and item is not None:
            sample.variables[name] = item
