"""The run queue through a real server: FIFO order, queue edits, submission checks,
idempotent submission, listing, deletion, and direct control while a run is active."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2, timestamp_pb2

from ivorygrpc.v1 import control_service_pb2 as control_pb
from ivorygrpc.v1 import control_service_pb2_grpc as control_grpc
from ivorygrpc.v1 import execute_service_pb2 as pb
from ivorygrpc.v1 import execute_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import run_pb2
from tests.fixtures.client import DeckClient, rich_status
from tests.fixtures.runs import (
    call,
    create_run,
    deck_module,
    finish,
    lit,
    mode,
    of_kind,
    par,
    paused,
    save_workflow,
    var,
    wait_for_event,
)
from tests.fixtures.server import Served

FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION
INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT
LAB_SERVICE = "ivorygrpc.deck.lab.v1.LabService"
OVERRIDE = (("ivorygrpc-override-busy", "true"),)


@pytest.fixture
async def served(run_deck_served: Served) -> Served:
    served = run_deck_served
    await save_workflow(served.channel, "held", main=[call("hold", step_id="h"),
                                                      call("add", a=lit(1), step_id="a")])
    await save_workflow(served.channel, "quick", main=[call("add", a=lit(2), step_id="a")])
    return served


def stub(channel: grpc.aio.Channel) -> pb_grpc.ExecuteServiceStub:
    return pb_grpc.ExecuteServiceStub(channel)


async def refused(call_: Awaitable[Any]) -> tuple[grpc.StatusCode, dict[str, Any]]:
    """The status code and rich details of a call that must fail."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call_
    return caught.value.code(), {**rich_status(caught.value),
                                 "message": caught.value.details()}


async def get_run(served: Served, run_id: str) -> run_pb2.Run:
    return (await stub(served.channel).GetRun(pb.GetRunRequest(run_id=run_id))).run


async def status(served: Served) -> pb.ExecutionStatus:
    return (await stub(served.channel).GetExecutionStatus(pb.GetExecutionStatusRequest())).status


async def queue_ids(served: Served, page_size: int = 0) -> list[str]:
    """The queued runs in start order, through every page of ListRuns order_by queue."""
    ids: list[str] = []
    token = ""
    while True:
        reply = await stub(served.channel).ListRuns(pb.ListRunsRequest(
            order_by="queue", page_size=page_size, page_token=token))
        ids += [r.id for r in reply.runs]
        assert [r.queue_position for r in reply.runs] == list(
            range(len(ids) - len(reply.runs) + 1, len(ids) + 1))
        token = reply.next_page_token
        if not token:
            return ids


async def held(served: Served, **fields: Any) -> run_pb2.Run:
    """A run of `held` inside its step `h` (the gate closed)."""
    deck_module().lab.gate.clear()
    run = await create_run(served.channel, "held", **fields)
    await wait_for_event(served.channel, run.id, lambda e: (
        e.WhichOneof("kind") == "step_started" and e.step_started.step_id == "h"))
    return run


async def all_events(served: Served) -> list[run_pb2.RunEvent]:
    """Every stored event (queue-wide ones included), up to the latest."""
    last = (await status(served)).last_sequence
    events: list[run_pb2.RunEvent] = []
    if last == 0:
        return events
    stream = stub(served.channel).StreamRunEvents(pb.StreamRunEventsRequest(), timeout=30)
    try:
        async for reply in stream:
            if reply.event.WhichOneof("kind") == "heartbeat":
                continue
            events.append(reply.event)
            if reply.event.sequence >= last:
                break
    finally:
        stream.cancel()
    return events


def queue_changes(events: list[run_pb2.RunEvent]) -> list[tuple[str, bool, str]]:
    return [(q.change, q.paused, q.run_id) for q in of_kind(events, "queue_changed")]


# -- FIFO and the queue switch -------------------------------------------------------------------


