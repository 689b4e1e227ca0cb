"""Step events take a direct path to their message: it must give exactly what
json_format.ParseDict gives, and anything it does not handle falls back to ParseDict."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format

from ivorygrpc.services.run_convert import _step_event
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


def _reference(payload: dict[str, Any]) -> run_pb2.StepEvent | str:
    try:
        return json_format.ParseDict(dict(payload), run_pb2.StepEvent(),
                                     ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        return type(exc).__name__


def _direct(payload: dict[str, Any]) -> run_pb2.StepEvent | str:
    target = run_pb2.StepEvent()
    try:
        _step_event(payload, target)
    except json_format.ParseError as exc:
        return type(exc).__name__
    return target


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_the_direct_path_gives_the_json_format_message(payload: dict[str, Any]) -> None:
    direct, reference = _direct(payload), _reference(payload)
    assert direct == reference
    if isinstance(direct, run_pb2.StepEvent):  # field presence too (empty arguments)
        assert direct.HasField("arguments") == reference.HasField("arguments")


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_numbers_take_json_formats_own_path(bad: float) -> None:
    for payload in ({**BASE, "output": bad}, {**BASE, "arguments": {"x": [bad]}}):
        direct, reference = _direct(payload), _reference(payload)
        assert isinstance(direct, run_pb2.StepEvent) and isinstance(reference, run_pb2.StepEvent)
        assert direct.SerializeToString() == reference.SerializeToString()
