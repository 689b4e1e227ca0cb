"""A workflow as a readable Python script, for export and review.

The server never executes this code. Run parameters become the arguments of
`main` (of whichever phase uses them), variables become Python names, and
`#x` in expressions becomes `x`. `import_python` reads the supported subset
back into the same step tree.
"""

from __future__ import annotations

import ast
import json
import keyword
import re
from collections.abc import Mapping
from typing import Any

from ivorygrpc.workflow.expressions import ExpressionError, parse
from ivorygrpc.workflow.imported import PYTHON_TYPES, rewrite_tokens
from ivorygrpc.workflow.validate import PHASES, STEP_KINDS

_CONSTANTS = {"true": "True", "false": "False", "null": "None"}
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
ONCE_PER_BATCH = "# once per batch"
INDENT = "    "


def render_python(name: str, body: Mapping[str, Any]) -> str:
    """The Python text of workflow `name` with content `body` (its JSON form)."""
    title = str(body.get("display_name") or name)
    description = str(body.get("description") or "")
    doc = f"{title}: {description}" if description else title
    safe = all(c.isprintable() or c in "\n\t" for c in doc) and "\\" not in doc
    lines = ['"""' + doc + '"""' if safe and '"""' not in doc and not doc.endswith('"')
             else repr(doc), "import time", ""]
    deck = str(body.get("deck") or "")
    if _MODULE.match(deck) and not any(keyword.iskeyword(p) for p in deck.split(".")):
        lines.append(f"from {deck} import *  # noqa: F403  (the deck's instruments)")
    else:
        if deck:
            lines.append(_comment(f"deck: {deck}", ""))
        lines.append("from deck import *  # noqa: F403  (the deck's instruments)")
    for phase in PHASES:
        renderer = _Renderer()
        block = renderer.steps(body.get(phase) or [], INDENT)
        outputs = renderer.outputs if phase == "main" else {}
        signature = ", ".join(py_name(p) for p in renderer.params)
        lines += ["", "", f"def {phase}({signature}) -> {'dict' if outputs else 'None'}:"]
        lines += block
        pairs = [f"{json.dumps(n)}: {py_name(n)}" for n in outputs]
        if pairs and len(", ".join(pairs)) <= 80:
            lines.append(f"{INDENT}return {{{', '.join(pairs)}}}")
        elif pairs:
            lines += [f"{INDENT}return {{", *(f"{INDENT * 2}{p}," for p in pairs), f"{INDENT}}}"]
    return "\n".join(lines) + "\n"


def py_name(name: Any) -> str:
    """A Python identifier for a variable, parameter, instrument or method name."""
    text = _NOT_NAME.sub("_", str(name))
    if not text or text[0].isdigit():
        text = "_" + text
    return text + "_" if keyword.iskeyword(text) else text


def _comment(text: str, indent: str) -> str:
    """`text` as comment lines; characters that would break the source are escaped."""
    return "\n".join(indent + ("# " + "".join(c if c.isprintable() or c == "\t"
                                              else repr(c)[1:-1] for c in line)).rstrip()
                     for line in text.splitlines() or [""])


