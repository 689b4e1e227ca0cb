"""WorkflowRepository on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import text

import ivorygrpc.store.workflows as workflows_module
from ivorygrpc.errors import AlreadyExists, FailedPrecondition, NotFound, StaleEtag
from ivorygrpc.store import WORKFLOW_ORDERS, WORKFLOW_STATES, Store, WorkflowRecord

T0 = datetime(2026, 4, 5, 6, 7, 8, 123456, tzinfo=UTC)
BY_NAME, BY_UPDATE_TIME = WORKFLOW_ORDERS


def ticking_clock(start: datetime = T0) -> Callable[[], datetime]:
    """A clock one millisecond later on every reading."""
    ticks = itertools.count()
    return lambda: start + timedelta(milliseconds=next(ticks))


def fixed_clock(*moments: datetime) -> Callable[[], datetime]:
    """A clock returning `moments` in turn, repeating the last one."""
    it = itertools.chain(moments, itertools.repeat(moments[-1]))
    return lambda: next(it)


def body(**fields: Any) -> dict[str, Any]:
    content: dict[str, Any] = {"display_name": "", "description": "", "deck": "lab",
                               "registered": False, "prep": [], "main": [], "cleanup": []}
    content.update(fields)
    return content


def names(records: Iterable[WorkflowRecord]) -> list[str]:
    return [r.name for r in records]


def count_rows(store: Store, table: str, column: str, value: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table} WHERE {column} = :v"),
                                {"v": value}).scalar_one())


def test_create_and_get(store: Store) -> None:
    store.workflows.clock = ticking_clock()
    content = body(display_name="Prime", main=[{"id": "s1", "call": {"instrument": "pump"}}])
    record = store.workflows.create("prime", content, author="alice")
    assert record == WorkflowRecord(name="prime", version=1, body=content, state="editing",
                                    author="alice", created_at=T0, updated_at=T0)
    assert record.created_at.tzinfo == UTC
    assert store.workflows.get("prime") == record
    assert store.workflows.get("prime", 1) == record
    assert store.workflows.get("prime", 2) is None
    assert store.workflows.get("prime", 0) is None
    assert store.workflows.get("Prime") is None  # names are case-sensitive
    assert store.workflows.get("nothing") is None
    assert store.workflows.get("pr\x00ime") is None
    assert WORKFLOW_STATES == ("editing", "finalized")


def test_body_round_trips(store: Store) -> None:
    content = {"display_name": "µL ✓ \x00 nul", "n": 1, "x": 2.5, "ok": True, "none": None,
               "nested": {"list": [1, "two", {"three": []}]}, "nan": float("nan"),
               "inf": [float("inf"), -float("inf")]}
    record = store.workflows.create("w", content, author="alice")
    expected = {**content, "nan": "NaN", "inf": ["Infinity", "-Infinity"]}
    assert record.body == expected and list(record.body) == list(expected)
    read = store.workflows.get("w")
    assert read == record and read is not None and list(read.body) == list(expected)
    assert isinstance(read.body["x"], float) and isinstance(read.body["n"], int)
    read.body["n"] = 99  # records are copies: the stored version does not change
    assert store.workflows.get("w") == record


def test_duplicate_name_raises_already_exists(store: Store) -> None:
    first = store.workflows.create("w", body(), author="alice")
    with pytest.raises(AlreadyExists) as caught:
        store.workflows.create("w", body(description="other"), author="bob", calls=["x"])
    assert caught.value.reason == "WORKFLOW_EXISTS"
    assert (caught.value.resource_type, caught.value.resource_name) == ("workflow", "w")
    assert store.workflows.get("w") == first
    assert store.workflows.callers("x") == []


def test_concurrent_creates_one_wins(store: Store) -> None:
    threads = 8
    barrier = threading.Barrier(threads)

    def go(i: int) -> WorkflowRecord | AlreadyExists:
        barrier.wait()
        try:
            return store.workflows.create("racer", body(description=f"d{i}"), author=f"u{i}",
                                          calls=[f"callee{i}"])
        except AlreadyExists as error:
            return error

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(go, range(threads)))
    winners = [r for r in results if isinstance(r, WorkflowRecord)]
    assert len(winners) == 1
    assert all(r.reason == "WORKFLOW_EXISTS" for r in results if isinstance(r, AlreadyExists))
    assert store.workflows.get("racer") == winners[0]
    assert store.workflows.versions("racer") == winners[0:1]
    winner = winners[0].author[1:]
    assert [store.workflows.callers(f"callee{i}") for i in range(threads)] == [
        ["racer"] if str(i) == winner else [] for i in range(threads)]


@pytest.mark.parametrize(("name", "content", "author", "calls", "error", "match"), [
    ("a\x00b", body(), "alice", (), ValueError, "name"),
    ("w", body(), "al\x00ice", (), ValueError, "author"),
    ("w", body(), "alice", ["ok", "b\x00ad"], ValueError, "calls"),
    ("w", body(), "alice", "abc", TypeError, "calls"),
    ("w", [1, 2], "alice", (), TypeError, "body"),
    ("w", {"when": datetime(2026, 1, 1)}, "alice", (), TypeError, "serializable"),
])
def test_create_rejects_bad_values(store: Store, name: str, content: Any, author: str,
                                   calls: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        store.workflows.create(name, content, author=author, calls=calls)
    assert store.workflows.list() == []


def test_versions_increment_and_stay_immutable(store: Store) -> None:
    store.workflows.clock = ticking_clock()
    v1 = store.workflows.create("w", body(description="first"), author="alice")
    v2 = store.workflows.save_version("w", body(description="second"), author="bob")
    v3 = store.workflows.save_version("w", body(description="third", main=[{"id": "x"}]),
                                      author="carol", expected_version=2)
    assert [v.version for v in (v1, v2, v3)] == [1, 2, 3]
    assert [v.author for v in (v1, v2, v3)] == ["alice", "bob", "carol"]
    assert v2.created_at == v3.created_at == v1.created_at == T0
    assert v1.updated_at < v2.updated_at < v3.updated_at
    assert v3.updated_at == T0 + timedelta(milliseconds=2)
    assert store.workflows.get("w") == v3
    assert store.workflows.get("w", 1) == v1  # old versions read back unchanged
    assert store.workflows.get("w", 2) == v2
    assert store.workflows.get("w", 3) == v3
    assert store.workflows.versions("w") == [v3, v2, v1]


def test_save_unknown_workflow(store: Store) -> None:
    for name in ("ghost", "gh\x00ost"):
        with pytest.raises(NotFound) as caught:
            store.workflows.save_version(name, body(), author="alice")
        assert caught.value.reason == "WORKFLOW_NOT_FOUND"
        assert (caught.value.resource_type, caught.value.resource_name) == ("workflow", name)
    with pytest.raises(NotFound):
        store.workflows.save_version("ghost", body(), author="alice", expected_version=1)
    assert store.workflows.list() == []


def test_save_rejects_bad_values(store: Store) -> None:
    created = store.workflows.create("w", body(), author="alice")
    with pytest.raises(ValueError, match="author"):
        store.workflows.save_version("w", body(), author="\x00")
    with pytest.raises(TypeError, match="body"):
        store.workflows.save_version("w", "{}", author="alice")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="calls"):
        store.workflows.save_version("w", body(), author="alice", calls=["\x00"])
    assert store.workflows.versions("w") == [created]


def test_stale_expected_version_changes_nothing(store: Store) -> None:
    store.workflows.create("w", body(), author="alice", calls=["x"])
    current = store.workflows.save_version("w", body(description="v2"), author="alice",
                                           calls=["y"])
    for stale in (1, 3, 0, -1):
        with pytest.raises(StaleEtag) as caught:
            store.workflows.save_version("w", body(description="lost"), author="bob",
                                         expected_version=stale, calls=["z"])
        assert caught.value.reason == "ETAG_MISMATCH"
    assert store.workflows.get("w") == current
    assert len(store.workflows.versions("w")) == 2
    assert (store.workflows.callers("y"), store.workflows.callers("z")) == (["w"], [])
    assert store.workflows.list(search="lost") == []
    v3 = store.workflows.save_version("w", body(), author="bob", expected_version=2)
    assert v3.version == 3


def test_concurrent_saves_with_one_expected_version_one_wins(store: Store) -> None:
    store.workflows.create("w", body(), author="alice")
    threads = 8
    barrier = threading.Barrier(threads)

    def go(i: int) -> WorkflowRecord | StaleEtag:
        barrier.wait()
        try:
            return store.workflows.save_version("w", body(description=f"d{i}"), author=f"u{i}",
                                                expected_version=1, calls=[f"c{i}"])
        except StaleEtag as error:
            return error

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(go, range(threads)))
    winners = [r for r in results if isinstance(r, WorkflowRecord)]
    assert len(winners) == 1 and winners[0].version == 2
    assert sum(isinstance(r, StaleEtag) for r in results) == threads - 1
    assert store.workflows.get("w") == winners[0]
    assert [v.version for v in store.workflows.versions("w")] == [2, 1]
    i = winners[0].author[1:]
    assert [name for n in range(threads) for name in store.workflows.callers(f"c{n}")] == ["w"]
    assert store.workflows.callers(f"c{i}") == ["w"]


def test_concurrent_saves_without_expected_version_all_land(store: Store) -> None:
    store.workflows.create("w", body(), author="alice")
    threads = 8
    barrier = threading.Barrier(threads)

    def go(i: int) -> WorkflowRecord:
        barrier.wait()
        return store.workflows.save_version("w", body(description=f"d{i}"), author=f"u{i}")

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(go, range(threads)))
    assert sorted(r.version for r in results) == list(range(2, threads + 2))
    stored = store.workflows.versions("w")
    assert [v.version for v in stored] == list(range(threads + 1, 0, -1))
    assert {v.version: v for v in stored if v.version > 1} == {r.version: r for r in results}


def test_finalize_blocks_saves_and_is_idempotent(store: Store) -> None:
    store.workflows.clock = ticking_clock()
    v1 = store.workflows.create("w", body(), author="alice")
    v2 = store.workflows.save_version("w", body(description="two"), author="bob")
    final = store.workflows.finalize("w")
    assert final is not None
    assert final == WorkflowRecord(name="w", version=2, body=v2.body, state="finalized",
                                   author="bob", created_at=v1.created_at,
                                   updated_at=v2.updated_at)  # no new version, no new time
    assert store.workflows.finalize("w") == final
    assert store.workflows.get("w") == final
    old = store.workflows.get("w", 1)
    assert old is not None and old.state == "finalized"  # the state is the workflow's
    assert (old.body, old.author, old.updated_at) == (v1.body, v1.author, v1.updated_at)
    for expected in (None, 2, 1):
        with pytest.raises(FailedPrecondition) as caught:
            store.workflows.save_version("w", body(), author="carol", expected_version=expected)
        assert caught.value.reason == "WORKFLOW_FINALIZED"
    assert store.workflows.versions("w") == [final, old]
    assert store.workflows.finalize("ghost") is None
    assert store.workflows.finalize("gh\x00ost") is None


def test_delete_removes_every_version(store: Store) -> None:
    store.workflows.create("w", body(), author="alice", calls=["x"])
    store.workflows.save_version("w", body(), author="alice", calls=["x", "y"])
    store.workflows.create("other", body(), author="alice")
    assert store.workflows.delete("w") is True
    assert store.workflows.get("w") is None and store.workflows.get("w", 1) is None
    assert store.workflows.versions("w") == []
    assert count_rows(store, "workflow_versions", "name", "w") == 0
    assert count_rows(store, "workflow_calls", "caller", "w") == 0
    assert store.workflows.callers("x") == []
    assert store.workflows.delete("w") is False
    assert store.workflows.delete("ghost") is False
    assert store.workflows.delete("gh\x00ost") is False
    assert names(store.workflows.list()) == ["other"]
    recreated = store.workflows.create("w", body(), author="bob")  # the name is free again
    assert recreated.version == 1 and store.workflows.versions("w") == [recreated]


def test_delete_refused_while_called(store: Store) -> None:
    callee = store.workflows.create("sub", body(registered=True), author="alice")
    store.workflows.create("a", body(), author="alice", calls=["sub"])
    store.workflows.create("c", body(), author="alice", calls=["sub", "other"])
    store.workflows.finalize("c")  # finalized callers count too
    with pytest.raises(FailedPrecondition) as caught:
        store.workflows.delete("sub")
    assert caught.value.reason == "WORKFLOW_IN_USE"
    assert caught.value.metadata == {"callers": "a,c"}
    assert store.workflows.get("sub") == callee and store.workflows.versions("sub") == [callee]

    store.workflows.save_version("a", body(), author="alice", calls=["other"])
    with pytest.raises(FailedPrecondition) as caught:
        store.workflows.delete("sub")
    assert caught.value.metadata == {"callers": "c"}
    assert store.workflows.delete("c") is True  # deleting a caller drops its calls
    assert store.workflows.callers("sub") == []
    assert store.workflows.delete("sub") is True
    assert store.workflows.get("sub", 1) is None


def test_only_the_latest_version_counts_and_self_calls_do_not_block(store: Store) -> None:
    store.workflows.create("sub", body(), author="alice")
    store.workflows.create("a", body(), author="alice", calls=["sub"])
    store.workflows.save_version("a", body(), author="alice")  # calls nothing now
    assert store.workflows.callers("sub") == []
    assert store.workflows.delete("sub") is True

    store.workflows.create("loop", body(), author="alice", calls=["loop"])
    assert store.workflows.callers("loop") == ["loop"]
    assert store.workflows.delete("loop") is True


def test_callers_sorted_and_deduplicated(store: Store) -> None:
    for name in ("zeta", "alpha", "Mid", "beta"):
        store.workflows.create(name, body(), author="alice", calls=["sub", "sub", "x"])
    store.workflows.create("none", body(), author="alice")
    assert store.workflows.callers("sub") == ["Mid", "alpha", "beta", "zeta"]  # byte order
    assert store.workflows.callers("x") == ["Mid", "alpha", "beta", "zeta"]
    assert store.workflows.callers("none") == []
    assert store.workflows.callers("ghost") == []
    assert store.workflows.callers("gh\x00ost") == []
    assert count_rows(store, "workflow_calls", "caller", "zeta") == 2


def test_concurrent_delete_waits_for_a_save_that_calls_it(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A save that adds a call and a delete of the callee never both succeed."""
    store.workflows.create("sub", body(), author="alice")
    store.workflows.create("a", body(), author="alice")
    inside, release = threading.Event(), threading.Event()
    real = workflows_module._add_version

    def paused(*args: Any, **kwargs: Any) -> Any:
        version = real(*args, **kwargs)
        inside.set()
        assert release.wait(10)
        return version  # the transaction commits after this returns

    monkeypatch.setattr(workflows_module, "_add_version", paused)
    with ThreadPoolExecutor(2) as pool:
        saving = pool.submit(store.workflows.save_version, "a", body(), author="alice",
                             calls=["sub"])
        assert inside.wait(10)
        deleting = pool.submit(store.workflows.delete, "sub")
        time.sleep(0.3)
        assert not deleting.done()  # waits for the save (row lock, SQLite write lock)
        release.set()
        assert saving.result(10).version == 2
        with pytest.raises(FailedPrecondition) as caught:
            deleting.result(10)
    assert caught.value.metadata == {"callers": "a"}
    assert store.workflows.get("sub") is not None