async def test_one_run_at_a_time_in_submission_order(served: Served) -> None:
    first = await held(served)
    second = await create_run(served.channel, "quick", display_name="second")
    third = await create_run(served.channel, "quick", display_name="third")
    assert (second.state, second.queue_position) == (run_pb2.RUN_STATE_QUEUED, 1)
    assert (third.state, third.queue_position) == (run_pb2.RUN_STATE_QUEUED, 2)
    now = await status(served)
    assert now.busy and not now.queue_paused
    assert now.current_run.id == first.id and now.current_run.state == run_pb2.RUN_STATE_RUNNING
    assert now.current_run.queue_position == 0 and now.queue_length == 2
    assert await queue_ids(served) == [second.id, third.id]
    assert await queue_ids(served, page_size=1) == [second.id, third.id]
    deck_module().lab.gate.set()
    runs = [(await finish(served.channel, r.id))[0] for r in (first, second, third)]
    assert [r.state for r in runs] == [run_pb2.RUN_STATE_SUCCEEDED] * 3
    for earlier, later in itertools.pairwise(runs):
        assert later.start_time.ToDatetime() >= earlier.end_time.ToDatetime()
    assert [name for name, _ in deck_module().lab.calls] == ["hold", "add", "add", "add"]
    after = await status(served)
    assert not after.busy and after.queue_length == 0 and not after.HasField("current_run")


async def test_pause_and_resume_queue_are_idempotent(served: Served) -> None:
    ex = stub(served.channel)
    paused_ = [(await ex.PauseQueue(pb.PauseQueueRequest())).status for _ in range(2)]
    assert all(s.queue_paused and not s.busy for s in paused_)
    run = await create_run(served.channel, "quick")
    assert run.state == run_pb2.RUN_STATE_QUEUED and run.queue_position == 1
    now = await status(served)
    assert now.queue_paused and not now.busy and now.queue_length == 1
    assert deck_module().lab.calls == []
    resumed = [(await ex.ResumeQueue(pb.ResumeQueueRequest())).status for _ in range(2)]
    assert not any(s.queue_paused for s in resumed)
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED
    assert queue_changes(await all_events(served)) == [("paused", True, ""),
                                                        ("resumed", False, "")]


async def test_a_run_submitted_while_another_runs_starts_when_it_ends(served: Served) -> None:
    first = await held(served)
    await stub(served.channel).PauseQueue(pb.PauseQueueRequest())
    second = await create_run(served.channel, "quick")
    deck_module().lab.gate.set()
    done, _ = await finish(served.channel, first.id)  # the running run goes on
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED
    assert (await get_run(served, second.id)).state == run_pb2.RUN_STATE_QUEUED
    await stub(served.channel).ResumeQueue(pb.ResumeQueueRequest())
    assert (await finish(served.channel, second.id))[0].state == run_pb2.RUN_STATE_SUCCEEDED


@pytest.mark.parametrize(("request_continue", "option", "goes_on"), [
    (None, None, False),   # the default pauses the queue
    (False, None, False),
    (True, None, True),
    (None, True, True),    # the run's continue_queue_on_stop
    (False, True, False),  # the request wins
])
async def test_after_a_stop_the_queue_pauses_unless_continue_queue(
        served: Served, request_continue: bool | None, option: bool | None,
        goes_on: bool) -> None:
    options = run_pb2.RunOptions()
    if option is not None:
        options.continue_queue_on_stop = option
    first = await held(served, options=options)
    waiting = await create_run(served.channel, "quick")
    request = pb.StopRunRequest(run_id=first.id, mode=pb.STOP_MODE_NOW)
    if request_continue is not None:
        request.continue_queue = request_continue
    await stub(served.channel).StopRun(request)
    deck_module().lab.gate.set()
    done, _ = await finish(served.channel, first.id)
    assert done.state == run_pb2.RUN_STATE_STOPPED
    if goes_on:
        nxt, _ = await finish(served.channel, waiting.id)
        assert nxt.state == run_pb2.RUN_STATE_SUCCEEDED
        assert not (await status(served)).queue_paused
    else:
        now = await status(served)
        assert now.queue_paused and not now.busy and now.queue_length == 1
        assert (await get_run(served, waiting.id)).state == run_pb2.RUN_STATE_QUEUED
        assert ("paused", True, first.id) in queue_changes(await all_events(served))
        await stub(served.channel).ResumeQueue(pb.ResumeQueueRequest())
        assert (await finish(served.channel, waiting.id))[0].state == \
            run_pb2.RUN_STATE_SUCCEEDED


async def test_a_stop_with_nothing_waiting_leaves_the_queue_running(served: Served) -> None:
    first = await held(served)
    await stub(served.channel).StopRun(pb.StopRunRequest(run_id=first.id, mode=pb.STOP_MODE_NOW))
    deck_module().lab.gate.set()
    await finish(served.channel, first.id)
    assert not (await status(served)).queue_paused
    later = await create_run(served.channel, "quick")
    assert (await finish(served.channel, later.id))[0].state == run_pb2.RUN_STATE_SUCCEEDED


