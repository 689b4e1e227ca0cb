"""The workflow expression language: parsing, evaluation, errors and resource guards."""

from __future__ import annotations

import copy
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivorygrpc.workflow import expressions
from ivorygrpc.workflow.expressions import (
    MAX_DEPTH,
    MAX_INT,
    MAX_LENGTH,
    MAX_STRING,
    Expression,
    ExpressionError,
    parse,
)

PROPERTY = settings(max_examples=300, deadline=None, database=None)


def value(text: str, variables: dict[str, Any] | None = None,
          parameters: dict[str, Any] | None = None) -> Any:
    return parse(text).evaluate(variables or {}, parameters)


def parse_error(text: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    return info.value


def eval_error(text: str, variables: dict[str, Any] | None = None,
               parameters: dict[str, Any] | None = None) -> ExpressionError:
    expression = parse(text)
    with pytest.raises(ExpressionError) as info:
        expression.evaluate(variables or {}, parameters)
    return info.value


# --- literals, precedence and associativity -----------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("42", 42), ("1.5", 1.5), ("1e-3", 0.001), (".5", 0.5), ("5.", 5.0), ("1E2", 100.0),
    ("2.5e+1", 25.0), ("true", True), ("True", True), ("false", False), ("False", False),
    ("null", None), ("None", None), ("'a'", "a"), ('"a"', "a"), ("''", ""),
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("1 * 2 + 3", 5),
    ("10 - 4 - 3", 3), ("10 - (4 - 3)", 9), ("100 / 10 / 5", 2.0), ("10 / 4", 2.5),
    ("7 // 2", 3), ("-7 // 2", -4), ("7 % 3", 1), ("-7 % 3", 2), ("2 * 3 % 4", 2),
    ("2 * 7 // 3", 4), ("7 % 4 * 3", 9), ("1 - 2 + 3", 2), ("1 - (2 + 3)", -4),
    ("2 ** 3 ** 2", 512), ("(2 ** 3) ** 2", 64), ("-2 ** 2", -4), ("(-2) ** 2", 4),
    ("2 ** -1", 0.5), ("-2 ** -2", -0.25), ("2 ** -2 ** 2", 0.0625), ("-3 ** 2", -9),
    ("2 * 3 ** 2", 18), ("2 ** 2 * 3", 12), ("- - 3", 3), ("+-3", -3), ("-+3", -3),
    ("2 * -3", -6), ("1 - -1", 2), ("--1", 1),
    ("1 + 2 == 3", True), ("2 * 3 > 5", True), ("not 1 == 2", True), ("not not 5", True),
    ("not 0 and 0", 0), ("not (0 and 0)", True), ("1 or 0 and 0", 1),
    ("(1 or 0) and 0", 0), ("0 or 2", 2), ("3 and 4", 4), ("0 and 4", 0), ("'' or 'x'", "x"),
    ("0 or '' or None", None), ("1 and 2 and 3", 3), ("0 or 0 or 7", 7),
    ("0 and 1 / 0", 0), ("1 or 1 / 0", 1), ("not 1 + 1", False),
    ("2 + 3 > 4 and 1 < 2", True), ("1 < 2 == True", False), ("true + true", 2),
    ("'a' + 'b' * 2", "abb"), ("3 * 'ab'", "ababab"), ("'ab' * 0", ""), ("'ab' * -1", ""),
    ("None == null", True), ("false or False", False), ("1e-3 * 1000", 1.0),
    (" \t1\n+\r\n2 ", 3), ("abs(-2) ** 2", 4), ("-abs(-2)", -2),
])
def test_precedence_associativity_and_literals(text: str, expected: Any) -> None:
    result = value(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("1 < 2 < 3", True), ("1 < 3 < 2", False), ("3 > 2 > 1", True), ("3 > 2 > 2", False),
    ("1 <= 1 < 2 != 3", True), ("1 == 1 == 1", True), ("1 == 1 == 2", False),
    ("1 < 2 > 0", True), ("1 != 2 != 1", True), ("'a' < 'b' <= 'b'", True),
    ("2 < 1 < 1 / 0", False),  # short-circuits: the division never happens
    ("x < y < z", True), ("0 < x == 1", True),
])
def test_chained_comparisons(text: str, expected: bool) -> None:
    assert value(text, {"x": 1, "y": 2.5, "z": 3}) is expected


