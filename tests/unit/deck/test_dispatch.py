"""The dispatcher: one FIFO lock and one worker thread per instrument; a submitted
blocking job runs to its end whatever happens to its caller."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ivorygrpc.deck.dispatch import Dispatcher, InstrumentLock


class Probe:
    """Blocking operations that record what ran, in which thread, overlapping or not."""

    def __init__(self) -> None:
        self.ran: list[str] = []
        self.threads: set[str] = set()
        self.gate = threading.Event()
        self.active = 0
        self.most = 0

    def hold(self, name: str) -> str:
        self.active += 1
        self.most = max(self.most, self.active)
        self.threads.add(threading.current_thread().name)
        self.gate.wait(5)
        self.ran.append(name)
        self.active -= 1
        return name

    def fail(self) -> None:
        raise RuntimeError("jammed")

    async def later(self, name: str) -> str:
        await asyncio.sleep(0)
        self.ran.append(name)
        return name


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
def dispatcher(probe: Probe) -> Iterator[Dispatcher]:
    made = Dispatcher({("a", "hold"): probe.hold, ("a", "fail"): probe.fail,
                       ("a", "later"): probe.later, ("b", "hold"): probe.hold})
    yield made
    probe.gate.set()
    made.close()


def _invoke(invoke: Callable[[], Any]) -> Any:
    return invoke()


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def test_the_lock_is_fifo_and_skips_cancelled_waiters() -> None:
    lock = InstrumentLock()
    order: list[str] = []
    await lock.acquire()

    async def take(name: str) -> None:
        async with lock:
            order.append(name)

    first = asyncio.ensure_future(take("first"))
    gone = asyncio.ensure_future(take("gone"))
    await asyncio.sleep(0)  # both queued
    lock.take(lambda: (order.append("callback"), lock.release()))
    last = asyncio.ensure_future(take("last"))
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.sleep(0)
    lock.release()
    await asyncio.gather(first, last)
    assert order == ["first", "callback", "last"]
    assert gone.cancelled() and not lock.locked()


async def test_a_waiter_cancelled_as_it_gets_the_lock_passes_it_on() -> None:
    lock = InstrumentLock()
    await lock.acquire()
    waiter = asyncio.ensure_future(lock.acquire())
    await asyncio.sleep(0)
    lock.release()  # handed to the waiter, which is cancelled before it resumes
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert not lock.locked()


async def test_submitted_jobs_of_one_instrument_run_in_order_in_its_thread(
        dispatcher: Dispatcher, probe: Probe) -> None:
    probe.gate.set()
    outcomes = [dispatcher.submit_blocking("a", "hold", (f"call-{i}",), {}, _invoke)
                for i in range(5)]
    assert await asyncio.gather(*outcomes) == [f"call-{i}" for i in range(5)]
    assert probe.ran == [f"call-{i}" for i in range(5)] and probe.most == 1
    assert probe.threads == {"ivorygrpc-a"}


async def test_a_cancelled_caller_does_not_stop_its_job_nor_free_the_instrument(
        dispatcher: Dispatcher, probe: Probe) -> None:
    first = dispatcher.submit_blocking("a", "hold", ("first",), {}, _invoke)
    caller = asyncio.ensure_future(asyncio.shield(first))
    await _until(lambda: probe.active == 1)
    queued = dispatcher.submit_blocking("a", "hold", ("queued",), {}, _invoke)
    queued_caller = asyncio.ensure_future(asyncio.shield(queued))
    await asyncio.sleep(0.05)
    caller.cancel()
    queued_caller.cancel()  # gave up while waiting for the instrument: still runs
    first.cancel()  # cancelling the outcome itself changes nothing either
    assert dispatcher.lock("a").locked() and probe.ran == []
    probe.gate.set()
    assert await queued == "queued"
    assert probe.ran == ["first", "queued"] and probe.most == 1
    assert not dispatcher.lock("a").locked()


async def test_instruments_overlap(dispatcher: Dispatcher, probe: Probe) -> None:
    both = [dispatcher.submit_blocking(name, "hold", (name,), {}, _invoke)
            for name in ("a", "b")]
    await _until(lambda: probe.active == 2)
    probe.gate.set()
    assert await asyncio.gather(*both) == ["a", "b"]
    assert probe.threads == {"ivorygrpc-a", "ivorygrpc-b"}


async def test_errors_and_awaitables_of_a_job(dispatcher: Dispatcher, probe: Probe) -> None:
    probe.gate.set()
    with pytest.raises(RuntimeError, match="jammed"):
        await dispatcher.submit_blocking("a", "fail", (), {}, _invoke)
    assert not dispatcher.lock("a").locked()

    async def after() -> str:  # awaited on the loop, still under the instrument's lock
        assert dispatcher.lock("a").locked()
        return "awaited"

    assert await dispatcher.submit_blocking("a", "hold", ("x",), {},
                                            lambda invoke: (invoke(), after())[1]) == "awaited"
    assert not dispatcher.lock("a").locked()


async def test_call_serialises_with_submitted_jobs(dispatcher: Dispatcher,
                                                   probe: Probe) -> None:
    held = dispatcher.submit_blocking("a", "hold", ("held",), {}, _invoke)
    await _until(lambda: probe.active == 1)
    later = asyncio.ensure_future(dispatcher.call("a", "later", ("async",), {}))
    never = asyncio.ensure_future(dispatcher.call("a", "hold", ("never",), {}))
    await asyncio.sleep(0.05)
    never.cancel()  # cancelled while waiting for the instrument: `call` never runs it
    probe.gate.set()
    assert await held == "held" and await later == "async"
    with pytest.raises(asyncio.CancelledError):
        await never
    assert probe.ran == ["held", "async"]
    assert await dispatcher.call("a", "hold", ("blocking",), {}) == "blocking"


async def test_a_closed_dispatcher_refuses_jobs(probe: Probe) -> None:
    dispatcher = Dispatcher({("a", "hold"): probe.hold})
    probe.gate.set()
    assert await dispatcher.submit_blocking("a", "hold", ("x",), {}, _invoke) == "x"
    await asyncio.to_thread(dispatcher.close)
    with pytest.raises(RuntimeError, match="closed"):
        await dispatcher.submit_blocking("a", "hold", ("y",), {}, _invoke)
    with pytest.raises(RuntimeError, match="closed"):
        await dispatcher.call("a", "hold", ("z",), {})
    assert not dispatcher.lock("a").locked()


async def test_jobs_queued_behind_the_thread_keep_the_lock_and_the_fifo_order(
        dispatcher: Dispatcher, probe: Probe) -> None:
    first = dispatcher.submit_blocking("a", "hold", ("first",), {}, _invoke)
    await _until(lambda: probe.active == 1)
    handed = dispatcher.submit_blocking("a", "hold", ("handed",), {}, _invoke)
    coroutine = asyncio.ensure_future(dispatcher.call("a", "later", ("coroutine",), {}))
    await asyncio.sleep(0)  # queued for the lock
    behind = dispatcher.submit_blocking("a", "hold", ("behind",), {}, _invoke)
    probe.gate.set()
    assert await asyncio.gather(first, handed, coroutine, behind) == [
        "first", "handed", "coroutine", "behind"]
    assert probe.ran == ["first", "handed", "coroutine", "behind"] and probe.most == 1
    assert not dispatcher.lock("a").locked()


async def test_a_job_waits_for_the_awaitable_of_the_job_before_it(
        dispatcher: Dispatcher, probe: Probe) -> None:
    probe.gate.set()
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        probe.ran.append("awaited")
        return "awaited"

    first = dispatcher.submit_blocking("a", "hold", ("first",), {},
                                       lambda invoke: (invoke(), slow())[1])
    await _until(lambda: probe.ran == ["first"])
    second = dispatcher.submit_blocking("a", "hold", ("second",), {}, _invoke)
    await asyncio.sleep(0.05)
    assert probe.ran == ["first"] and dispatcher.lock("a").locked()
    release.set()
    assert await asyncio.gather(first, second) == ["awaited", "second"]
    assert probe.ran == ["first", "awaited", "second"]
    assert not dispatcher.lock("a").locked()


async def test_a_job_queued_behind_the_thread_runs_without_a_turn_of_the_loop(
        dispatcher: Dispatcher, probe: Probe) -> None:
    first = dispatcher.submit_blocking("a", "hold", ("first",), {}, _invoke)
    await _until(lambda: probe.active == 1)
    handed = dispatcher.submit_blocking("a", "hold", ("handed",), {}, _invoke)
    probe.gate.set()
    for _ in range(500):  # the loop is blocked: nothing it does can start `handed`
        if probe.ran == ["first", "handed"]:
            break
        time.sleep(0.01)
    assert probe.ran == ["first", "handed"]
    assert await asyncio.gather(first, handed) == ["first", "handed"]


def test_a_thread_waiting_for_an_awaitable_of_a_closed_loop_moves_on(probe: Probe) -> None:
    dispatcher = Dispatcher({("a", "hold"): probe.hold})
    probe.gate.set()
    loop = asyncio.new_event_loop()
    never = loop.create_future()  # the awaitable the job hands back; nothing completes it

    async def submit() -> None:
        dispatcher.submit_blocking("a", "hold", ("x",), {}, lambda invoke: (invoke(), never)[1])
        await _until(lambda: probe.ran == ["x"])
        await asyncio.sleep(0.05)  # the thread now waits for the loop to await `never`

    loop.run_until_complete(submit())
    loop.close()  # without awaiting it: the thread must not wait forever
    done = threading.Thread(target=dispatcher.close)
    done.start()
    done.join(5)
    assert not done.is_alive()
