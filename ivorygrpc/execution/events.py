"""The event log: the one writer of runs and events, group commit, and fan-out.

Every change to runs goes through `EventLog.write`. One writer task takes every
batch waiting at that moment, applies them in one transaction
(`store.runs.apply` in a worker thread), publishes the new events to the
subscribers in sequence order, and only then answers the callers. An event is
therefore always stored before anyone sees it, and subscribers see events in
sequence order.

Publishing never waits: each subscription has a bounded buffer; a subscriber
whose buffer is full is ended with `SubscriptionOverflow` (it gets the events
buffered before the overflow first), and the writer goes on.

`follow` is the stream a client sees: stored events after a sequence, then
live ones, with no gap and no duplicate, and the last sequence as a heartbeat
when idle.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ivorygrpc.store.records import AppendEvent, EventRecord, RunOp

if TYPE_CHECKING:
    from ivorygrpc.store import Store

logger = logging.getLogger(__name__)

DEFAULT_CAPACITY = 10_000
REPLAY_PAGE = 1000


class SubscriptionOverflow(Exception):
    """The subscriber fell more than its capacity behind; resume after `last_sequence`."""

    def __init__(self, last_sequence: int) -> None:
        super().__init__(f"subscriber fell behind; last delivered sequence {last_sequence}")
        self.last_sequence = last_sequence


class SubscriptionClosed(Exception):
    """The event log closed (the server is stopping) or the subscription was closed."""


class EventLogClosed(RuntimeError):
    """A write reached an event log that is closing or closed."""


class Subscription:
    """Live events of one subscriber: a bounded buffer the writer fills without waiting.

    Made by `EventLog.subscribe`. `start_sequence` is the log's last sequence when
    it subscribed: the subscription receives exactly the events after it (of its
    run, if it has one), in order.

    Ending: on overflow or when the log closes, `get` first returns the events
    buffered before that, then raises `SubscriptionOverflow(last delivered
    sequence)` or `SubscriptionClosed`. After `close()` (which drops the buffer),
    `get` raises at once: `SubscriptionClosed`, or the overflow if it came first.
    """

    __slots__ = ("_buffer", "_capacity", "_ended", "_last", "_log", "_waiter", "run_id",
                 "start_sequence")

    def __init__(self, log: EventLog, run_id: str | None, capacity: int,
                 start_sequence: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._log: EventLog | None = log
        self.run_id = run_id
        self.start_sequence = start_sequence
        self._capacity = capacity
        self._buffer: deque[EventRecord] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._ended: type[SubscriptionOverflow] | type[SubscriptionClosed] | None = None
        self._last = start_sequence

    @property
    def last_sequence(self) -> int:
        """The sequence of the last event `get` returned (`start_sequence` before any)."""
        return self._last

    async def get(self, timeout: float | None = None) -> EventRecord | None:
        """The next event; None when none arrives within `timeout` seconds (None: wait)."""
        loop: asyncio.AbstractEventLoop | None = None
        deadline: float | None = None
        while True:
            if self._buffer:
                event = self._buffer.popleft()
                self._last = event.sequence
                return event
            if self._ended is SubscriptionOverflow:
                raise SubscriptionOverflow(self._last)
            if self._ended is not None:
                raise SubscriptionClosed("the event log closed")
            if loop is None:
                loop = asyncio.get_running_loop()
                if timeout is not None:
                    deadline = loop.time() + timeout
            handle: asyncio.TimerHandle | None = None
            if deadline is not None:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return None
                waiter: asyncio.Future[None] = loop.create_future()
                handle = loop.call_later(remaining, _release, waiter)
            else:
                waiter = loop.create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                self._waiter = None
                if handle is not None:
                    handle.cancel()

    def close(self) -> None:
        """Unregister; later `get` calls raise `SubscriptionClosed`. Idempotent."""
        self._buffer.clear()
        self._end(SubscriptionClosed)

    # -- called by the log (in the event loop, never awaiting) -------------------------------

    def _push(self, event: EventRecord) -> bool:
        """Buffer `event`; False (and ended) when the buffer was full."""
        if len(self._buffer) >= self._capacity:
            self._log = None  # the log unregisters it after the current event
            self._end(SubscriptionOverflow)
            return False
        self._buffer.append(event)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        return True

    def _end(self, reason: type[SubscriptionOverflow] | type[SubscriptionClosed]) -> None:
        if self._ended is None:
            self._ended = reason
        log, self._log = self._log, None
        if log is not None:
            log._unregister(self)
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


@dataclass
class _Batch:
    """One `write` call waiting for the writer."""

    ops: list[RunOp]
    future: asyncio.Future[list[EventRecord]]
    appends: int = field(init=False)

    def __post_init__(self) -> None:
        self.appends = sum(1 for op in self.ops if isinstance(op, AppendEvent))


class EventLog:
    """The one writer of runs and events; commits in groups, then publishes.

    `start()` in the running loop before use (writes made earlier wait for it);
    `close()` finishes the writes already made, stops the writer and ends every
    subscription with `SubscriptionClosed`.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: list[_Batch] = []
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._closed = False
        self._last_sequence = 0
        self._all: dict[Subscription, None] = {}  # unfiltered subscribers, in order
        self._by_run: dict[str, dict[Subscription, None]] = {}
        self.groups = 0  # committed groups (for tests and diagnostics)

    @property
    def last_sequence(self) -> int:
        """The highest committed and published sequence."""
        return self._last_sequence

    async def start(self) -> None:
        """Load the last stored sequence and start the writer task in the running loop."""
        if self._task is not None:
            return
        if self._closing:
            raise EventLogClosed("the event log is closed")
        self._last_sequence = await asyncio.to_thread(self._store.runs.last_sequence)
        self._wakeup = asyncio.Event()
        if self._pending:
            self._wakeup.set()
        self._task = asyncio.create_task(self._writer(), name="ivorygrpc-event-log")

    async def close(self) -> None:
        """Finish the pending writes, stop the writer, end every subscription. Idempotent."""
        self._closing = True
        if self._task is not None:
            assert self._wakeup is not None
            self._wakeup.set()
            await asyncio.shield(self._task)
        self._fail_pending(self._pending)
        self._pending = []
        self._closed = True
        for sub in [*self._all, *(s for subs in self._by_run.values() for s in subs)]:
            sub._end(SubscriptionClosed)
        self._all.clear()
        self._by_run.clear()

    async def write(self, ops: Sequence[RunOp]) -> list[EventRecord]:
        """Apply `ops` in order, in one transaction, and return the events they appended.

        The events are stored and published to subscribers before this returns.
        Raises what `store.runs.apply` raised for these ops (other callers'
        batches in the same group are not affected). Cancelling the caller does
        not withdraw the batch: it is written anyway.
        """
        return await self.submit(ops)

    def submit(self, ops: Sequence[RunOp]) -> asyncio.Future[list[EventRecord]]:
        """Queue `ops` like `write` and return the future `write` awaits.

        The order of batches is the order of `submit` calls, so a caller may decide
        an order under its own lock, submit, and await the commit after releasing
        the lock: concurrent callers then share one transaction.
        """
        if self._closing:
            raise EventLogClosed("the event log is closed")
        batch = _Batch(list(ops), asyncio.get_running_loop().create_future())
        self._pending.append(batch)
        if self._wakeup is not None:
            self._wakeup.set()
        return batch.future

    def post(self, ops: Sequence[RunOp]) -> None:
        """Queue `ops` like `write`, without waiting for the commit.

        They are committed, in order, no later than the next `write` made after
        this call returns, usually in the same transaction: a runner posts a step's
        end and awaits the next step's start, one commit for both. A failure is
        logged (there is no caller left to raise it to).
        """
        self.submit(ops).add_done_callback(_log_failure)

    def subscribe(self, run_id: str | None = None,
                  capacity: int = DEFAULT_CAPACITY) -> Subscription:
        """Events after `last_sequence`: every event, or only those of `run_id`."""
        sub = Subscription(self, run_id, capacity, self._last_sequence)
        if self._closed:
            sub._end(SubscriptionClosed)
        elif run_id is None:
            self._all[sub] = None
        else:
            self._by_run.setdefault(run_id, {})[sub] = None
        return sub

    @property
    def subscriber_count(self) -> int:
        """How many subscriptions are registered."""
        return len(self._all) + sum(len(subs) for subs in self._by_run.values())

    def _unregister(self, sub: Subscription) -> None:
        if sub.run_id is None:
            self._all.pop(sub, None)
            return
        subs = self._by_run.get(sub.run_id)
        if subs is not None:
            subs.pop(sub, None)
            if not subs:
                del self._by_run[sub.run_id]

    # -- the writer ------------------------------------------------------------------------------

    async def _writer(self) -> None:
        assert self._wakeup is not None
        group: list[_Batch] = []
        try:
            while True:
                if not self._pending:
                    if self._closing:
                        return
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                group, self._pending = self._pending, []
                await self._commit(group)
                group = []
        finally:
            # Only reached early when the task is cancelled (the loop is going away).
            self._closing = True
            self._fail_pending(group)
            self._fail_pending(self._pending)
            self._pending = []

    async def _commit(self, group: list[_Batch]) -> None:
        apply = self._store.runs.apply
        ops = group[0].ops if len(group) == 1 else [op for b in group for op in b.ops]
        try:
            events = await asyncio.to_thread(apply, ops)
        except Exception as exc:
            if len(group) == 1:
                _resolve_error(group[0], exc)
                return
            # One bad batch must not fail the others: apply each alone, in order.
            for batch in group:
                try:
                    alone = await asyncio.to_thread(apply, batch.ops)
                except Exception as error:
                    _resolve_error(batch, error)
                    continue
                self.groups += 1
                self._publish(alone)
                _resolve(batch, alone)
            return
        self.groups += 1
        self._publish(events)
        start = 0
        for batch in group:
            end = start + batch.appends
            _resolve(batch, events[start:end])
            start = end

    def _publish(self, events: list[EventRecord]) -> None:
        """Hand `events` (in sequence order) to every matching subscriber, without waiting."""
        if not events:
            return
        everyone = self._all
        by_run = self._by_run
        dead: list[Subscription] = []
        for event in events:
            for sub in everyone:
                if not sub._push(event):
                    dead.append(sub)
            if by_run:
                subs = by_run.get(event.run_id)
                if subs:
                    for sub in subs:
                        if not sub._push(event):
                            dead.append(sub)
            if dead:  # overflowed subscribers leave the registry now, not while iterating it
                for sub in dead:
                    self._unregister(sub)
                dead.clear()
        self._last_sequence = max(self._last_sequence, events[-1].sequence)

    def _fail_pending(self, batches: list[_Batch]) -> None:
        for batch in batches:
            _resolve_error(batch, EventLogClosed("the event log closed before the write"))


