"""DesignService calls for the Design and Execute pages: the workflow library, validation,
run parameters, Python rendering and import. Every function raises `UiError` on failure."""

from __future__ import annotations

from dataclasses import dataclass

from ivorygrpc.v1 import control_service_pb2 as control_pb
from ivorygrpc.v1 import design_service_pb2 as pb
from ivorygrpc.v1 import instrument_pb2 as ins
from ivorygrpc.v1 import workflow_pb2 as wf
from ivorygrpc_ui.client.connection import Connection
from ivorygrpc_ui.client.errors import rpc_errors


@dataclass(frozen=True)
class Imported:
    """One workflow converted by `ImportWorkflow`, with what could not be converted."""

    workflow: wf.Workflow
    warnings: tuple[str, ...]


@rpc_errors
async def get_workflow(conn: Connection, name: str, version: int = 0) -> wf.Workflow:
    """The latest version of a workflow, or the one asked for."""
    reply = await conn.design.GetWorkflow(pb.GetWorkflowRequest(name=name, version=version),
                                          metadata=conn.metadata())
    return reply.workflow


@rpc_errors
async def list_workflows(conn: Connection, search: str = "", deck: str = "",
                         page_size: int = 200, *,
                         registered_only: bool = False) -> list[wf.Workflow]:
    """The latest version of each workflow, by name (one page)."""
    reply = await conn.design.ListWorkflows(
        pb.ListWorkflowsRequest(search=search, deck=deck, page_size=page_size,
                                registered_only=registered_only),
        metadata=conn.metadata())
    return list(reply.workflows)


@dataclass(frozen=True)
class CallableWorkflow:
    """A registered workflow other workflows may call: its version, run parameters (with
    types) and outputs in the order `CallWorkflowStep.save_as` names them."""

    name: str
    version: int
    parameters: tuple[pb.RunParameter, ...]
    outputs: tuple[str, ...]


@rpc_errors
async def callable_workflows(conn: Connection) -> list[CallableWorkflow]:
    """Every registered workflow with what a call step needs to know about it."""
    found: list[CallableWorkflow] = []
    for workflow in await list_workflows(conn, registered_only=True):
        reply = await conn.design.GetRunParameters(
            pb.GetRunParametersRequest(name=workflow.name), metadata=conn.metadata())
        found.append(CallableWorkflow(workflow.name, workflow.version, tuple(reply.parameters),
                              tuple(output.name for output in reply.outputs)))
    return found


@rpc_errors
async def create_workflow(conn: Connection, workflow: wf.Workflow) -> wf.Workflow:
    """Save a new workflow as version 1."""
    reply = await conn.design.CreateWorkflow(pb.CreateWorkflowRequest(workflow=workflow),
                                             metadata=conn.metadata())
    return reply.workflow


@rpc_errors
async def update_workflow(conn: Connection, workflow: wf.Workflow) -> wf.Workflow:
    """Save the draft as a new version; refused (`ABORTED`) when someone saved meanwhile."""
    reply = await conn.design.UpdateWorkflow(
        pb.UpdateWorkflowRequest(workflow=workflow, etag=workflow.etag),
        metadata=conn.metadata())
    return reply.workflow


@rpc_errors
async def finalize_workflow(conn: Connection, name: str) -> wf.Workflow:
    """Lock a workflow against further changes."""
    reply = await conn.design.FinalizeWorkflow(pb.FinalizeWorkflowRequest(name=name),
                                               metadata=conn.metadata())
    return reply.workflow


@rpc_errors
async def list_versions(conn: Connection, name: str) -> list[wf.Workflow]:
    """The saved versions of a workflow, newest first (one page of 50)."""
    reply = await conn.design.ListWorkflowVersions(
        pb.ListWorkflowVersionsRequest(name=name), metadata=conn.metadata())
    return list(reply.versions)


@rpc_errors
async def validate(conn: Connection, workflow: wf.Workflow) -> list[pb.ValidationProblem]:
    """Every problem of a (possibly unsaved) workflow against the live deck."""
    reply = await conn.design.ValidateWorkflow(pb.ValidateWorkflowRequest(workflow=workflow),
                                               metadata=conn.metadata())
    return list(reply.problems)


@rpc_errors
async def run_parameters(conn: Connection, name: str,
                         version: int = 0) -> pb.GetRunParametersResponse:
    """The `#name` run parameters of a saved workflow (with types) and its outputs."""
    return await conn.design.GetRunParameters(
        pb.GetRunParametersRequest(name=name, version=version), metadata=conn.metadata())


@rpc_errors
async def render_python(conn: Connection, name: str, version: int = 0) -> str:
    """A readable Python script of a saved workflow (never executed by the server)."""
    reply = await conn.design.RenderPython(pb.RenderPythonRequest(name=name, version=version),
                                           metadata=conn.metadata())
    return reply.source


@rpc_errors
async def import_workflows(conn: Connection, text: str, *, ivoryos_json: bool,
                           name: str = "") -> list[Imported]:
    """Convert Python source or an IvoryOS JSON file into (unsaved) workflows."""
    request = pb.ImportWorkflowRequest(name=name)
    if ivoryos_json:
        request.ivoryos_json = text
    else:
        request.python_source = text
    reply = await conn.design.ImportWorkflow(request, metadata=conn.metadata())
    return [Imported(item.workflow, tuple(item.warnings)) for item in reply.workflows]


@rpc_errors
async def deck_instruments(conn: Connection) -> list[ins.Instrument]:
    """Every instrument with its full method schemas (the palette needs the return shapes
    that `client.control` leaves out)."""
    instruments: list[ins.Instrument] = []
    token = ""
    while True:
        reply = await conn.control.ListInstruments(
            control_pb.ListInstrumentsRequest(page_size=1000, page_token=token),
            metadata=conn.metadata())
        instruments += reply.instruments
        token = reply.next_page_token
        if not token:
            return instruments
