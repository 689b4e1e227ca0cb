"""Durability in real `ivorygrpc serve` processes: SIGKILL mid-run, restart, graceful stop.

Every event is committed before it is streamed, so a killed server loses
nothing a client saw: at the next start the run is interrupted with its last
completed step, queued runs are still queued (the queue starts paused),
pending prompts stay visible, and new events continue the sequence.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2

from ivorygrpc.config import DATABASE_URL_ENV
from ivorygrpc.store import Store
from ivorygrpc.v1 import auth_service_pb2 as auth_pb
from ivorygrpc.v1 import auth_service_pb2_grpc as auth_grpc
from ivorygrpc.v1 import execute_service_pb2 as pb
from ivorygrpc.v1 import execute_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import run_pb2, workflow_pb2
from tests.fixtures.runs import call, lit, mode, save_workflow
from tests.fixtures.server import ADMIN_PASSWORD, ROOT, bearer_auth

DECK = ROOT / "tests" / "decks" / "durable_deck.py"
RELEASE_ENV = "DURABLE_DECK_RELEASE"
SERVING = re.compile(r"serving deck '\w+' on 127\.0\.0\.1:(\d+)")
STARTUP_S = 60.0
Events = list[run_pb2.RunEvent]


@dataclass
class Server:
    """One `ivorygrpc serve` process with an admin's channel."""

    process: asyncio.subprocess.Process
    port: int
    channel: grpc.aio.Channel
    output: Path

    @property
    def stub(self) -> pb_grpc.ExecuteServiceStub:
        return pb_grpc.ExecuteServiceStub(self.channel)

    def log_text(self) -> str:
        return self.output.read_text(errors="replace")


@dataclass
class Lab:
    """Starts servers on one data folder and database; kills what is left at the end."""

    root: Path
    database_url: str | None  # None: SQLite in the data folder
    servers: list[Server] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def release(self) -> Path:
        """Created by a test to let the deck's holding steps finish."""
        return self.root / "release"

    def store_url(self) -> str:
        return self.database_url or Store.sqlite_url(self.data_dir)

    async def start(self) -> Server:
        """Start `ivorygrpc serve`, wait until it serves, log in as the admin."""
        env = {**os.environ, "IVORYGRPC_ADMIN_PASSWORD": ADMIN_PASSWORD,
               RELEASE_ENV: str(self.release)}
        env.pop(DATABASE_URL_ENV, None)
        if self.database_url is not None:
            env[DATABASE_URL_ENV] = self.database_url
        output = self.root / f"server-{len(self.servers)}.log"
        with output.open("wb") as sink:  # a file, not a pipe: a chatty server never blocks
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "ivorygrpc", "serve", str(DECK), "--port", "0",
                "--no-ui", "--data-dir", str(self.data_dir), cwd=self.root, env=env,
                stdout=sink, stderr=asyncio.subprocess.STDOUT)
        server = Server(process, 0, grpc.aio.insecure_channel("unused"), output)
        self.servers.append(server)
        await server.channel.close()
        deadline = time.monotonic() + STARTUP_S
        while (match := SERVING.search(server.log_text())) is None:
            if process.returncode is not None or time.monotonic() > deadline:
                pytest.fail("the server did not start:\n" + server.log_text())
            await asyncio.sleep(0.05)
        server.port = int(match.group(1))
        target = f"127.0.0.1:{server.port}"
        async with grpc.aio.insecure_channel(target) as plain:
            reply = await auth_grpc.AuthServiceStub(plain).Login(
                auth_pb.LoginRequest(username="admin", password=ADMIN_PASSWORD), timeout=10)
        server.channel = grpc.aio.insecure_channel(target, interceptors=bearer_auth(reply.token))
        return server

    async def kill(self, server: Server) -> None:
        """SIGKILL: no shutdown code runs."""
        server.process.kill()
        assert await asyncio.wait_for(server.process.wait(), 10) == -signal.SIGKILL
        await server.channel.close(grace=None)

    async def cleanup(self) -> None:
        for server in self.servers:
            await server.channel.close(grace=None)
            if server.process.returncode is None:
                server.process.kill()
                await server.process.wait()


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    """Servers on SQLite in a temporary data folder."""
    started = Lab(tmp_path, None)
    try:
        yield started
    finally:
        await started.cleanup()


