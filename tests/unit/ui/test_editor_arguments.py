"""Argument text (`#param`, `=variable`, `=expression`, typed literals) and call steps."""

from __future__ import annotations

import pytest
from google.protobuf import json_format, struct_pb2
from ivorygrpc_ui.editor import EditError, format_argument, new_call, parse_argument, save_as_labels

from ivorygrpc.v1 import instrument_pb2 as ins
from ivorygrpc.v1 import workflow_pb2 as wf

DOUBLE = ins.TypeInfo(kind=ins.VALUE_KIND_DOUBLE)
INT = ins.TypeInfo(kind=ins.VALUE_KIND_INT64)
BOOL = ins.TypeInfo(kind=ins.VALUE_KIND_BOOL)
ENUM = ins.TypeInfo(kind=ins.VALUE_KIND_ENUM, choices=["WATER", "ETHANOL"])
FLOATS = ins.TypeInfo(kind=ins.VALUE_KIND_DOUBLE, repeated=True)


def test_hash_names_a_run_parameter() -> None:
    assert parse_argument("#volume", DOUBLE) == wf.ArgumentValue(parameter="volume")
    assert parse_argument("  # volume ") == wf.ArgumentValue(parameter="volume")


def test_equals_names_a_variable_or_an_expression() -> None:
    assert parse_argument("=total", DOUBLE) == wf.ArgumentValue(variable="total")
    assert parse_argument("=#volume * 2", DOUBLE) == wf.ArgumentValue(expression="#volume * 2")


@pytest.mark.parametrize(("text", "type_info", "value"), [
    ("1.5", DOUBLE, 1.5), ("3", INT, 3), ("yes", BOOL, True), ("false", BOOL, False),
    ("ETHANOL", ENUM, "ETHANOL"), ("1, 2.5", FLOATS, [1.0, 2.5]), ("[1, 2]", FLOATS, [1, 2]),
    ('{"a": 1}', None, {"a": 1}), ("plain text", None, "plain text"),
])
def test_literals_are_converted_to_the_parameter_type(text: str, type_info: ins.TypeInfo | None,
                                                       value: object) -> None:
    parsed = parse_argument(text, type_info)
    expected = struct_pb2.Value()
    json_format.ParseDict(value, expected)
    assert parsed == wf.ArgumentValue(literal=expected)


@pytest.mark.parametrize(("text", "type_info", "message"), [
    ("abc", DOUBLE, "not a number"), ("1.5", INT, "not a whole number"),
    ("maybe", BOOL, "not true or false"), ("MILK", ENUM, "not one of WATER, ETHANOL"),
    ("#9lives", DOUBLE, "not a parameter name"), ("=", DOUBLE, "after '='"),
    ("[1,", FLOATS, "not a JSON list"),
])
def test_bad_text_is_refused_with_a_reason(text: str, type_info: ins.TypeInfo,
                                           message: str) -> None:
    with pytest.raises(EditError, match=message):
        parse_argument(text, type_info)


@pytest.mark.parametrize("text", ["#volume", "=total", "=#v + 1", "1.5", "3", "ETHANOL",
                                  "[1.0, 2.0]", "true"])
def test_format_is_the_inverse_of_parse(text: str) -> None:
    type_info = BOOL if text == "true" else None
    assert format_argument(parse_argument(text, type_info)) == text


def test_a_new_call_has_the_defaults_and_save_as_labels_follow_the_return_shape() -> None:
    method = ins.Method(name="mix", parameters=[
        ins.Parameter(name="speed", type=DOUBLE, default_value=struct_pb2.Value(number_value=2)),
        ins.Parameter(name="seconds", type=DOUBLE, required=True)],
        returns=ins.ReturnShape(kind=ins.RETURN_KIND_TUPLE, fields=[
            ins.RecordField(name="torque"), ins.RecordField(name="")]))
    step = new_call("mixer", method)
    assert (step.call.instrument, step.call.method) == ("mixer", "mix")
    assert set(step.call.arguments) == {"speed"}
    assert format_argument(step.call.arguments["speed"]) == "2"
    assert save_as_labels(method) == ["torque", "item 1"]
    assert save_as_labels(ins.Method(returns=ins.ReturnShape(kind=ins.RETURN_KIND_NONE))) == []
    assert save_as_labels(ins.Method(returns=ins.ReturnShape(kind=ins.RETURN_KIND_SCALAR))) == [
        "result"]


def test_names_in_collects_parameters_and_variables() -> None:
    from ivorygrpc_ui.editor import names_in, new_block
    step = wf.Step(id="c", call=wf.CallStep(instrument="pump", method="dispense",
                                            save_as=["total", ""]))
    step.call.arguments["volume_ml"].parameter = "volume"
    step.call.arguments["speed"].expression = "#rate * 2"
    block = new_block("if_else")
    block.if_else.condition = "total > #limit"
    block.if_else.then_steps.append(new_block("input"))
    workflow = wf.Workflow(main=[step, block])
    assert names_in(workflow) == (["limit", "rate", "volume"], ["answer", "total"])
