"""Run control through a real server: pause, resume, stop, retry, skip and prompts.

Runs are held inside a step with the run deck's gate (`lab.hold` waits for it),
so every test acts at a known point without sleeping.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Mapping
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2

from ivorygrpc.v1 import execute_service_pb2 as pb
from ivorygrpc.v1 import execute_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import run_pb2, workflow_pb2
from tests.fixtures.client import rich_status
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
    paused,
    save_workflow,
    var,
    wait_for_event,
)
from tests.fixtures.server import Served, ServeDeck

FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION


@pytest.fixture
async def served(run_deck_served: Served) -> Served:
    return run_deck_served


def stub(served: Served) -> pb_grpc.ExecuteServiceStub:
    return pb_grpc.ExecuteServiceStub(served.channel)


async def refused(call_: Awaitable[Any]) -> tuple[grpc.StatusCode, dict[str, Any]]:
    """The status code and rich details of a call that must fail."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call_
    return caught.value.code(), {**rich_status(caught.value),
                                 "message": caught.value.details()}


async def get_run(served: Served, run_id: str, *, full: bool = False) -> run_pb2.Run:
    view = pb.RUN_VIEW_FULL if full else pb.RUN_VIEW_BASIC
    return (await stub(served).GetRun(pb.GetRunRequest(run_id=run_id, view=view))).run


def started(step_id: str, attempt: int = 1) -> Any:
    """Predicate: the step's attempt started."""
    def match(event: run_pb2.RunEvent) -> bool:
        return (event.WhichOneof("kind") == "step_started"
                and event.step_started.step_id == step_id
                and event.step_started.attempt == attempt)
    return match


def main_steps(run: run_pb2.Run) -> list[run_pb2.StepRecord]:
    """Every step attempt of the main phase, in order."""
    return [step for phase in run.phases if phase.phase == run_pb2.RUN_PHASE_MAIN
            for iteration in phase.iterations for step in iteration.steps]


def phase_kinds(run: run_pb2.Run) -> list[int]:
    return [phase.phase for phase in run.phases]


def pauses(events: list[run_pb2.RunEvent]) -> list[run_pb2.PauseReason]:
    return [e.pause for e in of_kind(events, "state_changed")
            if e.state == run_pb2.RUN_STATE_PAUSED]


def value(data: Any) -> struct_pb2.Value:
    return json_format.ParseDict(data, struct_pb2.Value())


async def hold_run(served: Served, main: list[dict[str, Any]], name: str = "held",
                   **fields: Any) -> run_pb2.Run:
    """Close the gate, submit a run of `main` and wait until step `h` is in flight."""
    await save_workflow(served.channel, name, main=main,
                        cleanup=fields.pop("cleanup", None))
    deck_module().lab.gate.clear()
    run = await create_run(served.channel, name, **fields)
    await wait_for_event(served.channel, run.id, started("h"))
    return run


# -- pause and resume ----------------------------------------------------------------------------


async def test_pause_is_idempotent_and_takes_effect_after_the_step_in_flight(
        served: Served) -> None:
    run = await hold_run(served, [call("hold", step_id="h"), call("add", a=lit(1), b=lit(2),
                                                                   step_id="a")])
    lab = deck_module().lab
    first = (await stub(served).PauseRun(pb.PauseRunRequest(run_id=run.id))).run
    second = (await stub(served).PauseRun(pb.PauseRunRequest(run_id=run.id))).run
    assert first.state == second.state == run_pb2.RUN_STATE_RUNNING  # the step is in flight
    lab.gate.set()
    event = await wait_for_event(served.channel, run.id, paused())
    reason = event.state_changed.pause
    assert reason.kind == run_pb2.PAUSE_KIND_OPERATOR
    assert reason.step_id == "" and reason.phase == run_pb2.RUN_PHASE_MAIN
    assert reason.iteration == 1 and reason.id
    assert [name for name, _ in lab.calls] == ["hold"]  # paused before `add`
    now = await get_run(served, run.id)
    assert now.state == run_pb2.RUN_STATE_PAUSED and now.pause.id == reason.id
    assert now.progress.last_completed_step_id == "h"
    status = (await stub(served).GetExecutionStatus(pb.GetExecutionStatusRequest())).status
    assert status.busy and status.current_run.id == run.id
    # pausing a paused run changes nothing
    again = (await stub(served).PauseRun(pb.PauseRunRequest(run_id=run.id))).run
    assert again.state == run_pb2.RUN_STATE_PAUSED and again.pause.id == reason.id

    resumed = (await stub(served).ResumeRun(pb.ResumeRunRequest(run_id=run.id))).run
    assert resumed.state in (run_pb2.RUN_STATE_RUNNING, run_pb2.RUN_STATE_SUCCEEDED)
    assert not resumed.HasField("pause")
    done, events = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    assert [p.kind for p in pauses(events)] == [run_pb2.PAUSE_KIND_OPERATOR]  # one pause
    assert [name for name, _ in lab.calls] == ["hold", "add"]
    states = [e.state for e in of_kind(events, "state_changed")]
    assert states == [run_pb2.RUN_STATE_QUEUED, run_pb2.RUN_STATE_RUNNING,
                      run_pb2.RUN_STATE_PAUSED, run_pb2.RUN_STATE_RUNNING,
                      run_pb2.RUN_STATE_SUCCEEDED]


