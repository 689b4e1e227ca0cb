"""`ivorygrpc.v1.DesignService`: the workflow library and validation."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from google.protobuf import json_format

from ivorygrpc.deck.model import DeckSpec
from ivorygrpc.errors import (
    AlreadyExists,
    FieldViolation,
    InvalidArguments,
    InvalidPageToken,
    NotFound,
)
from ivorygrpc.paging import PageTokens, page_size, split_page
from ivorygrpc.services.context import Context, caller_of
from ivorygrpc.services.convert import parse_etag, timestamp, type_info
from ivorygrpc.services.errors import rpc_errors
from ivorygrpc.store import Store, WorkflowRecord
from ivorygrpc.v1 import design_service_pb2 as pb
from ivorygrpc.v1 import design_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import workflow_pb2
from ivorygrpc.workflow import steps
from ivorygrpc.workflow.imported import ImportProblem, ImportResult
from ivorygrpc.workflow.ivoryos_import import import_ivoryos
from ivorygrpc.workflow.parameters import outputs, run_parameters
from ivorygrpc.workflow.python_import import import_python
from ivorygrpc.workflow.render_python import render_python
from ivorygrpc.workflow.validate import PHASES, called_workflows, iter_steps, validate

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CONTENT_FIELDS = ("display_name", "description", "deck", "registered", *PHASES)
_STATES = {"editing": workflow_pb2.WORKFLOW_STATE_EDITING,
           "finalized": workflow_pb2.WORKFLOW_STATE_FINALIZED}
_STATE_NAMES = {number: name for name, number in _STATES.items()}
_ORDERS = {"": "name", "name": "name", "update_time desc": "update_time desc"}


def _check_name(name: str, field: str = "name") -> None:
    if not NAME.match(name):
        raise InvalidArguments([FieldViolation(field, "must be 1 to 64 letters, digits, "
                                                      "'_' or '-'")])


def _to_dict(message: Any, field: str) -> dict[str, Any]:
    """A message as JSON-like data; non-finite numbers are refused (JSON has none)."""
    try:
        data: dict[str, Any] = json_format.MessageToDict(message,
                                                         preserving_proto_field_name=True)
    except json_format.Error as exc:
        raise InvalidArguments([FieldViolation(field, f"numbers must be finite ({exc})")]) from exc
    return data


def workflow_body(workflow: workflow_pb2.Workflow) -> dict[str, Any]:
    """The stored content of a workflow: its editable fields, step ids filled in."""
    data = _to_dict(workflow, "workflow")
    body = {key: data[key] for key in CONTENT_FIELDS if key in data}
    seen: set[str] = set()
    for phase in PHASES:
        for step in iter_steps(body.get(phase) or []):
            if not step.get("id"):
                step["id"] = f"s{uuid.uuid4().hex[:10]}"
            if step["id"] in seen:
                raise InvalidArguments([FieldViolation(f"{phase}.id",
                                                       f"step id {step['id']!r} is used twice")])
            seen.add(step["id"])
    return body


def workflow_message(record: WorkflowRecord) -> workflow_pb2.Workflow:
    """The `Workflow` message of a stored version."""
    workflow = json_format.ParseDict(record.body, workflow_pb2.Workflow())
    workflow.name = record.name
    workflow.version = record.version
    workflow.etag = str(record.version)
    workflow.state = _STATES.get(record.state, workflow_pb2.WORKFLOW_STATE_UNSPECIFIED)
    workflow.author = record.author
    workflow.create_time.CopyFrom(timestamp(record.created_at))
    workflow.update_time.CopyFrom(timestamp(record.updated_at))
    return workflow


def _import(request: pb.ImportWorkflowRequest) -> list[ImportResult]:
    source = request.WhichOneof("source")
    if source is None:
        raise InvalidArguments([FieldViolation("source", "give python_source or ivoryos_json")])
    try:
        if source == "python_source":
            return import_python(request.python_source, request.name or "imported")
        try:
            data = json.loads(request.ivoryos_json)
        except (ValueError, RecursionError) as exc:
            raise ImportProblem(f"not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ImportProblem("the JSON must be an object")
        return [import_ivoryos(data)]
    except (ImportProblem, ValueError) as exc:
        raise InvalidArguments([FieldViolation(source, str(exc))]) from exc


def _step(step: workflow_pb2.Step) -> dict[str, Any]:
    return _to_dict(step, "step")


def _location(location: pb.StepLocation) -> steps.Location:
    return steps.Location(location.phase or "main", location.parent_step_id, location.branch,
                          location.position if location.HasField("position") else None)


class DesignServicer(pb_grpc.DesignServiceServicer):
    """The workflow library."""

    def __init__(self, store: Store, deck: DeckSpec, tokens: PageTokens) -> None:
        self._store = store
        self._deck = deck
        self._tokens = tokens

    async def _get(self, name: str, version: int = 0) -> WorkflowRecord:
        record = await asyncio.to_thread(self._store.workflows.get, name, version or None)
        if record is None:
            label = f"{name} version {version}" if version else name
            raise NotFound("workflow", label, reason="WORKFLOW_NOT_FOUND")
        return record

    @rpc_errors
    async def CreateWorkflow(self, request: pb.CreateWorkflowRequest,
                             context: Context) -> pb.CreateWorkflowResponse:
        """Saves a new workflow as version 1."""
        _check_name(request.workflow.name, "workflow.name")
        body = workflow_body(request.workflow)
        body.setdefault("deck", self._deck.name)
        record = await asyncio.to_thread(self._store.workflows.create, request.workflow.name,
                                         body, author=caller_of(context),
                                         calls=called_workflows(body))
        return pb.CreateWorkflowResponse(workflow=workflow_message(record))

    @rpc_errors
    async def GetWorkflow(self, request: pb.GetWorkflowRequest,
                          context: Context) -> pb.GetWorkflowResponse:
        """Returns the latest version or the one asked for."""
        if request.version < 0:
            raise InvalidArguments([FieldViolation("version", "must not be negative")])
        record = await self._get(request.name, request.version)
        return pb.GetWorkflowResponse(workflow=workflow_message(record))

    @rpc_errors
    async def ListWorkflows(self, request: pb.ListWorkflowsRequest,
                            context: Context) -> pb.ListWorkflowsResponse:
        """Lists the latest version of each workflow."""
        size = page_size(request.page_size)
        order = _ORDERS.get(request.order_by.strip().lower())
        if order is None:
            raise InvalidArguments([FieldViolation("order_by",
                                                   "must be 'name' or 'update_time desc'")])
        state = _STATE_NAMES.get(request.state, "")
        scope = "|".join(["ListWorkflows", request.search, request.deck, state,
                          str(request.registered_only), order])
        after = self._tokens.decode_texts(scope, request.page_token)
        records = await asyncio.to_thread(
            self._store.workflows.list, search=request.search, deck=request.deck, state=state,
            registered_only=request.registered_only, order_by=order, limit=size + 1,
            after=after)
        records, last = split_page(records, size)
        token = ""
        if last is not None:
            cursor = [last.name] if order == "name" else [last.updated_at.isoformat(),
                                                          last.name]
            token = self._tokens.encode(scope, cursor)
        return pb.ListWorkflowsResponse(workflows=[workflow_message(r) for r in records],
                                        next_page_token=token)

    @rpc_errors
    async def UpdateWorkflow(self, request: pb.UpdateWorkflowRequest,
                             context: Context) -> pb.UpdateWorkflowResponse:
        """Saves a change as a new version."""
        name = request.workflow.name
        current = await self._get(name)
        paths = set(request.update_mask.paths)
        if not paths or "*" in paths:
            paths = set(CONTENT_FIELDS)
        unknown = sorted(paths - set(CONTENT_FIELDS))
        if unknown:
            raise InvalidArguments([FieldViolation("update_mask",
                                                   f"{unknown[0]!r} cannot be updated")])
        changes = _to_dict(request.workflow, "workflow")
        merged = {key: value for key, value in current.body.items() if key not in paths}
        merged.update({key: value for key, value in changes.items() if key in paths})
        body = workflow_body(json_format.ParseDict(merged, workflow_pb2.Workflow()))
        record = await asyncio.to_thread(self._store.workflows.save_version, name, body,
                                         author=caller_of(context),
                                         expected_version=parse_etag(request.etag),
                                         calls=called_workflows(body))
        return pb.UpdateWorkflowResponse(workflow=workflow_message(record))

    @rpc_errors
    async def DeleteWorkflow(self, request: pb.DeleteWorkflowRequest,
                             context: Context) -> pb.DeleteWorkflowResponse:
        """Deletes a workflow and all its versions."""
        if not await asyncio.to_thread(self._store.workflows.delete, request.name):
            raise NotFound("workflow", request.name, reason="WORKFLOW_NOT_FOUND")
        return pb.DeleteWorkflowResponse()

    @rpc_errors
    async def ListWorkflowVersions(self, request: pb.ListWorkflowVersionsRequest,
                                   context: Context) -> pb.ListWorkflowVersionsResponse:
        """Lists the versions of a workflow, newest first."""
        size = page_size(request.page_size)
        await self._get(request.name)
        scope = f"ListWorkflowVersions|{request.name}"
        before = None
        if request.page_token:
            cursor = self._tokens.decode(scope, request.page_token)
            if len(cursor) != 1 or not isinstance(cursor[0], int):
                raise InvalidPageToken()
            before = cursor[0]
        records = await asyncio.to_thread(self._store.workflows.versions, request.name,
                                          limit=size + 1, before=before)
        records, last = split_page(records, size)
        token = self._tokens.encode(scope, [last.version]) if last else ""
        return pb.ListWorkflowVersionsResponse(versions=[workflow_message(r) for r in records],
                                               next_page_token=token)

    @rpc_errors
    async def FinalizeWorkflow(self, request: pb.FinalizeWorkflowRequest,
                               context: Context) -> pb.FinalizeWorkflowResponse:
        """Locks a workflow."""
        record = await asyncio.to_thread(self._store.workflows.finalize, request.name)
        if record is None:
            raise NotFound("workflow", request.name, reason="WORKFLOW_NOT_FOUND")
        return pb.FinalizeWorkflowResponse(workflow=workflow_message(record))

    @rpc_errors
    async def CopyWorkflow(self, request: pb.CopyWorkflowRequest,
                           context: Context) -> pb.CopyWorkflowResponse:
        """Saves a copy under a new name."""
        _check_name(request.new_name, "new_name")
        source = await self._get(request.name, request.version)
        record = await asyncio.to_thread(self._store.workflows.create, request.new_name,
                                         dict(source.body), author=caller_of(context),
                                         calls=called_workflows(source.body))
        return pb.CopyWorkflowResponse(workflow=workflow_message(record))

    @rpc_errors
    async def ValidateWorkflow(self, request: pb.ValidateWorkflowRequest,
                               context: Context) -> pb.ValidateWorkflowResponse:
        """Checks a workflow against the live deck."""
        if request.WhichOneof("source") == "name":
            record = await self._get(request.name)
            name, body = record.name, record.body
        elif request.WhichOneof("source") == "workflow":
            name = request.workflow.name
            body = _to_dict(request.workflow, "workflow")
        else:
            raise InvalidArguments([FieldViolation("source", "give a workflow or a name")])
        problems = await asyncio.to_thread(validate, name, body, self._deck, self._lookup)
        return pb.ValidateWorkflowResponse(valid=not problems, problems=[
            pb.ValidationProblem(step_id=p.step_id, field=p.field, message=p.message,
                                 code=p.code) for p in problems])

    async def _edit(self, context: Context, name: str, etag: str,
                    change: Callable[[dict[str, Any]], dict[str, Any]]) -> WorkflowRecord:
        """Apply a step edit to the latest version and save the result as a new version."""
        current = await self._get(name)
        expected = parse_etag(etag)
        if expected is None:  # step edits are always based on the version they read
            expected = current.version
        body = workflow_body(json_format.ParseDict(change(current.body), workflow_pb2.Workflow()))
        return await asyncio.to_thread(self._store.workflows.save_version, name, body,
                                       author=caller_of(context), expected_version=expected,
                                       calls=called_workflows(body))

    @rpc_errors
    async def AddStep(self, request: pb.AddStepRequest, context: Context) -> pb.AddStepResponse:
        """Inserts a step."""
        added: list[str] = []

        def change(body: dict[str, Any]) -> dict[str, Any]:
            result, step_id = steps.add_step(body, _step(request.step),
                                             _location(request.location))
            added.append(step_id)
            return result

        record = await self._edit(context, request.name, request.etag, change)
        return pb.AddStepResponse(workflow=workflow_message(record), step_id=added[0])

    @rpc_errors
    async def UpdateStep(self, request: pb.UpdateStepRequest,
                         context: Context) -> pb.UpdateStepResponse:
        """Replaces a step."""
        record = await self._edit(context, request.name, request.etag,
                                  lambda body: steps.update_step(body, _step(request.step)))
        return pb.UpdateStepResponse(workflow=workflow_message(record))

    @rpc_errors
    async def MoveStep(self, request: pb.MoveStepRequest, context: Context) -> pb.MoveStepResponse:
        """Moves a step."""
        record = await self._edit(context, request.name, request.etag, lambda body: (
            steps.move_step(body, request.step_id, _location(request.location))))
        return pb.MoveStepResponse(workflow=workflow_message(record))

    @rpc_errors
    async def RemoveStep(self, request: pb.RemoveStepRequest,
                         context: Context) -> pb.RemoveStepResponse:
        """Removes a step."""
        record = await self._edit(context, request.name, request.etag,
                                  lambda body: steps.remove_step(body, request.step_id))
        return pb.RemoveStepResponse(workflow=workflow_message(record))

    @rpc_errors
    async def DuplicateStep(self, request: pb.DuplicateStepRequest,
                            context: Context) -> pb.DuplicateStepResponse:
        """Copies a step after itself."""
        copies: list[str] = []

        def change(body: dict[str, Any]) -> dict[str, Any]:
            result, step_id = steps.duplicate_step(body, request.step_id)
            copies.append(step_id)
            return result

        record = await self._edit(context, request.name, request.etag, change)
        return pb.DuplicateStepResponse(workflow=workflow_message(record), step_id=copies[0])

    @rpc_errors
    async def SetStepEnabled(self, request: pb.SetStepEnabledRequest,
                             context: Context) -> pb.SetStepEnabledResponse:
        """Enables or disables a step."""
        record = await self._edit(context, request.name, request.etag, lambda body: (
            steps.set_step_enabled(body, request.step_id, request.enabled)))
        return pb.SetStepEnabledResponse(workflow=workflow_message(record))

    @rpc_errors
    async def GetRunParameters(self, request: pb.GetRunParametersRequest,
                               context: Context) -> pb.GetRunParametersResponse:
        """The run parameters and outputs of a workflow."""
        record = await self._get(request.name, request.version)
        return pb.GetRunParametersResponse(
            parameters=[pb.RunParameter(name=p.name, type=type_info(p.type),
                                        step_ids=p.step_ids)
                        for p in run_parameters(record.body, self._deck)],
            outputs=[pb.WorkflowOutput(name=o.name, type=type_info(o.type), step_id=o.step_id)
                     for o in outputs(record.body, self._deck)])

    @rpc_errors
    async def RenderPython(self, request: pb.RenderPythonRequest,
                           context: Context) -> pb.RenderPythonResponse:
        """A readable Python script equivalent to the workflow."""
        record = await self._get(request.name, request.version)
        return pb.RenderPythonResponse(source=render_python(record.name, record.body))

    @rpc_errors
    async def ImportWorkflow(self, request: pb.ImportWorkflowRequest,
                             context: Context) -> pb.ImportWorkflowResponse:
        """Converts Python source or IvoryOS JSON into workflows."""
        results = await asyncio.to_thread(_import, request)
        for result in results:
            _check_name(result.name, "name")
            existing = await asyncio.to_thread(self._store.workflows.get, result.name, None)
            if request.save and existing is not None:
                # checked for all before saving any: a clash saves nothing
                raise AlreadyExists("workflow", result.name, reason="WORKFLOW_EXISTS")
        reply = pb.ImportWorkflowResponse()
        for result in results:
            workflow = json_format.ParseDict(result.body, workflow_pb2.Workflow())
            workflow.name = result.name
            if request.save:
                body = workflow_body(workflow)
                body.setdefault("deck", self._deck.name)
                record = await asyncio.to_thread(
                    self._store.workflows.create, result.name, body,
                    author=caller_of(context), calls=called_workflows(body))
                workflow = workflow_message(record)
            reply.workflows.add(workflow=workflow, warnings=list(result.warnings))
        return reply

    def _lookup(self, name: str, version: int | None) -> Mapping[str, Any] | None:
        record = self._store.workflows.get(name, version)
        return record.body if record is not None else None
