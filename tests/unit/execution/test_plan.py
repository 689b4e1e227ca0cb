"""Run submissions: validation, repeat / rows / CSV parameters, conversion, pinned callees."""

import datetime
import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Annotated, Any

import pytest

from ivorygrpc import Range
from ivorygrpc.deck.decode import from_json
from ivorygrpc.deck.introspect import introspect_module
from ivorygrpc.deck.model import DeckSpec
from ivorygrpc.errors import FieldViolation, InvalidArguments
from ivorygrpc.execution.plan import RunPlan, check_workflow, lookup_from_source, plan_run
from ivorygrpc.execution.run_modes import CsvMode, Mode, RepeatMode, RowsMode, csv_template
from ivorygrpc.workflow.parameters import run_parameters

# -- a tiny deck --------------------------------------------------------------------------------


class Speed(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


@dataclass
class Point:
    x: float
    y: float = 0.0


class Pump:
    def dispense(self, volume: Annotated[float, Range(0, 25)], rate: float = 1.0) -> float:
        return volume

    def cycles(self, n: Annotated[int, Range(1, 10)]) -> None: ...

    def speed(self, speed: Speed) -> None: ...

    def flag(self, on: bool) -> None: ...

    def label(self, text: str) -> None: ...

    def level(self, level: int | None) -> None: ...

    def move(self, to: Point) -> None: ...

    def scan(self, wavelengths: list[float]) -> None: ...

    def stamp(self, when: datetime.datetime) -> None: ...

    def anything(self, value: Any) -> None: ...

    def settings(self, values: dict[str, Any]) -> None: ...


def _module() -> ModuleType:
    module = ModuleType("plan_deck")
    vars(module).update(pump=Pump())
    return module


DECK: DeckSpec = introspect_module(_module()).spec
OFFLINE = DeckSpec("other_deck", ())


def call(step_id: str, method: str, **arguments: Any) -> dict[str, Any]:
    return {"id": step_id, "call": {"instrument": "pump", "method": method,
                                    "arguments": arguments}}


def param(name: str) -> dict[str, Any]:
    return {"parameter": name}


def lit(value: Any) -> dict[str, Any]:
    return {"literal": value}


DOSE: dict[str, Any] = {"main": [
    call("m1", "dispense", volume=param("volume")),
    call("m2", "cycles", n=param("n")),
    call("m3", "speed", speed=param("speed")),
]}


# -- a fake library of saved workflows ----------------------------------------------------------


class Library:
    def __init__(self) -> None:
        self.versions: dict[str, list[dict[str, Any]]] = {}

    def save(self, name: str, body: dict[str, Any], registered: bool = True) -> int:
        self.versions.setdefault(name, []).append({**body, "registered": registered})
        return len(self.versions[name])

    def source(self, name: str, version: int | None) -> tuple[int, Mapping[str, Any]] | None:
        versions = self.versions.get(name, [])
        number = version or len(versions)
        if not 1 <= number <= len(versions):
            return None
        return number, versions[number - 1]

    def lookup(self, name: str, version: int | None) -> Mapping[str, Any] | None:
        return lookup_from_source(self.source)(name, version)


def plan(body: Mapping[str, Any], mode: Mode, batch_size: int = 1, *,
         library: Library | None = None, deck: DeckSpec = DECK,
         max_samples: int = 100_000) -> RunPlan:
    library = library or Library()
    return plan_run("wf", body, deck, mode, batch_size, library.lookup, source=library.source,
                    max_samples=max_samples)


def problems(body: Mapping[str, Any], mode: Mode, batch_size: int = 1,
             **kwargs: Any) -> dict[str, str]:
    with pytest.raises(InvalidArguments) as caught:
        plan(body, mode, batch_size, **kwargs)
    found: dict[str, str] = {}
    for v in caught.value.violations:
        assert isinstance(v, FieldViolation)
        found.setdefault(v.field, v.description)
    return found


def violations(body: Mapping[str, Any], mode: Mode, batch_size: int = 1,
               **kwargs: Any) -> list[FieldViolation]:
    with pytest.raises(InvalidArguments) as caught:
        plan(body, mode, batch_size, **kwargs)
    return list(caught.value.violations)


GOOD = {"volume": 1.5, "n": 3, "speed": "FAST"}


# -- repeat -------------------------------------------------------------------------------------


def test_repeat_gives_every_sample_of_every_iteration_the_same_parameters() -> None:
    result = plan(DOSE, RepeatMode(3, dict(GOOD)), batch_size=2)
    assert result.iterations == [[GOOD, GOOD]] * 3
    assert result.samples == 6
    assert result.workflows == {} and result.calls == {}
    # samples are separate dicts: changing one leaves the others alone
    result.iterations[0][0]["n"] = 99
    assert result.iterations[0][1]["n"] == 3


def test_values_are_converted_to_the_declared_type() -> None:
    result = plan(DOSE, RepeatMode(1, {"volume": 2, "n": 3.0, "speed": "SPEED_SLOW"}))
    (sample,) = result.iterations[0]
    assert sample == {"volume": 2.0, "n": 3, "speed": "SLOW"}
    assert type(sample["volume"]) is float and type(sample["n"]) is int


def test_every_kind_converts_to_json_that_decodes_back() -> None:
    body = {"main": [
        call("a", "flag", on=param("on")), call("b", "label", text=param("text")),
        call("c", "level", level=param("level")), call("d", "move", to=param("to")),
        call("e", "scan", wavelengths=param("wl")), call("f", "stamp", when=param("when")),
        call("g", "anything", value=param("any")), call("h", "settings", values=param("cfg")),
    ]}
    given = {"on": "yes", "text": " x ", "level": None, "to": {"x": 1}, "wl": [254, 280.5],
             "when": "2024-05-01T12:00:00Z", "any": 2.0, "cfg": {"a": [1, 2]}}
    (sample,) = plan(body, RepeatMode(1, given)).iterations[0]
    assert sample == {"on": True, "text": " x ", "level": None, "to": {"x": 1.0, "y": 0.0},
                      "wl": [254.0, 280.5], "when": "2024-05-01T12:00:00+00:00", "any": 2,
                      "cfg": {"a": [1, 2]}}
    types = {p.name: p.type for p in run_parameters(body, DECK)}
    for name, value in sample.items():
        assert json.loads(json.dumps(value)) == value
        assert from_json(value, types[name]) == from_json(given[name], types[name])


def test_repeat_needs_every_parameter_and_refuses_unknown_ones() -> None:
    found = problems(DOSE, RepeatMode(1, {"volume": 1, "n": 1, "sped": "FAST"}))
    assert set(found) == {"mode.repeat.parameters.sped", "mode.repeat.parameters.speed"}
    assert "'sped'" in found["mode.repeat.parameters.sped"]
    assert "volume, n, speed" in found["mode.repeat.parameters.sped"]  # the known names
    assert "required" in found["mode.repeat.parameters.speed"]


def test_repeat_reports_conversion_problems_by_parameter() -> None:
    found = problems(DOSE, RepeatMode(1, {"volume": "lots", "n": 2.5, "speed": "MEDIUM"}))
    assert set(found) == {"mode.repeat.parameters.volume", "mode.repeat.parameters.n",
                          "mode.repeat.parameters.speed"}
    assert "FAST, SLOW" in found["mode.repeat.parameters.speed"]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf", float("nan")])
def test_non_finite_numbers_are_refused(value: Any) -> None:
    found = problems(DOSE, RepeatMode(1, {**GOOD, "volume": value}))
    assert "finite" in found["mode.repeat.parameters.volume"]


def test_non_finite_numbers_inside_lists_and_records_are_refused() -> None:
    body = {"main": [call("a", "scan", wavelengths=param("wl")),
                     call("b", "move", to=param("to"))]}
    found = problems(body, RepeatMode(1, {"wl": [1, "nan"], "to": {"x": "inf"}}))
    assert set(found) == {"mode.repeat.parameters.wl", "mode.repeat.parameters.to"}


def test_nested_problems_name_the_nested_field() -> None:
    body = {"main": [call("a", "move", to=param("to")),
                     call("b", "scan", wavelengths=param("wl"))]}
    found = problems(body, RepeatMode(1, {"to": {"x": "far"}, "wl": [1, "x"]}))
    assert set(found) == {"mode.repeat.parameters.to.x", "mode.repeat.parameters.wl[1]"}


@pytest.mark.parametrize("count", [0, -1, 101])
def test_repeat_count_is_1_to_max_samples(count: int) -> None:
    found = problems(DOSE, RepeatMode(count, dict(GOOD)), max_samples=100)
    assert set(found) == {"mode.repeat.count"}


def test_repeat_count_times_batch_size_is_limited() -> None:
    assert plan(DOSE, RepeatMode(10, dict(GOOD)), 10, max_samples=100).samples == 100
    found = problems(DOSE, RepeatMode(11, dict(GOOD)), 10, max_samples=100)
    assert "110 samples" in found["mode.repeat.count"]


def test_a_workflow_without_parameters_repeats_with_empty_parameters() -> None:
    body = {"main": [call("a", "dispense", volume=lit(1))]}
    assert plan(body, RepeatMode(2, {})).iterations == [[{}], [{}]]
    found = problems(body, RepeatMode(2, {"volume": 1}))
    assert "no run parameters" in found["mode.repeat.parameters.volume"]


def test_untyped_parameters_keep_their_json_value() -> None:
    body = {"main": [{"id": "s", "set_variable": {"name": "v",
                                                   "value": {"expression": "#k * 2"}}}]}
    for value in (3, "text", [1, "a"], {"a": None}, None, True):
        assert plan(body, RepeatMode(1, {"k": value})).iterations == [[{"k": value}]]


# -- batch size ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, -3, 1001])
def test_batch_size_is_1_to_1000(size: int) -> None:
    found = problems(DOSE, RepeatMode(1, dict(GOOD)), size)
    assert set(found) == {"batch_size"}


def test_batch_size_1000_is_allowed() -> None:
    assert plan(DOSE, RepeatMode(1, dict(GOOD)), 1000).samples == 1000


# -- ranges -------------------------------------------------------------------------------------


def test_values_outside_a_declared_range_are_refused() -> None:
    found = problems(DOSE, RepeatMode(1, {**GOOD, "volume": 30, "n": 0}))
    assert "pump.dispense volume must be >= 0 and <= 25" in found[
        "mode.repeat.parameters.volume"]
    assert "pump.cycles n must be >= 1 and <= 10" in found["mode.repeat.parameters.n"]


def test_every_bounded_use_of_a_parameter_is_checked() -> None:
    body = {"main": [call("a", "dispense", volume=param("x")), call("b", "cycles", n=param("x"))]}
    assert plan(body, RepeatMode(1, {"x": 5})).iterations == [[{"x": 5.0}]]
    found = problems(body, RepeatMode(1, {"x": 20}))  # fine for dispense, not for cycles
    assert "pump.cycles" in found["mode.repeat.parameters.x"]


def test_a_disabled_use_is_not_range_checked() -> None:
    body = {"main": [call("a", "label", text=lit("x")),
                     {**call("b", "cycles", n=param("n")), "disabled": True},
                     call("c", "dispense", volume=param("n"))]}
    assert plan(body, RepeatMode(1, {"n": 20})).iterations == [[{"n": 20.0}]]


# -- rows ---------------------------------------------------------------------------------------


def rows(count: int) -> list[dict[str, Any]]:
    return [{"volume": i, "n": 1 + i % 10, "speed": "FAST"} for i in range(count)]


def test_rows_are_split_into_batches_the_last_one_shorter() -> None:
    result = plan(DOSE, RowsMode(rows(5)), batch_size=2)
    assert [len(i) for i in result.iterations] == [2, 2, 1]
    assert [s["volume"] for i in result.iterations for s in i] == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_a_batch_larger_than_the_rows_makes_one_iteration() -> None:
    assert [len(i) for i in plan(DOSE, RowsMode(rows(3)), 10).iterations] == [3]


def test_row_problems_name_the_row_and_the_parameter() -> None:
    given = rows(4)
    del given[1]["n"]
    given[2]["volumes"] = 1
    given[3]["speed"] = "WARP"
    found = problems(DOSE, RowsMode(given))
    assert set(found) == {"mode.rows[1].n", "mode.rows[2].volumes", "mode.rows[3].speed"}
    assert "required" in found["mode.rows[1].n"]
    assert "volume, n, speed" in found["mode.rows[2].volumes"]


def test_rows_need_at_least_one_row() -> None:
    assert "at least one row" in problems(DOSE, RowsMode([]))["mode.rows"]


def test_rows_are_limited_to_max_samples() -> None:
    assert plan(DOSE, RowsMode(rows(10)), max_samples=10).samples == 10
    assert "limit" in problems(DOSE, RowsMode(rows(11)), max_samples=10)["mode.rows"]


def test_rows_and_csv_need_run_parameters() -> None:
    body = {"main": [call("a", "dispense", volume=lit(1))]}
    for mode, where in ((RowsMode([{}]), "mode.rows"), (CsvMode("a\n1\n"), "mode.csv")):
        assert problems(body, mode)[where] == "the workflow has no run parameters; use repeat"


# -- CSV ----------------------------------------------------------------------------------------


def test_csv_rows_are_converted_and_batched() -> None:
    text = "volume,n,speed\n1.5,3,FAST\n2,4.0,SLOW\n1e-3,5,FAST\n"
    result = plan(DOSE, CsvMode(text), batch_size=2)
    assert result.iterations == [
        [{"volume": 1.5, "n": 3, "speed": "FAST"}, {"volume": 2.0, "n": 4, "speed": "SLOW"}],
        [{"volume": 0.001, "n": 5, "speed": "FAST"}]]


def test_csv_template_names_and_types_the_parameters() -> None:
    text = csv_template(run_parameters(DOSE, DECK))
    assert text == "volume,n,speed\nfloat,int,Speed\n"
    assert csv_template([]) == ""


def test_csv_template_quotes_type_names_with_commas() -> None:
    body = {"main": [call("a", "settings", values=param("cfg"))]}
    assert csv_template(run_parameters(body, DECK)) == 'cfg\n"dict[str, Any]"\n'
    text = csv_template(run_parameters(body, DECK)) + '"{""a"": 1}"\n'
    assert plan(body, CsvMode(text)).iterations == [[{"cfg": {"a": 1}}]]


def test_the_template_type_line_is_skipped_also_with_columns_reordered() -> None:
    text = csv_template(run_parameters(DOSE, DECK)) + "1,2,FAST\n"
    assert plan(DOSE, CsvMode(text)).iterations == [[{"volume": 1.0, "n": 2, "speed": "FAST"}]]
    text = "speed, volume ,n\r\nSpeed,float,int\r\nSLOW,3,4\r\n"
    assert plan(DOSE, CsvMode(text)).iterations == [[{"volume": 3.0, "n": 4, "speed": "SLOW"}]]


def test_csv_blank_lines_and_a_byte_order_mark_are_ignored() -> None:
    text = "\ufeff\nvolume,n,speed\n\n1,2,FAST\n   \n,,\n3,4,SLOW\n\n"
    assert plan(DOSE, CsvMode(text)).samples == 2


def test_csv_blank_cells_are_refused() -> None:
    text = "volume,n,speed\n1,,FAST\n2, ,SLOW\n"
    found = problems(DOSE, CsvMode(text))
    assert set(found) == {"mode.csv.line 2.n", "mode.csv.line 3.n"}
    assert "blank" in found["mode.csv.line 2.n"]


def test_csv_header_problems_are_all_reported() -> None:
    found = problems(DOSE, CsvMode("volume,volume,n,sped,\n1,1,1,1,1\n"))
    assert "appears twice" in found["mode.csv.line 1.volume"]
    assert "volume, n, speed" in found["mode.csv.line 1.sped"]
    line = [v.description for v in violations(DOSE, CsvMode("volume,volume,n,sped,\n1,1,1,1,1\n"))
            if v.field == "mode.csv.line 1"]
    assert any("column 5 has no name" in d for d in line)
    assert any("missing column 'speed'" in d for d in line)


def test_csv_ragged_lines_are_refused() -> None:
    found = problems(DOSE, CsvMode("volume,n,speed\n1,2\n1,2,FAST,extra\n1,2,FAST\n"))
    assert set(found) == {"mode.csv.line 2", "mode.csv.line 3"}
    assert "has 2 cells, the header has 3" in found["mode.csv.line 2"]


def test_csv_line_numbers_count_physical_lines() -> None:
    body = {"main": [call("a", "label", text=param("text")), call("b", "cycles", n=param("n"))]}
    text = 'text,n\n"two\nlines",1\n\nok,x\n'
    assert set(problems(body, CsvMode(text))) == {"mode.csv.line 5.n"}


def test_csv_cells_convert_by_type() -> None:
    body = {"main": [call("a", "flag", on=param("on")), call("b", "label", text=param("text")),
                     call("c", "speed", speed=param("speed")), call("d", "cycles", n=param("n")),
                     call("e", "dispense", volume=param("v"))]}
    text = ("on,text,speed,n,v\n"
            "TRUE, padded ,FAST,3.0,1e-3\n"
            "no,None,SPEED_SLOW,10,2\n"
            "1,null,SLOW,1,-0\n")
    samples = plan(body, CsvMode(text)).iterations
    assert [s for i in samples for s in i] == [
        {"on": True, "text": " padded ", "speed": "FAST", "n": 3, "v": 0.001},
        {"on": False, "text": "None", "speed": "SLOW", "n": 10, "v": 2.0},
        {"on": True, "text": "null", "speed": "SLOW", "n": 1, "v": -0.0}]


@pytest.mark.parametrize(("column", "cell"), [
    ("on", "maybe"), ("n", "3.5"), ("n", "three"), ("v", "nan"), ("v", "inf"), ("v", "-Infinity"),
    ("speed", "MEDIUM"), ("n", "None"),
])
def test_csv_bad_cells_are_refused(column: str, cell: str) -> None:
    body = {"main": [call("a", "flag", on=param("on")), call("c", "speed", speed=param("speed")),
                     call("d", "cycles", n=param("n")), call("e", "dispense", volume=param("v"))]}
    good = {"on": "true", "speed": "FAST", "n": "2", "v": "1"}
    good[column] = cell
    text = "on,speed,n,v\n" + ",".join(good[c] for c in ("on", "speed", "n", "v")) + "\n"
    assert set(problems(body, CsvMode(text))) == {f"mode.csv.line 2.{column}"}


def test_csv_null_is_none_only_for_nullable_types() -> None:
    body = {"main": [call("a", "level", level=param("level"))]}
    text = "level\nNone\nnull\n4.0\n"
    assert [s["level"] for i in plan(body, CsvMode(text)).iterations for s in i] == [
        None, None, 4]
    body["main"].append(call("b", "cycles", n=param("n")))
    assert "null" in problems(body, CsvMode("level,n\n ,1\n"))["mode.csv.line 2.level"]


def test_csv_untyped_cells_are_numbers_booleans_json_or_text() -> None:
    body = {"main": [{"id": "s", "set_variable": {"name": "v",
                                                   "value": {"expression": "#k"}}}]}
    text = 'k\n3\n2.5\n1e3\nTrue\nfalse\nnull\n"[1, 2]"\n"{""a"": 1}"\nhello\n nan \n[not json\n'
    values = [s["k"] for i in plan(body, CsvMode(text)).iterations for s in i]
    assert values == [3, 2.5, 1000, True, False, None, [1, 2], {"a": 1}, "hello", "nan",
                      "[not json"]


def test_csv_lists_and_records_are_json_cells() -> None:
    body = {"main": [call("a", "scan", wavelengths=param("wl")),
                     call("b", "move", to=param("to"))]}
    text = 'wl,to\n"[254, 280]","{""x"": 1, ""y"": 2}"\n'
    assert plan(body, CsvMode(text)).iterations == [[{"wl": [254.0, 280.0],
                                                      "to": {"x": 1.0, "y": 2.0}}]]
    found = problems(body, CsvMode('wl,to\n"[NaN]","{""x"": ""far""}"\n254,{}\n'))
    assert set(found) == {"mode.csv.line 2.wl", "mode.csv.line 2.to.x", "mode.csv.line 3.wl",
                          "mode.csv.line 3.to"}  # {} lacks x
    assert "NaN" in found["mode.csv.line 2.wl"]


def test_csv_timestamps_parse() -> None:
    body = {"main": [call("a", "stamp", when=param("when"))]}
    result = plan(body, CsvMode("when\n2024-05-01T12:00:00Z\n"))
    assert result.iterations == [[{"when": "2024-05-01T12:00:00+00:00"}]]


def test_csv_needs_a_header_and_a_row() -> None:
    assert "empty" in problems(DOSE, CsvMode(""))["mode.csv"]
    assert "empty" in problems(DOSE, CsvMode("\n \n"))["mode.csv"]
    assert "at least one row" in problems(DOSE, CsvMode("volume,n,speed\n"))["mode.csv"]
    only_types = csv_template(run_parameters(DOSE, DECK))
    assert "at least one row" in problems(DOSE, CsvMode(only_types))["mode.csv"]


def test_csv_rows_are_limited_to_max_samples() -> None:
    text = "volume,n,speed\n" + "1,1,FAST\n" * 11
    assert "limit" in problems(DOSE, CsvMode(text), max_samples=10)["mode.csv"]


def test_invalid_csv_is_reported() -> None:
    found = problems(DOSE, CsvMode("volume,n,speed\n1,2,FA\x00ST\n"))
    assert any(key.startswith("mode.csv.line 2") for key in found)


def test_csv_range_problems_name_the_line() -> None:
    found = problems(DOSE, CsvMode("volume,n,speed\n1,2,FAST\n99,2,FAST\n"))
    assert set(found) == {"mode.csv.line 3.volume"}
    assert "<= 25" in found["mode.csv.line 3.volume"]


# -- the workflow -------------------------------------------------------------------------------


def test_validation_problems_become_violations_with_step_paths() -> None:
    body = {"prep": [{"id": "p1", "wait": {"seconds": lit(-1)}}],
            "main": [call("m1", "dispense", volume=lit("lots")),
                     {"id": "m2", "if_else": {"condition": "x >", "then_steps": [
                         call("m3", "nope")]}}]}
    found = problems(body, RepeatMode(1, {}))
    assert set(found) == {"workflow.prep[p1].wait.seconds",
                          "workflow.main[m1].call.arguments.volume",
                          "workflow.main[m2].if_else.condition", "workflow.main[m3].call.method"}


def test_duplicate_step_ids_and_empty_steps_have_readable_paths() -> None:
    body = {"main": [call("m1", "label", text=lit("a")), call("m1", "label", text=lit("b")),
                     {"id": "m2"}]}
    found = problems(body, RepeatMode(1, {}))
    assert set(found) == {"workflow.main[m1].id", "workflow.main[m2]"}


def test_an_offline_or_other_deck_gives_validation_problems() -> None:
    found = problems(DOSE, RepeatMode(1, dict(GOOD)), deck=OFFLINE)
    assert set(found) == {"workflow.main[m1].call.instrument", "workflow.main[m2].call.instrument",
                          "workflow.main[m3].call.instrument"}


def test_every_problem_is_reported_at_once() -> None:
    body = {"main": [*DOSE["main"], call("m9", "dispense", volume=lit(-5))]}
    found = problems(body, RepeatMode(0, {"volume": "x", "n": 3, "speed": "FAST", "extra": 1}), 0)
    assert set(found) == {"workflow.main[m9].call.arguments.volume", "batch_size",
                          "mode.repeat.count", "mode.repeat.parameters.volume",
                          "mode.repeat.parameters.extra"}
    found = problems(body, RowsMode([{"volume": "x"}, {"n": 30, "speed": "FAST", "volume": 1}]))
    assert set(found) == {"workflow.main[m9].call.arguments.volume",
                          "mode.rows[0].volume", "mode.rows[0].n", "mode.rows[0].speed",
                          "mode.rows[1].n"}


# -- called workflows ---------------------------------------------------------------------------


def caller(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"main": list(steps)}


def call_wf(step_id: str, workflow: str, version: int | str = 0,
            **arguments: Any) -> dict[str, Any]:
    step: dict[str, Any] = {"workflow": workflow, "arguments": arguments}
    if version:
        step["version"] = version
    return {"id": step_id, "call_workflow": step}


SUB = {"main": [call("s1", "dispense", volume=param("amount"))]}


def test_called_workflows_are_pinned_at_their_latest_version() -> None:
    library = Library()
    library.save("sub", {"main": []})
    library.save("sub", SUB)
    result = plan(caller(call_wf("c1", "sub", amount=lit(1))), RepeatMode(1, {}),
                  library=library)
    assert result.workflows == {"sub@2": {**SUB, "registered": True}}
    assert result.calls == {"c1": "sub@2"}


def test_an_explicit_version_is_kept_also_as_int64_text() -> None:
    library = Library()
    library.save("sub", SUB)
    library.save("sub", {"main": []})
    result = plan(caller(call_wf("c1", "sub", "1", amount=lit(1)),
                         call_wf("c2", "sub")), RepeatMode(1, {}), library=library)
    assert set(result.workflows) == {"sub@1", "sub@2"}
    assert result.calls == {"c1": "sub@1", "c2": "sub@2"}


def test_called_workflows_are_pinned_transitively_in_every_phase() -> None:
    library = Library()
    library.save("leaf", SUB)
    library.save("middle", {"main": [
        {"id": "x", "if_else": {"condition": "true", "then_steps": [
            call_wf("mid1", "leaf", amount=param("a"))]}}],
        "cleanup": [call_wf("never", "missing")]})  # a callee's cleanup never runs
    body = {"prep": [call_wf("p1", "leaf", amount=lit(2))],
            "main": [call_wf("m1", "middle", a=param("volume"))],
            "cleanup": [call_wf("k1", "middle", a=lit(1))]}
    result = plan(body, RepeatMode(1, {"volume": 1}), library=library)
    assert set(result.workflows) == {"leaf@1", "middle@1"}
    assert result.calls == {"p1": "leaf@1", "m1": "middle@1", "k1": "middle@1",
                            "middle@1/mid1": "leaf@1"}


def test_disabled_calls_are_not_pinned() -> None:
    library = Library()
    body = caller({**call_wf("c1", "missing"), "disabled": True},
                  {"id": "b", "disabled": True, "repeat": {"count": lit(1), "steps": [
                      call_wf("c2", "missing")]}})
    result = plan(body, RepeatMode(1, {}), library=library)
    assert result.workflows == {} and result.calls == {}


def test_an_unknown_or_unregistered_callee_is_reported_once() -> None:
    library = Library()
    library.save("private", {"main": []}, registered=False)
    found = violations(caller(call_wf("c1", "missing"), call_wf("c2", "private"),
                              call_wf("c3", "private", 7)), RepeatMode(1, {}), library=library)
    fields = [v.field for v in found]
    assert sorted(fields) == ["workflow.main[c1].call_workflow.workflow",
                              "workflow.main[c2].call_workflow.workflow",
                              "workflow.main[c3].call_workflow.workflow"]


def test_a_callee_that_vanished_after_validation_is_reported() -> None:
    library = Library()
    library.save("sub", SUB)
    gone = Library()  # validation sees the workflow, pinning no longer does
    with pytest.raises(InvalidArguments) as caught:
        plan_run("wf", caller(call_wf("c1", "sub", amount=lit(1))), DECK, RepeatMode(1, {}), 1,
                 library.lookup, source=gone.source)
    assert [v.field for v in caught.value.violations] == [
        "workflow.main[c1].call_workflow.workflow"]


def test_called_workflows_must_be_valid_against_the_deck() -> None:
    library = Library()
    library.save("sub", {"main": [call("s1", "dispense", volume=lit(99)), call("s2", "warp")],
                         "prep": [call("s3", "warp")]})  # only main runs when called
    found = problems(caller(call_wf("c1", "sub")), RepeatMode(1, {}), library=library)
    assert set(found) == {"workflows[sub@1].main[s1].call.arguments.volume",
                          "workflows[sub@1].main[s2].call.method"}


def test_calls_must_give_exactly_the_callee_parameters() -> None:
    library = Library()
    library.save("sub", SUB)
    found = problems(caller(call_wf("c1", "sub", amuont=lit(1))), RepeatMode(1, {}),
                     library=library)
    assert set(found) == {"workflow.main[c1].call_workflow.arguments.amount",
                          "workflow.main[c1].call_workflow.arguments.amuont"}
    assert "sub@1 needs its run parameter #amount" in found[
        "workflow.main[c1].call_workflow.arguments.amount"]
    assert "(it has: amount)" in found["workflow.main[c1].call_workflow.arguments.amuont"]


def test_cycles_between_pinned_versions_are_reported() -> None:
    library = Library()
    library.save("a", {"main": [call_wf("a1", "b", 1)]})
    library.save("b", {"main": [call_wf("b1", "a", 1)]})
    library.save("a", {"main": []})  # the latest `a` calls nothing: validation sees no cycle
    found = problems(caller(call_wf("c1", "a", 1)), RepeatMode(1, {}), library=library)
    assert any("cycle" in d and "a@1 -> b@1 -> a@1" in d for d in found.values())


def test_a_call_to_itself_is_a_cycle() -> None:
    library = Library()
    library.save("wf", caller(call_wf("c1", "wf")))
    found = problems(caller(call_wf("c1", "wf")), RepeatMode(1, {}), library=library)
    assert "cycle" in found["workflow.call_workflow"]


# -- the plan as JSON ---------------------------------------------------------------------------


def test_the_plan_round_trips_through_json() -> None:
    library = Library()
    library.save("sub", SUB)
    body = {"main": [*DOSE["main"], call_wf("c1", "sub", amount=param("volume"))]}
    result = plan(body, RowsMode(rows(3)), 2, library=library)
    text = json.dumps(result.to_json())
    assert RunPlan.from_json(json.loads(text)) == result


@pytest.mark.parametrize("data", [
    {}, {"iterations": [{}]}, {"iterations": [[1]]}, {"iterations": [], "workflows": []},
    {"iterations": [], "calls": {"a": 1}},
])
def test_from_json_refuses_other_data(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RunPlan.from_json(data)


def test_parameters_inside_a_disabled_block_are_not_needed() -> None:
    body = {"main": [
        call("a", "label", text=param("text")),
        {"id": "r", "disabled": True, "repeat": {"count": {"literal": 2}, "steps": [
            call("b", "label", text=param("hidden"))]}},
    ]}
    assert [p.name for p in run_parameters(body, DECK)] == ["text"]
    (sample,) = plan(body, RepeatMode(1, {"text": "t"})).iterations[0]
    assert sample == {"text": "t"}


# -- a checked workflow planned again -----------------------------------------------------------


def test_a_checked_workflow_plans_each_mode_on_its_own() -> None:
    library = Library()
    checked = check_workflow("wf", DOSE, DECK, library.lookup, source=library.source)
    one = checked.plan(RepeatMode(1, {"volume": 1, "n": 2, "speed": "FAST"}), 1)
    two = checked.plan(RowsMode([{"volume": 2.5, "n": 3, "speed": "SLOW"}] * 2), 2)
    assert one == plan(DOSE, RepeatMode(1, {"volume": 1, "n": 2, "speed": "FAST"}))
    assert two.iterations == [[{"volume": 2.5, "n": 3, "speed": "SLOW"}] * 2]
    with pytest.raises(InvalidArguments) as first:
        checked.plan(RepeatMode(0, {}), 1)
    with pytest.raises(InvalidArguments) as again:
        checked.plan(RepeatMode(0, {}), 1)
    assert first.value.violations == again.value.violations  # nothing carried over


def test_a_checked_workflow_keeps_its_own_problems_first_on_every_plan() -> None:
    library = Library()
    body = {"main": [call("m1", "nonexistent"), call("m2", "cycles", n=param("n"))]}
    checked = check_workflow("wf", body, DECK, library.lookup, source=library.source)
    expected = [v.field for v in checked.violations]
    assert expected and all(f.startswith("workflow.") for f in expected)
    for _ in range(2):
        with pytest.raises(InvalidArguments) as caught:
            checked.plan(RepeatMode(1, {"n": 99}), 0)
        fields = [v.field for v in caught.value.violations]
        assert fields[:len(expected)] == expected
        assert fields[len(expected):] == ["batch_size", "mode.repeat.parameters.n"]
    with pytest.raises(InvalidArguments) as direct:
        plan_run("wf", body, DECK, RepeatMode(1, {"n": 99}), 0, library.lookup,
                 source=library.source)
    assert direct.value.violations == caught.value.violations
