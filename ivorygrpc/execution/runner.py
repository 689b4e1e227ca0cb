"""The runner: executes one run's phases, iterations, samples and steps.

Cooperative: pause and stop act between steps (a call in flight is never
killed; a wait ends early on a stop now). A failing step, a bad value or a
condition that cannot be evaluated pauses the run with the error; the
operator retries, skips or stops. Every step start and finish, state change,
prompt and log line is written to the event log and committed before anyone
sees it; a step's start is committed before its instrument moves, and the
events that only need recording go with the next such commit (`journal`), so
a killed server loses nothing that was streamed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ivorygrpc.deck.codec import OperationCodec
from ivorygrpc.deck.dispatch import Dispatcher
from ivorygrpc.deck.model import DeckSpec
from ivorygrpc.errors import InvalidArguments, IvorygrpcError
from ivorygrpc.execution import values
from ivorygrpc.execution.control import (
    PAUSE_INPUT,
    PAUSE_OPERATOR,
    PAUSE_STEP,
    PAUSE_STEP_ERROR,
    Answer,
    Decision,
    RunControl,
)
from ivorygrpc.execution.events import EventLog, Staged
from ivorygrpc.execution.iterations import IterationSource, PlannedIterations
from ivorygrpc.execution.journal import Events, RunJournal
from ivorygrpc.execution.names import PHASE_NAMES
from ivorygrpc.execution.plan import RunPlan
from ivorygrpc.execution.run_logging import RunLogCapture
from ivorygrpc.execution.step_call import InstrumentCall, as_called, jsonable
from ivorygrpc.execution.values import Sample, StepFailure, step_title
from ivorygrpc.store._common import utc_now
from ivorygrpc.store.records import RunRecord
from ivorygrpc.workflow.parameters import outputs
from ivorygrpc.workflow.validate import step_kind

logger = logging.getLogger("ivorygrpc.run")
DEFAULT_WHILE_CAP = 1000
NotifyHook = Callable[[str, Mapping[str, Any]], Any]
Prepared = tuple[dict[str, Any], Callable[[], Awaitable[Any]]]
"""A step's resolved arguments and the action that runs it."""


@dataclass(frozen=True)
class RunnerDeps:
    """What a runner needs from the server."""

    log: EventLog
    dispatcher: Dispatcher
    codec: Callable[[str, str], OperationCodec]  # raises NotFound
    deck: DeckSpec
    notify: Sequence[NotifyHook] = ()


@dataclass(frozen=True)
class Scope:
    """Where steps run: phase, iteration, and the called workflow they belong to."""

    phase: str
    iteration: int
    id_prefix: str = ""  # "<call step id>/" inside a called workflow
    plan_key: str = ""  # "<name>@<version>/" inside a called workflow


@dataclass(frozen=True)
class Outcome:
    """How a run ended: its final state, its error (JSON form) and the stop, if any."""

    state: str
    error: dict[str, Any] | None


class _Abandoned(Exception):
    """A prompt step ended by a stop instead of an answer."""


class _Skipped:
    """A step the operator skipped or a stop ended: its result is not stored."""


SKIPPED = _Skipped()


