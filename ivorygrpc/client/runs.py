"""ExecuteService operations: submit runs, the queue, run control, records and data."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from google.protobuf import json_format, struct_pb2

from ivorygrpc.client.base import ClientBase, new_request_id
from ivorygrpc.client.values import to_jsonable
from ivorygrpc.v1 import execute_service_pb2 as pb
from ivorygrpc.v1 import run_pb2

StopWhen = Literal["after_iteration", "now"]
_STOP_MODES = {"after_iteration": pb.STOP_MODE_AFTER_ITERATION, "now": pb.STOP_MODE_NOW}
_DATA_KINDS = {"results": pb.RUN_DATA_KIND_RESULTS, "steps": pb.RUN_DATA_KIND_STEPS}
FINAL_STATES = frozenset({run_pb2.RUN_STATE_SUCCEEDED, run_pb2.RUN_STATE_FAILED,
                          run_pb2.RUN_STATE_STOPPED, run_pb2.RUN_STATE_CANCELLED,
                          run_pb2.RUN_STATE_INTERRUPTED})


def struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    """A Struct from Python values (enums by name, datetimes as text, ...)."""
    return json_format.ParseDict(to_jsonable(dict(values)), struct_pb2.Struct())


def run_mode(*, repeat: int | None, parameters: Mapping[str, Any] | None,
             rows: Sequence[Mapping[str, Any]] | None, csv: str | None,
             campaign: run_pb2.CampaignMode | Mapping[str, Any] | None) -> run_pb2.RunMode:
    """The RunMode for exactly one of repeat(+parameters), rows, csv or campaign."""
    if sum(x is not None for x in (rows, csv, campaign)) + (repeat is not None or
                                                            parameters is not None) > 1:
        raise ValueError("give one of repeat/parameters, rows, csv or campaign")
    if campaign is not None:
        if not isinstance(campaign, run_pb2.CampaignMode):
            campaign = json_format.ParseDict(dict(campaign), run_pb2.CampaignMode())
        return run_pb2.RunMode(campaign=campaign)
    if rows is not None:
        return run_pb2.RunMode(rows=run_pb2.ParameterRows(rows=[struct(r) for r in rows]))
    if csv is not None:
        return run_pb2.RunMode(csv=run_pb2.CsvRows(text=csv))
    return run_pb2.RunMode(repeat=run_pb2.RepeatMode(count=repeat or 1,
                                                     parameters=struct(parameters or {})))


class RunOperations(ClientBase):
    """Runs: create, list, read, control, export."""

    async def create_run(self, workflow: str, *, repeat: int | None = None,
                         parameters: Mapping[str, Any] | None = None,
                         rows: Sequence[Mapping[str, Any]] | None = None,
                         csv: str | None = None,
                         campaign: run_pb2.CampaignMode | Mapping[str, Any] | None = None,
                         version: int = 0, batch_size: int = 0,
                         display_name: str = "", cleanup_on_stop: bool | None = None,
                         continue_queue_on_stop: bool | None = None,
                         request_id: str | None = None) -> run_pb2.Run:
        """Queue a run of `workflow` (latest version unless `version`).

        Modes: `repeat=N` with the same `parameters` each time (default: once),
        `rows=[{...}, ...]` (one parameter set per sample), `csv="a,b\\n1,2"`, or an
        optimizer `campaign={"spec": {...}, "iterations": N}` (see `parameter_space`).
        Every problem is refused at once (`InvalidArgument` listing them). Reusing
        a `request_id` returns the run it created first.
        """
        options = run_pb2.RunOptions()
        if cleanup_on_stop is not None:
            options.cleanup_on_stop = cleanup_on_stop
        if continue_queue_on_stop is not None:
            options.continue_queue_on_stop = continue_queue_on_stop
        request = pb.CreateRunRequest(
            workflow=workflow, workflow_version=version, display_name=display_name,
            mode=run_mode(repeat=repeat, parameters=parameters, rows=rows, csv=csv,
                          campaign=campaign),
            batch_size=batch_size, options=options, request_id=request_id or new_request_id())
        reply = await self._unary(self._execute.CreateRun, request)
        return reply.run

    async def list_runs(self, workflow: str = "", *, states: Iterable[run_pb2.RunState] = (),
                        after: datetime.datetime | None = None,
                        before: datetime.datetime | None = None,
                        limit: int | None = 100) -> list[run_pb2.Run]:
        """Runs, newest first (`states` are `run_pb2.RUN_STATE_*` values)."""
        request = pb.ListRunsRequest(workflow=workflow, states=list(states))
        if after is not None:
            request.create_time_after.FromDatetime(after)
        if before is not None:
            request.create_time_before.FromDatetime(before)
        return await self._collect(self._execute.ListRuns, request, "runs", limit)

    async def queue(self) -> list[run_pb2.Run]:
        """The queued runs in the order they will start."""
        return await self._collect(self._execute.ListRuns, pb.ListRunsRequest(
            order_by="queue"), "runs", None)

    async def last_run(self, workflow: str) -> run_pb2.Run | None:
        """The latest run of a workflow, or None."""
        runs = await self.list_runs(workflow, limit=1)
        return runs[0] if runs else None

    async def get_run(self, run_id: str, *, full: bool = False) -> run_pb2.Run:
        """A run; with `full=True` also its record (phases, iterations, steps)."""
        view = pb.RUN_VIEW_FULL if full else pb.RUN_VIEW_BASIC
        reply = await self._unary(self._execute.GetRun, pb.GetRunRequest(run_id=run_id,
                                                                         view=view))
        return reply.run

    async def execution_status(self) -> pb.ExecutionStatus:
        """Whether a run is active (`busy`), the queue is paused, its length, the active run."""
        reply = await self._unary(self._execute.GetExecutionStatus,
                                  pb.GetExecutionStatusRequest())
        return reply.status

    async def pause_run(self, run_id: str) -> run_pb2.Run:
        """Pause after the step in flight (idempotent)."""
        reply = await self._unary(self._execute.PauseRun, pb.PauseRunRequest(run_id=run_id))
        return reply.run

    async def resume_run(self, run_id: str) -> run_pb2.Run:
        """Clear an operator pause (idempotent)."""
        reply = await self._unary(self._execute.ResumeRun, pb.ResumeRunRequest(run_id=run_id))
        return reply.run

    async def stop_run(self, run_id: str, when: StopWhen = "after_iteration", *,
                       cleanup: bool | None = None,
                       continue_queue: bool | None = None) -> run_pb2.Run:
        """Stop after the current iteration, or `now` (after the step in flight).

        `cleanup` and `continue_queue` default to the run's options.
        """
        request = pb.StopRunRequest(run_id=run_id, mode=_STOP_MODES[when])
        if cleanup is not None:
            request.cleanup = cleanup
        if continue_queue is not None:
            request.continue_queue = continue_queue
        reply = await self._unary(self._execute.StopRun, request)
        return reply.run

    async def retry_step(self, run_id: str, pause_id: str = "") -> run_pb2.Run:
        """Run the failed step again (a run paused on a step error)."""
        reply = await self._unary(self._execute.RetryStep,
                                  pb.RetryStepRequest(run_id=run_id, pause_id=pause_id))
        return reply.run

    async def skip_step(self, run_id: str, pause_id: str = "") -> run_pb2.Run:
        """Go on without the failed step's result."""
        reply = await self._unary(self._execute.SkipStep,
                                  pb.SkipStepRequest(run_id=run_id, pause_id=pause_id))
        return reply.run

    async def answer_prompt(self, run_id: str, value: Any = None,
                            pause_id: str = "") -> run_pb2.Run:
        """Give the value an input step asks for, or acknowledge a pause step."""
        request = pb.AnswerPromptRequest(run_id=run_id, pause_id=pause_id)
        if value is not None:
            json_format.ParseDict(to_jsonable(value), request.value)
        reply = await self._unary(self._execute.AnswerPrompt, request)
        return reply.run

    async def cancel_run(self, run_id: str) -> run_pb2.Run:
        """Remove a queued run from the queue."""
        reply = await self._unary(self._execute.CancelRun, pb.CancelRunRequest(run_id=run_id))
        return reply.run

    async def move_run(self, run_id: str, *, before: str = "", after: str = "") -> run_pb2.Run:
        """Move a queued run just before or just after another queued run."""
        if bool(before) == bool(after):
            raise ValueError("give exactly one of before and after")
        request = pb.MoveRunRequest(run_id=run_id)
        if before:
            request.before_run_id = before
        else:
            request.after_run_id = after
        reply = await self._unary(self._execute.MoveRun, request)
        return reply.run

    async def rename_run(self, run_id: str, display_name: str) -> run_pb2.Run:
        """Rename a queued run."""
        reply = await self._unary(self._execute.UpdateRun, pb.UpdateRunRequest(
            run_id=run_id, display_name=display_name))
        return reply.run

    async def delete_run(self, run_id: str) -> None:
        """Delete a finished run and its record (admin)."""
        await self._unary(self._execute.DeleteRun, pb.DeleteRunRequest(run_id=run_id))

    async def pause_queue(self) -> pb.ExecutionStatus:
        """Stop starting queued runs (the running one goes on)."""
        reply = await self._unary(self._execute.PauseQueue, pb.PauseQueueRequest())
        return reply.status

    async def resume_queue(self) -> pb.ExecutionStatus:
        """Start queued runs again."""
        reply = await self._unary(self._execute.ResumeQueue, pb.ResumeQueueRequest())
        return reply.status

    async def export_run_data(self, run_id: str,
                              kind: Literal["results", "steps"] = "results") -> str:
        """The run's results (one row per sample) or steps (one row per attempt) as CSV."""
        reply = await self._unary(self._execute.ExportRunData, pb.ExportRunDataRequest(
            run_id=run_id, kind=_DATA_KINDS[kind]))
        return reply.content.decode("utf-8")

    async def run_log(self, run_id: str, *, limit: int | None = None) -> list[pb.RunLogLine]:
        """The run's log lines, oldest first."""
        return await self._collect(self._execute.GetRunLog,
                                   pb.GetRunLogRequest(run_id=run_id), "lines", limit)
