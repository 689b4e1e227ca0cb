"""Operator requests to the active run, and what a paused run waits for.

The runner reads these flags between steps (pause and stop are cooperative);
a paused run awaits one `Decision`. Requests are set/clear, never toggles, so
a repeated request changes nothing.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from typing import Any

from ivorygrpc.errors import FailedPrecondition

PAUSE_OPERATOR = "PAUSE_KIND_OPERATOR"
PAUSE_STEP_ERROR = "PAUSE_KIND_STEP_ERROR"
PAUSE_STEP = "PAUSE_KIND_PAUSE_STEP"
PAUSE_INPUT = "PAUSE_KIND_INPUT"
PROMPTS = (PAUSE_STEP, PAUSE_INPUT)


class Decision(enum.Enum):
    """How an operator ends a pause."""

    RESUME = "resume"
    RETRY = "retry"
    SKIP = "skip"
    ANSWER = "answer"
    STOP = "stop"


@dataclass(frozen=True)
class StopRequest:
    """A stop: after the current iteration or now; with or without cleanup."""

    now: bool
    cleanup: bool
    continue_queue: bool


@dataclass(frozen=True)
class Answer:
    """The operator's decision, with the answer value for input steps and who gave it."""

    decision: Decision
    value: Any = None
    user: str = ""


class RunControl:
    """The requests for one active run and its current pause, if any."""

    def __init__(self) -> None:
        self.pause_requested = False
        self.stop: StopRequest | None = None
        self.stop_now = asyncio.Event()
        self.pause: dict[str, Any] | None = None  # the PauseReason in effect (JSON form)
        self._answer: asyncio.Future[Answer] | None = None

    def begin_pause(self, reason: dict[str, Any]) -> asyncio.Future[Answer]:
        """Enter a pause; the returned future resolves with the operator's decision.

        Any pause satisfies a requested operator pause: an operator who pressed
        pause while the step in flight then failed finds the run paused on the
        error, and retrying or skipping it goes on without a second pause.
        """
        self.pause_requested = False
        self.pause = reason
        self._answer = asyncio.get_running_loop().create_future()
        if self.stop_now.is_set():
            self._answer.set_result(Answer(Decision.STOP))
        return self._answer

    def end_pause(self) -> None:
        """Leave the pause (the runner calls this once it acted on the decision)."""
        self.pause = None
        self._answer = None

    def request_stop(self, stop: StopRequest) -> None:
        """Ask the run to stop; a stop now also ends a pause and a running wait."""
        if self.stop is not None and self.stop.now and not stop.now:
            return  # a stop now is never weakened to a stop after the iteration
        self.stop = stop
        if stop.now:
            self.stop_now.set()
            self._decide(Answer(Decision.STOP))

    def resume(self) -> None:
        """Clear an operator pause, requested or in effect."""
        kind = self.pause_kind()
        if kind in (PAUSE_STEP_ERROR, *PROMPTS):
            raise FailedPrecondition(
                "the run waits for "
                + ("RetryStep, SkipStep or StopRun" if kind == PAUSE_STEP_ERROR
                   else "AnswerPrompt or StopRun"),
                reason="RUN_WAITS_FOR_DECISION")
        self.pause_requested = False
        if kind == PAUSE_OPERATOR:
            self._decide(Answer(Decision.RESUME))

    def check(self, kinds: tuple[str, ...], pause_id: str) -> None:
        """Raise FailedPrecondition unless the open pause is one of `kinds` (and `pause_id`)."""
        kind = self.pause_kind()
        if kind not in kinds:
            wanted = "a step error" if kinds == (PAUSE_STEP_ERROR,) else "a prompt"
            now = {PAUSE_OPERATOR: "paused by an operator (ResumeRun continues it)",
                   PAUSE_STEP_ERROR: "paused on a step error (RetryStep or SkipStep)",
                   PAUSE_STEP: "waiting at a pause step (AnswerPrompt)",
                   PAUSE_INPUT: "waiting for an input (AnswerPrompt)"}.get(kind, "running")
            raise FailedPrecondition(f"the run is not paused on {wanted}: it is {now}",
                                     reason="RUN_NOT_WAITING")
        assert self.pause is not None
        if pause_id and pause_id != self.pause.get("id"):
            raise FailedPrecondition(f"pause {pause_id!r} is over; the run now waits on "
                                     f"{self.pause.get('id')!r}", reason="PAUSE_ID_MISMATCH")

    def decide(self, answer: Answer, kinds: tuple[str, ...], pause_id: str) -> None:
        """Answer the pause in effect if it is one of `kinds` (and `pause_id`, when given)."""
        self.check(kinds, pause_id)
        self._decide(answer)

    def pause_kind(self) -> str:
        """The kind of the pause in effect whose decision is still open, or ""."""
        if self.pause is None or self._answer is None or self._answer.done():
            return ""
        return str(self.pause.get("kind", ""))

    def _decide(self, answer: Answer) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(answer)
