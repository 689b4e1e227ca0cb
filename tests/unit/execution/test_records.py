"""Run records and CSV exports folded from hand-built event logs."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf import json_format

from ivorygrpc.execution.records import (
    STEP_COLUMNS,
    fold_phases,
    last_completed_step,
    results_csv,
    steps_csv,
)
from ivorygrpc.v1 import run_pb2

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
PREP, MAIN, CLEANUP = "RUN_PHASE_PREP", "RUN_PHASE_MAIN", "RUN_PHASE_CLEANUP"


@dataclass(frozen=True)
class Event:
    sequence: int
    run_id: str
    time: datetime
    kind: str
    payload: dict[str, Any]


@dataclass
class Log:
    """Builds an event list: one second between events."""

    events: list[Event] = field(default_factory=list)

    def add(self, kind: str, /, **payload: Any) -> Log:
        n = len(self.events) + 1
        self.events.append(Event(n, "run-1", T0 + timedelta(seconds=n), kind, payload))
        return self

    def step(self, step_id: str, phase: str = MAIN, iteration: int = 1, sample: int = 0,
             attempt: int = 1, *, output: Any = None, error: dict[str, str] | None = None,
             skipped: bool = False, finish: bool = True, **extra: Any) -> Log:
        ident = {"step_id": step_id, "kind": "call", "title": f"deck.{step_id}", "phase": phase,
                 "iteration": iteration, "sample": sample, "attempt": attempt, **extra}
        self.add("step_started", **ident, arguments={"x": sample})
        if finish:
            done: dict[str, Any] = {**ident, "arguments": {"x": sample}, "duration": "0.012000s"}
            if error is not None:
                done["error"] = {"step_id": step_id, **error}
            else:
                done["output"] = output
            if skipped:
                done["skipped"] = True
            self.add("step_finished", **done)
        return self


def at(seconds: int) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def repeat_run() -> Log:
    """Prep, 2 main iterations x batch 2, cleanup."""
    log = Log().add("state_changed", state="RUN_STATE_RUNNING", previous="RUN_STATE_QUEUED")
    log.add("phase_started", phase=PREP)
    log.add("iteration_started", phase=PREP, index=1, total=1, parameters=[{}])
    log.step("home", phase=PREP, output=None)
    log.add("iteration_finished", phase=PREP, index=1, total=1, parameters=[{}], outputs=[{}])
    log.add("phase_finished", phase=PREP)
    log.add("phase_started", phase=MAIN)
    params = [{"volume": 1.5}, {"volume": 1.5}]
    for index in (1, 2):
        log.add("iteration_started", phase=MAIN, index=index, total=2, parameters=params)
        log.add("log", level="INFO", logger="ivorygrpc.run", message="hello")
        for sample in (0, 1):
            log.step("dispense", iteration=index, sample=sample, output=index * 10 + sample)
        outputs = [{"volume": 1.5, "od": index * 10 + s, "meta": {"ok": True}} for s in (0, 1)]
        log.add("iteration_finished", phase=MAIN, index=index, total=2, parameters=params,
                outputs=outputs)
    log.add("phase_finished", phase=MAIN)
    log.add("phase_started", phase=CLEANUP)
    log.add("iteration_started", phase=CLEANUP, index=1, total=1, parameters=[{}])
    log.step("park", phase=CLEANUP, output="parked")
    log.add("iteration_finished", phase=CLEANUP, index=1, total=1, parameters=[{}],
            outputs=[{}])
    log.add("phase_finished", phase=CLEANUP)
    return log


def test_repeat_run_phases_iterations_and_steps() -> None:
    phases = fold_phases(repeat_run().events)
    assert [p["phase"] for p in phases] == [PREP, MAIN, CLEANUP]
    prep, main, cleanup = phases
    assert [i["index"] for i in prep["iterations"]] == [1]
    assert [s["step_id"] for s in prep["iterations"][0]["steps"]] == ["home"]
    assert [i["index"] for i in main["iterations"]] == [1, 2]
    first = main["iterations"][0]
    assert first["parameters"] == [{"volume": 1.5}, {"volume": 1.5}]
    assert first["outputs"][1] == {"volume": 1.5, "od": 11, "meta": {"ok": True}}
    assert first["start_time"] == at(9) and first["end_time"] == at(15)
    steps = first["steps"]
    assert [(s["step_id"], s["sample"], s["attempt"]) for s in steps] == [
        ("dispense", 0, 1), ("dispense", 1, 1)]
    assert steps[0] == {"step_id": "dispense", "kind": "call", "title": "deck.dispense",
                        "sample": 0, "attempt": 1, "arguments": {"x": 0}, "skipped": False,
                        "start_time": at(11), "end_time": at(12), "output": 10}
    assert cleanup["iterations"][0]["steps"][0]["output"] == "parked"
    assert last_completed_step(repeat_run().events) == "park"


def test_fold_parses_into_phase_records() -> None:
    log = repeat_run()
    log.step("retry_me", iteration=2, error={"type": "TimeoutError", "message": "late"})
    log.step("hanging", iteration=2, finish=False)
    for phase in fold_phases(log.events):
        record = json_format.ParseDict(phase, run_pb2.PhaseRecord())
        assert record.iterations
    main = json_format.ParseDict(fold_phases(log.events)[1], run_pb2.PhaseRecord())
    assert main.phase == run_pb2.RUN_PHASE_MAIN
    step = main.iterations[1].steps[2]
    assert step.error.type == "TimeoutError" and step.end_time.seconds > 0
    assert not main.iterations[1].steps[3].HasField("end_time")
    assert main.iterations[0].outputs[0]["meta"]["ok"] is True
    assert main.iterations[0].start_time.ToDatetime(UTC) == T0 + timedelta(seconds=9)


def test_retried_step_has_one_record_per_attempt() -> None:
    log = Log().add("phase_started", phase=MAIN)
    log.add("iteration_started", phase=MAIN, index=1, total=1, parameters=[{"v": 1}])
    log.step("pump", error={"type": "TimeoutError", "message": "no answer"})
    log.step("pump", attempt=2, output={"ml": 1.0})
    steps = fold_phases(log.events)[0]["iterations"][0]["steps"]
    assert [s["attempt"] for s in steps] == [1, 2]
    assert steps[0]["error"] == {"step_id": "pump", "type": "TimeoutError",
                                 "message": "no answer"}
    assert "output" not in steps[0] and "error" not in steps[1]
    assert steps[1]["output"] == {"ml": 1.0}
    assert last_completed_step(log.events) == "pump"
    table = rows(steps_csv(log.events))
    assert table[1][STEP_COLUMNS.index("error_type")] == "TimeoutError"
    assert table[1][STEP_COLUMNS.index("output")] == ""
    assert table[2][STEP_COLUMNS.index("error_type")] == ""
    assert table[2][STEP_COLUMNS.index("output")] == '{"ml":1.0}'


def test_skipped_step_merges_the_second_finish() -> None:
    log = Log().add("phase_started", phase=MAIN)
    log.add("iteration_started", phase=MAIN, index=1, total=1, parameters=[{}])
    log.step("ok_first", output=1)
    error = {"type": "ValueError", "message": "bad"}
    log.step("flaky", error=error)
    # the runner repeats the finish with skipped=true once the operator skips it
    finished = log.events[-1].payload
    log.add("step_finished", **{**finished, "skipped": True})
    steps = fold_phases(log.events)[0]["iterations"][0]["steps"]
    assert len(steps) == 2
    assert steps[1]["skipped"] is True and steps[1]["error"]["type"] == "ValueError"
    assert steps[1]["end_time"] == at(6)  # the attempt's end, not the operator's decision
    assert last_completed_step(log.events) == "ok_first"
    table = rows(steps_csv(log.events))
    assert table[2][STEP_COLUMNS.index("skipped")] == "true"
    assert table[1][STEP_COLUMNS.index("skipped")] == "false"


def test_a_step_run_again_in_a_loop_gets_a_record_per_pass() -> None:
    """Loop bodies and conditions repeat one (step, sample, attempt): each pass is a record."""
    log = Log().add("phase_started", phase=MAIN)
    log.add("iteration_started", phase=MAIN, index=1, total=1, parameters=[{}])
    log.step("cond", output=True)
    log.step("body", output=1)
    log.step("cond", output=True)
    log.step("body", error={"type": "ValueError", "message": "bad"})
    log.add("step_finished", **{**log.events[-1].payload, "skipped": True})
    log.step("cond", output=False)
    steps = fold_phases(log.events)[0]["iterations"][0]["steps"]
    assert [(s["step_id"], s.get("output"), s["skipped"]) for s in steps] == [
        ("cond", True, False), ("body", 1, False), ("cond", True, False),
        ("body", None, True), ("cond", False, False)]
    assert "error" not in steps[1] and steps[3]["error"]["type"] == "ValueError"
    assert len(rows(steps_csv(log.events))) == 6


def test_truncated_log_never_raises() -> None:
    log = Log().add("phase_started", phase=PREP)
    log.add("iteration_started", phase=PREP, index=1, total=1, parameters=[{}])
    log.step("home", phase=PREP, output=None)
    log.add("iteration_finished", phase=PREP, index=1, total=1, parameters=[{}], outputs=[{}])
    log.add("phase_finished", phase=PREP)
    log.add("phase_started", phase=MAIN)
    log.add("iteration_started", phase=MAIN, index=1, total=3,
            parameters=[{"volume": 2}, {"volume": 3}])
    log.step("dispense", sample=0, finish=False)  # server killed here
    phases = fold_phases(log.events)
    iteration = phases[1]["iterations"][0]
    assert "end_time" not in iteration and iteration["outputs"] == []
    step = iteration["steps"][0]
    assert "end_time" not in step and "output" not in step and step["skipped"] is False
    for phase in phases:
        json_format.ParseDict(phase, run_pb2.PhaseRecord())
    assert rows(results_csv(log.events)) == [
        ["iteration", "sample", "volume"], ["1", "0", "2"], ["1", "1", "3"]]
    table = rows(steps_csv(log.events))
    assert table[2][STEP_COLUMNS.index("end_time")] == ""
    assert table[2][STEP_COLUMNS.index("duration_seconds")] == ""
    assert table[1][STEP_COLUMNS.index("duration_seconds")] == "0.012"
    assert last_completed_step(log.events) == "home"


def test_finish_without_start_and_missing_fields() -> None:
    log = Log().add("step_finished", step_id="orphan", output=None)  # defaults: no phase, ...
    log.add("progress", phase=MAIN, iteration=1)
    phases = fold_phases(log.events)
    assert phases == [{"phase": "RUN_PHASE_UNSPECIFIED", "iterations": [{
        "index": 1, "parameters": [], "outputs": [], "steps": [{
            "step_id": "orphan", "kind": "", "title": "", "sample": 0, "attempt": 0,
            "skipped": False, "end_time": at(1), "output": None}]}]}]
    json_format.ParseDict(phases[0], run_pb2.PhaseRecord())
    assert fold_phases([]) == [] and last_completed_step([]) == ""


def test_events_are_folded_in_sequence_order() -> None:
    events = list(reversed(repeat_run().events))
    assert fold_phases(events) == fold_phases(repeat_run().events)


def test_prep_and_cleanup_have_one_iteration_and_step_phase_names() -> None:
    table = rows(steps_csv(repeat_run().events))
    assert table[0] == list(STEP_COLUMNS)
    assert [(r[0], r[1], r[2], r[5]) for r in table[1:]] == [
        ("prep", "1", "home", "0"), ("main", "1", "dispense", "0"),
        ("main", "1", "dispense", "1"), ("main", "2", "dispense", "0"),
        ("main", "2", "dispense", "1"), ("cleanup", "1", "park", "0")]
    home = dict(zip(STEP_COLUMNS, table[1], strict=True))
    assert home["start_time"] == at(4) and home["end_time"] == at(5)
    assert home["arguments"] == '{"x":0}' and home["output"] == "null"
    assert home["kind"] == "call" and home["title"] == "deck.home"
    assert home["attempt"] == "1" and home["error_message"] == ""
    assert table[-1][STEP_COLUMNS.index("output")] == '"parked"'


def test_results_csv_header_order_and_union_of_keys() -> None:
    log = Log().add("phase_started", phase=MAIN)
    log.add("iteration_started", phase=MAIN, index=1, total=2,
            parameters=[{"volume": 1.5, "temp": 20}, {"volume": 2.5, "temp": 21}])
    log.add("iteration_finished", phase=MAIN, index=1, total=2,
            parameters=[{"volume": 1.5, "temp": 20}, {"volume": 2.5, "temp": 21}],
            outputs=[{"volume": 1.5, "temp": 20, "od": 0.1 + 0.2, "ok": True},
                     {"volume": 2.5, "temp": 21, "od": -1.5, "spectrum": [1, 2.5]}])
    # a later iteration adds a parameter; its output keys are a new union member
    log.add("iteration_started", phase=MAIN, index=2, total=2,
            parameters=[{"volume": 3.0, "temp": 22, "mode": "fast"}])
    log.add("iteration_finished", phase=MAIN, index=2, total=2,
            parameters=[{"volume": 3.0, "temp": 22, "mode": "fast"}],
            outputs=[{"volume": 3.0, "temp": 22, "mode": "fast", "od": None, "note": "x,y"}])
    # prep outputs never reach the results
    log.add("iteration_finished", phase=PREP, index=1, total=1, outputs=[{"prep_only": 1}])
    text = results_csv(log.events)
    assert text.endswith("\n") and "\r" not in text
    assert rows(text) == [
        ["iteration", "sample", "volume", "temp", "mode", "od", "ok", "spectrum", "note"],
        ["1", "0", "1.5", "20", "", "0.30000000000000004", "true", "", ""],
        ["1", "1", "2.5", "21", "", "-1.5", "", "[1,2.5]", ""],
        ["2", "0", "3.0", "22", "fast", "", "", "", "x,y"]]


def test_results_csv_prefers_the_final_context_and_falls_back_to_parameters() -> None:
    log = Log().add("iteration_started", phase=MAIN, index=1, total=1,
                    parameters=[{"volume": 1}, {"volume": 2}])
    log.add("iteration_finished", phase=MAIN, index=1, total=1,
            parameters=[{"volume": 1}, {"volume": 2}],
            outputs=[{"volume": 9, "od": 1}])  # sample 1 has no output
    assert rows(results_csv(log.events)) == [
        ["iteration", "sample", "volume", "od"], ["1", "0", "9", "1"], ["1", "1", "2", ""]]


def test_results_csv_header_only_without_data() -> None:
    assert results_csv([]) == "iteration,sample\n"
    assert results_csv(Log().add("phase_started", phase=MAIN).events) == "iteration,sample\n"


def test_formula_injection_is_neutralized_but_numbers_are_not() -> None:
    log = Log().add("iteration_started", phase=MAIN, index=1, total=1, parameters=[{
        "=cmd": "=HYPERLINK(\"http://x\")", "plus": "+1+2", "minus": "-2+3", "at": "@SUM(A1)",
        "tab": "\tx", "neg_text": "-1.5", "neg": -1.5, "exp": "-1e3", "plain": "a=b"}])
    log.step("=evil", error={"type": "=T", "message": "-cmd|' /C calc'!A0"},
             title="@title")
    table = rows(results_csv(log.events))
    assert table[0][2] == "'=cmd"
    assert table[1][2:] == ["'=HYPERLINK(\"http://x\")", "'+1+2", "'-2+3", "'@SUM(A1)",
                            "'\tx", "-1.5", "-1.5", "-1e3", "a=b"]
    step = dict(zip(STEP_COLUMNS, rows(steps_csv(log.events))[1], strict=True))
    assert step["step_id"] == "'=evil" and step["title"] == "'@title"
    assert step["error_type"] == "'=T" and step["error_message"] == "'-cmd|' /C calc'!A0"
    assert step["sample"] == "0"
    sample = Log().step("s", sample=-1, output=-2).events
    batch = dict(zip(STEP_COLUMNS, rows(steps_csv(sample))[1], strict=True))
    assert batch["sample"] == "-1" and batch["output"] == "-2"
