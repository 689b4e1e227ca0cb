"""Call records commit in groups across threads; a store at the newest schema opens
without Alembic. SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine.interfaces import DBAPICursor

from ivorygrpc.store import CallRecord, Store
from ivorygrpc.store.database import MIGRATIONS, at_head, head_revision

ROOT = Path(__file__).resolve().parents[3]


def _start(store: Store, n: int) -> tuple[CallRecord, bool]:
    return store.calls.start(instrument="pump", method="dispense", arguments={"n": n},
                             caller="alice")


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def _blocking_leader(store: Store) -> tuple[threading.Thread, threading.Event]:
    """A thread whose write holds the commit lock until the returned event is set."""
    gate = threading.Event()
    holding = threading.Event()

    def hold(cursor: DBAPICursor) -> None:
        holding.set()
        gate.wait(10)

    leader = threading.Thread(target=store.calls.group_commit.run, args=(hold,))
    leader.start()
    holding.wait(10)
    return leader, gate


def test_writes_waiting_for_a_commit_share_the_next_one(store: Store) -> None:
    leader, gate = _blocking_leader(store)
    results: list[tuple[CallRecord, bool]] = []
    lock = threading.Lock()

    def start(n: int) -> None:
        record = _start(store, n)
        with lock:
            results.append(record)

    threads = [threading.Thread(target=start, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    _wait_until(lambda: len(store.calls.group_commit._queue) == 6)
    before = store.calls.group_commit.groups
    gate.set()
    for thread in [leader, *threads]:
        thread.join(10)
    assert store.calls.group_commit.groups - before == 2  # the leader's, then all six
    assert sorted(r.arguments["n"] for r, created in results if created) == list(range(6))
    stored = {r.id: r for r in store.calls.list()}
    assert all(stored[r.id] == r for r, _ in results)


def test_a_failing_write_fails_alone(store: Store) -> None:
    leader, gate = _blocking_leader(store)
    outcomes: dict[str, Any] = {}

    def bad() -> None:
        try:
            store.calls.group_commit.run(
                lambda cursor: cursor.execute("SELECT * FROM no_such_table"))
        except Exception as exc:
            outcomes["bad"] = exc

    def good() -> None:
        outcomes["good"] = _start(store, 1)

    threads = [threading.Thread(target=bad), threading.Thread(target=good)]
    for thread in threads:
        thread.start()
    _wait_until(lambda: len(store.calls.group_commit._queue) == 2)
    gate.set()
    for thread in [leader, *threads]:
        thread.join(10)
    assert "bad" in outcomes and "no_such_table" in str(outcomes["bad"])
    record, created = outcomes["good"]
    assert created and store.calls.get(record.id) == record


def test_head_revision_is_alembics_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_at_head(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        assert at_head(store.engine)
        with store.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        assert not at_head(store.engine)
        with store.engine.begin() as connection:
            connection.execute(text(f"UPDATE alembic_version SET version_num = "
                                    f"'{head_revision()}'"))
    finally:
        store.close()


@pytest.mark.parametrize("first", [True, False], ids=["new", "existing"])
def test_opening_new_or_current_database_never_imports_alembic(tmp_path: Path, first: bool) -> None:
    url = Store.sqlite_url(tmp_path)
    if not first:
        Store.open(url).close()
    code = ("import sys; from ivorygrpc.store import Store; Store.open(sys.argv[1]).close(); "
            "print('alembic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, url], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"  # a new database is built from the models


def test_a_duplicate_start_in_a_group_fails_alone(store: Store) -> None:
    """Writes sharing a commit: the one that breaks the unique index is retried alone
    and reports the earlier record; the others are committed once."""
    leader, gate = _blocking_leader(store)
    results: list[tuple[CallRecord, bool]] = []
    lock = threading.Lock()

    def go(request_id: str) -> None:
        found = store.calls.start(instrument="pump", method="dispense", arguments={},
                                  caller="alice", request_id=request_id)
        with lock:
            results.append(found)

    threads = [threading.Thread(target=go, args=(rid,)) for rid in ("k", "k", "x", "y")]
    for thread in threads:
        thread.start()
    _wait_until(lambda: len(store.calls.group_commit._queue) == 4)
    gate.set()
    for thread in [leader, *threads]:
        thread.join(10)
    created = sorted(r.request_id for r, made in results if made)
    assert created == ["k", "x", "y"]
    ks = {r.id for r, _ in results if r.request_id == "k"}
    assert len(ks) == 1  # the loser got the winner's record
    assert sorted(r.request_id for r in store.calls.list()) == ["k", "x", "y"]
