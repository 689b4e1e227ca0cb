"""DesignService operations: the workflow library."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format

from ivorygrpc.client.base import ClientBase
from ivorygrpc.client.errors import AlreadyExists
from ivorygrpc.v1 import design_service_pb2 as pb
from ivorygrpc.v1 import workflow_pb2

WorkflowLike = workflow_pb2.Workflow | Mapping[str, Any]


def as_workflow(workflow: WorkflowLike) -> workflow_pb2.Workflow:
    """A Workflow message from a message or its JSON form (`{"name": ..., "main": [...]}`)."""
    if isinstance(workflow, workflow_pb2.Workflow):
        return workflow
    return json_format.ParseDict(dict(workflow), workflow_pb2.Workflow())


class DesignOperations(ClientBase):
    """Workflows: list, read, save (create or update with etags), validate, delete."""

    async def list_workflows(self, search: str = "", *, deck: str = "",
                             finalized: bool | None = None, registered_only: bool = False,
                             order_by: str = "",
                             limit: int | None = None) -> list[workflow_pb2.Workflow]:
        """The latest version of each workflow, by name (or `order_by="update_time desc"`)."""
        request = pb.ListWorkflowsRequest(search=search, deck=deck,
                                          registered_only=registered_only, order_by=order_by)
        if finalized is not None:
            request.state = (workflow_pb2.WORKFLOW_STATE_FINALIZED if finalized
                             else workflow_pb2.WORKFLOW_STATE_EDITING)
        return await self._collect(self._design.ListWorkflows, request, "workflows", limit)

    async def get_workflow(self, name: str, version: int = 0) -> workflow_pb2.Workflow:
        """A workflow: the latest version, or `version`."""
        reply = await self._unary(self._design.GetWorkflow,
                                  pb.GetWorkflowRequest(name=name, version=version))
        return reply.workflow

    async def create_workflow(self, workflow: WorkflowLike) -> workflow_pb2.Workflow:
        """Save a new workflow as version 1 (AlreadyExists for a taken name)."""
        reply = await self._unary(self._design.CreateWorkflow,
                                  pb.CreateWorkflowRequest(workflow=as_workflow(workflow)))
        return reply.workflow

    async def update_workflow(self, workflow: WorkflowLike, *, etag: str = "",
                              fields: list[str] | None = None) -> workflow_pb2.Workflow:
        """Save a change as a new version; a stale `etag` raises `EtagMismatch`.

        `fields` limits the change (`display_name`, `description`, `registered`,
        `prep`, `main`, `cleanup`, `deck`); all of them when not given.
        """
        request = pb.UpdateWorkflowRequest(workflow=as_workflow(workflow), etag=etag)
        if fields:
            request.update_mask.paths.extend(fields)
        reply = await self._unary(self._design.UpdateWorkflow, request)
        return reply.workflow

    async def save_workflow(self, workflow: WorkflowLike, *,
                            overwrite: bool = False) -> workflow_pb2.Workflow:
        """Create or update, guarded by the etag.

        A workflow that carries an `etag` (one read from the server) is updated
        based on it: if someone saved in between, `EtagMismatch`. One without an
        etag is created; when the name is taken, `AlreadyExists` unless
        `overwrite`, which saves it as a new version of the existing workflow.
        """
        message = as_workflow(workflow)
        if message.etag:
            return await self.update_workflow(message, etag=message.etag)
        try:
            return await self.create_workflow(message)
        except AlreadyExists:
            if not overwrite:
                raise
        return await self.update_workflow(message)

    async def delete_workflow(self, name: str) -> None:
        """Delete a workflow with all its versions (admin)."""
        await self._unary(self._design.DeleteWorkflow, pb.DeleteWorkflowRequest(name=name))

    async def validate_workflow(self, workflow: WorkflowLike | str,
                                ) -> pb.ValidateWorkflowResponse:
        """Check a workflow (a saved one by name, or one as given) against the live deck.

        Returns `valid` and every problem (`step_id`, `field`, `code`, `message`).
        """
        if isinstance(workflow, str):
            request = pb.ValidateWorkflowRequest(name=workflow)
        else:
            request = pb.ValidateWorkflowRequest(workflow=as_workflow(workflow))
        return await self._unary(self._design.ValidateWorkflow, request)

    async def run_parameters(self, name: str, version: int = 0,
                             ) -> pb.GetRunParametersResponse:
        """The `#name` run parameters a workflow needs (with types) and its outputs."""
        return await self._unary(self._design.GetRunParameters,
                                 pb.GetRunParametersRequest(name=name, version=version))

    async def list_workflow_versions(self, name: str, *,
                                     limit: int | None = None) -> list[workflow_pb2.Workflow]:
        """The saved versions of a workflow, newest first."""
        return await self._collect(self._design.ListWorkflowVersions,
                                   pb.ListWorkflowVersionsRequest(name=name), "versions", limit)

    async def finalize_workflow(self, name: str) -> workflow_pb2.Workflow:
        """Lock a workflow against changes (idempotent)."""
        reply = await self._unary(self._design.FinalizeWorkflow,
                                  pb.FinalizeWorkflowRequest(name=name))
        return reply.workflow

    async def copy_workflow(self, name: str, new_name: str,
                            version: int = 0) -> workflow_pb2.Workflow:
        """Save a copy of a workflow (any version) under a new, editable name."""
        reply = await self._unary(self._design.CopyWorkflow, pb.CopyWorkflowRequest(
            name=name, new_name=new_name, version=version))
        return reply.workflow

    async def render_python(self, name: str, version: int = 0) -> str:
        """A readable Python script equivalent to the workflow."""
        reply = await self._unary(self._design.RenderPython,
                                  pb.RenderPythonRequest(name=name, version=version))
        return reply.source

    async def import_workflow(self, *, python_source: str | None = None,
                              ivoryos_json: str | None = None, name: str = "",
                              save: bool = False) -> list[pb.ImportedWorkflow]:
        """Convert Python source or an IvoryOS workflow JSON file, saving when `save`.

        Each result has the `workflow` and `warnings` for what was not converted.
        """
        if (python_source is None) == (ivoryos_json is None):
            raise ValueError("give exactly one of python_source and ivoryos_json")
        request = pb.ImportWorkflowRequest(name=name, save=save)
        if python_source is not None:
            request.python_source = python_source
        else:
            request.ivoryos_json = ivoryos_json or ""
        reply = await self._unary(self._design.ImportWorkflow, request)
        return list(reply.workflows)
