"""Generic handlers for the dynamic deck services (one per instrument)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from ivorygrpc.deck.codec import OperationCodec
from ivorygrpc.direct_control import DirectControl
from ivorygrpc.errors import FieldViolation, InvalidArguments
from ivorygrpc.services.context import Context, caller_of, deck_call_headers
from ivorygrpc.services.errors import abort

Unary = Callable[[bytes, Context], Awaitable[bytes]]


def _handler(control: DirectControl, codec: OperationCodec) -> Unary:
    async def handle(raw: bytes, context: Context) -> bytes:
        try:
            try:
                request = codec.request_cls.FromString(raw)
            except DecodeError:
                raise InvalidArguments([FieldViolation("", "request is not a valid "
                                                       f"{codec.op.rpc}Request")]) from None
            request_id, override_busy = deck_call_headers(context)
            response = await control.call_typed(codec, request, caller_of(context), request_id,
                                                override_busy=override_busy)
            return response.SerializeToString()
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            await abort(context, exc)

    return handle


def deck_handlers(control: DirectControl) -> list[grpc.GenericRpcHandler]:
    """One generic handler per instrument service."""
    handlers: list[grpc.GenericRpcHandler] = []
    for inst in control.deck.spec.instruments:
        methods: dict[str, grpc.RpcMethodHandler[Any, Any]] = {
            op.rpc: grpc.unary_unary_rpc_method_handler(
                _handler(control, control.codec(inst.name, op.name)))
            for op in inst.operations
        }
        handlers.append(grpc.method_handlers_generic_handler(inst.service_full_name, methods))
    return handlers
