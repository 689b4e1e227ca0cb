"""What a runner records about its run, handed to the event log in as few batches as it can.

Events a runner only has to record (a step's end, an iteration's start and end,
progress) are *noted*: they wait here, in order, and go with the runner's next
`write` or `stage`, which always comes before anything that has to be durable
first (a step's start, a pause, the end of a phase) and, for runs with planned
iterations, in the same turn of the event loop, so no other writer's batch can
come between. `flush` hands them to the log without waiting (before the runner
awaits anything else, and when it ends).

A batch carries the noted and new events in order and at most one `UpdateRun`
with the run fields they set: the last value of each field (the run's row is
only ever seen as of a commit, so the intermediate values would never be
visible), and the progress when it changed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ivorygrpc.execution.events import EventLog, EventLogClosed, Staged
from ivorygrpc.store._common import utc_now
from ivorygrpc.store.records import AppendEvent, RunOp, UpdateRun

logger = logging.getLogger(__name__)
Events = list[tuple[str, dict[str, Any]]]


class RunJournal:
    """The events and run fields a runner recorded but has not yet handed to the log."""

    def __init__(self, log: EventLog, run_id: str, progress: Mapping[str, Any]) -> None:
        self._log = log
        self._run_id = run_id
        self._progress = progress  # the runner's own, read when a batch is made
        self._progress_changed = False
        self._events: list[RunOp] = []
        self._fields: dict[str, Any] = {}
        self.state = "queued"  # as last recorded: running or paused while the run executes

    def progress_changed(self) -> None:
        """The progress differs from the stored one: the next batch sets it."""
        self._progress_changed = True

    def note(self, events: Events, **fields: Any) -> None:
        """Record `events` (and run `fields`) to go with the next batch."""
        now = utc_now()
        run_id = self._run_id
        self._events.extend(AppendEvent(run_id, kind, payload, now) for kind, payload in events)
        if fields:
            self._fields.update(fields)
            self.state = fields.get("state", self.state)

    async def write(self, events: Events, **fields: Any) -> None:
        """Record `events` and commit them with everything noted; returns once committed
        (and published)."""
        self.note(events, **fields)
        await self._log.write(self._batch())

    def stage(self, events: Events) -> Staged:
        """Record `events` and queue them with everything noted for a worker thread to
        commit (`EventLog.stage`)."""
        self.note(events)
        return self._log.stage(self._batch())

    def flush(self) -> None:
        """Hand everything noted to the log without waiting for the commit (dropped, with
        a warning, when the log is already closed: the server is gone)."""
        if self._events or self._fields or self._progress_changed:
            try:
                self._log.post(self._batch())
            except EventLogClosed:
                logger.warning("run %s: the event log closed before its last events",
                               self._run_id)

    def _batch(self) -> list[RunOp]:
        fields = self._fields
        if self._progress_changed:
            fields["progress"] = dict(self._progress)
            self._progress_changed = False
        ops: list[RunOp] = [UpdateRun(self._run_id, fields)] if fields else []
        ops.extend(self._events)
        self._events = []
        self._fields = {}
        return ops
