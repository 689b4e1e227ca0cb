"""Persistence: SQLAlchemy models, repositories, sessions and migrations.

The only package that imports SQLAlchemy or Alembic; callers get plain
frozen dataclasses (`records`), never ORM rows.
"""

from ivorygrpc.store.audit import AuditRepository
from ivorygrpc.store.calls import CallRepository
from ivorygrpc.store.database import Store
from ivorygrpc.store.records import (
    ACTIVE_RUN_STATES,
    ROLES,
    RUN_FIELDS,
    RUN_ORDERS,
    RUN_STATES,
    WORKFLOW_ORDERS,
    WORKFLOW_STATES,
    AppendEvent,
    AuditRecord,
    CallRecord,
    DeleteRun,
    EventRecord,
    InsertRun,
    RunOp,
    RunRecord,
    TokenRecord,
    UpdateRun,
    UserRecord,
    WorkflowRecord,
)
from ivorygrpc.store.runs import RunRepository, run_cursor
from ivorygrpc.store.tokens import TokenRepository
from ivorygrpc.store.users import UserRepository
from ivorygrpc.store.workflows import WorkflowRepository

__all__ = [
    "ACTIVE_RUN_STATES",
    "ROLES",
    "RUN_FIELDS",
    "RUN_ORDERS",
    "RUN_STATES",
    "WORKFLOW_ORDERS",
    "WORKFLOW_STATES",
    "AppendEvent",
    "AuditRecord",
    "AuditRepository",
    "CallRecord",
    "CallRepository",
    "DeleteRun",
    "EventRecord",
    "InsertRun",
    "RunOp",
    "RunRecord",
    "RunRepository",
    "Store",
    "TokenRecord",
    "TokenRepository",
    "UpdateRun",
    "UserRecord",
    "UserRepository",
    "WorkflowRecord",
    "WorkflowRepository",
    "run_cursor",
]
