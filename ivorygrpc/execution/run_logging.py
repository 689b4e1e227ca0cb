"""Log lines of a run: records from the runner and from the deck's own loggers.

A handler on the root logger forwards every INFO-or-higher record that does
not come from the server's own machinery to the run's event log. Deck
methods log from worker threads, so records are handed to the event loop.
While installed it lowers the root logger's level to INFO if it was higher
(Python's default is WARNING, which would drop a deck's `log.info` lines
before any handler sees them) and restores it afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

_INTERNAL = ("ivorygrpc", "grpc", "sqlalchemy", "alembic", "psycopg", "psycopg_pool", "asyncio",
             "concurrent", "nicegui", "uvicorn", "fastapi", "engineio", "socketio", "watchfiles",
             "httpx", "httpcore", "hpack", "h2", "urllib3", "multipart")
_RUN_LOGGER = "ivorygrpc.run"


def from_run_or_deck(name: str) -> bool:
    """True for the runner's logger and for loggers that are not the server's own."""
    if name == _RUN_LOGGER or name.startswith(_RUN_LOGGER + "."):
        return True
    return not any(name == p or name.startswith(p + ".") for p in _INTERNAL)


class RunLogCapture(logging.Handler):
    """Forwards log records to `emit_line` (a coroutine) while installed."""

    def __init__(self, emit_line: Callable[[logging.LogRecord], Awaitable[None]]) -> None:
        super().__init__(level=logging.INFO)
        self._emit_line = emit_line
        self._loop = asyncio.get_running_loop()
        self._pending: set[asyncio.Future[None]] = set()
        self._handed = 0  # records handed to the loop (emit runs under the handler's lock)
        self._taken = 0  # ... and taken up there
        self._root_level: int | None = None

    def install(self) -> None:
        """Start capturing."""
        root = logging.getLogger()
        root.addHandler(self)
        if root.level > logging.INFO:
            self._root_level = root.level
            root.setLevel(logging.INFO)

    def remove(self) -> None:
        """Stop capturing."""
        root = logging.getLogger()
        root.removeHandler(self)
        if self._root_level is not None and root.level == logging.INFO:
            root.setLevel(self._root_level)  # unless someone else changed it meanwhile
        self._root_level = None

    def emit(self, record: logging.LogRecord) -> None:
        """Hand a record to the event loop (safe from any thread)."""
        if not from_run_or_deck(record.name) or self._loop.is_closed():
            return
        self._handed += 1
        self._loop.call_soon_threadsafe(self._schedule, record)

    def _schedule(self, record: logging.LogRecord) -> None:
        self._taken += 1
        task = asyncio.ensure_future(self._emit_line(record))
        self._pending.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[None]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Logging here would feed the capture again; the line is lost, the run goes on.
            pass

    async def drain(self) -> None:
        """Wait until every captured line is written."""
        while self._taken < self._handed or self._pending:
            if self._taken < self._handed:
                await asyncio.sleep(0)  # lines handed over just now
            else:
                await asyncio.gather(*list(self._pending), return_exceptions=True)