def test_foreign_keys_cascade_in_the_database(store: Store) -> None:
    store.workflows.create("w", body(), author="alice", calls=["x"])
    store.workflows.save_version("w", body(), author="alice", calls=["y"])
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM workflows WHERE name = 'w'"))
    assert count_rows(store, "workflow_versions", "name", "w") == 0
    assert count_rows(store, "workflow_calls", "caller", "w") == 0


def _library(store: Store) -> dict[str, WorkflowRecord]:
    store.workflows.clock = ticking_clock()
    made = [
        store.workflows.create("dispense", body(display_name="Dispense Liquid",
                                                description="Pumps 5 mL", registered=True),
                               author="alice"),
        store.workflows.create("hplc-run", body(display_name="HPLC run", deck="hplc",
                                                description="Runs the column"), author="bob"),
        store.workflows.create("wash", body(display_name="Wash", description="Rinse lines",
                                            registered="yes"), author="alice"),
        store.workflows.create("Äpfel", {"display_name": 7, "deck": "lab"}, author="carol"),
        store.workflows.create("bare", {}, author="carol"),
    ]
    store.workflows.finalize("wash")
    return {r.name: store.workflows.get(r.name) or r for r in made}


def test_list_filters(store: Store) -> None:
    library = _library(store)
    every = sorted(library)
    assert store.workflows.list() == [library[n] for n in every]
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"search": "dispense"}, ["dispense"]),  # name
        ({"search": "LIQUID"}, ["dispense"]),  # display name, case-insensitive
        ({"search": "pumps 5 ml"}, ["dispense"]),  # description
        ({"search": "run"}, ["hplc-run"]),  # name, display name and description
        ({"search": "lines"}, ["wash"]),
        ({"search": "äPFEL"}, ["Äpfel"]),  # non-ASCII case folding, on both backends
        ({"search": "7"}, []),  # a display name that is not a string is not searched
        ({"search": "nothing"}, []),
        ({"deck": "lab"}, ["dispense", "wash", "Äpfel"]),
        ({"deck": "hplc"}, ["hplc-run"]),
        ({"deck": "Lab"}, []),  # deck is an exact match
        ({"deck": ""}, every),  # "" means any
        ({"state": "finalized"}, ["wash"]),
        ({"state": "editing"}, ["bare", "dispense", "hplc-run", "Äpfel"]),
        ({"registered_only": True}, ["dispense"]),  # "yes" is not true
        ({"search": "e", "deck": "lab", "state": "editing"}, ["dispense", "Äpfel"]),
        ({"search": "n", "registered_only": True, "state": "finalized"}, []),
    ]
    for filters, expected in cases:
        assert names(store.workflows.list(**filters)) == sorted(expected), filters
    assert store.workflows.list(search="liquid") == [library["dispense"]]


