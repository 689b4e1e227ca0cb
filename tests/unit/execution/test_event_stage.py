"""EventLog.stage: a worker thread commits a batch (and every waiting one) in place of the
writer task, and the event loop publishes it; one group in flight at a time."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

import pytest

from ivorygrpc.errors import NotFound
from ivorygrpc.execution.events import EventLog
from ivorygrpc.store import Store
from ivorygrpc.store.records import UpdateRun
from tests.unit.execution.conftest import ObservedRuns, ObservedStore, queued_run
from tests.unit.execution.test_events import event, stored

T = TypeVar("T")


def in_thread(job: Callable[[], T]) -> T:
    """Run `job` in a new thread and wait for it, blocking the event loop meanwhile (so the
    writer task cannot run in between)."""
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(job())
        except BaseException as exc:
            errors.append(exc)
    thread = threading.Thread(target=target)
    thread.start()
    thread.join(10)
    if errors:
        raise errors[0]
    return result[0]


async def test_a_staged_batch_commits_in_the_thread_with_every_waiting_batch(
        store: Store, observed: tuple[EventLog, ObservedRuns]) -> None:
    log, runs = observed
    subscription = log.subscribe()
    waiting = log.submit([event("a", 1)])  # queued before: goes with the staged batch
    staged = log.stage([UpdateRun("a", {"progress": {"step": 2}}), event("a", 2)])
    groups = log.groups
    assert in_thread(staged.commit_here) is True
    assert runs.threads[-1] != threading.get_ident()  # applied in that thread, not here
    assert [e.payload["n"] for e in stored(store) if e.kind == "log"] == [1, 2]
    assert await subscription.get(0) is None  # committed, not yet published (no loop turn)
    assert [e.payload["n"] for e in await staged.future] == [2]
    assert [e.payload["n"] for e in await waiting] == [1]
    assert log.groups == groups + 1
    published = [await subscription.get(1) for _ in range(2)]
    assert [e.payload["n"] for e in published if e is not None] == [1, 2]
    assert store.runs.get("a").progress == {"step": 2}  # type: ignore[union-attr]


async def test_a_thread_does_not_commit_while_the_writer_commits(
        store: Store, observed: tuple[EventLog, ObservedRuns]) -> None:
    log, runs = observed
    runs.entered.clear()
    runs.release.clear()
    first = asyncio.ensure_future(log.write([event("a", 1)]))
    await asyncio.to_thread(runs.entered.wait, 10)  # the writer is inside apply
    staged = log.stage([event("a", 2)])
    assert in_thread(staged.commit_here) is False  # nothing committed here
    runs.release.set()
    await first
    # not woken by stage: release() makes the writer take it
    assert [e.payload["n"] for e in await staged.release()] == [2]
    assert [e.payload["n"] for e in stored(store) if e.kind == "log"] == [1, 2]


async def test_a_batch_the_writer_already_took_is_not_committed_again(
        store: Store, observed: tuple[EventLog, ObservedRuns]) -> None:
    log, _ = observed
    staged = log.stage([event("a", 1)])
    await log.write([event("a", 2)])  # the writer's group takes the staged batch too
    assert staged.future.done()
    assert in_thread(staged.commit_here) is False
    assert [e.payload["n"] for e in stored(store) if e.kind == "log"] == [1, 2]


async def test_a_refused_staged_batch_raises_in_the_thread_and_on_its_future(
        store: Store, observed: tuple[EventLog, ObservedRuns]) -> None:
    log, _ = observed
    other = log.submit([event("a", 1)])
    staged = log.stage([UpdateRun("missing", {"progress": {}}), event("a", 2)])
    with pytest.raises(NotFound):
        in_thread(staged.commit_here)
    with pytest.raises(NotFound):
        await staged.future
    assert [e.payload["n"] for e in await other] == [1]  # the rest of the group committed
    assert [e.payload["n"] for e in stored(store) if e.kind == "log"] == [1]
    assert [e.payload["n"] for e in await log.write([event("a", 3)])] == [3]  # goes on


async def test_the_next_group_waits_until_a_threads_group_is_published(
        store: Store, observed: tuple[EventLog, ObservedRuns]) -> None:
    log, _ = observed
    subscription = log.subscribe()
    staged = log.stage([event("a", 1)])
    in_thread(staged.commit_here)
    later = log.submit([event("a", 2)])  # the writer must not commit before the publish
    await later
    published = [await subscription.get(1) for _ in range(2)]
    assert [e.payload["n"] for e in published if e is not None] == [1, 2]
    assert [e.sequence for e in published if e is not None] == sorted(
        e.sequence for e in published if e is not None)


async def test_close_commits_a_staged_batch_no_thread_took(store: Store) -> None:
    counting = ObservedStore(store)
    log = EventLog(counting)  # type: ignore[arg-type]
    await log.start()
    await log.write([queued_run("a")])
    staged = log.stage([event("a", 1)])
    await log.close()
    assert [e.payload["n"] for e in await staged.future] == [1]
    assert in_thread(staged.commit_here) is False
