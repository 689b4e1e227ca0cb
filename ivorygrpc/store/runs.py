"""Runs, their plans and their events.

One writer (the executor's event log) changes runs with `apply`: a batch of operations
in one transaction, so a run's row and the events that describe the change are stored
together or not at all. Readers use one short session per method (thread-safe).

Event sequences come from the database: AUTOINCREMENT on SQLite (the rowid of a deleted
newest event is not handed out again), BIGSERIAL on PostgreSQL (a sequence never goes
back). `last_sequence` must not go backwards either when `DeleteRun` removes the newest
events, so a delete first raises the one-row `run_event_mark` to the newest stored
sequence; `last_sequence` is the larger of the two, read in one statement (one snapshot,
transactional on both backends, unlike `sqlite_sequence`/`pg_sequences`, which are not
portable and, on PostgreSQL, count values of uncommitted or rolled-back transactions).

Inside a batch, events are inserted together just before the next `DeleteRun` or at
the end: events reference nothing, so only a delete cares whether they were written
before it. Consecutive `InsertRun`s become one multi-row insert (`run_ops.group_ops`
checks the ops and makes these groups).

Appending events and updating a run by id happen once or more per workflow step, so they
run prebuilt SQL on the driver's cursor of the same connection and transaction (`_Sql`;
no SQLAlchemy execution context), with the values bound exactly as the ORM types bind
them, so every reader sees the same rows. Everything else goes through SQLAlchemy Core.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Connection,
    Dialect,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from ivorygrpc.errors import AlreadyExists
from ivorygrpc.store._common import (
    Repository,
    aware,
    check_limit,
    check_text,
    utc_now,
)
from ivorygrpc.store.driver_sql import DriverSql, json_text
from ivorygrpc.store.models import (
    RunEventMarkRow,
    RunEventRow,
    RunPlanRow,
    RunRow,
    UtcDateTime,
)
from ivorygrpc.store.records import (
    ACTIVE_RUN_STATES,
    RUN_FIELDS,
    RUN_ORDERS,
    RUN_STATES,
    EventRecord,
    InsertRun,
    RunOp,
    RunRecord,
)
from ivorygrpc.store.run_ops import (
    QUEUED,
    RESOURCE,
    TARGET,
    WriteStep,
    group_ops,
    run_not_found,
)

RUNS = cast(Table, RunRow.__table__)
PLANS = cast(Table, RunPlanRow.__table__)
EVENTS = cast(Table, RunEventRow.__table__)
MARK = cast(Table, RunEventMarkRow.__table__)
RUN_COLUMNS = tuple(RUNS.c[f.name] for f in fields(RunRecord))
EVENT_COLUMNS = tuple(EVENTS.c[f.name] for f in fields(EventRecord))
BY_CREATE_TIME, BY_QUEUE = RUN_ORDERS
MARK_ID = 1
# Statements of the hot paths, built once (SQLAlchemy then reuses their cache keys).
_GET_RUN = select(*RUN_COLUMNS).where(RUNS.c.id == bindparam("run_id"))
_BY_REQUEST_ID = select(*RUN_COLUMNS).where(RUNS.c.submitter == bindparam("submitter"),
                                            RUNS.c.request_id == bindparam("request_id"))
_INSERT_RUNS = insert(RUNS)
_INSERT_PLANS = insert(PLANS)
_EVENT_INSERTED = ("run_id", "time", "kind", "payload")  # sequence comes from the database
_JSON_FIELDS = frozenset(name for name in RUN_FIELDS if isinstance(RUNS.c[name].type, JSON))
_TIME_FIELDS = frozenset(name for name in RUN_FIELDS
                         if isinstance(RUNS.c[name].type, UtcDateTime))
_NULL_JSON = {name: None if cast(JSON, RUNS.c[name].type).none_as_null else "null"
              for name in _JSON_FIELDS}  # what None binds as: SQL NULL or JSON null
NEWEST = select(func.max(EVENTS.c.sequence)).scalar_subquery()
RAISE_MARK = update(MARK).where(MARK.c.id == MARK_ID, MARK.c.sequence < NEWEST).values(
    sequence=NEWEST)
UNIQUE_SQLITE = ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")
UNIQUE_SQLSTATE = "23505"  # PostgreSQL unique_violation


class _Sql(DriverSql):
    """The hot statements of `apply`."""

    def __init__(self, dialect: Dialect) -> None:
        super().__init__(dialect)
        mark = self.mark
        columns = ", ".join(_EVENT_INSERTED)
        values = f"{mark}, {mark}, {mark}, {self.json_mark}"
        # SQLite: the sequence is the rowid (INTEGER PRIMARY KEY AUTOINCREMENT): lastrowid.
        self.insert_event = f"INSERT INTO {EVENTS.name} ({columns}) VALUES ({values})" + (
            "" if self.sqlite else " RETURNING sequence")
        self._inserts: dict[int, str] = {}
        self._updates: dict[tuple[str, ...], str] = {}
        self.dbapi_error: type[Exception] = dialect.loaded_dbapi.Error

    def insert_events(self, count: int) -> str:
        """PostgreSQL: `count` events in one statement, numbered in parameter order.

        The rows go through `ORDER BY n`, so BIGSERIAL hands out ascending sequences
        in parameter order; the caller sorts the returned sequences (RETURNING has no
        order of its own). This is how SQLAlchemy sorts by parameter order, too.
        """
        statement = self._inserts.get(count)
        if statement is None:
            mark = self.mark
            rows = ", ".join(f"({mark}, {mark}, {mark}, {mark}, {n})" for n in range(count))
            statement = (f"INSERT INTO {EVENTS.name} ({', '.join(_EVENT_INSERTED)}) "
                         f"SELECT v.run_id, v.time, v.kind, CAST(v.payload AS JSON) "
                         f"FROM (VALUES {rows}) AS v (run_id, time, kind, payload, n) "
                         f"ORDER BY v.n RETURNING sequence")
            self._inserts[count] = statement
        return statement

    def update(self, keys: tuple[str, ...]) -> str:
        """UPDATE runs SET `keys` WHERE id = the last parameter."""
        statement = self._updates.get(keys)
        if statement is None:
            assignments = ", ".join(
                f"{name} = {self.json_mark if name in _JSON_FIELDS else self.mark}"
                for name in keys)
            statement = f"UPDATE {RUNS.name} SET {assignments} WHERE id = {self.mark}"
            self._updates[keys] = statement
        return statement

    def field(self, name: str, value: Any) -> Any:
        """A checked `UpdateRun` value as its column binds it."""
        if name in _JSON_FIELDS:
            return _NULL_JSON[name] if value is None else json_text(value)
        if name in _TIME_FIELDS and value is not None:
            return self.time(value)
        return value


class RunRepository(Repository):
    """Runs and events: batched writes (`apply`), lookups, keyset pages, event replay."""

    def __init__(self, sessions: sessionmaker[Session],
                 clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(sessions, clock)
        self._sql = _Sql(self._engine.dialect)

    def apply(self, ops: Sequence[RunOp]) -> builtins.list[EventRecord]:
        """Apply `ops` in order in one transaction; returns the appended events in order.

        Every op is checked before anything is written: ValueError for an UpdateRun key
        outside RUN_FIELDS, an unknown state, a naive datetime, NUL characters in ids,
        submitters, request ids or event kinds, an empty run id or a kind longer than 32
        characters; TypeError for a value of the wrong type (non-JSON-able values are
        found while writing and also raise TypeError). While writing, NotFound (reason
        RUN_NOT_FOUND) for an UpdateRun or DeleteRun of an unknown run and AlreadyExists
        (reason RUN_EXISTS) for a taken id or a (submitter, request_id) already used;
        either rolls back the whole batch.
        """
        steps = group_ops(ops)
        if not steps:
            return []
        inserts = [op for op in ops if isinstance(op, InsertRun)]
        try:
            with self._engine.begin() as connection:  # Core only: no Session on the hot path
                # the driver's cursor of this connection: same transaction as Core's statements
                cursor = connection.connection.cursor()
                try:
                    appended = self._write(steps, connection, cursor)
                finally:
                    cursor.close()
        except IntegrityError as exc:
            if not _unique_violation(exc):
                raise
            raise self._conflict(inserts) from None
        except StatementError as exc:
            if isinstance(exc, DBAPIError) or not isinstance(exc.orig, TypeError | ValueError):
                raise
            raise exc.orig from None  # a value the JSON serializer refused
        return appended

    def _write(self, steps: builtins.list[WriteStep], connection: Connection,
               cursor: DBAPICursor) -> builtins.list[EventRecord]:
        sql = self._sql
        appended: builtins.list[EventRecord] = []
        try:
            for step in steps:
                if step.kind == "events":
                    appended += _append(sql, cursor, step.rows)
                elif step.kind == "update":
                    _update(sql, connection, cursor, step)
                elif step.kind == "insert":
                    connection.execute(_INSERT_RUNS, step.rows)
                    connection.execute(_INSERT_PLANS, step.plans)
                else:
                    _delete(connection, step.rows[0][TARGET])
        except sql.dbapi_error as exc:  # from the driver's cursor: raised as Core raises it
            raise DBAPIError.instance(None, None, exc, sql.dbapi_error,
                                      dialect=connection.dialect) from exc
        return appended

    def get(self, run_id: str) -> RunRecord | None:
        """The run `run_id`, or None."""
        if "\x00" in run_id:
            return None  # cannot be stored, so cannot exist
        with self._engine.connect() as connection:
            row = connection.execute(_GET_RUN, {"run_id": run_id}).first()
            return None if row is None else _run(row)

    def find_by_request_id(self, submitter: str, request_id: str) -> RunRecord | None:
        """The run `submitter` created with `request_id`, or None (always None for "")."""
        if not request_id or "\x00" in request_id + submitter:
            return None
        with self._engine.connect() as connection:
            row = connection.execute(_BY_REQUEST_ID, {"submitter": submitter,
                                                      "request_id": request_id}).first()
            return None if row is None else _run(row)

    def plan(self, run_id: str) -> dict[str, Any] | None:
        """The plan stored with the run, or None for an unknown run."""
        if "\x00" in run_id:
            return None
        with self._sessions() as session:
            plan: dict[str, Any] | None = session.scalar(
                select(PLANS.c.plan).where(PLANS.c.run_id == run_id))
            return plan

    def list(self, *, states: Sequence[str] = (), workflow: str = "",
             created_after: datetime | None = None, created_before: datetime | None = None,
             order: str = BY_CREATE_TIME, limit: int = 50,
             after: tuple[str, ...] | None = None) -> builtins.list[RunRecord]:
        """Matching runs, at most `limit` (keyset pages; `after` = `run_cursor` of the
        last run of the previous page, made with the same `order`).

        `states` keeps runs in any of them (all when empty); `workflow` keeps that
        workflow's runs; `created_after` is inclusive, `created_before` exclusive.
        `order` "create_time desc": newest first, ties by id descending. "queue": queued
        runs only (combined with `states`), by position, ties by id. ValueError for an
        unknown state or order, a naive datetime or a malformed cursor.
        """
        check_limit(limit)
        if isinstance(states, str):
            raise TypeError("states must be a sequence of states, not a str")
        for state in states:
            if state not in RUN_STATES:
                raise ValueError(f"state must be one of {', '.join(RUN_STATES)}, not {state!r}")
        if order not in RUN_ORDERS:
            raise ValueError(f"order must be one of {', '.join(map(repr, RUN_ORDERS))}, "
                             f"not {order!r}")
        if "\x00" in workflow:
            return []
        query = select(*RUN_COLUMNS)
        if states:
            query = query.where(RUNS.c.state.in_(set(states)))
        if workflow:
            query = query.where(RUNS.c.workflow == workflow)
        if created_after is not None:
            query = query.where(RUNS.c.created_at >= aware("created_after", created_after))
        if created_before is not None:
            query = query.where(RUNS.c.created_at < aware("created_before", created_before))
        if order == BY_CREATE_TIME:
            if after is not None:
                iso, run_id = _cursor(after)
                try:
                    moment = aware("after", datetime.fromisoformat(iso))
                except ValueError:
                    raise ValueError(f"after: not an ISO 8601 time with offset: {iso!r}") from None
                query = query.where(or_(RUNS.c.created_at < moment, and_(
                    RUNS.c.created_at == moment, RUNS.c.id < run_id)))
            query = query.order_by(RUNS.c.created_at.desc(), RUNS.c.id.desc())
        else:
            query = query.where(RUNS.c.state == QUEUED)
            if after is not None:
                text, run_id = _cursor(after)
                try:
                    position = int(text)
                except ValueError:
                    raise ValueError(f"after: not a queue position: {text!r}") from None
                query = query.where(or_(RUNS.c.position > position, and_(
                    RUNS.c.position == position, RUNS.c.id > run_id)))
            query = query.order_by(RUNS.c.position, RUNS.c.id)
        with self._sessions() as session:
            return [_run(row) for row in session.execute(query.limit(limit))]

    def queued(self) -> builtins.list[tuple[str, int]]:
        """`(id, position)` of the queued runs, in queue order (position, then id)."""
        query = select(RUNS.c.id, RUNS.c.position).where(RUNS.c.state == QUEUED).order_by(
            RUNS.c.position, RUNS.c.id)
        with self._sessions() as session:
            return [(run_id, position or 0) for run_id, position in session.execute(query)]

    def active(self) -> builtins.list[RunRecord]:
        """The runs in ACTIVE_RUN_STATES (executing), oldest first."""
        query = select(*RUN_COLUMNS).where(RUNS.c.state.in_(ACTIVE_RUN_STATES)).order_by(
            RUNS.c.created_at, RUNS.c.id)
        with self._sessions() as session:
            return [_run(row) for row in session.execute(query)]

    def max_position(self) -> int:
        """The largest position of a queued run, 0 when none is queued."""
        with self._sessions() as session:
            return session.scalar(select(func.max(RUNS.c.position)).where(
                RUNS.c.state == QUEUED)) or 0

    def events_after(self, after_sequence: int, *, run_id: str | None = None,
                     kinds: Sequence[str] = (), limit: int = 1000) -> builtins.list[EventRecord]:
        """Events with a sequence above `after_sequence`, ascending, at most `limit`.

        `run_id` None: every event, queue-wide ones (run_id "") included; else only that
        run's events ("" for the queue-wide ones only). `kinds` keeps those kinds.
        """
        check_limit(limit)
        if run_id is not None and "\x00" in run_id:
            return []
        query = select(*EVENT_COLUMNS).where(EVENTS.c.sequence > after_sequence)
        if run_id is not None:
            query = query.where(EVENTS.c.run_id == run_id)
        query = _kinds(query, kinds).order_by(EVENTS.c.sequence).limit(limit)
        with self._sessions() as session:
            return [EventRecord(*row) for row in session.execute(query)]

    def events_of(self, run_id: str, kinds: Sequence[str] = ()) -> builtins.list[EventRecord]:
        """Every event of `run_id` (of `kinds` if given), ascending."""
        if "\x00" in run_id:
            return []
        query = _kinds(select(*EVENT_COLUMNS).where(EVENTS.c.run_id == run_id), kinds)
        with self._sessions() as session:
            return [EventRecord(*row) for row in session.execute(
                query.order_by(EVENTS.c.sequence))]

    def last_sequence(self) -> int:
        """The highest sequence ever stored (deleted events count), 0 before any."""
        query = select(func.max(EVENTS.c.sequence),
                       select(MARK.c.sequence).where(MARK.c.id == MARK_ID).scalar_subquery())
        with self._sessions() as session:
            newest, mark = session.execute(query).one()
            return max(newest or 0, mark or 0)

    def _conflict(self, inserts: builtins.list[InsertRun]) -> AlreadyExists:
        """Which insert clashed (looked up after the rollback)."""
        for op in inserts:
            if self.get(op.id) is not None:
                return AlreadyExists(RESOURCE, op.id, reason="RUN_EXISTS")
            if op.request_id and self.find_by_request_id(op.submitter, op.request_id):
                return AlreadyExists(RESOURCE, op.request_id, reason="RUN_EXISTS")
        # two inserts of this batch clashed with each other
        first = next((op for op in inserts if op.request_id), inserts[0])
        return AlreadyExists(RESOURCE, first.request_id or first.id, reason="RUN_EXISTS")


def run_cursor(record: RunRecord, order: str = BY_CREATE_TIME) -> tuple[str, ...]:
    """The `after` of `RunRepository.list` that continues after `record` in `order`."""
    if order == BY_CREATE_TIME:
        return (record.created_at.isoformat(), record.id)
    if order == BY_QUEUE:
        if record.position is None:
            raise ValueError(f"run {record.id!r} has no queue position")
        return (str(record.position), record.id)
    raise ValueError(f"order must be one of {', '.join(map(repr, RUN_ORDERS))}, not {order!r}")


# -- apply: the statements ----------------------------------------------------------------------

def _append(sql: _Sql, cursor: DBAPICursor,
            rows: builtins.list[dict[str, Any]]) -> builtins.list[EventRecord]:
    values = [(row["run_id"], sql.time(row["time"]), row["kind"], row["payload"])
              for row in rows]
    sequences: builtins.list[int] = []
    if sql.sqlite:  # one insert each, in order: AUTOINCREMENT rowids ascend in that order
        for params in values:
            cursor.execute(sql.insert_event, params)
            sequences.append(cursor.lastrowid)
    elif len(values) == 1:
        cursor.execute(sql.insert_event, values[0])
        sequences.append(_one(cursor)[0])
    else:
        cursor.execute(sql.insert_events(len(values)),
                       [value for params in values for value in params])
        sequences = sorted(sequence for sequence, in cursor.fetchall())
    return [EventRecord(sequence, row["run_id"], row["time"], row["kind"],
                        json.loads(row["payload"]))  # as it reads back
            for sequence, row in zip(sequences, rows, strict=True)]


def _update(sql: _Sql, connection: Connection, cursor: DBAPICursor, step: WriteStep) -> None:
    """Each run of `step` by id, in order; NotFound for the first one that does not exist."""
    if not step.keys:  # nothing to set: the run must exist all the same
        ids = [row[TARGET] for row in step.rows]
        found = set(connection.scalars(select(RUNS.c.id).where(RUNS.c.id.in_(set(ids)))))
        missing = next((run_id for run_id in ids if run_id not in found), None)
        if missing is not None:
            raise run_not_found(missing)
        return
    statement = sql.update(step.keys)
    for row in step.rows:
        cursor.execute(statement, (*(sql.field(name, row[name]) for name in step.keys),
                                   row[TARGET]))
        if cursor.rowcount != 1:  # the id is the primary key: 0 rows means no such run
            raise run_not_found(row[TARGET])


def _one(cursor: DBAPICursor) -> Any:
    row = cursor.fetchone()
    if row is None:  # pragma: no cover - INSERT ... RETURNING returns its row
        raise RuntimeError("INSERT ... RETURNING returned no row")
    return row


def _delete(connection: Connection, run_id: str) -> None:
    connection.execute(delete(PLANS).where(PLANS.c.run_id == run_id))
    if connection.execute(delete(RUNS).where(RUNS.c.id == run_id)).rowcount == 0:
        raise run_not_found(run_id)
    connection.execute(RAISE_MARK)
    connection.execute(delete(EVENTS).where(EVENTS.c.run_id == run_id))


def _unique_violation(exc: IntegrityError) -> bool:
    orig = exc.orig
    return (getattr(orig, "sqlstate", None) == UNIQUE_SQLSTATE
            or getattr(orig, "sqlite_errorname", None) in UNIQUE_SQLITE)


# -- reading -----------------------------------------------------------------------------------

def _kinds(query: Any, kinds: Sequence[str]) -> Any:
    """`query` (a SELECT; typed Any as `Select`'s parameters differ in SQLAlchemy 2.0/2.1)
    keeping `kinds` only."""
    if isinstance(kinds, str):
        raise TypeError("kinds must be a sequence of kinds, not a str")
    if kinds:
        query = query.where(EVENTS.c.kind.in_(set(kinds)))
    return query


def _cursor(after: tuple[str, ...]) -> tuple[str, str]:
    if not isinstance(after, tuple) or len(after) != 2 or not all(
            isinstance(part, str) for part in after):
        raise ValueError("after must be a tuple of 2 str (see run_cursor)")
    check_text(after=after[1])
    return after[0], after[1]


def _run(row: Any) -> RunRecord:
    return RunRecord(*row)
