"""The run queue and the active run: submission, queue edits, run control, recovery.

One run executes at a time; the others wait in FIFO order (which operators
may change). The queue order lives in memory and in the store (`position`);
every change is written through the event log, so it is committed and
announced as one unit. At start, runs that were executing become
`interrupted` and, if runs are still queued, the queue starts paused so an
operator decides what happens next.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ivorygrpc.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArguments,
    IvorygrpcError,
    NotFound,
    Unimplemented,
)
from ivorygrpc.execution.campaign_run import CampaignMode, CampaignRuns
from ivorygrpc.execution.control import (
    PAUSE_INPUT,
    PAUSE_STEP_ERROR,
    PROMPTS,
    Answer,
    Decision,
    RunControl,
    StopRequest,
)
from ivorygrpc.execution.events import (
    EventLog,
    Subscription,
    SubscriptionClosed,
    SubscriptionOverflow,
)
from ivorygrpc.execution.inputs import convert_input
from ivorygrpc.execution.names import FINAL_STATES, state_name
from ivorygrpc.execution.plan import RunPlan
from ivorygrpc.execution.queue_order import GAP, QueueOrder
from ivorygrpc.execution.run_modes import CsvMode, Mode, RepeatMode, RowsMode
from ivorygrpc.execution.run_planner import RunPlanner
from ivorygrpc.execution.runner import Outcome, Runner, RunnerDeps
from ivorygrpc.store import Store
from ivorygrpc.store._common import utc_now
from ivorygrpc.store.records import (
    AppendEvent,
    DeleteRun,
    InsertRun,
    RunOp,
    RunRecord,
    UpdateRun,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")
MAX_NAME = 200
SETTLE_SECONDS = 5.0  # how long a control call waits for the runner to record its decision


class Executor:
    """Owns the queue and the active run."""

    def __init__(self, store: Store, log: EventLog, deps: RunnerDeps,
                 campaigns: CampaignRuns | None = None) -> None:
        self.store = store
        self.log = log
        self.deps = deps
        self.campaigns = campaigns
        self.boot_id = uuid.uuid4().hex
        self.queue_paused = False
        self._queue = QueueOrder()
        self._tail = 0  # at least the highest queue position ever given out
        # Queued runs whose record is known in memory (made here, not loaded at start):
        # an edit answers with the changed copy instead of reading the run back.
        self._records: dict[str, RunRecord] = {}
        # Created runs whose insert is submitted but not yet committed: not started yet.
        self._uncommitted: set[str] = set()
        self._edit = asyncio.Lock()
        self._current: tuple[str, RunControl, asyncio.Task[None]] | None = None
        self._active = ""  # the run that holds the deck: set at its start, cleared at its end
        self._creating: dict[tuple[str, str], asyncio.Future[None]] = {}
        self._planner = RunPlanner(store, deps.deck)
        self._closed = False

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Recover after a restart: executing runs become interrupted; the queue reloads."""
        active = await asyncio.to_thread(self.store.runs.active)
        now = utc_now()
        ops: list[RunOp] = []
        for run in active:
            error = {"type": "Interrupted", "message": "the server stopped during the run",
                     "step_id": str(run.progress.get("last_completed_step_id", ""))}
            ops += [UpdateRun(run.id, {"state": "interrupted", "finished_at": now,
                                       "error": error}),
                    AppendEvent(run.id, "state_changed", {
                        "state": state_name("interrupted"), "previous": state_name(run.state),
                        "error": error}, now)]
        queued = await asyncio.to_thread(self.store.runs.queued)
        self._queue = QueueOrder(queued)
        self._tail = self._queue.last_position()
        if self._queue:
            self.queue_paused = True
            ops.append(self._queue_event("paused", ""))
            logger.warning("%d runs are still queued: the queue starts paused "
                           "(ResumeQueue starts them)", len(self._queue))
        if ops:
            await self.log.write(ops)
        for run in active:
            logger.warning("run %s (%s) was interrupted by the server stopping", run.id,
                           run.display_name)

    async def close(self) -> None:
        """Interrupt the active run (recorded as `interrupted`) and refuse new work."""
        self._closed = True
        current = self._current
        if current is None:
            return
        task = current[2]
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    @property
    def busy(self) -> bool:
        """True while a run is running or paused (false as soon as its runner has returned)."""
        return bool(self._active)

    # -- submission ---------------------------------------------------------------------------

    async def create_run(self, *, workflow: str, version: int | None, display_name: str,
                         mode: Mode | CampaignMode, batch_size: int,
                         options: Mapping[str, bool],
                         request_id: str, submitter: str) -> RunRecord:
        """Check, convert and queue a run; a repeated `request_id` returns the first run."""
        _check_name(display_name, "display_name", allow_empty=True)
        if self._closed:
            raise FailedPrecondition("the server is stopping", reason="SERVER_STOPPING")
        if not request_id:
            return await self._create(workflow, version, display_name, mode, batch_size,
                                      options, request_id, submitter)
        key = (submitter, request_id)
        # Registered before the first await: a concurrent retry waits for this attempt,
        # then finds its run (or makes its own attempt if this one was refused).
        while (pending := self._creating.get(key)) is not None:
            await asyncio.shield(pending)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._creating[key] = done
        try:
            # Not looked up first (a thread hop and a read on every submission): a retry
            # whose run exists clashes on (submitter, request_id) when inserted, and
            # `_create` answers with that run; a retry refused here (its workflow changed
            # since, say) is looked up before the refusal stands.
            try:
                return await self._create(workflow, version, display_name, mode, batch_size,
                                          options, request_id, submitter)
            except IvorygrpcError:
                found = await asyncio.to_thread(self.store.runs.find_by_request_id, *key)
                if found is None:
                    raise
                return found
        finally:
            if self._creating.get(key) is done:
                del self._creating[key]
            done.set_result(None)

    async def _create(self, workflow: str, version: int | None, display_name: str,
                      mode: Mode | CampaignMode, batch_size: int, options: Mapping[str, bool],
                      request_id: str, submitter: str) -> RunRecord:
        campaign: dict[str, Any] = {}
        if isinstance(mode, CampaignMode):
            if self.campaigns is None:
                raise Unimplemented("this server has no optimizer campaigns",
                                    reason="CAMPAIGN_NOT_AVAILABLE")
            record = await asyncio.to_thread(self._planner.workflow, workflow, version)
            plan, mode, campaign = await asyncio.to_thread(
                self.campaigns.plan, workflow, record.body, mode, batch_size,
                self._planner.lookup, self._planner.source)
        else:
            record, plan = await self._planner.plan(workflow, version, mode, batch_size)
        run_id = uuid.uuid4().hex
        now = utc_now()
        # The place in the queue is taken and the insert submitted under the lock (no
        # await), so runs queue in submission order; the commit is awaited outside it,
        # shared with concurrent edits. The run starts only once its insert is committed.
        async with self._edit:
            position = self._tail = self._tail + GAP
            insert = InsertRun(
                id=run_id, display_name=display_name or workflow, workflow=workflow,
                workflow_version=record.version, submitter=submitter, request_id=request_id,
                mode=_mode_json(mode), batch_size=batch_size, options=dict(options),
                plan={**plan.to_json(), "body": record.body,
                      **({"campaign": campaign} if campaign else {})}, position=position,
                progress={"iterations": campaign.get("iterations", len(plan.iterations))},
                created_at=now)
            committed = self.log.submit([insert, AppendEvent(run_id, "state_changed", {
                "state": "RUN_STATE_QUEUED", "previous": "RUN_STATE_UNSPECIFIED"}, now)])
            self._queue.add(run_id, position)
            self._uncommitted.add(run_id)
        try:
            await committed
        except BaseException as exc:
            self._uncommitted.discard(run_id)
            if self._queue.remove(run_id) is not None:
                self._start_next()  # it may have held up the runs behind it
            if not isinstance(exc, AlreadyExists):
                raise
            found = await asyncio.to_thread(self.store.runs.find_by_request_id,
                                            submitter, request_id)
            if found is None:
                raise
            return found
        self._uncommitted.discard(run_id)
        run = _queued_record(insert)
        if campaign and self.campaigns is not None:  # visible in GetCampaign while queued
            await self.campaigns.created(run, campaign)
            run = await self.get(run_id)
        elif run_id in self._queue:
            self._records[run_id] = run
        self._start_next()
        return run

    # -- reads --------------------------------------------------------------------------------

    async def get(self, run_id: str) -> RunRecord:
        """The run; raises NotFound (InvalidArguments for an empty id)."""
        if not run_id:
            raise InvalidArguments([FieldViolation("run_id", "is required")])
        run = await asyncio.to_thread(self.store.runs.get, run_id)
        if run is None:
            raise NotFound("run", run_id, reason="RUN_NOT_FOUND")
        return run

    def queue_rank(self, run_id: str) -> int:
        """1-based place in the queue, 0 when not queued."""
        return self._queue.rank(run_id)

    def status(self) -> dict[str, Any]:
        """busy, queue_paused, current run id, queue length, last sequence, boot id."""
        return {"busy": self.busy, "queue_paused": self.queue_paused,
                "current_run_id": self._current[0] if self._current else "",
                "queue_length": len(self._queue), "last_sequence": self.log.last_sequence,
                "boot_id": self.boot_id}

    # -- queue edits --------------------------------------------------------------------------

    async def move_run(self, run_id: str, *, before: str = "", after: str = "") -> RunRecord:
        """Put a queued run just before or after another queued run."""
        target = before or after
        if not target:
            raise InvalidArguments([FieldViolation("target", "give before_run_id or "
                                                             "after_run_id")])
        if target == run_id:
            raise InvalidArguments([FieldViolation("target", "a run cannot move next to itself")])
        async with self._edit:
            await self._require_queued(run_id)
            await self._require_queued(target, field="before_run_id" if before else
                                       "after_run_id")
            changed = self._queue.move(run_id, target, after=not before)
            self._tail = max(self._tail, self._queue.last_position())
            committed = self.log.submit([
                *(UpdateRun(r, {"position": p}) for r, p in changed.items()),
                self._queue_event("moved", run_id)])
        await committed
        return await self._edited(run_id)

    async def rename_run(self, run_id: str, display_name: str) -> RunRecord:
        """Rename a queued run."""
        _check_name(display_name, "display_name")
        async with self._edit:
            await self._require_queued(run_id)
            committed = self.log.submit([UpdateRun(run_id, {"display_name": display_name}),
                                         self._queue_event("renamed", run_id)])
        await committed
        return await self._edited(run_id, display_name=display_name)

    async def cancel_run(self, run_id: str) -> RunRecord:
        """Remove a queued run from the queue."""
        async with self._edit:
            await self._require_queued(run_id)
            # Out of the queue before the write: the run ending now must not start it.
            position = self._queue.remove(run_id)
            assert position is not None  # _require_queued found it (and did not suspend)
            record = self._records.pop(run_id, None)
            now = utc_now()
            committed = self.log.submit([
                UpdateRun(run_id, {"state": "cancelled", "position": None,
                                   "finished_at": now}),
                AppendEvent(run_id, "state_changed", {"state": "RUN_STATE_CANCELLED",
                                                      "previous": "RUN_STATE_QUEUED"}, now)])
        try:
            await committed
        except BaseException:  # not cancelled after all: back to its place
            self._queue.add(run_id, position)
            if record is not None:
                self._records[run_id] = record
            raise
        if record is None:
            return await self.get(run_id)
        return dataclasses.replace(record, state="cancelled", position=None, finished_at=now)

    async def _edited(self, run_id: str, **changes: Any) -> RunRecord:
        """The queued run after a committed edit: its known record changed in memory, with
        its current place, else read back (runs queued before this start, or no longer
        queued)."""
        record = self._records.get(run_id)
        position = self._queue.position(run_id)
        if record is None or position is None:
            return await self.get(run_id)
        if record.position != position or changes:
            record = self._records[run_id] = dataclasses.replace(record, position=position,
                                                                 **changes)
        return record

    async def delete_run(self, run_id: str) -> None:
        """Delete a finished run with its record and events."""
        run = await self.get(run_id)
        if run.state not in FINAL_STATES:
            raise FailedPrecondition(f"run {run_id} is {run.state}: cancel or stop it first",
                                     reason="RUN_NOT_FINISHED")
        await self.log.write([DeleteRun(run_id)])

    async def pause_queue(self) -> None:
        """Stop starting queued runs (idempotent)."""
        if not self.queue_paused:
            self.queue_paused = True
            await self.log.write([self._queue_event("paused", "")])

    async def resume_queue(self) -> None:
        """Start queued runs again (idempotent)."""
        if self.queue_paused:
            self.queue_paused = False
            await self.log.write([self._queue_event("resumed", "")])
        self._start_next()

    async def _require_queued(self, run_id: str, field: str = "run_id") -> None:
        if run_id in self._queue:
            return
        if not run_id:
            raise InvalidArguments([FieldViolation(field, "is required")])
        run = await asyncio.to_thread(self.store.runs.get, run_id)
        if run is None:
            raise NotFound("run", run_id, reason="RUN_NOT_FOUND")
        raise FailedPrecondition(f"run {run_id} is {run.state}, not queued ({field})",
                                 reason="RUN_NOT_QUEUED")

    def _queue_event(self, change: str, run_id: str) -> AppendEvent:
        return AppendEvent("", "queue_changed", {"paused": self.queue_paused, "change": change,
                                                 "run_id": run_id}, utc_now())

    # -- run control --------------------------------------------------------------------------

    async def pause_run(self, run_id: str) -> RunRecord:
        """Pause after the step in flight (idempotent; a paused run stays as it is)."""
        control = await self._control(run_id)
        if not control.pause_kind():
            control.pause_requested = True
        return await self.get(run_id)

    async def resume_run(self, run_id: str) -> RunRecord:
        """Clear an operator pause, requested or in effect (idempotent)."""
        control = await self._control(run_id)
        return await self._decided(run_id, control, control.resume)

    async def stop_run(self, run_id: str, *, now: bool, cleanup: bool | None,
                       continue_queue: bool | None) -> RunRecord:
        """Stop after the iteration or now; unset options come from the run's options."""
        control = await self._control(run_id)
        run = await self.get(run_id)
        if cleanup is None:
            cleanup = False if now else bool(run.options.get("cleanup_on_stop", True))
        if continue_queue is None:
            continue_queue = bool(run.options.get("continue_queue_on_stop", False))
        stop = StopRequest(now, cleanup, continue_queue)
        return await self._decided(run_id, control, lambda: control.request_stop(stop))

    async def retry_step(self, run_id: str, pause_id: str) -> RunRecord:
        """Run the failed step again."""
        control = await self._control(run_id)
        return await self._decided(run_id, control, lambda: control.decide(
            Answer(Decision.RETRY), (PAUSE_STEP_ERROR,), pause_id))

    async def skip_step(self, run_id: str, pause_id: str) -> RunRecord:
        """Go on without the failed step's result."""
        control = await self._control(run_id)
        return await self._decided(run_id, control, lambda: control.decide(
            Answer(Decision.SKIP), (PAUSE_STEP_ERROR,), pause_id))

    async def answer_prompt(self, run_id: str, pause_id: str, value: Any,
                            user: str) -> RunRecord:
        """Answer an input step (value converted to its type) or acknowledge a pause step."""
        control = await self._control(run_id)
        control.check(PROMPTS, pause_id)  # the state first: a stale answer is not "invalid"
        pause = control.pause or {}
        converted = None
        if control.pause_kind() == PAUSE_INPUT:
            converted = convert_input(value, str(pause.get("input_type", "")))
        return await self._decided(run_id, control, lambda: control.decide(
            Answer(Decision.ANSWER, converted, user), PROMPTS, pause_id))

    async def _control(self, run_id: str) -> RunControl:
        if self._current is not None and self._current[0] == run_id:
            return self._current[1]
        run = await self.get(run_id)
        raise FailedPrecondition(f"run {run_id} is {run.state}, not running or paused",
                                 reason="RUN_NOT_ACTIVE")

    async def _decided(self, run_id: str, control: RunControl,
                       act: Callable[[], None]) -> RunRecord:
        """Apply `act` (it raises when the run's state does not allow it); when it ended a
        pause, wait until the runner has recorded leaving it, so the answer shows the run
        as it goes on rather than still paused."""
        waiting = bool(control.pause_kind())
        subscription = self.log.subscribe(run_id, capacity=1000) if waiting else None
        try:
            act()
            if subscription is not None and not control.pause_kind():
                await _next_state_change(subscription, SETTLE_SECONDS)
        finally:
            if subscription is not None:
                subscription.close()
        return await self.get(run_id)

    # -- the active run -----------------------------------------------------------------------

    def _start_next(self) -> None:
        if self._current is not None or self.queue_paused or not self._queue or self._closed:
            return
        if self._queue.first() in self._uncommitted:
            return  # its creator starts it once the insert is committed
        run_id = self._queue.pop_first()
        self._records.pop(run_id, None)
        control = RunControl()
        task = asyncio.get_running_loop().create_task(self._drive(run_id, control),
                                                      name=f"run-{run_id}")
        self._current = (run_id, control, task)
        self._active = run_id

    async def _drive(self, run_id: str, control: RunControl) -> None:
        outcome: Outcome | None = None
        options: Mapping[str, Any] = {}
        runner: Runner | None = None
        try:
            run = await _finished_read(self.store.runs.get, run_id)
            if run is None:
                raise NotFound("run", run_id, reason="RUN_NOT_FOUND")
            options = run.options
            data = await _finished_read(self.store.runs.plan, run_id) or {}
            plan = RunPlan.from_json(data)
            main = None
            if data.get("campaign") and self.campaigns is not None:
                main = await self.campaigns.source(run, data)
            runner = Runner(run, plan, data.get("body") or {}, self.deps, control, main)
            outcome = await runner.execute()
        except asyncio.CancelledError:
            # Recorded like start-up recovery records a killed server's run.
            last = str(runner.progress.get("last_completed_step_id", "")) if runner else ""
            previous = runner.state if runner else "running"
            await asyncio.shield(self._finish(run_id, control, Outcome(
                "interrupted", {"type": "Interrupted", "step_id": last,
                                "message": "the server stopped during the run"}), options,
                previous=previous))
            raise
        except Exception as exc:  # the store or the event log failed: record what we can
            logger.exception("run %s could not be executed", run_id)
            outcome = Outcome("failed", {"type": type(exc).__name__, "message": str(exc)})
        await self._finish(run_id, control, outcome, options)

    async def _finish(self, run_id: str, control: RunControl, outcome: Outcome,
                      options: Mapping[str, Any], previous: str = "running") -> None:
        self._active = ""  # the runner has returned: direct control may use the deck again
        now = utc_now()
        fields: dict[str, Any] = {"state": outcome.state, "finished_at": now,
                                  "error": outcome.error}
        if outcome.state != "interrupted":
            fields["pause"] = None  # an interrupted run keeps its pending prompt visible
        payload: dict[str, Any] = {"state": state_name(outcome.state),
                                   "previous": state_name(previous)}
        if outcome.error:
            payload["error"] = outcome.error
        ops: list[RunOp] = [UpdateRun(run_id, fields),
                            AppendEvent(run_id, "state_changed", payload, now)]
        stop = control.stop
        if stop is not None:
            go_on = stop.continue_queue
        else:  # a failure: the run's option decides, as for a stop
            go_on = bool(options.get("continue_queue_on_stop", False))
        hold = outcome.state in ("failed", "stopped") and not go_on
        if hold and self._queue and not self.queue_paused and outcome.state != "interrupted":
            self.queue_paused = True
            ops.append(self._queue_event("paused", run_id))
        try:
            await self.log.write(ops)
        except Exception:
            logger.exception("could not record the end of run %s", run_id)
        finally:
            self._current = None
        self._start_next()


