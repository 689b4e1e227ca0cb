"""The workflow library: every saved change is a new, numbered, immutable version.

One short session per method (thread-safe). The body of a version is opaque JSON to
the store, except for the keys copied into `workflows` for listing: "display_name",
"description", "deck" and "registered". Which workflows a version calls is given by
the caller (`calls`) and kept for the latest version only.

Concurrency: every change starts with a write to the workflow's own row (INSERT,
UPDATE or DELETE), so changes to one workflow are serialised by its row lock on
PostgreSQL and by the database write lock on SQLite. A save also takes a KEY SHARE
lock on the rows of the workflows it calls, so a concurrent delete of one of them
either waits and then sees the new caller, or wins and the caller calls a workflow
that no longer exists (as if it was saved after the delete).
"""

from __future__ import annotations

import builtins
import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ivorygrpc.errors import AlreadyExists, FailedPrecondition, NotFound, StaleEtag
from ivorygrpc.store._common import (
    Repository,
    aware,
    check_limit,
    check_text,
    clean_text,
    stored_json,
    utc_now,
)
from ivorygrpc.store.models import WorkflowCallRow, WorkflowRow, WorkflowVersionRow
from ivorygrpc.store.records import WORKFLOW_ORDERS, WORKFLOW_STATES, WorkflowRecord

EDITING, FINALIZED = WORKFLOW_STATES
BY_NAME, BY_UPDATE_TIME = WORKFLOW_ORDERS
RESOURCE = "workflow"
NO_SYNC = {"synchronize_session": False}
LATEST = WorkflowVersionRow.version == WorkflowRow.latest_version


