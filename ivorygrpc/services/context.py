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


def _header(context: Context, name: str) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == name:
            return value if isinstance(value, str) else value.decode("utf-8", "replace")
    return ""


def request_id_of(context: Context) -> str:
    """The `ivorygrpc-request-id` metadata value of a typed deck call, or ``""``."""
    return _header(context, REQUEST_ID_HEADER)


def override_busy_of(context: Context) -> bool:
    """True when a typed deck call carries `ivorygrpc-override-busy: true`."""
    return _header(context, OVERRIDE_BUSY_HEADER).strip().lower() in ("true", "1", "yes")
