"""Step, progress and iteration events take a direct path to their message: it must give
exactly what json_format.ParseDict gives, and anything it does not handle falls back to
ParseDict."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from google.protobuf import json_format, message, timestamp_pb2

from ivorygrpc.services.run_convert import event_message, run_message
from ivorygrpc.store.records import EventRecord, RunRecord
from ivorygrpc.v1 import run_pb2

BASE = {"step_id": "s1", "kind": "call", "title": "noop.ping", "phase": "RUN_PHASE_MAIN",
        "iteration": 3, "sample": -1, "attempt": 2}
PAYLOADS: list[dict[str, Any]] = [
    BASE,
    {**BASE, "arguments": {"x": 1.5, "n": 2, "on": True, "label": "a", "none": None,
                           "nested": {"list": [1, "two", [3.0, None], {"k": False}]}}},
    {**BASE, "arguments": {}, "output": None, "duration": "0.000123s"},
    {**BASE, "output": 4.25, "duration": "1.5s"},
    {**BASE, "output": "text"}, {**BASE, "output": True}, {**BASE, "output": 7},
    {**BASE, "output": [1, {"a": [2]}]}, {**BASE, "output": {"mass": 1.0, "ok": None}},
    {**BASE, "error": {"step_id": "s1", "type": "ValueError", "message": "bad"},
     "duration": "0.01s"},
    {**BASE, "error": {"step_id": "s1", "type": "ValueError", "message": "bad"},
     "skipped": True},
    {"step_id": "only"},
    # fallbacks: unknown keys, strings for numbers, unknown enum names, odd values
    {**BASE, "future_field": 1},
    {**BASE, "iteration": "4"},
    {**BASE, "phase": "RUN_PHASE_NOT_YET"},
    {**BASE, "attempt": 2.0},
    {**BASE, "arguments": {"t": (1, 2)}},
]


PROGRESS: list[dict[str, Any]] = [
    {"iterations": 3},
    {"iterations": 3, "phase": "RUN_PHASE_MAIN", "step_id": "", "iteration": 2,
     "fraction": 0.5, "last_completed_step_id": "s9"},
    {"phase": "RUN_PHASE_CLEANUP", "fraction": 1},
    # fallbacks
    {"fraction": "NaN"}, {"iteration": "2"}, {"fraction": True}, {"future": 1},
    {"iteration": 2**70},
]
ITERATIONS: list[dict[str, Any]] = [
    {"phase": "RUN_PHASE_MAIN", "index": 1, "total": 3, "parameters": [{}]},
    {"phase": "RUN_PHASE_PREP", "index": 1, "total": 1, "parameters": [{"x": 1.5}, {"x": 2}],
     "outputs": [{"x": 1.5, "mass": None, "tags": ["a", {"b": True}]}, {}]},
    {"index": 2},
    # fallbacks
    {"index": 2, "parameters": {"x": 1}}, {"index": 2, "parameters": [[1]]},
    {"index": 2, "outputs": [{"x": float("nan")}]}, {"index": 2.0}, {"future": []},
]


def _reference(payload: dict[str, Any], kind: str = "step_started") -> message.Message | str:
    target: message.Message = getattr(run_pb2.RunEvent(), kind).__class__()
    try:
        json_format.ParseDict(dict(payload), target, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        return type(exc).__name__
    return target


def _direct(payload: dict[str, Any], kind: str = "step_started") -> message.Message | str:
    try:
        converted = event_message(EventRecord(1, "r", datetime.now(UTC), kind, payload))
    except json_format.ParseError as exc:
        return type(exc).__name__
    result: message.Message = getattr(converted, kind)
    return result


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_the_direct_path_gives_the_json_format_message(payload: dict[str, Any]) -> None:
    direct, reference = _direct(payload), _reference(payload)
    assert direct == reference
    if isinstance(direct, run_pb2.StepEvent) and isinstance(reference, run_pb2.StepEvent):
        # field presence too (empty arguments)
        assert direct.HasField("arguments") == reference.HasField("arguments")


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_numbers_take_json_formats_own_path(bad: float) -> None:
    for payload in ({**BASE, "output": bad}, {**BASE, "arguments": {"x": [bad]}}):
        direct, reference = _direct(payload), _reference(payload)
        assert isinstance(direct, run_pb2.StepEvent) and isinstance(reference, run_pb2.StepEvent)
        assert direct.SerializeToString() == reference.SerializeToString()


@pytest.mark.parametrize("payload", PROGRESS, ids=range(len(PROGRESS)))
def test_progress_events_give_the_json_format_message(payload: dict[str, Any]) -> None:
    direct, reference = _direct(payload, "progress"), _reference(payload, "progress")
    assert direct == reference


@pytest.mark.parametrize("kind", ["iteration_started", "iteration_finished"])
@pytest.mark.parametrize("payload", ITERATIONS, ids=range(len(ITERATIONS)))
def test_iteration_events_give_the_json_format_message(kind: str,
                                                       payload: dict[str, Any]) -> None:
    direct, reference = _direct(payload, kind), _reference(payload, kind)
    if isinstance(direct, message.Message) and isinstance(reference, message.Message):
        assert direct.SerializeToString() == reference.SerializeToString()  # NaN != NaN
    else:
        assert direct == reference


RUN_MODES: list[dict[str, Any]] = [
    {"repeat": {"count": 1, "parameters": {}}},
    {"repeat": {"count": 5, "parameters": {"x": 1.5, "tags": ["a", {"b": None}]}}},
    {"repeat": {"count": 2}}, {"repeat": {}},
    # fallbacks
    {"rows": {"rows": [{"x": 1}]}}, {"csv": {"text": "x\n1\n"}},
    {"repeat": {"count": "3"}}, {"repeat": {"count": 1, "parameters": None}},
    {"repeat": {"count": 1, "parameters": {"x": float("nan")}}},
    {"repeat": {"count": 1}, "rows": {}}, {"repeat": {"count": 1, "future": 2}}, {},
]


def _run(mode: dict[str, Any], progress: dict[str, Any]) -> RunRecord:
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    return RunRecord("r", "run", "w", 1, "alice", "", mode, 1, {}, "queued", 1 << 20, None,
                     progress, None, now, None, None)


def _outcome(convert: Callable[[], message.Message]) -> tuple[bytes, bool] | str:
    """The message's bytes and whether it has a repeat with parameters, or the error."""
    try:
        converted = convert()
    except json_format.ParseError as exc:
        return type(exc).__name__
    present = isinstance(converted, run_pb2.RunMode) and converted.repeat.HasField("parameters")
    return converted.SerializeToString(), present  # bytes: NaN != NaN


