"""Direct control: one path for typed deck rpcs and `ControlService.CallMethod`.

Validation and conversion happen first (a bad request changes nothing), then
the call is recorded, dispatched, and its outcome recorded. A `request_id`
makes a call idempotent per caller: a retry waits for or replays the first
call instead of moving hardware twice.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from google.protobuf import message

from ivorygrpc.deck.codec import BoundCall, OperationCodec, message_to_json, result_to_json
from ivorygrpc.deck.dispatch import Dispatcher
from ivorygrpc.deck.encode import ResultMismatch
from ivorygrpc.deck.introspect import Deck
from ivorygrpc.errors import (
    FailedPrecondition,
    FieldViolation,
    InstrumentFailed,
    InstrumentResultInvalid,
    InvalidArguments,
    IvorygrpcError,
    NotFound,
)
from ivorygrpc.schema import Schema
from ivorygrpc.store import CallRecord, Store

logger = logging.getLogger(__name__)
T = TypeVar("T")
MAX_REQUEST_ID = 200


class DirectControl:
    """Validates, records and dispatches direct calls."""

    def __init__(self, deck: Deck, schema: Schema, store: Store, dispatcher: Dispatcher) -> None:
        self.deck = deck
        self.store = store
        self.dispatcher = dispatcher
        self.codecs: dict[tuple[str, str], OperationCodec] = {}
        for inst in deck.spec.instruments:
            for op in inst.operations:
                request = schema.message_class(f"{inst.package}.{op.rpc}Request")
                response = schema.message_class(f"{inst.package}.{op.rpc}Response")
                self.codecs[(inst.name, op.name)] = OperationCodec(inst, op, request, response)
        self._inflight: dict[tuple[str, str], asyncio.Future[None]] = {}
        self.busy: Callable[[], bool] = lambda: False
        """True while a workflow run holds the deck (set by the server)."""

    def _check_busy(self, override: bool) -> None:
        if override or not self.busy():
            return
        raise FailedPrecondition("a workflow run holds the deck; pause or stop it, or set "
                                 "override_busy (metadata ivorygrpc-override-busy: true for "
                                 "typed rpcs)", reason="INSTRUMENT_BUSY")

    def codec(self, instrument: str, method: str) -> OperationCodec:
        """The codec of `instrument.method`; raises NotFound."""
        codec = self.codecs.get((instrument, method))
        if codec is not None:
            return codec
        if self.deck.spec.instrument(instrument) is None:
            raise NotFound("instrument", instrument, reason="INSTRUMENT_NOT_FOUND")
        raise NotFound("method", f"{instrument}.{method}", reason="METHOD_NOT_FOUND")

    async def call_typed(self, codec: OperationCodec, request: message.Message, caller: str,
                         request_id: str = "", *, override_busy: bool = False) -> message.Message:
        """Serve a typed deck rpc."""
        bound = codec.from_request(request)
        self._check_busy(override_busy)
        response, _ = await self._run(codec, bound, message_to_json(request), caller, request_id,
                                      codec.to_response, codec.response_from_json)
        return response

    async def call_json(self, instrument: str, method: str, arguments: Mapping[str, Any],
                        caller: str, request_id: str = "", *,
                        override_busy: bool = False) -> tuple[Any, CallRecord]:
        """Serve `CallMethod`: JSON-like arguments in, JSON-like result out."""
        codec = self.codec(instrument, method)
        bound = codec.from_json(arguments)
        self._check_busy(override_busy)

        def shape(result: Any) -> Any:
            codec.to_response(result)  # the same type check as the typed path
            return result_to_json(result)

        return await self._run(codec, bound, dict(arguments), caller, request_id, shape,
                               lambda output: output)

    async def _run(self, codec: OperationCodec, bound: BoundCall, arguments: dict[str, Any],
                   caller: str, request_id: str, shape: Callable[[Any], T],
                   replay: Callable[[Any], T]) -> tuple[T, CallRecord]:
        _check_request_id(request_id)
        inst, op = codec.instrument.name, codec.op.name
        if not self.dispatcher.has(inst, op):
            raise FailedPrecondition("the server runs offline (--schema): instruments cannot "
                                     "be called", reason="DECK_OFFLINE")
        key = (caller, request_id)
        if request_id and key in self._inflight:
            await asyncio.shield(self._inflight[key])
            found = await asyncio.to_thread(self.store.calls.find_by_request_id, *key)
            if found is None:  # the first attempt failed before it was recorded
                return await self._run(codec, bound, arguments, caller, request_id, shape, replay)
            return self._replay(found, inst, op, replay), found
        done: asyncio.Future[None] | None = None
        if request_id:  # registered before the first await: a concurrent retry waits for us
            done = asyncio.get_running_loop().create_future()
            self._inflight[key] = done

        def finished(_: object = None) -> None:
            if done is not None:
                self._inflight.pop(key, None)
                done.set_result(None)

        # A cancelled rpc (client deadline) must not lose the call's outcome: once
        # accepted, the call goes on, records the result, and a retry replays it.
        if self.dispatcher.blocking(inst, op):
            try:
                outcome = self._submit_blocking(codec, bound, arguments, caller, request_id,
                                                shape)
            except BaseException:
                finished()
                raise
            if done is None:  # a cancelled caller cancels only its own view of the outcome
                result = await outcome
            else:  # a retry waits for the job itself, so the outcome is shielded
                outcome.add_done_callback(finished)
                result = await asyncio.shield(outcome)
            if isinstance(result, CallRecord):
                return self._replay(result, inst, op, replay), result
            return result

        async def attempt() -> tuple[T, CallRecord]:
            try:
                return await self._attempt_async(codec, bound, arguments, caller, request_id,
                                                 replay, shape)
            finally:
                finished()

        task = asyncio.ensure_future(attempt())
        task.add_done_callback(_retrieve)
        return await asyncio.shield(task)

    def _start(self, codec: OperationCodec, arguments: dict[str, Any], caller: str,
               request_id: str) -> tuple[CallRecord, bool]:
        """Record the call as running (blocking; durable when it returns)."""
        return self.store.calls.start(instrument=codec.instrument.name, method=codec.op.name,
                                      arguments=arguments, caller=caller, request_id=request_id)

    def _submit_blocking(self, codec: OperationCodec, bound: BoundCall,
                         arguments: dict[str, Any], caller: str, request_id: str,
                         shape: Callable[[Any], T]
                         ) -> asyncio.Future[CallRecord | tuple[T, CallRecord]]:
        """One worker-thread hop under the instrument's lock for the start record, the
        call and the outcome record; the future holds the outcome, or the earlier
        record of a reused `request_id` (to replay)."""
        def job(invoke: Callable[[], Any]) -> (
                CallRecord | tuple[T, CallRecord] | Awaitable[tuple[T, CallRecord]]):
            record, created = self._start(codec, arguments, caller, request_id)
            if not created:
                return record  # replayed by the caller
            try:
                result = invoke()
            except Exception as exc:
                return self._conclude(codec, record, shape, error=exc)
            if inspect.isawaitable(result):  # a sync method returned an awaitable:
                return self._await_outcome(codec, record, shape, result)  # under the lock
            return self._conclude(codec, record, shape, result=result)

        return self.dispatcher.submit_blocking(codec.instrument.name, codec.op.name,
                                               bound.args, bound.kwargs, job)

    async def _attempt_async(self, codec: OperationCodec, bound: BoundCall,
                             arguments: dict[str, Any], caller: str, request_id: str,
                             replay: Callable[[Any], T], shape: Callable[[Any], T]
                             ) -> tuple[T, CallRecord]:
        """An `async def` method: record the start (durable before the instrument moves),
        await the call on the loop, record the outcome."""
        inst, op = codec.instrument.name, codec.op.name
        record, created = await asyncio.to_thread(self._start, codec, arguments, caller,
                                                  request_id)
        if not created:
            return self._replay(record, inst, op, replay), record
        return await self._await_outcome(
            codec, record, shape, self.dispatcher.call(inst, op, bound.args, bound.kwargs))

    async def _await_outcome(self, codec: OperationCodec, record: CallRecord,
                             shape: Callable[[Any], T],
                             result: Awaitable[Any]) -> tuple[T, CallRecord]:
        """Await the instrument's `result` and record the outcome (in a worker thread)."""
        try:
            value = await result
        except Exception as exc:
            return await asyncio.to_thread(self._conclude, codec, record, shape, error=exc)
        return await asyncio.to_thread(self._conclude, codec, record, shape, result=value)

    def _conclude(self, codec: OperationCodec, record: CallRecord, shape: Callable[[Any], T], *,
                  result: Any = None, error: Exception | None = None) -> tuple[T, CallRecord]:
        """Record the call's outcome (blocking) and return the answer, or raise the
        instrument's failure as a domain error."""
        inst, op = codec.instrument.name, codec.op.name
        if error is not None:  # the instrument's own failure: record it, keep serving
            logger.warning("%s.%s raised %s: %s", inst, op, type(error).__name__, error)
            self.store.calls.finish(record.id, error_type=type(error).__name__,
                                    error_message=str(error), started=record)
            if isinstance(error, IvorygrpcError):  # a remote instrument's server (deck/remote.py)
                raise error  # was unreachable or refused: keep its status and reason
            raise InstrumentFailed(inst, op, type(error).__name__, str(error),
                                   record.id) from error
        try:
            value = shape(result)
        except ResultMismatch as exc:
            self.store.calls.finish(record.id, error_type="ResultMismatch",
                                    error_message=str(exc), started=record)
            raise InstrumentResultInvalid(f"{inst}.{op} returned a value that does not match "
                                          f"its annotation: {exc}",
                                          metadata={"call_id": record.id}) from exc
        return value, self.store.calls.finish(record.id, output=result_to_json(result),
                                              started=record)

    @staticmethod
    def _replay(record: CallRecord, inst: str, op: str, replay: Callable[[Any], T]) -> T:
        if (record.instrument, record.method) != (inst, op):
            raise InvalidArguments([FieldViolation(
                "request_id", f"already used for {record.instrument}.{record.method}")])
        if record.state == "failed":
            raise InstrumentFailed(inst, op, record.error_type, record.error_message, record.id)
        if record.state != "succeeded":
            raise InvalidArguments([FieldViolation("request_id", "the first call is unfinished")])
        try:
            return replay(record.output)
        except ResultMismatch as exc:
            raise InstrumentResultInvalid(str(exc), metadata={"call_id": record.id}) from exc


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a shielded attempt's exception as seen (its caller may have gone)."""
    if not task.cancelled():
        task.exception()


def _check_request_id(request_id: str) -> None:
    if len(request_id) > MAX_REQUEST_ID:
        raise InvalidArguments([FieldViolation(
            "request_id", f"must be at most {MAX_REQUEST_ID} characters")])
    if not request_id.isprintable():
        raise InvalidArguments([FieldViolation(
            "request_id", "must not contain control characters")])
