"""A call step's instrument call, with its start committed in the instrument's own thread.

A blocking (non-`async`) method runs in its instrument's worker thread. When
its instrument is free, the runner stages the step's start (`EventLog.stage`)
and the worker thread commits it right before calling the method
(`commit_then_call`): the start is durable before the instrument moves, with
one thread hop per step instead of two (the writer's and the instrument's).
When the thread cannot commit it (the event log is busy with another group),
nothing is called in that hop: the runner waits for the commit and calls the
method the usual way. Instrument code never runs on the event log's writer.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ivorygrpc.deck.codec import BoundCall, OperationCodec, result_to_json
from ivorygrpc.deck.dispatch import Dispatcher
from ivorygrpc.deck.encode import ResultMismatch
from ivorygrpc.execution import values
from ivorygrpc.execution.events import Staged
from ivorygrpc.execution.values import Sample, StepFailure


class _NotCommitted:
    """The worker thread could not commit the staged start: nothing was called."""


class _Refused:
    """The staged start was refused by the store (the error is on the staged future)."""


NOT_COMMITTED = _NotCommitted()
REFUSED = _Refused()


def commit_then_call(staged: Staged, invoke: Callable[[], Any]) -> Any:
    """In the instrument's worker thread: commit `staged`, then call the method."""
    try:
        if not staged.commit_here():
            return NOT_COMMITTED
    except Exception:  # raised again in the event loop by the staged future
        return REFUSED
    return invoke()


@dataclass(frozen=True, eq=False)  # compared by identity, as the runner's other actions
class InstrumentCall:
    """One call of a deck method for one sample; saves the result as the step asks."""

    _dispatcher: Dispatcher
    _instrument: str
    _method: str
    _codec: OperationCodec
    _bound: BoundCall
    _save_as: list[str]
    _sample: Sample

    async def __call__(self) -> Any:
        """Call the method (its step's start must already be committed)."""
        try:
            result = await self._dispatcher.call(self._instrument, self._method,
                                                 self._bound.args, self._bound.kwargs)
        except Exception as exc:  # the instrument's own failure
            raise _failure(exc) from exc
        return self._output(result)

    def stageable(self) -> bool:
        """True when the start may be committed in the call's thread: a blocking method
        of an instrument nothing else is using (a start is never left uncommitted while
        the call waits for the instrument)."""
        return (self._dispatcher.blocking(self._instrument, self._method)
                and not self._dispatcher.lock(self._instrument).locked())

    async def call_staged(self, staged: Staged) -> Any:
        """Commit `staged` (the step's start) in the call's thread, then call the method."""
        job = self._dispatcher.submit_blocking(
            self._instrument, self._method, self._bound.args, self._bound.kwargs,
            functools.partial(commit_then_call, staged))
        try:
            outcome = await asyncio.shield(job)
        except asyncio.CancelledError:
            # The thread cannot be stopped: whatever it commits comes before the run's end.
            await asyncio.wait([job])
            raise
        except Exception as exc:
            raise _failure(exc) from exc
        finally:
            committed = staged.release()  # wakes the writer if the thread did not commit
        if outcome is NOT_COMMITTED or outcome is REFUSED:
            await committed  # raises the store's error
            return await self()
        return self._output(outcome)

    def _output(self, result: Any) -> Any:
        try:
            self._codec.to_response(result)
            output = result_to_json(result)
        except (ResultMismatch, ValueError) as exc:
            raise StepFailure("ResultMismatch", str(exc)) from None
        values.save(self._save_as, output, self._sample)
        return output


def _failure(exc: Exception) -> StepFailure:
    return StepFailure(type(exc).__name__, str(exc) or type(exc).__name__)


def as_called(codec: OperationCodec, bound: BoundCall,
              given: Mapping[str, Any]) -> dict[str, Any]:
    """The given arguments as the method gets them (converted), in JSON form."""
    positional = [p.name for p in codec.op.params if p.positional_only]
    converted = {**dict(zip(positional, bound.args, strict=False)), **bound.kwargs}
    return {name: jsonable(converted[name]) if name in converted else value
            for name, value in given.items()}


def jsonable(value: Any) -> Any:
    """`value` in JSON form as results are stored; its repr when it has none."""
    try:
        return result_to_json(value)
    except ValueError:
        return repr(value)