def test_list_follows_the_latest_version(store: Store) -> None:
    store.workflows.create("w", body(display_name="Old title", deck="a", registered=True),
                           author="alice")
    store.workflows.save_version("w", body(display_name="New title", deck="b"), author="bob")
    assert names(store.workflows.list(search="new")) == ["w"]
    assert store.workflows.list(search="old") == []  # old versions are not searched
    assert names(store.workflows.list(deck="b")) == ["w"]
    assert store.workflows.list(deck="a") == []
    assert store.workflows.list(registered_only=True) == []
    listed = store.workflows.list()
    assert len(listed) == 1 and listed[0].version == 2 and listed[0].author == "bob"


def test_search_escapes_like_wildcards(store: Store) -> None:
    for name in ("a%b", "a_b", "axb", "a/b", "a\\b", "ab"):
        store.workflows.create(name, body(), author="alice")
    store.workflows.create("plain", body(description="100% done_now"), author="alice")
    assert names(store.workflows.list(search="%")) == ["a%b", "plain"]
    assert names(store.workflows.list(search="_")) == ["a_b", "plain"]
    assert names(store.workflows.list(search="a_b")) == ["a_b"]
    assert names(store.workflows.list(search="a%b")) == ["a%b"]
    assert names(store.workflows.list(search="/")) == ["a/b"]
    assert names(store.workflows.list(search="\\")) == ["a\\b"]
    assert names(store.workflows.list(search="0% d")) == ["plain"]
    assert names(store.workflows.list(search="%%")) == []