async def test_resume_of_a_running_run_is_a_no_op_and_clears_a_requested_pause(
        served: Served) -> None:
    run = await hold_run(served, [call("hold", step_id="h"), call("add", a=lit(1), step_id="a")])
    reply = (await stub(served).ResumeRun(pb.ResumeRunRequest(run_id=run.id))).run
    assert reply.state == run_pb2.RUN_STATE_RUNNING
    await stub(served).PauseRun(pb.PauseRunRequest(run_id=run.id))
    await stub(served).ResumeRun(pb.ResumeRunRequest(run_id=run.id))  # withdraws the request
    await stub(served).ResumeRun(pb.ResumeRunRequest(run_id=run.id))
    deck_module().lab.gate.set()
    done, events = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED
    assert pauses(events) == []


async def test_pause_requested_while_the_step_fails_stays_paused_on_the_error(
        served: Served) -> None:
    """IvoryOS bug 13: a pause pressed during a step that then fails resumed the run."""
    await save_workflow(served.channel, "late", main=[
        call("gated_fragile", step_id="h"), call("add", a=lit(1), step_id="a")])
    lab = deck_module().lab
    lab.failures_left = 1
    lab.gate.clear()
    run = await create_run(served.channel, "late")
    await wait_for_event(served.channel, run.id, started("h"))
    await stub(served).PauseRun(pb.PauseRunRequest(run_id=run.id))
    lab.gate.set()
    event = await wait_for_event(served.channel, run.id, paused())
    reason = event.state_changed.pause
    assert reason.kind == run_pb2.PAUSE_KIND_STEP_ERROR and reason.step_id == "h"
    assert reason.error.type == "RuntimeError"
    # still paused on the error: nothing resumed it
    assert (await get_run(served, run.id)).state == run_pb2.RUN_STATE_PAUSED
    assert [name for name, _ in lab.calls] == ["gated_fragile"]
    # the error pause satisfied the pause request: a retry goes on without another pause
    retried = (await stub(served).RetryStep(pb.RetryStepRequest(run_id=run.id,
                                                                pause_id=reason.id))).run
    assert retried.state in (run_pb2.RUN_STATE_RUNNING, run_pb2.RUN_STATE_SUCCEEDED)
    done, events = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    assert [p.kind for p in pauses(events)] == [run_pb2.PAUSE_KIND_STEP_ERROR]
    assert [name for name, _ in lab.calls] == ["gated_fragile", "gated_fragile", "add"]


# -- step errors -----------------------------------------------------------------------------


async def _fail_first(served: Served, failures: int = 1,
                      cleanup: list[dict[str, Any]] | None = None) -> tuple[run_pb2.Run,
                                                                             run_pb2.PauseReason]:
    """A run whose step `f` (lab.fragile) fails `failures` times; paused on the first error."""
    await save_workflow(served.channel, "flaky", main=[
        call("fragile", x=lit(1.5), save_as=["r"], step_id="f"),
        call("measure", x=var("r"), save_as=["m"], step_id="m"),
        call("add", a=lit(2), b=lit(3), save_as=["s"], step_id="s"),
    ], cleanup=cleanup)
    deck_module().lab.failures_left = failures
    run = await create_run(served.channel, "flaky")
    event = await wait_for_event(served.channel, run.id, paused(run_pb2.PAUSE_KIND_STEP_ERROR))
    return run, event.state_changed.pause


