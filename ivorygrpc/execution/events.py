"""The event log: the one writer of runs and events, group commit, and fan-out.

Every change to runs goes through `EventLog.write`. One writer task takes every
batch waiting at that moment, applies them in one transaction
(`store.runs.apply` in a worker thread), publishes the new events to the
subscribers in sequence order, and only then answers the callers. An event is
therefore always stored before anyone sees it, and subscribers see events in
sequence order.

A runner about to call a blocking instrument method may `stage` its batch
instead and let the instrument's worker thread commit it (`Staged.commit_here`)
right before the call: one thread hop per step instead of two. The thread
then stands in for the writer task: it commits only while no other group is
being committed, takes every waiting batch, and hands the results back to the
event loop, which publishes them before the next group may start. So there is
still one group in flight at a time, commit order is sequence order, and
nothing is published before it is committed.

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
import threading
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


Result = list[EventRecord] | Exception
"""What committing one batch gave: its events, or the error that refused it."""


@dataclass(eq=False)  # compared by identity
class _Batch:
    """One `write` call waiting for the writer."""

    ops: list[RunOp]
    future: asyncio.Future[list[EventRecord]]
    appends: int = field(init=False)

    def __post_init__(self) -> None:
        self.appends = sum(1 for op in self.ops if isinstance(op, AppendEvent))


class Staged:
    """A batch queued by `EventLog.stage`, for a worker thread to commit."""

    __slots__ = ("_batch", "_log")

    def __init__(self, log: EventLog, batch: _Batch) -> None:
        self._log = log
        self._batch = batch

    @property
    def future(self) -> asyncio.Future[list[EventRecord]]:
        """Resolved in the event loop once the batch is committed and published."""
        return self._batch.future

    def commit_here(self) -> bool:
        """In a worker thread: commit every waiting batch (this one among them) now, in
        this thread, and hand them to the event loop to publish. Returns True once this
        batch is committed; raises what refused it (other batches' errors go to their
        callers). False, committing nothing, while another group is being committed or
        when this batch was already taken by one: then it commits with that group or
        the next, and `future` tells when.
        """
        return self._log._commit_in_thread(self._batch)

    def release(self) -> asyncio.Future[list[EventRecord]]:
        """In the loop: make sure the batch gets committed (wakes the writer if it still
        waits); returns `future`."""
        if not self._batch.future.done():
            self._log._wake()
        return self._batch.future


class EventLog:
    """The one writer of runs and events; commits in groups, then publishes.

    `start()` in the running loop before use (writes made earlier wait for it);
    `close()` finishes the writes already made, stops the writer and ends every
    subscription with `SubscriptionClosed`.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        # _pending and _busy are shared with worker threads (`_commit_in_thread`)
        self._mutex = threading.Lock()
        self._pending: list[_Batch] = []
        self._busy = False  # a group is being committed (by the writer task or a thread)
        self._loop: asyncio.AbstractEventLoop | None = None
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
        self._loop = asyncio.get_running_loop()
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
        with self._mutex:
            pending, self._pending = self._pending, []
        self._fail_pending(pending)
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
        batch = self._queue(ops)
        self._wake()
        return batch.future

    def stage(self, ops: Sequence[RunOp]) -> Staged:
        """Queue `ops` like `submit`, for a worker thread to commit (`Staged.commit_here`).

        The writer task is not woken for them: they commit with the next group
        anyone starts. The caller must end with `Staged.release` in the event loop
        (it wakes the writer if the thread did not commit them).
        """
        return Staged(self, self._queue(ops))

    def _queue(self, ops: Sequence[RunOp]) -> _Batch:
        if self._closing:
            raise EventLogClosed("the event log is closed")
        batch = _Batch(list(ops), asyncio.get_running_loop().create_future())
        with self._mutex:
            self._pending.append(batch)
        return batch

    def post(self, ops: Sequence[RunOp]) -> None:
        """Queue `ops` like `write`, without waiting for the commit.

        They are committed, in order, no later than the next `write` made after
        this call returns (a runner posts what it noted before it awaits something
        else, see `journal`). A failure is logged (there is no caller left to raise
        it to).
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

    def _take(self, including: _Batch | None = None) -> list[_Batch] | None:
        """Every waiting batch, marking the log busy; None when busy, when nothing waits,
        or when `including` is given and no longer waits."""
        with self._mutex:
            if self._busy or not self._pending or (
                    including is not None and including not in self._pending):
                return None
            group, self._pending = self._pending, []
            self._busy = True
            return group

    def _commit_in_thread(self, batch: _Batch) -> bool:
        """`Staged.commit_here`: the writer's turn, taken by a worker thread."""
        loop = self._loop
        group = self._take(batch) if loop is not None else None
        if loop is None or group is None:
            return False
        whole, results = self._apply(group)
        loop.call_soon_threadsafe(self._finish, group, whole, results)
        outcome = results[group.index(batch)]
        if isinstance(outcome, Exception):
            raise outcome
        return True

    def _wake(self) -> None:
        """Let the writer task look for waiting batches (in the loop)."""
        if self._wakeup is not None:
            self._wakeup.set()

    async def _writer(self) -> None:
        assert self._wakeup is not None
        group: list[_Batch] | None = None
        try:
            while True:
                group = self._take()
                if group is None:
                    if self._closing and not self._busy and not self._pending:
                        return
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                whole, results = await asyncio.to_thread(self._apply, group)
                self._finish(group, whole, results)
                group = None
        finally:
            # Only reached early when the task is cancelled (the loop is going away).
            self._closing = True
            with self._mutex:
                pending, self._pending = self._pending, []
            self._fail_pending(group or [])
            self._fail_pending(pending)

    def _apply(self, group: list[_Batch]) -> tuple[bool, list[Result]]:
        """Commit `group` (in a worker thread); whether it took one transaction, and each
        batch's events or error."""
        apply = self._store.runs.apply
        ops = group[0].ops if len(group) == 1 else [op for b in group for op in b.ops]
        try:
            events = apply(ops)
        except Exception as exc:
            if len(group) == 1:
                return False, [exc]
            # One bad batch must not fail the others: apply each alone, in order.
            results: list[Result] = []
            for batch in group:
                try:
                    results.append(apply(batch.ops))
                except Exception as error:
                    results.append(error)
            return False, results
        split: list[Result] = []
        start = 0
        for batch in group:
            end = start + batch.appends
            split.append(events[start:end])
            start = end
        return True, split

    def _finish(self, group: list[_Batch], whole: bool, results: list[Result]) -> None:
        """In the loop: publish a committed group in order, answer its callers, and let
        the next group start."""
        if whole:
            self.groups += 1
        for batch, result in zip(group, results, strict=True):
            if isinstance(result, Exception):
                _resolve_error(batch, result)
                continue
            if not whole:
                self.groups += 1  # applied alone
            self._publish(result)
            _resolve(batch, result)
        with self._mutex:
            self._busy = False
            waiting = bool(self._pending)
        if waiting or self._closing:
            self._wake()

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