def test_list_by_name_pages(store: Store) -> None:
    for name in ("mallory", "alice", "Zed", "bob", "carol", "dave", "erin", "a.b", "alice2"):
        store.workflows.create(name, body(deck="lab" if len(name) > 3 else "x"), author="u")
    for filters in ({}, {"deck": "lab"}):
        expected = names(store.workflows.list(**filters, limit=100))
        assert expected == sorted(expected)  # byte order
        seen: list[str] = []
        after: tuple[str, ...] | None = None
        while True:
            page = store.workflows.list(**filters, limit=2, after=after)
            seen += names(page)
            if len(page) < 2:
                break
            after = (page[-1].name,)
        assert seen == expected
    assert names(store.workflows.list(limit=2, after=("b",))) == ["bob", "carol"]
    assert store.workflows.list(after=("zzz",)) == []


def test_list_by_update_time_pages_with_identical_times(store: Store) -> None:
    t0 = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    moments = ([t0] * 5 + [t0 + timedelta(microseconds=1)] * 4
               + [t0 - timedelta(seconds=1)] * 4 + [t0 + timedelta(hours=1)] * 3)
    store.workflows.clock = fixed_clock(*moments)
    made = [store.workflows.create(f"w{i:02d}", body(registered=i % 2 == 0), author="u")
            for i in range(13)]
    # three saves move workflows to the newest time (all three the same)
    made += [store.workflows.save_version(f"w{i:02d}", body(registered=i % 2 == 0), author="u")
             for i in (12, 0, 5)]
    latest = {r.name: r for r in sorted(made, key=lambda r: r.version)}
    by_name = sorted(latest.values(), key=lambda r: r.name)
    expected = sorted(by_name, key=lambda r: r.updated_at, reverse=True)
    assert names(expected[:3]) == ["w00", "w05", "w12"]  # ties: by name ascending

    assert store.workflows.list(order_by=BY_UPDATE_TIME, limit=100) == expected
    for filters in ({}, {"registered_only": True}):
        want = [r for r in expected if not filters or r.body["registered"]]
        seen: list[WorkflowRecord] = []
        after: tuple[str, ...] | None = None
        while True:
            page = store.workflows.list(**filters, order_by=BY_UPDATE_TIME, limit=3,
                                        after=after)
            seen += page
            if len(page) < 3:
                break
            after = (page[-1].updated_at.isoformat(), page[-1].name)
        assert seen == want