class _Renderer:
    def __init__(self) -> None:
        self.params: dict[str, None] = {}  # run parameters in order of first use
        self.outputs: dict[str, None] = {}  # names set, in order
        self.collect = True  # False inside disabled steps

    def steps(self, steps: Any, indent: str) -> list[str]:
        lines: list[str] = []
        for step in steps if isinstance(steps, list) else []:
            lines += self.step(step, indent)
        if all(line.lstrip().startswith("#") for line in lines):
            lines.append(indent + "pass")
        return lines

    def step(self, step: Any, indent: str) -> list[str]:
        if not isinstance(step, Mapping):
            return _comment(f"invalid step: {step!r}", indent).split("\n")
        if not step.get("disabled"):
            return self.kind(step, indent)
        collect, self.collect = self.collect, False
        try:
            inner = self.kind(step, "")
        finally:
            self.collect = collect
        return [_comment("disabled: " + line, indent) for line in inner]

    def kind(self, step: Mapping[str, Any], indent: str) -> list[str]:
        kinds = [k for k in STEP_KINDS if isinstance(step.get(k), Mapping)]
        if not kinds:
            return _comment(f"empty step {step.get('id', '')}", indent).split("\n")
        lines: list[str] = getattr(self, "_" + kinds[0])(step[kinds[0]], indent)
        return lines

    # -- values --------------------------------------------------------------------------------

    def param(self, name: str) -> str:
        if self.collect:
            self.params.setdefault(name)
        return py_name(name)

    def expr(self, text: str) -> str:
        """An expression of our language as Python; an invalid one as a marked call."""
        def token(kind: str, lexeme: str) -> str:
            if kind == "param":
                return self.param(lexeme)
            if kind == "number" and lexeme.isdigit():
                return str(int(lexeme))  # Python refuses leading zeros: 007
            return _CONSTANTS.get(lexeme, lexeme) if kind == "name" else lexeme
        try:
            parse(text)
            return ast.unparse(ast.parse(rewrite_tokens(text, token), mode="eval"))
        except (ExpressionError, SyntaxError, ValueError, RecursionError):
            return f"_invalid_expression({text!r})"

    def value(self, value: Any) -> str:
        if not isinstance(value, Mapping) or len(value) != 1:
            return f"_invalid_value({str(value)!r})"
        kind, item = next(iter(value.items()))
        if kind == "literal":
            return _literal(item)
        if kind == "parameter":
            return self.param(str(item))
        if kind == "variable":
            return py_name(item)
        if kind == "expression":
            return self.expr(str(item))
        return f"_invalid_value({str(value)!r})"

    def keywords(self, arguments: Any) -> str:
        out: dict[str, str] = {}
        for key, value in (arguments if isinstance(arguments, Mapping) else {}).items():
            name = py_name(key)
            while name in out:  # two names that sanitise alike
                name += "_"
            out[name] = self.value(value)
        return ", ".join(f"{k}={v}" for k, v in out.items())

    def target(self, names: Any) -> str:
        names = [str(n) for n in names] if isinstance(names, list) else []
        if self.collect:
            self.outputs.update(dict.fromkeys(n for n in names if n))
        return (", ".join(py_name(n) if n else "_" for n in names) + " = ") if names else ""

    # -- step kinds ----------------------------------------------------------------------------

    def _call(self, call: Mapping[str, Any], indent: str) -> list[str]:
        instrument, method = py_name(call.get("instrument", "")), str(call.get("method", ""))
        given = call.get("arguments")
        arguments: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
        save_as = call.get("save_as") or []
        prop = method[4:]
        if method.startswith("set_") and list(arguments) == ["value"] and not save_as:
            line = f"{instrument}.{py_name(prop)} = {self.value(arguments['value'])}"
        elif method.startswith("get_") and prop and not arguments:
            line = f"{self.target(save_as)}{instrument}.{py_name(prop)}"
        else:
            line = (f"{self.target(save_as)}{instrument}.{py_name(method)}"
                    f"({self.keywords(arguments)})")
        return [indent + line + ("  " + ONCE_PER_BATCH if call.get("once_per_batch") else "")]

    def _set_variable(self, step: Mapping[str, Any], indent: str) -> list[str]:
        return [f"{indent}{self.target([step.get('name', '')])}{self.value(step.get('value'))}"]

    def _if_else(self, step: Mapping[str, Any], indent: str) -> list[str]:
        lines = [f"{indent}if {self.expr(str(step.get('condition', '')))}:"]
        lines += self.steps(step.get("then_steps"), indent + INDENT)
        rest = step.get("else_steps") or []
        while (len(rest) == 1 and isinstance(rest[0], Mapping) and not rest[0].get("disabled")
               and isinstance(rest[0].get("if_else"), Mapping)):
            inner = rest[0]["if_else"]
            lines.append(f"{indent}elif {self.expr(str(inner.get('condition', '')))}:")
            lines += self.steps(inner.get("then_steps"), indent + INDENT)
            rest = inner.get("else_steps") or []
        if rest:
            lines += [f"{indent}else:", *self.steps(rest, indent + INDENT)]
        return lines

    def _while_loop(self, step: Mapping[str, Any], indent: str) -> list[str]:
        condition = self.expr(str(step.get("condition", "")))
        cap = step.get("max_iterations") or 0
        if not isinstance(cap, int) or cap <= 0:
            return [f"{indent}while {condition}:  # at most 1000 passes",
                    *self.steps(step.get("steps"), indent + INDENT)]
        negated = ast.unparse(ast.UnaryOp(ast.Not(), ast.parse(condition, mode="eval").body))
        return [f"{indent}for _ in range({cap}):  # while {condition}, at most {cap} passes",
                f"{indent}{INDENT}if {negated}:", f"{indent}{INDENT * 2}break",
                *self.steps(step.get("steps"), indent + INDENT)]

    def _repeat(self, step: Mapping[str, Any], indent: str) -> list[str]:
        count = step.get("count")
        if isinstance(count, Mapping) and isinstance(count.get("literal"), float) and (
                count["literal"].is_integer()):
            count = {"literal": int(count["literal"])}  # JSON numbers arrive as floats
        return [f"{indent}for _ in range({self.value(count)}):",
                *self.steps(step.get("steps"), indent + INDENT)]

    def _wait(self, step: Mapping[str, Any], indent: str) -> list[str]:
        return [f"{indent}time.sleep({self.value(step.get('seconds'))})"]

    def _pause(self, step: Mapping[str, Any], indent: str) -> list[str]:
        message = str(step.get("message", ""))
        return [f"{indent}input({message!r})  # pause until the operator continues"]

    def _input(self, step: Mapping[str, Any], indent: str) -> list[str]:
        cast = PYTHON_TYPES.get(str(step.get("type", "")), "str")
        call = f"input({str(step.get('prompt', ''))!r})"
        return [f"{indent}{self.target([step.get('name', '')])}"
                + (call if cast == "str" else f"{cast}({call})")]

    def _comment(self, step: Mapping[str, Any], indent: str) -> list[str]:
        return _comment(str(step.get("text", "")), indent).split("\n")

    def _call_workflow(self, step: Mapping[str, Any], indent: str) -> list[str]:
        workflow = str(step.get("workflow", ""))
        version = step.get("version") or 0
        note = f"workflow {workflow!r}" + (f" version {version}" if version else "")
        call = f"{py_name(workflow)}({self.keywords(step.get('arguments'))})"
        return [f"{indent}{self.target(step.get('save_as') or [])}{call}  "
                + _comment(note, "")]


def _literal(value: Any) -> str:
    text = repr(value)
    try:
        ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return f"_invalid_value({text!r})"
    return text
