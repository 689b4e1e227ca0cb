"""Plain values returned by the store (ORM rows never leave the package)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

CALL_STATES = ("running", "succeeded", "failed")


@dataclass(frozen=True)
class CallRecord:
    """One direct call: who called what, with which arguments, and how it ended."""

    id: str
    instrument: str
    method: str
    arguments: dict[str, Any]
    caller: str
    request_id: str
    state: str
    started_at: datetime
    finished_at: datetime | None
    output: Any
    error_type: str
    error_message: str