# -- queue edits ---------------------------------------------------------------------------------


async def test_move_run_before_and_after_reorders_the_queue(served: Served) -> None:
    ex = stub(served.channel)
    await ex.PauseQueue(pb.PauseQueueRequest())
    a, b, c, d = [await create_run(served.channel, "quick", display_name=n) for n in "abcd"]
    moved = (await ex.MoveRun(pb.MoveRunRequest(run_id=d.id, before_run_id=a.id))).run
    assert moved.queue_position == 1
    assert await queue_ids(served) == [d.id, a.id, b.id, c.id]
    moved = (await ex.MoveRun(pb.MoveRunRequest(run_id=a.id, after_run_id=c.id))).run
    assert moved.queue_position == 4
    assert await queue_ids(served) == [d.id, b.id, c.id, a.id]
    assert [(await get_run(served, r.id)).queue_position for r in (a, b, c, d)] == [4, 2, 3, 1]
    changes = queue_changes(await all_events(served))
    assert changes[-2:] == [("moved", True, d.id), ("moved", True, a.id)]
    await ex.ResumeQueue(pb.ResumeQueueRequest())
    runs = [(await finish(served.channel, r.id))[0] for r in (d, b, c, a)]
    starts = [r.start_time.ToDatetime() for r in runs]
    assert starts == sorted(starts)


async def test_many_moves_into_one_gap_keep_the_order(served: Served) -> None:
    """Moving runs again and again between the same neighbours renumbers the queue."""
    ex = stub(served.channel)
    await ex.PauseQueue(pb.PauseQueueRequest())
    runs = [(await create_run(served.channel, "quick")).id for _ in range(4)]
    expected = list(runs)
    for turn in range(24):  # the gap between the first run and its follower halves each time
        mover = expected[-1] if turn % 2 == 0 else expected[-2]
        await ex.MoveRun(pb.MoveRunRequest(run_id=mover, after_run_id=expected[0]))
        expected.remove(mover)
        expected.insert(1, mover)
    assert await queue_ids(served) == expected
    assert await queue_ids(served, page_size=3) == expected


async def test_refused_moves_change_nothing(served: Served) -> None:
    running = await held(served)
    a, b = [await create_run(served.channel, "quick") for _ in range(2)]
    finished = running  # becomes finished below
    ex = stub(served.channel)
    cases = [
        (pb.MoveRunRequest(run_id=a.id), INVALID_ARGUMENT, None),
        (pb.MoveRunRequest(run_id=a.id, before_run_id=a.id), INVALID_ARGUMENT, None),
        (pb.MoveRunRequest(run_id="", before_run_id=a.id), INVALID_ARGUMENT, None),
        (pb.MoveRunRequest(run_id=a.id, before_run_id="ghost"), grpc.StatusCode.NOT_FOUND,
         "RUN_NOT_FOUND"),
        (pb.MoveRunRequest(run_id="ghost", before_run_id=a.id), grpc.StatusCode.NOT_FOUND,
         "RUN_NOT_FOUND"),
        (pb.MoveRunRequest(run_id=running.id, after_run_id=b.id), FAILED_PRECONDITION,
         "RUN_NOT_QUEUED"),
        (pb.MoveRunRequest(run_id=a.id, after_run_id=running.id), FAILED_PRECONDITION,
         "RUN_NOT_QUEUED"),
    ]
    for request, code, reason in cases:
        got, details = await refused(ex.MoveRun(request))
        assert got == code, request
        if reason:
            assert details["reason"] == reason, request
    code, details = await refused(ex.MoveRun(pb.MoveRunRequest(run_id=running.id,
                                                               before_run_id=a.id)))
    assert "running, not queued" in details["message"]
    assert await queue_ids(served) == [a.id, b.id]
    await ex.PauseQueue(pb.PauseQueueRequest())
    deck_module().lab.gate.set()
    await finish(served.channel, finished.id)
    code, details = await refused(ex.MoveRun(pb.MoveRunRequest(run_id=finished.id,
                                                               before_run_id=a.id)))
    assert (code, details["reason"]) == (FAILED_PRECONDITION, "RUN_NOT_QUEUED")
    assert await queue_ids(served) == [a.id, b.id]


