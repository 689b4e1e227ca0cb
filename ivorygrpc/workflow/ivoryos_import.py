"""Import of an IvoryOS stored script (its JSON export) as a workflow body.

IvoryOS keeps three flat step lists (`script_dict {prep, script, cleanup}`)
where blocks are marker steps (`if`/`else`/`endif`, `while`/`endwhile`,
`repeat`/`endrepeat`) sharing a `uuid`. This module nests them into our step
tree and converts values: `#name` is a variable when a step before set
`name` (IvoryOS looks both up in one context), otherwise a run parameter.
Nothing is dropped silently: whatever cannot be converted becomes a
`comment` step and a warning naming the IvoryOS section and step id.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ivorygrpc.workflow.expressions import ExpressionError, parse
from ivorygrpc.workflow.imported import (
    INPUT_TYPES,
    ImportProblem,
    ImportResult,
    StepIds,
    rewrite_tokens,
    workflow_name,
)

__all__ = ["ImportProblem", "ImportResult", "import_ivoryos"]

SECTIONS = (("prep", "prep"), ("script", "main"), ("cleanup", "cleanup"))
_BLOCKS = {"if": "endif", "while": "endwhile", "repeat": "endrepeat"}
_CLOSERS = {closer: opener for opener, closer in _BLOCKS.items()}
_CASTS = {"int": int, "float": float}
_KIND = {"if": "if_else", "while": "while_loop", "repeat": "repeat"}
_BODY = {"if": "then_steps", "while": "steps", "repeat": "steps"}
_NOT_CALLS = {*_BLOCKS, "variable", "math_variable", "input", "wait", "pause", "comment",
              "workflows", "pro_code"}


def import_ivoryos(data: Mapping[str, Any]) -> ImportResult:
    """Convert an IvoryOS script dict; raises ImportProblem if it is not one."""
    if not isinstance(data, Mapping) or not isinstance(data.get("script_dict"), Mapping):
        raise ImportProblem("not an IvoryOS script: 'script_dict' is missing")
    converter = _Converter()
    original = str(data.get("name") or "")
    name = workflow_name(original)
    if name != original:
        converter.warnings.append(f"the name {original!r} is imported as {name!r}")
    body: dict[str, Any] = {"display_name": original, "description": str(
        data.get("description") or ""), "deck": str(data.get("deck") or ""),
        "registered": bool(data.get("registered"))}
    for section, phase in SECTIONS:
        steps = data["script_dict"].get(section) or []
        if not isinstance(steps, list):
            converter.warnings.append(f"{section}: not a list of steps; ignored")
            steps = []
        body[phase] = converter.section(section, steps)
    return ImportResult(name, body, tuple(converter.warnings))


@dataclass
class _Frame:
    kind: str  # if, while, repeat
    uuid: Any
    block: dict[str, Any]
    target: list[dict[str, Any]]
    where: str
    in_else: bool = False


@dataclass
class _Converter:
    warnings: list[str] = field(default_factory=list)
    ids: StepIds = field(default_factory=StepIds)
    defined: set[str] = field(default_factory=set)

    def section(self, section: str, steps: list[Any]) -> list[dict[str, Any]]:
        top: list[dict[str, Any]] = []
        stack: list[_Frame] = []
        for index, raw in enumerate(steps):
            target = stack[-1].target if stack else top
            if not isinstance(raw, Mapping):
                where = f"{section} step #{index + 1}"
                target.append(self.unsupported(where, "not a step object", raw))
                continue
            where = f"{section} step {raw.get('id', index + 1)}"
            instrument, action = str(raw.get("instrument", "")), str(raw.get("action", ""))
            if instrument in _BLOCKS and action == instrument:
                step = self.opening(where, instrument, raw)
                target.append(step)
                stack.append(_Frame(instrument, raw.get("uuid"), step[_KIND[instrument]],
                                    step[_KIND[instrument]][_BODY[instrument]], where))
            elif instrument == "if" and action == "else":
                frame = self.close(stack, "if", raw, where, pop=False)
                if frame is None or frame.in_else:
                    self.warnings.append(f"{where}: 'else' without an open 'if'"
                                         + (" (a second 'else')" if frame else "") + "; ignored")
                else:
                    frame.in_else, frame.target = True, frame.block["else_steps"]
            elif action in _CLOSERS and instrument == _CLOSERS[action]:
                if self.close(stack, instrument, raw, where, pop=True) is None:
                    self.warnings.append(f"{where}: '{action}' without an open "
                                         f"'{instrument}'; ignored")
            else:
                target.append(self.step(where, instrument, action, raw))
        for frame in reversed(stack):
            self.warnings.append(f"{frame.where}: '{frame.kind}' is never closed; its "
                                 f"block runs to the end of {section}")
        return top

    def close(self, stack: list[_Frame], kind: str, raw: Mapping[str, Any], where: str,
              pop: bool) -> _Frame | None:
        """The open block a marker belongs to; blocks opened inside it are closed."""
        uuid = raw.get("uuid")
        for depth in range(len(stack) - 1, -1, -1):
            frame = stack[depth]
            if frame.kind == kind and (uuid is None or frame.uuid is None or frame.uuid == uuid):
                for inner in stack[depth + 1:]:
                    self.warnings.append(f"{inner.where}: '{inner.kind}' is not closed before "
                                         f"{where}; closed there")
                del stack[depth + (0 if pop else 1):]
                return frame
        return None

    def opening(self, where: str, kind: str, raw: Mapping[str, Any]) -> dict[str, Any]:
        step: dict[str, Any] = {"id": self.ids.next()}
        if raw.get("disabled"):
            step["disabled"] = True
        args = _mapping(raw.get("args"))
        statement = args.get("statement", "True" if kind == "if" else "False")
        if kind == "if":
            step["if_else"] = {"condition": self.condition(where, statement),
                               "then_steps": [], "else_steps": []}
        elif kind == "while":
            loop: dict[str, Any] = {"condition": self.condition(where, statement), "steps": []}
            if isinstance(args.get("max_iterations"), int) and args["max_iterations"] > 0:
                loop["max_iterations"] = args["max_iterations"]
            step["while_loop"] = loop
        else:
            step["repeat"] = {"count": self.value(where, args.get("statement", 1), "int"),
                              "steps": []}
        return step

    def step(self, where: str, instrument: str, action: str,
             raw: Mapping[str, Any]) -> dict[str, Any]:
        args = _mapping(raw.get("args"))
        statement = args.get("statement")
        types = _mapping(raw.get("arg_types"))
        kind_type = str(types.get("statement") or "")
        step: dict[str, Any] = {"id": self.ids.next()}
        if raw.get("disabled"):
            step["disabled"] = True
        if instrument.startswith(("deck.", "blocks.")) or instrument == "workflows":
            return self.call(where, instrument, action, raw, step)
        if instrument == "variable":
            step["set_variable"] = {"name": action,
                                    "value": self.value(where, statement, kind_type)}
            self.defined.add(action)
        elif instrument == "math_variable":
            step["set_variable"] = {"name": action, "value": self.math(where, statement,
                                                                       kind_type)}
            self.defined.add(action)
        elif instrument == "input":
            if kind_type not in INPUT_TYPES:
                self.warnings.append(f"{where}: input type {kind_type!r} is read as text")
            step["input"] = {"name": action, "prompt": _text(statement),
                             "type": INPUT_TYPES.get(kind_type, "INPUT_TYPE_STRING")}
            self.defined.add(action)
        elif instrument == action == "wait":
            if raw.get("batch_action"):
                self.warnings.append(f"{where}: 'once per batch' is not supported on waits; "
                                     "the wait runs for every sample")
            step["wait"] = {"seconds": self.value(where, 1 if statement is None else statement,
                                                  "float")}
        elif instrument == action == "pause":
            step["pause"] = {"message": _text(statement)}
        elif instrument == action == "comment":
            step["comment"] = {"text": _text(statement)}
        elif _identifier(instrument) and instrument not in _NOT_CALLS and action:
            self.warnings.append(f"{where}: instrument {instrument!r} has no 'deck.' prefix "
                                 f"(a temporary connection?); imported as a call on it")
            return self.call(where, "deck." + instrument, action, raw, step)
        else:
            return self.unsupported(where, f"{instrument}.{action}", dict(args), step)
        return step

    def call(self, where: str, instrument: str, action: str, raw: Mapping[str, Any],
             step: dict[str, Any]) -> dict[str, Any]:
        args = _mapping(raw.get("args"))
        arguments = {str(k): self.value(where, v) for k, v in args.items()}
        save_as = _returns(raw.get("return"))
        if instrument == "workflows":
            block: dict[str, Any] = {"workflow": action, "arguments": arguments}
            if raw.get("workflow"):
                self.warnings.append(f"{where}: calls the saved workflow {action!r} by name "
                                     "(IvoryOS had copied its steps into this step)")
            if raw.get("batch_action"):
                self.warnings.append(f"{where}: 'once per batch' is not supported on workflow "
                                     "calls; the call runs for every sample")
            kind = "call_workflow"
        else:
            prefix, _, name = instrument.partition(".")
            if not _identifier(name):
                return self.unsupported(where, f"{instrument}.{action}", dict(args), step)
            if action.endswith("_(setter)"):
                action = "set_" + action[: -len("_(setter)")]
                if len(arguments) == 1 and "value" not in arguments:
                    arguments = {"value": next(iter(arguments.values()))}
            block = {"instrument": "blocks" if prefix == "blocks" else name,
                     "method": action, "arguments": arguments}
            if raw.get("batch_action"):
                block["once_per_batch"] = True
            if raw.get("consolidate_batch_args"):
                self.warnings.append(f"{where}: 'consolidate batch arguments' is not "
                                     "supported; each sample's arguments are used")
            kind = "call"
        if save_as:
            block["save_as"] = save_as
            self.defined.update(n for n in save_as if n)
        step[kind] = block
        return step

    def unsupported(self, where: str, what: str, args: Any,
                    step: dict[str, Any] | None = None) -> dict[str, Any]:
        detail = f"{what} {json.dumps(args, default=repr)}"[:300]
        self.warnings.append(f"{where}: unsupported step {detail}; kept as a comment")
        step = step if step is not None else {"id": self.ids.next()}
        step["comment"] = {"text": f"unsupported IvoryOS step: {detail}"}
        return step

    # -- values --------------------------------------------------------------------------------

    def references(self, text: str) -> str:
        """IvoryOS `#name` -> our variable `name` when set before, else parameter `#name`."""
        return rewrite_tokens(text, lambda kind, lexeme: lexeme if kind != "param" else (
            lexeme if lexeme in self.defined else "#" + lexeme))

    def condition(self, where: str, statement: Any) -> str:
        text = statement if isinstance(statement, str) else str(statement)
        converted = self.references(text)
        try:
            parse(converted)
        except ExpressionError as exc:
            self.warnings.append(f"{where}: condition {text!r} is not a valid expression "
                                 f"({exc}); kept as it is")
            return text
        return converted

    def math(self, where: str, statement: Any, kind_type: str) -> dict[str, Any]:
        text = self.references(_text(statement))
        if kind_type in ("int", "float", "bool"):
            text = f"{kind_type}({text})"
        try:
            parse(text)
        except ExpressionError as exc:
            self.warnings.append(f"{where}: expression {_text(statement)!r} is not valid "
                                 f"({exc})")
        return {"expression": text}

    def value(self, where: str, value: Any, kind_type: str = "") -> dict[str, Any]:
        """An IvoryOS argument value as an ArgumentValue."""
        if isinstance(value, float) and not math.isfinite(value):
            self.warnings.append(f"{where}: the number {value} is kept as text")
            return {"literal": str(value)}
        if not isinstance(value, str):
            return {"literal": list(value) if isinstance(value, tuple) else value}
        if value.startswith("#"):
            name = value[1:]
            if _identifier(name):
                return {"variable": name} if name in self.defined else {"parameter": name}
            return self.text_value(where, value, kind_type, expression=self.references(value))
        if value in self.defined:
            self.warnings.append(f"{where}: {value!r} is read as a reference to the variable "
                                 f"{value!r}")
            return {"variable": value}
        if kind_type in _CASTS or kind_type == "bool":
            return self.text_value(where, value, kind_type, expression=self.references(value))
        if "#" in value:
            self.warnings.append(f"{where}: IvoryOS filled '#name' references into the text "
                                 f"{value!r}; it is now passed as it is")
        return {"literal": value}

    def text_value(self, where: str, text: str, kind_type: str,
                   expression: str) -> dict[str, Any]:
        """A text where a number, a boolean or a reference was expected."""
        try:
            if kind_type == "bool":
                return {"literal": text.strip().lower() in ("true", "y", "t", "yes", "1")}
            if kind_type in _CASTS:
                return {"literal": _CASTS[kind_type](text)}
        except ValueError:
            pass
        try:
            parse(expression)
        except ExpressionError:
            self.warnings.append(f"{where}: {text!r} is kept as text")
            return {"literal": text}
        self.warnings.append(f"{where}: {text!r} is imported as the expression {expression!r}")
        return {"expression": expression}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _identifier(text: str) -> bool:
    return text.isidentifier() and text.isascii()


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value)


def _returns(value: Any) -> list[str]:
    names = [str(n or "") for n in value] if isinstance(value, list) else [str(value or "")]
    return names if any(names) else []