@pytest.mark.parametrize(("text", "expected"), [
    (r"'a\\b'", "a\\b"), (r"'it\'s'", "it's"), (r'"say \"hi\""', 'say "hi"'),
    (r"'a\nb\tc'", "a\nb\tc"), ("'mixed \"quotes\"'", 'mixed "quotes"'),
    ('"it\'s"', "it's"), (r"'\\\\'", "\\\\"), (r"'\\n'", "\\n"), ("'é ✓'", "é ✓"),
    (r"'\"'", '"'), (r'"\'"', "'"),
])
def test_string_escapes(text: str, expected: str) -> None:
    assert value(text) == expected


@pytest.mark.parametrize(("text", "position"), [
    (r"'\q'", 1), (r"'ab\x41'", 3), (r"1 + '\0'", 5),
])
def test_unknown_escapes_are_errors(text: str, position: int) -> None:
    error = parse_error(text)
    assert error.position == position
    assert "escape" in error.message


@pytest.mark.parametrize(("text", "expected"), [
    ("abs(-3)", 3), ("abs(-2.5)", 2.5), ("abs(4)", 4), ("abs(false)", 0),
    ("min(3, 1, 2)", 1), ("max(3, 1, 2)", 3), ("min(2.5, 3)", 2.5), ("max(-1, -1.5)", -1),
    ("min('bca')", "a"), ("max('bca')", "c"), ("min(xs)", 2), ("max(xs)", 4),
    ("round(2.567, 2)", 2.57), ("round(2.5)", 2), ("round(3.5)", 4), ("round(7)", 7),
    ("round(1234, -2)", 1200), ("round(-2.7)", -3),
    ("len('abcd')", 4), ("len('')", 0), ("len(s)", 5),
    ("int('42')", 42), ("int(' -7 ')", -7), ("int(3.9)", 3), ("int(-3.9)", -3), ("int(true)", 1),
    ("float('1.5')", 1.5), ("float(2)", 2.0), ("float(' -1e3 ')", -1000.0),
    ("str(12)", "12"), ("str(1.5)", "1.5"), ("str(true)", "True"), ("str(null)", "None"),
    ("str('x')", "x"), ("bool(0)", False), ("bool('x')", True), ("bool('')", False),
    ("bool(0.1)", True), ("len(str(123)) + int(float('2.0'))", 5),
])
def test_every_whitelisted_function(text: str, expected: Any) -> None:
    result = value(text, {"xs": [4, 2, 3], "s": "hello"})
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(("text", "position"), [
    ("abs()", 0), ("abs(1, 2)", 0), ("1 + round(1, 2, 3)", 4), ("round()", 0), ("min()", 0),
    ("max()", 0), ("len('a', 'b')", 0), ("int()", 0), ("float(1, 2)", 0), ("str()", 0),
    ("x and bool(1, 2)", 6),
])
def test_function_arity_is_checked_when_parsing(text: str, position: int) -> None:
    error = parse_error(text)
    assert error.position == position
    assert "argument" in error.message


def test_functions_with_bad_arguments_fail_at_the_call() -> None:
    for text in ("abs('a')", "round('a')", "len(5)", "int('abc')", "int('')", "float('x')",
                 "min(1, 'a')", "max(5)", "min('')", "round(1.5, 0.5)", "round(2, true + 1.5)"):
        error = eval_error("1 + " + text)
        assert error.position == 4, text


# --- names and parameters ------------------------------------------------------------------

