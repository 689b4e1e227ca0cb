"""EventLog (single writer, group commit, fan-out) and follow() on a real SQLite store."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from ivorygrpc.errors import AlreadyExists
from ivorygrpc.execution.events import (
    EventLog,
    EventLogClosed,
    SubscriptionClosed,
    SubscriptionOverflow,
    follow,
    stored_events,
)
from ivorygrpc.store import Store
from ivorygrpc.store.records import AppendEvent, EventRecord
from tests.unit.execution.conftest import ObservedStore, queued_run

T0 = datetime(2026, 4, 5, 6, 7, 8, tzinfo=UTC)


@pytest.fixture
async def log(store: Store) -> AsyncIterator[EventLog]:
    event_log = EventLog(store)
    await event_log.start()
    yield event_log
    await event_log.close()


def event(run_id: str, n: int, kind: str = "log") -> AppendEvent:
    return AppendEvent(run_id, kind, {"n": n}, T0)


async def make_runs(log: EventLog, *run_ids: str) -> None:
    await log.write([queued_run(r) for r in run_ids])


def stored(store: Any, after: int = 0, run_id: str | None = None) -> list[EventRecord]:
    out: list[EventRecord] = []
    while True:
        page = store.runs.events_after(after, run_id=run_id, limit=1000)
        out.extend(page)
        if len(page) < 1000:
            return out
        after = page[-1].sequence


async def collect(items: AsyncIterator[EventRecord | int], until: int) -> list[EventRecord]:
    """The events of a follow() stream up to sequence `until` (heartbeats dropped)."""
    got: list[EventRecord] = []
    async for item in items:
        if isinstance(item, int):
            if item >= until:
                return got
            continue
        got.append(item)
        if item.sequence >= until:
            return got
    return got


# -- the writer --------------------------------------------------------------------------------


async def test_concurrent_writes_get_their_own_events_in_sequence_order(
        store: Store, log: EventLog) -> None:
    await make_runs(log, "a", "b")
    start = log.last_sequence

    async def writer(i: int) -> tuple[int, list[EventRecord]]:
        await asyncio.sleep(random.random() / 100)
        ops = [event("a" if i % 2 else "b", i * 10 + k) for k in range(1 + i % 3)]
        return i, await log.write(ops)

    results = await asyncio.gather(*(writer(i) for i in range(300)))
    every: list[EventRecord] = []
    for i, events in results:
        assert [e.payload["n"] for e in events] == [i * 10 + k for k in range(1 + i % 3)]
        assert [e.run_id for e in events] == ["a" if i % 2 else "b"] * len(events)
        assert all(x.sequence < y.sequence for x, y in itertools.pairwise(events))
        every.extend(events)
    sequences = sorted(e.sequence for e in every)
    assert len(set(sequences)) == len(sequences) == sum(1 + i % 3 for i in range(300))
    assert sequences[0] > start
    assert log.last_sequence == sequences[-1] == store.runs.last_sequence()
    assert [e.sequence for e in stored(store, start)] == sequences


async def test_group_commit_takes_every_pending_batch_in_one_apply(store: Store) -> None:
    counting = ObservedStore(store, delay=0.05)
    log = EventLog(counting)  # type: ignore[arg-type]
    await log.start()
    try:
        await make_runs(log, "a")
        counting.runs.batches.clear()
        results = await asyncio.gather(*(log.write([event("a", i)]) for i in range(200)))
        # the first write may go alone; all the others wait for it and go together
        assert len(counting.runs.calls) <= 3
        assert sum(counting.runs.calls) == 200
        assert [r[0].payload["n"] for r in results] == list(range(200))
        assert [r[0].sequence for r in results] == sorted(r[0].sequence for r in results)
    finally:
        await log.close()


async def test_a_failing_batch_fails_only_its_own_caller(store: Store) -> None:
    counting = ObservedStore(store, delay=0.02)
    log = EventLog(counting)  # type: ignore[arg-type]
    await log.start()
    try:
        await make_runs(log, "a")
        sub = log.subscribe()
        first = asyncio.ensure_future(log.write([event("a", -1)]))  # keeps the writer busy
        await asyncio.sleep(0.005)
        good1 = asyncio.ensure_future(log.write([event("a", 1)]))
        bad = asyncio.ensure_future(log.write([event("a", 2), queued_run("a")]))
        good2 = asyncio.ensure_future(log.write([queued_run("b"), event("b", 3)]))
        await first
        with pytest.raises(AlreadyExists):
            await bad
        e1, e3 = (await good1)[0], (await good2)[0]
        assert counting.runs.calls[-4:] == [5, 1, 2, 2]  # together, then each alone
        assert (e1.payload, e3.payload, e3.run_id) == ({"n": 1}, {"n": 3}, "b")
        assert e1.sequence < e3.sequence == log.last_sequence
        # the bad batch left nothing behind, and subscribers got exactly what was stored
        assert [e.payload["n"] for e in stored(store, first.result()[0].sequence - 1)] \
            == [-1, 1, 3]
        got = [await sub.get(0) for _ in range(3)]
        assert [e.payload["n"] for e in got if e] == [-1, 1, 3]
        assert await sub.get(0) is None
        # the writer goes on
        assert (await log.write([event("a", 4)]))[0].sequence > e3.sequence
    finally:
        await log.close()


async def test_a_single_failing_write_raises_and_the_log_goes_on(log: EventLog) -> None:
    await make_runs(log, "a")
    with pytest.raises(AlreadyExists):
        await log.write([queued_run("a")])
    assert len(await log.write([event("a", 1), event("a", 2)])) == 2
    assert await log.write([]) == []


async def test_start_loads_the_last_sequence_and_writes_before_start_wait(store: Store) -> None:
    first = EventLog(store)
    await first.start()
    await make_runs(first, "a")
    last = (await first.write([event("a", 1)]))[0].sequence
    await first.close()

    second = EventLog(store)
    early = asyncio.ensure_future(second.write([event("a", 2)]))
    await asyncio.sleep(0.01)
    assert not early.done()
    await second.start()
    try:
        assert (await early)[0].sequence > last
        assert second.last_sequence == (await early)[0].sequence
    finally:
        await second.close()


async def test_close_finishes_pending_writes_then_refuses(store: Store) -> None:
    counting = ObservedStore(store, delay=0.02)
    log = EventLog(counting)  # type: ignore[arg-type]
    await log.start()
    await make_runs(log, "a")
    writes = [asyncio.ensure_future(log.write([event("a", i)])) for i in range(20)]
    await asyncio.sleep(0)
    await log.close()
    assert all(len(w.result()) == 1 for w in writes)
    with pytest.raises(EventLogClosed):
        await log.write([event("a", 99)])
    await log.close()  # idempotent


# -- subscriptions -----------------------------------------------------------------------------


async def test_subscription_gets_events_after_its_start_in_order(log: EventLog) -> None:
    await make_runs(log, "a")
    await log.write([event("a", 0)])
    sub = log.subscribe()
    assert sub.start_sequence == log.last_sequence
    assert await sub.get(0.01) is None
    written = await log.write([event("a", 1), event("a", 2)])
    assert [await sub.get(1), await sub.get(1)] == written
    assert sub.last_sequence == written[-1].sequence
    waiting = asyncio.ensure_future(sub.get(None))
    await asyncio.sleep(0.01)
    (third,) = await log.write([event("a", 3)])
    assert await waiting == third
    sub.close()
    assert log.subscriber_count == 0
    with pytest.raises(SubscriptionClosed):
        await sub.get(0)


async def test_run_filter_delivers_only_that_runs_events(log: EventLog) -> None:
    await make_runs(log, "a", "b")
    only_a, only_b, everything = log.subscribe("a"), log.subscribe("b"), log.subscribe()
    written = await log.write([event("a", 1), event("b", 2), event("", 3, "queue_changed"),
                               event("a", 4)])

    async def drain(sub: Any) -> list[int]:
        out = []
        while (e := await sub.get(0)) is not None:
            out.append(e.payload["n"])
        return out

    assert await drain(only_a) == [1, 4]
    assert await drain(only_b) == [2]
    assert await drain(everything) == [1, 2, 3, 4]
    assert written[-1].sequence == log.last_sequence
    only_a.close()
    only_b.close()
    everything.close()
    assert log.subscriber_count == 0


async def test_overflow_keeps_the_writer_going_and_tells_the_last_delivered(
        log: EventLog) -> None:
    await make_runs(log, "a")
    slow = log.subscribe(capacity=5)
    fast = log.subscribe()
    written: list[EventRecord] = []
    for i in range(12):  # nobody reads: the writer must not wait
        written += await asyncio.wait_for(log.write([event("a", i)]), 5)
    assert log.subscriber_count == 1  # the overflowed one left the registry at once
    got = [await slow.get(0) for _ in range(2)]
    assert got == written[:2]
    # the events buffered before the overflow come first, then the error
    rest = [await slow.get(0) for _ in range(3)]
    assert rest == written[2:5]
    with pytest.raises(SubscriptionOverflow) as info:
        await slow.get(1)
    assert info.value.last_sequence == written[4].sequence
    with pytest.raises(SubscriptionOverflow):  # and it stays ended
        await slow.get(1)
    assert [await fast.get(0) for _ in range(12)] == written


async def test_overflow_wakes_a_waiting_consumer(log: EventLog) -> None:
    await make_runs(log, "a")
    sub = log.subscribe(capacity=1)
    assert await sub.get(0) is None
    (one,) = await log.write([event("a", 1)])
    await log.write([event("a", 2)])
    assert await sub.get(0) == one
    with pytest.raises(SubscriptionOverflow) as info:
        await sub.get(None)
    assert info.value.last_sequence == one.sequence


async def test_close_ends_subscriptions_after_their_buffered_events(store: Store) -> None:
    log = EventLog(store)
    await log.start()
    await make_runs(log, "a")
    sub, waiting_sub = log.subscribe(), log.subscribe("a")
    (one,) = await log.write([event("a", 1)])
    assert await waiting_sub.get(0) == one
    waiting = asyncio.ensure_future(waiting_sub.get(None))
    await asyncio.sleep(0.01)
    await log.close()
    with pytest.raises(SubscriptionClosed):
        await waiting
    assert await sub.get(0) == one
    with pytest.raises(SubscriptionClosed):
        await sub.get(None)
    with pytest.raises(SubscriptionClosed):
        await log.subscribe().get(None)
    assert log.subscriber_count == 0


async def test_a_hundred_subscribers_get_everything(log: EventLog) -> None:
    await make_runs(log, *(f"r{i}" for i in range(10)))
    subs = [log.subscribe(None if i % 2 else f"r{i % 10}") for i in range(100)]
    written: list[EventRecord] = []
    began = time.perf_counter()
    for i in range(50):
        written += await log.write([event(f"r{(i + k) % 10}", i * 40 + k) for k in range(40)])
    elapsed = time.perf_counter() - began
    for i, sub in enumerate(subs):
        want = [e for e in written if i % 2 or e.run_id == f"r{i % 10}"]
        got = []
        while (e := await sub.get(0)) is not None:
            got.append(e)
        assert got == want
    assert elapsed < 30  # generous: 2000 events x 100 subscribers is ~0.1 s of put_nowait


# -- follow ------------------------------------------------------------------------------------


async def test_follow_replays_then_follows_then_heartbeats(store: Store, log: EventLog) -> None:
    await make_runs(log, "a")
    old = await log.write([event("a", i) for i in range(3)])
    stream = follow(log, store, run_id=None, after_sequence=old[0].sequence, heartbeat=0.05)
    try:
        assert [await anext(stream), await anext(stream)] == old[1:]
        assert await anext(stream) == old[-1].sequence  # idle: heartbeat with the last sequence
        (new,) = await log.write([event("a", 3)])
        assert await anext(stream) == new
        began = time.perf_counter()
        assert await anext(stream) == new.sequence
        assert time.perf_counter() - began >= 0.04
    finally:
        await stream.aclose()
    assert log.subscriber_count == 0


async def test_follow_heartbeat_before_any_event_is_after_sequence(
        store: Store, log: EventLog) -> None:
    stream = follow(log, store, run_id="nothing", after_sequence=7, heartbeat=0.01)
    try:
        assert await anext(stream) == 7
        assert await anext(stream) == 7
    finally:
        await stream.aclose()


async def test_follow_pages_through_a_long_history_with_a_run_filter(
        store: Store, log: EventLog) -> None:
    await make_runs(log, "a", "b")
    written = await log.write([event("a" if i % 3 else "b", i) for i in range(2600)])
    want = [e for e in written if e.run_id == "a"]
    assert len(want) > 1000
    stream = follow(log, store, run_id="a", after_sequence=0, heartbeat=0.05)
    try:
        assert await collect(stream, want[-1].sequence) == want
        assert await anext(stream) == want[-1].sequence
    finally:
        await stream.aclose()


async def test_follow_while_writing_has_no_gap_and_no_duplicate(
        store: Store, log: EventLog) -> None:
    await make_runs(log, "a", "b")
    await log.write([event("a" if i % 2 else "b", i) for i in range(1500)])
    history = log.last_sequence
    done = asyncio.Event()

    async def writer() -> None:
        in_flight = []
        for i in range(400):
            ops = [event("a" if (i + k) % 2 else "b", 10_000 + i * 5 + k)
                   for k in range(random.randint(1, 5))]
            in_flight.append(asyncio.ensure_future(log.write(ops)))  # many batches at once
            if i % 3 == 0:
                await log.write([event("a", -i)])
            await asyncio.sleep(0)
        await log.write([event("a", -1_000_000), event("b", -1_000_000)])
        await asyncio.gather(*in_flight)
        done.set()

    async def consumer(after: int, run_id: str | None, delay: float) -> tuple[int, Any, list]:
        await asyncio.sleep(delay)
        got: list[EventRecord] = []
        stream = follow(log, store, run_id=run_id, after_sequence=after, heartbeat=0.05)
        try:
            async for item in stream:
                if isinstance(item, int):
                    assert item == (got[-1].sequence if got else after)
                    continue
                got.append(item)
                if item.payload["n"] == -1_000_000:
                    break
        finally:
            await stream.aclose()
        return after, run_id, got

    starts = [0, 1, 999, 1000, 1001, history - 7, history]
    consumers = [consumer(after, run_id, delay)
                 for after in starts for run_id in (None, "a")
                 for delay in (0, 0.01, 0.05)]
    results = await asyncio.gather(writer(), *consumers)
    assert done.is_set()
    for after, run_id, got in results[1:]:
        want = [e for e in stored(store, after, run_id)]
        want = want[:[e.payload["n"] for e in want].index(-1_000_000) + 1]
        assert [e.sequence for e in got] == [e.sequence for e in want], (after, run_id)
        assert got == want
    assert log.subscriber_count == 0


async def test_follow_overflow_reports_the_last_yielded_and_resume_is_seamless(
        store: Store, log: EventLog) -> None:
    await make_runs(log, "a")
    stream = follow(log, store, run_id=None, after_sequence=log.last_sequence, heartbeat=5,
                    capacity=10)
    first = await log.write([event("a", 0)])
    got: list[EventRecord] = [await anext(stream)]  # type: ignore[list-item]
    assert got == first
    written = first + await log.write([event("a", i) for i in range(1, 30)])
    with pytest.raises(SubscriptionOverflow) as info:
        async for item in stream:
            assert not isinstance(item, int)
            got.append(item)
    assert log.subscriber_count == 0
    assert got == written[:11]
    assert info.value.last_sequence == got[-1].sequence
    resumed = follow(log, store, run_id=None, after_sequence=info.value.last_sequence,
                     heartbeat=5)
    try:
        assert await collect(resumed, written[-1].sequence) == written[11:]
    finally:
        await resumed.aclose()


async def test_follow_ends_when_the_log_closes(store: Store) -> None:
    log = EventLog(store)
    await log.start()
    await make_runs(log, "a")
    (one,) = await log.write([event("a", 1)])
    stream = follow(log, store, run_id="a", after_sequence=0, heartbeat=10)
    assert await anext(stream) == one
    pending = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.01)
    await log.close()
    with pytest.raises(SubscriptionClosed):
        await pending
    assert log.subscriber_count == 0


async def test_follow_releases_its_subscription_when_cancelled(
        store: Store, log: EventLog) -> None:
    stream = follow(log, store, run_id=None, after_sequence=0, heartbeat=10)
    task = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.01)
    assert log.subscriber_count == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert log.subscriber_count == 0
    await stream.aclose()


async def test_follow_after_a_sequence_ahead_of_the_log_skips_up_to_it(
        store: Store, log: EventLog) -> None:
    await make_runs(log, "a")
    ahead = log.last_sequence + 3
    stream = follow(log, store, run_id=None, after_sequence=ahead, heartbeat=0.05)
    try:
        assert await anext(stream) == ahead  # nothing stored after it: a heartbeat
        written = await log.write([event("a", i) for i in range(6)])
        assert await collect(stream, written[-1].sequence) == \
            [e for e in written if e.sequence > ahead]
    finally:
        await stream.aclose()


async def test_follow_overflow_during_a_long_replay_names_the_last_replayed(
        store: Store, log: EventLog) -> None:
    await make_runs(log, "a")
    old = await log.write([event("a", i) for i in range(30)])
    stream = follow(log, store, run_id="a", after_sequence=0, heartbeat=5, capacity=3)
    got: list[EventRecord] = [await anext(stream)]  # type: ignore[list-item]
    new = await log.write([event("a", 100 + i) for i in range(5)])  # more than it can hold
    with pytest.raises(SubscriptionOverflow) as info:
        async for item in stream:
            assert not isinstance(item, int)
            got.append(item)
    assert got == old + new[:3]  # the replay, then the live events buffered before the overflow
    assert info.value.last_sequence == new[2].sequence
    assert log.subscriber_count == 0


async def test_stored_events_pages_with_a_filter_and_an_upper_bound(
        store: Store, log: EventLog) -> None:
    await make_runs(log, "a", "b")
    written = await log.write([event("a" if i % 3 else "b", i) for i in range(2600)])

    async def read(**options: Any) -> list[EventRecord]:
        return [e async for e in stored_events(store, **options)]

    assert await read(run_id=None, after_sequence=0) == stored(store)
    assert await read(run_id="a", after_sequence=written[5].sequence) == \
        [e for e in written[6:] if e.run_id == "a"]
    until = written[2100].sequence
    assert await read(run_id=None, after_sequence=written[10].sequence,
                      until_sequence=until) == written[11:2101]
    assert await read(run_id="b", after_sequence=0, until_sequence=until) == \
        [e for e in written[:2101] if e.run_id == "b"]
    assert await read(run_id=None, after_sequence=until, until_sequence=until) == []
    assert await read(run_id="nothing", after_sequence=0) == []
