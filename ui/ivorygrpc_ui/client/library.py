"""DesignService calls of the Library page: list (search, deck, order, pages), copy, delete."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from ivorygrpc.v1 import design_service_pb2 as pb
from ivorygrpc.v1 import workflow_pb2
from ivorygrpc_ui.client.connection import Connection
from ivorygrpc_ui.client.errors import rpc_errors
from ivorygrpc_ui.client.values import time_of

ORDERS = {"name": "Name", "update_time desc": "Last modified"}


@dataclass(frozen=True)
class WorkflowSummary:
    """The latest version of a workflow, without its steps."""

    name: str
    display_name: str
    description: str
    deck: str
    author: str
    version: int
    finalized: bool
    registered: bool
    step_count: int
    update_time: datetime.datetime | None


@dataclass
class WorkflowPage:
    """One page of `list_workflows` and the token of the next page."""

    workflows: list[WorkflowSummary] = field(default_factory=list)
    next_page_token: str = ""


def _count(steps: Iterable[workflow_pb2.Step]) -> int:
    total = 0
    for step in steps:
        total += 1
        kind = step.WhichOneof("kind")
        if kind == "if_else":
            total += _count(step.if_else.then_steps) + _count(step.if_else.else_steps)
        elif kind == "while_loop":
            total += _count(step.while_loop.steps)
        elif kind == "repeat":
            total += _count(step.repeat.steps)
    return total


def summary(workflow: workflow_pb2.Workflow) -> WorkflowSummary:
    """The `WorkflowSummary` of a `Workflow` message."""
    return WorkflowSummary(
        name=workflow.name, display_name=workflow.display_name or workflow.name,
        description=workflow.description, deck=workflow.deck, author=workflow.author,
        version=workflow.version,
        finalized=workflow.state == workflow_pb2.WORKFLOW_STATE_FINALIZED,
        registered=workflow.registered,
        step_count=sum(_count(p) for p in (workflow.prep, workflow.main, workflow.cleanup)),
        update_time=time_of(workflow, "update_time"))


@rpc_errors
async def list_workflows(conn: Connection, *, search: str = "", deck: str = "",
                         order_by: str = "name", page_size: int = 20,
                         page_token: str = "") -> WorkflowPage:
    """One page of workflows matching the filters."""
    reply = await conn.design.ListWorkflows(
        pb.ListWorkflowsRequest(search=search, deck=deck, order_by=order_by,
                                page_size=page_size, page_token=page_token),
        metadata=conn.metadata())
    return WorkflowPage([summary(w) for w in reply.workflows], reply.next_page_token)


@rpc_errors
async def copy_workflow(conn: Connection, name: str, new_name: str) -> WorkflowSummary:
    """Copy the latest version of `name` as `new_name` (editable, version 1)."""
    reply = await conn.design.CopyWorkflow(pb.CopyWorkflowRequest(name=name, new_name=new_name),
                                           metadata=conn.metadata())
    return summary(reply.workflow)


@rpc_errors
async def delete_workflow(conn: Connection, name: str) -> None:
    """Delete a workflow and all its versions (admin)."""
    await conn.design.DeleteWorkflow(pb.DeleteWorkflowRequest(name=name),
                                     metadata=conn.metadata())
