"""The direct-call repository (thread-safe).

`start` and `finish` are on the hot path of every direct call: they use Core
statements (no ORM unit of work) and commit in groups: concurrent threads'
writes share one transaction (`GroupCommit`), so a write is durable when its
method returns, without a commit of its own per call.
"""

from __future__ import annotations

import builtins
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    Table,
    and_,
    bindparam,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ivorygrpc.store._common import (
    Repository,
    check_limit,
    check_text,
    clean_text,
    stored_json,
    utc_now,
)
from ivorygrpc.store.models import CallRow
from ivorygrpc.store.records import CallRecord

INTERRUPTED = "Interrupted"
INTERRUPTED_MESSAGE = "the server stopped before the call ended"
CALLS = cast(Table, CallRow.__table__)
# Built once: a statement object caches its compiled form (the hot path skips compiling).
_INSERT = insert(CALLS)
_FINISH = (update(CALLS)
           .where(CALLS.c.id == bindparam("call_id"), CALLS.c.state == "running")
           .values({name: bindparam(f"new_{name}") for name in
                    ("state", "finished_at", "output", "error_type", "error_message")})
           .returning(*CALLS.c))
_BY_ID = select(CALLS).where(CALLS.c.id == bindparam("call_id"))
T = TypeVar("T")


class _Write(Generic[T]):
    __slots__ = ("apply", "done", "error", "result")

    def __init__(self, apply: Callable[[Connection], T]) -> None:
        self.apply = apply
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None


class GroupCommit:
    """Leader/follower group commit for threads.

    `run(apply)` queues `apply`; whoever holds the commit lock next applies every
    queued write in one transaction and commits it, so the writes of threads that
    arrived while a commit was in progress share the next commit. A write that
    fails is retried alone, so one bad write never fails the others. `run`
    returns once its write is committed (or raises what `apply` raised).
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._engine: Engine = sessions.kw["bind"]
        self._queue: list[_Write[Any]] = []
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self.groups = 0  # committed transactions (for tests and diagnostics)

    def run(self, apply: Callable[[Connection], T]) -> T:
        """Apply and commit `apply(connection)`, together with concurrent writes."""
        write = _Write(apply)
        with self._queue_lock:
            self._queue.append(write)
        with self._commit_lock:
            if not write.done:  # else an earlier leader committed it
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._commit(group)
        if write.error is not None:
            raise write.error
        return cast(T, write.result)

    def _commit(self, group: builtins.list[_Write[Any]]) -> None:
        try:
            with self._engine.begin() as connection:
                results = [write.apply(connection) for write in group]
        except Exception as exc:
            if len(group) == 1:
                group[0].error, group[0].done = exc, True
                return
            for write in group:
                self._commit([write])
            return
        self.groups += 1
        for write, result in zip(group, results, strict=True):
            write.result, write.done = result, True


class CallRepository(Repository):
    """Direct-call records: start, finish, look up, list (keyset pages), recover."""

    def __init__(self, sessions: sessionmaker[Session],
                 clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(sessions, clock)
        self.group_commit = GroupCommit(sessions)

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
        record = CallRecord(
            id=uuid.uuid4().hex, instrument=instrument, method=method,
            arguments=stored_json(arguments), caller=caller, request_id=request_id,
            state="running", started_at=self._now(), finished_at=None, output=None,
            error_type="", error_message="")
        row = {name: getattr(record, name) for name in _COLUMNS}
        try:
            self.group_commit.run(lambda connection: connection.execute(_INSERT, [row]))
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
            "call_id": call_id, "new_state": state, "new_finished_at": self._now(),
            "new_output": None if error_type else output,
            "new_error_type": clean_text(error_type),
            "new_error_message": clean_text(error_message)}

        def apply(connection: Connection) -> Any:
            row = connection.execute(_FINISH, values).first()
            if row is None:  # ended already, or unknown
                row = connection.execute(_BY_ID, {"call_id": call_id}).first()
            return row

        row = self.group_commit.run(apply)
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


_COLUMNS = tuple(column.name for column in CALLS.columns)


def _record(row: Any) -> CallRecord:
    """A record from an ORM row or a Core row of `call_records`."""
    return CallRecord(
        id=row.id, instrument=row.instrument, method=row.method, arguments=row.arguments,
        caller=row.caller, request_id=row.request_id, state=row.state,
        started_at=row.started_at, finished_at=row.finished_at, output=row.output,
        error_type=row.error_type, error_message=row.error_message)
