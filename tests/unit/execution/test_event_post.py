"""EventLog.post: queued without waiting, committed in order with the next write."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from ivorygrpc.execution.events import EventLog, EventLogClosed
from ivorygrpc.store import Store
from ivorygrpc.store.records import AppendEvent, UpdateRun
from tests.unit.execution.conftest import ObservedStore, queued_run
from tests.unit.execution.test_events import event, stored


@pytest.fixture
async def counted(store: Store) -> AsyncIterator[tuple[EventLog, ObservedStore]]:
    counting = ObservedStore(store)
    log = EventLog(counting)  # type: ignore[arg-type]
    await log.start()
    yield log, counting
    await log.close()


async def test_posted_ops_commit_with_the_next_write(
        store: Store, counted: tuple[EventLog, ObservedStore]) -> None:
    log, counting = counted
    await log.write([queued_run("a")])
    subscription = log.subscribe()
    applied = len(counting.runs.calls)
    log.post([UpdateRun("a", {"progress": {"step": 1}}), event("a", 1)])
    log.post([event("a", 2)])
    written = await log.write([event("a", 3)])
    assert len(counting.runs.calls) == applied + 1  # one transaction for all three
    assert [e.payload["n"] for e in written] == [3]  # write returns only its own events
    published = [await subscription.get(1) for _ in range(3)]
    assert [e.payload["n"] for e in published if e is not None] == [1, 2, 3]
    assert [e.payload["n"] for e in stored(store) if e.kind == "log"] == [1, 2, 3]
    assert store.runs.get("a").progress == {"step": 1}  # type: ignore[union-attr]


async def test_a_failing_post_is_logged_and_does_not_fail_the_write(
        store: Store, counted: tuple[EventLog, ObservedStore],
        caplog: pytest.LogCaptureFixture) -> None:
    log, _ = counted
    await log.write([queued_run("a")])
    log.post([AppendEvent("missing", "log", {"n": 0}, event("a", 0).time),
              UpdateRun("missing", {"progress": {}})])
    with caplog.at_level(logging.ERROR, logger="ivorygrpc.execution.events"):
        written = await log.write([event("a", 1)])
    assert [e.payload["n"] for e in written] == [1]
    assert "posted event-log write failed" in caplog.text


async def test_post_after_close_is_refused(store: Store) -> None:
    log = EventLog(store)
    await log.start()
    await log.close()
    with pytest.raises(EventLogClosed):
        log.post([event("a", 1)])
