"""ExecuteService status and event stream, as used by `ivorygrpc_ui.state.EventHub`.

`RunEventInfo.raw` is the `ivorygrpc.v1.RunEvent` message itself, for pages that need an
event's details (step titles, prompts, outputs); `kind` names its oneof field
(``state_changed``, ``step_started``, ``log``, ``prompt_requested``, ``queue_changed``, ...).
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc

from ivorygrpc.v1 import execute_service_pb2 as pb
from ivorygrpc.v1 import run_pb2
from ivorygrpc_ui.client.connection import Connection
from ivorygrpc_ui.client.errors import rpc_errors, ui_error
from ivorygrpc_ui.client.values import time_of

FINAL_STATES = frozenset({"succeeded", "failed", "stopped", "cancelled", "interrupted"})


def state_name(state: int) -> str:
    """A `RunState` number as ``queued``, ``running``, ``paused``, ``succeeded``, ..."""
    try:
        return run_pb2.RunState.Name(state).removeprefix("RUN_STATE_").lower()
    except ValueError:
        return "unspecified"


@dataclass(frozen=True)
class ExecutionStatusInfo:
    """The runner and queue at one moment."""

    busy: bool = False
    queue_paused: bool = False
    queue_length: int = 0
    current_run_id: str = ""
    current_run_name: str = ""
    current_run_state: str = ""
    last_sequence: int = 0
    boot_id: str = ""


@dataclass(frozen=True)
class RunEventInfo:
    """One stored event (heartbeats are not delivered)."""

    sequence: int
    run_id: str
    kind: str
    time: datetime.datetime | None
    state: str
    raw: run_pb2.RunEvent


def status_info(status: pb.ExecutionStatus) -> ExecutionStatusInfo:
    """The `ExecutionStatusInfo` of an `ExecutionStatus` message."""
    run = status.current_run
    has_run = status.HasField("current_run") and bool(run.id)
    return ExecutionStatusInfo(busy=status.busy, queue_paused=status.queue_paused,
                               queue_length=status.queue_length,
                               current_run_id=run.id if has_run else "",
                               current_run_name=run.display_name if has_run else "",
                               current_run_state=state_name(run.state) if has_run else "",
                               last_sequence=status.last_sequence, boot_id=status.boot_id)


def event_info(event: run_pb2.RunEvent) -> RunEventInfo:
    """The `RunEventInfo` of a `RunEvent` message."""
    kind = event.WhichOneof("kind") or ""
    state = state_name(event.state_changed.state) if kind == "state_changed" else ""
    return RunEventInfo(sequence=event.sequence, run_id=event.run_id, kind=kind,
                        time=time_of(event, "time"), state=state, raw=event)


@rpc_errors
async def get_execution_status(conn: Connection) -> ExecutionStatusInfo:
    """Whether a run holds the deck, the queue state and the latest event sequence."""
    reply = await conn.execute.GetExecutionStatus(pb.GetExecutionStatusRequest(),
                                                  metadata=conn.metadata())
    return status_info(reply.status)


async def stream_events(conn: Connection, after_sequence: int, run_id: str = "",
                        heartbeat_seconds: int = 15) -> AsyncIterator[RunEventInfo]:
    """Stored events after `after_sequence`, then live ones; raises `UiError` when it ends
    abnormally. Heartbeats are swallowed."""
    call = conn.execute.StreamRunEvents(
        pb.StreamRunEventsRequest(run_id=run_id, after_sequence=after_sequence,
                                  heartbeat_seconds=heartbeat_seconds),
        metadata=conn.metadata())
    try:
        async for reply in call:
            if reply.event.WhichOneof("kind") != "heartbeat":
                yield event_info(reply.event)
    except grpc.aio.AioRpcError as exc:
        raise ui_error(exc) from None
    finally:
        call.cancel()
