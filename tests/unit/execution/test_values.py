"""Values inside a run: argument resolution, conditions, counts, `#name` text, result saving."""

from __future__ import annotations

from typing import Any

import pytest

from ivorygrpc.execution import values
from ivorygrpc.execution.values import Sample, StepFailure


def sample(parameters: dict[str, Any] | None = None, **variables: Any) -> Sample:
    return Sample(0, dict(parameters or {}), dict(variables))


def failure(call: Any, *args: Any) -> StepFailure:
    with pytest.raises(StepFailure) as caught:
        call(*args)
    return caught.value


def test_literals_parameters_variables_and_expressions() -> None:
    s = sample({"x": 2.5, "n": 3}, v=4)
    assert values.resolve({"literal": "text"}, s) == "text"
    assert values.resolve({"parameter": "x"}, s) == 2.5
    assert values.resolve({"variable": "v"}, s) == 4
    assert values.resolve({"expression": "v * #n + #x"}, s) == 14.5


def test_whole_number_literals_are_ints() -> None:
    s = sample()
    resolved = values.resolve({"literal": 2.0}, s)
    assert resolved == 2 and type(resolved) is int
    assert values.resolve({"literal": [1.0, 1.5, {"a": 3.0}]}, s) == [1, 1.5, {"a": 3}]
    assert type(values.resolve({"literal": 1.5}, s)) is float
    assert values.resolve({"literal": True}, s) is True
    assert values.resolve({"literal": None}, s) is None


@pytest.mark.parametrize(("value", "error_type", "text"), [
    ({"parameter": "missing"}, "UndefinedName", "#missing"),
    ({"variable": "missing"}, "UndefinedName", "'missing'"),
    ({"expression": "1 / 0"}, "ExpressionError", "division by zero"),
    ({"expression": "nope + 1"}, "ExpressionError", "undefined variable 'nope'"),
    ({"expression": "#nope"}, "ExpressionError", "#nope"),
    ({}, "InvalidValue", "no value"),
    (None, "InvalidValue", "no value"),
])
def test_resolution_failures_are_typed(value: Any, error_type: str, text: str) -> None:
    exc = failure(values.resolve, value, sample())
    assert exc.error_type == error_type
    assert text in exc.message
    assert exc.arguments == {}


def test_a_variable_shadows_a_parameter_in_the_context_only() -> None:
    s = sample({"x": 1}, x=2)
    assert s.context() == {"x": 2}
    assert values.resolve({"parameter": "x"}, s) == 1
    assert values.resolve({"variable": "x"}, s) == 2


def test_conditions_must_be_booleans() -> None:
    s = sample({"x": 3})
    assert values.condition("#x > 2", s) is True
    assert values.condition("not (#x > 2)", s) is False
    exc = failure(values.condition, "#x", s)
    assert exc.error_type == "ExpressionError" and "not true or false" in exc.message
    assert failure(values.condition, "", s).error_type == "ExpressionError"


@pytest.mark.parametrize(("given", "expected"), [
    ({"literal": 3.0}, 3), ({"parameter": "n"}, 4), ({"expression": "#n / 2"}, 2),
    ({"literal": 0}, 0)])
def test_repeat_counts(given: dict[str, Any], expected: int) -> None:
    count = values.count(given, sample({"n": 4}))
    assert count == expected and type(count) is int


@pytest.mark.parametrize("given", [{"literal": -1}, {"literal": 1.5}, {"literal": True},
                                   {"literal": "3"}, {"literal": values.MAX_REPEAT + 1}])
def test_bad_repeat_counts(given: dict[str, Any]) -> None:
    assert failure(values.count, given, sample()).error_type == "InvalidValue"


def test_wait_seconds() -> None:
    assert values.seconds({"literal": 2}, sample()) == 2.0
    assert type(values.seconds({"literal": 2}, sample())) is float
    for bad in (-1, "1", True, values.MAX_WAIT_SECONDS + 1):
        assert failure(values.seconds, {"literal": bad}, sample()).error_type == "InvalidValue"


def test_interpolation_fills_known_names_and_keeps_the_rest() -> None:
    s = sample({"x": 1.5}, y=[1, 2], flag=False)
    assert values.interpolate("x=#x y=#y f=#flag #unknown # #1 ##x", s) == (
        "x=1.5 y=[1, 2] f=False #unknown # #1 #1.5")
    assert values.interpolate("no references", s) == "no references"


def test_save_one_name_takes_the_whole_result() -> None:
    s = sample()
    values.save(["r"], [1, 2], s)
    assert s.variables == {"r": [1, 2]}


def test_save_tuple_items_skipping_blank_names_and_none() -> None:
    s = sample()
    values.save(["a", "", "c"], [1, 2, 3], s)
    assert s.variables == {"a": 1, "c": 3}
    values.save(["a", "b"], [None, 5], s)
    assert s.variables == {"a": 1, "b": 5, "c": 3}
    values.save(["p", "q"], {"first": 7, "second": 8}, s)  # a named tuple's JSON form
    assert (s.variables["p"], s.variables["q"]) == (7, 8)


def test_save_never_stores_none_and_ignores_blank_names() -> None:
    s = sample(r=1)
    values.save(["r"], None, s)
    values.save([""], 5, s)
    values.save([], 5, s)
    assert s.variables == {"r": 1}


def test_save_refuses_a_result_that_cannot_be_split() -> None:
    for output in (3, [1]):
        exc = failure(values.save, ["a", "b"], output, sample())
        assert exc.error_type == "ResultMismatch"


def test_step_kinds_and_titles() -> None:
    steps = [
        ({"call": {"instrument": "lab", "method": "add"}}, "call", "lab.add"),
        ({"call_workflow": {"workflow": "dose"}}, "call_workflow", "workflow dose"),
        ({"if_else": {"condition": "x > 1"}}, "if_else", "if x > 1"),
        ({"while_loop": {"condition": "go"}}, "while_loop", "while go"),
        ({"set_variable": {"name": "v"}}, "set_variable", "set v"),
        ({"input": {"name": "answer"}}, "input", "input answer"),
        ({"wait": {}}, "wait", "wait"),
        ({"id": "s1"}, "", ""),
    ]
    for step, kind, title in steps:
        assert (values.step_kind(step), values.step_title(step)) == (kind, title)