def test_update_time_cursor_in_other_timezones(store: Store) -> None:
    t0 = datetime(2026, 5, 6, 7, 8, 9, 1, tzinfo=UTC)
    store.workflows.clock = fixed_clock(t0, t0, t0 + timedelta(microseconds=1))
    for name in ("b", "a", "c"):
        store.workflows.create(name, body(), author="u")
    assert names(store.workflows.list(order_by=BY_UPDATE_TIME)) == ["c", "a", "b"]
    plus_two = t0.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert names(store.workflows.list(order_by=BY_UPDATE_TIME, after=(plus_two, "a"))) == ["b"]
    later = (t0 + timedelta(microseconds=1)).isoformat()
    assert names(store.workflows.list(order_by=BY_UPDATE_TIME, after=(later, "c"))) == [
        "a", "b"]


@pytest.mark.parametrize(("arguments", "match"), [
    ({"order_by": "name desc"}, "order_by"),
    ({"order_by": "update_time"}, "order_by"),
    ({"order_by": ""}, "order_by"),
    ({"state": "draft"}, "state"),
    ({"limit": -1}, "limit"),
    ({"after": ("a", "b")}, "after"),
    ({"after": ()}, "after"),
    ({"after": ("a\x00",)}, "after"),
    ({"order_by": BY_UPDATE_TIME, "after": ("a",)}, "after"),
    ({"order_by": BY_UPDATE_TIME, "after": ("yesterday", "a")}, "after"),
    ({"order_by": BY_UPDATE_TIME, "after": ("2026-01-02T03:04:05", "a")}, "after"),
])
def test_list_rejects_bad_arguments(store: Store, arguments: dict[str, Any],
                                    match: str) -> None:
    store.workflows.create("w", body(), author="u")
    with pytest.raises(ValueError, match=match):
        store.workflows.list(**arguments)


