"""ORM rows. Private to `ivorygrpc.store`: callers get `records` dataclasses."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
WITH_REQUEST_ID = "request_id <> ''"  # the partial unique index: empty request_ids never clash


def json_dumps(value: Any) -> str:
    """JSON text as stored; non-finite floats become "NaN"/"Infinity"/"-Infinity"."""
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return json.dumps(_finite(value), allow_nan=False, separators=(",", ":"))


def _finite(value: Any, path: frozenset[int] = frozenset()) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict | list | tuple):
        if id(value) in path:  # as json.dumps says it, instead of recursing without end
            raise ValueError("Circular reference detected")
        inner = path | {id(value)}
        if isinstance(value, dict):
            return {k: _finite(v, inner) for k, v in value.items()}
        return [_finite(v, inner) for v in value]
    return value


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING)


class CallRow(Base):
    """A row of `call_records`."""

    __tablename__ = "call_records"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    instrument: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(Text)
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON)
    caller: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    output: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    error_type: Mapped[str] = mapped_column(Text)
    error_message: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_call_records_started_at_id", "started_at", "id"),
        Index("ix_call_records_instrument_started_at_id", "instrument", "started_at", "id"),
        Index("ix_call_records_state", "state"),
        Index("uq_call_records_caller_request_id", "caller", "request_id", unique=True,
              sqlite_where=text(WITH_REQUEST_ID), postgresql_where=text(WITH_REQUEST_ID)),
    )


class UserRow(Base):
    """A row of `users`: the password hash only, never the password."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(Text, primary_key=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer)
    failed_logins: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class TokenRow(Base):
    """A row of `tokens`: the sha256 of a bearer token, never the token."""

    __tablename__ = "tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(
        Text, ForeignKey("users.username", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (Index("ix_tokens_username", "username"),)


class AuditRow(Base):
    """A row of `audit_log` (ids never reused: AUTOINCREMENT on SQLite, SERIAL on PostgreSQL)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_audit_log_actor_id", "actor", "id"),
        Index("ix_audit_log_action_id", "action", "id"),
        {"sqlite_autoincrement": True},
    )


class WorkflowRow(Base):
    """A row of `workflows`: one per workflow, describing its latest version.

    `search_*` are the casefolded name, display name and description of the latest
    version, so that searching is case-insensitive the same way on every backend;
    `deck` and `registered` are copied from the latest body for filtering.
    """

    __tablename__ = "workflows"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    latest_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    search_name: Mapped[str] = mapped_column(Text)
    search_display_name: Mapped[str] = mapped_column(Text)
    search_description: Mapped[str] = mapped_column(Text)
    deck: Mapped[str] = mapped_column(Text)
    registered: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        Index("ix_workflows_updated_at_name", "updated_at", "name"),
        Index("ix_workflows_deck", "deck"),
    )


class WorkflowVersionRow(Base):
    """A row of `workflow_versions`: one saved, immutable version of a workflow."""

    __tablename__ = "workflow_versions"

    name: Mapped[str] = mapped_column(
        Text, ForeignKey("workflows.name", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WorkflowCallRow(Base):
    """A row of `workflow_calls`: the latest version of `caller` calls `callee`."""

    __tablename__ = "workflow_calls"

    caller: Mapped[str] = mapped_column(
        Text, ForeignKey("workflows.name", ondelete="CASCADE"), primary_key=True)
    callee: Mapped[str] = mapped_column(Text, primary_key=True)

    __table_args__ = (Index("ix_workflow_calls_callee", "callee"),)


SEQUENCE = BigInteger().with_variant(Integer(), "sqlite")  # SQLite: a true rowid alias


class RunRow(Base):
    """A row of `runs`; `request_id` "" (none) is left out of the unique index."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    display_name: Mapped[str] = mapped_column(Text)
    workflow: Mapped[str] = mapped_column(Text)
    workflow_version: Mapped[int] = mapped_column(Integer)
    submitter: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str] = mapped_column(Text)
    mode: Mapped[dict[str, Any]] = mapped_column(JSON)
    batch_size: Mapped[int] = mapped_column(Integer)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    position: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    pause: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        Index("ix_runs_state_position", "state", "position"),
        Index("ix_runs_created_at_id", "created_at", "id"),
        Index("ix_runs_workflow", "workflow"),
        Index("uq_runs_submitter_request_id", "submitter", "request_id", unique=True,
              sqlite_where=text(WITH_REQUEST_ID), postgresql_where=text(WITH_REQUEST_ID)),
    )


class RunPlanRow(Base):
    """A row of `run_plans`: the plan of a run, apart so that listing runs skips it."""

    __tablename__ = "run_plans"

    run_id: Mapped[str] = mapped_column(
        Text, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)


class RunEventRow(Base):
    """A row of `run_events`. No foreign key: queue-wide events have `run_id` "".

    Sequences are never reused: AUTOINCREMENT on SQLite, BIGSERIAL on PostgreSQL.
    """

    __tablename__ = "run_events"

    sequence: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(Text)
    time: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_run_events_run_id_sequence", "run_id", "sequence"),
        {"sqlite_autoincrement": True},
    )


class RunEventMarkRow(Base):
    """The one row of `run_event_mark`: the highest sequence of a deleted event.

    `RunRepository.last_sequence` is the larger of it and the newest stored sequence,
    so it never goes backwards when the newest events are deleted (read in the same
    transaction as the events, unlike a PostgreSQL sequence).
    """

    __tablename__ = "run_event_mark"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sequence: Mapped[int] = mapped_column(BigInteger)


class CampaignRow(Base):
    """A row of `campaigns`: an optimizer campaign, driven by a run (`run_id`) or by people."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    display_name: Mapped[str] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(
        Text, ForeignKey("runs.id", ondelete="CASCADE"), nullable=True)
    workflow: Mapped[str] = mapped_column(Text)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    creator: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str] = mapped_column(Text)
    goal_reached: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_campaigns_created_at_id", "created_at", "id"),
        Index("ix_campaigns_run_id", "run_id"),
        Index("uq_campaigns_creator_request_id", "creator", "request_id", unique=True,
              sqlite_where=text(WITH_REQUEST_ID), postgresql_where=text(WITH_REQUEST_ID)),
    )


class CampaignTrialRow(Base):
    """A row of `campaign_trials`: one trial, numbered 1, 2, 3 ... per campaign."""

    __tablename__ = "campaign_trials"

    campaign_id: Mapped[str] = mapped_column(
        Text, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    objective_values: Mapped[dict[str, Any]] = mapped_column(JSON)
    constraint_values: Mapped[list[float]] = mapped_column(JSON)
    feasible: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str] = mapped_column(Text)
    iteration: Mapped[int] = mapped_column(Integer)
    sample: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