class WorkflowRepository(Repository):
    """Workflows by name: create, save versions (optimistic), finalize, delete, list."""

    def __init__(self, sessions: sessionmaker[Session],
                 clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(sessions, clock)
        self._changes = 0
        self._changes_lock = threading.Lock()

    @property
    def changes(self) -> int:
        """Grows after every change made through this repository (committed or not).

        Something computed from workflows read after seeing `changes` at some value is
        still right while `changes` has that value (one server per database: nothing
        else writes workflows).
        """
        return self._changes

    @contextlib.contextmanager
    def _changing(self) -> Iterator[Session]:
        """A write transaction; `changes` grows once it has ended (after the commit)."""
        try:
            with self._sessions.begin() as session:
                yield session
        finally:
            with self._changes_lock:
                self._changes += 1

    def create(self, name: str, body: dict[str, Any], *, author: str,
               calls: Iterable[str] = ()) -> WorkflowRecord:
        """Save version 1 of a new workflow (state "editing").

        Raises AlreadyExists (WORKFLOW_EXISTS) if the name is taken, also when a
        concurrent create wins the race (the primary key settles it); ValueError for
        NUL characters in `name`, `author` or `calls`; TypeError if `body` is not a
        JSON-able dict.
        """
        check_text(name=name, author=author)
        stored = _body(body)
        callees = _callees(calls)
        now = self._now()
        workflow = WorkflowRow(name=name, latest_version=1, state=EDITING, created_at=now,
                               updated_at=now, **_listed(name, stored))
        with self._changing() as session:
            session.add(workflow)
            try:
                session.flush()
            except IntegrityError:
                raise AlreadyExists(RESOURCE, name, reason="WORKFLOW_EXISTS") from None
            version = _add_version(session, workflow, stored, author, callees, saved_at=now)
            return _record(workflow, version)

    def get(self, name: str, version: int | None = None) -> WorkflowRecord | None:
        """Version `version` of `name` (the latest when None), or None."""
        if "\x00" in name:
            return None  # cannot be stored, so cannot exist
        query = _joined().where(WorkflowRow.name == name, WorkflowVersionRow.version == (
            WorkflowRow.latest_version if version is None else version))
        with self._sessions() as session:
            found = session.execute(query).first()
            return None if found is None else _from_row(found)

    def save_version(self, name: str, body: dict[str, Any], *, author: str,
                     expected_version: int | None = None,
                     calls: Iterable[str] = ()) -> WorkflowRecord:
        """Save `body` as the next version of `name` and return it.

        `calls` replaces the names the workflow calls. With `expected_version`, the save
        applies only if the latest version still is that one (one `UPDATE ... WHERE
        latest_version = ?`: of two concurrent saves with the same expected version,
        exactly one wins), else StaleEtag. Raises NotFound (WORKFLOW_NOT_FOUND) for an
        unknown workflow and FailedPrecondition (WORKFLOW_FINALIZED) for a finalized one
        (whatever `expected_version` is); ValueError/TypeError as `create`.
        """
        check_text(author=author)
        stored = _body(body)
        callees = _callees(calls)
        if "\x00" in name:
            raise _not_found(name)
        now = self._now()
        statement = update(WorkflowRow).where(WorkflowRow.name == name,
                                              WorkflowRow.state == EDITING)
        if expected_version is not None:
            statement = statement.where(WorkflowRow.latest_version == expected_version)
        statement = statement.values(latest_version=WorkflowRow.latest_version + 1,
                                     updated_at=now, **_listed(name, stored))
        with self._changing() as session:
            result = cast(CursorResult[Any], session.execute(
                statement, execution_options=NO_SYNC))
            workflow = session.get(WorkflowRow, name, populate_existing=True)
            if result.rowcount == 0:
                if workflow is None:
                    raise _not_found(name)
                if workflow.state == FINALIZED:
                    raise _finalized(name)
                if expected_version is None:
                    # PostgreSQL only: deleted (and created anew) while this save waited
                    raise _not_found(name)
                raise StaleEtag(RESOURCE, name)
            if workflow is None:  # pragma: no cover - the row was just updated
                raise _not_found(name)
            version = _add_version(session, workflow, stored, author, callees, saved_at=now)
            return _record(workflow, version)

    def finalize(self, name: str) -> WorkflowRecord | None:
        """Lock the workflow against saves; returns its latest version (None if unknown).

        Idempotent. Finalizing saves no version: `updated_at` does not change.
        """
        if "\x00" in name:
            return None
        with self._changing() as session:
            session.execute(update(WorkflowRow).where(
                WorkflowRow.name == name, WorkflowRow.state == EDITING).values(
                state=FINALIZED), execution_options=NO_SYNC)
            found = session.execute(_joined().where(WorkflowRow.name == name, LATEST),
                                    execution_options={"populate_existing": True}).first()
            return None if found is None else _from_row(found)

    def delete(self, name: str) -> bool:
        """Delete the workflow and all its versions; False if there was no such workflow.

        Refused with FailedPrecondition (WORKFLOW_IN_USE, metadata `callers`: the sorted
        names, comma-separated) while the latest version of another workflow calls it.
        """
        if "\x00" in name:
            return False
        with self._changing() as session:
            # the row first: it serialises with saves of this workflow and waits for the
            # saves that lock it as a callee; versions and calls go by ON DELETE CASCADE
            result = cast(CursorResult[Any], session.execute(
                delete(WorkflowRow).where(WorkflowRow.name == name),
                execution_options=NO_SYNC))
            if result.rowcount == 0:
                return False
            callers = _callers(session, name, others_only=True)
            if callers:
                raise FailedPrecondition(
                    f"workflow {name!r} is called by {', '.join(callers)}",
                    reason="WORKFLOW_IN_USE", metadata={"callers": ",".join(callers)})
            return True

    def callers(self, name: str) -> builtins.list[str]:
        """The names of the workflows whose latest version calls `name`, sorted."""
        if "\x00" in name:
            return []
        with self._sessions() as session:
            return _callers(session, name, others_only=False)

    def list(self, *, search: str = "", deck: str = "", state: str = "",
             registered_only: bool = False, order_by: str = BY_NAME, limit: int = 50,
             after: tuple[str, ...] | None = None) -> builtins.list[WorkflowRecord]:
        """The latest version of each matching workflow, at most `limit` (keyset pages).

        `search` is a case-insensitive substring of the name, display name or
        description (`%` and `_` match themselves); `deck` must equal body["deck"];
        `state` is one of WORKFLOW_STATES ("" for any); `registered_only` keeps the
        workflows whose body["registered"] is true.

        `order_by` "name": by name ascending (the database's text collation: byte order
        on SQLite and on a C-locale PostgreSQL); `after` is `(name,)` of the last record
        of the previous page. "update_time desc": newest `updated_at` first, ties by name
        ascending; `after` is `(updated_at.isoformat(), name)`. ValueError for another
        `order_by`, an unknown state or a malformed cursor.
        """
        check_limit(limit)
        if state and state not in WORKFLOW_STATES:
            raise ValueError(f"state must be one of {', '.join(WORKFLOW_STATES)}, not {state!r}")
        query = _joined().where(LATEST)
        if search:
            needle = _fold(search)
            query = query.where(or_(*(column.contains(needle, autoescape=True) for column in (
                WorkflowRow.search_name, WorkflowRow.search_display_name,
                WorkflowRow.search_description))))
        if deck:
            query = query.where(WorkflowRow.deck == clean_text(deck))
        if state:
            query = query.where(WorkflowRow.state == state)
        if registered_only:
            query = query.where(WorkflowRow.registered.is_(True))
        if order_by == BY_NAME:
            if after is not None:
                (after_name,) = _cursor(after, 1)
                query = query.where(WorkflowRow.name > after_name)
            query = query.order_by(WorkflowRow.name)
        elif order_by == BY_UPDATE_TIME:
            if after is not None:
                iso, after_name = _cursor(after, 2)
                try:
                    parsed = datetime.fromisoformat(iso)
                except ValueError:
                    raise ValueError(f"after: not an ISO 8601 time: {iso!r}") from None
                moment = aware("after", parsed)
                query = query.where(or_(
                    WorkflowRow.updated_at < moment,
                    and_(WorkflowRow.updated_at == moment, WorkflowRow.name > after_name)))
            query = query.order_by(WorkflowRow.updated_at.desc(), WorkflowRow.name)
        else:
            raise ValueError(
                f"order_by must be one of {', '.join(map(repr, WORKFLOW_ORDERS))}, "
                f"not {order_by!r}")
        with self._sessions() as session:
            return [_from_row(found) for found in session.execute(query.limit(limit))]

    def versions(self, name: str, *, limit: int = 50,
                 before: int | None = None) -> builtins.list[WorkflowRecord]:
        """Versions of `name`, newest first, at most `limit` ([] for an unknown name).

        `before` is the smallest version number of the previous page.
        """
        check_limit(limit)
        if "\x00" in name:
            return []
        query = _joined().where(WorkflowRow.name == name)
        if before is not None:
            query = query.where(WorkflowVersionRow.version < before)
        query = query.order_by(WorkflowVersionRow.version.desc()).limit(limit)
        with self._sessions() as session:
            return [_from_row(found) for found in session.execute(query)]


def _joined() -> Any:
    """SELECT workflows joined with their versions (the callers pick which versions).

    Typed Any: `Select`'s type parameters differ between SQLAlchemy 2.0 and 2.1.
    """
    return select(WorkflowRow, WorkflowVersionRow).join(
        WorkflowVersionRow, WorkflowVersionRow.name == WorkflowRow.name)


def _add_version(session: Session, workflow: WorkflowRow, body: dict[str, Any], author: str,
                 callees: builtins.list[str], *, saved_at: datetime) -> WorkflowVersionRow:
    """Insert version `workflow.latest_version` and make `callees` its calls."""
    version = WorkflowVersionRow(name=workflow.name, version=workflow.latest_version,
                                 body=body, author=author, saved_at=saved_at)
    session.add(version)
    session.execute(delete(WorkflowCallRow).where(WorkflowCallRow.caller == workflow.name),
                    execution_options=NO_SYNC)
    if callees:
        # KEY SHARE: a concurrent delete of a callee waits for this save (PostgreSQL;
        # SQLite serialises every write anyway and ignores the clause)
        session.execute(select(WorkflowRow.name).where(WorkflowRow.name.in_(callees))
                        .order_by(WorkflowRow.name).with_for_update(read=True, key_share=True))
        session.add_all(WorkflowCallRow(caller=workflow.name, callee=callee)
                        for callee in callees)
    session.flush()
    return version


def _callers(session: Session, name: str, *, others_only: bool) -> builtins.list[str]:
    query = select(WorkflowCallRow.caller).where(WorkflowCallRow.callee == name)
    if others_only:
        query = query.where(WorkflowCallRow.caller != name)
    return builtins.list(session.scalars(query.order_by(WorkflowCallRow.caller)))


def _body(body: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise TypeError("body must be a dict")
    stored: dict[str, Any] = stored_json(body)
    return stored


def _callees(calls: Iterable[str]) -> builtins.list[str]:
    if isinstance(calls, str):
        raise TypeError("calls must be an iterable of names, not a str")
    callees = sorted(set(calls))
    for callee in callees:
        check_text(calls=callee)
    return callees


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    return value if isinstance(value, str) else ""


def _fold(text: str) -> str:
    """Search text: NUL-free and casefolded (the same on every backend)."""
    return clean_text(text).casefold()


def _listed(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """The `workflows` columns copied from the latest version."""
    return {"search_name": _fold(name),
            "search_display_name": _fold(_text(body, "display_name")),
            "search_description": _fold(_text(body, "description")),
            "deck": clean_text(_text(body, "deck")),
            "registered": body.get("registered") is True}


def _cursor(after: tuple[str, ...], size: int) -> tuple[str, ...]:
    if not isinstance(after, tuple) or len(after) != size or not all(
            isinstance(part, str) for part in after):
        raise ValueError(f"after must be a tuple of {size} str for this order_by")
    check_text(after=after[-1])
    return after


def _not_found(name: str) -> NotFound:
    return NotFound(RESOURCE, name, reason="WORKFLOW_NOT_FOUND")


def _finalized(name: str) -> FailedPrecondition:
    return FailedPrecondition(f"workflow {name!r} is finalized", reason="WORKFLOW_FINALIZED",
                              metadata={"workflow": name})


def _from_row(found: Any) -> WorkflowRecord:
    """The record of a `(WorkflowRow, WorkflowVersionRow)` result row."""
    workflow, version = found
    return _record(workflow, version)


def _record(workflow: WorkflowRow, version: WorkflowVersionRow) -> WorkflowRecord:
    return WorkflowRecord(name=workflow.name, version=version.version, body=version.body,
                          state=workflow.state, author=version.author,
                          created_at=workflow.created_at, updated_at=version.saved_at)
