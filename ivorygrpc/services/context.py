"""What a servicer reads from the call context: the caller and the request id."""

from __future__ import annotations

import contextvars
from typing import Any, TypeAlias

import grpc

from ivorygrpc.auth.accounts import Identity
from ivorygrpc.errors import Unauthenticated

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]
"""The servicer context of any rpc."""

REQUEST_ID_HEADER = "ivorygrpc-request-id"
OVERRIDE_BUSY_HEADER = "ivorygrpc-override-busy"
ANONYMOUS = "anonymous"

current_identity: contextvars.ContextVar[Identity | None] = contextvars.ContextVar(
    "ivorygrpc_identity", default=None)
"""Set by the auth interceptor for the duration of each authenticated call."""


def identity_of(context: Context) -> Identity:
    """The authenticated caller; raises Unauthenticated outside an authenticated call."""
    identity = current_identity.get()
    if identity is None:
        raise Unauthenticated("this call needs a bearer token", reason="TOKEN_MISSING")
    return identity


def caller_of(context: Context) -> str:
    """The caller's user name, or `anonymous` on an open rpc."""
    identity = current_identity.get()
    return identity.username if identity is not None else ANONYMOUS


def deck_call_headers(context: Context) -> tuple[str, bool]:
    """The `ivorygrpc-request-id` value (or ``""``) of a typed deck call, and whether it
    carries `ivorygrpc-override-busy: true` (one pass over the metadata)."""
    found: dict[str, str | bytes] = {}
    for key, value in context.invocation_metadata() or ():
        if key in _DECK_CALL_HEADERS:
            found.setdefault(key, value)
    return _text(found.get(REQUEST_ID_HEADER, "")), _is_true(
        _text(found.get(OVERRIDE_BUSY_HEADER, "")))


_DECK_CALL_HEADERS = (REQUEST_ID_HEADER, OVERRIDE_BUSY_HEADER)


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _is_true(text: str) -> bool:
    return text.strip().lower() in ("true", "1", "yes")
