"""ExecuteService calls of the Data page: runs list, a run's full record, CSV export, delete.

`ListRuns` has no text search: `RunSummary.matches` filters a loaded page client-side.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from ivorygrpc.v1 import execute_service_pb2 as pb
from ivorygrpc.v1 import run_pb2
from ivorygrpc_ui.client.connection import Connection
from ivorygrpc_ui.client.errors import rpc_errors
from ivorygrpc_ui.client.events import state_name
from ivorygrpc_ui.client.values import JsonValue, from_struct, from_value, time_of

RUN_STATES = ("queued", "running", "paused", "succeeded", "failed", "stopped", "cancelled",
              "interrupted")
_PHASES = {run_pb2.RUN_PHASE_PREP: "prep", run_pb2.RUN_PHASE_MAIN: "main",
           run_pb2.RUN_PHASE_CLEANUP: "cleanup"}


@dataclass(frozen=True)
class RunSummary:
    """A run without its record."""

    id: str
    display_name: str
    workflow: str
    workflow_version: int
    submitter: str
    state: str
    mode: str
    batch_size: int
    iterations: int
    create_time: datetime.datetime | None
    start_time: datetime.datetime | None
    end_time: datetime.datetime | None
    error: str = ""

    def matches(self, text: str) -> bool:
        """True when `text` occurs (case-insensitively) in the name, id, workflow or submitter."""
        needle = text.strip().lower()
        return not needle or any(needle in value.lower() for value in (
            self.display_name, self.id, self.workflow, self.submitter))


@dataclass(frozen=True)
class StepDetail:
    """One attempt of one step for one sample (-1: once per batch)."""

    step_id: str
    kind: str
    title: str
    sample: int
    attempt: int
    arguments: dict[str, JsonValue]
    output: JsonValue
    error: str
    skipped: bool
    start_time: datetime.datetime | None
    end_time: datetime.datetime | None


@dataclass(frozen=True)
class IterationDetail:
    """One recorded iteration: per-sample parameters and final contexts, and its steps."""

    index: int
    parameters: list[dict[str, JsonValue]]
    outputs: list[dict[str, JsonValue]]
    steps: list[StepDetail]
    start_time: datetime.datetime | None
    end_time: datetime.datetime | None


@dataclass(frozen=True)
class PhaseDetail:
    """A recorded phase: ``prep``, ``main`` or ``cleanup``."""

    phase: str
    iterations: list[IterationDetail]


@dataclass(frozen=True)
class RunDetail:
    """A run with its record (`GetRun` with the full view)."""

    run: RunSummary
    phases: list[PhaseDetail] = field(default_factory=list)

    def main_iterations(self) -> list[IterationDetail]:
        """The main phase's iterations in order."""
        return [it for phase in self.phases if phase.phase == "main" for it in phase.iterations]


@dataclass
class RunPage:
    """One page of runs and the token of the next page."""

    runs: list[RunSummary] = field(default_factory=list)
    next_page_token: str = ""


def _error(error: run_pb2.RunError) -> str:
    return f"{error.type}: {error.message}" if error.type else error.message


def run_summary(run: run_pb2.Run) -> RunSummary:
    """The `RunSummary` of a `Run` message."""
    mode = run.mode.WhichOneof("kind") or "repeat"
    return RunSummary(
        id=run.id, display_name=run.display_name or run.workflow, workflow=run.workflow,
        workflow_version=run.workflow_version, submitter=run.submitter,
        state=state_name(run.state), mode=mode, batch_size=run.batch_size or 1,
        iterations=run.progress.iterations, create_time=time_of(run, "create_time"),
        start_time=time_of(run, "start_time"), end_time=time_of(run, "end_time"),
        error=_error(run.error) if run.HasField("error") else "")


def _step(step: run_pb2.StepRecord) -> StepDetail:
    return StepDetail(step_id=step.step_id, kind=step.kind, title=step.title, sample=step.sample,
                      attempt=step.attempt, arguments=from_struct(step.arguments),
                      output=from_value(step.output) if step.HasField("output") else None,
                      error=_error(step.error) if step.HasField("error") else "",
                      skipped=step.skipped, start_time=time_of(step, "start_time"),
                      end_time=time_of(step, "end_time"))


def _iteration(record: run_pb2.IterationRecord) -> IterationDetail:
    return IterationDetail(index=record.index,
                           parameters=[from_struct(p) for p in record.parameters],
                           outputs=[from_struct(o) for o in record.outputs],
                           steps=[_step(s) for s in record.steps],
                           start_time=time_of(record, "start_time"),
                           end_time=time_of(record, "end_time"))


def run_detail(run: run_pb2.Run) -> RunDetail:
    """The `RunDetail` of a full `Run` message."""
    return RunDetail(run_summary(run), [
        PhaseDetail(_PHASES.get(p.phase, "unspecified"), [_iteration(i) for i in p.iterations])
        for p in run.phases])


@rpc_errors
async def list_runs(conn: Connection, *, workflow: str = "", states: Iterable[str] = (),
                    page_size: int = 20, page_token: str = "") -> RunPage:
    """One page of runs, newest first."""
    reply = await conn.execute.ListRuns(
        pb.ListRunsRequest(workflow=workflow, states=[f"RUN_STATE_{s.upper()}" for s in states],
                           page_size=page_size, page_token=page_token),
        metadata=conn.metadata())
    return RunPage([run_summary(r) for r in reply.runs], reply.next_page_token)


@rpc_errors
async def get_run(conn: Connection, run_id: str) -> RunDetail:
    """A run with its full record."""
    reply = await conn.execute.GetRun(pb.GetRunRequest(run_id=run_id, view=pb.RUN_VIEW_FULL),
                                      metadata=conn.metadata())
    return run_detail(reply.run)


@rpc_errors
async def export_csv(conn: Connection, run_id: str, steps: bool = False) -> tuple[str, bytes]:
    """The results (one row per sample) or the step attempts as CSV: (file name, bytes)."""
    kind = pb.RUN_DATA_KIND_STEPS if steps else pb.RUN_DATA_KIND_RESULTS
    reply = await conn.execute.ExportRunData(pb.ExportRunDataRequest(run_id=run_id, kind=kind),
                                             metadata=conn.metadata())
    return reply.filename, reply.content


@rpc_errors
async def delete_run(conn: Connection, run_id: str) -> None:
    """Delete a finished run and its record (admin)."""
    await conn.execute.DeleteRun(pb.DeleteRunRequest(run_id=run_id), metadata=conn.metadata())
