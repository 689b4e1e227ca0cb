"""Typing an operator's answer to an input step."""

from __future__ import annotations

from typing import Any

import pytest

from ivorygrpc.errors import InvalidArguments
from ivorygrpc.execution.inputs import convert_input

NUMBER, INTEGER, BOOLEAN, STRING = ("INPUT_TYPE_NUMBER", "INPUT_TYPE_INTEGER",
                                    "INPUT_TYPE_BOOLEAN", "INPUT_TYPE_STRING")


@pytest.mark.parametrize(("value", "input_type", "expected"), [
    ("2.5", NUMBER, 2.5),
    (" 3 ", NUMBER, 3.0),
    (4, NUMBER, 4.0),
    ("1e3", NUMBER, 1000.0),
    ("7", INTEGER, 7),
    (7.0, INTEGER, 7),
    ("8.0", INTEGER, 8),
    ("yes", BOOLEAN, True),
    ("False", BOOLEAN, False),
    ("0", BOOLEAN, False),
    (True, BOOLEAN, True),
    ("text", STRING, "text"),
    (7, STRING, "7"),
    (2.5, STRING, "2.5"),
    (True, STRING, "true"),
    ("anything", "INPUT_TYPE_UNSPECIFIED", "anything"),
    ("", STRING, ""),
    (str(2**63 - 1), INTEGER, 2**63 - 1),
])
def test_values_take_the_asked_type(value: Any, input_type: str, expected: Any) -> None:
    converted = convert_input(value, input_type)
    assert converted == expected and type(converted) is type(expected)


@pytest.mark.parametrize(("value", "input_type", "message"), [
    (None, NUMBER, "an answer is required"),
    (None, STRING, "an answer is required"),
    ("a lot", NUMBER, "is not a number"),
    ("", NUMBER, "is not a number"),
    ("nan", NUMBER, "finite"),
    ("inf", INTEGER, "finite"),
    (True, NUMBER, "is not a number"),
    ([1], NUMBER, "is not a number"),
    ("2.5", INTEGER, "is not a whole number"),
    ("maybe", BOOLEAN, "is not true or false"),
    (2, BOOLEAN, "is not true or false"),
    ("9" * 400, NUMBER, "out of range"),
    (1e300, INTEGER, "does not fit in 64 bits"),
    (str(2**63), INTEGER, "does not fit in 64 bits"),
    ({"a": 1}, STRING, "expected text"),
    ([1, 2], STRING, "expected text"),
])
def test_bad_values_name_the_value_field(value: Any, input_type: str, message: str) -> None:
    with pytest.raises(InvalidArguments) as caught:
        convert_input(value, input_type)
    [violation] = caught.value.violations
    assert violation.field == "value" and message in violation.description
