"""ExecuteService calls for the Execute page: submitting runs, the queue and run control.

Every function raises `UiError` on failure. The live view does not poll: it follows
`ivorygrpc_ui.state.EventHub`, which fans out `StreamRunEvents`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ivorygrpc.v1 import execute_service_pb2 as pb
from ivorygrpc.v1 import instrument_pb2 as ins
from ivorygrpc.v1 import run_pb2
from ivorygrpc_ui.client.connection import Connection
from ivorygrpc_ui.client.errors import rpc_errors
from ivorygrpc_ui.client.values import JsonValue, to_struct, to_value

_TYPE_NAMES = {ins.VALUE_KIND_DOUBLE: "float", ins.VALUE_KIND_INT64: "int",
               ins.VALUE_KIND_STRING: "str", ins.VALUE_KIND_BOOL: "bool",
               ins.VALUE_KIND_ENUM: "str", ins.VALUE_KIND_ANY: "any"}


@dataclass(frozen=True)
class RunRequest:
    """What the run form submits."""

    workflow: str
    mode: run_pb2.RunMode
    display_name: str = ""
    batch_size: int = 1
    cleanup_on_stop: bool = True
    continue_queue_on_stop: bool = False
    request_id: str = ""


def repeat_mode(count: int, parameters: Mapping[str, JsonValue] | None = None) -> run_pb2.RunMode:
    """Run the main phase `count` times with the same parameters."""
    return run_pb2.RunMode(repeat=run_pb2.RepeatMode(count=count,
                                                     parameters=to_struct(parameters or {})))


def csv_mode(text: str) -> run_pb2.RunMode:
    """One sample per CSV line (the server converts and checks every cell)."""
    return run_pb2.RunMode(csv=run_pb2.CsvRows(text=text))


def type_name(info: ins.TypeInfo) -> str:
    """A short type name for tables and the CSV template (`float`, `list[int]`, ...)."""
    name = _TYPE_NAMES.get(info.kind, info.python or "any")
    return f"list[{name}]" if info.repeated else name


def template_type(info: ins.TypeInfo) -> str:
    """The type name the CSV template's second line shows: the Python annotation, which
    the server recognizes (and skips) in uploaded CSV text."""
    return info.python or type_name(info)


def csv_template(parameters: Sequence[tuple[str, ins.TypeInfo]]) -> str:
    """A CSV template: the parameter names, then a line of their types (skipped on upload)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in parameters])
    writer.writerow([template_type(info) for _, info in parameters])
    return out.getvalue()


@rpc_errors
async def create_run(conn: Connection, request: RunRequest) -> run_pb2.Run:
    """Queue a run; refused with every problem listed when anything is wrong."""
    options = run_pb2.RunOptions(cleanup_on_stop=request.cleanup_on_stop,
                                 continue_queue_on_stop=request.continue_queue_on_stop)
    reply = await conn.execute.CreateRun(
        pb.CreateRunRequest(workflow=request.workflow, display_name=request.display_name,
                            mode=request.mode, batch_size=request.batch_size,
                            options=options, request_id=request.request_id),
        metadata=conn.metadata())
    return reply.run


@rpc_errors
async def get_run(conn: Connection, run_id: str, *, full: bool = False) -> run_pb2.Run:
    """A run; with `full` also its record."""
    view = pb.RUN_VIEW_FULL if full else pb.RUN_VIEW_BASIC
    reply = await conn.execute.GetRun(pb.GetRunRequest(run_id=run_id, view=view),
                                      metadata=conn.metadata())
    return reply.run


@rpc_errors
async def list_queue(conn: Connection) -> list[run_pb2.Run]:
    """The queued runs in the order they will start."""
    reply = await conn.execute.ListRuns(pb.ListRunsRequest(order_by="queue", page_size=1000),
                                        metadata=conn.metadata())
    return list(reply.runs)


