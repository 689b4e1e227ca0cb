"""RunJournal: noted events go with the next write, in order, with one UpdateRun per batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from ivorygrpc.execution.events import EventLog
from ivorygrpc.execution.journal import RunJournal
from ivorygrpc.store import Store
from ivorygrpc.store.records import AppendEvent, RunOp, UpdateRun
from tests.unit.execution.conftest import ObservedRuns


def kinds(ops: Sequence[RunOp]) -> list[str]:
    return [op.kind if isinstance(op, AppendEvent) else "update" for op in ops]


async def test_noted_events_go_with_the_next_write_with_one_update(
        store: Store, observed: tuple[EventLog, ObservedRuns]) -> None:
    log, runs = observed
    progress: dict[str, Any] = {"iterations": 2}
    journal = RunJournal(log, "a", progress)
    await journal.write([("state_changed", {"state": "RUN_STATE_RUNNING"})], state="running")
    assert journal.state == "running"
    progress["step_id"] = "s1"
    journal.progress_changed()
    journal.note([("step_started", {"step_id": "s1"})])
    journal.note([("step_finished", {"step_id": "s1"})], error={"type": "X", "message": "m"})
    progress["step_id"] = ""
    journal.progress_changed()
    journal.note([("progress", {"step_id": ""})])
    before = len(runs.batches)
    await journal.write([("log", {"message": "m"})], state="paused", error=None)
    assert len(runs.batches) == before + 1  # one transaction
    batch = runs.batches[-1]
    assert kinds(batch) == ["update", "step_started", "step_finished", "progress", "log"]
    assert isinstance(batch[0], UpdateRun)
    assert batch[0].fields == {"error": None, "state": "paused",  # the last value of each
                               "progress": {"iterations": 2, "step_id": ""}}
    run = store.runs.get("a")
    assert run is not None and run.state == "paused" and run.error is None
    assert journal.state == "paused"


async def test_a_batch_without_changes_has_no_update(
        observed: tuple[EventLog, ObservedRuns]) -> None:
    log, runs = observed
    journal = RunJournal(log, "a", {})
    await journal.write([("log", {"message": "m"})])
    assert kinds(runs.batches[-1]) == ["log"]


async def test_flush_hands_noted_events_to_the_log_and_stage_takes_them_too(
        store: Store, observed: tuple[EventLog, ObservedRuns]) -> None:
    log, runs = observed
    journal = RunJournal(log, "a", {"step_id": "s2"})
    journal.note([("iteration_started", {"index": 1})])
    journal.flush()
    journal.flush()  # nothing noted since: no batch
    subscription = log.subscribe()
    first = await subscription.get(5)
    assert first is not None and first.kind == "iteration_started"
    journal.note([("step_finished", {"step_id": "s1"})])
    journal.progress_changed()
    staged = journal.stage([("step_started", {"step_id": "s2"})])
    events = await staged.release()
    assert [e.kind for e in events] == ["step_finished", "step_started"]
    assert kinds(runs.batches[-1]) == ["update", "step_finished", "step_started"]
    assert store.runs.get("a").progress == {"step_id": "s2"}  # type: ignore[union-attr]


async def test_flush_after_the_log_closed_drops_with_a_warning(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    log = EventLog(store)
    await log.start()
    journal = RunJournal(log, "a", {})
    journal.note([("log", {"message": "late"})])
    await log.close()
    journal.flush()  # no exception: it runs in the runner's `finally`
    assert "closed before its last events" in caplog.text
