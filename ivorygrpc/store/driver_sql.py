"""Prebuilt SQL for the hot writes (call records, run events and progress), run on
the driver's own cursor without a SQLAlchemy execution context, with the values bound
exactly as the ORM column types bind them, so every other reader sees the same rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Dialect

from ivorygrpc.store.models import json_dumps

_ENCODE = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode


def json_text(value: Any) -> str:
    """`json_dumps(value)`, the stored JSON text, with a prebuilt encoder when it can
    (raises TypeError when `value` is not JSON-able)."""
    try:
        return _ENCODE(value)
    except ValueError:  # non-finite floats (spelled as strings) or a circular reference
        return json_dumps(value)


class DriverSql:
    """The dialect's parameter marks, and values as the ORM types bind them (SQLite:
    naive UTC text timestamps, JSON as text; PostgreSQL: aware timestamps, JSON cast
    from text)."""

    def __init__(self, dialect: Dialect) -> None:
        if dialect.paramstyle == "qmark":
            self.mark = "?"
        elif dialect.paramstyle in ("format", "pyformat"):
            self.mark = "%s"
        else:
            raise ValueError(f"unsupported DBAPI parameter style {dialect.paramstyle!r}")
        self.sqlite = dialect.name == "sqlite"
        self.json_mark = self.mark if self.sqlite else f"CAST({self.mark} AS JSON)"

    def time(self, value: datetime) -> Any:
        """`value` (aware) as `UtcDateTime` binds it."""
        if self.sqlite:
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return value