@pytest.fixture
async def any_lab(tmp_path: Path, database_url: str) -> AsyncIterator[Lab]:
    """Servers on SQLite (the data folder's default) and on a real PostgreSQL."""
    started = Lab(tmp_path, None if database_url.startswith("sqlite") else database_url)
    try:
        yield started
    finally:
        await started.cleanup()


# -- helpers --------------------------------------------------------------------------------------


def kind(event: run_pb2.RunEvent) -> str:
    return event.WhichOneof("kind") or ""


def step_started(step_id: str) -> Callable[[Events], bool]:
    """Predicate over the events so far: `step_id` started and its deck line was logged."""
    def match(events: Events) -> bool:
        started = any(kind(e) == "step_started" and e.step_started.step_id == step_id
                      for e in events)
        waiting = any(kind(e) == "log" and "waiting for" in e.log.message for e in events)
        return started and waiting
    return match


def prompted(events: Events) -> bool:
    return any(kind(e) == "prompt_requested" for e in events)


async def stream_until(server: Server, run_id: str, done: Callable[[Events], bool],
                       timeout: float = 30) -> Events:
    """The run's events from the first (heartbeats left out) until `done(events so far)`."""
    events: Events = []
    stream = server.stub.StreamRunEvents(pb.StreamRunEventsRequest(run_id=run_id),
                                         timeout=timeout)
    try:
        async for reply in stream:
            if kind(reply.event) == "heartbeat":
                continue
            events.append(reply.event)
            if done(events):
                return events
    finally:
        stream.cancel()
    raise AssertionError(f"the stream ended first: {[kind(e) for e in events]}")


async def replay(server: Server, run_id: str, timeout: float = 30) -> Events:
    """Every stored event of a finished run (after_sequence=0, until its final state)."""
    stream = server.stub.StreamRunEvents(pb.StreamRunEventsRequest(
        run_id=run_id, after_sequence=0, until_finished=True), timeout=timeout)
    return [reply.event async for reply in stream if kind(reply.event) != "heartbeat"]


async def get_run(server: Server, run_id: str, full: bool = False) -> run_pb2.Run:
    view = pb.RUN_VIEW_FULL if full else pb.RUN_VIEW_BASIC
    return (await server.stub.GetRun(pb.GetRunRequest(run_id=run_id, view=view))).run


async def status(server: Server) -> pb.ExecutionStatus:
    return (await server.stub.GetExecutionStatus(pb.GetExecutionStatusRequest())).status


async def create(server: Server, workflow: str, name: str) -> run_pb2.Run:
    reply = await server.stub.CreateRun(pb.CreateRunRequest(
        workflow=workflow, display_name=name, mode=mode(repeat=1)))
    return reply.run


def quick_steps(count: int) -> list[dict[str, Any]]:
    return [call("step", instrument="bench", step_id=f"s{i}", i=lit(i))
            for i in range(1, count + 1)]


def main_steps(run: run_pb2.Run) -> list[run_pb2.StepRecord]:
    return [step for phase in run.phases if phase.phase == run_pb2.RUN_PHASE_MAIN
            for iteration in phase.iterations for step in iteration.steps]


def interrupted(events: Events) -> list[run_pb2.RunStateChanged]:
    return [e.state_changed for e in events if kind(e) == "state_changed"
            and e.state_changed.state == run_pb2.RUN_STATE_INTERRUPTED]


# -- tests ----------------------------------------------------------------------------------------


