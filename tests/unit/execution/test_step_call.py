"""InstrumentCall.call_staged: the step's start commits in the instrument's thread right
before the call; when it cannot, the call waits for the commit; a refused start calls
nothing. Real store, event log, dispatcher and deck (tests/decks/run_deck.py)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from ivorygrpc.deck.codec import OperationCodec
from ivorygrpc.deck.descriptors import build_deck_files
from ivorygrpc.deck.dispatch import Dispatcher
from ivorygrpc.deck.fieldlock import FieldLock
from ivorygrpc.deck.introspect import Deck, introspect_module
from ivorygrpc.errors import NotFound
from ivorygrpc.execution.events import EventLog
from ivorygrpc.execution.step_call import InstrumentCall
from ivorygrpc.execution.values import Sample
from ivorygrpc.schema import build_schema
from ivorygrpc.store import Store
from ivorygrpc.store.records import AppendEvent, UpdateRun
from tests.decks import run_deck
from tests.unit.execution.conftest import ObservedRuns
from tests.unit.execution.test_events import stored


@functools.cache
def deck() -> Deck:
    return introspect_module(run_deck)


def codec(method: str) -> OperationCodec:
    spec = deck().spec
    schema = build_schema(build_deck_files(spec, FieldLock()))
    inst = next(i for i in spec.instruments if i.name == "lab")
    op = next(o for o in inst.operations if o.name == method)
    return OperationCodec(inst, op, schema.message_class(f"{inst.package}.{op.rpc}Request"),
                          schema.message_class(f"{inst.package}.{op.rpc}Response"))


@pytest.fixture
def dispatcher() -> Iterator[Dispatcher]:
    run_deck.lab.calls.clear()
    made = Dispatcher(deck().targets)
    yield made
    made.close()


def measure(dispatcher: Dispatcher, x: float, sample: Sample) -> InstrumentCall:
    measuring = codec("measure")
    return InstrumentCall(dispatcher, "lab", "measure", measuring,
                          measuring.from_json({"x": x}), ["twice"], sample)


def started(n: int) -> AppendEvent:
    return AppendEvent("r", "step_started", {"n": n}, datetime.now(UTC))


async def test_the_start_commits_in_the_instruments_thread_then_the_call_runs(
        store: Store, observed: tuple[EventLog, ObservedRuns], dispatcher: Dispatcher) -> None:
    log, runs = observed
    sample = Sample(0, {})
    call = measure(dispatcher, 2.5, sample)
    assert call.stageable()
    output = await call.call_staged(log.stage([started(1)]))
    assert output == 5.0 and sample.variables == {"twice": 5.0}
    assert run_deck.lab.calls == [("measure", (2.5,))]
    assert [e.payload["n"] for e in stored(store) if e.kind == "step_started"] == [1]
    # one hop: the apply ran in the instrument's thread, not in the writer's (asyncio's)
    assert runs.names[0].startswith("asyncio_") and not runs.names[-1].startswith("asyncio_")


async def test_a_busy_log_makes_the_call_wait_for_the_commit(
        store: Store, observed: tuple[EventLog, ObservedRuns], dispatcher: Dispatcher) -> None:
    log, runs = observed
    runs.entered.clear()
    runs.release.clear()
    other = log.submit([started(1)])  # the writer takes it and waits inside apply
    staged = log.stage([started(2)])
    call = measure(dispatcher, 1.0, Sample(0, {}))
    task = asyncio.ensure_future(call.call_staged(staged))
    await asyncio.to_thread(runs.entered.wait, 10)
    runs.release.set()
    assert await task == 2.0
    await other
    assert [e.payload["n"] for e in stored(store) if e.kind == "step_started"] == [1, 2]
    assert run_deck.lab.calls == [("measure", (1.0,))]  # called once, after the commit


async def test_a_refused_start_calls_nothing(
        observed: tuple[EventLog, ObservedRuns], dispatcher: Dispatcher) -> None:
    log, _ = observed
    call = measure(dispatcher, 1.0, Sample(0, {}))
    with pytest.raises(NotFound):
        await call.call_staged(log.stage([UpdateRun("missing", {"progress": {}}),
                                          started(1)]))
    assert run_deck.lab.calls == []
