"""A small, safe expression language for workflow step arguments.

Parsed by our own tokenizer and precedence-climbing parser (never `eval` or
Python's `ast`), then evaluated by walking a tree of small frozen dataclasses.

* literals: `42`, `1.5`, `1e-3`, `.5`, `'a'`/`"a"` (escapes `\\\\ \\' \\" \\n \\t`),
  `true`/`True`, `false`/`False`, `null`/`None`;
* variables `name`, run parameters `#name`;
* operators with Python precedence and meaning: `or`, `and`, `not`, chained
  comparisons `== != < <= > >=`, `+ -`, `* / // %`, unary `+ -`, `**`, parentheses;
* calls to abs, min, max, round, len, int, float, str and bool only.

No attribute access, subscripts, comprehensions, lambdas or imports: they do
not parse. Arithmetic is limited to numbers (and `+`/`*` on strings), and
results are capped (see the limits below). Every problem, when parsing or
evaluating, is an `ExpressionError` carrying a 0-based character position.
"""

from __future__ import annotations

import keyword
import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeAlias

MAX_LENGTH = 2_000  # characters of expression text
MAX_DEPTH = 64  # nesting of parentheses, call arguments, unary operators and `**` exponents
MAX_INT = 10**100  # largest integer magnitude a literal or a result may have
MAX_STRING = 100_000  # longest string a result may have
MAX_ROUND_DIGITS = 1_000  # largest |ndigits| accepted by round()


class ExpressionError(Exception):
    """A parse or evaluation problem, at `position` (0-based offset in the text)."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message, position)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return f"{self.message} (at position {self.position})"


@dataclass(frozen=True)
class Literal:
    value: Any
    pos: int


@dataclass(frozen=True)
class Name:
    name: str
    pos: int


@dataclass(frozen=True)
class Parameter:
    name: str
    pos: int


@dataclass(frozen=True)
class Unary:
    op: str  # "-", "+" or "not"
    operand: Node
    pos: int


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node
    pos: int  # of the operator


@dataclass(frozen=True)
class Compare:
    left: Node
    ops: tuple[tuple[str, int, Node], ...]  # (operator, its position, right operand)
    pos: int


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" or "or"
    values: tuple[Node, ...]
    pos: int


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]
    pos: int


Node: TypeAlias = Literal | Name | Parameter | Unary | Binary | Compare | BoolOp | Call

_CONSTANTS = {"true": True, "True": True, "false": False, "False": False,
              "null": None, "None": None}
_KEYWORDS = frozenset(keyword.kwlist) - _CONSTANTS.keys()
_PREC = {"or": 1, "and": 2, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
         "+": 5, "-": 5, "*": 6, "/": 6, "//": 6, "%": 6, "**": 8}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge}
_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod}
# name -> (function, fewest arguments, most arguments or None for any number)
_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "abs": (abs, 1, 1), "min": (min, 1, None), "max": (max, 1, None), "round": (round, 1, 2),
    "len": (len, 1, 1), "int": (int, 1, 1), "float": (float, 1, 1), "str": (str, 1, 1),
    "bool": (bool, 1, 1)}
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}
_FORBIDDEN = {".": "attribute access is not allowed",
              "[": "brackets (subscripts, lists) are not allowed",
              "]": "brackets (subscripts, lists) are not allowed",
              "#": "'#' must be followed directly by a parameter name"}
_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\n]+)
  | (?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<param>\#[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|//|==|!=|<=|>=|[-+*/%<>(),])
""", re.VERBOSE)


class _Token(NamedTuple):
    kind: str  # num, str, name, param, op, end
    value: Any
    pos: int


def _tokenize(text: str) -> Iterator[_Token]:
    """Tokens, lazily: a lexical error is raised only when the parser gets that far."""
    i = 0
    while i < len(text):
        if text[i] in "'\"":
            value, end = _string(text, i)
            yield _Token("str", value, i)
            i = end
            continue
        match = _TOKEN.match(text, i)
        if match is None:
            raise ExpressionError(_FORBIDDEN.get(text[i], f"unexpected character {text[i]!r}"), i)
        kind, lexeme = match.lastgroup or "", match.group()
        if kind == "num":
            yield _Token("num", _number(text, i, match.end()), i)
        elif kind == "param":
            yield _Token("param", lexeme[1:], i)
        elif kind != "ws":
            yield _Token(kind, lexeme, i)
        i = match.end()
    yield _Token("end", None, len(text))


