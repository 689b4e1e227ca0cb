"""The direct-call repository (thread-safe).

`start` and `finish` are on the hot path of every direct call: they run prebuilt
SQL on the driver's cursor (no ORM, no SQLAlchemy execution context) and commit
in groups: concurrent threads' writes share one transaction (`GroupCommit`), so
a write is durable when its method returns, without a commit of its own per call.
The values are written exactly as the ORM columns would write them (`_Sql`), so
every other reader sees the same rows.
"""

from __future__ import annotations

import builtins
import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import CursorResult, Engine, Table, and_, or_, select, update
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.orm import Session, sessionmaker

from ivorygrpc.store._common import (
    Repository,
    check_limit,
    check_text,
    clean_text,
    utc_now,
)
from ivorygrpc.store.driver_sql import DriverSql, json_text
from ivorygrpc.store.models import CallRow
from ivorygrpc.store.records import CallRecord

INTERRUPTED = "Interrupted"
INTERRUPTED_MESSAGE = "the server stopped before the call ended"
CALLS = cast(Table, CallRow.__table__)
_COLUMNS = tuple(column.name for column in CALLS.columns)
_JSON_COLUMNS = ("arguments", "output")
_FINISHED = ("state", "finished_at", "output", "error_type", "error_message")
T = TypeVar("T")


class _Sql(DriverSql):
    """The two hot statements of call records."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine.dialect)

        def marks(names: tuple[str, ...]) -> list[str]:
            return [self.json_mark if name in _JSON_COLUMNS else self.mark for name in names]

        self.insert = (f"INSERT INTO {CALLS.name} ({', '.join(_COLUMNS)}) "
                       f"VALUES ({', '.join(marks(_COLUMNS))})")
        assignments = ", ".join(f"{name} = {value}"
                                for name, value in zip(_FINISHED, marks(_FINISHED), strict=True))
        self.finish = (f"UPDATE {CALLS.name} SET {assignments} "
                       f"WHERE id = {self.mark} AND state = 'running'")
        self.integrity_error: type[Exception] = engine.dialect.loaded_dbapi.IntegrityError


class _Write(Generic[T]):
    __slots__ = ("apply", "done", "error", "result")

    def __init__(self, apply: Callable[[DBAPICursor], T]) -> None:
        self.apply = apply
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None


class GroupCommit:
    """Leader/follower group commit for threads.

    `run(apply)` queues `apply`; whoever holds the commit lock next applies every
    queued write on one driver cursor in one transaction and commits it, so the
    writes of threads that arrived while a commit was in progress share the next
    commit. A write that fails is retried alone, so one bad write never fails the
    others. `run` returns once its write is committed (or raises what `apply` raised).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: list[_Write[Any]] = []
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self.groups = 0  # committed transactions (for tests and diagnostics)

    def run(self, apply: Callable[[DBAPICursor], T]) -> T:
        """Apply and commit `apply(cursor)`, together with concurrent writes."""
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
        connection = self._engine.raw_connection()  # a pooled connection: Store.close waits
        try:
            try:
                cursor = connection.cursor()
                results = [write.apply(cursor) for write in group]
                connection.commit()
            except Exception as exc:
                connection.rollback()
                if len(group) == 1:
                    group[0].error, group[0].done = exc, True
                    return
                for write in group:
                    self._commit([write])
                return
        finally:
            connection.close()
        self.groups += 1
        for write, result in zip(group, results, strict=True):
            write.result, write.done = result, True


class CallRepository(Repository):
    """Direct-call records: start, finish, look up, list (keyset pages), recover."""

    def __init__(self, sessions: sessionmaker[Session],
                 clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(sessions, clock)
        self.group_commit = GroupCommit(self._engine)
        self._sql = _Sql(self._engine)

    def start(self, *, instrument: str, method: str, arguments: dict[str, Any], caller: str,
              request_id: str = "") -> tuple[CallRecord, bool]:
        """Insert a running record and return `(record, True)`.

        A non-empty `request_id` already used by `caller` returns `(existing, False)`
        instead; a unique partial index settles concurrent starts.
        """
        if "\x00" in instrument + method + caller + request_id:
            check_text(instrument=instrument, method=method, caller=caller,
                       request_id=request_id)  # raises, naming the field
        if request_id:
            existing = self.find_by_request_id(caller, request_id)
            if existing is not None:
                return existing, False
        text = json_text(arguments)  # raises TypeError if not JSON-able
        record = CallRecord(uuid.uuid4().hex, instrument, method, json.loads(text), caller,
                            request_id, "running", self._now(), None, None, "", "")
        sql = self._sql
        row = (record.id, instrument, method, text, caller, request_id, "running",
               sql.time(record.started_at), None, None, "", "")
        try:
            self.group_commit.run(lambda cursor: cursor.execute(sql.insert, row))
        except sql.integrity_error:
            existing = self.find_by_request_id(caller, request_id) if request_id else None
            if existing is None:
                raise
            return existing, False
        return record, True

    def finish(self, call_id: str, *, output: Any = None, error_type: str = "",
               error_message: str = "", started: CallRecord | None = None) -> CallRecord:
        """End a running call: `failed` when `error_type` is set, else `succeeded`.

        The first outcome wins: a call that already ended is returned unchanged.
        Raises KeyError for an unknown id. Given the call's `started` record (as
        `start` returned it), the ended record is built from it instead of read back.
        """
        failed = bool(error_type)
        text = None if failed or output is None else json_text(output)
        finished_at = self._now()
        error_type, error_message = clean_text(error_type), clean_text(error_message)
        values = ("failed" if failed else "succeeded", self._sql.time(finished_at), text,
                  error_type, error_message, call_id)
        sql = self._sql

        def apply(cursor: DBAPICursor) -> int:
            cursor.execute(sql.finish, values)
            return cursor.rowcount

        changed = self.group_commit.run(apply)
        if changed == 1 and started is not None and started.id == call_id:
            return CallRecord(
                call_id, started.instrument, started.method, started.arguments, started.caller,
                started.request_id, values[0], started.started_at, finished_at,
                None if text is None else json.loads(text), error_type, error_message)
        record = self.get(call_id)  # ended already (the first outcome wins), or unknown
        if record is None:
            raise KeyError(call_id)
        return record

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


def _record(row: Any) -> CallRecord:
    """A record from an ORM row or a Core row of `call_records`."""
    return CallRecord(
        id=row.id, instrument=row.instrument, method=row.method, arguments=row.arguments,
        caller=row.caller, request_id=row.request_id, state=row.state,
        started_at=row.started_at, finished_at=row.finished_at, output=row.output,
        error_type=row.error_type, error_message=row.error_message)