def test_names_and_parameters() -> None:
    expression = parse("x + y * #speed > #limit and z or len(s) + abs(#p) + #p")
    assert expression.names() == frozenset({"x", "y", "z", "s"})
    assert expression.parameters() == frozenset({"speed", "limit", "p"})
    assert parse("true and null or 'x' + str(1)").names() == frozenset()
    assert parse("true").parameters() == frozenset()
    assert parse("len + abs").names() == frozenset({"len", "abs"})  # plain names, not calls
    assert parse("#_a1 + _b2").parameters() == frozenset({"_a1"})


def test_variables_and_parameters_are_looked_up() -> None:
    expression = parse("x * #factor + offset")
    assert expression.evaluate({"x": 2, "offset": 1}, {"factor": 10}) == 21
    assert expression.evaluate({"x": 0.5, "offset": 0, "factor": 99}, {"factor": 4}) == 2.0
    assert parse("x").evaluate({"x": [1, 2]}) == [1, 2]  # values pass through untouched


def test_expression_value_object() -> None:
    expression = parse("1 + x")
    assert expression == Expression("1 + x")
    assert hash(expression) == hash(Expression("1 + x"))
    assert expression.text == "1 + x"
    assert repr(expression) == "Expression(text='1 + x')"
    with pytest.raises(ExpressionError):
        Expression("1 +")


def test_expressions_copy_by_text() -> None:
    long = parse("+".join(["1"] * 1000))
    for duplicate in (copy.copy(long), copy.deepcopy(long), copy.deepcopy([long])[0]):
        assert duplicate == long
        assert duplicate.evaluate({}) == 1000


def test_error_carries_message_and_position() -> None:
    error = parse_error("1 + foo(2)")
    assert error.message == "unknown function 'foo'"
    assert error.position == 4
    assert str(error) == "unknown function 'foo' (at position 4)"
    assert isinstance(error, Exception)


# --- parse errors and their positions -------------------------------------------------------

