"""Domain exceptions. Each one maps to one gRPC status in `services/errors.py`.

    IvorygrpcError
    ├── InvalidArguments      bad or missing arguments (field violations)
    ├── InvalidPageToken      a page token that is not ours or not for this query
    ├── NotFound              unknown instrument, method or record
    ├── InstrumentFailed      the instrument method raised
    ├── InstrumentResultInvalid  the method returned something its annotation forbids
    ├── AlreadyExists         a resource with that name exists
    ├── StaleEtag             an update was based on an old version
    ├── FailedPrecondition    the system is not in a state that allows the call
    ├── Unauthenticated       no valid credentials
    ├── PermissionDenied      valid credentials, not enough rights
    ├── ResourceExhausted     a limit was reached (a stream consumer fell too far behind)
    ├── Unimplemented         a feature this server does not offer (yet)
    ├── Unavailable           the server is stopping; come back later
    └── DeckError             the deck cannot be served (start-up only)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class IvorygrpcError(Exception):
    """Base of every domain error; `reason` is a stable UPPER_SNAKE code."""

    reason = "INTERNAL"

    def __init__(self, message: str, *, metadata: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.metadata: dict[str, str] = dict(metadata or {})


@dataclass(frozen=True)
class FieldViolation:
    """One problem with one request field (`field` is a dotted path)."""

    field: str
    description: str


class InvalidArguments(IvorygrpcError):
    """One or more arguments are missing, unknown or of the wrong type."""

    reason = "INVALID_ARGUMENT"

    def __init__(self, violations: Sequence[FieldViolation]) -> None:
        self.violations = tuple(violations)
        text = "; ".join(f"{v.field}: {v.description}" if v.field else v.description
                         for v in self.violations)
        super().__init__(f"invalid arguments: {text}")


class InvalidPageToken(IvorygrpcError):
    """The page token was not issued by this server for this query."""

    reason = "INVALID_PAGE_TOKEN"

    def __init__(self) -> None:
        super().__init__("page_token is not valid for this request")


class NotFound(IvorygrpcError):
    """A named resource does not exist."""

    def __init__(self, resource_type: str, name: str, *, reason: str) -> None:
        self.resource_type = resource_type
        self.resource_name = name
        self.reason = reason
        super().__init__(f"{resource_type} {name!r} not found")


class InstrumentFailed(IvorygrpcError):
    """The instrument method raised; the call record holds the error too."""

    reason = "INSTRUMENT_ERROR"

    def __init__(self, instrument: str, method: str, error_type: str, error_message: str,
                 call_id: str) -> None:
        super().__init__(
            f"{instrument}.{method} raised {error_type}: {error_message}",
            metadata={
                "instrument": instrument,
                "method": method,
                "exception_type": error_type,
                "exception_message": error_message[:1000],
                "call_id": call_id,
            },
        )


class InstrumentResultInvalid(IvorygrpcError):
    """The method returned a value its return annotation does not allow."""

    reason = "INSTRUMENT_RESULT_INVALID"


class DeckError(IvorygrpcError):
    """The deck cannot be served (raised at start-up, never over the wire)."""

    reason = "DECK_INVALID"


class AlreadyExists(IvorygrpcError):
    """A resource with that name already exists."""

    def __init__(self, resource_type: str, name: str, *, reason: str) -> None:
        self.resource_type = resource_type
        self.resource_name = name
        self.reason = reason
        super().__init__(f"{resource_type} {name!r} already exists")


class StaleEtag(IvorygrpcError):
    """The caller's etag does not match the current version."""

    reason = "ETAG_MISMATCH"

    def __init__(self, resource_type: str, name: str) -> None:
        super().__init__(f"{resource_type} {name!r} changed since it was read (stale etag)")


class _ReasonedError(IvorygrpcError):
    """An error whose caller names the reason."""

    def __init__(self, message: str, *, reason: str,
                 metadata: Mapping[str, str] | None = None) -> None:
        self.reason = reason
        super().__init__(message, metadata=metadata)


class FailedPrecondition(_ReasonedError):
    """The call is refused in the current state; `reason` says which rule."""


class Unauthenticated(IvorygrpcError):
    """No valid credentials (missing, malformed, expired or revoked token; bad login)."""

    def __init__(self, message: str, *, reason: str = "UNAUTHENTICATED") -> None:
        self.reason = reason
        super().__init__(message)


class PermissionDenied(IvorygrpcError):
    """Valid credentials without the rights the call needs."""

    def __init__(self, message: str, *, reason: str = "PERMISSION_DENIED",
                 metadata: Mapping[str, str] | None = None) -> None:
        self.reason = reason
        super().__init__(message, metadata=metadata)


class ResourceExhausted(_ReasonedError):
    """A limit was reached; `reason` says which."""


class Unimplemented(IvorygrpcError):
    """A feature this server does not offer (yet)."""

    def __init__(self, message: str, *, reason: str = "NOT_IMPLEMENTED") -> None:
        self.reason = reason
        super().__init__(message)


class Unavailable(_ReasonedError):
    """The server cannot serve the call now (it is stopping); retry later."""
