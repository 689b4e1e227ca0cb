"""gRPC failures as `UiError`: a status code name, the ErrorInfo reason and user-facing text.

Every client function is wrapped with `@rpc_errors`, so pages only ever catch `UiError`
and show `error.text`; they never see `grpc.aio.AioRpcError`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import grpc
from google.rpc import error_details_pb2, status_pb2

P = ParamSpec("P")
T = TypeVar("T")

_DETAILS_KEY = "grpc-status-details-bin"

# Short lead-ins for the reasons a user meets most; the server's message follows.
_REASON_TEXT = {
    "INSTRUMENT_BUSY": "The deck is busy with a run.",
    "INSTRUMENT_ERROR": "The instrument raised an error.",
    "INVALID_ARGUMENT": "Some values are not valid.",
    "ETAG_MISMATCH": "Someone else changed it meanwhile; reload and try again.",
    "UNAUTHENTICATED": "Please log in again.",
    "PERMISSION_DENIED": "Your role does not allow this.",
    "DECK_OFFLINE": "The server runs without a deck (offline design).",
}
_CODE_TEXT = {
    grpc.StatusCode.UNAVAILABLE: "The server cannot be reached.",
    grpc.StatusCode.DEADLINE_EXCEEDED: "The server did not answer in time.",
    grpc.StatusCode.NOT_FOUND: "Not found.",
    grpc.StatusCode.ALREADY_EXISTS: "That name is taken.",
}


class UiError(Exception):
    """A failed call, ready to show.

    :param code: the gRPC status code name, for example ``INVALID_ARGUMENT``
    :param reason: the ErrorInfo reason (UPPER_SNAKE), empty when the server sent none
    :param text: one or more lines for the user (field violations listed one per line)
    :param violations: ``(field, description)`` pairs from a BadRequest detail
    """

    def __init__(self, code: str, reason: str, text: str,
                 violations: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(text)
        self.code = code
        self.reason = reason
        self.text = text
        self.violations = violations


def _status(exc: grpc.aio.AioRpcError) -> status_pb2.Status | None:
    for key, value in exc.trailing_metadata() or ():
        if key == _DETAILS_KEY and isinstance(value, bytes):
            status = status_pb2.Status()
            status.ParseFromString(value)
            return status
    return None


def ui_error(exc: grpc.aio.AioRpcError) -> UiError:
    """The `UiError` of a failed call, built from its status and rich details."""
    code = exc.code()
    reason = ""
    violations: list[tuple[str, str]] = []
    status = _status(exc)
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason = info.reason
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations.extend((v.field, v.description) for v in bad.field_violations)
    lead = _REASON_TEXT.get(reason) or _CODE_TEXT.get(code, "")
    message = (exc.details() or "").strip()
    lines = [line for line in (lead, message) if line]
    if violations:
        lines = [lead or "Some values are not valid."]
        lines += [f"{field}: {text}" if field else text for field, text in violations]
    return UiError(code.name, reason, "\n".join(lines) or code.name, tuple(violations))


def rpc_errors(func: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Decorate an async client function so a failed call raises `UiError`."""
    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await func(*args, **kwargs)
        except grpc.aio.AioRpcError as exc:
            raise ui_error(exc) from None
    return wrapper