async def test_update_run_renames_queued_runs_only(served: Served) -> None:
    running = await held(served)
    queued = await create_run(served.channel, "quick")
    assert queued.display_name == "quick"  # the workflow name when not given
    ex = stub(served.channel)
    renamed = (await ex.UpdateRun(pb.UpdateRunRequest(run_id=queued.id,
                                                      display_name="Échantillon 12 (retry)"))).run
    assert renamed.display_name == "Échantillon 12 (retry)" and renamed.queue_position == 1
    assert (await get_run(served, queued.id)).display_name == "Échantillon 12 (retry)"
    for bad in ("", "x" * 201, "tab\there"):
        code, details = await refused(ex.UpdateRun(pb.UpdateRunRequest(run_id=queued.id,
                                                                        display_name=bad)))
        assert code == INVALID_ARGUMENT and "display_name" in details["violations"], bad
    code, details = await refused(ex.UpdateRun(pb.UpdateRunRequest(run_id=running.id,
                                                                   display_name="new")))
    assert (code, details["reason"]) == (FAILED_PRECONDITION, "RUN_NOT_QUEUED")
    code, details = await refused(ex.UpdateRun(pb.UpdateRunRequest(run_id="ghost",
                                                                   display_name="new")))
    assert code == grpc.StatusCode.NOT_FOUND
    code, details = await refused(ex.UpdateRun(pb.UpdateRunRequest(display_name="new")))
    assert code == INVALID_ARGUMENT and "run_id" in details["violations"]
    assert (await get_run(served, running.id)).display_name == "held"
    assert (await get_run(served, queued.id)).display_name == "Échantillon 12 (retry)"
    assert ("renamed", False, queued.id) in queue_changes(await all_events(served))
    deck_module().lab.gate.set()
    for run in (running, queued):
        assert (await finish(served.channel, run.id))[0].state == run_pb2.RUN_STATE_SUCCEEDED


async def test_cancel_run_removes_a_queued_run(served: Served) -> None:
    running = await held(served)
    a, b, c = [await create_run(served.channel, "quick") for _ in range(3)]
    ex = stub(served.channel)
    cancelled = (await ex.CancelRun(pb.CancelRunRequest(run_id=b.id))).run
    assert cancelled.state == run_pb2.RUN_STATE_CANCELLED and cancelled.queue_position == 0
    assert cancelled.HasField("end_time") and not cancelled.HasField("start_time")
    assert await queue_ids(served) == [a.id, c.id]
    assert (await get_run(served, c.id)).queue_position == 2
    assert (await status(served)).queue_length == 2
    for run_id, code, reason in ((b.id, FAILED_PRECONDITION, "RUN_NOT_QUEUED"),
                                 (running.id, FAILED_PRECONDITION, "RUN_NOT_QUEUED"),
                                 ("ghost", grpc.StatusCode.NOT_FOUND, "RUN_NOT_FOUND"),
                                 ("", INVALID_ARGUMENT, "INVALID_ARGUMENT")):
        got, details = await refused(ex.CancelRun(pb.CancelRunRequest(run_id=run_id)))
        assert (got, details["reason"]) == (code, reason)
    deck_module().lab.gate.set()
    for run in (running, a, c):
        assert (await finish(served.channel, run.id))[0].state == run_pb2.RUN_STATE_SUCCEEDED
    assert (await get_run(served, b.id)).state == run_pb2.RUN_STATE_CANCELLED
    assert [name for name, _ in deck_module().lab.calls] == ["hold", "add", "add", "add"]
    _, events = await finish(served.channel, b.id)
    assert [e.state for e in of_kind(events, "state_changed")] == [
        run_pb2.RUN_STATE_QUEUED, run_pb2.RUN_STATE_CANCELLED]


# -- submission ----------------------------------------------------------------------------------


async def test_request_id_returns_the_same_run_even_concurrently(served: Served) -> None:
    ex = stub(served.channel)
    await ex.PauseQueue(pb.PauseQueueRequest())
    first = await create_run(served.channel, "quick", request_id="req-1")
    again = await create_run(served.channel, "quick", request_id="req-1")
    assert again.id == first.id
    replies = await asyncio.gather(*(create_run(served.channel, "quick", request_id="req-2")
                                     for _ in range(5)))
    assert len({r.id for r in replies}) == 1
    for turn in range(3):  # more concurrent retries, each on a fresh request id
        burst = await asyncio.gather(*(create_run(served.channel, "held",
                                                  request_id=f"burst-{turn}")
                                       for _ in range(8)))
        assert len({r.id for r in burst}) == 1
    other_user = await served.channel_as("operator")
    theirs = await create_run(other_user, "quick", request_id="req-1")
    assert theirs.id != first.id and theirs.submitter != first.submitter
    listed = await ex.ListRuns(pb.ListRunsRequest(workflow="quick"))
    assert len(listed.runs) == 3
    assert (await status(served)).queue_length == 6  # 3 of quick, 3 bursts of held
    ids = {first.id, replies[0].id, theirs.id}
    assert {r.id for r in listed.runs} == ids


async def test_a_refused_submission_can_be_retried_with_its_request_id(served: Served) -> None:
    code, _ = await refused(create_run(served.channel, "missing", request_id="req-3"))
    assert code == grpc.StatusCode.NOT_FOUND
    run = await create_run(served.channel, "quick", request_id="req-3")
    assert run.workflow == "quick"
    assert (await finish(served.channel, run.id))[0].state == run_pb2.RUN_STATE_SUCCEEDED


async def test_create_run_checks_the_workflow_and_every_parameter(served: Served) -> None:
    ex = stub(served.channel)
    before = await status(served)
    await save_workflow(served.channel, "broken", main=[
        call("nonexistent", step_id="n"),
        call("measure", x=var("undefined"), step_id="m")])
    await save_workflow(served.channel, "params", main=[
        call("measure", x=par("x"), step_id="m"), call("add", a=par("n"), step_id="a")])

    code, details = await refused(create_run(served.channel, "nope"))
    assert (code, details["reason"]) == (grpc.StatusCode.NOT_FOUND, "WORKFLOW_NOT_FOUND")
    code, details = await refused(create_run(served.channel, "quick", workflow_version=9))
    assert code == grpc.StatusCode.NOT_FOUND and "version 9" in details["message"]

    code, details = await refused(create_run(served.channel, "broken"))
    assert code == INVALID_ARGUMENT
    fields = set(details["violations"])
    assert any("[n]" in f for f in fields) and any("[m]" in f for f in fields), fields

    code, details = await refused(create_run(
        served.channel, "params", mode=mode(parameters={"x": "heavy", "extra": 1})))
    assert code == INVALID_ARGUMENT
    assert set(details["violations"]) >= {"mode.repeat.parameters.x",
                                          "mode.repeat.parameters.n",
                                          "mode.repeat.parameters.extra"}

    code, details = await refused(create_run(served.channel, "params", mode=mode(
        csv="x,n\n1.5,2\nabc,3\n2.0,\n")))
    assert code == INVALID_ARGUMENT and len(details["violations"]) >= 2, details
    assert all(f.startswith("mode.csv") for f in details["violations"])

    code, details = await refused(create_run(served.channel, "params", mode=mode(
        rows=[{"x": 1, "n": 2}, {"x": "no", "n": 2.5}])))
    assert code == INVALID_ARGUMENT
    assert set(details["violations"]) == {"mode.rows[1].x", "mode.rows[1].n"}

    code, details = await refused(create_run(served.channel, "quick", batch_size=-1,
                                             mode=mode(repeat=1)))
    assert code == INVALID_ARGUMENT and "batch_size" in details["violations"]
    code, details = await refused(create_run(served.channel, "quick", display_name="x" * 201))
    assert code == INVALID_ARGUMENT and "display_name" in details["violations"]
    code, _ = await refused(create_run(served.channel, ""))
    assert code == INVALID_ARGUMENT

    code, details = await refused(create_run(served.channel, "params", mode=run_pb2.RunMode(
        campaign=run_pb2.CampaignMode())))
    assert code == INVALID_ARGUMENT
    assert {"mode.campaign.iterations", "mode.campaign.spec.objectives"} <= set(
        details["violations"])

    # nothing was queued, nothing was recorded
    listed = await ex.ListRuns(pb.ListRunsRequest())
    assert list(listed.runs) == []
    after = await status(served)
    assert after.queue_length == 0 and after.last_sequence == before.last_sequence
    assert deck_module().lab.calls == []


async def test_good_rows_and_csv_are_converted_to_the_parameter_types(served: Served) -> None:
    await save_workflow(served.channel, "params", main=[
        call("measure", x=par("x"), save_as=["y"], step_id="m"),
        call("add", a=par("n"), step_id="a")])
    run = await create_run(served.channel, "params", mode=mode(csv="x,n\nfloat,int\n1,2\n"))
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED
    calls = deck_module().lab.calls
    assert calls == [("measure", (1.0,)), ("add", (2, 1))]
    assert type(calls[0][1][0]) is float and type(calls[1][1][0]) is int


