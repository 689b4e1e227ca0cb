"""Fixtures of the federation tests: lab B as a subprocess, lab A in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ivorygrpc.store import Store
from tests.federation.remote_server import LabB


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Lab A on SQLite only: federation does not depend on the database."""
    return Store.sqlite_url(tmp_path)


@pytest.fixture
async def lab_b(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LabB]:
    """Lab B on a free loopback port, logged in; lab A's deck reads LAB_B_TARGET/TOKEN."""
    async with LabB(tmp_path / "lab_b").running() as lab:
        monkeypatch.setenv("LAB_B_TARGET", lab.target)
        monkeypatch.setenv("LAB_B_TOKEN", lab.token)
        yield lab
