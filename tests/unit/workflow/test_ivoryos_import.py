"""Import of IvoryOS stored scripts: step shapes, block markers, values and warnings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivorygrpc.deck.model import (
    DeckSpec,
    FieldSpec,
    InstrumentSpec,
    Kind,
    OperationKind,
    OperationSpec,
    ParamSpec,
    ReturnKind,
    ReturnSpec,
    TypeSpec,
)
from ivorygrpc.workflow.imported import ImportProblem
from ivorygrpc.workflow.ivoryos_import import ImportResult, import_ivoryos
from ivorygrpc.workflow.validate import iter_steps, validate

PROPERTY = settings(max_examples=200, deadline=None, database=None)


def small_deck(**instruments: dict[str, tuple[tuple[str, ...], int]]) -> DeckSpec:
    """A deck of untyped methods: instrument -> {method: (parameter names, results)}."""
    untyped = TypeSpec(Kind.ANY, "Any")

    def operation(name: str, params: tuple[str, ...], results: int) -> OperationSpec:
        returns = ReturnSpec(ReturnKind.NONE) if results == 0 else ReturnSpec(
            ReturnKind.SCALAR, (FieldSpec("result", untyped),)) if results == 1 else ReturnSpec(
            ReturnKind.TUPLE, tuple(FieldSpec(f"r{i}", untyped) for i in range(results)))
        return OperationSpec(name, name, name, OperationKind.METHOD,
                             tuple(ParamSpec(p, untyped) for p in params), returns)

    return DeckSpec("deck", tuple(
        InstrumentSpec(name, name == "blocks", name, "", tuple(
            operation(method, *shape) for method, shape in methods.items()))
        for name, methods in instruments.items()))


def step(number: int, instrument: str, action: str, args: dict[str, Any] | None = None,
         ret: Any = "", uuid: int | None = None, **extra: Any) -> dict[str, Any]:
    """An IvoryOS step as the editor stores it."""
    return {"id": number, "instrument": instrument, "action": action, "args": args or {},
            "return": ret, "uuid": uuid if uuid is not None else 1000 + number, **extra}


def script(main: list[dict[str, Any]], prep: list[dict[str, Any]] | None = None,
           cleanup: list[dict[str, Any]] | None = None, **meta: Any) -> dict[str, Any]:
    return {"name": "demo", "deck": "sdl_deck", "status": "editing", "registered": False,
            "description": "", **meta,
            "script_dict": {"prep": prep or [], "script": main, "cleanup": cleanup or []},
            "id_order": {"prep": [], "script": [], "cleanup": []}}


def without_ids(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in steps:
        item = {k: v for k, v in item.items() if k != "id"}
        for kind in ("if_else", "while_loop", "repeat"):
            if kind in item:
                item[kind] = {k: without_ids(v) if k.endswith("steps") else v
                              for k, v in item[kind].items()}
        out.append(item)
    return out


def main_of(result: ImportResult) -> list[dict[str, Any]]:
    return without_ids(result.body["main"])


def all_steps(result: ImportResult) -> Iterator[dict[str, Any]]:
    for phase in ("prep", "main", "cleanup"):
        yield from iter_steps(result.body[phase])


def test_metadata_phases_calls_parameters_and_tuple_returns() -> None:
    result = import_ivoryos(script(
        prep=[step(1, "deck.pump", "prime")],
        main=[step(1, "deck.sdl", "dose_solvent", {"solvent": "ETHANOL", "volume_ml": "#volume"}),
              step(2, "deck.sdl", "analyze", {"wavelengths_nm": [254, 280]},
                   ["yield_pct", "", "purity_pct"], batch_action=True, coroutine=False),
              step(3, "deck.sdl", "log", {"value": "#yield_pct", "tag": "purity_pct"})],
        cleanup=[step(1, "wait", "wait", {"statement": 0.5})],
        name="my demo", description="dose and analyse", registered=True))
    assert result.name == "my_demo"
    assert result.body["display_name"] == "my demo"
    assert result.body["description"] == "dose and analyse"
    assert result.body["deck"] == "sdl_deck" and result.body["registered"] is True
    assert result.body["prep"] == [{"id": "s1", "call": {"instrument": "pump", "method": "prime",
                                                         "arguments": {}}}]
    assert main_of(result) == [
        {"call": {"instrument": "sdl", "method": "dose_solvent", "arguments": {
            "solvent": {"literal": "ETHANOL"}, "volume_ml": {"parameter": "volume"}}}},
        {"call": {"instrument": "sdl", "method": "analyze",
                  "arguments": {"wavelengths_nm": {"literal": [254, 280]}},
                  "once_per_batch": True, "save_as": ["yield_pct", "", "purity_pct"]}},
        # `#name` of an earlier return is that variable; a bare name equal to one too
        {"call": {"instrument": "sdl", "method": "log", "arguments": {
            "value": {"variable": "yield_pct"}, "tag": {"variable": "purity_pct"}}}}]
    assert result.body["cleanup"] == [{"id": "s5", "wait": {"seconds": {"literal": 0.5}}}]
    assert [s["id"] for s in all_steps(result)] == ["s1", "s2", "s3", "s4", "s5"]
    assert result.warnings == (
        "the name 'my demo' is imported as 'my_demo'",
        "script step 3: 'purity_pct' is read as a reference to the variable 'purity_pct'")


def test_if_else_endif_markers_become_a_nested_block() -> None:
    result = import_ivoryos(script([
        step(1, "deck.sdl", "measure", ret="level"),
        step(2, "if", "if", {"statement": "level > #threshold"}, uuid=7),
        step(3, "deck.sdl", "drain"),
        step(4, "if", "if", {"statement": "#level > 90"}, uuid=8),
        step(5, "pause", "pause", {"statement": "very full"}),
        step(6, "if", "else", uuid=8),
        step(7, "if", "endif", uuid=8),
        step(8, "if", "else", uuid=7),
        step(9, "comment", "comment", {"statement": "level #level is fine"}),
        step(10, "if", "endif", uuid=7),
        step(11, "deck.sdl", "stir")]))
    assert main_of(result) == [
        {"call": {"instrument": "sdl", "method": "measure", "arguments": {},
                  "save_as": ["level"]}},
        {"if_else": {"condition": "level > #threshold", "then_steps": [
            {"call": {"instrument": "sdl", "method": "drain", "arguments": {}}},
            {"if_else": {"condition": "level > 90",
                         "then_steps": [{"pause": {"message": "very full"}}],
                         "else_steps": []}}],
            "else_steps": [{"comment": {"text": "level #level is fine"}}]}},
        {"call": {"instrument": "sdl", "method": "stir", "arguments": {}}}]
    assert [s["id"] for s in all_steps(result)] == [f"s{n}" for n in range(1, 8)]
    assert result.warnings == ()


def test_while_and_repeat_markers() -> None:
    result = import_ivoryos(script([
        step(1, "variable", "temp", {"statement": 20.0}, arg_types={"statement": "float"}),
        step(2, "while", "while", {"statement": "temp < #target", "max_iterations": 50},
             uuid=3),
        step(3, "deck.sdl", "read_temperature", ret="temp"),
        step(4, "repeat", "repeat", {"statement": "#cycles"}, uuid=4),
        step(5, "wait", "wait", {"statement": "#delay"}),
        step(6, "repeat", "endrepeat", uuid=4),
        step(7, "while", "endwhile", uuid=3),
        step(8, "repeat", "repeat", {"statement": 3}, uuid=9),
        step(9, "repeat", "endrepeat", uuid=9)]))
    assert main_of(result) == [
        {"set_variable": {"name": "temp", "value": {"literal": 20.0}}},
        {"while_loop": {"condition": "temp < #target", "max_iterations": 50, "steps": [
            {"call": {"instrument": "sdl", "method": "read_temperature", "arguments": {},
                      "save_as": ["temp"]}},
            {"repeat": {"count": {"parameter": "cycles"}, "steps": [
                {"wait": {"seconds": {"parameter": "delay"}}}]}}]}},
        {"repeat": {"count": {"literal": 3}, "steps": []}}]
    assert result.warnings == ()


def test_variables_math_and_input() -> None:
    result = import_ivoryos(script([
        step(1, "variable", "count", {"statement": 5}, arg_types={"statement": "int"}),
        step(2, "variable", "flag", {"statement": "yes"}, arg_types={"statement": "bool"}),
        step(3, "variable", "ratio", {"statement": "0.5"}, arg_types={"statement": "float"}),
        step(4, "variable", "label", {"statement": "#sample"}, arg_types={"statement": "str"}),
        step(5, "math_variable", "total", {"statement": "#count * 2 + (#x - 1)"},
             arg_types={"statement": "float"}),
        step(6, "math_variable", "text", {"statement": "label + '#count'"},
             arg_types={"statement": "str"}),
        step(7, "input", "note", {"statement": "How many?"}, "note",
             arg_types={"statement": "int"}),
        step(8, "input", "who", {"statement": "Operator?"}, "who",
             arg_types={"statement": "str"})]))
    assert main_of(result) == [
        {"set_variable": {"name": "count", "value": {"literal": 5}}},
        {"set_variable": {"name": "flag", "value": {"literal": True}}},
        {"set_variable": {"name": "ratio", "value": {"literal": 0.5}}},
        {"set_variable": {"name": "label", "value": {"parameter": "sample"}}},
        # `#count` was set before: our variable; `#x` was not: a run parameter
        {"set_variable": {"name": "total", "value": {"expression":
                                                     "float(count * 2 + (#x - 1))"}}},
        # `#count` inside a string literal is text, left alone
        {"set_variable": {"name": "text", "value": {"expression": "label + '#count'"}}},
        {"input": {"name": "note", "prompt": "How many?", "type": "INPUT_TYPE_INTEGER"}},
        {"input": {"name": "who", "prompt": "Operator?", "type": "INPUT_TYPE_STRING"}}]
    assert result.warnings == ()


def test_setters_blocks_pause_comment_and_workflow_calls() -> None:
    result = import_ivoryos(script([
        step(1, "deck.sdl", "temperature_(setter)", {"value": 25}),
        step(2, "deck.sdl", "rate_(setter)", {"rate": "#rate"}),
        step(3, "blocks.general", "mix_all", {"speed": 3}, "mixed"),
        step(4, "pause", "pause", {"statement": "Load the vials"}),
        step(5, "comment", "comment", {"statement": "volume is #volume"}),
        step(6, "workflows", "wash_cycle", {"times": "#times"}, "washed",
             workflow=[step(1, "deck.pump", "wash")])]))
    assert main_of(result) == [
        {"call": {"instrument": "sdl", "method": "set_temperature",
                  "arguments": {"value": {"literal": 25}}}},
        {"call": {"instrument": "sdl", "method": "set_rate",
                  "arguments": {"value": {"parameter": "rate"}}}},
        {"call": {"instrument": "blocks", "method": "mix_all",
                  "arguments": {"speed": {"literal": 3}}, "save_as": ["mixed"]}},
        {"pause": {"message": "Load the vials"}},
        {"comment": {"text": "volume is #volume"}},
        {"call_workflow": {"workflow": "wash_cycle", "arguments": {
            "times": {"parameter": "times"}}, "save_as": ["washed"]}}]
    assert result.warnings == ("script step 6: calls the saved workflow 'wash_cycle' by name "
                               "(IvoryOS had copied its steps into this step)",)


def test_disabled_steps_and_blocks_stay_disabled() -> None:
    result = import_ivoryos(script([
        step(1, "deck.sdl", "stir", disabled=True),
        step(2, "if", "if", {"statement": "True"}, uuid=5, disabled=True),
        step(3, "deck.sdl", "drain"),
        step(4, "if", "else", uuid=5, disabled=True),
        step(5, "if", "endif", uuid=5, disabled=True)]))
    assert main_of(result) == [
        {"disabled": True, "call": {"instrument": "sdl", "method": "stir", "arguments": {}}},
        {"disabled": True, "if_else": {"condition": "True", "then_steps": [
            {"call": {"instrument": "sdl", "method": "drain", "arguments": {}}}],
            "else_steps": []}}]


def test_unbalanced_markers_are_reported_by_step_id() -> None:
    result = import_ivoryos(script([
        step(1, "if", "else", uuid=1),
        step(2, "while", "endwhile", uuid=2),
        step(3, "if", "if", {"statement": "True"}, uuid=3),
        step(4, "while", "while", {"statement": "False"}, uuid=4),
        step(5, "deck.sdl", "stir"),
        step(6, "if", "endif", uuid=3),  # closes the while too
        step(7, "repeat", "repeat", {"statement": 2}, uuid=5),
        step(8, "deck.sdl", "drain")]))
    assert main_of(result) == [
        {"if_else": {"condition": "True", "then_steps": [
            {"while_loop": {"condition": "False", "steps": [
                {"call": {"instrument": "sdl", "method": "stir", "arguments": {}}}]}}],
            "else_steps": []}},
        {"repeat": {"count": {"literal": 2}, "steps": [
            {"call": {"instrument": "sdl", "method": "drain", "arguments": {}}}]}}]
    assert result.warnings == (
        "script step 1: 'else' without an open 'if'; ignored",
        "script step 2: 'endwhile' without an open 'while'; ignored",
        "script step 4: 'while' is not closed before script step 6; closed there",
        "script step 7: 'repeat' is never closed; its block runs to the end of script")


def test_unsupported_steps_become_comments_with_a_warning() -> None:
    result = import_ivoryos(script([
        step(1, "pro_code", "execute", {"statement": "import os"}),
        step(2, "deck.sdl.pump", "dispense", {"volume": 1}),
        step(3, "some thing", "go"),
        step(4, "pump", "dispense", {"volume": 2}),
        step(5, "if", "if", {"statement": "vial in [1, 2]"}, uuid=9),
        step(6, "if", "endif", uuid=9)]))
    assert main_of(result) == [
        {"comment": {"text": 'unsupported IvoryOS step: pro_code.execute '
                             '{"statement": "import os"}'}},
        {"comment": {"text": 'unsupported IvoryOS step: deck.sdl.pump.dispense {"volume": 1}'}},
        {"comment": {"text": "unsupported IvoryOS step: some thing.go {}"}},
        {"call": {"instrument": "pump", "method": "dispense",
                  "arguments": {"volume": {"literal": 2}}}},
        {"if_else": {"condition": "vial in [1, 2]", "then_steps": [], "else_steps": []}}]
    assert [w.split(":")[0] for w in result.warnings] == [
        "script step 1", "script step 2", "script step 3", "script step 4", "script step 5"]
    assert "kept as a comment" in result.warnings[0]
    assert "no 'deck.' prefix" in result.warnings[3]
    assert "condition 'vial in [1, 2]' is not a valid expression" in result.warnings[4]


def test_values_that_need_a_second_look() -> None:
    result = import_ivoryos(script([
        step(1, "deck.sdl", "run", {"label": "sample #n", "amount": "#a + 1"}),
        step(2, "variable", "v", {"statement": "2*#k"}, arg_types={"statement": "int"}),
        step(3, "variable", "w", {"statement": "??"}, arg_types={"statement": "float"}),
        step(4, "wait", "wait", {"statement": 1}, batch_action=True)]))
    assert main_of(result) == [
        {"call": {"instrument": "sdl", "method": "run", "arguments": {
            "label": {"literal": "sample #n"}, "amount": {"expression": "#a + 1"}}}},
        {"set_variable": {"name": "v", "value": {"expression": "2*#k"}}},
        {"set_variable": {"name": "w", "value": {"literal": "??"}}},
        {"wait": {"seconds": {"literal": 1}}}]
    assert len(result.warnings) == 5 and all(w.startswith("script step ")
                                             for w in result.warnings)


def test_imported_body_passes_structural_validation() -> None:
    result = import_ivoryos(script(
        prep=[step(1, "deck.pump", "prime")],
        main=[step(1, "deck.sdl", "measure", {"volume": "#volume"}, ["a", "b"]),
              step(2, "if", "if", {"statement": "#a > 1"}, uuid=2),
              step(3, "math_variable", "c", {"statement": "#a + #b"},
                   arg_types={"statement": "float"}),
              step(4, "if", "else", uuid=2),
              step(5, "variable", "c", {"statement": 0}, arg_types={"statement": "int"}),
              step(6, "if", "endif", uuid=2),
              step(7, "deck.sdl", "log", {"value": "#c"})]))
    deck = small_deck(pump={"prime": ((), 0)},
                      sdl={"measure": (("volume",), 2), "log": (("value",), 0)})
    assert validate(result.name, result.body, deck, lambda name, version: None) == []


def test_not_an_ivoryos_script() -> None:
    with pytest.raises(ImportProblem, match="script_dict"):
        import_ivoryos({"name": "x"})
    result = import_ivoryos({"name": "", "script_dict": {"script": "oops", "prep": [42]}})
    assert result.name == "imported"
    assert result.body["main"] == [] and result.body["prep"][0]["comment"]
    assert result.warnings[-1] == "script: not a list of steps; ignored"


MARKERS = [("if", "if"), ("if", "else"), ("if", "endif"), ("while", "while"),
           ("while", "endwhile"), ("repeat", "repeat"), ("repeat", "endrepeat")]


@PROPERTY
@given(st.lists(st.one_of(st.tuples(st.sampled_from(MARKERS), st.integers(0, 3)),
                          st.just(None)), max_size=30))
def test_any_marker_soup_imports_and_keeps_every_step(items: list[Any]) -> None:
    steps = []
    for number, item in enumerate(items, start=1):
        if item is None:
            steps.append(step(number, "comment", "comment", {"statement": f"c{number}"}))
        else:
            (instrument, action), uuid = item
            steps.append(step(number, instrument, action, {"statement": "True"}, uuid=uuid))
    result = import_ivoryos(script(steps))
    comments = [s["comment"]["text"] for s in all_steps(result) if "comment" in s]
    assert comments == [f"c{n}" for n, item in enumerate(items, start=1) if item is None]
    ids = [s["id"] for s in all_steps(result)]
    assert ids == [f"s{n}" for n in range(1, len(ids) + 1)]


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
STEP_KEYS = st.sampled_from(["id", "instrument", "action", "args", "return", "uuid", "arg_types",
                             "disabled", "batch_action", "workflow", "consolidate_batch_args"])
LOOSE_STEP = st.dictionaries(STEP_KEYS, JSON | st.sampled_from(
    ["if", "else", "endif", "while", "endwhile", "repeat", "endrepeat", "deck.sdl", "blocks.b",
     "variable", "math_variable", "input", "wait", "pause", "comment", "workflows", "#x"]))


@PROPERTY
@given(st.dictionaries(st.sampled_from(["prep", "script", "cleanup"]),
                       st.lists(LOOSE_STEP, max_size=8) | JSON), JSON)
def test_any_json_imports_or_raises_import_problem(sections: dict[str, Any], name: Any) -> None:
    result = import_ivoryos({"name": name, "script_dict": sections})
    assert set(result.body) == {"display_name", "description", "deck", "registered", "prep",
                                "main", "cleanup"}
