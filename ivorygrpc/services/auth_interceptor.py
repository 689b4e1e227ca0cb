"""Enforces `auth.roles.required_role` on every rpc, static, deck and stream alike.

Without a valid bearer token a call fails UNAUTHENTICATED; with a role below
the rpc's it fails PERMISSION_DENIED. The caller's identity is handed to the
servicer through `services.context.current_identity`.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias

import grpc

from ivorygrpc.auth.accounts import Accounts, Identity
from ivorygrpc.auth.roles import Role, required_role
from ivorygrpc.errors import FieldViolation, InvalidArguments, IvorygrpcError, PermissionDenied
from ivorygrpc.services.context import Context, current_identity
from ivorygrpc.services.errors import to_status

Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
_KINDS = ("unary_unary", "unary_stream", "stream_unary", "stream_stream")
_FACTORIES: dict[str, Callable[..., Handler]] = {
    "unary_unary": grpc.unary_unary_rpc_method_handler,
    "unary_stream": grpc.unary_stream_rpc_method_handler,
    "stream_unary": grpc.stream_unary_rpc_method_handler,
    "stream_stream": grpc.stream_stream_rpc_method_handler,
}
GUARDED_CACHE = 4096  # (handler, identity) pairs kept; cleared when full


def bearer_token(metadata: Any) -> str | None:
    """The token of an `authorization: Bearer <token>` header, if any."""
    for key, value in metadata or ():
        if key == "authorization":
            text = value if isinstance(value, str) else value.decode("utf-8", "replace")
            scheme, _, token = text.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Authenticates and authorises every call before its handler runs."""

    def __init__(self, accounts: Accounts) -> None:
        self._accounts = accounts
        # Wrapping a handler costs a few percent of a short call, so each wrapper is made
        # once per handler and identity. Only a call that authenticated as `identity` gets
        # its wrapper: a revoked token never reaches the lookup.
        self._wrapped: dict[tuple[int, Identity | None], tuple[Handler, Handler]] = {}

    async def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method: str = handler_call_details.method
        needed = required_role(method)
        identity = None
        if needed is not None:
            token = bearer_token(handler_call_details.invocation_metadata)
            try:  # a cached check needs no await (most calls)
                identity = (self._accounts.cached_identity(token) if token else None) or (
                    await self._accounts.authenticate(token))
                _check_role(method, needed, identity)
            except IvorygrpcError as exc:
                return _replace(handler, _rejecting(handler, exc), handler.request_deserializer)
        return self._guard(handler, identity)

    def _guard(self, handler: Handler, identity: Identity | None) -> Handler:
        key = (id(handler), identity)
        found = self._wrapped.get(key)
        if found is not None and found[0] is handler:  # `is`: an id may be reused
            return found[1]
        guarded = _guarded(handler, identity)
        if len(self._wrapped) >= GUARDED_CACHE:
            self._wrapped.clear()
        self._wrapped[key] = (handler, guarded)
        return guarded


def _check_role(method: str, needed: Role, identity: Identity) -> None:
    if identity.role < needed:
        raise PermissionDenied(
            f"{method} needs the {needed.name.lower()} role; "
            f"{identity.username!r} is {identity.role.name.lower()}",
            metadata={"required_role": needed.name.lower()})


def _kind(handler: Handler) -> str:
    return next(k for k in _KINDS if getattr(handler, k) is not None)


def _replace(handler: Handler, behaviour: Callable[..., Any],
             deserializer: Callable[[bytes], Any] | None) -> Handler:
    return _FACTORIES[_kind(handler)](behaviour, request_deserializer=deserializer,
                                      response_serializer=handler.response_serializer)


def _rejecting(handler: Handler, exc: IvorygrpcError) -> Callable[..., Any]:
    status = to_status(exc)
    if _kind(handler).endswith("stream"):
        async def reject_stream(request: Any, context: Context) -> AsyncIterator[Any]:
            await context.abort_with_status(status)
            yield  # pragma: no cover  (makes this an async generator)
        return reject_stream

    async def reject(request: Any, context: Context) -> Any:
        await context.abort_with_status(status)
    return reject


def _decoder(handler: Handler) -> Callable[[Any, Context], Awaitable[Any]]:
    """Decode unary requests inside the handler, so malformed bytes are INVALID_ARGUMENT
    (a failing deserializer would make gRPC answer UNKNOWN with internals)."""
    decode = handler.request_deserializer
    assert decode is not None

    async def decoded(raw: Any, context: Context) -> Any:
        try:
            return decode(raw)
        except Exception:  # DecodeError, recursion limits, bad UTF-8, ...
            violation = FieldViolation("", "the request is not a valid message of this rpc")
            await context.abort_with_status(to_status(InvalidArguments([violation])))
    return decoded


def _guarded(handler: Handler, identity: Identity | None) -> Handler:
    kind = _kind(handler)
    if not kind.startswith("unary_") and identity is None:
        return handler  # open streaming-request rpcs (reflection) need nothing
    inner = getattr(handler, kind)
    # (a unary rpc without a deserializer, like a deck rpc, decodes its bytes itself)
    decoded = (_decoder(handler) if kind.startswith("unary_")
               and handler.request_deserializer is not None else None)

    if inspect.isasyncgenfunction(inner):
        async def stream(request: Any, context: Context) -> AsyncIterator[Any]:
            if decoded is not None:
                request = await decoded(request, context)
            token = current_identity.set(identity)
            try:
                async for item in inner(request, context):
                    yield item
            finally:
                with contextlib.suppress(ValueError):  # finalised in another context
                    current_identity.reset(token)
        behaviour: Callable[..., Any] = stream
    elif decoded is None and inspect.iscoroutinefunction(inner):
        async def call_coroutine(request: Any, context: Context) -> Any:
            token = current_identity.set(identity)
            try:
                return await inner(request, context)
            finally:
                current_identity.reset(token)
        behaviour = call_coroutine
    else:
        async def call(request: Any, context: Context) -> Any:
            if decoded is not None:
                request = await decoded(request, context)
            token = current_identity.set(identity)
            try:
                result = inner(request, context)
                return await result if inspect.isawaitable(result) else result
            finally:
                current_identity.reset(token)
        behaviour = call
    return _replace(handler, behaviour, None if decoded else handler.request_deserializer)
