"""Small helpers shared by the repositories (private to `ivorygrpc.store`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ivorygrpc.store.models import json_dumps


def utc_now() -> datetime:
    """The current time, timezone-aware UTC, microsecond precision."""
    return datetime.now(UTC)


class Repository:
    """Base of the repositories: a session factory, its engine (for Core statements on
    hot paths) and a settable clock (for tests)."""

    def __init__(self, sessions: sessionmaker[Session],
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._sessions = sessions
        self._engine: Engine = sessions.kw["bind"]
        self.clock = clock

    def _now(self) -> datetime:
        return self.clock().astimezone(UTC)


def check_text(**fields: str) -> None:
    """Keys must be storable on every backend (PostgreSQL text rejects NUL)."""
    for name, value in fields.items():
        if "\x00" in value:
            raise ValueError(f"{name} must not contain NUL characters")


def clean_text(text: str) -> str:
    """Free text is kept, NUL characters replaced (PostgreSQL text rejects them)."""
    return text.replace("\x00", "\ufffd")


def stored_json(value: Any) -> Any:
    """`value` as it reads back from the database (raises TypeError if not JSON-able)."""
    return json.loads(json_dumps(value))


def aware(name: str, value: datetime) -> datetime:
    """`value` in UTC; a naive datetime is refused (ValueError) before it reaches SQL."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return value.astimezone(UTC)


def check_limit(limit: int) -> None:
    """Page sizes are never negative."""
    if limit < 0:
        raise ValueError("limit must not be negative")
