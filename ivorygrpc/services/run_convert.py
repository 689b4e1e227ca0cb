"""Runs and run events <-> `ivorygrpc.v1` messages.

Stored payloads are already the JSON form of their messages (proto field
names, enum names), so conversion is `json_format.ParseDict`; step, progress
and iteration events (streamed to every watcher for every step and iteration)
and a run's repeat mode and progress (in every queue edit's answer) take a
direct path that gives the same message without json_format's per-field Python
work, and fall back to `ParseDict` for anything unusual.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from google.protobuf import duration_pb2, json_format, message, struct_pb2

from ivorygrpc.errors import FieldViolation, InvalidArguments
from ivorygrpc.execution.campaign_run import CampaignMode
from ivorygrpc.execution.names import state_name
from ivorygrpc.execution.records import fold_phases
from ivorygrpc.execution.run_modes import CsvMode, Mode, RepeatMode, RowsMode
from ivorygrpc.services.campaign_convert import campaign_mode
from ivorygrpc.services.convert import set_timestamp
from ivorygrpc.store.records import RUN_STATES, EventRecord, RunRecord
from ivorygrpc.v1 import run_pb2

_STATES = {state_name(s): s for s in RUN_STATES}


def state_from_number(number: int, field: str) -> str:
    """`RUN_STATE_QUEUED` (number) -> "queued"; raises InvalidArguments."""
    descriptor = run_pb2.RunState.DESCRIPTOR.values_by_number.get(number)
    if descriptor is None or descriptor.name not in _STATES:
        raise InvalidArguments([FieldViolation(field, f"unknown run state {number}")])
    return _STATES[descriptor.name]


def _parse(data: Mapping[str, Any], target: message.Message) -> Any:
    return json_format.ParseDict(dict(data), target, ignore_unknown_fields=True)


def run_message(run: RunRecord, queue_position: int, *, plan: Mapping[str, Any] | None = None,
                events: Iterable[EventRecord] | None = None) -> run_pb2.Run:
    """The `Run` message; `plan` and `events` fill the full view."""
    msg = run_pb2.Run(id=run.id, display_name=run.display_name, workflow=run.workflow,
                      workflow_version=run.workflow_version, submitter=run.submitter,
                      batch_size=run.batch_size, queue_position=queue_position,
                      state=state_name(run.state))
    _fill(_run_mode, run.mode, msg.mode)
    msg.options.cleanup_on_stop = bool(run.options.get("cleanup_on_stop", True))
    msg.options.continue_queue_on_stop = bool(run.options.get("continue_queue_on_stop", False))
    if run.pause:
        _parse(run.pause, msg.pause)
    _fill(_progress_event, run.progress, msg.progress)
    if run.error:
        _parse(run.error, msg.error)
    set_timestamp(msg.create_time, run.created_at)
    if run.started_at is not None:
        set_timestamp(msg.start_time, run.started_at)
    if run.finished_at is not None:
        set_timestamp(msg.end_time, run.finished_at)
    if plan is not None:
        for samples in plan.get("iterations") or []:
            _parse({"samples": samples}, msg.iterations.add())
    if events is not None:
        for phase in fold_phases(events):
            _parse(phase, msg.phases.add())
    return msg


def event_message(event: EventRecord) -> run_pb2.RunEvent:
    """The `RunEvent` message of a stored event."""
    msg = run_pb2.RunEvent()
    fill_event(msg, event)
    return msg


def fill_event(msg: run_pb2.RunEvent, event: EventRecord) -> None:
    """Fill an empty `RunEvent` from a stored event, in place (a message that holds
    the event, like a stream's response, needs no copy of it)."""
    msg.sequence = event.sequence
    msg.run_id = event.run_id
    set_timestamp(msg.time, event.time)
    target = getattr(msg, event.kind)
    direct = _DIRECT.get(event.kind)
    if direct is None:
        _parse(event.payload, target)
    else:
        _fill(direct, event.payload, target)


def _fill(direct: Callable[[Mapping[str, Any], Any], None], data: Mapping[str, Any],
          target: message.Message) -> None:
    """`direct(data, target)`, or `_parse` when it refuses something unusual: the same
    message either way (the direct path skips json_format's per-field Python work)."""
    try:
        direct(data, target)
    except (TypeError, ValueError, KeyError, AttributeError, json_format.ParseError):
        target.Clear()
        _parse(data, target)


def _set_duration(target: duration_pb2.Duration, text: str) -> None:
    """`target.FromJsonString(text)`, directly for the runner's own "S.ffffffs" form."""
    whole, dot, fraction = text[:-1].partition(".")
    if (text[-1:] == "s" and dot and len(fraction) == 6 and whole.isdigit()
            and fraction.isdigit() and whole.isascii() and fraction.isascii()):
        target.seconds = int(whole)
        target.nanos = int(fraction) * 1000
    else:
        target.FromJsonString(text)


_PHASES: dict[str, run_pb2.RunPhase] = dict(run_pb2.RunPhase.items())  # type: ignore[arg-type]


def _step_event(data: Mapping[str, Any], target: run_pb2.StepEvent) -> None:
    """What `_parse(data, target)` gives for a `StepEvent`; raises for anything unusual
    (the caller then clears `target` and takes `_parse`)."""
    _fields(data, target, _STEP_FIELDS)
    if data.get("skipped") is not None:
        if type(data["skipped"]) is not bool:
            raise ValueError("skipped")
        target.skipped = data["skipped"]
    if data.get("arguments") is not None:
        _check_plain(data["arguments"])
        target.arguments.SetInParent()  # present also when empty, as ParseDict does
        target.arguments.update(data["arguments"])
    if "output" in data:
        _check_plain(data["output"])
        _set_value(target.output, data["output"])
    if data.get("duration") is not None:
        _set_duration(target.duration, data["duration"])
    if data.get("error") is not None:
        _parse(data["error"], target.error)


def _progress_event(data: Mapping[str, Any], target: run_pb2.RunProgress) -> None:
    """As `_step_event`, for a `RunProgress`."""
    _fields(data, target, _PROGRESS_FIELDS)
    if "fraction" in data:
        fraction = data["fraction"]
        if type(fraction) not in (int, float) or not math.isfinite(fraction):
            raise ValueError("fraction")
        target.fraction = fraction


def _run_mode(data: Mapping[str, Any], target: run_pb2.RunMode) -> None:
    """As `_step_event`, for a repeat `RunMode` (every queue edit answers with its run;
    the other modes take `_parse`)."""
    (kind, body), = data.items()  # ValueError unless exactly one
    if kind != "repeat" or type(body) is not dict or not set(body) <= {"count", "parameters"}:
        raise KeyError(kind)
    repeat = target.repeat
    repeat.SetInParent()
    if "count" in body:
        if type(body["count"]) is not int:
            raise ValueError("count")
        repeat.count = body["count"]
    if "parameters" in body:
        if type(body["parameters"]) is not dict:
            raise ValueError("parameters")
        _check_plain(body["parameters"])
        repeat.parameters.SetInParent()
        repeat.parameters.update(body["parameters"])


def _iteration_event(data: Mapping[str, Any], target: run_pb2.IterationEvent) -> None:
    """As `_step_event`, for an `IterationEvent`."""
    _fields(data, target, _ITERATION_FIELDS)
    for key in ("parameters", "outputs"):
        structs = data.get(key)
        if structs is None:
            continue
        if type(structs) is not list:
            raise ValueError(key)
        repeated = getattr(target, key)
        for struct in structs:
            if type(struct) is not dict:
                raise ValueError(key)
            _check_plain(struct)
            repeated.add().update(struct)


_TEXT, _INTEGER, _PHASE, _OTHER = range(4)


def _fields(data: Mapping[str, Any], target: Any, known: Mapping[str, int]) -> None:
    """Set `data`'s text, integer and phase fields on `target` (the others are the
    caller's); KeyError for a key `known` does not have."""
    for key, value in data.items():
        kind = known[key]
        if kind == _OTHER:
            continue
        if kind == _PHASE:
            target.phase = _PHASES[value]
        elif type(value) is not (str if kind == _TEXT else int):
            raise ValueError(key)
        else:
            setattr(target, key, value)  # ValueError when out of the field's range


_STEP_FIELDS = {"step_id": _TEXT, "kind": _TEXT, "title": _TEXT, "iteration": _INTEGER,
                "sample": _INTEGER, "attempt": _INTEGER, "phase": _PHASE,
                **dict.fromkeys(("arguments", "output", "duration", "error", "skipped"), _OTHER)}
_PROGRESS_FIELDS = {"step_id": _TEXT, "last_completed_step_id": _TEXT, "iteration": _INTEGER,
                    "iterations": _INTEGER, "phase": _PHASE, "fraction": _OTHER}
_ITERATION_FIELDS = {"index": _INTEGER, "total": _INTEGER, "phase": _PHASE,
                     "parameters": _OTHER, "outputs": _OTHER}
_DIRECT: dict[str, Callable[[Mapping[str, Any], Any], None]] = {
    "step_started": _step_event, "step_finished": _step_event, "progress": _progress_event,
    "iteration_started": _iteration_event, "iteration_finished": _iteration_event}


def _check_plain(value: Any) -> None:
    """Only what json_format puts into a `Value`: finite numbers, text, bool, None, lists and
    objects with text keys (ValueError otherwise)."""
    kind = type(value)
    if kind is float and not math.isfinite(value):
        raise ValueError("not finite")
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise ValueError("key")
            _check_plain(item)
    elif kind is list:
        for item in value:
            _check_plain(item)
    elif kind not in (str, int, float, bool, type(None)):
        raise ValueError("type")


def _set_value(target: struct_pb2.Value, value: Any) -> None:
    if value is None:
        target.null_value = struct_pb2.NULL_VALUE
    elif isinstance(value, bool):
        target.bool_value = value
    elif isinstance(value, int | float):
        target.number_value = value
    elif isinstance(value, str):
        target.string_value = value
    elif isinstance(value, dict):
        target.struct_value.update(value)
    else:
        target.list_value.extend(value)


def heartbeat_message(sequence: int) -> run_pb2.RunEvent:
    """A heartbeat carrying the last sequence sent."""
    msg = run_pb2.RunEvent(sequence=sequence)
    msg.heartbeat.SetInParent()
    return msg


def mode_from_message(mode: run_pb2.RunMode) -> Mode | CampaignMode:
    """The domain mode of a `RunMode` (repeat once when unset)."""
    kind = mode.WhichOneof("kind")
    if kind is None:
        return RepeatMode(1, {})
    if kind == "campaign":
        return campaign_mode(mode.campaign)
    if kind == "repeat":
        return RepeatMode(mode.repeat.count, _struct(mode.repeat.parameters,
                                                     "mode.repeat.parameters"))
    if kind == "rows":
        return RowsMode([_struct(row, f"mode.rows[{i}]")
                         for i, row in enumerate(mode.rows.rows)])
    return CsvMode(mode.csv.text)


def _struct(struct: message.Message, field: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json_format.MessageToDict(struct)
    except json_format.Error as exc:
        raise InvalidArguments([FieldViolation(field, f"numbers must be finite ({exc})")]) from exc
    return data