class Runner:
    """Runs one run to its end; `execute` returns how it ended."""

    def __init__(self, run: RunRecord, plan: RunPlan, body: Mapping[str, Any], deps: RunnerDeps,
                 control: RunControl, main: IterationSource | None = None) -> None:
        self.run = run
        self.plan = plan
        self.body = body
        self.deps = deps
        self.control = control
        self.main = main or PlannedIterations(plan.iterations)  # or a campaign's optimizer
        self.iterations = self.main.total
        self.progress: dict[str, Any] = {"iterations": self.iterations}
        self.journal = RunJournal(deps.log, run.id, self.progress)
        self._capture: RunLogCapture | None = None

    @property
    def state(self) -> str:
        """The run's state as last recorded: running or paused while it executes."""
        return self.journal.state

    # -- phases -------------------------------------------------------------------------------

    async def execute(self) -> Outcome:
        """Run prep, main and cleanup; never raises except on cancellation."""
        capture = self._capture = RunLogCapture(self._log_record)
        capture.install()
        try:
            await self._write(_state_event("RUN_STATE_RUNNING", "RUN_STATE_QUEUED"),
                              state="running", started_at=utc_now(), position=None)
            error: dict[str, Any] | None = None
            try:
                await self._phase("prep", [[{}]])
                if not self._halted():
                    await self._phase("main", self.main)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a failure outside steps: end the run, still clean up
                logger.exception("run %s failed", self.run.id)
                error = {"type": type(exc).__name__, "message": str(exc)}
            stopped = self.control.stop is not None
            if self._cleanup_wanted(error is not None):
                self.control.stop_now.clear()  # a stop now with cleanup still runs the cleanup
                try:
                    await self._phase("cleanup", [[{}]])
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    logger.exception("cleanup of run %s failed", self.run.id)
                    error = error or {"type": type(exc).__name__, "message": str(exc)}
            await capture.drain()
        finally:
            capture.remove()
            self.journal.flush()  # also when cancelled: before the executor records the end
        # A stop after the iteration that arrives during the cleanup changes nothing.
        if stopped or self._halted():
            state = "stopped"
            error = error or {"type": "Stopped", "message": "stopped by an operator"}
        else:
            state = "failed" if error is not None else "succeeded"
        return Outcome(state, error)

    def _cleanup_wanted(self, failed: bool) -> bool:
        stop = self.control.stop
        if stop is None or failed:
            return True
        return stop.cleanup

    def _halted(self) -> bool:
        return self.control.stop_now.is_set()

    async def _phase(self, phase: str,
                     iterations: list[list[dict[str, Any]]] | IterationSource) -> None:
        steps = self.body.get(phase) or []
        name = PHASE_NAMES[phase]
        self._move(phase=name, step_id="")
        await self._write([("phase_started", {"phase": name})])
        source = PlannedIterations(iterations) if isinstance(iterations, list) else iterations
        planned = isinstance(source, PlannedIterations)  # answers without awaiting anything
        total = source.total
        completed = 0
        for index in range(1, total + 1):
            if phase == "main" and (self.control.stop is not None or self._halted()):
                break
            if not planned:
                self.journal.flush()  # an optimizer may take its time
            parameters = await source.next(index)
            if parameters is None:
                break
            samples = [Sample(i, dict(p)) for i, p in enumerate(parameters)]
            if phase == "main":
                self._move(iteration=index, fraction=(index - 1) / max(total, 1))
                self._note("progress", dict(self.progress))
            self._note("iteration_started", {"phase": name, "index": index, "total": total,
                                             "parameters": parameters})
            await self._steps(steps, samples, Scope(phase, index))
            self._note("iteration_finished", {
                "phase": name, "index": index, "total": total, "parameters": parameters,
                "outputs": [s.context() for s in samples]})
            if not planned:
                self.journal.flush()
            enough = await source.finished(index, samples, self._halted())
            if self._halted():
                break
            completed = index
            if enough:  # a campaign reached its goal
                break
        if phase == "main" and completed:
            self._move(step_id="", fraction=completed / max(total, 1))
            self._note("progress", dict(self.progress))
        self._move(step_id="")
        await self._write([("phase_finished", {"phase": name})])

    # -- step trees ---------------------------------------------------------------------------

    async def _steps(self, steps: Sequence[Mapping[str, Any]], samples: list[Sample],
                     scope: Scope) -> None:
        for step in steps:
            if self._halted():
                return
            if step.get("disabled") or not samples:
                continue
            kind = step_kind(step)
            if kind == "if_else":
                await self._if_else(step, samples, scope)
            elif kind == "while_loop":
                await self._while(step, samples, scope)
            elif kind == "repeat":
                await self._repeat(step, samples, scope)
            elif kind == "call" and step["call"].get("once_per_batch"):
                await self._once_per_batch(step, samples, scope)
            else:
                for sample in samples:
                    if self._halted():
                        return
                    await self._attempts(step, sample.index, scope,
                                         functools.partial(self._prepare, step, sample, scope))

    async def _if_else(self, step: Mapping[str, Any], samples: list[Sample],
                       scope: Scope) -> None:
        block = step["if_else"]
        then_group: list[Sample] = []
        else_group: list[Sample] = []
        for sample in samples:
            result = await self._condition(step, block, sample, scope)
            if result is True:
                then_group.append(sample)
            elif result is False:
                else_group.append(sample)
        await self._steps(block.get("then_steps") or [], then_group, scope)
        await self._steps(block.get("else_steps") or [], else_group, scope)

    async def _while(self, step: Mapping[str, Any], samples: list[Sample], scope: Scope) -> None:
        """Each pass checks the condition per active sample and runs the body for those true.

        When the condition still holds after `max_iterations` passes, the run pauses
        with `WhileCapReached`: retry allows as many passes again, skip leaves the loop.
        """
        block = step["while_loop"]
        cap = int(block.get("max_iterations") or DEFAULT_WHILE_CAP)
        active = list(samples)
        passes = 0
        while active and not self._halted():
            active = [s for s in active if await self._condition(step, block, s, scope) is True]
            if not active or self._halted():
                return
            if passes >= cap:
                capped = await self._attempts(step, -1, scope, _cap_reached(cap))
                if capped is SKIPPED:
                    return
                passes = 0
            passes += 1
            await self._steps(block.get("steps") or [], active, scope)

    async def _repeat(self, step: Mapping[str, Any], samples: list[Sample],
                      scope: Scope) -> None:
        block = step["repeat"]
        counts: dict[int, int] = {}
        for sample in samples:
            result = await self._attempts(step, sample.index, scope, functools.partial(
                _counted, block.get("count"), sample))
            counts[sample.index] = 0 if isinstance(result, _Skipped) else int(result)
        for turn in range(max(counts.values(), default=0)):
            group = [s for s in samples if counts[s.index] > turn]
            await self._steps(block.get("steps") or [], group, scope)
            if self._halted():
                return

    async def _condition(self, step: Mapping[str, Any], block: Mapping[str, Any],
                         sample: Sample, scope: Scope) -> bool | _Skipped:
        text = str(block.get("condition", ""))
        result = await self._attempts(step, sample.index, scope, lambda: (
            {"condition": text}, _value(values.condition(text, sample))))
        return result if isinstance(result, bool) else SKIPPED

    async def _once_per_batch(self, step: Mapping[str, Any], samples: list[Sample],
                              scope: Scope) -> None:
        """Call once (sample -1) with the first sample's values; every sample saves the result."""
        first = samples[0]
        shared = Sample(-1, dict(first.parameters), dict(first.variables))
        result = await self._attempts(step, -1, scope, lambda: self._prepare(step, shared, scope))
        if isinstance(result, _Skipped):
            return
        names = [str(n) for n in step["call"].get("save_as") or []]
        for sample in samples:
            values.save(names, result, sample)

    # -- one step -----------------------------------------------------------------------------

    async def _attempts(self, step: Mapping[str, Any], sample: int, scope: Scope,
                        prepare: Callable[[], Prepared]) -> Any:
        """Run a step for one sample until it succeeds, is skipped or the run stops."""
        step_id = scope.id_prefix + str(step.get("id", ""))
        ident = {"step_id": step_id, "kind": step_kind(step), "title": step_title(step),
                 "phase": PHASE_NAMES[scope.phase], "iteration": scope.iteration,
                 "sample": sample}
        attempt = 0
        while True:
            await self._checkpoint(scope)
            if self._halted():
                return SKIPPED
            attempt += 1
            arguments: dict[str, Any] = {}
            started = time.perf_counter()
            output: Any = None
            error: dict[str, Any] | None = None
            announced = False
            try:
                arguments, action = prepare()
                start = {**ident, "attempt": attempt, "arguments": arguments}
                if isinstance(action, InstrumentCall) and action.stageable():
                    staged = self._stage_started(start)
                    announced = True
                    output = await action.call_staged(staged)
                else:
                    await self._step_started(start)
                    announced = True
                    output = await action()
            except StepFailure as exc:
                error = {"step_id": step_id, "type": exc.error_type, "message": exc.message}
                if not announced:
                    arguments = exc.arguments
            except _Abandoned as exc:  # a stop ended the prompt: not an error, not done
                self._step_finished({**ident, "attempt": attempt, "arguments": arguments,
                                     "error": {"step_id": step_id, "type": "Stopped",
                                               "message": str(exc)}}, "")
                return SKIPPED
            if self._capture is not None:
                await self._capture.drain()  # the step's deck log lines come before its end
            finished = {**ident, "attempt": attempt, "arguments": arguments,
                        "duration": f"{time.perf_counter() - started:.6f}s"}
            if error is None:
                self._step_finished({**finished, "output": jsonable(output)}, step_id)
                return output
            if not announced:  # failed while resolving: record the start too
                self._note_started({**ident, "attempt": attempt, "arguments": arguments})
            self._step_finished({**finished, "error": error}, "")
            answer = await self._pause({"kind": PAUSE_STEP_ERROR, "step_id": step_id,
                                        "error": error, "message": error["message"]},
                                       scope, sample)
            if answer.decision is Decision.RETRY:
                continue
            if answer.decision is Decision.SKIP:
                self._step_finished({**finished, "error": error, "skipped": True}, "")
            return SKIPPED

    def _prepare(self, step: Mapping[str, Any], sample: Sample, scope: Scope) -> Prepared:
        """Resolve a simple step's arguments; return them with the action that runs it."""
        kind = step_kind(step)
        body = step.get(kind) or {}
        if kind == "call":
            return self._prepare_call(body, sample)
        if kind == "set_variable":
            value = values.resolve(body.get("value"), sample)

            async def assign() -> Any:
                sample.variables[str(body.get("name"))] = value
                return value
            return {"value": value}, assign
        if kind == "wait":
            seconds = values.seconds(body.get("seconds"), sample)
            return {"seconds": seconds}, lambda: self._wait(seconds)
        if kind == "comment":
            text = values.interpolate(str(body.get("text", "")), sample)
            return {}, lambda: self._comment(text)
        if kind == "pause":
            message = values.interpolate(str(body.get("message", "")), sample)
            return {"message": message}, lambda: self._pause_step(message, step, sample, scope)
        if kind == "input":
            prompt = values.interpolate(str(body.get("prompt", "")), sample)
            return {"prompt": prompt}, lambda: self._input_step(body, prompt, step, sample, scope)
        if kind == "call_workflow":
            return self._prepare_call_workflow(step, body, sample, scope)
        raise StepFailure("InvalidStep", f"unknown step kind {kind!r}")

    def _prepare_call(self, body: Mapping[str, Any], sample: Sample) -> Prepared:
        inst, method = str(body.get("instrument", "")), str(body.get("method", ""))
        arguments = {name: values.resolve(value, sample)
                     for name, value in (body.get("arguments") or {}).items()}
        try:
            codec = self.deps.codec(inst, method)
            bound = codec.from_json(arguments)
        except InvalidArguments as exc:
            raise StepFailure("InvalidArguments", str(exc), arguments) from None
        except IvorygrpcError as exc:
            raise StepFailure(type(exc).__name__, str(exc), arguments) from None
        if not self.deps.dispatcher.has(inst, method):
            raise StepFailure("DeckOffline",
                              "the server runs offline: instruments cannot be called")
        names = [str(n) for n in body.get("save_as") or []]
        call = InstrumentCall(self.deps.dispatcher, inst, method, codec, bound, names, sample)
        return as_called(codec, bound, arguments), call

    def _prepare_call_workflow(self, step: Mapping[str, Any], body: Mapping[str, Any],
                               sample: Sample, scope: Scope) -> Prepared:
        key = self.plan.calls.get(scope.plan_key + str(step.get("id", "")))
        if key is None or key not in self.plan.workflows:
            raise StepFailure("WorkflowNotFound",
                              f"workflow {body.get('workflow')!r} is not part of this run")
        called = self.plan.workflows[key]
        arguments = {name: values.resolve(value, sample)
                     for name, value in (body.get("arguments") or {}).items()}
        names = [str(n) for n in body.get("save_as") or []]

        async def call() -> Any:
            inner = Sample(sample.index, dict(arguments))
            inner_scope = replace(scope, id_prefix=f"{scope.id_prefix}{step.get('id', '')}/",
                                  plan_key=f"{key}/")
            await self._steps(called.get("main") or [], [inner], inner_scope)
            results = [inner.variables.get(o.name) for o in outputs(called, self.deps.deck)]
            for name, value in zip(names, results, strict=False):
                if name and value is not None:
                    sample.variables[name] = value
            return results
        return arguments, call

    async def _wait(self, seconds: float) -> float:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(self.control.stop_now.wait(), timeout=seconds)
        except TimeoutError:
            pass
        return round(time.perf_counter() - started, 6)

    async def _comment(self, text: str) -> str:
        await self._event("log", {"level": "INFO", "logger": "ivorygrpc.run", "message": text})
        return text

    async def _pause_step(self, message: str, step: Mapping[str, Any], sample: Sample,
                          scope: Scope) -> None:
        info = {"run_id": self.run.id, "run": self.run.display_name,
                "workflow": self.run.workflow, "step_id": scope.id_prefix + str(step["id"]),
                "message": message}
        for hook in self.deps.notify:
            try:
                await asyncio.to_thread(hook, message, info)
            except Exception as exc:  # a broken hook must not stop the run
                await self._event("log", {"level": "WARNING", "logger": "ivorygrpc.run",
                                          "message": f"notification hook failed: {exc!r}"})
        answer = await self._pause({"kind": PAUSE_STEP,
                                    "step_id": scope.id_prefix + str(step["id"]),
                                    "message": message}, scope, sample.index)
        if answer.decision is not Decision.ANSWER:
            raise _Abandoned("the run stopped before the pause was acknowledged")

    async def _input_step(self, body: Mapping[str, Any], prompt: str, step: Mapping[str, Any],
                          sample: Sample, scope: Scope) -> Any:
        answer = await self._pause({"kind": PAUSE_INPUT,
                                    "step_id": scope.id_prefix + str(step["id"]),
                                    "message": prompt,
                                    "input_type": body.get("type", "INPUT_TYPE_STRING")},
                                   scope, sample.index)
        if answer.decision is not Decision.ANSWER:
            raise _Abandoned("the run stopped before the input was given")
        sample.variables[str(body.get("name"))] = answer.value
        return answer.value

    # -- pauses -------------------------------------------------------------------------------

    async def _checkpoint(self, scope: Scope) -> None:
        while self.control.pause_requested and not self._halted():
            await self._pause({"kind": PAUSE_OPERATOR, "message": "paused by an operator"},
                              scope, 0)

    async def _pause(self, reason: dict[str, Any], scope: Scope, sample: int) -> Answer:
        reason = {"id": uuid.uuid4().hex[:12], "phase": PHASE_NAMES[scope.phase],
                  "iteration": scope.iteration, "sample": sample,
                  "time": utc_now().isoformat(), **reason}
        decided = self.control.begin_pause(reason)
        events = [("state_changed", {"state": "RUN_STATE_PAUSED",
                                     "previous": "RUN_STATE_RUNNING", "pause": reason})]
        if reason["kind"] in (PAUSE_STEP, PAUSE_INPUT):
            events.append(("prompt_requested", reason))
        await self._write(events, state="paused", pause=reason)
        try:
            answer = await decided
        finally:
            self.control.end_pause()
        resumed: list[tuple[str, dict[str, Any]]] = []
        if answer.decision is Decision.ANSWER:
            resumed.append(("prompt_answered", {"pause_id": reason["id"], "user": answer.user,
                                                "value": jsonable(answer.value)}))
        resumed.append(("state_changed", {"state": "RUN_STATE_RUNNING",
                                          "previous": "RUN_STATE_PAUSED"}))
        await self._write(resumed, state="running", pause=None)
        return answer

    # -- events -------------------------------------------------------------------------------

    def _move(self, **progress: Any) -> None:
        self.progress.update(progress)
        self.journal.progress_changed()

    async def _step_started(self, payload: dict[str, Any]) -> None:
        self._move(step_id=payload["step_id"])
        await self._write([("step_started", payload)])

    def _stage_started(self, payload: dict[str, Any]) -> Staged:
        """The step's start, for the instrument's thread to commit before the call."""
        self._move(step_id=payload["step_id"])
        return self.journal.stage([("step_started", payload)])

    def _note_started(self, payload: dict[str, Any]) -> None:
        self._move(step_id=payload["step_id"])
        self._note("step_started", payload)

    def _step_finished(self, payload: dict[str, Any], completed: str) -> None:
        self._move(step_id="")
        if completed:
            self.progress["last_completed_step_id"] = completed
        self._note("step_finished", payload)

    def _note(self, kind: str, payload: dict[str, Any]) -> None:
        """Record an event that commits with the next write (see `journal`)."""
        self.journal.note([(kind, payload)])

    async def _event(self, kind: str, payload: dict[str, Any]) -> None:
        await self.journal.write([(kind, payload)])

    async def _write(self, events: Events, **fields: Any) -> None:
        """Record `events` (and run `fields`) and wait for their commit, with every event
        noted before."""
        await self.journal.write(events, **fields)

    async def _log_record(self, record: logging.LogRecord) -> None:
        await self._event("log", {"level": record.levelname, "logger": record.name,
                                  "message": record.getMessage()})


def _state_event(state: str, previous: str) -> list[tuple[str, dict[str, Any]]]:
    return [("state_changed", {"state": state, "previous": previous})]


def _counted(value: Any, sample: Sample) -> Prepared:
    count = values.count(value, sample)
    return {"count": count}, _value(count)


def _cap_reached(cap: int) -> Callable[[], Prepared]:
    """The cap check of a while loop: fails first; a retry passes (another `cap` passes)."""
    attempts = 0

    def prepare() -> Prepared:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise StepFailure("WhileCapReached",
                              f"the loop ran {cap} times and its condition still holds; retry "
                              f"allows {cap} more passes, skip leaves the loop",
                              {"max_iterations": cap})
        return {"max_iterations": cap}, _value(cap)
    return prepare


def _value(value: Any) -> Callable[[], Awaitable[Any]]:
    async def done() -> Any:
        return value
    return done
