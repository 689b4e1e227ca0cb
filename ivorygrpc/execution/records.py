"""Run records folded from the event log: phases, iterations, step attempts, CSV exports.

A run's record is never stored on its own; it is derived from the run's events
(`RunEvent` payloads in JSON form with proto field names). The fold tolerates a
log cut short by a killed server: a step or iteration without its finish event
simply has no `end_time`.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

PHASE_NAMES = ("RUN_PHASE_UNSPECIFIED", "RUN_PHASE_PREP", "RUN_PHASE_MAIN", "RUN_PHASE_CLEANUP")
MAIN = "RUN_PHASE_MAIN"
STEP_COLUMNS = ("phase", "iteration", "step_id", "kind", "title", "sample", "attempt",
                "start_time", "end_time", "duration_seconds", "error_type", "error_message",
                "skipped", "arguments", "output")

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

StepKey = tuple[str, int, str, int, int]


class EventRecordLike(Protocol):
    """A stored event (as `ivorygrpc.store.records.EventRecord`)."""

    @property
    def sequence(self) -> int: ...
    @property
    def run_id(self) -> str: ...
    @property
    def time(self) -> datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...


@dataclass
class _Fold:
    """The fold's working state: records by phase and index, step attempts by identity."""

    phases: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    steps: dict[StepKey, dict[str, Any]] = field(default_factory=dict)
    durations: dict[int, float] = field(default_factory=dict)  # by id() of a step record

    def iteration(self, phase: str, index: int) -> dict[str, Any]:
        iterations = self.phases.setdefault(phase, {})
        if index not in iterations:
            iterations[index] = {"index": index, "parameters": [], "outputs": [], "steps": []}
        return iterations[index]

    def records(self) -> list[dict[str, Any]]:
        return [{"phase": phase, "iterations": [iterations[i] for i in sorted(iterations)]}
                for phase, iterations in self.phases.items()]


def rfc3339(moment: datetime) -> str:
    """RFC 3339 UTC text with a `Z` suffix (a naive time is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _phase(payload: Mapping[str, Any]) -> str:
    value = payload.get("phase", PHASE_NAMES[0])
    if isinstance(value, int) and 0 <= value < len(PHASE_NAMES):
        return PHASE_NAMES[value]
    return str(value)


def _index(value: Any) -> int:
    """A 1-based iteration index; a missing one (prep, cleanup) is 1."""
    return max(_int(value), 1)


def _error(payload: Mapping[str, Any]) -> dict[str, Any] | None:
    error = payload.get("error")
    return dict(error) if isinstance(error, Mapping) and error else None


def _seconds(value: Any) -> float | None:
    """A JSON `Duration` ("0.012s") or a number of seconds, in seconds."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip().removesuffix("s"))
    except ValueError:
        return None


def _step_key(payload: Mapping[str, Any]) -> StepKey:
    return (_phase(payload), _index(payload.get("iteration")), str(payload.get("step_id", "")),
            _int(payload.get("sample")), _int(payload.get("attempt")))


def _new_step(payload: Mapping[str, Any]) -> dict[str, Any]:
    step: dict[str, Any] = {
        "step_id": str(payload.get("step_id", "")), "kind": str(payload.get("kind", "")),
        "title": str(payload.get("title", "")), "sample": _int(payload.get("sample")),
        "attempt": _int(payload.get("attempt")), "skipped": False}
    if isinstance(payload.get("arguments"), Mapping):
        step["arguments"] = copy.deepcopy(dict(payload["arguments"]))
    return step


def _fold(events: Iterable[EventRecordLike]) -> _Fold:
    fold = _Fold()
    for event in sorted(events, key=lambda e: e.sequence):
        kind, payload, when = event.kind, event.payload, rfc3339(event.time)
        if kind in ("phase_started", "phase_finished"):
            fold.phases.setdefault(_phase(payload), {})
        elif kind in ("iteration_started", "iteration_finished"):
            record = fold.iteration(_phase(payload), _index(payload.get("index")))
            parameters = payload.get("parameters")
            if isinstance(parameters, list) and (kind == "iteration_started"
                                                 or not record["parameters"]):
                record["parameters"] = copy.deepcopy(parameters)
            if kind == "iteration_started":
                record.setdefault("start_time", when)
            else:
                outputs = payload.get("outputs")
                record["outputs"] = copy.deepcopy(outputs) if isinstance(outputs, list) else []
                record.setdefault("end_time", when)
        elif kind == "step_started":
            key = _step_key(payload)
            step = _new_step(payload) | {"start_time": when}
            fold.iteration(key[0], key[1])["steps"].append(step)
            fold.steps[key] = step
        elif kind == "step_finished":
            _finish(fold, payload, when)
    return fold


