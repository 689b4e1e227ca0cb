"""Plain values returned by the store (ORM rows never leave the package)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

CALL_STATES = ("running", "succeeded", "failed")
ROLES = ("viewer", "operator", "admin")
WORKFLOW_STATES = ("editing", "finalized")
WORKFLOW_ORDERS = ("name", "update_time desc")  # the orders of WorkflowRepository.list


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
