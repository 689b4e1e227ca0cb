"""ExecuteService basics through a real server: a run from submission to its record."""

from __future__ import annotations

from ivorygrpc.v1 import run_pb2
from tests.fixtures.runs import (
    RUN_DECK,
    call,
    create_run,
    deck_module,
    finish,
    lit,
    mode,
    of_kind,
    outputs,
    par,
    save_workflow,
)
from tests.fixtures.server import ServeDeck


async def test_repeat_run_records_every_step_with_typed_values(serve_deck: ServeDeck) -> None:
    served = await serve_deck(RUN_DECK)
    await save_workflow(served.channel, "double", main=[
        call("measure", x=par("x"), save_as=["y"]),
        call("add", a=lit(2), b=lit(3), save_as=["s"]),
    ], prep=[call("reset")])
    run = await create_run(served.channel, "double", mode=mode(repeat=2, parameters={"x": 3}))
    assert run.state in (run_pb2.RUN_STATE_QUEUED, run_pb2.RUN_STATE_RUNNING)
    done, events = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    assert outputs(done) == [[{"x": 3.0, "y": 6.0, "s": 5}], [{"x": 3.0, "y": 6.0, "s": 5}]]
    calls = deck_module().lab.calls
    assert calls == [("measure", (3.0,)), ("add", (2, 3))] * 2
    assert all(type(args[0]) is float for name, args in calls if name == "measure")
    states = [e.state for e in of_kind(events, "state_changed")]
    assert states == [run_pb2.RUN_STATE_QUEUED, run_pb2.RUN_STATE_RUNNING,
                      run_pb2.RUN_STATE_SUCCEEDED]
    sequences = [e.sequence for e in events]
    assert sequences == sorted(set(sequences))
