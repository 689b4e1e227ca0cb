"""Rendering a workflow as a Python script: every step kind, names, values, validity."""

from __future__ import annotations

import ast
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ivorygrpc.workflow.render_python import py_name, render_python

PROPERTY = settings(max_examples=200, deadline=None, database=None)


def lit(value: Any) -> dict[str, Any]:
    return {"literal": value}


EVERY_KIND: dict[str, Any] = {
    "display_name": "Synthesis", "description": "dose and analyse", "deck": "sdl_deck",
    "registered": True,
    "prep": [{"id": "p1", "call": {"instrument": "pump", "method": "prime", "arguments": {}}}],
    "main": [
        {"id": "m1", "call": {"instrument": "sdl", "method": "dose_solvent", "arguments": {
            "solvent": lit("ETHANOL"), "volume_ml": {"parameter": "volume"}}}},
        {"id": "m2", "call": {"instrument": "sdl", "method": "analyze",
                              "arguments": {"wavelengths_nm": lit([254, 280])},
                              "save_as": ["yield_pct", "", "purity_pct"],
                              "once_per_batch": True}},
        {"id": "m3", "if_else": {
            "condition": "yield_pct > 50 and purity_pct >= #min_purity",
            "then_steps": [{"id": "m4", "set_variable": {"name": "ok", "value": lit(True)}}],
            "else_steps": [{"id": "m5", "if_else": {
                "condition": "yield_pct > 10", "then_steps": [],
                "else_steps": [{"id": "m6", "pause": {"message": "Check the flask"}}]}}]}},
        {"id": "m7", "while_loop": {"condition": "temp < 50", "max_iterations": 20, "steps": [
            {"id": "m8", "call": {"instrument": "sdl", "method": "get_temperature",
                                  "arguments": {}, "save_as": ["temp"]}}]}},
        {"id": "m9", "while_loop": {"condition": "not done", "steps": []}},
        {"id": "m10", "repeat": {"count": lit(3.0), "steps": [
            {"id": "m11", "wait": {"seconds": {"expression": "#delay * 2"}}}]}},
        {"id": "m12", "input": {"name": "note", "prompt": "Any note?",
                                "type": "INPUT_TYPE_NUMBER"}},
        {"id": "m13", "comment": {"text": "line one\nline two"}},
        {"id": "m14", "disabled": True, "call": {"instrument": "sdl",
                                                 "method": "set_temperature",
                                                 "arguments": {"value": lit(25)}}},
        {"id": "m15", "call": {"instrument": "sdl", "method": "set_temperature",
                               "arguments": {"value": {"variable": "temp"}}}},
        {"id": "m16", "set_variable": {"name": "total", "value": {
            "expression": "round(#volume * 1.5, 2) + len('#x')"}}},
        {"id": "m17", "call_workflow": {"workflow": "wash-cycle", "version": 2,
                                        "arguments": {"times": lit(2)},
                                        "save_as": ["washed"]}},
        {"id": "m18", "call": {"instrument": "blocks", "method": "mix",
                               "arguments": {"speed": lit(None)}}},
        {"id": "m19", "disabled": True, "repeat": {"count": {"parameter": "n"}, "steps": [
            {"id": "m20", "comment": {"text": "x"}}]}},
    ],
    "cleanup": [{"id": "c1", "wait": {"seconds": lit(0.1)}}],
}

EXPECTED = '''\
"""Synthesis: dose and analyse"""
import time

from sdl_deck import *  # noqa: F403  (the deck's instruments)


def prep() -> None:
    pump.prime()


def main(volume, min_purity, delay) -> dict:
    sdl.dose_solvent(solvent='ETHANOL', volume_ml=volume)
    yield_pct, _, purity_pct = sdl.analyze(wavelengths_nm=[254, 280])  # once per batch
    if yield_pct > 50 and purity_pct >= min_purity:
        ok = True
    elif yield_pct > 10:
        pass
    else:
        input('Check the flask')  # pause until the operator continues
    for _ in range(20):  # while temp < 50, at most 20 passes
        if not temp < 50:
            break
        temp = sdl.temperature
    while not done:  # at most 1000 passes
        pass
    for _ in range(3):
        time.sleep(delay * 2)
    note = float(input('Any note?'))
    # line one
    # line two
    # disabled: sdl.temperature = 25
    sdl.temperature = temp
    total = round(volume * 1.5, 2) + len('#x')
    washed = wash_cycle(times=2)  # workflow 'wash-cycle' version 2
    blocks.mix(speed=None)
    # disabled: for _ in range(n):
    # disabled:     # x
    # disabled:     pass
    return {
        "yield_pct": yield_pct,
        "purity_pct": purity_pct,
        "ok": ok,
        "temp": temp,
        "note": note,
        "total": total,
        "washed": washed,
    }


def cleanup() -> None:
    time.sleep(0.1)
'''


def test_every_step_kind_renders_as_expected() -> None:
    text = render_python("synthesis", EVERY_KIND)
    assert text == EXPECTED
    ast.parse(text)


def test_empty_workflow_and_header_fallbacks() -> None:
    text = render_python("empty", {})
    assert text.startswith('"""empty"""\nimport time\n\nfrom deck import *')
    assert "def prep() -> None:\n    pass" in text and "def main() -> None:\n    pass" in text
    odd = render_python("x", {"display_name": 'say """hi"""\\', "deck": "not a module"})
    assert odd.startswith("'say \"\"\"hi\"\"\"\\\\'\n") and "# deck: not a module" in odd
    assert ast.get_docstring(ast.parse(odd)) == 'say """hi"""\\'


