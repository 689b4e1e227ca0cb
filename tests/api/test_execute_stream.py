"""StreamRunEvents through a real server: replay, filters, resume, fan-out, heartbeats,
slow consumers and server stop.

The stored events (read from the server's store) are the reference every stream is
compared with: a stream must deliver exactly them, in order, with no gap and no
duplicate. Runs are held inside a step with the run deck's gate (`lab.hold` waits for
it), so a test acts at a known point of a live run without sleeping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

import grpc
import pytest

from ivorygrpc.services.run_convert import event_message
from ivorygrpc.store.records import EventRecord
from ivorygrpc.v1 import execute_service_pb2 as pb
from ivorygrpc.v1 import execute_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import run_pb2
from tests.fixtures.client import rich_status
from tests.fixtures.runs import (
    FINAL,
    RUN_DECK,
    call,
    create_run,
    deck_module,
    finish,
    lit,
    mode,
    of_kind,
    par,
    save_workflow,
    wait_for_event,
)
from tests.fixtures.server import Served, ServeDeck, bearer_auth

RunEvent = run_pb2.RunEvent


@pytest.fixture
async def served(run_deck_served: Served) -> Served:
    return run_deck_served


def stub(channel: grpc.aio.Channel) -> pb_grpc.ExecuteServiceStub:
    return pb_grpc.ExecuteServiceStub(channel)


def kind(event: RunEvent) -> str:
    return event.WhichOneof("kind") or ""


def is_final(event: RunEvent) -> bool:
    return kind(event) == "state_changed" and event.state_changed.state in FINAL


def started(step_id: str) -> Any:
    """Predicate: a step attempt of `step_id` started."""
    def match(event: RunEvent) -> bool:
        return kind(event) == "step_started" and event.step_started.step_id == step_id
    return match


def paused(event: RunEvent) -> bool:
    return kind(event) == "state_changed" and \
        event.state_changed.state == run_pb2.RUN_STATE_PAUSED


async def stored(served: Served, run_id: str | None = None, after: int = 0) -> list[RunEvent]:
    """The events in the server's store after `after` (of `run_id`), as messages."""
    def read() -> list[EventRecord]:
        out: list[EventRecord] = []
        cursor = after
        while True:
            page = served.server.store.runs.events_after(cursor, run_id=run_id, limit=1000)
            out.extend(page)
            if len(page) < 1000:
                return out
            cursor = page[-1].sequence
    return [event_message(record) for record in await asyncio.to_thread(read)]


def sequences(events: Iterable[RunEvent]) -> list[int]:
    return [e.sequence for e in events]


async def read_all(channel: grpc.aio.Channel, timeout: float = 60,
                   **request: Any) -> list[RunEvent]:
    """Every message of a stream that ends by itself (heartbeats included)."""
    call_ = stub(channel).StreamRunEvents(pb.StreamRunEventsRequest(**request), timeout=timeout)
    return [reply.event async for reply in call_]


async def read_all_of(call_: Any, into: list[RunEvent] | None = None) -> list[RunEvent]:
    """The rest of an open stream (appended to `into` as it arrives)."""
    got = into if into is not None else []
    async for reply in call_:
        got.append(reply.event)
    return got


async def read_until(call_: Any, predicate: Any) -> list[RunEvent]:
    """Read `call_` up to and including the first event matching `predicate`."""
    got: list[RunEvent] = []
    async for reply in call_:
        got.append(reply.event)
        if predicate(reply.event):
            return got
    raise AssertionError(f"the stream ended before the event; got {sequences(got)}")


async def follow_resuming(channel: grpc.aio.Channel, run_id: str,
                          after: int = 0) -> tuple[list[RunEvent], list[int]]:
    """Follow a run to its final state, resuming each time the server ends the stream as
    too slow; the events (heartbeats dropped) and the `last_sequence` of every resume."""
    events: list[RunEvent] = []
    resumes: list[int] = []
    while True:
        call_ = stub(channel).StreamRunEvents(pb.StreamRunEventsRequest(
            run_id=run_id, after_sequence=after, until_finished=True), timeout=60)
        try:
            async for reply in call_:
                if kind(reply.event) != "heartbeat":
                    events.append(reply.event)
                    after = reply.event.sequence
            return events, resumes
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                raise
            last = int(rich_status(error)["metadata"]["last_sequence"])
            assert last == after, "the server must name the last sequence it sent"
            resumes.append(last)