def _string(text: str, start: int) -> tuple[str, int]:
    quote, out, i = text[start], [], start + 1
    while i < len(text) and text[i] != quote:
        if text[i] == "\\":
            if i + 1 < len(text) and text[i + 1] not in _ESCAPES:
                raise ExpressionError(f"unknown escape '\\{text[i + 1]}'", i)
            out.append(_ESCAPES.get(text[i + 1 : i + 2], ""))
            i += 2
        else:
            out.append(text[i])
            i += 1
    if i >= len(text):
        raise ExpressionError("unterminated string", start)
    return "".join(out), i + 1


def _number(text: str, start: int, end: int) -> int | float:
    lexeme = text[start:end]
    if end < len(text) and (text[end].isalnum() or text[end] in "_."):
        raise ExpressionError("invalid number", start)
    value: int | float = float(lexeme) if any(c in lexeme for c in ".eE") else int(lexeme)
    if math.isinf(value) or (isinstance(value, int) and value > MAX_INT):
        raise ExpressionError("number out of range", start)
    return value


def _describe(tok: _Token) -> str:
    if tok.kind in ("end", "num", "str"):
        return {"end": "end of expression", "num": "number", "str": "string"}[tok.kind]
    if tok.kind == "param":
        return f"parameter '#{tok.value}'"
    return f"name '{tok.value}'" if tok.kind == "name" and tok.value not in _KEYWORDS else (
        f"'{tok.value}'")


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.lookahead: _Token | None = None
        self.depth = 0
        self.names: set[str] = set()
        self.parameters: set[str] = set()

    @property
    def tok(self) -> _Token:
        """The next token, lexed only now: the first problem in the text is reported."""
        if self.lookahead is None:
            self.lookahead = next(self.tokens)
        return self.lookahead

    def advance(self) -> _Token:
        tok = self.tok
        if tok.kind != "end":
            self.lookahead = None
        return tok

    def at(self, kind: str, value: str) -> bool:
        return self.tok.kind == kind and self.tok.value == value

    def parse(self) -> Node:
        node = self.expr(1)
        if self.at("op", ")"):
            raise ExpressionError("unmatched ')'", self.tok.pos)
        if self.tok.kind != "end":
            raise self.unexpected(self.tok)
        return node

    def unexpected(self, tok: _Token) -> ExpressionError:
        if tok.kind == "name" and tok.value in _KEYWORDS - {"and", "or", "not"}:
            return ExpressionError(f"'{tok.value}' is not allowed", tok.pos)
        return ExpressionError(f"unexpected {_describe(tok)}", tok.pos)

    def expr(self, min_prec: int) -> Node:
        """Precedence climbing: operators binding at least as tightly as `min_prec`."""
        left = self.prefix(min_prec)
        while True:
            tok = self.tok
            prec = _PREC.get(tok.value) if tok.kind in ("op", "name") else None
            if prec is None or prec < min_prec:
                return left
            if tok.value in ("and", "or"):
                values = [left]
                while self.at("name", tok.value):
                    self.advance()
                    values.append(self.expr(prec + 1))
                left = BoolOp(tok.value, tuple(values), tok.pos)
            elif prec == 4:
                ops = []
                while self.tok.kind == "op" and self.tok.value in _COMPARE:
                    op = self.advance()
                    ops.append((op.value, op.pos, self.expr(5)))
                left = Compare(left, tuple(ops), tok.pos)
            elif tok.value == "**":  # right-associative; the exponent may be unary: 2**-1
                self.advance()
                left = Binary("**", left, self.nested(tok, 7), tok.pos)
            else:
                self.advance()
                left = Binary(tok.value, left, self.expr(prec + 1), tok.pos)

    def nested(self, opening: _Token, min_prec: int) -> Node:
        """An operand that nests: inside parentheses, a unary operator or an exponent."""
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ExpressionError(f"expression nested deeper than {MAX_DEPTH}", opening.pos)
            return self.expr(min_prec)
        finally:
            self.depth -= 1

    def prefix(self, min_prec: int) -> Node:
        tok = self.tok
        if tok.kind == "name" and tok.value == "not" and min_prec <= 3:
            self.advance()
            return Unary("not", self.nested(tok, 3), tok.pos)
        if tok.kind == "op" and tok.value in ("-", "+"):
            self.advance()
            return Unary(tok.value, self.nested(tok, 7), tok.pos)
        return self.primary()

    def primary(self) -> Node:
        tok = self.advance()
        if tok.kind in ("num", "str"):
            return Literal(tok.value, tok.pos)
        if tok.kind == "param":
            self.parameters.add(tok.value)
            return Parameter(tok.value, tok.pos)
        if tok.kind == "name" and tok.value in _CONSTANTS:
            return Literal(_CONSTANTS[tok.value], tok.pos)
        if tok.kind == "name" and tok.value not in _KEYWORDS:
            if self.at("op", "("):
                return self.call(tok)
            self.names.add(tok.value)
            return Name(tok.value, tok.pos)
        if tok.kind == "op" and tok.value == "(":
            node = self.nested(tok, 1)
            self.close(tok)
            return node
        raise self.unexpected(tok)

    def call(self, name: _Token) -> Call:
        if name.value not in _FUNCTIONS:
            raise ExpressionError(f"unknown function '{name.value}'", name.pos)
        opening, args = self.advance(), []
        if not self.at("op", ")"):
            args.append(self.nested(opening, 1))
            while self.at("op", ","):
                self.advance()
                args.append(self.nested(opening, 1))
        self.close(opening)
        _, fewest, most = _FUNCTIONS[name.value]
        if len(args) < fewest or (most is not None and len(args) > most):
            wanted = {None: " or more", fewest: ""}.get(most, f" or {most}")
            raise ExpressionError(f"{name.value}() takes {fewest}{wanted} argument(s), "
                                  f"{len(args)} given", name.pos)
        return Call(name.value, tuple(args), name.pos)

    def close(self, opening: _Token) -> None:
        if self.at("op", ")"):
            self.advance()
        elif self.tok.kind == "end":
            raise ExpressionError("'(' is never closed", opening.pos)
        else:
            raise ExpressionError(f"expected ')', found {_describe(self.tok)}", self.tok.pos)


