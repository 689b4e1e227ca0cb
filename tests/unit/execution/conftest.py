"""Fixtures shared by the execution unit tests."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ivorygrpc.execution.events import EventLog
from ivorygrpc.store import Store
from ivorygrpc.store.records import EventRecord, InsertRun, RunOp


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An open store on a SQLite file of its own."""
    opened = Store.open(Store.sqlite_url(tmp_path))
    yield opened
    opened.close()


class ObservedRuns:
    """store.runs with every apply observed (its ops and its thread), optionally slowed
    down (`delay`) or held until `release` is set."""

    def __init__(self, runs: Any, delay: float = 0.0) -> None:
        self._runs = runs
        self.delay = delay
        self.batches: list[list[RunOp]] = []
        self.threads: list[int] = []
        self.names: list[str] = []  # thread names
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()

    @property
    def calls(self) -> list[int]:
        """The number of ops of each apply call."""
        return [len(batch) for batch in self.batches]

    def apply(self, ops: Sequence[RunOp]) -> list[EventRecord]:
        self.batches.append(list(ops))
        self.threads.append(threading.get_ident())
        self.names.append(threading.current_thread().name)
        self.entered.set()
        self.release.wait(10)
        if self.delay:
            time.sleep(self.delay)
        result: list[EventRecord] = self._runs.apply(ops)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runs, name)


class ObservedStore:
    """Just enough of a Store for the event log: `runs`, observed."""

    def __init__(self, store: Store, delay: float = 0.0) -> None:
        self.runs = ObservedRuns(store.runs, delay)


def queued_run(run_id: str) -> InsertRun:
    """A run to insert (the events of a test belong to it)."""
    return InsertRun(
        id=run_id, display_name=run_id, workflow="wf", workflow_version=1, submitter="alice",
        request_id="", mode={"repeat": {"count": 1}}, batch_size=1, options={}, plan={},
        position=0, progress={}, created_at=datetime(2026, 4, 5, 6, 7, 8, tzinfo=UTC))


@pytest.fixture
async def observed(store: Store) -> AsyncIterator[tuple[EventLog, ObservedRuns]]:
    """An event log over an observed store, with the runs "a" and "r" inserted."""
    wrapped = ObservedStore(store)
    log = EventLog(wrapped)  # type: ignore[arg-type]
    await log.start()
    await log.write([queued_run("a"), queued_run("r")])
    yield log, wrapped.runs
    await log.close()