def _log_failure(future: asyncio.Future[list[EventRecord]]) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("a posted event-log write failed: %s", future.exception())


def _resolve(batch: _Batch, events: list[EventRecord]) -> None:
    if not batch.future.done():
        batch.future.set_result(events)


def _resolve_error(batch: _Batch, exc: BaseException) -> None:
    if not batch.future.done():
        batch.future.set_exception(exc)


async def follow(log: EventLog, store: Store, *, run_id: str | None, after_sequence: int,
                 heartbeat: float,
                 capacity: int = DEFAULT_CAPACITY) -> AsyncIterator[EventRecord | int]:
    """Stored events after `after_sequence`, then live ones: no gap, no duplicate.

    Yields `EventRecord`s in sequence order (only `run_id`'s when given), and the
    last sequence yielded (an `int`, `after_sequence` before any event) when no
    event came for `heartbeat` seconds. Ends by raising
    `SubscriptionOverflow(last sequence yielded)` when the consumer fell more than
    `capacity` events behind, or `SubscriptionClosed` when the log closes. The
    subscription is always released, also when the consumer stops early.
    """
    sub = log.subscribe(run_id, capacity)  # first: everything after its start arrives live
    last = after_sequence
    try:
        # up to the subscription's start; anything committed later comes live
        async for event in stored_events(store, run_id=run_id, after_sequence=after_sequence,
                                         until_sequence=sub.start_sequence):
            yield event
            last = event.sequence
        loop = asyncio.get_running_loop()
        deadline = loop.time() + heartbeat
        while True:
            item = await sub.get(deadline - loop.time())
            if item is None:
                yield last
                deadline = loop.time() + heartbeat
            elif item.sequence > last:
                yield item
                last = item.sequence
                deadline = loop.time() + heartbeat
    except SubscriptionOverflow:
        raise SubscriptionOverflow(last) from None
    finally:
        sub.close()


async def stored_events(store: Store, *, run_id: str | None, after_sequence: int,
                        until_sequence: int | None = None) -> AsyncIterator[EventRecord]:
    """The stored events after `after_sequence` (up to `until_sequence` when given), in
    order, read a page at a time; only `run_id`'s when given."""
    cursor = after_sequence
    while until_sequence is None or cursor < until_sequence:
        page = await asyncio.to_thread(store.runs.events_after, cursor, run_id=run_id,
                                       limit=REPLAY_PAGE)
        for event in page:
            if until_sequence is not None and event.sequence > until_sequence:
                return
            yield event
        if len(page) < REPLAY_PAGE:
            return
        cursor = page[-1].sequence
