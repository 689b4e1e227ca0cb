"""Persistence: SQLAlchemy models, repositories, sessions and migrations.

The only package that imports SQLAlchemy or Alembic; callers get plain
frozen dataclasses (`records`), never ORM rows.
"""

from ivorygrpc.store.audit import AuditRepository
from ivorygrpc.store.calls import CallRepository
from ivorygrpc.store.database import Store
from ivorygrpc.store.records import (
    ROLES,
    WORKFLOW_ORDERS,
    WORKFLOW_STATES,
    AuditRecord,
    CallRecord,
    TokenRecord,
    UserRecord,
    WorkflowRecord,
)
from ivorygrpc.store.tokens import TokenRepository
from ivorygrpc.store.users import UserRepository
from ivorygrpc.store.workflows import WorkflowRepository

__all__ = [
    "ROLES",
    "WORKFLOW_ORDERS",
    "WORKFLOW_STATES",
    "AuditRecord",
    "AuditRepository",
    "CallRecord",
    "CallRepository",
    "Store",
    "TokenRecord",
    "TokenRepository",
    "UserRecord",
    "UserRepository",
    "WorkflowRecord",
    "WorkflowRepository",
]