async def test_sigkill_mid_run_loses_nothing_streamed(any_lab: Lab) -> None:
    first = await any_lab.start()
    await save_workflow(first.channel, "durable",
                        [*quick_steps(3), call("block", instrument="bench", step_id="block")])
    run = await create(first, "durable", "killed")
    second = await create(first, "durable", "queued-1")
    third = await create(first, "durable", "queued-2")
    seen = await stream_until(first, run.id, step_started("block"))
    before = await status(first)
    assert before.busy and before.current_run.id == run.id and before.queue_length == 2
    await any_lab.kill(first)

    server = await any_lab.start()
    after = await status(server)
    assert after.boot_id != before.boot_id
    assert after.queue_paused and not after.busy and after.queue_length == 2

    # Everything the client saw is stored as it was streamed; recovery adds the interruption.
    stored = await replay(server, run.id)
    assert stored[:len(seen)] == seen
    rest = stored[len(seen):]
    assert [kind(e) for e in rest] == ["state_changed"], rest
    change = rest[0].state_changed
    assert change.state == run_pb2.RUN_STATE_INTERRUPTED
    assert change.previous == run_pb2.RUN_STATE_RUNNING
    assert change.error.step_id == "s3"
    assert rest[0].sequence > seen[-1].sequence

    record = await get_run(server, run.id, full=True)
    assert record.state == run_pb2.RUN_STATE_INTERRUPTED
    assert record.error.type == "Interrupted" and record.error.step_id == "s3"
    assert record.progress.last_completed_step_id == "s3"
    assert record.HasField("end_time")
    steps = main_steps(record)
    completed = [(s.step_id, s.output.number_value) for s in steps
                 if s.HasField("end_time")]
    assert completed == [("s1", 1), ("s2", 2), ("s3", 3)]
    assert [s.step_id for s in steps if not s.HasField("end_time")] == ["block"]

    queue = (await server.stub.ListRuns(pb.ListRunsRequest(order_by="queue"))).runs
    assert [(r.id, r.state, r.queue_position) for r in queue] == [
        (second.id, run_pb2.RUN_STATE_QUEUED, 1), (third.id, run_pb2.RUN_STATE_QUEUED, 2)]

    # The operator resumes the queue: the next run starts, with later sequences.
    last_old = max(after.last_sequence, stored[-1].sequence)
    any_lab.release.touch()
    await server.stub.ResumeQueue(pb.ResumeQueueRequest())
    for queued in (second, third):
        events = await replay(server, queued.id, timeout=30)
        assert events[-1].state_changed.state == run_pb2.RUN_STATE_SUCCEEDED
        fresh = [e for e in events if e.sequence > last_old]
        assert fresh and fresh[0].state_changed.state == run_pb2.RUN_STATE_RUNNING
        assert all(b.sequence > a.sequence for a, b in itertools.pairwise(events))
    done = await get_run(server, third.id, full=True)
    assert [s.step_id for s in main_steps(done)] == ["s1", "s2", "s3", "block"]
    assert not (await status(server)).busy


ASK = [*quick_steps(1),
       {"id": "volume", "input": {"name": "volume", "prompt": "How many mL?",
                                  "type": "INPUT_TYPE_NUMBER"}},
       call("step", instrument="bench", step_id="after", i=lit(9))]


async def stop_during_prompt(lab: Lab, how: signal.Signals) -> tuple[Server, str, Events]:
    """A run waiting on an input step when the server gets `how`; the restarted server."""
    first = await lab.start()
    await save_workflow(first.channel, "ask", ASK)
    run = await create(first, "ask", "asking")
    seen = await stream_until(first, run.id, prompted)
    if how is signal.SIGKILL:
        await lab.kill(first)
    else:
        first.process.send_signal(how)
        assert await asyncio.wait_for(first.process.wait(), 15) == 0, first.log_text()
    return await lab.start(), run.id, seen


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill", "term"])
async def test_a_pending_prompt_stays_visible_after_a_restart(lab: Lab,
                                                              how: signal.Signals) -> None:
    server, run_id, seen = await stop_during_prompt(lab, how)
    record = await get_run(server, run_id)
    assert record.state == run_pb2.RUN_STATE_INTERRUPTED
    assert record.progress.last_completed_step_id == "s1"
    assert record.pause.kind == run_pb2.PAUSE_KIND_INPUT
    assert record.pause.message == "How many mL?"
    assert record.pause.step_id == "volume"
    assert record.pause.input_type == workflow_pb2.INPUT_TYPE_NUMBER
    stored = await replay(server, run_id)
    assert stored[:len(seen)] == seen
    prompt = [e.prompt_requested for e in stored if kind(e) == "prompt_requested"]
    assert [p.id for p in prompt] == [record.pause.id]
    assert len(interrupted(stored)) == 1
    status_now = await status(server)
    assert not status_now.busy and not status_now.queue_paused  # nothing was queued

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await server.stub.AnswerPrompt(pb.AnswerPromptRequest(
            run_id=run_id, value=struct_pb2.Value(number_value=5)))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


