"""Plain values returned by the store (ORM rows never leave the package)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

CALL_STATES = ("running", "succeeded", "failed")
ROLES = ("viewer", "operator", "admin")
WORKFLOW_STATES = ("editing", "finalized")
WORKFLOW_ORDERS = ("name", "update_time desc")  # the orders of WorkflowRepository.list
RUN_STATES = ("queued", "running", "paused", "succeeded", "failed", "stopped", "cancelled",
              "interrupted")
ACTIVE_RUN_STATES = ("running", "paused")  # executing: interrupted if the server stops
RUN_ORDERS = ("create_time desc", "queue")  # the orders of RunRepository.list
RUN_FIELDS = ("display_name", "state", "position", "pause", "progress", "error", "started_at",
              "finished_at")  # the columns an UpdateRun may set


@dataclass(frozen=True)
class CallRecord:
    """One direct call: who called what, with which arguments, and how it ended."""

    id: str
    instrument: str
    method: str
    arguments: dict[str, Any]
    caller: str
    request_id: str
    state: str
    started_at: datetime
    finished_at: datetime | None
    output: Any
    error_type: str
    error_message: str


@dataclass(frozen=True)
class UserRecord:
    """A user account. `version` starts at 1 and grows with every change (the etag)."""

    username: str
    password_hash: str
    role: str  # one of ROLES
    disabled: bool
    created_at: datetime
    updated_at: datetime
    version: int
    failed_logins: int
    locked_until: datetime | None


@dataclass(frozen=True)
class TokenRecord:
    """A bearer token, known only by the hex sha256 of the token."""

    token_hash: str
    username: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class AuditRecord:
    """One audited event; `id` increases with time."""

    id: int
    time: datetime
    actor: str  # a username, "anonymous" or "ivorygrpc"
    action: str  # e.g. "login_failed", "user_created", "password_changed"
    target: str  # what was acted on (usually a username); "" if nothing
    detail: dict[str, Any]


@dataclass(frozen=True)
class WorkflowRecord:
    """One saved version of a workflow; versions are numbered 1, 2, 3 ... and never change."""

    name: str
    version: int
    body: dict[str, Any]  # JSON-able content of this version, as it reads back
    state: str  # one of WORKFLOW_STATES: the workflow's current state, not this version's
    author: str  # who saved this version
    created_at: datetime  # when version 1 was saved
    updated_at: datetime  # when this version was saved


@dataclass(frozen=True)
class RunRecord:
    """One run of one workflow version (its plan is kept apart: `RunRepository.plan`).

    The JSON values are opaque to the store and come back as they read back.
    """

    id: str
    display_name: str
    workflow: str
    workflow_version: int
    submitter: str
    request_id: str  # "" when none
    mode: dict[str, Any]
    batch_size: int
    options: dict[str, Any]
    state: str  # one of RUN_STATES
    position: int | None  # the queue order key while queued, else None
    pause: dict[str, Any] | None
    progress: dict[str, Any]
    error: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class EventRecord:
    """Something that happened to a run (or to the queue, with `run_id` "")."""

    sequence: int  # increasing per database, never reused (also after deletes)
    run_id: str  # "" for queue-wide events
    time: datetime
    kind: str  # e.g. "state_changed", "step_started", "log"
    payload: dict[str, Any]


@dataclass(frozen=True)
class InsertRun:
    """Write operation: a new queued run and its plan."""

    id: str
    display_name: str
    workflow: str
    workflow_version: int
    submitter: str
    request_id: str  # "" when none; else unique per submitter
    mode: dict[str, Any]
    batch_size: int
    options: dict[str, Any]
    plan: dict[str, Any]
    position: int
    progress: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class UpdateRun:
    """Write operation: set some columns of a run (keys among RUN_FIELDS)."""

    run_id: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class AppendEvent:
    """Write operation: append an event (`run_id` "" for a queue-wide one)."""

    run_id: str
    kind: str
    payload: dict[str, Any]
    time: datetime


@dataclass(frozen=True)
class DeleteRun:
    """Write operation: delete a run, its plan and its events."""

    run_id: str


RunOp = InsertRun | UpdateRun | AppendEvent | DeleteRun
