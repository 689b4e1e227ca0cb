"""DesignService through a real channel: library, versions, etags, finalize, validation."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2, json_format

from ivorygrpc.v1 import design_service_pb2 as pb
from ivorygrpc.v1 import design_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import workflow_pb2
from tests.fixtures.client import rich_status
from tests.fixtures.server import Served

DOSE_AND_MEASURE: dict[str, Any] = {
    "name": "dose-and-measure",
    "display_name": "Dose and measure",
    "description": "Doses a solvent and measures the yield.",
    "prep": [{"call": {"instrument": "pump", "method": "prime"}}],
    "main": [
        {"call": {"instrument": "sdl", "method": "dose_solvent",
                  "arguments": {"solvent": {"literal": "ETHANOL"},
                                "volume_ml": {"parameter": "volume"}}}},
        {"call": {"instrument": "sdl", "method": "analyze",
                  "arguments": {"wavelengths_nm": {"literal": [254, 280]}},
                  "save_as": ["yield_pct", "purity_pct"]}},
        {"if_else": {"condition": "yield_pct > 50 and purity_pct >= 95",
                     "then_steps": [{"comment": {"text": "good sample"}}],
                     "else_steps": [{"pause": {"message": "check the vial"}}]}},
    ],
    "cleanup": [{"wait": {"seconds": {"literal": 0.1}}}],
}


def _workflow(data: dict[str, Any]) -> workflow_pb2.Workflow:
    return json_format.ParseDict(data, workflow_pb2.Workflow())


@pytest.fixture
def stub(served: Served) -> pb_grpc.DesignServiceStub:
    return pb_grpc.DesignServiceStub(served.channel)


async def _error(awaitable: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await awaitable
    return caught.value


async def test_create_get_and_list(stub: pb_grpc.DesignServiceStub) -> None:
    created = (await stub.CreateWorkflow(pb.CreateWorkflowRequest(
        workflow=_workflow(DOSE_AND_MEASURE)))).workflow
    assert created.version == 1 and created.etag and created.author == "admin"
    assert created.deck == "abstract_sdl"
    assert created.state == workflow_pb2.WORKFLOW_STATE_EDITING
    assert all(step.id for step in created.main)  # the server assigns step ids
    fetched = (await stub.GetWorkflow(pb.GetWorkflowRequest(name="dose-and-measure"))).workflow
    assert fetched == created
    found = await stub.ListWorkflows(pb.ListWorkflowsRequest(search="YIELD"))
    assert [w.name for w in found.workflows] == ["dose-and-measure"]
    assert not (await stub.ListWorkflows(pb.ListWorkflowsRequest(search="nothing"))).workflows
    duplicate = await _error(stub.CreateWorkflow(pb.CreateWorkflowRequest(
        workflow=_workflow(DOSE_AND_MEASURE))))
    assert duplicate.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_bad_names_are_invalid_argument(stub: pb_grpc.DesignServiceStub) -> None:
    for name in ["", "../../etc", "a" * 65, "with space"]:
        error = await _error(stub.CreateWorkflow(pb.CreateWorkflowRequest(
            workflow=_workflow({**DOSE_AND_MEASURE, "name": name}))))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_versions_etags_and_two_clients(served: Served,
                                              stub: pb_grpc.DesignServiceStub) -> None:
    first = (await stub.CreateWorkflow(pb.CreateWorkflowRequest(
        workflow=_workflow(DOSE_AND_MEASURE)))).workflow
    other = pb_grpc.DesignServiceStub(await served.channel_as("operator"))
    mask = field_mask_pb2.FieldMask(paths=["description"])
    changed = (await other.UpdateWorkflow(pb.UpdateWorkflowRequest(
        workflow=workflow_pb2.Workflow(name=first.name, description="v2"),
        update_mask=mask, etag=first.etag))).workflow
    assert changed.version == 2 and changed.description == "v2"
    assert list(changed.main) == list(first.main)  # untouched by the mask
    stale = await _error(stub.UpdateWorkflow(pb.UpdateWorkflowRequest(
        workflow=workflow_pb2.Workflow(name=first.name, description="lost update"),
        update_mask=mask, etag=first.etag)))
    assert stale.code() == grpc.StatusCode.ABORTED
    versions = await stub.ListWorkflowVersions(pb.ListWorkflowVersionsRequest(name=first.name))
    assert [v.version for v in versions.versions] == [2, 1]
    old = (await stub.GetWorkflow(pb.GetWorkflowRequest(name=first.name, version=1))).workflow
    assert old.description == first.description  # old versions never change


async def test_finalize_locks_and_copy_unlocks(stub: pb_grpc.DesignServiceStub) -> None:
    await stub.CreateWorkflow(pb.CreateWorkflowRequest(workflow=_workflow(DOSE_AND_MEASURE)))
    final = (await stub.FinalizeWorkflow(pb.FinalizeWorkflowRequest(
        name="dose-and-measure"))).workflow
    assert final.state == workflow_pb2.WORKFLOW_STATE_FINALIZED
    refused = await _error(stub.UpdateWorkflow(pb.UpdateWorkflowRequest(
        workflow=workflow_pb2.Workflow(name="dose-and-measure", description="x"),
        update_mask=field_mask_pb2.FieldMask(paths=["description"]))))
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rich_status(refused)["reason"] == "WORKFLOW_FINALIZED"
    copy = (await stub.CopyWorkflow(pb.CopyWorkflowRequest(name="dose-and-measure",
                                                           new_name="dose-v2"))).workflow
    assert copy.version == 1 and copy.state == workflow_pb2.WORKFLOW_STATE_EDITING
    assert [s.id for s in copy.main] == [s.id for s in final.main]


async def test_delete_is_refused_while_called(stub: pb_grpc.DesignServiceStub) -> None:
    helper = {"name": "prime-helper", "registered": True,
              "main": [{"call": {"instrument": "pump", "method": "prime"}}]}
    caller = {"name": "uses-helper",
              "main": [{"call_workflow": {"workflow": "prime-helper"}}]}
    for data in (helper, caller):
        await stub.CreateWorkflow(pb.CreateWorkflowRequest(workflow=_workflow(data)))
    refused = await _error(stub.DeleteWorkflow(pb.DeleteWorkflowRequest(name="prime-helper")))
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    await stub.DeleteWorkflow(pb.DeleteWorkflowRequest(name="uses-helper"))
    await stub.DeleteWorkflow(pb.DeleteWorkflowRequest(name="prime-helper"))
    gone = await _error(stub.GetWorkflow(pb.GetWorkflowRequest(name="prime-helper")))
    assert gone.code() == grpc.StatusCode.NOT_FOUND


async def test_a_valid_workflow_validates(stub: pb_grpc.DesignServiceStub) -> None:
    reply = await stub.ValidateWorkflow(pb.ValidateWorkflowRequest(
        workflow=_workflow(DOSE_AND_MEASURE)))
    assert reply.valid, list(reply.problems)


async def test_validation_reports_every_problem(stub: pb_grpc.DesignServiceStub) -> None:
    broken = {
        "name": "broken",
        "prep": [{"id": "p1", "call": {"instrument": "pump", "method": "dispense",
                                       "arguments": {"volume_ml": {"parameter": "v"}}}}],
        "main": [
            {"id": "m1", "call": {"instrument": "robot", "method": "move"}},
            {"id": "m2", "call": {"instrument": "pump", "method": "explode"}},
            {"id": "m3", "call": {"instrument": "pump", "method": "dispense",
                                  "arguments": {"volume_ml": {"literal": "lots"},
                                                "speed": {"literal": 1}}}},
            {"id": "m4", "call": {"instrument": "sdl", "method": "dose_solvent",
                                  "arguments": {"solvent": {"literal": "MERCURY"}}}},
            {"id": "m5", "call": {"instrument": "sdl", "method": "dose_solid"}},
            {"id": "m6", "call": {"instrument": "sdl", "method": "analyze",
                                  "arguments": {"wavelengths_nm": {"literal": [1]}},
                                  "save_as": ["a", "b", "c"]}},
            {"id": "m7", "set_variable": {"name": "x", "value": {"variable": "never_set"}}},
            {"id": "m8", "if_else": {"condition": "x >"}},
            {"id": "m9", "call_workflow": {"workflow": "missing"}},
            {"id": "m10"},
            {"id": "m11", "disabled": True, "call": {"instrument": "robot"}},
        ],
    }
    reply = await stub.ValidateWorkflow(pb.ValidateWorkflowRequest(workflow=_workflow(broken)))
    found = {(p.step_id, p.code) for p in reply.problems}
    assert not reply.valid
    assert {("p1", "PARAMETER_OUTSIDE_MAIN"), ("m1", "UNKNOWN_INSTRUMENT"),
            ("m2", "UNKNOWN_METHOD"), ("m3", "WRONG_TYPE"), ("m3", "UNKNOWN_ARGUMENT"),
            ("m4", "WRONG_TYPE"), ("m6", "SAVE_AS_MISMATCH"), ("m7", "UNDEFINED_VARIABLE"),
            ("m8", "EXPRESSION_ERROR"), ("m9", "UNKNOWN_WORKFLOW"),
            ("m10", "EMPTY_STEP")} <= found
    assert not any(step_id == "m11" for step_id, _ in found)  # disabled steps are skipped
    assert ("m5", "MISSING_ARGUMENT") not in found  # dose_solid has only defaults
    fields = {(p.step_id, p.field) for p in reply.problems}
    assert ("m3", "arguments.volume_ml") in fields and ("m3", "arguments.speed") in fields


async def test_names_set_in_one_branch_are_not_set_after(stub: pb_grpc.DesignServiceStub) -> None:
    data = {"name": "branches", "main": [
        {"id": "a", "if_else": {"condition": "true",
                                "then_steps": [{"set_variable": {
                                    "name": "only_then", "value": {"literal": 1}}}],
                                "else_steps": []}},
        {"id": "b", "set_variable": {"name": "y", "value": {"expression": "only_then + 1"}}},
    ]}
    reply = await stub.ValidateWorkflow(pb.ValidateWorkflowRequest(workflow=_workflow(data)))
    assert [(p.step_id, p.code) for p in reply.problems] == [("b", "UNDEFINED_VARIABLE")]


async def test_call_cycles_are_found(stub: pb_grpc.DesignServiceStub) -> None:
    a = {"name": "cycle-a", "registered": True,
         "main": [{"call_workflow": {"workflow": "cycle-b"}}]}
    b = {"name": "cycle-b", "registered": True,
         "main": [{"call_workflow": {"workflow": "cycle-a"}}]}
    for data in (a, b):
        await stub.CreateWorkflow(pb.CreateWorkflowRequest(workflow=_workflow(data)))
    reply = await stub.ValidateWorkflow(pb.ValidateWorkflowRequest(name="cycle-a"))
    assert "CALL_CYCLE" in {p.code for p in reply.problems}


async def test_list_filters_order_and_pages(stub: pb_grpc.DesignServiceStub) -> None:
    for index in range(5):
        await stub.CreateWorkflow(pb.CreateWorkflowRequest(workflow=_workflow(
            {"name": f"wf-{index}", "registered": index % 2 == 0,
             "main": [{"comment": {"text": "x"}}]})))
    await stub.FinalizeWorkflow(pb.FinalizeWorkflowRequest(name="wf-3"))
    registered = await stub.ListWorkflows(pb.ListWorkflowsRequest(registered_only=True))
    assert [w.name for w in registered.workflows] == ["wf-0", "wf-2", "wf-4"]
    final = await stub.ListWorkflows(pb.ListWorkflowsRequest(
        state=workflow_pb2.WORKFLOW_STATE_FINALIZED))
    assert [w.name for w in final.workflows] == ["wf-3"]
    assert not (await stub.ListWorkflows(pb.ListWorkflowsRequest(deck="other"))).workflows
    await stub.UpdateWorkflow(pb.UpdateWorkflowRequest(
        workflow=workflow_pb2.Workflow(name="wf-1", description="touched"),
        update_mask=field_mask_pb2.FieldMask(paths=["description"])))
    names: list[str] = []
    token = ""
    while True:
        page = await stub.ListWorkflows(pb.ListWorkflowsRequest(
            order_by="update_time desc", page_size=2, page_token=token))
        names += [w.name for w in page.workflows]
        token = page.next_page_token
        if not token:
            break
    assert names[0] == "wf-1" and sorted(names) == [f"wf-{i}" for i in range(5)]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ListWorkflows(pb.ListWorkflowsRequest(order_by="colour"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    first = await stub.ListWorkflows(pb.ListWorkflowsRequest(page_size=2))
    with pytest.raises(grpc.aio.AioRpcError) as caught:  # a token only fits its own query
        await stub.ListWorkflows(pb.ListWorkflowsRequest(page_size=2, search="wf",
                                                         page_token=first.next_page_token))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
