"""Step-level edits and run parameters through a real channel."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import json_format

from ivorygrpc.v1 import design_service_pb2 as pb
from ivorygrpc.v1 import design_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import instrument_pb2, workflow_pb2
from tests.api.test_design_service import DOSE_AND_MEASURE
from tests.fixtures.server import Served


def _step(data: dict[str, Any]) -> workflow_pb2.Step:
    return json_format.ParseDict(data, workflow_pb2.Step())


@pytest.fixture
async def stub(served: Served) -> pb_grpc.DesignServiceStub:
    stub = pb_grpc.DesignServiceStub(served.channel)
    await stub.CreateWorkflow(pb.CreateWorkflowRequest(
        workflow=json_format.ParseDict(DOSE_AND_MEASURE, workflow_pb2.Workflow())))
    return stub


async def _latest(stub: pb_grpc.DesignServiceStub) -> workflow_pb2.Workflow:
    reply = await stub.GetWorkflow(pb.GetWorkflowRequest(name="dose-and-measure"))
    return reply.workflow


async def test_add_update_move_duplicate_disable_remove(stub: pb_grpc.DesignServiceStub) -> None:
    name = "dose-and-measure"
    added = await stub.AddStep(pb.AddStepRequest(
        name=name, step=_step({"comment": {"text": "start"}}),
        location=pb.StepLocation(phase="main", position=0)))
    assert added.workflow.version == 2 and added.workflow.main[0].id == added.step_id
    block = added.workflow.main[3]  # the if/else
    nested = await stub.AddStep(pb.AddStepRequest(
        name=name, step=_step({"wait": {"seconds": {"literal": 1}}}),
        location=pb.StepLocation(parent_step_id=block.id, branch="else_steps")))
    assert [s.WhichOneof("kind") for s in nested.workflow.main[3].if_else.else_steps] == [
        "pause", "wait"]
    updated = await stub.UpdateStep(pb.UpdateStepRequest(
        name=name, step=_step({"id": added.step_id, "comment": {"text": "begin"}})))
    assert updated.workflow.main[0].comment.text == "begin"
    moved = await stub.MoveStep(pb.MoveStepRequest(
        name=name, step_id=added.step_id, location=pb.StepLocation(phase="cleanup")))
    assert moved.workflow.cleanup[-1].id == added.step_id
    assert all(s.id != added.step_id for s in moved.workflow.main)
    twin = await stub.DuplicateStep(pb.DuplicateStepRequest(name=name, step_id=block.id))
    copy = twin.workflow.main[3]
    assert copy.id == twin.step_id != block.id
    assert copy.if_else.condition == block.if_else.condition
    assert {s.id for s in copy.if_else.else_steps}.isdisjoint(
        {s.id for s in twin.workflow.main[2].if_else.else_steps})
    disabled = await stub.SetStepEnabled(pb.SetStepEnabledRequest(
        name=name, step_id=twin.step_id, enabled=False))
    assert disabled.workflow.main[3].disabled
    removed = await stub.RemoveStep(pb.RemoveStepRequest(name=name, step_id=twin.step_id))
    assert len(removed.workflow.main) == 3
    versions = await stub.ListWorkflowVersions(pb.ListWorkflowVersionsRequest(name=name))
    assert versions.versions[0].version == removed.workflow.version == 8


async def test_step_edit_errors(stub: pb_grpc.DesignServiceStub) -> None:
    name = "dose-and-measure"
    latest = await _latest(stub)
    cases = [
        (stub.RemoveStep(pb.RemoveStepRequest(name=name, step_id="nope")),
         grpc.StatusCode.NOT_FOUND),
        (stub.AddStep(pb.AddStepRequest(name=name, step=_step({"comment": {"text": "x"}}),
                                        location=pb.StepLocation(phase="teardown"))),
         grpc.StatusCode.INVALID_ARGUMENT),
        (stub.AddStep(pb.AddStepRequest(name=name, step=_step({"comment": {"text": "x"}}),
                                        location=pb.StepLocation(
                                            parent_step_id=latest.main[0].id))),
         grpc.StatusCode.INVALID_ARGUMENT),
        (stub.MoveStep(pb.MoveStepRequest(name=name, step_id=latest.main[2].id,
                                          location=pb.StepLocation(
                                              parent_step_id=latest.main[2].id))),
         grpc.StatusCode.INVALID_ARGUMENT),
        (stub.SetStepEnabled(pb.SetStepEnabledRequest(name=name, step_id=latest.main[0].id,
                                                      etag="999")),
         grpc.StatusCode.ABORTED),
    ]
    for call, code in cases:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == code
    assert (await _latest(stub)).version == latest.version  # nothing was saved


async def test_run_parameters_and_outputs(stub: pb_grpc.DesignServiceStub) -> None:
    reply = await stub.GetRunParameters(pb.GetRunParametersRequest(name="dose-and-measure"))
    assert [p.name for p in reply.parameters] == ["volume"]
    volume = reply.parameters[0]
    assert volume.type.kind == instrument_pb2.VALUE_KIND_DOUBLE
    assert volume.type.python == "float"
    assert [(o.name, o.type.kind) for o in reply.outputs] == [
        ("yield_pct", instrument_pb2.VALUE_KIND_DOUBLE),
        ("purity_pct", instrument_pb2.VALUE_KIND_DOUBLE)]