@pytest.mark.parametrize("mode", RUN_MODES, ids=range(len(RUN_MODES)))
def test_a_runs_mode_is_the_json_format_message(mode: dict[str, Any]) -> None:
    reference = _outcome(lambda: json_format.ParseDict(dict(mode), run_pb2.RunMode(),
                                                       ignore_unknown_fields=True))
    assert _outcome(lambda: run_message(_run(mode, {"iterations": 1}), 1).mode) == reference


@pytest.mark.parametrize("progress", PROGRESS, ids=range(len(PROGRESS)))
def test_a_runs_progress_is_the_json_format_message(progress: dict[str, Any]) -> None:
    reference = _outcome(lambda: json_format.ParseDict(dict(progress), run_pb2.RunProgress(),
                                                       ignore_unknown_fields=True))
    run = _run({"repeat": {"count": 1}}, progress)
    assert _outcome(lambda: run_message(run, 1).progress) == reference


@pytest.mark.parametrize("moment", [
    datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
    datetime(2026, 3, 1, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    datetime(2026, 3, 1, 1, 2, 3, 4),  # naive: taken as UTC, as Timestamp.FromDatetime does
])
def test_event_times_are_what_timestamp_from_datetime_gives(moment: datetime) -> None:
    expected = timestamp_pb2.Timestamp()
    expected.FromDatetime(moment)
    converted = event_message(EventRecord(1, "r", moment, "log", {"message": "m"}))
    assert converted.time == expected


@pytest.mark.parametrize("duration", ["0.000123s", "12.500000s", "1.5s", "3s", "-0.5s",
                                      "0.1234567s"])
def test_durations_are_what_from_json_string_gives(duration: str) -> None:
    payload = {**BASE, "duration": duration}
    assert _direct(payload) == _reference(payload)