@pytest.mark.parametrize(("text", "position", "fragment"), [
    # calls to anything but the whitelist
    ("1 + foo(2)", 4, "unknown function 'foo'"), ("__import__('os')", 0, "__import__"),
    ("eval('1')", 0, "unknown function"), ("exec('x = 1')", 0, "unknown function"),
    ("open ('f')", 0, "unknown function"), ("x + getattr(x, 'y')", 4, "getattr"),
    # attribute access
    ("a.b", 1, "attribute"), ("x + a.__class__", 5, "attribute"), ("'abc'.upper()", 5, "attribute"),
    ("(1).real", 3, "attribute"), ("1 .real", 2, "attribute"), ("abs.x", 3, "attribute"),
    # subscripts and brackets
    ("a[0]", 1, "subscripts"), ("x + y[1]", 5, "subscripts"), ("[1, 2]", 0, "brackets"),
    ("[x for x in y]", 0, "brackets"), ("{1: 2}", 0, "'{'"),
    # strings
    ("'abc", 0, "unterminated"), ('1 + "abc', 4, "unterminated"), ("'abc\\'", 0, "unterminated"),
    ("'a' + 'b", 6, "unterminated"), ("'abc\\", 0, "unterminated"),
    # parentheses
    ("(1 + 2", 0, "never closed"), ("((1 + 2)", 0, "never closed"), ("(1 + (2)", 0, "never closed"),
    ("1 + 2)", 5, "unmatched ')'"), ("(1))", 3, "unmatched ')'"), (")", 0, "unexpected ')'"),
    ("min(1, 2", 3, "never closed"), ("(1 2)", 3, "expected ')'"), ("min(1 2)", 6, "expected ')'"),
    ("()", 1, "unexpected ')'"), ("min(1,)", 6, "unexpected ')'"), ("abs(,1)", 4, "unexpected ','"),
    # stray characters
    ("1 ; 2", 2, "';'"), ("a @ b", 2, "'@'"), ("$x", 0, "'$'"), ("1 + `x`", 4, "'`'"),
    ("x = 1", 2, "'='"), ("x := 1", 2, "':'"), ("!x", 0, "'!'"), ("x & y", 2, "'&'"),
    ("x | y", 2, "'|'"), ("~x", 0, "'~'"), ("x ^ y", 2, "'^'"), ("1 + \\", 4, "'\\\\'"),
    ("é", 0, "'é'"), ("1 + \u0661", 4, "unexpected character"),
    # parameters
    ("#", 0, "parameter name"), ("# x", 0, "parameter name"), ("#1", 0, "parameter name"),
    ("x#y", 1, "unexpected parameter '#y'"),
    # Python features that are not part of the language
    ("lambda: 1", 0, "'lambda' is not allowed"), ("lambda x: x", 0, "'lambda'"),
    ("(lambda x: x)(1)", 1, "'lambda'"), ("min(lambda: 1)", 4, "'lambda'"),
    ("x if y else z", 2, "'if' is not allowed"), ("import os", 0, "'import'"),
    ("x in y", 2, "'in'"), ("x is None", 2, "'is'"), ("yield x", 0, "'yield'"),
    ("await x", 0, "'await'"),
    # trailing garbage
    ("1 2", 2, "unexpected number"), ("1 + 2 x", 6, "unexpected name 'x'"),
    ("(1) (2)", 4, "unexpected '('"), ("x y", 2, "unexpected name 'y'"),
    ("1 true", 2, "unexpected name 'true'"), ("1 'a'", 2, "unexpected string"),
    ("1 #p", 2, "unexpected parameter"), ("1 not 2", 2, "unexpected 'not'"),
    # incomplete or misplaced operators
    ("", 0, "end of expression"), ("   ", 3, "end of expression"), ("1 +", 3, "end"),
    ("* 2", 0, "unexpected '*'"), ("1 + * 2", 4, "'*'"), ("x or or y", 5, "unexpected 'or'"),
    ("1 + not 2", 4, "unexpected 'not'"), ("1 == not 2", 5, "'not'"), ("1 < < 2", 4, "'<'"),
    ("and", 0, "'and'"), ("not", 3, "end"), ("2 ** ** 2", 5, "'**'"),
    # numbers
    ("1e", 0, "invalid number"), ("1.2.3", 0, "invalid number"), ("1abc", 0, "invalid number"),
    ("1_000", 0, "invalid number"), ("1e5x", 0, "invalid number"), ("1.__class__", 0, "number"),
    ("1" + "0" * 101, 0, "out of range"), ("x + 1e400", 4, "out of range"),
    # the first problem wins
    ("a.b ; c", 1, "attribute"), ("foo(1) $", 0, "unknown function"), ("(1 + ;", 5, "';'"),
    ("1 2 ;", 2, "unexpected number"), ("x[0] + 'abc", 1, "subscripts"),
])
def test_parse_errors_point_at_the_first_problem(text: str, position: int, fragment: str) -> None:
    error = parse_error(text)
    assert (error.position, fragment in error.message) == (position, True), error


def test_non_string_text_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError):
        parse(42)  # type: ignore[arg-type]


# --- evaluation errors -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "position", "fragment"), [
    ("x + 1", 0, "undefined variable 'x'"), ("1 + y * 2", 4, "undefined variable 'y'"),
    ("1 + #speed", 4, "undefined run parameter '#speed'"),
    ("'a' - 1", 4, "unsupported operand"), ("1 + 'a'", 2, "unsupported operand"),
    ("'a' * 'b'", 4, "unsupported operand"), ("'a' * 1.5", 4, "unsupported operand"),
    ("-'a'", 0, "unary -"), ("+'a'", 0, "unary +"), ("1 < 'a'", 2, "'<' not supported"),
    ("1 == 1 < 'a'", 7, "not supported"), ("None > 1", 5, "not supported"),
    ("1 / 0", 2, "division by zero"), ("1 // 0", 2, "division by zero"),
    ("1 % 0", 2, "division by zero"), ("1.5 / 0.0", 4, "division by zero"),
    ("0 ** -1", 2, "division by zero"), ("null + 1", 5, "unsupported operand"),
    ("int('abc')", 0, "invalid literal"), ("2 * int('1.5')", 4, "invalid literal"),
    ("(-8) ** 0.5", 5, "not a real number"), ("xs * 2", 3, "unsupported operand"),
    ("xs + xs", 3, "unsupported operand"), ("1 + (2 * (3 - 'a'))", 12, "unsupported"),
])
def test_evaluation_errors_point_at_the_failing_node(text: str, position: int,
                                                     fragment: str) -> None:
    error = eval_error(text, {"xs": [1]})
    assert (error.position, fragment in error.message) == (position, True), error