def _finish(fold: _Fold, payload: Mapping[str, Any], when: str) -> None:
    """Complete a step attempt; a repeated finish (the operator's skip) only adds to it."""
    key = _step_key(payload)
    step = fold.steps.get(key)
    if step is None:  # the start was never logged: record the attempt anyway
        step = fold.steps[key] = _new_step(payload)
        fold.iteration(key[0], key[1])["steps"].append(step)
    step.setdefault("end_time", when)
    if "output" in payload:
        step["output"] = copy.deepcopy(payload["output"])
    error = _error(payload)
    if error is not None:
        step["error"] = error
    step["skipped"] = bool(step["skipped"] or payload.get("skipped"))
    seconds = _seconds(payload.get("duration")) if "duration" in payload else None
    if seconds is not None:
        fold.durations.setdefault(id(step), seconds)


def fold_phases(events: Iterable[EventRecordLike]) -> list[dict[str, Any]]:
    """The run's `PhaseRecord`s in JSON form (proto field names), in the order phases started."""
    return _fold(events).records()


def last_completed_step(events: Iterable[EventRecordLike]) -> str:
    """The step id of the last attempt that finished without error and was not skipped."""
    last = ""
    for event in sorted(events, key=lambda e: e.sequence):
        payload = event.payload
        if (event.kind == "step_finished" and _error(payload) is None
                and not payload.get("skipped")):
            last = str(payload.get("step_id", ""))
    return last


def _text(value: str) -> str:
    """Neutralize a spreadsheet formula: quote text starting with =, +, -, @ (not numbers)."""
    if value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _cell(value: Any) -> str:
    """One CSV cell: numbers as written (floats with repr), text guarded, the rest as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _text(value)
    return _text(_json(value))


def _write(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_text(name) for name in header])
    writer.writerows(rows)
    return out.getvalue()


def _keys(dicts: Iterable[Any], into: dict[str, None]) -> None:
    for item in dicts:
        if isinstance(item, Mapping):
            into.update(dict.fromkeys(str(k) for k in item))


def results_csv(events: Iterable[EventRecordLike]) -> str:
    """One row per main-phase sample: iteration, sample, parameters, then other outputs.

    A value comes from the sample's outputs at the end of its iteration (a variable
    shadows a parameter of the same name there) and falls back to its parameters,
    which are all there is for an iteration that never finished.
    """
    phases = fold_phases(events)
    iterations: list[dict[str, Any]] = next(
        (p["iterations"] for p in phases if p["phase"] == MAIN), [])
    parameters: dict[str, None] = {}
    outputs: dict[str, None] = {}
    for iteration in iterations:
        _keys(iteration["parameters"], parameters)
        _keys(iteration["outputs"], outputs)
    columns = list(parameters) + [k for k in outputs if k not in parameters]
    rows: list[list[str]] = []
    for iteration in iterations:
        given, ended = iteration["parameters"], iteration["outputs"]
        for sample in range(max(len(given), len(ended))):
            values: dict[str, Any] = {}
            for source in (given, ended):  # outputs last: they win
                if sample < len(source) and isinstance(source[sample], Mapping):
                    values.update((str(k), v) for k, v in source[sample].items())
            rows.append([_cell(iteration["index"]), _cell(sample)]
                        + [_cell(values.get(column)) for column in columns])
    return _write(["iteration", "sample", *columns], rows)


def steps_csv(events: Iterable[EventRecordLike]) -> str:
    """One row per step attempt, in record order (phase, iteration, start)."""
    fold = _fold(events)
    rows: list[list[str]] = []
    for phase in fold.records():
        short = phase["phase"].removeprefix("RUN_PHASE_").lower()
        for iteration in phase["iterations"]:
            for step in iteration["steps"]:
                error = step.get("error") or {}
                rows.append([
                    _text(short), _cell(iteration["index"]), _cell(step["step_id"]),
                    _cell(step["kind"]), _cell(step["title"]), _cell(step["sample"]),
                    _cell(step["attempt"]), step.get("start_time", ""), step.get("end_time", ""),
                    _cell(fold.durations.get(id(step))), _cell(str(error.get("type", ""))),
                    _cell(str(error.get("message", ""))), _cell(step["skipped"]),
                    _json(step["arguments"]) if "arguments" in step else "",
                    _text(_json(step["output"])) if "output" in step else ""])
    return _write(STEP_COLUMNS, rows)