async def test_step_error_pauses_and_retry_records_a_new_attempt(served: Served) -> None:
    run, reason = await _fail_first(served)
    assert reason.step_id == "f" and reason.error.step_id == "f"
    assert reason.error.type == "RuntimeError"
    assert reason.error.message == "the fragile instrument failed"
    assert reason.message == "the fragile instrument failed"
    now = await get_run(served, run.id)
    assert now.state == run_pb2.RUN_STATE_PAUSED
    assert now.pause.kind == run_pb2.PAUSE_KIND_STEP_ERROR and now.pause.id == reason.id
    reply = (await stub(served).RetryStep(pb.RetryStepRequest(run_id=run.id,
                                                              pause_id=reason.id))).run
    assert reply.state in (run_pb2.RUN_STATE_RUNNING, run_pb2.RUN_STATE_SUCCEEDED)
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    steps = main_steps(done)
    assert [(s.step_id, s.attempt, bool(s.error.type)) for s in steps] == [
        ("f", 1, True), ("f", 2, False), ("m", 1, False), ("s", 1, False)]
    assert steps[0].error.message == "the fragile instrument failed"
    assert steps[1].output.number_value == 1.5
    assert outputs(done) == [[{"r": 1.5, "m": 3.0, "s": 5}]]


async def test_skip_goes_on_without_the_failed_steps_result(served: Served) -> None:
    await save_workflow(served.channel, "skipper", main=[
        call("fragile", x=lit(1.5), save_as=["r"], step_id="f"),
        call("add", a=lit(2), b=lit(3), save_as=["s"], step_id="s"),
    ])
    deck_module().lab.failures_left = 1
    run = await create_run(served.channel, "skipper")
    event = await wait_for_event(served.channel, run.id, paused(run_pb2.PAUSE_KIND_STEP_ERROR))
    await stub(served).SkipStep(pb.SkipStepRequest(run_id=run.id,
                                                   pause_id=event.state_changed.pause.id))
    done, events = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    steps = main_steps(done)
    assert [(s.step_id, s.attempt, s.skipped) for s in steps] == [("f", 1, True),
                                                                  ("s", 1, False)]
    assert steps[0].error.type == "RuntimeError"
    assert outputs(done) == [[{"s": 5}]]  # no `r`
    assert [name for name, _ in deck_module().lab.calls] == ["fragile", "add"]
    finished = [e for e in of_kind(events, "step_finished") if e.step_id == "f"]
    assert finished[-1].skipped


async def test_stop_while_paused_on_a_step_error_ends_the_run(served: Served) -> None:
    run, _ = await _fail_first(served, cleanup=[call("note", text=lit("cleaned"))])
    reply = (await stub(served).StopRun(pb.StopRunRequest(run_id=run.id,
                                                          mode=pb.STOP_MODE_NOW))).run
    assert reply.state in (run_pb2.RUN_STATE_RUNNING, run_pb2.RUN_STATE_STOPPED)
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_STOPPED
    assert done.error.type == "Stopped" and not done.HasField("pause")
    assert [name for name, _ in deck_module().lab.calls] == ["fragile"]  # no cleanup, no rest
    assert run_pb2.RUN_PHASE_CLEANUP not in phase_kinds(done)