def _check_name(name: str, field: str, *, allow_empty: bool = False) -> None:
    if not name and allow_empty:
        return
    if not 1 <= len(name) <= MAX_NAME or not name.isprintable():
        raise InvalidArguments([FieldViolation(
            field, f"must be 1 to {MAX_NAME} printable characters")])


def _queued_record(insert: InsertRun) -> RunRecord:
    """The run as `insert` stores it (what reading it back would give)."""
    return RunRecord(
        id=insert.id, display_name=insert.display_name, workflow=insert.workflow,
        workflow_version=insert.workflow_version, submitter=insert.submitter,
        request_id=insert.request_id, mode=insert.mode, batch_size=insert.batch_size,
        options=insert.options, state="queued", position=insert.position, pause=None,
        progress=insert.progress, error=None, created_at=insert.created_at, started_at=None,
        finished_at=None)


def _mode_json(mode: Mode | CampaignMode) -> dict[str, Any]:
    if isinstance(mode, RepeatMode):
        return {"repeat": {"count": mode.count, "parameters": mode.parameters}}
    if isinstance(mode, RowsMode):
        return {"rows": {"rows": mode.rows}}
    if isinstance(mode, CampaignMode):
        return mode.to_json()
    assert isinstance(mode, CsvMode)
    return {"csv": {"text": mode.text}}


async def _next_state_change(subscription: Subscription, timeout: float) -> None:
    """Wait (at most `timeout` seconds) for the next `state_changed` event of the subscription."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while (remaining := deadline - loop.time()) > 0:
            event = await subscription.get(remaining)
            if event is None or event.kind == "state_changed":
                return
    except (SubscriptionOverflow, SubscriptionClosed):
        return


async def _finished_read(read: Callable[[str], T], run_id: str) -> T:
    """`read(run_id)` in a worker thread; a cancelled caller still waits for the thread, so
    the store is never closed under a read the executor started."""
    future = asyncio.ensure_future(asyncio.to_thread(read, run_id))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise
