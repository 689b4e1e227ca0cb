"""A step's start is committed before its instrument moves, and a run commits once per step
(its end goes with the next step's start), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from ivorygrpc.store.records import EventRecord, RunOp
from tests.fixtures.runs import call, create_run, deck_module, finish, lit, of_kind, save_workflow
from tests.fixtures.server import Served


@pytest.fixture
async def served(run_deck_served: Served) -> Served:
    return run_deck_served


async def test_the_start_is_stored_when_the_instrument_moves(served: Served) -> None:
    lab = deck_module().lab
    await save_workflow(served.channel, "held", main=[
        call("add", a=lit(1), step_id="a"), call("hold", step_id="h"),
        call("add", a=lit(2), step_id="b")])
    lab.gate.clear()
    run = await create_run(served.channel, "held")
    for _ in range(600):  # until the instrument is inside `hold` (the gate keeps it there)
        if ("hold", ()) in lab.calls:
            break
        await asyncio.sleep(0.01)
    stored = await asyncio.to_thread(served.server.store.runs.events_of, run.id)
    steps = [(e.kind, e.payload["step_id"]) for e in stored if e.kind.startswith("step_")]
    lab.gate.set()
    assert steps == [("step_started", "a"), ("step_finished", "a"), ("step_started", "h")]
    done, events = await finish(served.channel, run.id)
    assert [e.step_id for e in of_kind(events, "step_finished")] == ["a", "h", "b"]
    assert done.progress.last_completed_step_id == "b"


async def test_a_run_commits_once_per_step_in_the_instruments_thread(
        served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    steps = 30
    await save_workflow(served.channel, "many", main=[
        call("add", a=lit(i), step_id=f"s{i}") for i in range(steps)])
    runs = served.server.store.runs
    threads: list[str] = []
    apply = runs.apply

    def watched(ops: Sequence[RunOp]) -> list[EventRecord]:
        threads.append(threading.current_thread().name)
        return apply(ops)
    monkeypatch.setattr(runs, "apply", watched)
    log = served.server.executor.log
    groups = log.groups
    run = await create_run(served.channel, "many")
    _, events = await finish(served.channel, run.id)
    assert [e.output.number_value for e in of_kind(events, "step_finished")] == [
        i + 1 for i in range(steps)]
    # the insert, start, phases and end take a few more; one per step, not two
    assert log.groups - groups <= steps + 10
    # each step's start (with the previous step's end) was committed by the thread that
    # then called the instrument, not by the writer's (asyncio's default executor)
    assert sum(not name.startswith("asyncio_") for name in threads) >= steps - 2