async def test_a_stale_pause_id_is_refused_and_changes_nothing(served: Served) -> None:
    run, first = await _fail_first(served, failures=2)
    await stub(served).RetryStep(pb.RetryStepRequest(run_id=run.id, pause_id=first.id))
    event = await wait_for_event(served.channel, run.id, lambda e: paused(
        run_pb2.PAUSE_KIND_STEP_ERROR)(e) and e.state_changed.pause.id != first.id)
    second = event.state_changed.pause
    # a repeated (double-clicked) retry of the first error must not retry the second
    for request in (stub(served).RetryStep(pb.RetryStepRequest(run_id=run.id, pause_id=first.id)),
                    stub(served).SkipStep(pb.SkipStepRequest(run_id=run.id, pause_id=first.id))):
        code, details = await refused(request)
        assert code == FAILED_PRECONDITION and details["reason"] == "PAUSE_ID_MISMATCH"
        assert first.id in details["message"] and second.id in details["message"]
    now = await get_run(served, run.id)
    assert now.state == run_pb2.RUN_STATE_PAUSED and now.pause.id == second.id
    assert [name for name, _ in deck_module().lab.calls] == ["fragile", "fragile"]
    await stub(served).RetryStep(pb.RetryStepRequest(run_id=run.id, pause_id=second.id))
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED
    assert [(s.step_id, s.attempt) for s in main_steps(done)][:3] == [("f", 1), ("f", 2),
                                                                     ("f", 3)]


async def test_retry_skip_and_answer_need_the_matching_pause(served: Served) -> None:
    run = await hold_run(served, [call("hold", step_id="h"), call("add", a=lit(1), step_id="a")])
    ex = stub(served)
    calls = {
        "RetryStep": lambda: ex.RetryStep(pb.RetryStepRequest(run_id=run.id)),
        "SkipStep": lambda: ex.SkipStep(pb.SkipStepRequest(run_id=run.id)),
        "AnswerPrompt": lambda: ex.AnswerPrompt(pb.AnswerPromptRequest(run_id=run.id)),
    }
    for name, make in calls.items():  # running, not paused
        code, details = await refused(make())
        assert code == FAILED_PRECONDITION, name
        assert details["reason"] == "RUN_NOT_WAITING", name
        assert "not paused on" in details["message"], name
    await ex.PauseRun(pb.PauseRunRequest(run_id=run.id))
    deck_module().lab.gate.set()
    await wait_for_event(served.channel, run.id, paused(run_pb2.PAUSE_KIND_OPERATOR))
    for name, make in calls.items():  # an operator pause needs ResumeRun
        code, details = await refused(make())
        assert (code, details["reason"]) == (FAILED_PRECONDITION, "RUN_NOT_WAITING"), name
    now = await get_run(served, run.id)
    assert now.state == run_pb2.RUN_STATE_PAUSED
    assert now.pause.kind == run_pb2.PAUSE_KIND_OPERATOR
    await ex.ResumeRun(pb.ResumeRunRequest(run_id=run.id))
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED
    assert [(s.step_id, s.attempt) for s in main_steps(done)] == [("h", 1), ("a", 1)]


async def test_resume_does_not_end_a_step_error_pause(served: Served) -> None:
    run, reason = await _fail_first(served)
    code, details = await refused(stub(served).ResumeRun(pb.ResumeRunRequest(run_id=run.id)))
    assert (code, details["reason"]) == (FAILED_PRECONDITION, "RUN_WAITS_FOR_DECISION")
    assert "RetryStep" in details["message"]
    now = await get_run(served, run.id)
    assert now.state == run_pb2.RUN_STATE_PAUSED and now.pause.id == reason.id
    await stub(served).RetryStep(pb.RetryStepRequest(run_id=run.id))  # pause_id is optional
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED


# -- prompts -----------------------------------------------------------------------------------


