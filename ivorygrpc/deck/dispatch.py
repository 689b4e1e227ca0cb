"""Runs deck operations: `async def` methods are awaited on the event loop,
blocking ones in the instrument's own worker thread; calls to one instrument are
serialised, calls to different instruments may overlap."""

from __future__ import annotations

import asyncio
import functools
import inspect
import queue
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast

T = TypeVar("T")


class InstrumentLock:
    """A FIFO lock of one instrument, taken by a coroutine (`async with`) or handed to
    a callback (`take`): a queued blocking job needs no task of its own, and no
    cancellation can drop it once queued."""

    def __init__(self) -> None:
        self._held = False
        self._waiters: deque[asyncio.Future[None] | Callable[[], None]] = deque()

    def locked(self) -> bool:
        """True while someone holds the lock."""
        return self._held

    def waiting(self) -> bool:
        """True while someone is queued for the lock."""
        return bool(self._waiters)

    def take(self, then: Callable[[], None]) -> None:
        """Call `then()` holding the lock: at once if it is free, else when the earlier
        holders released it. `then` (or what it starts) must call `release`."""
        if self._held:
            self._waiters.append(then)
        else:
            self._held = True
            then()

    async def acquire(self) -> None:
        """Wait for the lock (FIFO)."""
        if not self._held:
            self._held = True
            return
        turn = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # handed over just as we were cancelled
                self.release()
            raise  # (a cancelled turn still queued is skipped by `release`)

    def release(self) -> None:
        """Hand the lock to the next waiter, or free it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if isinstance(waiter, asyncio.Future):
                if not waiter.done():  # else its coroutine was cancelled while waiting
                    waiter.set_result(None)
                    return
            else:
                waiter()
                return
        self._held = False

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *_: object) -> None:
        self.release()


_SETTLED = object()  # a job whose awaitable result already settled its outcome
_CLOSED_LOOP_CHECK_S = 0.5

Done = Callable[[Any, BaseException | None], None]
"""Called on the loop with `(result, None)` or `(None, error)` when a job ends."""


class _Worker:
    """The thread of one instrument: runs its blocking jobs one after another and
    hands each outcome to the loop (lighter than an executor's futures)."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[
            tuple[Callable[[], Any], asyncio.AbstractEventLoop, Done] | None] = queue.SimpleQueue()
        # A daemon: a hung instrument must not keep the process alive (`close` joins).
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def run(self, job: Callable[[], Any], loop: asyncio.AbstractEventLoop, done: Done) -> None:
        """Queue `job`; `done` is called on `loop` when it ends."""
        self._jobs.put((job, loop, done))

    def stop(self) -> None:
        """End the thread after the jobs queued so far, and wait for it."""
        self._jobs.put(None)
        self._thread.join()

    def _serve(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, loop, done = item
            del item
            try:
                result = job()
            except BaseException as exc:  # handed to the loop, as run_in_executor does
                _call_soon(loop, done, None, exc)
            else:
                _call_soon(loop, done, result, None)
            del job, loop, done


class Dispatcher:
    """The name -> callable table, one lock and one worker thread per instrument."""

    def __init__(self, targets: Mapping[tuple[str, str], Callable[..., Any]]) -> None:
        self._targets = dict(targets)
        self._blocking = {key: not inspect.iscoroutinefunction(target)
                          for key, target in self._targets.items()}
        self._locks: dict[str, InstrumentLock] = {}
        # Jobs handed to each instrument's thread and not yet settled (they hold its lock).
        self._handed: dict[str, int] = {}
        self._workers: dict[str, _Worker] = {}
        self._workers_guard = threading.Lock()  # `close` runs in another thread
        self._closed = False

    def has(self, instrument: str, operation: str) -> bool:
        """True when the operation can be called (False for an offline deck)."""
        return (instrument, operation) in self._targets

    def lock(self, instrument: str) -> InstrumentLock:
        """The lock that serialises calls to `instrument`."""
        lock = self._locks.get(instrument)
        if lock is None:
            lock = self._locks[instrument] = InstrumentLock()
        return lock

    async def call(self, instrument: str, operation: str, args: tuple[Any, ...],
                   kwargs: Mapping[str, Any]) -> Any:
        """Run one operation, waiting for earlier calls to the same instrument.

        Cancelled while waiting for the instrument, the operation never runs; cancelled
        while a blocking operation runs, the caller hears of it once the thread ends."""
        target = self._targets[(instrument, operation)]
        async with self.lock(instrument):
            if not self._blocking[(instrument, operation)]:
                return await target(*args, **kwargs)
            result = await self._in_thread(instrument,
                                           functools.partial(target, *args, **kwargs))
            if inspect.isawaitable(result):
                result = await result
            return result

    def blocking(self, instrument: str, operation: str) -> bool:
        """True when the operation runs in a worker thread (it is not `async def`)."""
        return self._blocking[(instrument, operation)]

    def submit_blocking(self, instrument: str, operation: str, args: tuple[Any, ...],
                        kwargs: Mapping[str, Any],
                        job: Callable[[Callable[[], Any]], T | Awaitable[T]]
                        ) -> asyncio.Future[T]:
        """Queue `job(invoke)` to run in a worker thread while holding the instrument's
        lock; `invoke()` calls the (blocking) operation. Lets a caller do blocking work
        right before and after the call without another thread hop.

        Returns the future of the job's outcome. The job runs and the lock stays held
        until it ends whatever happens to the caller: await the future through
        `asyncio.shield` (cancelling the future itself changes nothing either). An
        awaitable that `job` returns is awaited under the lock too (as `call` does).

        While the instrument's thread holds the lock for earlier jobs and nobody else
        waits for it, the job joins them in the thread's queue: back-to-back jobs run
        without a round trip through the event loop between them (the lock is released
        when the last of them has settled)."""
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[T] = loop.create_future()
        lock = self.lock(instrument)
        invoke = functools.partial(self._targets[(instrument, operation)], *args, **kwargs)

        def run() -> Any:  # in the worker thread
            result = job(invoke)
            if not inspect.isawaitable(result):
                return result
            # Awaited on the loop; this thread (so the next queued job) waits for it.
            awaited = threading.Event()
            _call_soon(loop, await_result, result, awaited)
            while not awaited.wait(_CLOSED_LOOP_CHECK_S):
                if loop.is_closed():  # nobody can await it any more
                    break
            return _SETTLED

        def await_result(result: Awaitable[Any], awaited: threading.Event) -> None:
            def then(task: asyncio.Future[Any]) -> None:
                try:
                    error = asyncio.CancelledError() if task.cancelled() else task.exception()
                    settle(None if error is not None else task.result(), error)
                finally:
                    awaited.set()
            asyncio.ensure_future(result).add_done_callback(then)

        def settle(result: Any, error: BaseException | None) -> None:  # on the loop
            if result is _SETTLED:
                return
            left = self._handed[instrument] - 1
            self._handed[instrument] = left
            if left == 0:
                lock.release()
            if outcome.done():  # cancelled by its holder: nobody wants the outcome
                return
            if error is not None:
                outcome.set_exception(error)
            else:
                outcome.set_result(cast(T, result))

        def start() -> None:  # on the loop, holding the lock
            self._handed[instrument] = self._handed.get(instrument, 0) + 1
            try:
                self._run(instrument, run, loop, settle)
            except RuntimeError as exc:  # closed: the server is stopping
                settle(None, exc)

        if self._handed.get(instrument) and not lock.waiting():
            start()  # the thread holds the lock: queue behind its jobs
        else:
            lock.take(start)
        return outcome

    def _run(self, instrument: str, job: Callable[[], Any], loop: asyncio.AbstractEventLoop,
             done: Done) -> None:
        """Run `job` in the instrument's worker thread (started on first use)."""
        with self._workers_guard:
            if self._closed:
                raise RuntimeError("the dispatcher is closed")
            worker = self._workers.get(instrument)
            if worker is None:
                worker = self._workers[instrument] = _Worker(f"ivorygrpc-{instrument}"[:60])
        worker.run(job, loop, done)

    async def _in_thread(self, instrument: str, job: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        running: asyncio.Future[T] = loop.create_future()

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                running.set_exception(error)
            else:
                running.set_result(result)

        self._run(instrument, job, loop, done)
        try:
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            # The thread cannot be stopped: keep the instrument locked until it ends.
            await asyncio.wait([running])
            raise

    def close(self) -> None:
        """Stop the worker threads (calls already handed to them finish first)."""
        with self._workers_guard:
            self._closed = True
            workers = list(self._workers.values())
        for worker in workers:
            worker.stop()


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[..., None],
               *args: Any) -> None:
    """Schedule `callback` on `loop` from another thread (dropped if the loop closed)."""
    try:
        loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:  # the loop closed: the server is gone, so is its caller
        pass
