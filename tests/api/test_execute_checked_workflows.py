"""CreateRun keeps the checked workflow between submissions; every change to the workflow
library (a new version, a callee's new version, a delete and a new workflow of the same
name, a fix of a refused workflow) is seen by the very next CreateRun. A retry with a
`request_id` is answered with its first run without a lookup before every submission."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import grpc
import pytest
from google.protobuf import json_format

from ivorygrpc.v1 import design_service_pb2 as design_pb
from ivorygrpc.v1 import design_service_pb2_grpc as design_grpc
from ivorygrpc.v1 import execute_service_pb2 as pb
from ivorygrpc.v1 import execute_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import run_pb2, workflow_pb2
from tests.fixtures.client import rich_status
from tests.fixtures.runs import call, create_run, lit, mode, par, save_workflow
from tests.fixtures.server import Served

INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
async def served(run_deck_served: Served) -> Served:
    await pb_grpc.ExecuteServiceStub(run_deck_served.channel).PauseQueue(
        pb.PauseQueueRequest())
    return run_deck_served


async def _update(served: Served, name: str, main: list[dict[str, Any]],
                  **extra: Any) -> workflow_pb2.Workflow:
    workflow = json_format.ParseDict({"name": name, "main": main, **extra},
                                     workflow_pb2.Workflow())
    reply = await design_grpc.DesignServiceStub(served.channel).UpdateWorkflow(
        design_pb.UpdateWorkflowRequest(workflow=workflow))
    return reply.workflow


async def _refused(call_: Awaitable[Any]) -> tuple[grpc.StatusCode, dict[str, Any]]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call_
    return caught.value.code(), rich_status(caught.value)


def _stored_plan(served: Served, run_id: str) -> dict[str, Any]:
    plan = served.server.store.runs.plan(run_id)
    assert plan is not None
    return plan


async def _queue_length(served: Served) -> int:
    reply = await pb_grpc.ExecuteServiceStub(served.channel).GetExecutionStatus(
        pb.GetExecutionStatusRequest())
    return reply.status.queue_length


async def test_a_new_version_is_used_by_the_next_run(served: Served) -> None:
    await save_workflow(served.channel, "wf", main=[call("add", a=lit(2), step_id="a")])
    first = await create_run(served.channel, "wf")
    again = await create_run(served.channel, "wf")  # served from the kept check
    assert first.workflow_version == again.workflow_version == 1
    await _update(served, "wf", [call("add", a=lit(3), step_id="b")])
    latest = await create_run(served.channel, "wf")
    assert latest.workflow_version == 2
    assert [s["id"] for s in _stored_plan(served, latest.id)["body"]["main"]] == ["b"]
    pinned = await create_run(served.channel, "wf", workflow_version=1)
    assert pinned.workflow_version == 1
    assert [s["id"] for s in _stored_plan(served, pinned.id)["body"]["main"]] == ["a"]


async def test_a_workflow_deleted_and_made_anew_is_checked_anew(served: Served) -> None:
    await save_workflow(served.channel, "wf", main=[call("add", a=lit(2), step_id="a")])
    await create_run(served.channel, "wf", workflow_version=1)
    await design_grpc.DesignServiceStub(served.channel).DeleteWorkflow(
        design_pb.DeleteWorkflowRequest(name="wf"))
    code, details = await _refused(create_run(served.channel, "wf", workflow_version=1))
    assert (code, details["reason"]) == (grpc.StatusCode.NOT_FOUND, "WORKFLOW_NOT_FOUND")
    # version 1 again, now with a run parameter: the old check must not answer for it
    await save_workflow(served.channel, "wf", main=[call("add", a=par("n"), step_id="a")])
    queued = await _queue_length(served)
    code, details = await _refused(create_run(served.channel, "wf", workflow_version=1))
    assert code == INVALID_ARGUMENT and "mode.repeat.parameters.n" in details["violations"]
    assert await _queue_length(served) == queued  # refused: nothing queued
    run = await create_run(served.channel, "wf", workflow_version=1,
                           mode=mode(parameters={"n": 4}))
    assert _stored_plan(served, run.id)["iterations"] == [[{"n": 4}]]


async def test_a_callee_saved_again_is_pinned_at_its_new_version(served: Served) -> None:
    await save_workflow(served.channel, "dose", main=[call("add", a=lit(1), step_id="d")],
                        registered=True)
    await save_workflow(served.channel, "outer", main=[
        {"id": "cw", "call_workflow": {"workflow": "dose", "arguments": {}}}])
    first = await create_run(served.channel, "outer")
    assert _stored_plan(served, first.id)["calls"] == {"cw": "dose@1"}
    await _update(served, "dose", [call("add", a=lit(5), step_id="d")], registered=True)
    second = await create_run(served.channel, "outer")
    assert second.workflow_version == first.workflow_version == 1
    assert _stored_plan(served, second.id)["calls"] == {"cw": "dose@2"}
    # the callee no longer callable: the caller's next run is refused
    await _update(served, "dose", [call("add", a=lit(5), step_id="d")], registered=False)
    code, details = await _refused(create_run(served.channel, "outer"))
    assert code == INVALID_ARGUMENT and "workflow.main[cw].call_workflow.workflow" in details[
        "violations"], details


async def test_a_refused_workflow_is_accepted_once_fixed(served: Served) -> None:
    await save_workflow(served.channel, "wf", main=[call("nonexistent", step_id="n")])
    for _ in range(2):  # refused again from the kept check, with the same violations
        code, details = await _refused(create_run(served.channel, "wf"))
        assert code == INVALID_ARGUMENT and any("[n]" in f for f in details["violations"])
    await _update(served, "wf", [call("add", a=lit(1), step_id="n")])
    run = await create_run(served.channel, "wf")
    assert run.workflow_version == 2 and run.state == run_pb2.RUN_STATE_QUEUED


async def test_kept_checks_still_check_each_mode(served: Served) -> None:
    await save_workflow(served.channel, "wf", main=[call("add", a=par("n"), step_id="a")])
    ok = await create_run(served.channel, "wf", mode=mode(repeat=2, parameters={"n": 1}))
    assert _stored_plan(served, ok.id)["iterations"] == [[{"n": 1}], [{"n": 1}]]
    queued = await _queue_length(served)
    for bad, field in ((mode(repeat=100_001, parameters={"n": 1}), "mode.repeat.count"),
                       (mode(parameters={"n": "x"}), "mode.repeat.parameters.n"),
                       (mode(rows=[{"n": 1}, {"m": 2}]), "mode.rows[1].m")):
        code, details = await _refused(create_run(served.channel, "wf", mode=bad))
        assert code == INVALID_ARGUMENT and field in details["violations"], (field, details)
    code, details = await _refused(create_run(served.channel, "wf", batch_size=5000,
                                              mode=mode(parameters={"n": 1})))
    assert code == INVALID_ARGUMENT and "batch_size" in details["violations"]
    assert await _queue_length(served) == queued
    rows = await create_run(served.channel, "wf", mode=mode(rows=[{"n": 1}, {"n": 2}]),
                            batch_size=2)
    assert _stored_plan(served, rows.id)["iterations"] == [[{"n": 1}, {"n": 2}]]


async def test_a_retry_answers_with_its_first_run_also_after_the_workflow_changed(
        served: Served) -> None:
    stub = pb_grpc.ExecuteServiceStub(served.channel)
    await save_workflow(served.channel, "wf", main=[call("add", a=lit(2), step_id="a")])
    first = await create_run(served.channel, "wf", request_id="r-1")
    queued = await _queue_length(served)
    # retried among fresh submissions committed together: only the retry clashes
    replies = await asyncio.gather(
        create_run(served.channel, "wf", request_id="r-1"),
        *(create_run(served.channel, "wf", request_id=f"fresh-{i}") for i in range(6)))
    assert replies[0].id == first.id
    assert len({r.id for r in replies[1:]} | {first.id}) == 7
    assert await _queue_length(served) == queued + 6
    # the workflow now refuses this submission (a run parameter is missing): still the run
    await _update(served, "wf", [call("add", a=par("n"), step_id="a")])
    retried = await create_run(served.channel, "wf", request_id="r-1")
    assert (retried.id, retried.workflow_version) == (first.id, 1)
    await stub.CancelRun(pb.CancelRunRequest(run_id=first.id))
    for reply in replies[1:]:
        await stub.CancelRun(pb.CancelRunRequest(run_id=reply.id))
    await design_grpc.DesignServiceStub(served.channel).DeleteWorkflow(
        design_pb.DeleteWorkflowRequest(name="wf"))
    gone = await create_run(served.channel, "wf", request_id="r-1")
    assert (gone.id, gone.state) == (first.id, run_pb2.RUN_STATE_CANCELLED)
    code, details = await _refused(create_run(served.channel, "wf", request_id="r-2"))
    assert (code, details["reason"]) == (grpc.StatusCode.NOT_FOUND, "WORKFLOW_NOT_FOUND")
    assert await _queue_length(served) == queued - 1
