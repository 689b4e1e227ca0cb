"""Runs deck operations: `async def` methods are awaited on the event loop,
blocking ones run in a worker thread; calls to one instrument are serialised,
calls to different instruments may overlap."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

T = TypeVar("T")


class Dispatcher:
    """The name -> callable table plus one lock per instrument."""

    def __init__(self, targets: Mapping[tuple[str, str], Callable[..., Any]],
                 max_threads: int | None = None) -> None:
        self._targets = dict(targets)
        self._blocking = {key: not inspect.iscoroutinefunction(target)
                          for key, target in self._targets.items()}
        instruments = {name for name, _ in self._targets}
        self._locks: dict[str, asyncio.Lock] = {}
        self._executor = ThreadPoolExecutor(
            max_workers=max_threads or max(4, len(instruments)),
            thread_name_prefix="ivorygrpc-instrument",
        )

    def has(self, instrument: str, operation: str) -> bool:
        """True when the operation can be called (False for an offline deck)."""
        return (instrument, operation) in self._targets

    def lock(self, instrument: str) -> asyncio.Lock:
        """The lock that serialises calls to `instrument` (created in the running loop)."""
        lock = self._locks.get(instrument)
        if lock is None:
            lock = self._locks[instrument] = asyncio.Lock()
        return lock

    async def call(self, instrument: str, operation: str, args: tuple[Any, ...],
                   kwargs: Mapping[str, Any]) -> Any:
        """Run one operation, waiting for earlier calls to the same instrument."""
        target = self._targets[(instrument, operation)]
        async with self.lock(instrument):
            if not self._blocking[(instrument, operation)]:
                return await target(*args, **kwargs)
            result = await self._in_thread(functools.partial(target, *args, **kwargs))
            if inspect.isawaitable(result):
                result = await result
            return result

    def blocking(self, instrument: str, operation: str) -> bool:
        """True when the operation runs in a worker thread (it is not `async def`)."""
        return self._blocking[(instrument, operation)]

    async def call_blocking(self, instrument: str, operation: str, args: tuple[Any, ...],
                            kwargs: Mapping[str, Any],
                            job: Callable[[Callable[[], Any]], T | Awaitable[T]]) -> T:
        """Run `job(invoke)` in a worker thread while holding the instrument's lock;
        `invoke()` calls the (blocking) operation. Lets a caller do blocking work
        right before and after the call without another thread hop. An awaitable that
        `job` returns is awaited under the lock too (as `call` does)."""
        target = self._targets[(instrument, operation)]
        async with self.lock(instrument):
            outcome = await self._in_thread(
                functools.partial(job, functools.partial(target, *args, **kwargs)))
            if inspect.isawaitable(outcome):
                return cast(T, await outcome)
            return outcome

    async def _in_thread(self, job: Callable[[], T]) -> T:
        running = asyncio.get_running_loop().run_in_executor(self._executor, job)
        try:
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            # The thread cannot be stopped: keep the instrument locked until it ends.
            await asyncio.wait([running])
            raise

    def close(self) -> None:
        """Stop the worker threads (running calls finish first)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
