"""`ivorygrpc.v1.ExecuteService`: the run queue, run control, the event stream, records."""

from __future__ import annotations

import asyncio
import collections
import datetime
from collections.abc import AsyncIterator
from typing import Any

from google.protobuf import json_format

from ivorygrpc.errors import (
    FieldViolation,
    InvalidArguments,
    InvalidPageToken,
    ResourceExhausted,
    Unavailable,
)
from ivorygrpc.execution.events import (
    EventLog,
    SubscriptionClosed,
    SubscriptionOverflow,
    follow,
    stored_events,
)
from ivorygrpc.execution.executor import Executor
from ivorygrpc.execution.names import FINAL_STATE_NAMES, FINAL_STATES
from ivorygrpc.execution.records import results_csv, steps_csv
from ivorygrpc.paging import PageTokens, page_size, split_page
from ivorygrpc.services.context import Context, caller_of
from ivorygrpc.services.errors import abort, rpc_errors
from ivorygrpc.services.run_convert import (
    fill_event,
    heartbeat_message,
    mode_from_message,
    run_message,
    state_from_number,
)
from ivorygrpc.store import Store, run_cursor
from ivorygrpc.store.records import EventRecord, RunRecord
from ivorygrpc.v1 import execute_service_pb2 as pb
from ivorygrpc.v1 import execute_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import run_pb2

_ORDERS = {"": "create_time desc", "create_time desc": "create_time desc", "queue": "queue"}
DEFAULT_HEARTBEAT = 5
MAX_LOG_PAGE = 5000
_CACHE = 4096  # converted events kept for other subscribers of the same event