@pytest.mark.parametrize("how", [
    signal.SIGKILL,
    signal.SIGTERM,
], ids=["kill", "term"])
async def test_the_interruption_names_the_last_completed_step_and_the_state_before(
        lab: Lab, how: signal.Signals) -> None:
    server, run_id, _ = await stop_during_prompt(lab, how)
    record = await get_run(server, run_id)
    (change,) = interrupted(await replay(server, run_id))
    assert (change.previous, change.error.step_id, record.error.step_id) == (
        run_pb2.RUN_STATE_PAUSED, "s1", "s1")


async def test_sigterm_mid_step_exits_promptly_and_records_the_interruption(lab: Lab) -> None:
    first = await lab.start()
    await save_workflow(first.channel, "held",
                        [*quick_steps(2), call("hold", instrument="bench", step_id="hold")])
    run = await create(first, "held", "held")
    queued = await create(first, "held", "waiting")
    seen = await stream_until(first, run.id, step_started("hold"))

    started = time.monotonic()
    first.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(first.process.wait(), 15) == 0, first.log_text()
    assert time.monotonic() - started < 5, first.log_text()

    # Recorded at shutdown, before any restart and its recovery.
    store = Store.open(lab.store_url())
    try:
        stopped = store.runs.get(run.id)
        assert stopped is not None and stopped.state == "interrupted"
        waiting = store.runs.get(queued.id)
        assert waiting is not None and waiting.state == "queued"
    finally:
        store.close()

    server = await lab.start()
    assert "was interrupted by the server stopping" not in server.log_text()
    record = await get_run(server, run.id, full=True)
    assert record.state == run_pb2.RUN_STATE_INTERRUPTED
    assert record.progress.last_completed_step_id == "s2"
    assert record.error.type == "Interrupted"
    stored = await replay(server, run.id)
    assert stored[:len(seen)] == seen
    assert len(interrupted(stored)) == 1
    after = await status(server)
    assert after.queue_paused and not after.busy and after.queue_length == 1


async def test_a_second_sigterm_exits_while_a_thread_holds_the_step(lab: Lab) -> None:
    first = await lab.start()
    await save_workflow(first.channel, "blocked",
                        [*quick_steps(2), call("block", instrument="bench", step_id="block")])
    run = await create(first, "blocked", "blocked")
    queued = await create(first, "blocked", "waiting")
    seen = await stream_until(first, run.id, step_started("block"))

    # A call in a worker thread cannot be interrupted: the graceful stop waits, and says so.
    first.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    while "waiting for the step in flight" not in first.log_text():
        assert time.monotonic() < deadline, first.log_text()
        await asyncio.sleep(0.05)
    assert first.process.returncode is None
    first.process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(first.process.wait(), 5)
    assert code == 128 + signal.SIGTERM, first.log_text()
    assert "SIGTERM again: exiting now" in first.log_text()

    server = await lab.start()
    assert "was interrupted by the server stopping" in server.log_text()
    record = await get_run(server, run.id, full=True)
    assert record.state == run_pb2.RUN_STATE_INTERRUPTED
    assert record.error.step_id == "s2" and record.progress.last_completed_step_id == "s2"
    stored = await replay(server, run.id)
    assert stored[:len(seen)] == seen
    after = await status(server)
    assert after.queue_paused and not after.busy and after.queue_length == 1
    assert (await get_run(server, queued.id)).state == run_pb2.RUN_STATE_QUEUED