async def test_pause_step_notifies_the_hooks_and_answer_acknowledges_it(
        serve_deck: ServeDeck) -> None:
    heard: list[tuple[str, dict[str, Any]]] = []
    lock = threading.Lock()

    def hook(message: str, info: Mapping[str, Any]) -> None:
        with lock:
            heard.append((message, dict(info)))

    def broken(message: str, info: Mapping[str, Any]) -> None:
        raise OSError("mail server down")

    served = await serve_deck(RUN_DECK, notify=(broken, hook))
    await save_workflow(served.channel, "operator", main=[
        call("measure", x=par("x"), save_as=["y"], step_id="m"),
        {"id": "p", "pause": {"message": "x is #x and y is #y"}},
        call("add", a=lit(1), save_as=["s"], step_id="a"),
    ])
    run = await create_run(served.channel, "operator", display_name="Tuesday",
                           mode=mode(parameters={"x": 2}))
    event = await wait_for_event(served.channel, run.id, paused())
    reason = event.state_changed.pause
    assert reason.kind == run_pb2.PAUSE_KIND_PAUSE_STEP and reason.step_id == "p"
    assert reason.message == "x is 2.0 and y is 4.0"
    assert heard == [("x is 2.0 and y is 4.0", {
        "run_id": run.id, "run": "Tuesday", "workflow": "operator", "step_id": "p",
        "message": "x is 2.0 and y is 4.0"})]
    prompt = await wait_for_event(served.channel, run.id,
                                  lambda e: e.WhichOneof("kind") == "prompt_requested")
    assert prompt.prompt_requested.id == reason.id
    # a pause step is not an error and not an operator pause
    for request in (stub(served).RetryStep(pb.RetryStepRequest(run_id=run.id)),
                    stub(served).ResumeRun(pb.ResumeRunRequest(run_id=run.id))):
        code, _ = await refused(request)
        assert code == FAILED_PRECONDITION
    assert [name for name, _ in deck_module().lab.calls] == ["measure"]
    await stub(served).AnswerPrompt(pb.AnswerPromptRequest(run_id=run.id, pause_id=reason.id))
    done, events = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    answered = of_kind(events, "prompt_answered")
    assert [(a.pause_id, a.user) for a in answered] == [(reason.id, "admin")]
    logs = [line.message for line in of_kind(events, "log")]
    assert any("notification hook failed" in line and "mail server down" in line
               for line in logs)
    assert [name for name, _ in deck_module().lab.calls] == ["measure", "add"]


async def test_input_step_answer_is_typed_and_a_bad_value_keeps_the_run_waiting(
        served: Served) -> None:
    await save_workflow(served.channel, "asking", main=[
        {"id": "i", "input": {"name": "v", "prompt": "volume for #x?",
                              "type": "INPUT_TYPE_NUMBER"}},
        call("measure", x=var("v"), save_as=["y"], step_id="m"),
    ])
    run = await create_run(served.channel, "asking")
    event = await wait_for_event(served.channel, run.id, paused(run_pb2.PAUSE_KIND_INPUT))
    reason = event.state_changed.pause
    assert reason.message == "volume for #x?"  # not a parameter of this workflow: kept
    assert reason.input_type == workflow_pb2.INPUT_TYPE_NUMBER
    ex = stub(served)
    for bad in ("a lot", None, "nan", True, {"v": 1}):
        request = pb.AnswerPromptRequest(run_id=run.id, pause_id=reason.id)
        if bad is not None:
            request.value.CopyFrom(value(bad))
        code, details = await refused(ex.AnswerPrompt(request))
        assert code == grpc.StatusCode.INVALID_ARGUMENT, bad
        assert "value" in details["violations"], bad
    code, details = await refused(ex.AnswerPrompt(pb.AnswerPromptRequest(
        run_id=run.id, pause_id="stale", value=value("2.5"))))
    assert (code, details["reason"]) == (FAILED_PRECONDITION, "PAUSE_ID_MISMATCH")
    code, details = await refused(ex.ResumeRun(pb.ResumeRunRequest(run_id=run.id)))
    assert (code, details["reason"]) == (FAILED_PRECONDITION, "RUN_WAITS_FOR_DECISION")
    now = await get_run(served, run.id)
    assert now.state == run_pb2.RUN_STATE_PAUSED and now.pause.id == reason.id
    assert deck_module().lab.calls == []

    reply = await ex.AnswerPrompt(pb.AnswerPromptRequest(run_id=run.id, pause_id=reason.id,
                                                         value=value("2.5")))
    assert reply.run.state in (run_pb2.RUN_STATE_RUNNING, run_pb2.RUN_STATE_SUCCEEDED)
    done, events = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED, done.error
    assert outputs(done) == [[{"v": 2.5, "y": 5.0}]]
    answered = of_kind(events, "prompt_answered")
    assert [(a.pause_id, a.value.number_value) for a in answered] == [(reason.id, 2.5)]
    calls = deck_module().lab.calls
    assert calls == [("measure", (2.5,))] and type(calls[0][1][0]) is float