def test_parameters_are_arguments_of_the_phase_that_uses_them() -> None:
    body = {"prep": [{"wait": {"seconds": {"parameter": "settle"}}}],
            "main": [{"if_else": {"condition": "#b > #a", "then_steps": [
                {"wait": {"seconds": {"parameter": "a"}}}], "else_steps": []}},
                {"disabled": True, "wait": {"seconds": {"parameter": "unused"}}}]}
    text = render_python("w", body)
    assert "def prep(settle) -> None:" in text and "def main(b, a) -> None:" in text


def test_expressions_names_and_literals() -> None:
    body = {"main": [
        {"set_variable": {"name": "a", "value": {"expression": "true and not null or false"}}},
        {"set_variable": {"name": "b", "value": {"expression": "007 + #class * (1 + 2) ** 2"}}},
        {"set_variable": {"name": "c", "value": {"expression": "'#a' + \"it's\""}}},
        {"set_variable": {"name": "d", "value": {"expression": "a."}}},
        {"set_variable": {"name": "e", "value": lit({"k": [1.5, None, False]})}},
        {"set_variable": {"name": "f", "value": {"oops": 1}}},
        {"call": {"instrument": "my-pump", "method": "go", "arguments": {
            "a-b": lit(1), "a_b": lit(2), "lambda": {"variable": "for"}}}}]}
    text = render_python("w", body)
    assert "a = True and (not None) or False" in text
    assert "b = 7 + class_ * (1 + 2) ** 2" in text
    assert "c = '#a' + \"it's\"" in text
    assert "d = _invalid_expression('a.')" in text
    assert "e = {'k': [1.5, None, False]}" in text
    assert "f = _invalid_value(\"{'oops': 1}\")" in text
    assert "my_pump.go(a_b=1, a_b_=2, lambda_=for_)" in text
    assert "def main(class_) -> dict:" in text
    ast.parse(text)


def test_py_name() -> None:
    assert [py_name(n) for n in ["x", "class", "2x", "", "a b", "é"]] == [
        "x", "class_", "_2x", "_", "a_b", "_"]


def test_comments_and_messages_cannot_break_the_source() -> None:
    nasty = "a\x00b\r\nc\u2028d\x0ce\ud800\\"
    body = {"main": [{"comment": {"text": nasty}}, {"pause": {"message": nasty}},
                     {"input": {"name": "x", "prompt": nasty, "type": "INPUT_TYPE_BOOLEAN"}},
                     {"call_workflow": {"workflow": nasty, "arguments": {}}}],
            "description": nasty}
    ast.parse(render_python(nasty, body))


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(), lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(), inner, max_size=3), max_leaves=8)
VALUE = st.one_of(st.builds(lambda v: {"literal": v}, JSON),
                  st.builds(lambda v: {"parameter": v}, st.text(max_size=8)),
                  st.builds(lambda v: {"variable": v}, st.text(max_size=8)),
                  st.builds(lambda v: {"expression": v}, st.text(max_size=20)),
                  st.dictionaries(st.text(max_size=3), JSON, max_size=2))


def leaf_steps() -> st.SearchStrategy[dict[str, Any]]:
    text, names = st.text(max_size=12), st.lists(st.text(max_size=6), max_size=3)
    return st.one_of(
        st.builds(lambda i, m, a, s, o: {"call": {"instrument": i, "method": m, "arguments": a,
                                                  "save_as": s, "once_per_batch": o}},
                  text, text, st.dictionaries(text, VALUE, max_size=3), names, st.booleans()),
        st.builds(lambda n, v: {"set_variable": {"name": n, "value": v}}, text, VALUE),
        st.builds(lambda v: {"wait": {"seconds": v}}, VALUE),
        st.builds(lambda m: {"pause": {"message": m}}, text),
        st.builds(lambda n, p, t: {"input": {"name": n, "prompt": p, "type": t}}, text, text,
                  st.sampled_from(["INPUT_TYPE_STRING", "INPUT_TYPE_BOOLEAN", "?"])),
        st.builds(lambda t: {"comment": {"text": t}}, text),
        st.builds(lambda w, v, a, s: {"call_workflow": {"workflow": w, "version": v,
                                                        "arguments": a, "save_as": s}},
                  text, st.integers(0, 5) | st.text(max_size=3),
                  st.dictionaries(text, VALUE, max_size=2), names),
        st.builds(dict, st.just({}), text=text))


def with_flags(kind: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda s, d: {**s, "disabled": True} if d else s, kind, st.booleans())


STEPS = st.recursive(st.lists(with_flags(leaf_steps()), max_size=3), lambda inner: st.lists(
    with_flags(st.one_of(
        st.builds(lambda c, t, e: {"if_else": {"condition": c, "then_steps": t,
                                               "else_steps": e}}, st.text(max_size=15), inner,
                  inner),
        st.builds(lambda c, s, m: {"while_loop": {"condition": c, "steps": s,
                                                  "max_iterations": m}},
                  st.text(max_size=15), inner, st.integers(-2, 5)),
        st.builds(lambda c, s: {"repeat": {"count": c, "steps": s}}, VALUE, inner))),
    max_size=3), max_leaves=12)


@PROPERTY
@given(st.text(max_size=10), st.text(max_size=10), STEPS, STEPS, st.text(max_size=10))
def test_any_body_renders_as_valid_python(name: str, deck: str, prep: list[Any],
                                          main: list[Any], description: str) -> None:
    body = {"deck": deck, "description": description, "prep": prep, "main": main}
    ast.parse(render_python(name, body))
