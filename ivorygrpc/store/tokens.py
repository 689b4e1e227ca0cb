"""The bearer-token repository: the store only ever sees the sha256 of a token.

One short session per method (thread-safe).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from ivorygrpc.errors import AlreadyExists, NotFound
from ivorygrpc.store._common import Repository, aware, check_text
from ivorygrpc.store.models import TokenRow, UserRow
from ivorygrpc.store.records import TokenRecord, UserRecord
from ivorygrpc.store.users import user_record

TOKEN_HASH = re.compile(r"[0-9a-f]{64}")


class TokenRepository(Repository):
    """Tokens by hash: create, look up with their user, revoke, purge."""

    def create(self, *, token_hash: str, username: str, expires_at: datetime) -> TokenRecord:
        """Store a new live token of `username`.

        `token_hash` must be a lowercase hex sha256 (ValueError otherwise). Raises
        NotFound (USER_NOT_FOUND) if the user does not exist (the foreign key settles a
        concurrent delete) and AlreadyExists (TOKEN_EXISTS) for a hash already stored.
        """
        if not TOKEN_HASH.fullmatch(token_hash):
            raise ValueError("token_hash must be 64 lowercase hex digits (a sha256)")
        check_text(username=username)
        row = TokenRow(token_hash=token_hash, username=username, created_at=self._now(),
                       expires_at=aware("expires_at", expires_at), revoked_at=None)
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                return _record(row)
        except IntegrityError:
            with self._sessions() as session:
                if session.get(UserRow, username) is None:
                    raise NotFound("user", username, reason="USER_NOT_FOUND") from None
            raise AlreadyExists("token", f"sha256:{token_hash[:8]}...",
                                reason="TOKEN_EXISTS") from None

    def get(self, token_hash: str) -> tuple[TokenRecord, UserRecord] | None:
        """The token and its user (one joined query), or None; revoked and expired
        tokens are returned too: the caller decides what is live."""
        if not TOKEN_HASH.fullmatch(token_hash):
            return None
        query = (select(TokenRow, UserRow)
                 .join(UserRow, TokenRow.username == UserRow.username)
                 .where(TokenRow.token_hash == token_hash))
        with self._sessions() as session:
            found = session.execute(query).first()
            if found is None:
                return None
            token, user = found
            return _record(token), user_record(user)

    def revoke(self, token_hash: str, *, now: datetime) -> bool:
        """Set `revoked_at = now`; False if the token is unknown or already revoked."""
        when = aware("now", now)
        if not TOKEN_HASH.fullmatch(token_hash):
            return False
        return self._revoke(TokenRow.token_hash == token_hash, now=when) > 0

    def revoke_all(self, username: str, *, now: datetime, keep: str | None = None) -> int:
        """Revoke every live (unrevoked, unexpired) token of `username` except `keep`;
        returns how many were revoked."""
        when = aware("now", now)
        check_text(username=username)
        conditions = [TokenRow.username == username, TokenRow.expires_at > when]
        if keep is not None:
            conditions.append(TokenRow.token_hash != keep)
        return self._revoke(*conditions, now=when)

    def _revoke(self, *conditions: Any, now: datetime) -> int:
        with self._sessions.begin() as session:
            result = cast(CursorResult[Any], session.execute(
                update(TokenRow).where(*conditions, TokenRow.revoked_at.is_(None))
                .values(revoked_at=now),
                execution_options={"synchronize_session": False}))
            return result.rowcount

    def purge_expired(self, *, now: datetime) -> int:
        """Delete the tokens that expired or were revoked at or before `now` (they can
        never be used again); returns how many."""
        when = aware("now", now)
        with self._sessions.begin() as session:
            result = cast(CursorResult[Any], session.execute(
                delete(TokenRow).where(or_(TokenRow.expires_at <= when,
                                           TokenRow.revoked_at <= when)),
                execution_options={"synchronize_session": False}))
            return result.rowcount


def _record(row: TokenRow) -> TokenRecord:
    return TokenRecord(token_hash=row.token_hash, username=row.username,
                       created_at=row.created_at, expires_at=row.expires_at,
                       revoked_at=row.revoked_at)