@pytest.mark.parametrize(("input_type", "given", "stored"), [
    ("INPUT_TYPE_INTEGER", "3", 3),
    ("INPUT_TYPE_INTEGER", 4.0, 4),
    ("INPUT_TYPE_BOOLEAN", "yes", True),
    ("INPUT_TYPE_STRING", 7, "7"),
])
async def test_input_answers_are_converted_to_the_asked_type(
        served: Served, input_type: str, given: Any, stored: Any) -> None:
    await save_workflow(served.channel, "typed", main=[
        {"id": "i", "input": {"name": "v", "prompt": "?", "type": input_type}}])
    run = await create_run(served.channel, "typed")
    await wait_for_event(served.channel, run.id, paused(run_pb2.PAUSE_KIND_INPUT))
    await stub(served).AnswerPrompt(pb.AnswerPromptRequest(run_id=run.id, value=value(given)))
    done, _ = await finish(served.channel, run.id)
    [[context]] = outputs(done)  # (Struct numbers are doubles: 3 comes back as 3.0)
    assert context == {"v": stored}
    if type(stored) is not int:
        assert type(context["v"]) is type(stored)


async def test_stop_now_abandons_a_prompt(served: Served) -> None:
    await save_workflow(served.channel, "abandoned", main=[
        {"id": "i", "input": {"name": "v", "prompt": "?", "type": "INPUT_TYPE_STRING"}},
        call("add", a=lit(1), step_id="a")])
    run = await create_run(served.channel, "abandoned")
    await wait_for_event(served.channel, run.id, paused(run_pb2.PAUSE_KIND_INPUT))
    await stub(served).StopRun(pb.StopRunRequest(run_id=run.id, mode=pb.STOP_MODE_NOW))
    done, events = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_STOPPED and not done.HasField("pause")
    assert of_kind(events, "prompt_answered") == []
    assert deck_module().lab.calls == []
    abandoned = [s for s in main_steps(done) if s.step_id == "i"]
    assert [(s.error.type, s.skipped) for s in abandoned] == [("Stopped", False)]
    assert done.progress.last_completed_step_id != "i"


async def test_a_stop_after_the_iteration_during_the_cleanup_changes_nothing(
        served: Served) -> None:
    await save_workflow(served.channel, "late-stop", main=[call("add", a=lit(1), step_id="a")],
                        cleanup=[call("hold", step_id="h")])
    deck_module().lab.gate.clear()
    run = await create_run(served.channel, "late-stop")
    await wait_for_event(served.channel, run.id, started("h"))
    await stub(served).StopRun(pb.StopRunRequest(run_id=run.id,
                                                 mode=pb.STOP_MODE_AFTER_ITERATION))
    deck_module().lab.gate.set()
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED


# -- stop ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("request_cleanup", "option", "cleaned"), [
    (None, None, True),        # the default: cleanup runs
    (False, None, False),
    (None, False, False),      # the run's cleanup_on_stop
    (True, False, True),       # the request wins over the run's option
])
async def test_stop_after_iteration_finishes_it_skips_the_rest_and_runs_cleanup(
        served: Served, request_cleanup: bool | None, option: bool | None,
        cleaned: bool) -> None:
    options = run_pb2.RunOptions()
    if option is not None:
        options.cleanup_on_stop = option
    run = await hold_run(served, [call("hold", step_id="h"),
                                  call("add", a=lit(1), b=lit(2), save_as=["s"], step_id="a")],
                         cleanup=[call("note", text=lit("cleaned"), step_id="c")],
                         mode=mode(repeat=3), options=options)
    request = pb.StopRunRequest(run_id=run.id, mode=pb.STOP_MODE_AFTER_ITERATION)
    if request_cleanup is not None:
        request.cleanup = request_cleanup
    reply = (await stub(served).StopRun(request)).run
    assert reply.state == run_pb2.RUN_STATE_RUNNING  # takes effect at the end of the iteration
    deck_module().lab.gate.set()
    done, events = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_STOPPED
    assert done.error.type == "Stopped"
    names = [name for name, _ in deck_module().lab.calls]
    assert names == ["hold", "add"] + (["note"] if cleaned else [])
    assert outputs(done) == [[{"s": 3}]]  # the first iteration finished, the others never ran
    iterations = [e for e in of_kind(events, "iteration_started")
                  if e.phase == run_pb2.RUN_PHASE_MAIN]
    assert [e.index for e in iterations] == [1]
    assert (run_pb2.RUN_PHASE_CLEANUP in phase_kinds(done)) is cleaned