def test_parameters_default_to_none_and_are_separate_from_variables() -> None:
    assert eval_error("#x", {"x": 1}).message == "undefined run parameter '#x'"
    assert eval_error("x", {}, {"x": 1}).message == "undefined variable 'x'"


def test_odd_variable_values_only_raise_expression_errors() -> None:
    class Weird:
        def __bool__(self) -> bool:
            raise ValueError("no truth value")

    for text in ("x + 1", "-x", "abs(x)", "x < 1", "not x", "x and 1", "int(x)", "len(x)"):
        with pytest.raises(ExpressionError):
            value(text, {"x": Weird()})


# --- resource guards -------------------------------------------------------------------------

def test_text_length_limit() -> None:
    longest = "1+" * (MAX_LENGTH // 2 - 1) + "11"
    assert len(longest) == MAX_LENGTH
    assert value(longest) == MAX_LENGTH // 2 - 1 + 11
    error = parse_error(longest + " ")
    assert error.position == MAX_LENGTH
    assert "longer than" in error.message


def test_long_flat_chains_do_not_recurse() -> None:
    assert value("+".join(["1"] * 1000)) == 1000
    assert value("-".join(["x"] * 999), {"x": 1}) == -997
    assert value(" or ".join(["0"] * 399) + " or 5") == 5
    assert value("1" + " < 2" * 499) is False


@pytest.mark.parametrize(("opening", "closing", "offset"), [
    ("(", ")", 0), ("-", "", 0), ("+", "", 0), ("not ", "", 0), ("abs(", ")", 3),
    ("1 ** ", "", 2), ("min(1, ", ")", 3),
])
def test_nesting_depth_limit(opening: str, closing: str, offset: int) -> None:
    deepest = opening * MAX_DEPTH + "1" + closing * MAX_DEPTH
    assert value(deepest) is not None  # parses and evaluates at the limit
    too_deep = opening * (MAX_DEPTH + 1) + "1" + closing * (MAX_DEPTH + 1)
    error = parse_error(too_deep)
    # the position of the opening token (parenthesis, operator) one level too deep
    assert error.position == len(opening) * MAX_DEPTH + offset
    assert "nested deeper" in error.message


def test_worst_case_nesting_evaluates_without_recursion_errors() -> None:
    level = "0 or 1 and 1 == 1 + 1 * abs("
    text = level * MAX_DEPTH + "1" + ")" * MAX_DEPTH
    assert len(text) <= MAX_LENGTH
    assert value(text) is True


@pytest.mark.parametrize(("text", "position", "fragment"), [
    ("2 ** 1000", 2, "too large"), ("10 ** 101", 3, "too large"), ("9 ** 9 ** 9", 2, "too large"),
    ("(10 ** 100) ** (10 ** 100)", 12, "too large"), ("(-2) ** 400", 5, "too large"),
    ("10 ** 100 * 10", 10, "too large"), ("10 ** 100 + 1", 10, "too large"),
    ("-(10 ** 100) - 1", 13, "too large"), ("2.0 ** 10000", 4, "overflow"),
    ("1e308 * 10", 6, "overflow"), ("float('inf')", 0, "overflow"), ("float('nan')", 0, "overflow"),
    ("-float('inf')", 1, "overflow"), ("1.5 ** (10 ** 100)", 4, "overflow"),
    ("int(1e300)", 0, "too large"), ("round(1e300)", 0, "too large"),
    ("int('9' * 101)", 0, "too large"),
    ("'a' * 100001", 4, "longer than"), ("'a' * 10 ** 9", 4, "longer than"),
    ("'ab' * 10 ** 50", 5, "longer than"), ("10 ** 9 * 'a'", 8, "longer than"),
    ("s + s", 2, "longer than"), ("str(big)", 0, "longer than"),
    ("round(5, -10 ** 100)", 0, "digits"), ("round(5.5, 10 ** 100)", 0, "digits"),
])
def test_resource_guards(text: str, position: int, fragment: str) -> None:
    started = time.perf_counter()
    error = eval_error(text, {"s": "x" * 60_000, "big": list(range(30_000))})
    assert time.perf_counter() - started < 1.0
    assert (error.position, fragment in error.message) == (position, True), error


def test_results_at_the_limits_are_allowed() -> None:
    assert value("10 ** 100") == MAX_INT
    assert value("-(10 ** 100)") == -MAX_INT
    assert value("1" + "0" * 100) == MAX_INT
    assert value("1 ** (10 ** 100)") == 1
    assert value("(-1) ** (10 ** 100 - 1)") == -1
    assert value("0 ** (10 ** 100)") == 0
    assert value("2 ** -1000") == 2.0**-1000
    assert value("len('a' * 100000)") == MAX_STRING
    assert value("round(5, -3)") == 0


def test_module_does_not_use_python_evaluation() -> None:
    source = Path(expressions.__file__).read_text()
    assert not re.search(r"(?<![\w.])(eval|exec|compile|__import__)\(", source)
    assert not re.search(r"^\s*(import|from)\s+(ast|pickle)\b", source, re.MULTILINE)


# --- properties ------------------------------------------------------------------------------

TOKENS = ["1", "2.5", ".5", "1e3", "x", "y", "#p", "'s'", '"t"', "true", "None", "(", ")", ",",
          "+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">", ">=", "and", "or",
          "not", "abs(", "min(", "max(", "round(", "len(", "int(", "float(", "str(", "bool(",
          "foo(", ".", "[", "]", "lambda", ":", ";", "@", "$", "`", "#", "'", '"', "\\", "9**9"]


def check_text(text: str) -> None:
    try:
        expression = parse(text)
    except ExpressionError as exc:
        assert 0 <= exc.position <= len(text)
        return
    assert isinstance(expression, Expression)
    variables = dict.fromkeys(expression.names(), 3)
    parameters = dict.fromkeys(expression.parameters(), "p")
    try:
        expression.evaluate(variables, parameters)
    except ExpressionError as exc:
        assert 0 <= exc.position <= len(text)


@PROPERTY
@given(st.text(max_size=80))
def test_random_text_parses_or_raises_expression_error(text: str) -> None:
    check_text(text)


@PROPERTY
@given(st.text(alphabet="0123456789 .eE+-*/%<>=!()#,'\"\\[]@;xyzandornt_", max_size=60))
def test_random_punctuation_parses_or_raises_expression_error(text: str) -> None:
    check_text(text)


@PROPERTY
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join))
def test_random_token_soup_parses_or_raises_expression_error(text: str) -> None:
    check_text(text)