# -- listing -------------------------------------------------------------------------------------


async def test_list_runs_filters_and_pages(served: Served) -> None:
    ex = stub(served.channel)
    done_runs = [await create_run(served.channel, "quick") for _ in range(3)]
    for run in done_runs:
        await finish(served.channel, run.id)
    await ex.PauseQueue(pb.PauseQueueRequest())
    queued = [await create_run(served.channel, "held") for _ in range(2)]
    everything = [*done_runs, *queued]
    newest_first = [r.id for r in reversed(everything)]

    async def listed(**fields: Any) -> list[str]:
        ids: list[str] = []
        token = ""
        while True:
            reply = await ex.ListRuns(pb.ListRunsRequest(page_token=token, **fields))
            ids += [r.id for r in reply.runs]
            assert len(reply.runs) <= (fields.get("page_size") or 50)
            token = reply.next_page_token
            if not token:
                return ids

    assert await listed() == newest_first
    assert await listed(page_size=2) == newest_first
    assert await listed(states=[run_pb2.RUN_STATE_SUCCEEDED]) == [
        r.id for r in reversed(done_runs)]
    assert await listed(states=[run_pb2.RUN_STATE_QUEUED], page_size=1) == [
        r.id for r in reversed(queued)]
    assert await listed(workflow="held") == [r.id for r in reversed(queued)]
    assert await listed(workflow="other") == []
    window = {"create_time_after": everything[1].create_time,
              "create_time_before": everything[3].create_time}
    assert await listed(**window) == [everything[2].id, everything[1].id]
    assert await listed(page_size=1, **window) == [everything[2].id, everything[1].id]

    first = await ex.ListRuns(pb.ListRunsRequest(page_size=2))
    token = first.next_page_token
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "garbage", "x" * 10):
        code, details = await refused(ex.ListRuns(pb.ListRunsRequest(page_size=2,
                                                                     page_token=bad)))
        assert (code, details["reason"]) == (INVALID_ARGUMENT, "INVALID_PAGE_TOKEN"), bad
    # a token is bound to its query
    code, _ = await refused(ex.ListRuns(pb.ListRunsRequest(page_size=2, page_token=token,
                                                           workflow="quick")))
    assert code == INVALID_ARGUMENT
    for request, field in ((pb.ListRunsRequest(order_by="name"), "order_by"),
                           (pb.ListRunsRequest(page_size=-1), "page_size"),
                           (pb.ListRunsRequest(states=[42]), "states")):  # type: ignore[list-item]
        code, details = await refused(ex.ListRuns(request))
        assert code == INVALID_ARGUMENT and field in details["violations"], field
    bad_time = timestamp_pb2.Timestamp(seconds=-10**15)
    code, _ = await refused(ex.ListRuns(pb.ListRunsRequest(create_time_after=bad_time)))
    assert code == INVALID_ARGUMENT


# -- deletion ------------------------------------------------------------------------------------


async def test_delete_run_only_removes_finished_runs(served: Served) -> None:
    ex = stub(served.channel)
    finished = await create_run(served.channel, "quick")
    await finish(served.channel, finished.id)
    running = await held(served)
    queued = await create_run(served.channel, "quick")
    for run, state in ((running, "running"), (queued, "queued")):
        code, details = await refused(ex.DeleteRun(pb.DeleteRunRequest(run_id=run.id)))
        assert (code, details["reason"]) == (FAILED_PRECONDITION, "RUN_NOT_FINISHED")
        assert state in details["message"]
    operator = stub(await served.channel_as("operator"))
    code, _ = await refused(operator.DeleteRun(pb.DeleteRunRequest(run_id=finished.id)))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert (await get_run(served, finished.id)).state == run_pb2.RUN_STATE_SUCCEEDED

    await ex.DeleteRun(pb.DeleteRunRequest(run_id=finished.id))
    code, details = await refused(ex.GetRun(pb.GetRunRequest(run_id=finished.id)))
    assert (code, details["reason"]) == (grpc.StatusCode.NOT_FOUND, "RUN_NOT_FOUND")
    code, _ = await refused(ex.DeleteRun(pb.DeleteRunRequest(run_id=finished.id)))
    assert code == grpc.StatusCode.NOT_FOUND
    code, _ = await refused(wait_for_event(served.channel, finished.id, lambda e: True))
    assert code == grpc.StatusCode.NOT_FOUND
    listed = await ex.ListRuns(pb.ListRunsRequest())
    assert finished.id not in {r.id for r in listed.runs}
    assert {running.id, queued.id} <= {r.id for r in listed.runs}

    deck_module().lab.gate.set()
    await finish(served.channel, queued.id)
    await ex.DeleteRun(pb.DeleteRunRequest(run_id=running.id))
    await ex.DeleteRun(pb.DeleteRunRequest(run_id=queued.id))
    assert list((await ex.ListRuns(pb.ListRunsRequest())).runs) == []


