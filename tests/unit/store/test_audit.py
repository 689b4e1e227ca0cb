"""AuditRepository on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import text

from ivorygrpc.store import AuditRecord, Store

T0 = datetime(2026, 9, 10, 11, 12, 13, 141516, tzinfo=UTC)


def test_add_returns_the_stored_event(store: Store) -> None:
    local = T0.astimezone(timezone(timedelta(hours=9)))
    store.audit.clock = lambda: local
    detail: dict[str, Any] = {"role": "admin", "first_start": True, "n": 3, "x": 1.5,
                              "nested": {"list": [1, "µ ✓", None]}}
    record = store.audit.add(actor="ivorygrpc", action="user_created", target="admin",
                             detail=detail)
    assert record == AuditRecord(id=record.id, time=T0, actor="ivorygrpc",
                                 action="user_created", target="admin", detail=detail)
    assert record.time.tzinfo == UTC and isinstance(record.id, int)
    assert store.audit.list() == [record]


def test_defaults_and_stored_forms(store: Store) -> None:
    bare = store.audit.add(actor="alice", action="password_changed")
    assert (bare.target, bare.detail) == ("", {})
    odd = store.audit.add(actor="anonymous", action="login_failed", target="mal\x00lory",
                          detail={"score": float("nan"), 1: "int key"})
    assert odd.target == "mal\ufffdlory"  # NUL replaced: clients send any name
    assert odd.detail == {"score": "NaN", "1": "int key"}
    assert store.audit.list() == [odd, bare]
    with pytest.raises(TypeError):
        store.audit.add(actor="a", action="b", detail={"x": object()})
    with pytest.raises(TypeError):
        store.audit.add(actor="a", action="b", detail=["not", "a", "dict"])  # type: ignore[arg-type]
    assert len(store.audit.list()) == 2


def _fill(store: Store) -> list[AuditRecord]:
    ticks = itertools.count()
    store.audit.clock = lambda: T0 + timedelta(seconds=next(ticks))
    actors = ["alice", "bob", "anonymous"]
    actions = ["user_created", "user_updated", "login_failed", "user_deleted"]
    return [store.audit.add(actor=actors[i % 3], action=actions[i % 4], target=f"u{i}",
                            detail={"i": i}) for i in range(25)]


def test_list_newest_first_with_filters(store: Store) -> None:
    made = _fill(store)
    ids = [r.id for r in made]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    newest_first = list(reversed(made))
    assert store.audit.list(limit=100) == newest_first
    assert store.audit.list() == newest_first  # default limit 50 > 25
    assert store.audit.list(limit=3) == newest_first[:3]
    assert store.audit.list(actor="bob", limit=100) == [r for r in newest_first
                                                        if r.actor == "bob"]
    assert store.audit.list(action="login_failed", limit=100) == [
        r for r in newest_first if r.action == "login_failed"]
    both = store.audit.list(actor="anonymous", action="user_updated", limit=100)
    assert both == [r for r in newest_first
                    if r.actor == "anonymous" and r.action == "user_updated"]
    assert both and all(r.actor == "anonymous" for r in both)
    assert store.audit.list(actor="nobody") == []
    assert store.audit.list(limit=0) == []
    with pytest.raises(ValueError):
        store.audit.list(limit=-1)


@pytest.mark.parametrize("filters", [{}, {"actor": "alice"}, {"action": "user_created"}])
def test_before_id_pages(store: Store, filters: dict[str, str]) -> None:
    made = _fill(store)
    want = [r for r in reversed(made) if all(getattr(r, k) == v for k, v in filters.items())]
    seen: list[AuditRecord] = []
    before: int | None = None
    while True:
        page = store.audit.list(limit=4, before_id=before, **filters)
        seen += page
        if len(page) < 4:
            break
        before = page[-1].id
    assert seen == want
    assert store.audit.list(before_id=made[0].id) == []
    assert store.audit.list(before_id=made[-1].id + 1000, limit=1) == [made[-1]]


def test_concurrent_adds_get_distinct_ids(store: Store) -> None:
    threads, each = 8, 10
    barrier = threading.Barrier(threads)

    def go(t: int) -> list[AuditRecord]:
        barrier.wait()
        return [store.audit.add(actor=f"t{t}", action="ping", detail={"n": n})
                for n in range(each)]

    with ThreadPoolExecutor(threads) as pool:
        made = [r for batch in pool.map(go, range(threads)) for r in batch]
    assert len({r.id for r in made}) == threads * each
    listed = store.audit.list(limit=1000)
    assert [r.id for r in listed] == sorted((r.id for r in made), reverse=True)
    for t in range(threads):  # each thread's events in its own order
        mine = [r.id for r in made if r.actor == f"t{t}"]
        assert mine == sorted(mine)


def test_ids_are_never_reused(store: Store) -> None:
    first = store.audit.add(actor="a", action="x")
    last = store.audit.add(actor="a", action="y")
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": last.id})
    again = store.audit.add(actor="a", action="z")
    assert again.id > last.id > first.id


def test_records_are_frozen(store: Store) -> None:
    record = store.audit.add(actor="a", action="b")
    with pytest.raises(AttributeError):
        record.actor = "c"  # type: ignore[misc]
