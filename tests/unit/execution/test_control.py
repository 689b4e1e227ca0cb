"""RunControl: set/clear requests, one decision per pause, stale or misplaced decisions."""

from __future__ import annotations

import pytest

from ivorygrpc.errors import FailedPrecondition
from ivorygrpc.execution.control import (
    PAUSE_INPUT,
    PAUSE_OPERATOR,
    PAUSE_STEP,
    PAUSE_STEP_ERROR,
    PROMPTS,
    Answer,
    Decision,
    RunControl,
    StopRequest,
)

RETRY = Answer(Decision.RETRY)


def reason(kind: str, pause_id: str = "p1") -> dict[str, str]:
    return {"id": pause_id, "kind": kind}


def refused(control: RunControl, answer: Answer, kinds: tuple[str, ...],
            pause_id: str = "") -> str:
    with pytest.raises(FailedPrecondition) as caught:
        control.decide(answer, kinds, pause_id)
    return caught.value.reason


async def test_a_decision_ends_the_pause_once() -> None:
    control = RunControl()
    decided = control.begin_pause(reason(PAUSE_STEP_ERROR))
    assert control.pause_kind() == PAUSE_STEP_ERROR
    control.decide(RETRY, (PAUSE_STEP_ERROR,), "p1")
    assert (await decided).decision is Decision.RETRY
    assert control.pause_kind() == ""  # decided: a second decision finds nothing open
    assert refused(control, Answer(Decision.SKIP), (PAUSE_STEP_ERROR,)) == "RUN_NOT_WAITING"
    control.end_pause()
    assert control.pause is None


async def test_decisions_must_match_the_kind_and_the_pause_id() -> None:
    control = RunControl()
    assert refused(control, RETRY, (PAUSE_STEP_ERROR,)) == "RUN_NOT_WAITING"  # running
    decided = control.begin_pause(reason(PAUSE_INPUT, "p7"))
    assert refused(control, RETRY, (PAUSE_STEP_ERROR,)) == "RUN_NOT_WAITING"
    assert refused(control, Answer(Decision.ANSWER, 1), PROMPTS, "p6") == "PAUSE_ID_MISMATCH"
    assert not decided.done()
    control.decide(Answer(Decision.ANSWER, 1, "ann"), PROMPTS, "")  # the id is optional
    assert (await decided) == Answer(Decision.ANSWER, 1, "ann")


async def test_resume_clears_an_operator_pause_and_refuses_other_pauses() -> None:
    control = RunControl()
    control.pause_requested = True
    control.resume()  # withdraws the request
    assert not control.pause_requested
    control.resume()  # idempotent
    decided = control.begin_pause(reason(PAUSE_OPERATOR))
    control.resume()
    assert (await decided).decision is Decision.RESUME
    control.end_pause()
    for kind in (PAUSE_STEP_ERROR, PAUSE_STEP, PAUSE_INPUT):
        pending = control.begin_pause(reason(kind))
        with pytest.raises(FailedPrecondition) as caught:
            control.resume()
        assert caught.value.reason == "RUN_WAITS_FOR_DECISION"
        assert not pending.done()
        control.end_pause()


async def test_any_pause_satisfies_a_requested_pause() -> None:
    """IvoryOS bug 13: pause pressed while the step in flight then fails."""
    control = RunControl()
    control.pause_requested = True
    control.begin_pause(reason(PAUSE_STEP_ERROR))
    assert not control.pause_requested
    control.decide(RETRY, (PAUSE_STEP_ERROR,), "")
    control.end_pause()
    assert not control.pause_requested  # the retry goes on without another pause


async def test_stop_now_ends_the_pause_and_is_never_weakened() -> None:
    control = RunControl()
    decided = control.begin_pause(reason(PAUSE_INPUT))
    control.request_stop(StopRequest(now=True, cleanup=False, continue_queue=False))
    assert (await decided).decision is Decision.STOP and control.stop_now.is_set()
    control.end_pause()
    control.request_stop(StopRequest(now=False, cleanup=True, continue_queue=True))
    assert control.stop == StopRequest(now=True, cleanup=False, continue_queue=False)
    # a pause after a stop now is decided at once
    later = control.begin_pause(reason(PAUSE_STEP_ERROR, "p2"))
    assert later.done() and later.result().decision is Decision.STOP


async def test_stop_after_iteration_leaves_a_pause_waiting() -> None:
    control = RunControl()
    decided = control.begin_pause(reason(PAUSE_STEP_ERROR))
    control.request_stop(StopRequest(now=False, cleanup=True, continue_queue=False))
    assert not decided.done() and control.pause_kind() == PAUSE_STEP_ERROR
    control.request_stop(StopRequest(now=True, cleanup=True, continue_queue=False))
    assert (await decided).decision is Decision.STOP