# Generated expression trees: ("lit", value) | ("un", op, child) | ("bin", op, left, right)
# | ("call", name, args).  Rendered fully parenthesized.

def render_literal(literal: Any) -> str:
    if isinstance(literal, bool):
        return "true" if literal else "False"
    if isinstance(literal, str):
        escaped = literal.replace("\\", "\\\\").replace("'", "\\'")
        return "'" + escaped.replace("\n", "\\n").replace("\t", "\\t") + "'"
    text = repr(literal)
    return f"({text})" if text.startswith("-") else text


def render(tree: tuple[Any, ...]) -> str:
    kind = tree[0]
    if kind == "lit":
        return render_literal(tree[1])
    if kind == "un":
        return f"({tree[1]} {render(tree[2])})"
    if kind == "bin":
        return f"({render(tree[2])} {tree[1]} {render(tree[3])})"
    return f"{tree[1]}({', '.join(render(arg) for arg in tree[2])})"


literals = st.one_of(
    st.integers(-1000, 1000), st.integers(-MAX_INT, MAX_INT),
    st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.text(max_size=4),
).map(lambda literal: ("lit", literal))
BINARY = ["+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">", ">=", "and", "or"]


def extend(children: st.SearchStrategy[tuple[Any, ...]]) -> st.SearchStrategy[tuple[Any, ...]]:
    one = st.tuples(children)
    return st.one_of(
        st.tuples(st.just("un"), st.sampled_from(["-", "+", "not"]), children),
        st.tuples(st.just("bin"), st.sampled_from(BINARY), children, children),
        st.tuples(st.just("call"), st.sampled_from(["abs", "len", "int", "float", "str", "bool",
                                                     "round"]), one),
        st.tuples(st.just("call"), st.just("round"), st.tuples(children, children)),
        st.tuples(st.just("call"), st.sampled_from(["min", "max"]),
                  st.lists(children, min_size=1, max_size=3).map(tuple)),
    )


trees = st.recursive(literals, extend, max_leaves=20)


@PROPERTY
@given(trees)
def test_generated_trees_parse_and_evaluate_or_raise_expression_error(
        tree: tuple[Any, ...]) -> None:
    text = render(tree)
    try:
        expression = parse(text)
    except ExpressionError as exc:  # only the size limits may refuse a well-formed tree
        assert "longer than" in exc.message or "nested deeper" in exc.message, (text, exc)
        return
    try:
        result = expression.evaluate({})
    except ExpressionError as exc:
        assert 0 <= exc.position < len(text)
        return
    if isinstance(result, int):
        assert abs(result) <= MAX_INT
    if isinstance(result, float):
        assert result == result and abs(result) != float("inf")
    if isinstance(result, str):
        assert len(result) <= MAX_STRING


small_trees = st.recursive(
    st.integers(-20, 20).map(lambda n: ("lit", n)),
    lambda children: st.one_of(
        st.tuples(st.just("bin"), st.sampled_from(["+", "-", "*"]), children, children),
        st.tuples(st.just("un"), st.just("-"), children),
    ),
    max_leaves=15,
)
PRECEDENCE = {"+": 5, "-": 5, "*": 6}


def expected(tree: tuple[Any, ...]) -> int:
    if tree[0] == "lit":
        return int(tree[1])
    if tree[0] == "un":
        return -expected(tree[2])
    left, right = expected(tree[2]), expected(tree[3])
    return {"+": left + right, "-": left - right, "*": left * right}[tree[1]]


def render_minimal(tree: tuple[Any, ...]) -> tuple[str, int]:
    """Render with only the parentheses precedence needs; returns (text, precedence)."""
    if tree[0] == "lit":
        return str(tree[1]), 7 if tree[1] < 0 else 9
    if tree[0] == "un":
        inner, precedence = render_minimal(tree[2])
        return "-" + (inner if precedence >= 7 else f"({inner})"), 7
    op = tree[1]
    left, left_precedence = render_minimal(tree[2])
    right, right_precedence = render_minimal(tree[3])
    if left_precedence < PRECEDENCE[op]:
        left = f"({left})"
    if right_precedence <= PRECEDENCE[op]:  # left-associative: a - (b - c) keeps its parentheses
        right = f"({right})"
    return f"{left} {op} {right}", PRECEDENCE[op]


@PROPERTY
@given(small_trees)
def test_small_integer_arithmetic_matches_the_tree(tree: tuple[Any, ...]) -> None:
    want = expected(tree)
    assert parse(render(tree)).evaluate({}) == want
    minimal, _ = render_minimal(tree)
    assert parse(minimal).evaluate({}) == want, minimal
