"""RunRepository on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from ivorygrpc.errors import AlreadyExists, NotFound
from ivorygrpc.store import (
    AppendEvent,
    DeleteRun,
    EventRecord,
    InsertRun,
    RunOp,
    RunRecord,
    Store,
    UpdateRun,
    run_cursor,
)

T0 = datetime(2026, 12, 20, 9, 30, 15, 123456, tzinfo=UTC)
NESTED: dict[str, Any] = {"text": "µL ✓ 試料 \U0001f9ea", "nul": "a\x00b", "int": 3, "float": 2.5,
                          "big": 2**53, "none": None, "ok": True, "empty": {}, "list": [],
                          "deep": {"rows": [{"x": [1, [2, {"y": "z"}]]}, None, -0.5]}}
_ids = itertools.count(1)


def insert(run_id: str | None = None, **overrides: Any) -> InsertRun:
    fields: dict[str, Any] = {
        "id": f"run-{next(_ids):04d}" if run_id is None else run_id,
        "display_name": "My run", "workflow": "assay", "workflow_version": 2,
        "submitter": "alice", "request_id": "",
        "mode": {"repeat": {"count": 3, "parameters": {"volume": 1.5}}}, "batch_size": 1,
        "options": {"cleanup_on_stop": True}, "plan": {"iterations": [[{"volume": 1.5}]] * 3},
        "position": 1000, "progress": {"iterations": 3}, "created_at": T0}
    fields.update(overrides)
    return InsertRun(**fields)


def event(run_id: str, kind: str = "log", time: datetime = T0, **payload: Any) -> AppendEvent:
    return AppendEvent(run_id, kind, payload, time)


def add(store: Store, *ops: InsertRun) -> list[RunRecord]:
    store.runs.apply(ops)
    found = [store.runs.get(op.id) for op in ops]
    assert all(found)
    return [run for run in found if run is not None]


def sequences(events: list[EventRecord]) -> list[int]:
    return [e.sequence for e in events]


def test_insert_get_plan_and_json_round_trip(store: Store) -> None:
    op = insert("r1", mode={"rows": {"rows": [NESTED, NESTED]}}, options=NESTED,
                plan={"iterations": [[NESTED]], "body": NESTED}, progress=NESTED,
                display_name="name\x00with nul")
    assert store.runs.apply([op]) == []
    run = store.runs.get("r1")
    assert run == RunRecord(
        id="r1", display_name="name\ufffdwith nul", workflow="assay", workflow_version=2,
        submitter="alice", request_id="", mode={"rows": {"rows": [NESTED, NESTED]}},
        batch_size=1, options=NESTED, state="queued", position=1000, pause=None,
        progress=NESTED, error=None, created_at=T0, started_at=None, finished_at=None)
    assert run.created_at.tzinfo == UTC and isinstance(run.options["float"], float)
    assert store.runs.plan("r1") == {"iterations": [[NESTED]], "body": NESTED}
    assert store.runs.plan("nope") is None and store.runs.get("nope") is None


def test_non_finite_floats_read_back_as_strings(store: Store) -> None:
    nan = float("nan")
    store.runs.apply([insert("r1", progress={"fraction": nan})])
    [appended] = store.runs.apply([event("r1", values=[float("inf"), -float("inf"), nan])])
    assert appended.payload == {"values": ["Infinity", "-Infinity", "NaN"]}
    assert store.runs.events_of("r1") == [appended]
    assert store.runs.get("r1").progress == {"fraction": "NaN"}  # type: ignore[union-attr]


def test_apply_returns_events_in_order(store: Store) -> None:
    later = T0 + timedelta(seconds=1)
    local = later.astimezone(timezone(timedelta(hours=-7)))
    store.runs.apply([insert("r1")])
    first = store.runs.apply([event("r1", "state_changed", state="RUN_STATE_QUEUED"),
                              UpdateRun("r1", {"state": "running", "started_at": local}),
                              event("", "queue_changed", time=local, change="moved"),
                              event("r1", "log", message="x" * 10_000)])
    assert [(e.run_id, e.kind) for e in first] == [
        ("r1", "state_changed"), ("", "queue_changed"), ("r1", "log")]
    assert first[1].time == later and first[1].time.tzinfo == UTC
    assert first[2].payload == {"message": "x" * 10_000}
    second = store.runs.apply([event("r1", n=n) for n in range(25)])
    all_sequences = sequences(first + second)
    assert all_sequences == sorted(set(all_sequences)) and all_sequences[0] >= 1
    assert [e.payload["n"] for e in second] == list(range(25))
    assert store.runs.events_after(0, limit=100) == first + second
    assert store.runs.last_sequence() == all_sequences[-1]
    assert store.runs.apply([]) == []


def test_update_fields_and_clearing(store: Store) -> None:
    store.runs.apply([insert("r1")])
    pause = {"id": "p1", "kind": "PAUSE_KIND_INPUT", "message": "ü?", "iteration": 2}
    started = T0 + timedelta(minutes=1)
    store.runs.apply([UpdateRun("r1", {"state": "paused", "position": None, "pause": pause,
                                       "started_at": started, "display_name": "re\x00named",
                                       "progress": {"phase": "RUN_PHASE_MAIN", "iteration": 2}})])
    run = store.runs.get("r1")
    assert run is not None
    assert (run.state, run.position, run.pause, run.started_at, run.display_name) == (
        "paused", None, pause, started, "re\ufffdnamed")
    assert run.progress == {"phase": "RUN_PHASE_MAIN", "iteration": 2}
    error = {"type": "Interrupted", "message": "the server stopped", "step_id": "s3"}
    store.runs.apply([UpdateRun("r1", {"state": "interrupted", "pause": None, "error": error,
                                       "finished_at": started + timedelta(seconds=5)})])
    again = store.runs.get("r1")
    assert again == replace(run, state="interrupted", pause=None, error=error,
                            finished_at=started + timedelta(seconds=5))
    store.runs.apply([UpdateRun("r1", {})])  # nothing to set: a no-op on a known run
    assert store.runs.get("r1") == again


def test_failing_op_rolls_back_the_whole_batch(store: Store) -> None:
    [kept] = add(store, insert("kept"))
    before = store.runs.last_sequence()
    batches: list[tuple[list[RunOp], type[Exception]]] = [
        ([insert("new"), event("new"), UpdateRun("kept", {"state": "running"}),
          UpdateRun("missing", {"state": "running"})], NotFound),
        ([UpdateRun("kept", {"state": "running"}), event("kept"), DeleteRun("kept"),
          DeleteRun("missing")], NotFound),
        ([insert("new"), event("new"), insert("kept")], AlreadyExists),
        ([UpdateRun("kept", {"position": 5}), insert("new", mode={"bad": object()})], TypeError),
    ]
    for ops, error in batches:
        with pytest.raises(error):
            store.runs.apply(ops)
        assert store.runs.get("kept") == kept
        assert store.runs.get("new") is None and store.runs.plan("new") is None
        assert store.runs.events_after(0) == [] and store.runs.last_sequence() == before
        assert store.runs.queued() == [("kept", 1000)]


def test_not_found_names_the_missing_run(store: Store) -> None:
    add(store, insert("a"), insert("b"))
    ops: list[RunOp] = [UpdateRun(r, {"position": p}) for r, p in (
        ("a", 1), ("ghost", 2), ("b", 3))]
    with pytest.raises(NotFound) as caught:
        store.runs.apply(ops)
    assert (caught.value.resource_type, caught.value.resource_name, caught.value.reason) == (
        "run", "ghost", "RUN_NOT_FOUND")
    assert store.runs.queued() == [("a", 1000), ("b", 1000)]
    for op in (UpdateRun("ghost", {}), DeleteRun("ghost"), UpdateRun("a\x00", {"position": 1}),
               DeleteRun("")):
        with pytest.raises(NotFound):
            store.runs.apply([op])
    with pytest.raises(NotFound, match="'a'"):  # deleted earlier in the same batch
        store.runs.apply([DeleteRun("a"), UpdateRun("a", {"position": 1})])
    assert store.runs.get("a") is not None


def test_unknown_update_key_raises_before_writing(store: Store) -> None:
    add(store, insert("r1"))
    for fields in ({"workflow": "other"}, {"state": "running", "sequence": 3}, {"id": "x"}):
        with pytest.raises(ValueError, match="cannot set"):
            store.runs.apply([insert("r2"), event("r1"), UpdateRun("r1", fields)])
    with pytest.raises(ValueError, match="state"):
        store.runs.apply([event("r1"), UpdateRun("r1", {"state": "exploded"})])
    with pytest.raises(ValueError, match="timezone-aware"):
        store.runs.apply([UpdateRun("r1", {"started_at": datetime(2026, 1, 1)})])
    with pytest.raises(TypeError):
        store.runs.apply([UpdateRun("r1", {"position": "7"})])
    assert store.runs.get("r2") is None and store.runs.events_after(0) == []
    assert store.runs.get("r1").state == "queued"  # type: ignore[union-attr]


def test_bad_inputs_are_refused_before_writing(store: Store) -> None:
    bad: list[tuple[RunOp, type[Exception]]] = [
        (insert("a\x00b"), ValueError), (insert(""), ValueError),
        (insert(submitter="al\x00ice"), ValueError), (insert(request_id="r\x00"), ValueError),
        (insert(workflow="w\x00"), ValueError),
        (insert(created_at=datetime(2026, 1, 1)), ValueError),
        (insert(plan=[1, 2]), TypeError), (insert(position=None), TypeError),
        (event("r", "lo\x00g"), ValueError), (event("r\x00"), ValueError),
        (event("r", "k" * 33), ValueError), (event("r", ""), ValueError),
        (AppendEvent("r", "log", {"x": object()}, T0), TypeError),
        (AppendEvent("r", "log", [], T0), TypeError),  # type: ignore[arg-type]
        (AppendEvent("r", "log", {}, datetime(2026, 1, 1)), ValueError),
    ]
    for op, error in bad:
        with pytest.raises(error):
            store.runs.apply([insert("first"), event("first"), op])
    with pytest.raises(TypeError, match="not a run operation"):
        store.runs.apply(["nope"])  # type: ignore[list-item]
    assert store.runs.list() == [] and store.runs.events_after(0) == []
    assert store.runs.apply([event("r", "k" * 32)])[0].kind == "k" * 32


def test_sequences_are_never_reused_after_deleting_the_newest_run(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        assert store.runs.last_sequence() == 0
        add(store, insert("old"), insert("new"))
        old_events = store.runs.apply([event("old", n=1), event("", "queue_changed")])
        newest = store.runs.apply([event("new", n=n) for n in range(3)])
        top = newest[-1].sequence
        assert store.runs.last_sequence() == top
        store.runs.apply([DeleteRun("new")])
        assert store.runs.last_sequence() == top  # did not go backwards
        assert store.runs.events_after(0) == old_events
        store.runs.apply([DeleteRun("old")])
        assert store.runs.last_sequence() == top
    finally:
        store.close()
    reopened = Store.open(database_url)
    try:
        assert reopened.runs.last_sequence() == top
        [after] = reopened.runs.apply([event("", "queue_changed")])
        assert after.sequence > top and reopened.runs.last_sequence() == after.sequence
        assert reopened.runs.events_after(0) == [*old_events[1:], after]
    finally:
        reopened.close()


def test_request_id_is_unique_per_submitter(store: Store) -> None:
    [first] = add(store, insert("a1", request_id="req-1"))
    with pytest.raises(AlreadyExists) as caught:
        store.runs.apply([insert("x0"), event("x0"), insert("a2", request_id="req-1")])
    assert (caught.value.resource_name, caught.value.reason) == ("req-1", "RUN_EXISTS")
    assert store.runs.get("x0") is None and store.runs.events_after(0) == []
    with pytest.raises(AlreadyExists):  # two inserts of one batch
        store.runs.apply([insert("b1", request_id="req-2"), insert("b2", request_id="req-2")])
    assert store.runs.get("b1") is None
    # another submitter, and runs without a request id, never clash
    add(store, insert("bob1", submitter="bob", request_id="req-1"),
        insert("e1"), insert("e2"), insert("e3", request_id=""))
    assert store.runs.find_by_request_id("alice", "req-1") == first
    assert store.runs.find_by_request_id("bob", "req-1") == store.runs.get("bob1")
    assert store.runs.find_by_request_id("carol", "req-1") is None
    assert store.runs.find_by_request_id("alice", "") is None
    assert store.runs.find_by_request_id("alice", "req\x00") is None
    # a deleted run frees its request id
    store.runs.apply([DeleteRun("a1"), insert("a3", request_id="req-1")])
    assert store.runs.find_by_request_id("alice", "req-1") == store.runs.get("a3")


def test_duplicate_run_id(store: Store) -> None:
    add(store, insert("same"))
    with pytest.raises(AlreadyExists) as caught:
        store.runs.apply([insert("same", submitter="bob")])
    assert (caught.value.resource_name, caught.value.reason) == ("same", "RUN_EXISTS")
    assert store.runs.get("same").submitter == "alice"  # type: ignore[union-attr]


def test_list_filters(store: Store) -> None:
    hour = timedelta(hours=1)
    runs = add(store, *(insert(f"r{i}", workflow="assay" if i % 2 else "wash",
                               created_at=T0 + i * hour) for i in range(6)))
    store.runs.apply([UpdateRun("r1", {"state": "running"}), UpdateRun("r2", {"state": "failed"}),
                      UpdateRun("r3", {"state": "succeeded"})])

    def ids(**filters: Any) -> list[str]:
        return [run.id for run in store.runs.list(**filters)]

    assert ids() == ["r5", "r4", "r3", "r2", "r1", "r0"]
    assert ids(states=["queued"]) == ["r5", "r4", "r0"]
    assert ids(states=("running", "failed")) == ["r2", "r1"]
    assert ids(workflow="assay") == ["r5", "r3", "r1"]
    assert ids(workflow="assay", states=["queued"]) == ["r5"]
    assert ids(workflow="none") == [] and ids(workflow="a\x00") == []
    assert ids(created_after=T0 + 2 * hour) == ["r5", "r4", "r3", "r2"]  # inclusive
    assert ids(created_before=T0 + 2 * hour) == ["r1", "r0"]  # exclusive
    plus_two = (T0 + 2 * hour).astimezone(timezone(timedelta(hours=2)))
    assert ids(created_after=plus_two, created_before=T0 + 4 * hour) == ["r3", "r2"]
    assert ids(limit=2) == ["r5", "r4"] and ids(limit=0) == []
    assert store.runs.list(states=["running"]) == [replace(runs[1], state="running")]
    for bad in ({"states": ["exploded"]}, {"order": "name"}, {"limit": -1},
                {"created_after": datetime(2026, 1, 1)}):
        with pytest.raises(ValueError):
            store.runs.list(**bad)
    with pytest.raises(TypeError):
        store.runs.list(states="queued")


def page_all(store: Store, order: str, size: int, **filters: Any) -> list[str]:
    seen: list[str] = []
    after: tuple[str, ...] | None = None
    while True:
        page = store.runs.list(order=order, limit=size, after=after, **filters)
        seen += [run.id for run in page]
        if len(page) < size:
            return seen
        after = run_cursor(page[-1], order)


def test_create_time_pages_with_ties(store: Store) -> None:
    moments = [T0] * 7 + [T0 + timedelta(microseconds=1)] * 6 + [T0 - timedelta(days=1)] * 6
    runs = add(store, *(insert(f"r{i:02d}", created_at=moment,
                               workflow="assay" if i % 3 else "wash")
                        for i, moment in enumerate(moments)))
    expected = sorted(runs, key=lambda r: (r.created_at, r.id), reverse=True)
    for size in (1, 4, 5, 100):
        assert page_all(store, "create_time desc", size) == [r.id for r in expected]
    assert page_all(store, "create_time desc", 3, workflow="assay") == [
        r.id for r in expected if r.workflow == "assay"]
    cursor = run_cursor(expected[2])
    assert cursor == (expected[2].created_at.isoformat(), expected[2].id)
    assert [r.id for r in store.runs.list(after=cursor)] == [r.id for r in expected[3:]]
    for bad in (("x", "y"), (T0.isoformat(),), ("2026-01-01T00:00:00", "r"), ["a", "b"],
                (T0.isoformat(), "r\x00")):
        with pytest.raises(ValueError):
            store.runs.list(after=bad)  # type: ignore[arg-type]


def test_queue_order_pages_with_ties(store: Store) -> None:
    positions = [3000, 1000, 2000, 1000, 2000, 1000, 500, 4000, 1000]
    add(store, *(insert(f"q{i}", position=p) for i, p in enumerate(positions)))
    store.runs.apply([UpdateRun("q7", {"state": "running", "position": None}),
                      UpdateRun("q0", {"state": "cancelled", "position": None})])
    expected = ["q6", "q1", "q3", "q5", "q8", "q2", "q4"]
    for size in (1, 2, 3, 7, 50):
        assert page_all(store, "queue", size) == expected
    assert store.runs.queued() == [(run_id, positions[int(run_id[1:])]) for run_id in expected]
    assert store.runs.max_position() == 2000
    assert [r.id for r in store.runs.list(order="queue", states=["running"])] == []
    assert run_cursor(store.runs.get("q3"), "queue") == ("1000", "q3")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        run_cursor(store.runs.get("q7"), "queue")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        run_cursor(store.runs.get("q3"), "name")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        store.runs.list(order="queue", after=("first", "q1"))


def test_queued_active_and_max_position_when_empty(store: Store) -> None:
    assert store.runs.queued() == [] and store.runs.active() == []
    assert store.runs.max_position() == 0
    add(store, *(insert(f"r{i}", position=i, created_at=T0 + timedelta(seconds=i))
                 for i in range(1, 6)))
    store.runs.apply([UpdateRun("r4", {"state": "paused", "position": None}),
                      UpdateRun("r2", {"state": "running", "position": None}),
                      UpdateRun("r5", {"state": "succeeded", "position": None})])
    assert [r.id for r in store.runs.active()] == ["r2", "r4"]
    assert store.runs.queued() == [("r1", 1), ("r3", 3)]
    assert store.runs.max_position() == 3


def test_events_after_and_events_of(store: Store) -> None:
    add(store, insert("a"), insert("b"))
    made = store.runs.apply([
        event("a", "state_changed", n=0), event("b", "log", n=1), event("", "queue_changed", n=2),
        event("a", "log", n=3), event("a", "step_started", n=4), event("b", "step_started", n=5),
        event("a", "log", n=6)])
    by_n = {e.payload["n"]: e for e in made}

    def ns(found: list[EventRecord]) -> list[int]:
        assert sequences(found) == sorted(sequences(found))
        return [e.payload["n"] for e in found]

    assert store.runs.events_after(0) == made
    assert ns(store.runs.events_after(by_n[2].sequence)) == [3, 4, 5, 6]
    assert ns(store.runs.events_after(0, run_id="a")) == [0, 3, 4, 6]
    assert ns(store.runs.events_after(by_n[3].sequence, run_id="a")) == [4, 6]
    assert ns(store.runs.events_after(0, run_id="")) == [2]
    assert ns(store.runs.events_after(0, kinds=["log"])) == [1, 3, 6]
    assert ns(store.runs.events_after(0, run_id="a", kinds=("log", "step_started"))) == [3, 4, 6]
    assert ns(store.runs.events_after(0, limit=2)) == [0, 1]
    assert store.runs.events_after(0, limit=0) == []
    assert store.runs.events_after(by_n[6].sequence) == []
    assert store.runs.events_after(0, run_id="zzz") == []
    assert store.runs.events_after(0, run_id="a\x00") == []
    assert ns(store.runs.events_of("a")) == [0, 3, 4, 6]
    assert ns(store.runs.events_of("b", kinds=["step_started"])) == [5]
    assert store.runs.events_of("zzz") == [] and store.runs.events_of("\x00") == []
    with pytest.raises(ValueError):
        store.runs.events_after(0, limit=-1)
    with pytest.raises(TypeError):
        store.runs.events_of("a", kinds="log")


def test_delete_run_removes_its_plan_and_events_only(store: Store) -> None:
    add(store, insert("gone"), insert("stays"))
    made = store.runs.apply([event("gone", n=0), event("stays", n=1), event("", n=2),
                             event("gone", n=3)])
    dropped = store.runs.apply([event("gone", n=4), DeleteRun("gone"), event("gone", n=5)])
    assert store.runs.get("gone") is None and store.runs.plan("gone") is None
    assert store.runs.plan("stays") is not None
    # events appended after the delete in the same batch stay (the run id is just text)
    assert store.runs.events_after(0) == [made[1], made[2], dropped[1]]
    assert store.runs.events_of("gone") == [dropped[1]]
    assert made[3].sequence < dropped[0].sequence < dropped[1].sequence
    assert [r.id for r in store.runs.list()] == ["stays"]


def test_many_ops_in_one_batch(store: Store) -> None:
    """The shapes the executor writes: many inserts, renumbered positions, interleaved
    updates and events."""
    count = 40
    ops: list[RunOp] = []
    for i in range(count):
        ops += [insert(f"m{i:02d}", position=i), event(f"m{i:02d}", "state_changed", i=i)]
    made = store.runs.apply(ops)
    assert [e.payload["i"] for e in made] == list(range(count))
    renumber: list[RunOp] = [UpdateRun(f"m{i:02d}", {"position": (count - i) * 10})
                             for i in range(count)]
    store.runs.apply(renumber)
    assert [run_id for run_id, _ in store.runs.queued()] == [f"m{i:02d}" for i in
                                                              reversed(range(count))]
    mixed: list[RunOp] = []
    for i in range(0, count, 2):
        mixed += [UpdateRun(f"m{i:02d}", {"state": "interrupted", "position": None,
                                          "finished_at": T0}),
                  event(f"m{i:02d}", "state_changed", i=i)]
    appended = store.runs.apply(mixed)
    assert [e.payload["i"] for e in appended] == list(range(0, count, 2))
    assert sequences(appended)[0] > sequences(made)[-1]
    assert len(store.runs.queued()) == count // 2
    assert store.runs.list(states=["interrupted"], limit=100)[0].finished_at == T0


def test_records_are_frozen(store: Store) -> None:
    [run] = add(store, insert("r1"))
    [appended] = store.runs.apply([event("r1")])
    with pytest.raises(AttributeError):
        run.state = "running"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        appended.sequence = 0  # type: ignore[misc]
