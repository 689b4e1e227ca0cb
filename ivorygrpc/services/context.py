"""What a servicer reads from the call context: the caller and the request id."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]
"""The servicer context of any rpc."""

REQUEST_ID_HEADER = "ivorygrpc-request-id"
ANONYMOUS = "anonymous"


def caller_of(context: Context) -> str:
    """The authenticated user name; `anonymous` until authentication is enabled."""
    return ANONYMOUS


def request_id_of(context: Context) -> str:
    """The `ivorygrpc-request-id` metadata value of a typed deck call, or ``""``."""
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID_HEADER:
            return value if isinstance(value, str) else value.decode("utf-8", "replace")
    return ""