def _checked(value: Any, pos: int) -> Any:
    """Refuse results beyond the limits: huge ints, non-finite floats, long strings."""
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise ExpressionError("integer result too large", pos)
    if isinstance(value, float) and not math.isfinite(value):
        raise ExpressionError("numeric overflow: result is not a finite number", pos)
    if isinstance(value, complex):
        raise ExpressionError("result is not a real number", pos)
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise ExpressionError(f"string result longer than {MAX_STRING} characters", pos)
    return value


def _guarded(pos: int, function: Callable[..., Any], *args: Any) -> Any:
    """Call a Python operation, turning its errors into ExpressionError."""
    try:
        return _checked(function(*args), pos)
    except ZeroDivisionError:
        raise ExpressionError("division by zero", pos) from None
    except OverflowError:
        raise ExpressionError("numeric overflow", pos) from None
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise ExpressionError(str(exc), pos) from None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float)


def _arith(op: str, a: Any, b: Any, pos: int) -> Any:
    if _is_number(a) and _is_number(b):
        if op == "**" and isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
            if (abs(a).bit_length() - 1) * b > MAX_INT.bit_length():  # a lower bound of log2
                raise ExpressionError("integer result too large", pos)
        return _guarded(pos, operator.pow if op == "**" else _ARITH[op], a, b)
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return _checked(a + b, pos)
    text, count = (a, b) if isinstance(a, str) else (b, a)
    if op == "*" and isinstance(text, str) and isinstance(count, int):
        if len(text) * count > MAX_STRING:
            raise ExpressionError(f"string result longer than {MAX_STRING} characters", pos)
        return text * count
    raise ExpressionError(f"unsupported operand types for {op}: "
                          f"'{type(a).__name__}' and '{type(b).__name__}'", pos)


