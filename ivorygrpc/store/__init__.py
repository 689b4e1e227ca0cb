"""Persistence: SQLAlchemy models, repositories, sessions and migrations.

The only package that imports SQLAlchemy or Alembic; callers get plain
frozen dataclasses (`records`), never ORM rows.
"""

from ivorygrpc.store.calls import CallRepository
from ivorygrpc.store.database import Store
from ivorygrpc.store.records import CallRecord

__all__ = ["CallRecord", "CallRepository", "Store"]
