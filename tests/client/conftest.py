"""Fixtures of the client tests: a real server and `ivorygrpc.Client`s logged in to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ivorygrpc.client import Client
from ivorygrpc.store import Store
from tests.fixtures.runs import RUN_DECK, deck_module
from tests.fixtures.server import ADMIN_PASSWORD, ROOT, Served, ServeDeck

CLIENT_DECK = ROOT / "tests" / "decks" / "client_deck.py"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the client sees the same API whatever the store (the API tests cover
    PostgreSQL)."""
    return Store.sqlite_url(tmp_path)


@pytest.fixture
async def run_lab(serve_deck: ServeDeck) -> AsyncIterator[Served]:
    """The run deck served (its gate opened again at teardown)."""
    served = await serve_deck(RUN_DECK)
    yield served
    deck_module().lab.gate.set()


@pytest.fixture
async def client(run_lab: Served) -> AsyncIterator[Client]:
    """An admin's async client of the run deck, logged in with a password."""
    client = await Client.connect(run_lab.target, username="admin", password=ADMIN_PASSWORD,
                                  timeout=30)
    yield client
    await client.close()


@pytest.fixture
async def echo_lab(serve_deck: ServeDeck) -> Served:
    """The client deck (one echo per type) served."""
    return await serve_deck(CLIENT_DECK)
