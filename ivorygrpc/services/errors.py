"""The one table from domain exceptions to gRPC status codes (SPEC §1).

Every error carries `google.rpc.ErrorInfo` (domain `ivorygrpc`, an
UPPER_SNAKE reason); argument errors add `BadRequest.FieldViolation`s,
not-found errors add `ResourceInfo`. Sent with grpcio-status.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from ivorygrpc.errors import (
    AlreadyExists,
    DeckError,
    FailedPrecondition,
    InstrumentFailed,
    InstrumentResultInvalid,
    InvalidArguments,
    InvalidPageToken,
    IvorygrpcError,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    StaleEtag,
    Unauthenticated,
    Unavailable,
    Unimplemented,
)
from ivorygrpc.services.context import Context

DOMAIN = "ivorygrpc"
logger = logging.getLogger(__name__)

STATUS_CODES: dict[type[IvorygrpcError], grpc.StatusCode] = {
    InvalidArguments: grpc.StatusCode.INVALID_ARGUMENT,
    InvalidPageToken: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    # The instrument was reached and its method raised: the operation was
    # attempted and aborted; the client decides whether to retry after
    # looking at the device (the call record holds the error).
    InstrumentFailed: grpc.StatusCode.ABORTED,
    InstrumentResultInvalid: grpc.StatusCode.INTERNAL,
    DeckError: grpc.StatusCode.FAILED_PRECONDITION,
    AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    StaleEtag: grpc.StatusCode.ABORTED,
    FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Unimplemented: grpc.StatusCode.UNIMPLEMENTED,
    Unavailable: grpc.StatusCode.UNAVAILABLE,
}


def status_code(exc: IvorygrpcError) -> grpc.StatusCode:
    """The status code of a domain error (most specific class wins)."""
    for cls in type(exc).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return grpc.StatusCode.INTERNAL


def _pack(detail: Any) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(detail)
    return packed


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Statuses travel in HTTP/2 trailers, which clients cap at 8-16 KiB: errors that
# echo client input (names, values, exception messages) are clipped to fit.
MAX_MESSAGE, MAX_FIELD, MAX_DESCRIPTION, MAX_VIOLATIONS, MAX_METADATA = 512, 100, 200, 10, 300


def to_status(exc: IvorygrpcError) -> grpc.Status:
    """The rich gRPC status for a domain error."""
    code = status_code(exc)
    metadata = {key: _clip(value, MAX_METADATA) for key, value in exc.metadata.items()}
    details = [_pack(error_details_pb2.ErrorInfo(reason=exc.reason, domain=DOMAIN,
                                                 metadata=metadata))]
    if isinstance(exc, InvalidArguments):
        details.append(_pack(error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(
                field=_clip(v.field, MAX_FIELD), description=_clip(v.description,
                                                                   MAX_DESCRIPTION))
            for v in exc.violations[:MAX_VIOLATIONS]])))
    if isinstance(exc, NotFound | AlreadyExists):
        details.append(_pack(error_details_pb2.ResourceInfo(
            resource_type=exc.resource_type, resource_name=_clip(exc.resource_name, MAX_FIELD),
            description=_clip(exc.message, MAX_DESCRIPTION))))
    status = status_pb2.Status(code=code.value[0], message=_clip(exc.message, MAX_MESSAGE),
                               details=details)
    result: grpc.Status = rpc_status.to_status(status)
    return result


def internal_status() -> grpc.Status:
    """A generic INTERNAL status that leaks nothing about the failure."""
    info = error_details_pb2.ErrorInfo(reason="INTERNAL", domain=DOMAIN)
    status = status_pb2.Status(code=code_pb2.INTERNAL, message="internal server error",
                               details=[_pack(info)])
    result: grpc.Status = rpc_status.to_status(status)
    return result


async def abort(context: Context, exc: Exception) -> NoReturn:
    """Abort the rpc with the status for `exc` (logging unexpected errors)."""
    if isinstance(exc, IvorygrpcError):
        await context.abort_with_status(to_status(exc))
    logger.exception("unexpected error", exc_info=exc)
    await context.abort_with_status(internal_status())
    raise AssertionError("unreachable")  # abort_with_status always raises


Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])


def rpc_errors(handler: Handler) -> Handler:
    """Decorate a unary servicer method: domain errors become rich statuses."""

    @functools.wraps(handler)
    async def wrapper(self: Any, request: Any, context: Context) -> Any:
        try:
            return await handler(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            await abort(context, exc)

    return wrapper  # type: ignore[return-value]