# -- direct control while a run is active ----------------------------------------------------


async def test_direct_control_is_refused_while_a_run_is_active(served: Served) -> None:
    control = control_grpc.ControlServiceStub(served.channel)
    deck = await DeckClient.connect(served.channel)
    arguments = json_format.ParseDict({"a": 1, "b": 2}, struct_pb2.Struct())

    async def call_method(**fields: Any) -> control_pb.CallMethodResponse:
        return await control.CallMethod(control_pb.CallMethodRequest(
            instrument="lab", method="add", arguments=arguments, **fields))

    async def calls_recorded() -> int:
        reply = await control.ListCalls(control_pb.ListCallsRequest(instrument="lab"))
        return len(reply.calls)

    assert (await call_method()).result.number_value == 3  # idle: allowed
    run = await held(served)
    recorded = await calls_recorded()
    assert (await status(served)).busy

    async def busy_refusals() -> None:
        for attempt in (call_method(), deck.call(LAB_SERVICE, "Add", {"a": 1, "b": 2})):
            code, details = await refused(attempt)
            assert (code, details["reason"]) == (FAILED_PRECONDITION, "INSTRUMENT_BUSY")
            assert "override_busy" in details["message"]
        assert await calls_recorded() == recorded  # a refused call leaves no record

    await busy_refusals()  # running
    await stub(served.channel).PauseRun(pb.PauseRunRequest(run_id=run.id))
    deck_module().lab.gate.set()
    await wait_for_event(served.channel, run.id, paused())
    await busy_refusals()  # paused

    # an operator may override (the run is paused, so nothing competes for the instrument)
    operator = await served.channel_as("operator")
    reply = await control_grpc.ControlServiceStub(operator).CallMethod(
        control_pb.CallMethodRequest(instrument="lab", method="add", arguments=arguments,
                                     override_busy=True))
    assert reply.result.number_value == 3
    typed = await deck.call(LAB_SERVICE, "Add", {"a": 1, "b": 2}, metadata=OVERRIDE)
    assert typed == {"result": "3"}  # int64 is text in proto JSON
    assert await calls_recorded() == recorded + 2

    await stub(served.channel).ResumeRun(pb.ResumeRunRequest(run_id=run.id))
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED
    # as soon as the run has ended, direct control works again
    assert not (await status(served)).busy
    assert (await call_method()).result.number_value == 3
    assert await deck.call(LAB_SERVICE, "Add", {"a": 1, "b": 2}) == {"result": "3"}


async def test_a_run_submitted_during_a_direct_call_starts_and_waits_for_the_instrument(
        served: Served) -> None:
    """IvoryOS bug 5: a run submitted while a direct call held the deck lock stalled."""
    control = control_grpc.ControlServiceStub(served.channel)
    lab = deck_module().lab
    lab.gate.clear()
    direct = asyncio.ensure_future(control.CallMethod(control_pb.CallMethodRequest(
        instrument="lab", method="hold")))
    try:
        while not lab.calls:  # the direct call is inside the instrument
            await asyncio.sleep(0.01)
        run = await create_run(served.channel, "quick")
        await wait_for_event(served.channel, run.id, lambda e: (
            e.WhichOneof("kind") == "step_started" and e.step_started.step_id == "a"))
        assert (await status(served)).busy
        assert [name for name, _ in lab.calls] == ["hold"]  # the run waits for the instrument
        lab.gate.set()
        assert (await direct).result.bool_value
    finally:
        lab.gate.set()
        await asyncio.gather(direct, return_exceptions=True)
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED
    assert [name for name, _ in lab.calls] == ["hold", "add"]