async def refused(call_: Any) -> tuple[grpc.StatusCode, dict[str, Any]]:
    """The status code and rich details of a stream that must fail."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in call_:
            pass
    return caught.value.code(), rich_status(caught.value)


async def hold_run(served: Served, name: str = "held", repeat: int = 2) -> run_pb2.Run:
    """A run of [hold (id h), measure (id m)] x `repeat`, held inside its first `h`."""
    await save_workflow(served.channel, name, main=[
        call("hold", step_id="h"), call("measure", x=par("x"), save_as=["y"], step_id="m")])
    deck_module().lab.gate.clear()
    run = await create_run(served.channel, name, mode=mode(repeat=repeat,
                                                           parameters={"x": 1.5}))
    await wait_for_event(served.channel, run.id, started("h"))
    return run


async def quick_run(served: Served, name: str = "quick", repeat: int = 2) -> run_pb2.Run:
    """A finished run of prep [reset], main [measure, add] x `repeat`."""
    await save_workflow(served.channel, name, prep=[call("reset")], main=[
        call("measure", x=par("x"), save_as=["y"]), call("add", a=lit(2), b=lit(3))])
    run = await create_run(served.channel, name, mode=mode(repeat=repeat, parameters={"x": 3}))
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    return done


# -- replay --------------------------------------------------------------------------------------


async def test_replay_of_a_finished_run_is_exactly_its_stored_record(served: Served) -> None:
    await save_workflow(served.channel, "twice", prep=[call("reset")], main=[
        call("measure", x=par("x"), save_as=["y"]), call("add", a=lit(2), b=lit(3))])
    run = await create_run(served.channel, "twice", mode=mode(repeat=2, parameters={"x": 3}))
    live = await read_all(served.channel, run_id=run.id, until_finished=True)
    replay = await read_all(served.channel, run_id=run.id, until_finished=True)
    want = await stored(served, run.id)
    assert replay == live == want  # the same messages: sequence, time and payload
    assert sequences(replay) == sorted(set(sequences(replay)))
    assert all(e.run_id == run.id for e in replay)
    assert is_final(replay[-1])  # until_finished: the final state change is the last one
    assert [e.state for e in of_kind(replay, "state_changed")] == [
        run_pb2.RUN_STATE_QUEUED, run_pb2.RUN_STATE_RUNNING, run_pb2.RUN_STATE_SUCCEEDED]
    # the record GetRun folds from the same events
    full = (await stub(served.channel).GetRun(pb.GetRunRequest(
        run_id=run.id, view=pb.RUN_VIEW_FULL))).run
    assert full.state == replay[-1].state_changed.state
    recorded = [(phase.phase, iteration.index, step.step_id, step.output)
                for phase in full.phases for iteration in phase.iterations
                for step in iteration.steps]
    finished = [(s.phase, s.iteration, s.step_id, s.output)
                for s in of_kind(replay, "step_finished")]
    assert recorded == finished and len(finished) == 1 + 2 * 2
    iterations = [(i.phase, i.index, i.total) for i in of_kind(replay, "iteration_started")]
    assert iterations[0] == (run_pb2.RUN_PHASE_PREP, 1, 1)
    assert [i for i in iterations if i[0] == run_pb2.RUN_PHASE_MAIN] == [
        (run_pb2.RUN_PHASE_MAIN, 1, 2), (run_pb2.RUN_PHASE_MAIN, 2, 2)]


async def test_replay_after_any_sequence_gives_exactly_the_rest(served: Served) -> None:
    run = await quick_run(served)
    every = await stored(served, run.id)
    for cut in (0, 1, len(every) // 2, len(every) - 1):
        after = every[cut - 1].sequence if cut else 0
        got = await read_all(served.channel, run_id=run.id, after_sequence=after,
                             until_finished=True)
        assert got == every[cut:], cut


async def test_the_run_filter_leaves_out_other_runs_and_queue_events(served: Served) -> None:
    execute = stub(served.channel)
    before = (await execute.GetExecutionStatus(pb.GetExecutionStatusRequest())).status
    await save_workflow(served.channel, "filtered", main=[call("measure", x=lit(1))])
    await execute.PauseQueue(pb.PauseQueueRequest())
    first = await create_run(served.channel, "filtered")
    await execute.UpdateRun(pb.UpdateRunRequest(run_id=first.id, display_name="renamed"))
    await execute.ResumeQueue(pb.ResumeQueueRequest())
    second = await create_run(served.channel, "filtered")
    await finish(served.channel, first.id)
    await finish(served.channel, second.id)
    want = await stored(served, after=before.last_sequence)
    assert is_final(want[-1]) and want[-1].run_id == second.id

    everything = stub(served.channel).StreamRunEvents(pb.StreamRunEventsRequest(
        after_sequence=before.last_sequence), timeout=60)
    try:
        got = await read_until(everything, lambda e: e.sequence == want[-1].sequence)
    finally:
        everything.cancel()
    assert got == want
    queue = [(e.run_id, e.queue_changed.change, e.queue_changed.run_id)
             for e in got if kind(e) == "queue_changed"]
    assert queue == [("", "paused", ""), ("", "renamed", first.id), ("", "resumed", "")]
    assert {e.run_id for e in got} == {"", first.id, second.id}

    for run in (first, second):
        only = await read_all(served.channel, run_id=run.id, after_sequence=before.last_sequence,
                              until_finished=True)
        assert only == [e for e in want if e.run_id == run.id]
        assert "queue_changed" not in {kind(e) for e in only}


async def test_until_finished_ends_after_the_final_state_of_a_live_run(served: Served) -> None:
    run = await hold_run(served)
    call_ = stub(served.channel).StreamRunEvents(pb.StreamRunEventsRequest(
        run_id=run.id, until_finished=True, heartbeat_seconds=1), timeout=60)
    events = await read_until(call_, started("h"))
    deck_module().lab.gate.set()
    events += await asyncio.wait_for(read_all_of(call_), 30)
    assert is_final(events[-1]) and events[-1].state_changed.state == run_pb2.RUN_STATE_SUCCEEDED
    assert [e for e in events if kind(e) != "heartbeat"] == await stored(served, run.id)


async def test_until_finished_after_the_final_state_ends_at_once(served: Served) -> None:
    run = await quick_run(served)
    every = await stored(served, run.id)
    status = (await stub(served.channel).GetExecutionStatus(
        pb.GetExecutionStatusRequest())).status
    for after in (every[-1].sequence, status.last_sequence, status.last_sequence + 100):
        began = time.perf_counter()
        assert await read_all(served.channel, timeout=10, run_id=run.id, after_sequence=after,
                              until_finished=True, heartbeat_seconds=1) == []
        assert time.perf_counter() - began < 5
    # from just before the final state change: that one event, then the end
    assert await read_all(served.channel, run_id=run.id, after_sequence=every[-2].sequence,
                          until_finished=True) == every[-1:]


# -- live: resume and fan-out --------------------------------------------------------------------


async def test_resume_after_a_dropped_stream_has_no_gap_and_no_duplicate(served: Served) -> None:
    run = await hold_run(served, repeat=3)
    execute = stub(served.channel)
    first = execute.StreamRunEvents(pb.StreamRunEventsRequest(run_id=run.id), timeout=60)
    part = await read_until(first, started("h"))
    first.cancel()  # the client goes away in the middle of the run
    last = part[-1].sequence
    # while nobody listens the run goes on: the held step ends, then it pauses
    await execute.PauseRun(pb.PauseRunRequest(run_id=run.id))
    deck_module().lab.gate.set()
    await wait_for_event(served.channel, run.id, paused, after_sequence=last)
    missed = await stored(served, run.id, after=last)
    assert [kind(e) for e in missed][:1] == ["step_finished"]
    second = execute.StreamRunEvents(pb.StreamRunEventsRequest(
        run_id=run.id, after_sequence=last, until_finished=True), timeout=60)
    rest = await read_until(second, lambda e: e.sequence == missed[-1].sequence)
    assert rest == missed  # what happened during the gap, replayed
    await execute.ResumeRun(pb.ResumeRunRequest(run_id=run.id))  # and the rest live
    rest += [reply.event async for reply in second]
    union = part + rest
    assert is_final(union[-1])
    assert union == await stored(served, run.id)
    assert sequences(union) == sorted(set(sequences(union)))


async def test_fifty_subscribers_get_the_same_complete_ordered_sequence(served: Served) -> None:
    run = await hold_run(served, repeat=5)
    subscribed = 0
    all_subscribed = asyncio.Event()

    async def subscriber() -> list[RunEvent]:
        nonlocal subscribed
        got: list[RunEvent] = []
        call_ = stub(served.channel).StreamRunEvents(pb.StreamRunEventsRequest(
            run_id=run.id, until_finished=True), timeout=60)
        async for reply in call_:
            if not got:  # the first (replayed) event: its live subscription is in place
                subscribed += 1
                if subscribed == 50:
                    all_subscribed.set()
            got.append(reply.event)
        return got

    tasks = [asyncio.ensure_future(subscriber()) for _ in range(50)]
    await asyncio.wait_for(all_subscribed.wait(), 30)
    in_store_when_subscribed = len(await stored(served, run.id))
    deck_module().lab.gate.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), 60)
    want = await stored(served, run.id)
    assert is_final(want[-1]) and len(want) > in_store_when_subscribed + 10  # most came live
    for got in results:
        assert got == want


# -- heartbeats and bad requests -----------------------------------------------------------------


async def test_an_idle_stream_gets_heartbeats_with_the_last_sequence_sent(
        served: Served) -> None:
    run = await quick_run(served)
    every = await stored(served, run.id)
    execute = stub(served.channel)
    filtered = execute.StreamRunEvents(pb.StreamRunEventsRequest(
        run_id=run.id, heartbeat_seconds=1), timeout=60)
    try:
        got = await read_until(filtered, lambda e: e.sequence == every[-1].sequence)
        assert got == every
        began = time.perf_counter()
        beat = (await filtered.read()).event
        assert kind(beat) == "heartbeat" and beat.sequence == every[-1].sequence
        assert not beat.run_id
        assert 0.8 <= time.perf_counter() - began < 5
    finally:
        filtered.cancel()

    last = (await execute.GetExecutionStatus(pb.GetExecutionStatusRequest())).status
    everything = execute.StreamRunEvents(pb.StreamRunEventsRequest(
        after_sequence=last.last_sequence, heartbeat_seconds=1), timeout=60)
    try:
        beat = (await everything.read()).event
        assert (kind(beat), beat.sequence) == ("heartbeat", last.last_sequence)
        await execute.PauseQueue(pb.PauseQueueRequest())  # something happens: sent at once
        change = (await everything.read()).event
        assert kind(change) == "queue_changed" and change.sequence > last.last_sequence
        beat = (await everything.read()).event
        assert (kind(beat), beat.sequence) == ("heartbeat", change.sequence)
    finally:
        everything.cancel()


@pytest.mark.parametrize(("request_fields", "field"), [
    ({"heartbeat_seconds": -1}, "heartbeat_seconds"),
    ({"heartbeat_seconds": 3601}, "heartbeat_seconds"),
    ({"after_sequence": -1}, "after_sequence"),
])
async def test_bad_arguments_are_refused(served: Served, request_fields: dict[str, Any],
                                         field: str) -> None:
    code, details = await refused(stub(served.channel).StreamRunEvents(
        pb.StreamRunEventsRequest(**request_fields), timeout=10))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert field in details["violations"]


async def test_an_unknown_run_is_not_found(served: Served) -> None:
    code, details = await refused(stub(served.channel).StreamRunEvents(
        pb.StreamRunEventsRequest(run_id="no-such-run", until_finished=True), timeout=10))
    assert code == grpc.StatusCode.NOT_FOUND
    assert details["reason"] == "RUN_NOT_FOUND"


async def test_a_viewer_may_stream(served: Served) -> None:
    run = await quick_run(served)
    viewer = await served.channel_as("viewer")
    assert await read_all(viewer, run_id=run.id, until_finished=True) \
        == await stored(served, run.id)
    everything = stub(viewer).StreamRunEvents(pb.StreamRunEventsRequest(), timeout=60)
    try:
        assert (await everything.read()).event == (await stored(served))[0]
    finally:
        everything.cancel()


# -- slow consumers ------------------------------------------------------------------------------


async def test_a_slow_consumer_is_ended_and_resumes_without_gap(serve_deck: ServeDeck) -> None:
    served = await serve_deck(RUN_DECK, stream_capacity=20)
    await save_workflow(served.channel, "fast", main=[
        call("measure", x=par("x"), save_as=["y"]), call("note", text=lit("n" * 100))])
    # BDP probing would let gRPC grow the window to megabytes of unread messages;
    # without it the unread stream blocks the server after about 64 KiB.
    slow_channel = grpc.aio.insecure_channel(
        served.target, interceptors=bearer_auth(served.token),
        options=[("grpc.http2.bdp_probe", 0)])
    try:
        execute = stub(served.channel)
        await execute.PauseQueue(pb.PauseQueueRequest())
        run = await create_run(served.channel, "fast",
                               mode=mode(repeat=200, parameters={"x": 2}))
        slow = stub(slow_channel).StreamRunEvents(pb.StreamRunEventsRequest(), timeout=60)
        # a stream subscribes before it replays: once the first stored event arrived,
        # every later one is on its way to this consumer
        first = (await slow.read()).event
        assert kind(first) == "queue_changed"
        await execute.ResumeQueue(pb.ResumeQueueRequest())
        # the run is not held back by the consumer that does not read
        events, _ = await asyncio.wait_for(follow_resuming(served.channel, run.id), 60)
        assert is_final(events[-1])
        assert events[-1].state_changed.state == run_pb2.RUN_STATE_SUCCEEDED
        want = await stored(served)
        assert len(want) > 1000

        got = [first]
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for reply in slow:
                got.append(reply.event)
        error = caught.value
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        details = rich_status(error)
        assert details["reason"] == "STREAM_TOO_SLOW"
        last = int(details["metadata"]["last_sequence"])
        assert got and last == got[-1].sequence < want[-1].sequence
        assert got == want[:len(got)]
        assert f"after_sequence={last}" in (error.details() or "")
    finally:
        await slow_channel.close()

    resumed = stub(served.channel).StreamRunEvents(pb.StreamRunEventsRequest(
        after_sequence=last), timeout=60)
    try:
        rest = await read_until(resumed, lambda e: e.sequence == want[-1].sequence)
    finally:
        resumed.cancel()
    assert got + rest == want


# -- server stop ---------------------------------------------------------------------------------


async def test_a_server_stop_ends_open_streams(served: Served) -> None:
    run = await hold_run(served)
    execute = stub(served.channel)
    await execute.PauseRun(pb.PauseRunRequest(run_id=run.id))
    deck_module().lab.gate.set()  # no step in flight: the run waits for an operator
    of_run = execute.StreamRunEvents(pb.StreamRunEventsRequest(
        run_id=run.id, until_finished=True, heartbeat_seconds=3600), timeout=60)
    everything = execute.StreamRunEvents(pb.StreamRunEventsRequest(heartbeat_seconds=3600),
                                         timeout=60)
    seen = await read_until(everything, paused)  # both streams are subscribed
    await read_until(of_run, paused)
    stopping = asyncio.ensure_future(served.server.stop(grace=5))
    try:
        # the paused run is interrupted: its stream ends after that final state
        rest = await asyncio.wait_for(read_all_of(of_run), 10)
        assert is_final(rest[-1])
        assert rest[-1].state_changed.state == run_pb2.RUN_STATE_INTERRUPTED
        # an open-ended stream ends too, telling the client to come back later
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await asyncio.wait_for(read_all_of(everything, seen), 10)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        details = rich_status(caught.value)
        assert details["reason"] == "SERVER_STOPPING"
        assert int(details["metadata"]["last_sequence"]) == seen[-1].sequence
        assert seen[-1] == rest[-1]
    finally:
        await asyncio.wait_for(stopping, 30)