class ExecuteServicer(pb_grpc.ExecuteServiceServicer):
    """Parses requests, delegates to the executor, converts runs and events."""

    def __init__(self, executor: Executor, log: EventLog, store: Store,
                 tokens: PageTokens, stream_capacity: int = 10_000) -> None:
        self._executor = executor
        self._log = log
        self._store = store
        self._tokens = tokens
        self._capacity = stream_capacity
        self._converted: collections.OrderedDict[int, pb.StreamRunEventsResponse] = (
            collections.OrderedDict())

    def _run(self, run: RunRecord) -> run_pb2.Run:
        return run_message(run, self._executor.queue_rank(run.id))

    # -- submission and queue -------------------------------------------------------------------

    @rpc_errors
    async def CreateRun(self, request: pb.CreateRunRequest,
                        context: Context) -> pb.CreateRunResponse:
        """Checks, converts and queues a run."""
        if not request.workflow:
            raise InvalidArguments([FieldViolation("workflow", "is required")])
        if request.workflow_version < 0:
            raise InvalidArguments([FieldViolation("workflow_version", "must not be negative")])
        if len(request.request_id) > 200 or not request.request_id.isprintable():
            raise InvalidArguments([FieldViolation(
                "request_id", "must be at most 200 printable characters")])
        options = {
            "cleanup_on_stop": request.options.cleanup_on_stop
            if request.options.HasField("cleanup_on_stop") else True,
            "continue_queue_on_stop": request.options.continue_queue_on_stop
            if request.options.HasField("continue_queue_on_stop") else False}
        run = await self._executor.create_run(
            workflow=request.workflow, version=request.workflow_version or None,
            display_name=request.display_name, mode=mode_from_message(request.mode),
            batch_size=request.batch_size or 1, options=options,
            request_id=request.request_id, submitter=caller_of(context))
        return pb.CreateRunResponse(run=self._run(run))

    @rpc_errors
    async def ListRuns(self, request: pb.ListRunsRequest, context: Context) -> pb.ListRunsResponse:
        """Lists runs, newest first or in queue order."""
        size = page_size(request.page_size)
        order = _ORDERS.get(request.order_by.strip().lower())
        if order is None:
            raise InvalidArguments([FieldViolation("order_by",
                                                   "must be 'create_time desc' or 'queue'")])
        states = sorted({state_from_number(s, "states") for s in request.states})
        after_time = _time(request, "create_time_after")
        before_time = _time(request, "create_time_before")
        scope = "|".join(["ListRuns", ",".join(states), request.workflow, order,
                          str(after_time), str(before_time)])
        after = self._tokens.decode_texts(scope, request.page_token)
        runs = await asyncio.to_thread(
            self._store.runs.list, states=states, workflow=request.workflow,
            created_after=after_time, created_before=before_time, order=order,
            limit=size + 1, after=after)
        runs, last = split_page(runs, size)
        token = ""
        if last is not None:
            token = self._tokens.encode(scope, list(run_cursor(last, order)))
        return pb.ListRunsResponse(runs=[self._run(r) for r in runs], next_page_token=token)

    @rpc_errors
    async def GetRun(self, request: pb.GetRunRequest, context: Context) -> pb.GetRunResponse:
        """Returns a run, with its record in the full view."""
        run = await self._executor.get(request.run_id)
        if request.view != pb.RUN_VIEW_FULL:
            return pb.GetRunResponse(run=self._run(run))
        plan, events = await asyncio.gather(
            asyncio.to_thread(self._store.runs.plan, run.id),
            asyncio.to_thread(self._store.runs.events_of, run.id))
        return pb.GetRunResponse(run=run_message(run, self._executor.queue_rank(run.id),
                                                 plan=plan or {}, events=events))

    @rpc_errors
    async def MoveRun(self, request: pb.MoveRunRequest, context: Context) -> pb.MoveRunResponse:
        """Moves a queued run before or after another queued run."""
        run = await self._executor.move_run(request.run_id, before=request.before_run_id,
                                            after=request.after_run_id)
        return pb.MoveRunResponse(run=self._run(run))

    @rpc_errors
    async def UpdateRun(self, request: pb.UpdateRunRequest,
                        context: Context) -> pb.UpdateRunResponse:
        """Renames a queued run."""
        run = await self._executor.rename_run(request.run_id, request.display_name)
        return pb.UpdateRunResponse(run=self._run(run))

    @rpc_errors
    async def CancelRun(self, request: pb.CancelRunRequest,
                        context: Context) -> pb.CancelRunResponse:
        """Removes a queued run from the queue."""
        return pb.CancelRunResponse(run=self._run(await self._executor.cancel_run(request.run_id)))

    @rpc_errors
    async def DeleteRun(self, request: pb.DeleteRunRequest,
                        context: Context) -> pb.DeleteRunResponse:
        """Deletes a finished run and its record."""
        await self._executor.delete_run(request.run_id)
        return pb.DeleteRunResponse()

    @rpc_errors
    async def PauseQueue(self, request: pb.PauseQueueRequest,
                         context: Context) -> pb.PauseQueueResponse:
        """Stops starting queued runs."""
        await self._executor.pause_queue()
        return pb.PauseQueueResponse(status=await self._status())

    @rpc_errors
    async def ResumeQueue(self, request: pb.ResumeQueueRequest,
                          context: Context) -> pb.ResumeQueueResponse:
        """Starts queued runs again."""
        await self._executor.resume_queue()
        return pb.ResumeQueueResponse(status=await self._status())

    @rpc_errors
    async def GetExecutionStatus(self, request: pb.GetExecutionStatusRequest,
                                 context: Context) -> pb.GetExecutionStatusResponse:
        """The runner and queue status."""
        return pb.GetExecutionStatusResponse(status=await self._status())

    async def _status(self) -> pb.ExecutionStatus:
        status = self._executor.status()
        msg = pb.ExecutionStatus(busy=status["busy"], queue_paused=status["queue_paused"],
                                 queue_length=status["queue_length"],
                                 last_sequence=status["last_sequence"],
                                 boot_id=status["boot_id"])
        if status["current_run_id"]:
            run = await asyncio.to_thread(self._store.runs.get, status["current_run_id"])
            if run is not None:
                msg.current_run.CopyFrom(self._run(run))
        return msg

    # -- run control ----------------------------------------------------------------------------

    @rpc_errors
    async def PauseRun(self, request: pb.PauseRunRequest, context: Context) -> pb.PauseRunResponse:
        """Pauses the run after the step in flight."""
        return pb.PauseRunResponse(run=self._run(await self._executor.pause_run(request.run_id)))

    @rpc_errors
    async def ResumeRun(self, request: pb.ResumeRunRequest,
                        context: Context) -> pb.ResumeRunResponse:
        """Clears an operator pause."""
        return pb.ResumeRunResponse(run=self._run(await self._executor.resume_run(request.run_id)))

    @rpc_errors
    async def StopRun(self, request: pb.StopRunRequest, context: Context) -> pb.StopRunResponse:
        """Stops the run after its iteration or now."""
        if request.mode not in (pb.STOP_MODE_UNSPECIFIED, pb.STOP_MODE_AFTER_ITERATION,
                                pb.STOP_MODE_NOW):
            raise InvalidArguments([FieldViolation("mode", f"unknown stop mode {request.mode}")])
        run = await self._executor.stop_run(
            request.run_id, now=request.mode == pb.STOP_MODE_NOW,
            cleanup=request.cleanup if request.HasField("cleanup") else None,
            continue_queue=request.continue_queue if request.HasField("continue_queue")
            else None)
        return pb.StopRunResponse(run=self._run(run))

    @rpc_errors
    async def RetryStep(self, request: pb.RetryStepRequest,
                        context: Context) -> pb.RetryStepResponse:
        """Runs the failed step again."""
        run = await self._executor.retry_step(request.run_id, request.pause_id)
        return pb.RetryStepResponse(run=self._run(run))

    @rpc_errors
    async def SkipStep(self, request: pb.SkipStepRequest, context: Context) -> pb.SkipStepResponse:
        """Goes on without the failed step's result."""
        run = await self._executor.skip_step(request.run_id, request.pause_id)
        return pb.SkipStepResponse(run=self._run(run))

    @rpc_errors
    async def AnswerPrompt(self, request: pb.AnswerPromptRequest,
                           context: Context) -> pb.AnswerPromptResponse:
        """Answers an input step or acknowledges a pause step."""
        value: Any = None
        if request.HasField("value"):
            try:
                value = json_format.MessageToDict(request.value)
            except json_format.Error as exc:
                raise InvalidArguments([FieldViolation("value", "numbers must be finite")]) \
                    from exc
        run = await self._executor.answer_prompt(request.run_id, request.pause_id, value,
                                                 caller_of(context))
        return pb.AnswerPromptResponse(run=self._run(run))

    # -- events and records ---------------------------------------------------------------------

    async def StreamRunEvents(self, request: pb.StreamRunEventsRequest,
                              context: Context) -> AsyncIterator[pb.StreamRunEventsResponse]:
        """Replays stored events, then follows live ones; heartbeats when idle."""
        last = request.after_sequence
        try:
            heartbeat = _heartbeat(request.heartbeat_seconds)
            if request.after_sequence < 0:
                raise InvalidArguments([FieldViolation("after_sequence",
                                                       "must not be negative")])
            finished = False
            if request.run_id:
                run = await self._executor.get(request.run_id)  # NOT_FOUND for an unknown run
                finished = run.state in FINAL_STATES
            if request.until_finished and finished:
                # Its final state change is stored (with the state), and nothing of the run
                # comes after it: the stored events are the whole answer, also when the
                # client already has them all.
                async for event in stored_events(self._store, run_id=request.run_id,
                                                 after_sequence=request.after_sequence):
                    yield self._response(event)
                    if _final(event):
                        return
                return
            async for item in follow(self._log, self._store, run_id=request.run_id or None,
                                     after_sequence=request.after_sequence,
                                     heartbeat=heartbeat, capacity=self._capacity):
                if isinstance(item, int):
                    yield pb.StreamRunEventsResponse(event=heartbeat_message(item))
                    continue
                yield self._response(item)
                last = item.sequence
                if request.until_finished and request.run_id and _final(item):
                    return
        except SubscriptionOverflow as exc:
            await abort(context, ResourceExhausted(
                f"the stream fell more than {self._capacity} events behind; resume with "
                f"after_sequence={exc.last_sequence}", reason="STREAM_TOO_SLOW",
                metadata={"last_sequence": str(exc.last_sequence)}))
        except SubscriptionClosed:
            # The server is stopping. UNAVAILABLE, not OK: the stream did not end by itself,
            # and gRPC clients treat UNAVAILABLE as "come back later" (to resume from `last`).
            await abort(context, Unavailable(
                f"the server is stopping; resume with after_sequence={last}",
                reason="SERVER_STOPPING", metadata={"last_sequence": str(last)}))
        except Exception as exc:
            await abort(context, exc)

    def _response(self, event: EventRecord) -> pb.StreamRunEventsResponse:
        cached = self._converted.get(event.sequence)
        if cached is None:
            cached = pb.StreamRunEventsResponse()
            fill_event(cached.event, event)
            self._converted[event.sequence] = cached
            if len(self._converted) > _CACHE:
                self._converted.popitem(last=False)
        return cached

    @rpc_errors
    async def ExportRunData(self, request: pb.ExportRunDataRequest,
                            context: Context) -> pb.ExportRunDataResponse:
        """The results or steps of a run as CSV."""
        run = await self._executor.get(request.run_id)
        if request.kind not in (pb.RUN_DATA_KIND_UNSPECIFIED, pb.RUN_DATA_KIND_RESULTS,
                                pb.RUN_DATA_KIND_STEPS):
            raise InvalidArguments([FieldViolation("kind", f"unknown kind {request.kind}")])
        steps = request.kind == pb.RUN_DATA_KIND_STEPS
        kinds = ("step_started", "step_finished") if steps else ("iteration_started",
                                                                 "iteration_finished")
        events = await asyncio.to_thread(self._store.runs.events_of, run.id, kinds)
        text = steps_csv(events) if steps else results_csv(events)
        stem = f"{run.workflow}_{run.created_at:%Y-%m-%d_%H-%M-%S}_{run.id[:8]}"
        return pb.ExportRunDataResponse(filename=f"{stem}{'_steps' if steps else ''}.csv",
                                        content_type="text/csv",
                                        content=text.encode("utf-8"))

    @rpc_errors
    async def GetRunLog(self, request: pb.GetRunLogRequest,
                        context: Context) -> pb.GetRunLogResponse:
        """The log lines of a run, oldest first."""
        run = await self._executor.get(request.run_id)
        size = min(request.page_size or 500, MAX_LOG_PAGE)
        if request.page_size < 0:
            raise InvalidArguments([FieldViolation("page_size", "must not be negative")])
        scope = f"GetRunLog|{run.id}"
        after = 0
        if request.page_token:
            cursor = self._tokens.decode(scope, request.page_token)
            if len(cursor) != 1 or not isinstance(cursor[0], int):
                raise InvalidPageToken()
            after = cursor[0]
        events = await asyncio.to_thread(self._store.runs.events_after, after, run_id=run.id,
                                         kinds=("log",), limit=size + 1)
        events, last = split_page(events, size)
        reply = pb.GetRunLogResponse(
            next_page_token=self._tokens.encode(scope, [last.sequence]) if last else "")
        for event in events:
            line = reply.lines.add(sequence=event.sequence)
            line.time.FromDatetime(event.time)
            json_format.ParseDict(event.payload, line.line, ignore_unknown_fields=True)
        return reply


def _time(request: Any, field: str) -> datetime.datetime | None:
    if not request.HasField(field):
        return None
    try:
        value: datetime.datetime = getattr(request, field).ToDatetime(tzinfo=datetime.UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidArguments([FieldViolation(field, str(exc))]) from exc
    return value


def _heartbeat(seconds: int) -> float:
    if seconds < 0 or seconds > 3600:
        raise InvalidArguments([FieldViolation("heartbeat_seconds", "must be 0 to 3600")])
    return float(seconds or DEFAULT_HEARTBEAT)


def _final(event: EventRecord) -> bool:
    return event.kind == "state_changed" and event.payload.get("state") in FINAL_STATE_NAMES
