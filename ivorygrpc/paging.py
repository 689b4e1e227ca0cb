"""Page tokens: opaque to clients, signed so they cannot be forged or reused
for another query (AIP-158)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any, TypeVar

from ivorygrpc.errors import FieldViolation, InvalidArguments, InvalidPageToken

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
_TAG = 16


T = TypeVar("T")


def split_page(items: list[T], size: int) -> tuple[list[T], T | None]:
    """Items fetched with `limit=size + 1` -> (the page, its last item if more follow)."""
    if len(items) > size:
        return items[:size], items[size - 1]
    return items, None


def page_size(requested: int) -> int:
    """Clamp `page_size` (0 -> default); a negative size is INVALID_ARGUMENT."""
    if requested < 0:
        raise InvalidArguments([FieldViolation("page_size", "must not be negative")])
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


class PageTokens:
    """Encodes and checks cursors bound to a query `scope` (rpc name + filters)."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, scope: str, payload: bytes) -> bytes:
        return hmac.new(self._secret, scope.encode() + b"\0" + payload, hashlib.sha256).digest()

    def encode(self, scope: str, cursor: list[Any]) -> str:
        """A token that resumes `scope` after `cursor`."""
        payload = json.dumps(cursor, separators=(",", ":")).encode()
        raw = self._mac(scope, payload)[:_TAG] + payload
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, scope: str, token: str) -> list[Any]:
        """The cursor inside `token`; raises InvalidPageToken."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise InvalidPageToken() from None
        tag, payload = raw[:_TAG], raw[_TAG:]
        if len(tag) != _TAG or not hmac.compare_digest(tag, self._mac(scope, payload)[:_TAG]):
            raise InvalidPageToken()
        try:
            cursor = json.loads(payload)
        except ValueError:
            raise InvalidPageToken() from None
        if not isinstance(cursor, list):
            raise InvalidPageToken()
        return cursor

    def decode_texts(self, scope: str, token: str) -> tuple[str, ...] | None:
        """A keyset cursor of strings, or None for no token; raises InvalidPageToken."""
        if not token:
            return None
        cursor = self.decode(scope, token)
        if not all(isinstance(part, str) for part in cursor):
            raise InvalidPageToken()
        return tuple(cursor)
