"""Typed exceptions for failed calls, built from the gRPC status and its details.

Every ivorygrpc error carries `google.rpc.ErrorInfo` (domain `ivorygrpc`, an
UPPER_SNAKE `reason`); argument errors add `BadRequest` field violations. A
failed call raises the most specific class: by reason first
(`InstrumentBusy`, `InstrumentError`, `EtagMismatch`, ...), then by status
code (`NotFound`, `InvalidArgument`, ...), else `IvorygrpcError` itself.

    try:
        lab.pump.dispense(volume_ml=-1)
    except InvalidArgument as exc:
        print(exc.reason, exc.field_violations)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status


@dataclass(frozen=True)
class FieldViolation:
    """One bad request field: `field` is a dotted path (`volume_ml`, `rows[2].x`)."""

    field: str
    description: str


class IvorygrpcError(Exception):
    """A call failed. `code` is the gRPC status code, `reason` the ErrorInfo reason."""

    def __init__(self, message: str, *, code: grpc.StatusCode = grpc.StatusCode.UNKNOWN,
                 reason: str = "", metadata: Mapping[str, str] | None = None,
                 field_violations: Sequence[FieldViolation] = (),
                 resource: tuple[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.reason = reason
        self.metadata: dict[str, str] = dict(metadata or {})
        self.field_violations = tuple(field_violations)
        self.resource = resource  # (resource type, name) for NOT_FOUND / ALREADY_EXISTS

    def __str__(self) -> str:
        head = f"{self.code.name}"
        if self.reason and self.reason != self.code.name:
            head += f"/{self.reason}"
        text = f"{head}: {self.message}"
        for violation in self.field_violations:
            text += f"\n  {violation.field}: {violation.description}"
        return text


class InvalidArgument(IvorygrpcError):
    """INVALID_ARGUMENT: see `field_violations` for every bad field."""


class NotFound(IvorygrpcError):
    """NOT_FOUND: an unknown instrument, method, workflow, run or record."""


class AlreadyExists(IvorygrpcError):
    """ALREADY_EXISTS: the name is taken."""


class PermissionDenied(IvorygrpcError):
    """PERMISSION_DENIED: the user's role is too low (`metadata['required_role']`)."""


class Unauthenticated(IvorygrpcError):
    """UNAUTHENTICATED: no token, a bad or expired token, or a failed login."""


class FailedPrecondition(IvorygrpcError):
    """FAILED_PRECONDITION: the call does not fit the current state."""


class Aborted(IvorygrpcError):
    """ABORTED: the operation was attempted and aborted (instrument error, stale etag)."""


class ResourceExhausted(IvorygrpcError):
    """RESOURCE_EXHAUSTED: a limit was reached (a message too big, a stream too slow)."""


class Unavailable(IvorygrpcError):
    """UNAVAILABLE: the server cannot be reached or is stopping."""


class Unimplemented(IvorygrpcError):
    """UNIMPLEMENTED: the server does not offer this (yet)."""


class DeadlineExceeded(IvorygrpcError):
    """DEADLINE_EXCEEDED: the call took longer than its timeout."""


class Internal(IvorygrpcError):
    """INTERNAL: a server-side bug; the message says nothing more on purpose."""


class InstrumentBusy(FailedPrecondition):
    """A workflow run holds the deck; pass `override_busy` (operator) to call anyway."""


class InstrumentError(Aborted):
    """The instrument method raised: `exception_type` and `exception_message` say what."""

    @property
    def exception_type(self) -> str:
        return self.metadata.get("exception_type", "")

    @property
    def exception_message(self) -> str:
        return self.metadata.get("exception_message", "")

    @property
    def call_id(self) -> str:
        """The id of the direct-call record (see `Client.get_call`)."""
        return self.metadata.get("call_id", "")


class EtagMismatch(Aborted):
    """The resource changed since it was read: read it again and reapply the change."""


_BY_CODE: dict[grpc.StatusCode, type[IvorygrpcError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.ABORTED: Aborted,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.UNIMPLEMENTED: Unimplemented,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.INTERNAL: Internal,
}
_BY_REASON: dict[str, type[IvorygrpcError]] = {
    "INSTRUMENT_BUSY": InstrumentBusy,
    "INSTRUMENT_ERROR": InstrumentError,
    "ETAG_MISMATCH": EtagMismatch,
}


def from_rpc_error(error: grpc.RpcError) -> IvorygrpcError:
    """The typed exception for a failed call (sync `grpc.RpcError` or `AioRpcError`)."""
    call: Any = error
    code: grpc.StatusCode = call.code()
    message: str = call.details() or ""
    reason, metadata, violations, resource = "", {}, [], None
    try:
        status: status_pb2.Status | None = rpc_status.from_call(call)
    except ValueError:  # a proxy rewrote the status: keep what the call says
        status = None
    for detail in status.details if status is not None else ():
        info = error_details_pb2.ErrorInfo()
        bad = error_details_pb2.BadRequest()
        res = error_details_pb2.ResourceInfo()
        if detail.Unpack(info):
            reason, metadata = info.reason, dict(info.metadata)
        elif detail.Unpack(bad):
            violations = [FieldViolation(v.field, v.description) for v in bad.field_violations]
        elif detail.Unpack(res):
            resource = (res.resource_type, res.resource_name)
    cls = _BY_REASON.get(reason) or _BY_CODE.get(code, IvorygrpcError)
    return cls(message, code=code, reason=reason or code.name, metadata=metadata,
               field_violations=violations, resource=resource)
