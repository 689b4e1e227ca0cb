"""Import of Python source: statements, round trip with render_python, problems by line."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivorygrpc.workflow.imported import ImportProblem, ImportResult
from ivorygrpc.workflow.python_import import import_python
from ivorygrpc.workflow.render_python import render_python
from ivorygrpc.workflow.validate import validate
from tests.unit.workflow.test_ivoryos_import import small_deck, without_ids

PROPERTY = settings(max_examples=300, deadline=None, database=None)


def lit(value: Any) -> dict[str, Any]:
    return {"literal": value}


def one(source: str, **kwargs: Any) -> ImportResult:
    results = import_python(textwrap.dedent(source), **kwargs)
    assert len(results) == 1
    return results[0]


# Everything render_python writes that import_python reads back exactly.
ROUND_TRIP: dict[str, Any] = {
    "display_name": "Synthesis", "description": "dose and analyse", "deck": "sdl_deck",
    "registered": False,
    "prep": [{"call": {"instrument": "pump", "method": "prime", "arguments": {}}},
             {"set_variable": {"name": "runs", "value": lit(0)}}],
    "main": [
        {"call": {"instrument": "sdl", "method": "dose_solvent", "arguments": {
            "solvent": lit("ETHANOL"), "volume_ml": {"parameter": "volume"},
            "note": lit({"a": [1, -2.5, None, True, "x"]})}}},
        {"call": {"instrument": "sdl", "method": "analyze",
                  "arguments": {"wavelengths_nm": lit([254, 280])},
                  "save_as": ["yield_pct", "", "purity_pct"], "once_per_batch": True}},
        {"if_else": {
            "condition": "yield_pct > 50 and purity_pct >= #min_purity",
            "then_steps": [{"set_variable": {"name": "ok", "value": lit(True)}}],
            "else_steps": [{"if_else": {
                "condition": "yield_pct > 10 or not purity_pct < 3", "then_steps": [],
                "else_steps": [{"pause": {"message": "Check the flask"}}]}}]}},
        {"while_loop": {"condition": "temp < #target", "max_iterations": 20, "steps": [
            {"call": {"instrument": "sdl", "method": "get_temperature", "arguments": {},
                      "save_as": ["temp"]}},
            {"set_variable": {"name": "runs", "value": {"expression": "runs + 1"}}}]}},
        {"while_loop": {"condition": "not done", "steps": [
            {"call": {"instrument": "sdl", "method": "check", "arguments": {},
                      "save_as": ["done"]}}]}},
        {"repeat": {"count": {"parameter": "cycles"}, "steps": [
            {"wait": {"seconds": {"expression": "#delay * 2"}}},
            {"repeat": {"count": lit(3), "steps": []}}]}},
        {"input": {"name": "note", "prompt": "Any note?", "type": "INPUT_TYPE_NUMBER"}},
        {"input": {"name": "who", "prompt": "Operator?", "type": "INPUT_TYPE_STRING"}},
        {"input": {"name": "n", "prompt": "", "type": "INPUT_TYPE_INTEGER"}},
        {"input": {"name": "go", "prompt": "Go?", "type": "INPUT_TYPE_BOOLEAN"}},
        {"call": {"instrument": "sdl", "method": "set_temperature",
                  "arguments": {"value": {"variable": "temp"}}}},
        {"call": {"instrument": "sdl", "method": "set_rate",
                  "arguments": {"value": lit(-1)}, "once_per_batch": True}},
        {"set_variable": {"name": "total", "value": {
            "expression": "round(#volume * 1.5, 2) + len('#x') - -yield_pct ** 2"}}},
        {"set_variable": {"name": "copy", "value": {"variable": "total"}}},
        {"set_variable": {"name": "vol", "value": {"parameter": "volume"}}},
        {"call_workflow": {"workflow": "wash-cycle", "version": 2,
                           "arguments": {"times": lit(2)}, "save_as": ["washed", ""]}},
        {"call_workflow": {"workflow": "shutdown", "arguments": {}}},
        {"call": {"instrument": "blocks", "method": "mix", "arguments": {"speed": lit(None)},
                  "save_as": [""]}}],
    "cleanup": [{"wait": {"seconds": lit(0.1)}}, {"pause": {"message": ""}}],
}


def test_round_trip_body_render_import_gives_the_same_tree() -> None:
    text = render_python("synthesis", ROUND_TRIP)
    result = one(text, name="synthesis")
    assert result.name == "synthesis"
    assert result.warnings == ()
    assert {k: v for k, v in result.body.items() if k not in ("prep", "main", "cleanup")} == {
        k: v for k, v in ROUND_TRIP.items() if k not in ("prep", "main", "cleanup")}
    for phase in ("prep", "main", "cleanup"):
        assert without_ids(result.body[phase]) == ROUND_TRIP[phase], phase
    # and the second round is stable, ids included
    again = one(render_python("synthesis", result.body), name="synthesis")
    assert again.body == result.body


def test_workflow_calls_keep_the_name_and_version_render_python_noted() -> None:
    result = one("""
        def main():
            wash_cycle(times=1)  # workflow 'wash-cycle' version 3
            wash_cycle(times=2)  # workflow 'other' version 3
            dry_all()
    """)
    assert [s["call_workflow"] for s in result.body["main"]] == [
        {"workflow": "wash-cycle", "version": 3, "arguments": {"times": lit(1)}},
        {"workflow": "wash_cycle", "arguments": {"times": lit(2)}},
        {"workflow": "dry_all", "arguments": {}}]


def test_imported_steps_get_ids_in_document_order() -> None:
    result = one("""
        def main(x):
            if x > 1:
                sdl.a()
            else:
                sdl.b()
            sdl.c()
    """)
    main = result.body["main"]
    assert [main[0]["id"], main[0]["if_else"]["then_steps"][0]["id"],
            main[0]["if_else"]["else_steps"][0]["id"], main[1]["id"]] == ["s1", "s2", "s3", "s4"]


def test_expressions_are_normalised_to_one_spelling() -> None:
    result = one("""
        def main(x):
            y = (x*2)+ 1
            z = abs(  -y )
    """)
    assert without_ids(result.body["main"]) == [
        {"set_variable": {"name": "y", "value": {"expression": "#x * 2 + 1"}}},
        {"set_variable": {"name": "z", "value": {"expression": "abs(-y)"}}}]


def test_parameters_become_variables_once_assigned() -> None:
    result = one("""
        def main(x, count):
            x = x + 1
            count += 1
            sdl.go(a=x, b=count)
    """)
    assert without_ids(result.body["main"]) == [
        {"set_variable": {"name": "x", "value": {"expression": "#x + 1"}}},
        {"set_variable": {"name": "count", "value": {"expression": "#count + 1"}}},
        {"call": {"instrument": "sdl", "method": "go", "arguments": {
            "a": {"variable": "x"}, "b": {"variable": "count"}}}}]


def test_every_function_is_a_workflow_and_called_ones_are_registered() -> None:
    results = import_python(textwrap.dedent('''
        """Not used: no prep/main/cleanup here."""
        import time
        from lab_deck import *

        def wash(times):
            """Rinse the line."""
            for _ in range(times):
                pump.rinse()

        def run(volume):
            wash(times=2)
            time.sleep(volume)
    '''))
    assert [r.name for r in results] == ["wash", "run"]
    wash, run = results
    assert wash.body["registered"] is True and run.body["registered"] is False
    assert wash.body["description"] == "Rinse the line." and wash.body["deck"] == "lab_deck"
    assert without_ids(wash.body["main"]) == [{"repeat": {"count": {"parameter": "times"},
                                                         "steps": [{"call": {
                                                             "instrument": "pump",
                                                             "method": "rinse",
                                                             "arguments": {}}}]}}]
    assert without_ids(run.body["main"]) == [
        {"call_workflow": {"workflow": "wash", "arguments": {"times": lit(2)}}},
        {"wait": {"seconds": {"parameter": "volume"}}}]
    assert wash.body["prep"] == wash.body["cleanup"] == []


def test_phase_functions_form_one_workflow_beside_the_others() -> None:
    results = import_python(textwrap.dedent("""
        import deck

        def prep():
            deck.pump.prime()

        def main(v):
            deck.sdl.temperature = v
            t = deck.sdl.temperature
            helper()

        def helper():
            pass
    """), name="my run")
    assert [r.name for r in results] == ["my_run", "helper"]
    assert without_ids(results[0].body["main"]) == [
        {"call": {"instrument": "sdl", "method": "set_temperature",
                  "arguments": {"value": {"parameter": "v"}}}},
        {"call": {"instrument": "sdl", "method": "get_temperature", "arguments": {},
                  "save_as": ["t"]}},
        {"call_workflow": {"workflow": "helper", "arguments": {}}}]
    assert results[1].body["registered"] is True and results[1].body["main"] == []


def test_unsupported_constructs_are_reported_with_their_line() -> None:
    source = textwrap.dedent("""\
        import os
        LIMIT = 5

        def main(x, *rest, y=2):
            import math
            with open("f") as f:
                sdl.go()
            try:
                sdl.go()
            except Exception:
                pass
            for item in [1, 2]:
                sdl.go()
            f = lambda: 1
            def inner():
                pass
            sdl.go(1, speed=2)
            a = sdl.values[0]
            b = x.real
            c = [i for i in range(3)]
            os.system("ls")
            print("hi")
            sdl.deep.call()
            if x in [1, 2]:
                sdl.go()
            while True:
                break
            else:
                sdl.stop()
            return 42
    """)
    result = one(source)
    lines = source.splitlines()
    comments = [s["comment"]["text"] for s in result.body["main"] if "comment" in s]
    assert comments == [
        "unsupported: import math", 'unsupported: with open("f") as f:', "unsupported: try:",
        "unsupported: for item in [1, 2]:", "unsupported: f = lambda: 1",
        "unsupported: def inner():", "unsupported: sdl.go(1, speed=2)",
        "unsupported: a = sdl.values[0]", "unsupported: b = x.real",
        "unsupported: c = [i for i in range(3)]", 'unsupported: os.system("ls")',
        'unsupported: print("hi")', "unsupported: sdl.deep.call()", "unsupported: else: sdl.stop()"]
    loop = result.body["main"][-2]["while_loop"]
    assert loop["condition"] == "True" and loop["steps"][0]["comment"]["text"] == (
        "unsupported: break")
    condition = next(s for s in result.body["main"] if "if_else" in s)["if_else"]["condition"]
    assert condition == "x in [1, 2]"
    numbered = {w.split(":")[0] for w in result.warnings}
    for needle in ["LIMIT = 5", "def main", "import math", "with open", "try:", "for item",
                   "lambda", "def inner", "sdl.go(1", "sdl.values", "x.real", "[i for",
                   "os.system", "print", "sdl.deep", "if x in", "break", "sdl.stop",
                   "return 42"]:
        line = next(n for n, text in enumerate(lines, start=1) if needle in text)
        assert f"line {line}" in numbered, needle
    assert not any("line 1:" in w for w in result.warnings)  # imports are silent
    assert any("positional arguments" in w for w in result.warnings)
    assert any("attribute access" in w for w in result.warnings)
    assert any("subscripts" in w for w in result.warnings)
    assert any("return value is ignored" in w for w in result.warnings)


def test_returns_of_outputs_are_silent_early_returns_are_not() -> None:
    quiet = one("""
        def main():
            a = sdl.read()
            b, c = sdl.pair()
            return {"a": a, "b": b}
    """)
    assert quiet.warnings == ()
    early = one("""
        def main(x):
            if x:
                return
            sdl.go()
    """)
    assert early.warnings == ("line 4: 'return' before the end of the function is not "
                              "supported; kept as a comment",)


def test_imported_source_validates_against_the_deck() -> None:
    result = one("""
        def main(volume):
            a, b = sdl.measure(volume=volume)
            if a > 1:
                c = a + b
            else:
                c = 0
            sdl.log(value=c)
    """)
    deck = small_deck(sdl={"measure": (("volume",), 2), "log": (("value",), 0)})
    assert validate(result.name, result.body, deck, lambda name, version: None) == []


def test_syntax_errors_and_empty_sources_are_import_problems() -> None:
    with pytest.raises(ImportProblem) as caught:
        import_python("def main():\n    sdl.go(\n")
    assert caught.value.line is not None and str(caught.value).startswith("line ")
    with pytest.raises(ImportProblem, match="no top-level function"):
        import_python("import time\nx = 1\n")
    with pytest.raises(ImportProblem):
        import_python("def main():\n    pass\x00\n")


FRAGMENTS = ["def main(x, y=1):", "def prep():", "async def f(*a, **k):", "    pass",
             "    sdl.go(speed=x)", "    a, _ = sdl.read()", "    if x > 1:", "    else:",
             "        time.sleep(x)", "    while a:", "        break", "    for _ in range(3):",
             "    for i in range(x, 2):", "    return {'a': a}", "    x += 1", "    y: int",
             "    sdl.t = a[0]", "    b = int(input('n'))", "    input(x)", "    z = -(-(-1))",
             "import deck", "from lab import *", "X = 1", "    c = deck.sdl.v", "    w(q=1)",
             "    e = 1 if x else 2", "    f = f'{x}'", "    g = x @ y", "    h = 'a' 'b'",
             "    i = 10 ** 1000", "    j = '\\x00'", "    k = max()", "@dec", "class C:",
             "    l = (lambda: 0)()", "    await sdl.go()", "    m = 1e999", "    del x"]


@PROPERTY
@given(st.text(max_size=200))
def test_random_text_only_raises_import_problem(source: str) -> None:
    try:
        results = import_python(source)
    except ImportProblem:
        return
    assert all(isinstance(r, ImportResult) for r in results)


@PROPERTY
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25))
def test_random_programs_only_raise_import_problem(lines: list[str]) -> None:
    try:
        results = import_python("\n".join(lines))
    except ImportProblem:
        return
    for result in results:
        render_python(result.name, result.body)  # whatever was imported renders again
