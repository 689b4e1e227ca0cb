"""The typed parameter form on its own: every kind of input and what `read()` returns."""

from __future__ import annotations

from typing import Any

from nicegui import ui
from nicegui.testing import User


def _schema() -> list[Any]:
    from ivorygrpc_ui.client.control import ParameterInfo, TypeSpec

    return [
        ParameterInfo("volume", TypeSpec("float", "float"), unit="mL", minimum=0, maximum=25),
        ParameterInfo("count", TypeSpec("int", "int"), required=False, has_default=True,
                      default=3),
        ParameterInfo("flag", TypeSpec("bool", "bool"), required=False, has_default=True,
                      default=True),
        ParameterInfo("mode", TypeSpec("Mode | None", "enum", nullable=True,
                                       choices=("FAST", "SLOW"))),
        ParameterInfo("items", TypeSpec("list[int]", "int", repeated=True)),
        ParameterInfo("point", TypeSpec("Point", "record",
                                        fields=(("x", TypeSpec("float", "float")),))),
        ParameterInfo("note", TypeSpec("str", "str"), required=False, has_default=True,
                      default="hi"),
    ]


async def test_inputs_by_type_and_the_values_they_give(user: User) -> None:
    from ivorygrpc_ui.components.parameter_form import ParameterForm

    results: list[tuple[dict[str, Any], list[str]]] = []

    @ui.page("/form")
    def page() -> None:
        form = ParameterForm(_schema(), mark_prefix="f-")
        ui.button("Read", on_click=lambda: results.append(form.read())).mark("read")

    await user.open("/form")
    assert user.find("f-count").elements.pop().value == 3
    assert user.find("f-mode").elements.pop().options == ["None", "FAST", "SLOW"]
    user.find("read").click()
    values, problems = results[-1]
    assert problems == ["volume: is required", "items: is required", "point: is required"]
    assert values == {"count": 3, "flag": True, "note": "hi"}  # mode left empty: omitted

    user.find("f-volume").type("30")
    user.find("f-items").type("1, 2, x")
    user.find("f-point").type("{not json")
    user.find("read").click()
    assert results[-1][1] == ["volume: must be at most 25", "items: 'x' is not a whole number",
                              "point: not valid JSON (Expecting property name enclosed in "
                              "double quotes)"]
    await user.should_see("volume: must be at most 25")

    user.find("f-volume").clear().type("2.5")
    user.find("f-items").clear().type("[4, 5]")
    user.find("f-point").clear().type('{"x": 1.5}')
    user.find("f-mode").elements.pop().value = "None"
    user.find("f-flag").click()
    user.find("read").click()
    assert results[-1] == ({"volume": 2.5, "count": 3, "flag": False, "mode": None,
                            "items": [4, 5], "point": {"x": 1.5}, "note": "hi"}, [])
