"""Checking `RunRepository.apply`'s operations and grouping them into write steps.

Every op is checked before anything is written (see `RunRepository.apply`). Events are
grouped until the next `DeleteRun` or the end (events reference nothing, so only a
delete cares whether they were written before it); consecutive `InsertRun`s and
consecutive `UpdateRun`s of the same columns become one step each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ivorygrpc.errors import NotFound
from ivorygrpc.store._common import aware, check_text, clean_text
from ivorygrpc.store.driver_sql import json_text
from ivorygrpc.store.records import (
    RUN_FIELDS,
    RUN_STATES,
    AppendEvent,
    DeleteRun,
    InsertRun,
    RunOp,
    UpdateRun,
)

QUEUED = "queued"
RESOURCE = "run"
KIND_LENGTH = 32  # run_events.kind is VARCHAR(32)
TARGET = "target_run_id"  # the key of the run an UPDATE is for


@dataclass
class WriteStep:
    """Consecutive ops of one kind: "insert", "update" (same columns), "delete" or "events"."""

    kind: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    keys: tuple[str, ...] = ()


def group_ops(ops: Sequence[RunOp]) -> list[WriteStep]:
    """Check every op and group them into steps (nothing is written yet)."""
    steps: list[WriteStep] = []
    events: list[dict[str, Any]] = []
    for op in ops:
        if isinstance(op, AppendEvent):
            events.append(_event_row(op))
        elif isinstance(op, UpdateRun):
            values = _update_values(op)
            keys = tuple(sorted(values))
            last = steps[-1] if steps else None
            if last is None or last.kind != "update" or last.keys != keys:
                last = WriteStep("update", keys=keys)
                steps.append(last)
            last.rows.append({TARGET: _run_id(op.run_id), **values})
        elif isinstance(op, InsertRun):
            run, plan = _insert_rows(op)
            if not steps or steps[-1].kind != "insert":
                steps.append(WriteStep("insert"))
            steps[-1].rows.append(run)
            steps[-1].plans.append(plan)
        elif isinstance(op, DeleteRun):
            if events:
                steps.append(WriteStep("events", rows=events))
                events = []
            steps.append(WriteStep("delete", rows=[{TARGET: _run_id(op.run_id)}]))
        else:
            raise TypeError(f"not a run operation: {op!r}")
    if events:
        steps.append(WriteStep("events", rows=events))
    return steps


def _run_id(run_id: str) -> str:
    """The id of a run to change: a NUL cannot be stored, so that run cannot exist."""
    if not isinstance(run_id, str):
        raise TypeError("run_id must be a str")
    if "\x00" in run_id or not run_id:
        raise run_not_found(run_id)
    return run_id


def _insert_rows(op: InsertRun) -> tuple[dict[str, Any], dict[str, Any]]:
    check_text(id=op.id, workflow=op.workflow, submitter=op.submitter,
               request_id=op.request_id)
    if not op.id:
        raise ValueError("a run id must not be empty")
    for name in ("workflow_version", "batch_size", "position"):
        _integer(name, getattr(op, name))
    for name in ("mode", "options", "plan", "progress"):
        _dict(name, getattr(op, name))
    run = {"id": op.id, "display_name": clean_text(op.display_name), "workflow": op.workflow,
           "workflow_version": op.workflow_version, "submitter": op.submitter,
           "request_id": op.request_id, "mode": op.mode, "batch_size": op.batch_size,
           "options": op.options, "state": QUEUED, "position": op.position, "pause": None,
           "progress": op.progress, "error": None,
           "created_at": aware("created_at", op.created_at), "started_at": None,
           "finished_at": None}
    return run, {"run_id": op.id, "plan": op.plan}


def _update_values(op: UpdateRun) -> dict[str, Any]:
    unknown = set(op.fields) - set(RUN_FIELDS)
    if unknown:
        raise ValueError(f"UpdateRun cannot set {', '.join(sorted(unknown))} "
                         f"(only {', '.join(RUN_FIELDS)})")
    values = dict(op.fields)
    for name, value in values.items():
        if name == "display_name":
            if not isinstance(value, str):
                raise TypeError("display_name must be a str")
            values[name] = clean_text(value)
        elif name == "state":
            if value not in RUN_STATES:
                raise ValueError(f"state must be one of {', '.join(RUN_STATES)}, not {value!r}")
        elif name == "position":
            if value is not None:
                _integer(name, value)
        elif name in ("started_at", "finished_at"):
            if value is not None:
                values[name] = aware(name, value)
        elif name == "progress" or value is not None:  # pause, error: None clears them
            _dict(name, value)
    return values


def _event_row(op: AppendEvent) -> dict[str, Any]:
    check_text(run_id=op.run_id, kind=op.kind)
    if not op.kind or len(op.kind) > KIND_LENGTH:
        raise ValueError(f"an event kind has 1 to {KIND_LENGTH} characters: {op.kind!r}")
    _dict("payload", op.payload)
    return {"run_id": op.run_id, "time": aware("time", op.time), "kind": op.kind,
            "payload": json_text(op.payload)}  # the stored text, bound as it is


def _integer(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int")


def _dict(name: str, value: Any) -> None:
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict")


def run_not_found(run_id: str) -> NotFound:
    """NOT_FOUND (reason RUN_NOT_FOUND) for `run_id`."""
    return NotFound(RESOURCE, run_id, reason="RUN_NOT_FOUND")