@rpc_errors
async def recent_runs(conn: Connection, page_size: int = 10) -> list[run_pb2.Run]:
    """The newest runs, any state."""
    reply = await conn.execute.ListRuns(pb.ListRunsRequest(page_size=page_size),
                                        metadata=conn.metadata())
    return list(reply.runs)


@rpc_errors
async def run_log(conn: Connection, run_id: str, limit: int = 500) -> list[pb.RunLogLine]:
    """The first `limit` stored log lines of a run (with their sequence), oldest first."""
    reply = await conn.execute.GetRunLog(pb.GetRunLogRequest(run_id=run_id, page_size=limit),
                                         metadata=conn.metadata())
    return list(reply.lines)


@rpc_errors
async def move_run(conn: Connection, run_id: str, *, before: str = "", after: str = "") -> None:
    """Move a queued run just before or just after another queued run."""
    request = pb.MoveRunRequest(run_id=run_id)
    if before:
        request.before_run_id = before
    else:
        request.after_run_id = after
    await conn.execute.MoveRun(request, metadata=conn.metadata())


@rpc_errors
async def rename_run(conn: Connection, run_id: str, display_name: str) -> None:
    """Rename a queued run."""
    await conn.execute.UpdateRun(pb.UpdateRunRequest(run_id=run_id, display_name=display_name),
                                 metadata=conn.metadata())


@rpc_errors
async def cancel_run(conn: Connection, run_id: str) -> None:
    """Take a queued run out of the queue."""
    await conn.execute.CancelRun(pb.CancelRunRequest(run_id=run_id), metadata=conn.metadata())


@rpc_errors
async def set_queue_paused(conn: Connection, paused: bool) -> None:
    """Stop or restart starting queued runs (the running one goes on)."""
    if paused:
        await conn.execute.PauseQueue(pb.PauseQueueRequest(), metadata=conn.metadata())
    else:
        await conn.execute.ResumeQueue(pb.ResumeQueueRequest(), metadata=conn.metadata())


@rpc_errors
async def pause_run(conn: Connection, run_id: str) -> None:
    """Pause after the step in flight."""
    await conn.execute.PauseRun(pb.PauseRunRequest(run_id=run_id), metadata=conn.metadata())


@rpc_errors
async def resume_run(conn: Connection, run_id: str) -> None:
    """Clear an operator pause."""
    await conn.execute.ResumeRun(pb.ResumeRunRequest(run_id=run_id), metadata=conn.metadata())


@rpc_errors
async def stop_run(conn: Connection, run_id: str, *, now: bool) -> None:
    """Stop after the current iteration, or now (after the step in flight)."""
    mode = pb.STOP_MODE_NOW if now else pb.STOP_MODE_AFTER_ITERATION
    await conn.execute.StopRun(pb.StopRunRequest(run_id=run_id, mode=mode),
                               metadata=conn.metadata())


@rpc_errors
async def retry_step(conn: Connection, run_id: str, pause_id: str) -> None:
    """Run the failed step again."""
    await conn.execute.RetryStep(pb.RetryStepRequest(run_id=run_id, pause_id=pause_id),
                                 metadata=conn.metadata())


@rpc_errors
async def skip_step(conn: Connection, run_id: str, pause_id: str) -> None:
    """Go on without the failed step's result."""
    await conn.execute.SkipStep(pb.SkipStepRequest(run_id=run_id, pause_id=pause_id),
                                metadata=conn.metadata())


@rpc_errors
async def answer_prompt(conn: Connection, run_id: str, pause_id: str,
                        value: JsonValue = None) -> None:
    """Answer an input step (the server converts `value` to the asked type) or acknowledge
    a pause step."""
    request = pb.AnswerPromptRequest(run_id=run_id, pause_id=pause_id)
    if value is not None:
        request.value.CopyFrom(to_value(value))
    await conn.execute.AnswerPrompt(request, metadata=conn.metadata())
