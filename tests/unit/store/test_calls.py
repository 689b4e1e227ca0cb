"""CallRepository on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from ivorygrpc.store import CallRecord, Store

ARGS: dict[str, Any] = {"volume_ml": 1.0, "count": 3, "ok": True, "note": "µL ✓", "none": None,
                        "nested": {"list": [1, 2.5, "x"], "empty": {}}}


def start(store: Store, **overrides: Any) -> tuple[CallRecord, bool]:
    fields: dict[str, Any] = {"instrument": "pump", "method": "dispense", "arguments": ARGS,
                              "caller": "alice"}
    fields.update(overrides)
    return store.calls.start(**fields)


def fixed_clock(*moments: datetime) -> Callable[[], datetime]:
    """A clock returning `moments` in turn, repeating the last one."""
    it = itertools.chain(moments, itertools.repeat(moments[-1]))
    return lambda: next(it)


def is_utc(value: datetime | None) -> bool:
    return value is not None and value.utcoffset() == timedelta(0)


def test_start_finish_get(store: Store) -> None:
    record, created = start(store, request_id="r-1")
    assert created
    assert len(record.id) == 32 and int(record.id, 16) >= 0
    assert (record.instrument, record.method, record.caller) == ("pump", "dispense", "alice")
    assert record.state == "running" and record.finished_at is None and record.output is None
    assert record.arguments == ARGS and isinstance(record.arguments["volume_ml"], float)
    assert is_utc(record.started_at)
    assert store.calls.get(record.id) == record

    done = store.calls.finish(record.id, output={"result": [1.5, "ok"]})
    assert done.state == "succeeded" and done.output == {"result": [1.5, "ok"]}
    assert done.error_type == done.error_message == ""
    assert is_utc(done.finished_at) and done.finished_at >= record.started_at  # type: ignore[operator]
    read = store.calls.get(record.id)
    assert read == done
    assert read is not None and read.arguments == ARGS and read.request_id == "r-1"


def test_finish_with_error_and_first_outcome_wins(store: Store) -> None:
    record, _ = start(store)
    failed = store.calls.finish(record.id, output="ignored", error_type="RuntimeError",
                                error_message="pump jammed\x00!")
    assert failed.state == "failed" and failed.output is None
    assert (failed.error_type, failed.error_message) == ("RuntimeError", "pump jammed\ufffd!")
    again = store.calls.finish(record.id, output=42)
    assert again == failed == store.calls.get(record.id)


def test_unknown_ids(store: Store) -> None:
    assert store.calls.get("0" * 32) is None
    with pytest.raises(KeyError):
        store.calls.finish("0" * 32, output=1)


def test_output_none_and_non_finite_floats(store: Store) -> None:
    record, _ = start(store, arguments={"x": float("nan"), "y": [float("inf"), -float("inf")]})
    assert record.arguments == {"x": "NaN", "y": ["Infinity", "-Infinity"]}
    assert store.calls.get(record.id) == record
    done = store.calls.finish(record.id)
    assert done.state == "succeeded" and done.output is None
    assert store.calls.get(record.id) == done
    falsy = store.calls.finish(start(store)[0].id, output=0)
    assert store.calls.get(falsy.id).output == 0  # type: ignore[union-attr]


def test_a_circular_value_is_a_clean_value_error_and_shared_values_are_fine(
        store: Store) -> None:
    looped: list[object] = [float("nan")]
    looped.append(looped)
    with pytest.raises(ValueError, match="Circular reference"):
        start(store, arguments={"x": looped})
    assert store.calls.list() == []
    shared = [float("inf")]
    record, _ = start(store, arguments={"a": shared, "b": [shared, shared]})
    assert record.arguments == {"a": ["Infinity"], "b": [["Infinity"], ["Infinity"]]}


def test_nul_in_keys_is_rejected(store: Store) -> None:
    with pytest.raises(ValueError, match="request_id"):
        start(store, request_id="a\x00b")
    assert store.calls.list() == []


def test_request_id_dedupe(store: Store) -> None:
    first, created = start(store, request_id="req-7")
    assert created
    again, created = start(store, request_id="req-7", arguments={"other": 1})
    assert not created and again == first
    assert store.calls.find_by_request_id("alice", "req-7") == first

    other, created = start(store, caller="bob", request_id="req-7")
    assert created and other.id != first.id
    assert store.calls.find_by_request_id("bob", "req-7") == other
    assert store.calls.find_by_request_id("carol", "req-7") is None

    a, created_a = start(store)
    b, created_b = start(store)
    assert created_a and created_b and a.id != b.id
    assert store.calls.find_by_request_id("alice", "") is None
    assert len(store.calls.list()) == 4


def test_dedupe_survives_finish(store: Store) -> None:
    first, _ = start(store, request_id="k")
    done = store.calls.finish(first.id, output=5)
    again, created = start(store, request_id="k")
    assert not created and again == done


def test_insert_race_rereads_the_winner(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-check misses a concurrent insert: the unique index catches it."""
    winner, _ = start(store, request_id="race")
    real = store.calls.find_by_request_id
    misses = iter([None])
    monkeypatch.setattr(store.calls, "find_by_request_id",
                        lambda caller, request_id: next(misses, None) or real(caller, request_id))
    loser, created = start(store, request_id="race")
    assert not created and loser == winner
    assert len(store.calls.list()) == 1


def test_concurrent_starts_create_one_record(store: Store) -> None:
    threads = 8
    barrier = threading.Barrier(threads)

    def go(_: int) -> tuple[CallRecord, bool]:
        barrier.wait()
        return start(store, request_id="same")

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(go, range(threads)))
    assert sum(created for _, created in results) == 1
    assert len({record.id for record, _ in results}) == 1
    assert len(store.calls.list()) == 1