def test_list_limit_zero(store: Store) -> None:
    store.workflows.create("w", body(), author="u")
    assert store.workflows.list(limit=0) == []
    assert len(store.workflows.list(limit=1)) == 1


def test_versions_pages(store: Store) -> None:
    store.workflows.clock = ticking_clock()
    made = [store.workflows.create("w", body(description="v1"), author="alice")]
    made += [store.workflows.save_version("w", body(description=f"v{n}"), author="bob")
             for n in range(2, 8)]
    store.workflows.create("other", body(), author="alice")
    newest_first = made[::-1]
    assert store.workflows.versions("w") == newest_first
    pages: list[list[int]] = []
    before: int | None = None
    while True:
        page = store.workflows.versions("w", limit=3, before=before)
        pages.append([r.version for r in page])
        if len(page) < 3:
            break
        before = page[-1].version
    assert pages == [[7, 6, 5], [4, 3, 2], [1]]
    assert store.workflows.versions("w", before=1) == []
    assert store.workflows.versions("w", limit=2, before=100) == newest_first[:2]
    assert store.workflows.versions("w", limit=0) == []
    assert store.workflows.versions("ghost") == []
    assert store.workflows.versions("gh\x00ost") == []
    with pytest.raises(ValueError):
        store.workflows.versions("w", limit=-1)


def test_records_are_frozen(store: Store) -> None:
    record = store.workflows.create("w", body(), author="u")
    with pytest.raises(AttributeError):
        record.state = "finalized"  # type: ignore[misc]


def test_changes_grow_after_every_write_and_not_after_reads(store: Store) -> None:
    seen = [store.workflows.changes]

    def grew() -> bool:
        seen.append(store.workflows.changes)
        return seen[-1] > seen[-2]

    store.workflows.create("a", body(), author="alice")
    assert grew()
    store.workflows.get("a")
    store.workflows.list()
    store.workflows.versions("a")
    assert not grew()
    store.workflows.save_version("a", body(description="2"), author="alice")
    assert grew()
    store.workflows.finalize("a")
    assert grew()
    with pytest.raises(FailedPrecondition):  # refused and rolled back: counted all the same
        store.workflows.save_version("a", body(), author="alice")
    assert grew()
    assert store.workflows.delete("a")
    assert grew()
