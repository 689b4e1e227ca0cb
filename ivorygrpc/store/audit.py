"""The audit log: who did what to whom, append-only, newest first.

One short session per method (thread-safe).
"""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import select

from ivorygrpc.store._common import Repository, check_limit, clean_text, stored_json
from ivorygrpc.store.models import AuditRow
from ivorygrpc.store.records import AuditRecord


class AuditRepository(Repository):
    """Append audit events and page through them by id."""

    def add(self, *, actor: str, action: str, target: str = "",
            detail: dict[str, Any] | None = None) -> AuditRecord:
        """Append one event at the current time; returns it with its new id.

        Text is kept as given except NUL characters, which are replaced (a failed login
        names whatever the client sent). `detail` must be a JSON-able dict (TypeError
        otherwise); it is returned as it reads back (non-finite floats as strings).
        """
        if detail is None:
            detail = {}
        if not isinstance(detail, dict):
            raise TypeError("detail must be a dict")
        row = AuditRow(time=self._now(), actor=clean_text(actor), action=clean_text(action),
                       target=clean_text(target), detail=stored_json(detail))
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            return _record(row)

    def list(self, *, limit: int = 50, before_id: int | None = None, actor: str | None = None,
             action: str | None = None) -> builtins.list[AuditRecord]:
        """Events newest first (id descending), at most `limit`, optionally only those of
        `actor` and/or `action`; `before_id` is the id of the last event of the previous
        page."""
        check_limit(limit)
        query = select(AuditRow)
        if actor is not None:
            query = query.where(AuditRow.actor == clean_text(actor))
        if action is not None:
            query = query.where(AuditRow.action == clean_text(action))
        if before_id is not None:
            query = query.where(AuditRow.id < before_id)
        query = query.order_by(AuditRow.id.desc()).limit(limit)
        with self._sessions() as session:
            return [_record(row) for row in session.scalars(query)]


def _record(row: AuditRow) -> AuditRecord:
    return AuditRecord(id=row.id, time=row.time, actor=row.actor, action=row.action,
                       target=row.target, detail=row.detail)