@pytest.mark.parametrize("cleanup", [None, False, True])
async def test_stop_now_skips_the_rest_and_the_cleanup_unless_asked(
        served: Served, cleanup: bool | None) -> None:
    run = await hold_run(served, [call("hold", step_id="h"), call("add", a=lit(1), step_id="a")],
                         cleanup=[call("note", text=lit("cleaned"), step_id="c")],
                         mode=mode(repeat=2))
    request = pb.StopRunRequest(run_id=run.id, mode=pb.STOP_MODE_NOW)
    if cleanup is not None:
        request.cleanup = cleanup
    await stub(served).StopRun(request)
    deck_module().lab.gate.set()  # the step in flight finishes
    done, events = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_STOPPED
    names = [name for name, _ in deck_module().lab.calls]
    assert names == ["hold"] + (["note"] if cleanup else [])
    steps = main_steps(done)
    assert [(s.step_id, s.output.bool_value) for s in steps] == [("h", True)]
    final = of_kind(events, "state_changed")[-1]
    assert final.state == run_pb2.RUN_STATE_STOPPED
    assert final.previous == run_pb2.RUN_STATE_RUNNING


async def test_a_stop_now_is_not_weakened_by_a_later_stop_after_iteration(
        served: Served) -> None:
    run = await hold_run(served, [call("hold", step_id="h"), call("add", a=lit(1), step_id="a")])
    await stub(served).StopRun(pb.StopRunRequest(run_id=run.id, mode=pb.STOP_MODE_NOW))
    await stub(served).StopRun(pb.StopRunRequest(run_id=run.id,
                                                 mode=pb.STOP_MODE_AFTER_ITERATION))
    deck_module().lab.gate.set()
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_STOPPED
    assert [name for name, _ in deck_module().lab.calls] == ["hold"]


async def test_stop_now_ends_a_long_wait_at_once(served: Served) -> None:
    await save_workflow(served.channel, "waiting", main=[
        {"id": "w", "wait": {"seconds": lit(30)}}, call("add", a=lit(1), step_id="a")])
    run = await create_run(served.channel, "waiting")
    await wait_for_event(served.channel, run.id, started("w"))
    began = time.monotonic()
    await stub(served).StopRun(pb.StopRunRequest(run_id=run.id, mode=pb.STOP_MODE_NOW))
    done, events = await finish(served.channel, run.id, timeout=10)
    assert time.monotonic() - began < 5
    assert done.state == run_pb2.RUN_STATE_STOPPED
    [waited] = [e for e in of_kind(events, "step_finished") if e.step_id == "w"]
    assert waited.duration.ToTimedelta().total_seconds() < 5
    assert deck_module().lab.calls == []


async def test_pause_during_a_wait_takes_effect_after_it(served: Served) -> None:
    await save_workflow(served.channel, "short-wait", main=[
        {"id": "w", "wait": {"seconds": lit(0.2)}}, call("add", a=lit(1), step_id="a")])
    run = await create_run(served.channel, "short-wait")
    await wait_for_event(served.channel, run.id, started("w"))
    await stub(served).PauseRun(pb.PauseRunRequest(run_id=run.id))
    event = await wait_for_event(served.channel, run.id, paused())
    assert event.state_changed.pause.kind == run_pb2.PAUSE_KIND_OPERATOR
    assert (await get_run(served, run.id)).progress.last_completed_step_id == "w"
    assert deck_module().lab.calls == []
    await stub(served).StopRun(pb.StopRunRequest(run_id=run.id, mode=pb.STOP_MODE_NOW))
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_STOPPED and deck_module().lab.calls == []


async def test_stop_refuses_an_unknown_mode(served: Served) -> None:
    run = await hold_run(served, [call("hold", step_id="h")])
    code, details = await refused(stub(served).StopRun(pb.StopRunRequest(run_id=run.id,
                                                                         mode=7)))  # type: ignore[arg-type]
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "mode" in details["violations"]
    deck_module().lab.gate.set()
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED


# -- control calls in the wrong state ----------------------------------------------------------


def _control_calls(ex: pb_grpc.ExecuteServiceStub, run_id: str) -> dict[str, Any]:
    return {
        "PauseRun": lambda: ex.PauseRun(pb.PauseRunRequest(run_id=run_id)),
        "ResumeRun": lambda: ex.ResumeRun(pb.ResumeRunRequest(run_id=run_id)),
        "StopRun": lambda: ex.StopRun(pb.StopRunRequest(run_id=run_id, mode=pb.STOP_MODE_NOW)),
        "RetryStep": lambda: ex.RetryStep(pb.RetryStepRequest(run_id=run_id)),
        "SkipStep": lambda: ex.SkipStep(pb.SkipStepRequest(run_id=run_id)),
        "AnswerPrompt": lambda: ex.AnswerPrompt(pb.AnswerPromptRequest(
            run_id=run_id, value=value("x"))),
    }


async def test_control_of_queued_finished_and_unknown_runs_is_refused(served: Served) -> None:
    ex = stub(served)
    await save_workflow(served.channel, "quick", main=[call("add", a=lit(1), step_id="a")])
    finished = await create_run(served.channel, "quick")
    finished, _ = await finish(served.channel, finished.id)
    await ex.PauseQueue(pb.PauseQueueRequest())
    queued = await create_run(served.channel, "quick")
    for run, state in ((queued, "queued"), (finished, "succeeded")):
        for name, make in _control_calls(ex, run.id).items():
            code, details = await refused(make())
            assert code == FAILED_PRECONDITION, (name, state)
            assert details["reason"] == "RUN_NOT_ACTIVE", (name, state)
            assert f"is {state}" in details["message"], (name, state)
    for name, make in _control_calls(ex, "no-such-run").items():
        code, details = await refused(make())
        assert (code, details["reason"]) == (grpc.StatusCode.NOT_FOUND, "RUN_NOT_FOUND"), name
    for name, make in _control_calls(ex, "").items():
        code, details = await refused(make())
        assert code == grpc.StatusCode.INVALID_ARGUMENT, name
        assert "run_id" in details["violations"], name
    # nothing changed
    again = await get_run(served, queued.id)
    assert again.state == run_pb2.RUN_STATE_QUEUED and again.queue_position == 1
    assert (await get_run(served, finished.id)).state == run_pb2.RUN_STATE_SUCCEEDED
    status = (await ex.GetExecutionStatus(pb.GetExecutionStatusRequest())).status
    assert not status.busy and status.queue_paused and status.queue_length == 1
    assert [name for name, _ in deck_module().lab.calls] == ["add"]


async def test_viewers_cannot_control_runs(served: Served) -> None:
    run = await hold_run(served, [call("hold", step_id="h"), call("add", a=lit(1), step_id="a")])
    viewer = pb_grpc.ExecuteServiceStub(await served.channel_as("viewer"))
    for name, make in _control_calls(viewer, run.id).items():
        code, _ = await refused(make())
        assert code == grpc.StatusCode.PERMISSION_DENIED, name
    operator = pb_grpc.ExecuteServiceStub(await served.channel_as("operator"))
    await operator.PauseRun(pb.PauseRunRequest(run_id=run.id))
    deck_module().lab.gate.set()
    await wait_for_event(served.channel, run.id, paused())
    await operator.ResumeRun(pb.ResumeRunRequest(run_id=run.id))
    done, _ = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED


async def test_control_calls_answer_concurrently_with_the_run(served: Served) -> None:
    """Many control calls at once never corrupt the run: one pause, one resume."""
    run = await hold_run(served, [call("hold", step_id="h"), call("add", a=lit(1), step_id="a")])
    ex = stub(served)
    await asyncio.gather(*(ex.PauseRun(pb.PauseRunRequest(run_id=run.id)) for _ in range(5)))
    deck_module().lab.gate.set()
    await wait_for_event(served.channel, run.id, paused())
    await asyncio.gather(*(ex.ResumeRun(pb.ResumeRunRequest(run_id=run.id)) for _ in range(5)),
                         return_exceptions=True)
    done, events = await finish(served.channel, run.id)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED
    assert len(pauses(events)) == 1
