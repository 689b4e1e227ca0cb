"""Stable field and enum numbers across restarts and signature edits.

The lock file (`field_numbers.lock.json` in the data folder) keeps every
number ever handed out, by message (or enum) full name and field name. It is
append-only: a new parameter gets a new number, a removed one keeps its number
reserved, so reordering or inserting parameters never renumbers the wire.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ivorygrpc.errors import DeckError

LOCK_FILE = "field_numbers.lock.json"
_FORMAT = 1


class FieldLock:
    """Hands out numbers by (scope, name); `path=None` keeps them in memory only."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._scopes: dict[str, dict[str, int]] = {}
        self._dirty = False
        if path is not None and path.exists():
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != _FORMAT:
                raise ValueError(f"unknown format {data.get('format')!r}")
            scopes = data["scopes"]
            self._scopes = {str(s): {str(k): int(v) for k, v in names.items()}
                            for s, names in scopes.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DeckError(f"field lock file {path} is unreadable: {exc}; "
                            "restore it from a backup: deleting it renumbers every field") from exc

    def number(self, scope: str, name: str, preferred: int | None = None) -> int:
        """The number of `name` in `scope`, assigning the next free one on first use."""
        names = self._scopes.setdefault(scope, {})
        if name in names:
            return names[name]
        used = set(names.values())
        if preferred is not None and preferred >= 1 and preferred not in used:
            number = preferred
        else:
            number = max(used, default=0) + 1
        names[name] = number
        self._dirty = True
        return number

    def retired(self, scope: str, present: set[str]) -> list[tuple[str, int]]:
        """Names locked in `scope` that are no longer present, with their numbers."""
        names = self._scopes.get(scope, {})
        return sorted(((n, num) for n, num in names.items() if n not in present),
                      key=lambda item: item[1])

    def save(self) -> None:
        """Write the file atomically if anything new was assigned."""
        if self.path is None or not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"format": _FORMAT, "scopes": self._scopes}, indent=1, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".lock-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        os.replace(tmp, self.path)
        self._dirty = False
