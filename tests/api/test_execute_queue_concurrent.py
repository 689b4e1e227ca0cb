"""Concurrent queue edits share commits and still answer with the committed run.

The executor decides the order of edits under its lock and awaits their commit outside
it, so edits arriving together are written in one transaction; each answer is sent only
after its change is committed and equals what GetRun then reads.
"""

from __future__ import annotations

import asyncio

import pytest

from ivorygrpc.v1 import execute_service_pb2 as pb
from ivorygrpc.v1 import execute_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import run_pb2
from tests.fixtures.runs import call, lit, save_workflow
from tests.fixtures.server import Served

RUNS = 12


@pytest.fixture
async def served(run_deck_served: Served) -> Served:
    await save_workflow(run_deck_served.channel, "quick",
                        main=[call("add", a=lit(2), step_id="a")])
    await pb_grpc.ExecuteServiceStub(run_deck_served.channel).PauseQueue(
        pb.PauseQueueRequest())
    return run_deck_served


async def _create_many(stub: pb_grpc.ExecuteServiceStub, count: int) -> list[run_pb2.Run]:
    replies = await asyncio.gather(*(stub.CreateRun(pb.CreateRunRequest(
        workflow="quick", display_name=f"run {i}")) for i in range(count)))
    return [r.run for r in replies]


async def _stored(stub: pb_grpc.ExecuteServiceStub, run_id: str) -> run_pb2.Run:
    return (await stub.GetRun(pb.GetRunRequest(run_id=run_id))).run


async def _queued_ids(stub: pb_grpc.ExecuteServiceStub, ids: list[str]) -> list[str]:
    runs = [await _stored(stub, run_id) for run_id in ids]
    queued = [r for r in runs if r.state == run_pb2.RUN_STATE_QUEUED]
    return [r.id for r in sorted(queued, key=lambda r: r.queue_position)]


async def test_concurrent_creates_answer_what_is_stored_in_one_queue_order(
        served: Served) -> None:
    stub = pb_grpc.ExecuteServiceStub(served.channel)
    created = await _create_many(stub, RUNS)
    for run in created:
        stored = await _stored(stub, run.id)
        assert run.state == stored.state == run_pb2.RUN_STATE_QUEUED
        assert run.display_name == stored.display_name
        assert run.create_time == stored.create_time
        assert run.workflow_version == stored.workflow_version
    ranks = sorted(r.queue_position for r in created)
    assert ranks == list(range(1, RUNS + 1))  # every run got its own place
    # the store's order (positions) is the order the server answered with
    by_rank = [r.id for r in sorted(created, key=lambda r: r.queue_position)]
    assert await _queued_ids(stub, [r.id for r in created]) == by_rank


async def test_concurrent_edits_share_commits(served: Served) -> None:
    stub = pb_grpc.ExecuteServiceStub(served.channel)
    executor = served.server.executor
    # in queue order: concurrent creates queue in the order their checks finish
    ids = [r.id for r in sorted(await _create_many(stub, RUNS), key=lambda r: r.queue_position)]
    groups = executor.log.groups
    # all in this event loop: every edit is decided before the writer runs once
    moved = await asyncio.gather(*(executor.move_run(ids[i], before=ids[0])
                                   for i in range(2, RUNS)))
    assert executor.log.groups - groups < len(moved)
    expected = [*ids[2:], ids[0], ids[1]]  # each moved run went just before the first
    assert await _queued_ids(stub, ids) == expected
    assert [executor.queue_rank(r) for r in expected] == list(range(1, RUNS + 1))
    renamed = await asyncio.gather(*(executor.rename_run(r, f"renamed {r[:6]}")
                                     for r in ids))
    for run in renamed:
        assert run.display_name == (await _stored(stub, run.id)).display_name
    groups = executor.log.groups
    cancelled = await asyncio.gather(*(executor.cancel_run(r) for r in ids[::2]))
    assert executor.log.groups - groups < len(cancelled)
    for run in cancelled:
        stored = await _stored(stub, run.id)
        assert run.state == "cancelled" and stored.state == run_pb2.RUN_STATE_CANCELLED
        assert run.position is None and stored.queue_position == 0
    assert await _queued_ids(stub, ids) == [r for r in expected if r not in ids[::2]]


async def test_grpc_edits_in_flight_answer_their_committed_change(served: Served) -> None:
    stub = pb_grpc.ExecuteServiceStub(served.channel)
    ids = [r.id for r in await _create_many(stub, RUNS)]
    renamed = await asyncio.gather(*(stub.UpdateRun(pb.UpdateRunRequest(
        run_id=r, display_name=f"n{i}")) for i, r in enumerate(ids)))
    cancelled = await asyncio.gather(*(stub.CancelRun(pb.CancelRunRequest(run_id=r))
                                       for r in ids[1::2]))
    for i, reply in enumerate(renamed):
        assert reply.run.display_name == f"n{i}"
        assert (await _stored(stub, ids[i])).display_name == f"n{i}"
    for reply in cancelled:
        stored = await _stored(stub, reply.run.id)
        assert reply.run.state == stored.state == run_pb2.RUN_STATE_CANCELLED
        assert reply.run.end_time == stored.end_time
        assert reply.run.queue_position == 0
    await stub.ResumeQueue(pb.ResumeQueueRequest())
    for run_id in ids[::2]:  # the remaining runs start in order once committed
        for _ in range(200):
            if (await _stored(stub, run_id)).state == run_pb2.RUN_STATE_SUCCEEDED:
                break
            await asyncio.sleep(0.02)
        assert (await _stored(stub, run_id)).state == run_pb2.RUN_STATE_SUCCEEDED
