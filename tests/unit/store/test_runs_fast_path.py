"""`RunRepository.apply` writes events and run updates with prebuilt driver SQL: the rows
must be exactly what SQLAlchemy's ORM types write and read back (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Engine, Table, Text, insert, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.exc import DBAPIError

from ivorygrpc.errors import NotFound
from ivorygrpc.store import AppendEvent, InsertRun, Store, UpdateRun
from ivorygrpc.store.models import RunEventRow, RunRow

RUNS = cast(Table, RunRow.__table__)
EVENTS = cast(Table, RunEventRow.__table__)
T0 = datetime(2026, 12, 20, 9, 30, 15, 123456, tzinfo=UTC)
RAW = ("time", "payload", "pause", "progress", "error", "started_at", "finished_at",
       "created_at")  # read as the stored text, not through the column types
PLUS_2 = timezone(timedelta(hours=2))
PAYLOAD: dict[str, Any] = {"text": "µL ✓ 試料 \U0001f9ea 100%s", "nul": "a\x00b", "int": 3,
                           "float": 2.5, "whole": 1.0, "big": 2**53, "none": None, "ok": True,
                           "nan": float("nan"), "inf": float("-inf"),
                           "deep": {"rows": [{"x": [1, [2, {"y": "z"}]]}, None, -0.5]}}
UPDATES: list[dict[str, Any]] = [
    {"state": "running", "started_at": T0.astimezone(PLUS_2), "progress": PAYLOAD,
     "pause": None, "error": None, "position": None},
    {"state": "paused", "pause": {"reason": "prompt", "at": [1, 2]}, "position": 7,
     "display_name": "renamed ✓ run"},
    {"state": "failed", "error": {"type": "E", "message": "jam"},
     "finished_at": T0.replace(microsecond=0) + timedelta(days=1), "progress": {}},
]


def engine_of(store: Store) -> Engine:
    return cast(Engine, store.runs._sessions.kw["bind"])


def new_run(store: Store, run_id: str) -> None:
    store.runs.apply([InsertRun(
        id=run_id, display_name="r", workflow="wf", workflow_version=1, submitter="alice",
        request_id="", mode={}, batch_size=1, options={}, plan={}, position=1,
        progress={"iterations": 1}, created_at=T0)])


def stored(store: Store, table: Table, where: Any) -> list[tuple[Any, ...]]:
    """Rows as stored, without the sequence: JSON and timestamps as the database's text."""
    columns = [column for column in table.columns if column.name != "sequence"]
    query = select(*(sql_cast(column, Text) if column.name in RAW else column
                     for column in columns)).where(where)
    if table is EVENTS:
        query = query.order_by(EVENTS.c.sequence)
    with engine_of(store).connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


@pytest.mark.parametrize("fields", UPDATES, ids=["start", "pause", "fail"])
def test_updated_run_equals_the_orm_written_row(store: Store, fields: dict[str, Any]) -> None:
    new_run(store, "fast")
    new_run(store, "orm")
    store.runs.apply([UpdateRun("fast", fields)])
    with engine_of(store).begin() as connection:
        connection.execute(update(RUNS).where(RUNS.c.id == "orm").values(fields))
    fast, orm = store.runs.get("fast"), store.runs.get("orm")
    assert fast is not None and orm is not None
    assert fast == replace(orm, id="fast")
    [fast_row] = stored(store, RUNS, RUNS.c.id == "fast")
    [orm_row] = stored(store, RUNS, RUNS.c.id == "orm")
    assert fast_row[0] == "fast" and fast_row[1:] == orm_row[1:]


def test_appended_events_equal_the_orm_written_rows(store: Store) -> None:
    times = [T0, T0.astimezone(PLUS_2) + timedelta(microseconds=1), T0.replace(microsecond=0)]
    appended = store.runs.apply([AppendEvent("fast", f"kind-{n}", {**PAYLOAD, "n": n}, time)
                                 for n, time in enumerate(times)])
    with engine_of(store).begin() as connection:
        connection.execute(insert(EVENTS), [
            {"run_id": "orm", "time": time, "kind": f"kind-{n}", "payload": {**PAYLOAD, "n": n}}
            for n, time in enumerate(times)])
    assert appended == store.runs.events_of("fast")
    assert [event.kind for event in appended] == ["kind-0", "kind-1", "kind-2"]
    assert [event.payload["n"] for event in appended] == [0, 1, 2]
    assert appended[0].payload["nan"] == "NaN" and appended[1].time == times[1]
    orm = store.runs.events_of("orm")
    assert [(e.time, e.kind, e.payload) for e in appended] == [
        (e.time, e.kind, e.payload) for e in orm]
    fast_rows = stored(store, EVENTS, EVENTS.c.run_id == "fast")
    orm_rows = stored(store, EVENTS, EVENTS.c.run_id == "orm")
    assert [row[1:] for row in fast_rows] == [row[1:] for row in orm_rows]


def test_batches_get_ascending_sequences_in_op_order(store: Store) -> None:
    new_run(store, "r")
    seen: list[int] = []
    for size in (1, 3, 2, 5):
        appended = store.runs.apply([
            UpdateRun("r", {"progress": {"size": size}}),
            *(AppendEvent("r", "log", {"i": i}, T0) for i in range(size))])
        assert [event.payload["i"] for event in appended] == list(range(size))
        seen += [event.sequence for event in appended]
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert store.runs.events_of("r") == [e for e in store.runs.events_after(0)]
    assert [e.sequence for e in store.runs.events_of("r")] == seen
    assert store.runs.last_sequence() == seen[-1]
    record = store.runs.get("r")
    assert record is not None and record.progress == {"size": 5}


def test_a_failed_update_rolls_back_the_events_before_it(store: Store) -> None:
    new_run(store, "r")
    before = store.runs.last_sequence()
    with pytest.raises(NotFound):
        store.runs.apply([AppendEvent("r", "log", {}, T0), UpdateRun("r", {"state": "running"}),
                          UpdateRun("missing", {"state": "running"}),
                          AppendEvent("r", "log", {}, T0)])
    with pytest.raises(TypeError):
        store.runs.apply([AppendEvent("r", "log", {}, T0),
                          UpdateRun("r", {"progress": {"bad": object()}})])
    assert store.runs.events_of("r") == [] and store.runs.last_sequence() == before
    record = store.runs.get("r")
    assert record is not None and record.state == "queued" and record.progress == {
        "iterations": 1}


def test_driver_errors_are_raised_as_sqlalchemy_errors(store: Store) -> None:
    new_run(store, "r")
    with engine_of(store).begin() as connection:
        connection.exec_driver_sql("DROP TABLE run_events")
    with pytest.raises(DBAPIError) as raised:
        store.runs.apply([UpdateRun("r", {"state": "running"}), AppendEvent("r", "log", {}, T0)])
    assert "run_events" in str(raised.value.orig)
    record = store.runs.get("r")
    assert record is not None and record.state == "queued"  # the update was rolled back
