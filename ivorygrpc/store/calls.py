"""The direct-call repository: one short session per method (thread-safe)."""

from __future__ import annotations

import builtins
import uuid
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from ivorygrpc.store._common import (
    Repository,
    check_limit,
    check_text,
    clean_text,
    stored_json,
)
from ivorygrpc.store.models import CallRow
from ivorygrpc.store.records import CallRecord

INTERRUPTED = "Interrupted"
INTERRUPTED_MESSAGE = "the server stopped before the call ended"


class CallRepository(Repository):
    """Direct-call records: start, finish, look up, list (keyset pages), recover."""

    def start(self, *, instrument: str, method: str, arguments: dict[str, Any], caller: str,
              request_id: str = "") -> tuple[CallRecord, bool]:
        """Insert a running record and return `(record, True)`.

        A non-empty `request_id` already used by `caller` returns `(existing, False)`
        instead; a unique partial index settles concurrent starts.
        """
        check_text(instrument=instrument, method=method, caller=caller, request_id=request_id)
        if request_id:
            existing = self.find_by_request_id(caller, request_id)
            if existing is not None:
                return existing, False
        row = CallRow(id=uuid.uuid4().hex, instrument=instrument, method=method,
                      arguments=stored_json(arguments), caller=caller, request_id=request_id,
                      state="running", started_at=self._now(), finished_at=None, output=None,
                      error_type="", error_message="")
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                record = _record(row)
        except IntegrityError:
            existing = self.find_by_request_id(caller, request_id) if request_id else None
            if existing is None:
                raise
            return existing, False
        return record, True

    def finish(self, call_id: str, *, output: Any = None, error_type: str = "",
               error_message: str = "") -> CallRecord:
        """End a running call: `failed` when `error_type` is set, else `succeeded`.

        The first outcome wins: a call that already ended is returned unchanged.
        Raises KeyError for an unknown id.
        """
        state = "failed" if error_type else "succeeded"
        values: dict[str, Any] = {
            "state": state, "finished_at": self._now(), "output": None if error_type else output,
            "error_type": clean_text(error_type), "error_message": clean_text(error_message)}
        with self._sessions.begin() as session:
            session.execute(update(CallRow).where(CallRow.id == call_id,
                                                  CallRow.state == "running").values(**values))
            row = session.get(CallRow, call_id)
            if row is None:
                raise KeyError(call_id)
            return _record(row)

    def get(self, call_id: str) -> CallRecord | None:
        """The record `call_id`, or None."""
        if "\x00" in call_id:  # cannot be stored, so cannot exist (PostgreSQL rejects NUL)
            return None
        with self._sessions() as session:
            row = session.get(CallRow, call_id)
            return None if row is None else _record(row)

    def find_by_request_id(self, caller: str, request_id: str) -> CallRecord | None:
        """The call `caller` made with `request_id`, or None (always None for "")."""
        if not request_id or "\x00" in request_id + caller:
            return None
        with self._sessions() as session:
            row = session.scalars(select(CallRow).where(
                CallRow.caller == caller, CallRow.request_id == request_id)).first()
            return None if row is None else _record(row)

    def list(self, *, instrument: str | None = None, limit: int = 50,
             before: tuple[datetime, str] | None = None) -> builtins.list[CallRecord]:
        """Records newest first (started_at desc, id desc), at most `limit`.

        `before` is the `(started_at, id)` of the last record of the previous page.
        """
        if instrument is not None and "\x00" in instrument:
            return []
        check_limit(limit)
        query = select(CallRow)
        if instrument is not None:
            query = query.where(CallRow.instrument == instrument)
        if before is not None:
            started_at, call_id = before
            if started_at.tzinfo is None:
                started_at = started_at.replace(tzinfo=UTC)
            query = query.where(or_(CallRow.started_at < started_at,
                                    and_(CallRow.started_at == started_at, CallRow.id < call_id)))
        query = query.order_by(CallRow.started_at.desc(), CallRow.id.desc()).limit(limit)
        with self._sessions() as session:
            return [_record(row) for row in session.scalars(query)]

    def mark_interrupted(self) -> int:
        """Fail every running record (the server stopped mid-call); returns how many."""
        with self._sessions.begin() as session:
            result = cast(CursorResult[Any], session.execute(
                update(CallRow).where(CallRow.state == "running").values(
                    state="failed", finished_at=self._now(), error_type=INTERRUPTED,
                    error_message=INTERRUPTED_MESSAGE)))
            return result.rowcount


def _record(row: CallRow) -> CallRecord:
    return CallRecord(
        id=row.id, instrument=row.instrument, method=row.method, arguments=row.arguments,
        caller=row.caller, request_id=row.request_id, state=row.state,
        started_at=row.started_at, finished_at=row.finished_at, output=row.output,
        error_type=row.error_type, error_message=row.error_message)
