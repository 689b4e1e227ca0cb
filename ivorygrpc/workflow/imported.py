"""Shared pieces of the workflow importers and the Python renderer.

`ImportResult` is what an import produces; `ImportProblem` is an import that
cannot start at all (the source does not parse). `rewrite_tokens` rewrites
the names and numbers of an expression text without touching its strings;
`python_expression` / `python_literal` turn a Python `ast` expression into
our expression language or a JSON literal (nothing is ever evaluated).
"""

from __future__ import annotations

import ast
import copy
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ivorygrpc.workflow.expressions import MAX_INT, ExpressionError, parse

# Python type name <-> InputType, for input steps.
INPUT_TYPES = {"str": "INPUT_TYPE_STRING", "float": "INPUT_TYPE_NUMBER",
               "int": "INPUT_TYPE_INTEGER", "bool": "INPUT_TYPE_BOOLEAN"}
PYTHON_TYPES = {value: key for key, value in INPUT_TYPES.items()}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WORKFLOW_NAME = re.compile(r"[^A-Za-z0-9_-]")
_PARAM = "__ivorygrpc_param_"  # marks run parameters while a Python expression is unparsed
FUNCTIONS = frozenset({"abs", "min", "max", "round", "len", "int", "float", "str", "bool"})
_NODES: tuple[type[ast.AST], ...] = (
    ast.Constant, ast.Name, ast.Load, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
    ast.BoolOp, ast.And, ast.Or, ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt,
    ast.GtE, ast.Call)
_NODE_NAMES = {ast.Attribute: "attribute access", ast.Subscript: "subscripts",
               ast.IfExp: "conditional expressions", ast.Lambda: "lambdas",
               ast.JoinedStr: "f-strings", ast.In: "'in'", ast.NotIn: "'not in'",
               ast.Is: "'is'", ast.IsNot: "'is not'", ast.List: "lists", ast.Tuple: "tuples",
               ast.Dict: "dicts", ast.Set: "sets", ast.ListComp: "comprehensions",
               ast.Await: "'await'", ast.Starred: "'*' arguments"}


@dataclass(frozen=True)
class ImportResult:
    """One imported workflow: its name, its body (the Workflow JSON form) and what was
    changed, guessed or left out on the way."""

    name: str
    body: dict[str, Any]
    warnings: tuple[str, ...]


class ImportProblem(Exception):
    """The source cannot be imported at all; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message, line)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class Unsupported(Exception):
    """A Python construct with no workflow equivalent."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StepIds:
    """Step ids `s1`, `s2`, ... in the order they are asked for."""

    def __init__(self) -> None:
        self.count = 0

    def next(self) -> str:
        self.count += 1
        return f"s{self.count}"


def workflow_name(text: str) -> str:
    """A valid workflow name (letters, digits, `_`, `-`; 1 to 64) made from `text`."""
    return _WORKFLOW_NAME.sub("_", text.strip())[:64] or "imported"


def rewrite_tokens(text: str, replace: Callable[[str, str], str]) -> str:
    """Rewrite an expression text token by token, leaving string literals untouched.

    `replace(kind, lexeme)` gives the new text of each `param` (`#name`, passed without
    the `#`), `name` (identifiers, keywords included) and `number` token; everything
    else is copied. Works on any text: it does not check the syntax.
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            j = i + 1
            while j < len(text) and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
            continue
        if ch == "#" and (match := _NAME.match(text, i + 1)):
            out.append(replace("param", match.group()))
        elif match := _NAME.match(text, i):
            out.append(replace("name", match.group()))
        elif match := _NUMBER.match(text, i):
            out.append(replace("number", match.group()))
        else:
            out.append(ch)
            i += 1
            continue
        i = match.end()
    return "".join(out)


def python_expression(node: ast.expr, is_parameter: Callable[[str], bool]) -> str:
    """A Python expression as text of our language (`is_parameter(name)` names become
    `#name`); raises Unsupported when there is no equivalent."""
    for sub in ast.walk(node):
        if not isinstance(sub, _NODES) or (isinstance(sub, ast.Constant) and not isinstance(
                sub.value, str | int | float | None)):
            what = _NODE_NAMES.get(type(sub), f"'{type(sub).__name__}'")
            raise Unsupported(f"{what} cannot be used in an expression")
        if isinstance(sub, ast.Call) and not (isinstance(sub.func, ast.Name) and (
                sub.func.id in FUNCTIONS) and not sub.keywords):
            raise Unsupported("only abs, min, max, round, len, int, float, str and bool can "
                              "be called in an expression (positional arguments)")
    tree = copy.deepcopy(node)
    for sub in ast.walk(tree):
        if isinstance(sub, ast.Name) and is_parameter(sub.id):
            sub.id = _PARAM + sub.id
    text = rewrite_tokens(ast.unparse(tree), _unmark)
    try:
        parse(text)
    except ExpressionError as exc:
        raise Unsupported(f"not a valid expression: {exc.message}") from None
    return text


def _unmark(kind: str, lexeme: str) -> str:
    return "#" + lexeme[len(_PARAM):] if kind == "name" and lexeme.startswith(_PARAM) else lexeme


def python_literal(node: ast.expr) -> tuple[bool, Any]:
    """(True, value) when `node` is a JSON-like literal (tuples become lists)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | None):
        return _in_range(node.value), node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd)
            and isinstance(node.operand, ast.Constant)
            and type(node.operand.value) in (int, float)):
        value: Any = node.operand.value
        return _in_range(value), -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.List | ast.Tuple):
        items = [python_literal(e) for e in node.elts]
        return all(ok for ok, _ in items), [v for _, v in items]
    if isinstance(node, ast.Dict):
        keys = [python_literal(k) if k is not None else (False, None) for k in node.keys]
        values = [python_literal(v) for v in node.values]
        ok = all(ok and isinstance(k, str) for ok, k in keys) and all(ok for ok, _ in values)
        return ok, {k: v for (_, k), (_, v) in zip(keys, values, strict=True)}
    return False, None


def _in_range(value: Any) -> bool:
    """False for numbers JSON cannot carry: inf, nan and integers beyond the language's."""
    if isinstance(value, float):
        return math.isfinite(value)
    return not isinstance(value, int) or abs(value) <= MAX_INT
