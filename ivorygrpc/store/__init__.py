"""Persistence: SQLAlchemy models, repositories, sessions and migrations.

The only package that imports SQLAlchemy or Alembic; callers get plain
frozen dataclasses (`records`), never ORM rows.
"""

from ivorygrpc.store.audit import AuditRepository
from ivorygrpc.store.calls import CallRepository
from ivorygrpc.store.database import Store
from ivorygrpc.store.records import ROLES, AuditRecord, CallRecord, TokenRecord, UserRecord
from ivorygrpc.store.tokens import TokenRepository
from ivorygrpc.store.users import UserRepository

__all__ = [
    "ROLES",
    "AuditRecord",
    "AuditRepository",
    "CallRecord",
    "CallRepository",
    "Store",
    "TokenRecord",
    "TokenRepository",
    "UserRecord",
    "UserRepository",
]