def _call(node: Call, args: list[Any]) -> Any:
    if node.func == "round" and len(args) == 2:
        if not isinstance(args[1], int) or abs(args[1]) > MAX_ROUND_DIGITS:
            raise ExpressionError("round() digits must be an integer of at most "
                                  f"{MAX_ROUND_DIGITS} in magnitude", node.pos)
    return _guarded(node.pos, _FUNCTIONS[node.func][0], *args)


def _truth(value: Any, pos: int) -> bool:
    return bool(_guarded(pos, bool, value))


def _eval(node: Node, variables: Mapping[str, Any], parameters: Mapping[str, Any]) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Name):
        if node.name not in variables:
            raise ExpressionError(f"undefined variable '{node.name}'", node.pos)
        return variables[node.name]
    if isinstance(node, Parameter):
        if node.name not in parameters:
            raise ExpressionError(f"undefined run parameter '#{node.name}'", node.pos)
        return parameters[node.name]
    if isinstance(node, Binary):  # walk the left spine iteratively: `1+1+...+1` is deep
        spine: list[Binary] = []
        current: Node = node
        while isinstance(current, Binary):
            spine.append(current)
            current = current.left
        value = _eval(current, variables, parameters)
        for binary in reversed(spine):
            right = _eval(binary.right, variables, parameters)
            value = _arith(binary.op, value, right, binary.pos)
        return value
    if isinstance(node, Unary):
        operand = _eval(node.operand, variables, parameters)
        if node.op == "not":
            return not _truth(operand, node.pos)
        function = operator.neg if node.op == "-" else operator.pos
        return _guarded(node.pos, function, operand)
    if isinstance(node, BoolOp):
        for item in node.values[:-1]:
            value = _eval(item, variables, parameters)
            if _truth(value, item.pos) == (node.op == "or"):
                return value
        return _eval(node.values[-1], variables, parameters)
    if isinstance(node, Compare):
        left = _eval(node.left, variables, parameters)
        for op, pos, right_node in node.ops:
            right = _eval(right_node, variables, parameters)
            if not _truth(_guarded(pos, _COMPARE[op], left, right), pos):
                return False
            left = right
        return True
    args = []
    for arg in node.args:
        args.append(_eval(arg, variables, parameters))
    return _call(node, args)


@dataclass(frozen=True)
class Expression:
    """A parsed expression. `parse(text)` or `Expression(text)` parses (or raises)."""

    text: str
    _root: Node = field(init=False, repr=False, compare=False)
    _names: frozenset[str] = field(init=False, repr=False, compare=False)
    _parameters: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise ExpressionError("an expression must be a string", 0)
        if len(self.text) > MAX_LENGTH:
            raise ExpressionError(f"expression longer than {MAX_LENGTH} characters", MAX_LENGTH)
        parser = _Parser(self.text)
        try:
            object.__setattr__(self, "_root", parser.parse())
        except RecursionError:  # MAX_DEPTH should prevent this; never a bare Python error
            raise ExpressionError("expression nested too deeply", 0) from None
        object.__setattr__(self, "_names", frozenset(parser.names))
        object.__setattr__(self, "_parameters", frozenset(parser.parameters))

    def __reduce__(self) -> tuple[type[Expression], tuple[str]]:
        """Copy (and deep-copy) by text: the tree is rebuilt, never walked recursively."""
        return (Expression, (self.text,))

    def names(self) -> frozenset[str]:
        """The variable names the expression refers to."""
        return self._names

    def parameters(self) -> frozenset[str]:
        """The run parameters (`#name`) the expression refers to, without the '#'."""
        return self._parameters

    def evaluate(self, variables: Mapping[str, Any],
                 parameters: Mapping[str, Any] | None = None) -> Any:
        """The value of the expression; any problem is an ExpressionError."""
        try:
            return _eval(self._root, variables, parameters or {})
        except RecursionError:
            raise ExpressionError("expression nested too deeply to evaluate", 0) from None


def parse(text: str) -> Expression:
    """Parse `text`; raises ExpressionError at the position of the first problem."""
    return Expression(text)
