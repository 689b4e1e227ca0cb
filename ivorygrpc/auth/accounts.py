"""Accounts: log in, check tokens, manage users; every change is audited.

Store calls are blocking and run in worker threads. Validated tokens are
cached briefly in memory, by the token itself (no hash per call). Every change
that can end or narrow a token (logout, password change or reset, role change,
disabling, deleting) clears the cache once it is stored and bumps a generation
counter, so it takes effect on the very next call; a check that read the store
while such a change ran is not cached.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ivorygrpc.auth.roles import Role
from ivorygrpc.auth.secrets import hash_password, new_token, token_hash, verify_password
from ivorygrpc.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArguments,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from ivorygrpc.store import Store, UserRecord

USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
LOGIN_FAILED = "username or password is wrong, or the user is disabled or locked"
MAX_CACHED_TOKENS = 10_000  # the token cache is cleared when it grows past this


@dataclass(frozen=True)
class AuthSettings:
    """Token lifetime and brute-force limits."""

    token_ttl: timedelta = timedelta(hours=12)
    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=5)
    failure_delay_s: float = 0.5  # every failed login waits this long
    cache_ttl_s: float = 10.0


@dataclass(frozen=True)
class Identity:
    """Who is calling: the user behind a valid token."""

    username: str
    role: Role
    token_hash: str = ""


def _now() -> datetime:
    return datetime.now(UTC)


class Accounts:
    """Users, tokens and the audit trail of account events."""

    def __init__(self, store: Store, settings: AuthSettings | None = None) -> None:
        self.store = store
        self.settings = settings or AuthSettings()
        # token -> (identity, expires_at, cached until (monotonic))
        self._cache: dict[str, tuple[Identity, datetime, float]] = {}
        self._generation = 0  # bumped by every change that can end or narrow a token
        # One login attempt per user name at a time, so parallel guesses cannot all
        # pass the lockout check before the first failure is counted.
        self._login_locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}
        self._admin_lock = asyncio.Lock()  # keeps the last-admin check and change together

    # -- tokens -------------------------------------------------------------------------------

    async def login(self, username: str, password: str) -> tuple[str, datetime, UserRecord]:
        """A new bearer token for valid credentials; raises Unauthenticated otherwise."""
        key = username[:64]
        lock, users = self._login_locks.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                return await self._login(username, password)
        finally:
            users[0] -= 1
            if users[0] == 0:
                self._login_locks.pop(key, None)

    async def _login(self, username: str, password: str) -> tuple[str, datetime, UserRecord]:
        user = await asyncio.to_thread(self.store.users.get, username) if USERNAME.match(
            username) else None
        now = _now()
        usable = user is not None and not user.disabled and not (
            user.locked_until is not None and user.locked_until > now)
        matches = await asyncio.to_thread(verify_password,
                                          user.password_hash if user else None, password)
        if user is None or not usable or not matches:
            await self._failed_login(username, user, locked=user is not None and matches)
            raise Unauthenticated(LOGIN_FAILED, reason="LOGIN_FAILED")
        token = new_token()
        expires = now + self.settings.token_ttl
        await asyncio.to_thread(self.store.users.record_successful_login, user.username)
        await asyncio.to_thread(self.store.tokens.create, token_hash=token_hash(token),
                                username=user.username, expires_at=expires)
        return token, expires, user

    async def _failed_login(self, username: str, user: UserRecord | None, *, locked: bool) -> None:
        detail = {"reason": "unknown user" if user is None else (
            "disabled" if user.disabled else "locked" if locked else "wrong password")}
        if user is not None and not locked and not user.disabled:
            await asyncio.to_thread(self.store.users.record_failed_login, user.username,
                                    now=_now(), max_failures=self.settings.max_failures,
                                    lock_for=self.settings.lock_for)
        await asyncio.to_thread(self.store.audit.add, actor="anonymous", action="login_failed",
                                target=username[:64], detail=detail)
        await asyncio.sleep(self.settings.failure_delay_s)

    async def authenticate(self, token: str | None) -> Identity:
        """The identity behind a bearer token; raises Unauthenticated."""
        if not token:
            raise Unauthenticated("missing bearer token: send 'authorization: Bearer <token>'",
                                  reason="TOKEN_MISSING")
        cached = self.cached_identity(token)
        if cached is not None:
            return cached
        key = token_hash(token)
        generation = self._generation
        found = await asyncio.to_thread(self.store.tokens.get, key)
        if found is None:
            raise Unauthenticated("unknown bearer token", reason="TOKEN_INVALID")
        record, user = found
        now = _now()
        if record.revoked_at is not None or record.expires_at <= now or user.disabled:
            self._cache.pop(token, None)
            raise Unauthenticated("the bearer token expired or was revoked",
                                  reason="TOKEN_EXPIRED")
        identity = Identity(user.username, Role.parse(user.role), key)
        if generation == self._generation:  # else an account change ran during the read
            if len(self._cache) >= MAX_CACHED_TOKENS:
                self._cache.clear()
            self._cache[token] = (identity, record.expires_at,
                                  time.monotonic() + self.settings.cache_ttl_s)
        return identity

    def cached_identity(self, token: str) -> Identity | None:
        """The identity of a token checked moments ago and unchanged since, else None
        (then `authenticate` reads the store)."""
        cached = self._cache.get(token)
        if cached is not None and cached[2] > time.monotonic() and cached[1] > _now():
            return cached[0]
        return None

    async def logout(self, identity: Identity) -> None:
        """Revoke the caller's token."""
        try:
            await asyncio.to_thread(self.store.tokens.revoke, identity.token_hash, now=_now())
        finally:
            self._invalidate()

    def _invalidate(self) -> None:
        """Forget every cached token check (after a change that can end or narrow one)."""
        self._generation += 1
        self._cache.clear()

    # -- users --------------------------------------------------------------------------------

    async def change_password(self, identity: Identity, old: str, new: str) -> None:
        """Change the caller's password (needs the old one); revokes their other tokens."""
        _check_password(new, "new_password")
        user = await self._user(identity.username)
        if not await asyncio.to_thread(verify_password, user.password_hash, old):
            await asyncio.sleep(self.settings.failure_delay_s)
            raise PermissionDenied("old_password is wrong", reason="WRONG_PASSWORD")
        await self._set_password(user.username, new, keep=identity.token_hash)
        await self._audit(identity, "password_changed", user.username)

    async def reset_password(self, actor: Identity, username: str, new: str) -> None:
        """Set a user's password without the old one (admins); revokes all their tokens."""
        _check_password(new, "new_password")
        user = await self._user(username)
        await self._set_password(user.username, new)
        await self._audit(actor, "password_reset", user.username)

    async def _set_password(self, username: str, new: str, keep: str | None = None) -> None:
        """Store the new password's hash and revoke the user's tokens (but `keep`)."""
        new_hash = await asyncio.to_thread(hash_password, new)
        try:
            await asyncio.to_thread(self.store.users.update, username, password_hash=new_hash)
            await asyncio.to_thread(self.store.tokens.revoke_all, username, now=_now(),
                                    keep=keep)
        finally:
            self._invalidate()

    async def create_user(self, actor: Identity, username: str, password: str,
                          role: Role | None) -> UserRecord:
        """Create a user; raises InvalidArguments or AlreadyExists."""
        violations = _user_violations(username, password, role)
        if violations:
            raise InvalidArguments(violations)
        assert role is not None
        password_hash = await asyncio.to_thread(hash_password, password)
        user = await asyncio.to_thread(self.store.users.create, username, password_hash,
                                       role.name.lower())
        await self._audit(actor, "user_created", username, {"role": role.name.lower()})
        return user

    async def list_users(self, limit: int, after: str | None) -> list[UserRecord]:
        """Users by name, `limit` at a time after `after`."""
        return await asyncio.to_thread(self.store.users.list, limit=limit, after=after)

    async def get_user(self, username: str) -> UserRecord:
        """One user; raises NotFound."""
        return await self._user(username)

    async def update_user(self, actor: Identity, username: str, *, role: Role | None,
                          disabled: bool | None, expected_version: int | None) -> UserRecord:
        """Change role and/or disabled flag; keeps at least one enabled admin."""
        async with self._admin_lock:
            user = await self._user(username)
            demotes = role is not None and role is not Role.ADMIN
            if user.role == "admin" and not user.disabled and (demotes or disabled):
                await self._keep_an_admin(username)
            try:
                updated = await asyncio.to_thread(
                    self.store.users.update, username, role=role.name.lower() if role else None,
                    disabled=disabled, expected_version=expected_version)
            finally:
                self._invalidate()
        if updated is None:
            raise NotFound("user", username, reason="USER_NOT_FOUND")
        changes: dict[str, object] = {}
        if role is not None:
            changes["role"] = role.name.lower()
        if disabled is not None:
            changes["disabled"] = disabled
        await self._audit(actor, "user_updated", username, changes)
        return updated

    async def delete_user(self, actor: Identity, username: str) -> None:
        """Delete a user and their tokens; never the last enabled admin."""
        async with self._admin_lock:
            user = await self._user(username)
            if user.role == "admin" and not user.disabled:
                await self._keep_an_admin(username)
            try:
                await asyncio.to_thread(self.store.users.delete, username)
            finally:
                self._invalidate()
        await self._audit(actor, "user_deleted", username)

    async def _keep_an_admin(self, username: str) -> None:
        if await asyncio.to_thread(self.store.users.count_enabled_admins) <= 1:
            raise FailedPrecondition(f"{username!r} is the last enabled admin",
                                     reason="LAST_ADMIN")

    async def _user(self, username: str) -> UserRecord:
        user = await asyncio.to_thread(self.store.users.get, username)
        if user is None:
            raise NotFound("user", username, reason="USER_NOT_FOUND")
        return user

    async def _audit(self, actor: Identity, action: str, target: str,
                     detail: dict[str, object] | None = None) -> None:
        await asyncio.to_thread(self.store.audit.add, actor=actor.username, action=action,
                                target=target, detail=detail or {})


def _check_password(password: str, field: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidArguments([FieldViolation(
            field, f"must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")])


def _user_violations(username: str, password: str, role: Role | None) -> list[FieldViolation]:
    violations = []
    if not USERNAME.match(username):
        violations.append(FieldViolation(
            "username", "must be 1 to 64 letters, digits, '.', '_', '-' or '@'"))
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        violations.append(FieldViolation(
            "password", f"must be {MIN_PASSWORD} to {MAX_PASSWORD} characters"))
    if role is None:
        violations.append(FieldViolation("role", "is required"))
    return violations