def test_list_newest_first_with_filter(store: Store) -> None:
    base = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    store.calls.clock = fixed_clock(*(base + timedelta(microseconds=i) for i in range(6)))
    made = [start(store, instrument="pump" if i % 2 else "hplc")[0] for i in range(6)]
    listed = store.calls.list()
    assert [r.id for r in listed] == [r.id for r in reversed(made)]
    assert [r.started_at for r in listed] == sorted((r.started_at for r in made), reverse=True)
    pumps = store.calls.list(instrument="pump")
    assert [r.id for r in pumps] == [made[5].id, made[3].id, made[1].id]
    assert store.calls.list(instrument="nothing") == []
    assert len(store.calls.list(limit=2)) == 2
    assert store.calls.list(limit=0) == []
    with pytest.raises(ValueError):
        store.calls.list(limit=-1)


def test_keyset_pages_with_identical_started_at(store: Store) -> None:
    """Records started within the same microsecond still page exactly once each."""
    t0 = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    moments = [t0] * 9 + [t0 + timedelta(microseconds=1)] * 8 + [t0 - timedelta(seconds=1)] * 8
    store.calls.clock = fixed_clock(*moments)
    made = [start(store, instrument="pump" if i % 3 else "hplc")[0] for i in range(len(moments))]
    expected = sorted(made, key=lambda r: (r.started_at, r.id), reverse=True)

    for instrument in (None, "pump"):
        want = [r.id for r in expected if instrument is None or r.instrument == instrument]
        seen: list[str] = []
        before: tuple[datetime, str] | None = None
        while True:
            page = store.calls.list(instrument=instrument, limit=4, before=before)
            seen += [r.id for r in page]
            if len(page) < 4:
                break
            before = (page[-1].started_at, page[-1].id)
        assert seen == want


def test_cursor_from_iso_text_and_other_timezones(store: Store) -> None:
    """A cursor round-tripped through isoformat (page tokens) and in +02:00 still works."""
    t0 = datetime(2026, 5, 6, 7, 8, 9, 1, tzinfo=UTC)
    store.calls.clock = fixed_clock(t0, t0, t0 + timedelta(microseconds=1))
    made = [start(store)[0] for _ in range(3)]
    newest, *rest = sorted(made, key=lambda r: (r.started_at, r.id), reverse=True)
    cursor_time = datetime.fromisoformat(newest.started_at.isoformat())
    assert [r.id for r in store.calls.list(before=(cursor_time, newest.id))] == [
        r.id for r in rest]
    plus_two = newest.started_at.astimezone(timezone(timedelta(hours=2)))
    assert [r.id for r in store.calls.list(before=(plus_two, newest.id))] == [r.id for r in rest]


def test_timestamps_keep_microseconds_and_come_back_utc(store: Store) -> None:
    local = datetime(2026, 3, 4, 10, 11, 12, 345678, tzinfo=timezone(timedelta(hours=-5)))
    store.calls.clock = fixed_clock(local, local + timedelta(microseconds=7))
    record, _ = start(store)
    done = store.calls.finish(record.id)
    read = store.calls.get(record.id)
    assert read is not None
    assert read.started_at == local and read.started_at.tzinfo == UTC
    assert read.started_at.hour == 15 and read.started_at.microsecond == 345678
    assert read.finished_at == done.finished_at == local + timedelta(microseconds=7)
    assert read.finished_at is not None and read.finished_at.tzinfo == UTC


def test_mark_interrupted(store: Store) -> None:
    running = [start(store)[0] for _ in range(3)]
    finished = store.calls.finish(start(store)[0].id, output=1)
    failed = store.calls.finish(start(store)[0].id, error_type="E", error_message="m")
    assert store.calls.mark_interrupted() == 3
    for record in running:
        read = store.calls.get(record.id)
        assert read is not None and read.state == "failed"
        assert read.error_type == "Interrupted"
        assert read.error_message == "the server stopped before the call ended"
        assert is_utc(read.finished_at) and read.output is None
    assert store.calls.get(finished.id) == finished
    assert store.calls.get(failed.id) == failed
    assert store.calls.mark_interrupted() == 0


def test_records_are_frozen(store: Store) -> None:
    record, _ = start(store)
    with pytest.raises(AttributeError):
        record.state = "succeeded"  # type: ignore[misc]


@pytest.mark.parametrize("outcome", [
    {"output": 1.5}, {"output": 1.0}, {"output": None}, {"output": [1, "x", {"k": None}]},
    {"output": float("nan")}, {"output": "µL ✓"},
    {"output": "ignored", "error_type": "RuntimeError", "error_message": "jam\x00med"},
], ids=["float", "integral-float", "none", "nested", "nan", "text", "error"])
def test_finish_from_the_started_record_equals_the_stored_row(store: Store,
                                                              outcome: dict[str, Any]) -> None:
    record, _ = start(store)
    done = store.calls.finish(record.id, started=record, **outcome)
    assert done == store.calls.get(record.id)
    assert done.state == ("failed" if "error_type" in outcome else "succeeded")


def test_finish_from_the_started_record_keeps_the_first_outcome(store: Store) -> None:
    record, _ = start(store)
    first = store.calls.finish(record.id, output=1, started=record)
    again = store.calls.finish(record.id, error_type="E", error_message="late", started=record)
    assert again == first == store.calls.get(record.id)
    other, _ = start(store)
    with pytest.raises(KeyError):  # a record of another call is never used as the answer
        store.calls.finish("0" * 32, output=1, started=other)
