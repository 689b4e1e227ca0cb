"""Fixtures shared by the execution unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ivorygrpc.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An open store on a SQLite file of its own."""
    opened = Store.open(Store.sqlite_url(tmp_path))
    yield opened
    opened.close()
