"""The user repository: accounts, versions (etags) and login-failure locks.

One short session per method (thread-safe). Password hashing and role policy
live elsewhere: this stores the hash and the role name it is given.
"""

from __future__ import annotations

import builtins
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, case, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ivorygrpc.errors import AlreadyExists, StaleEtag
from ivorygrpc.store._common import Repository, aware, check_limit, check_text
from ivorygrpc.store.models import TokenRow, UserRow, UtcDateTime
from ivorygrpc.store.records import ROLES, UserRecord


class UserRepository(Repository):
    """Users by name: create, read, page, update (optimistic), delete, lock on failures."""

    def count(self) -> int:
        """How many users there are (disabled ones included)."""
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(UserRow)) or 0

    def create(self, username: str, password_hash: str, role: str) -> UserRecord:
        """Insert an enabled user at version 1.

        Raises AlreadyExists (reason USER_EXISTS) if the name is taken, also when a
        concurrent create wins the race (the primary key settles it); ValueError for an
        empty name, an unknown role or NUL characters.
        """
        _check_username(username)
        _check_role(role)
        check_text(password_hash=password_hash)
        now = self._now()
        row = UserRow(username=username, password_hash=password_hash, role=role,
                      disabled=False, created_at=now, updated_at=now, version=1,
                      failed_logins=0, locked_until=None)
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                return user_record(row)
        except IntegrityError:
            raise AlreadyExists("user", username, reason="USER_EXISTS") from None

    def get(self, username: str) -> UserRecord | None:
        """The user `username`, or None."""
        if "\x00" in username:
            return None  # cannot be stored, so cannot exist
        with self._sessions() as session:
            row = session.get(UserRow, username)
            return None if row is None else user_record(row)

    def list(self, *, limit: int = 50, after: str | None = None) -> builtins.list[UserRecord]:
        """Users ordered by username, at most `limit`, after the name `after` (keyset page).

        The order is the database's collation for text: byte order on SQLite and on a
        PostgreSQL database created with the C locale.
        """
        check_limit(limit)
        query = select(UserRow)
        if after is not None:
            check_text(after=after)
            query = query.where(UserRow.username > after)
        query = query.order_by(UserRow.username).limit(limit)
        with self._sessions() as session:
            return [user_record(row) for row in session.scalars(query)]

    def update(self, username: str, *, role: str | None = None, disabled: bool | None = None,
               password_hash: str | None = None,
               expected_version: int | None = None) -> UserRecord | None:
        """Change role, disabled flag and/or password hash; bumps version and updated_at.

        Returns None for an unknown user. With `expected_version`, the change applies
        only if the stored version still equals it (one `UPDATE ... WHERE version = ?`),
        else StaleEtag. With nothing to change, the user is returned as is (the version
        is still checked).
        """
        values: dict[str, Any] = {}
        if role is not None:
            _check_role(role)
            values["role"] = role
        if disabled is not None:
            values["disabled"] = disabled
        if password_hash is not None:
            check_text(password_hash=password_hash)
            values["password_hash"] = password_hash
        if "\x00" in username:
            return None
        with self._sessions.begin() as session:
            if values:
                statement = update(UserRow).where(UserRow.username == username)
                if expected_version is not None:
                    statement = statement.where(UserRow.version == expected_version)
                result = cast(CursorResult[Any], session.execute(
                    statement.values(**values, version=UserRow.version + 1,
                                     updated_at=self._now()),
                    execution_options={"synchronize_session": False}))
                if result.rowcount == 0:
                    if expected_version is None or session.get(UserRow, username) is None:
                        return None
                    raise StaleEtag("user", username)
            row = session.get(UserRow, username, populate_existing=True)
            if row is None:
                return None
            if not values and expected_version is not None and row.version != expected_version:
                raise StaleEtag("user", username)
            return user_record(row)

    def delete(self, username: str) -> bool:
        """Delete the user and their tokens; False if there was no such user."""
        if "\x00" in username:
            return False
        with self._sessions.begin() as session:
            session.execute(delete(TokenRow).where(TokenRow.username == username),
                            execution_options={"synchronize_session": False})
            result = cast(CursorResult[Any], session.execute(
                delete(UserRow).where(UserRow.username == username),
                execution_options={"synchronize_session": False}))
            return result.rowcount > 0

    def count_enabled_admins(self) -> int:
        """How many admins are not disabled."""
        query = select(func.count()).select_from(UserRow).where(
            UserRow.role == "admin", UserRow.disabled.is_(False))
        with self._sessions() as session:
            return session.scalar(query) or 0

    def record_failed_login(self, username: str, *, now: datetime, max_failures: int,
                            lock_for: timedelta) -> UserRecord | None:
        """Count one failed login in a single atomic UPDATE; None for an unknown user.

        The `max_failures`-th failure sets `locked_until = now + lock_for` and resets the
        count to 0. The version is not bumped (this is not an edit of the user).
        """
        if max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        until = aware("now", now) + lock_for
        if "\x00" in username:
            return None
        reached = UserRow.failed_logins + 1 >= max_failures
        with self._sessions.begin() as session:
            session.execute(
                update(UserRow).where(UserRow.username == username).values(
                    failed_logins=case((reached, 0), else_=UserRow.failed_logins + 1),
                    locked_until=case(
                        (reached, bindparam("locked_until_value", until, type_=UtcDateTime)),
                        else_=UserRow.locked_until)),
                execution_options={"synchronize_session": False})
            row = session.get(UserRow, username, populate_existing=True)
            return None if row is None else user_record(row)

    def record_successful_login(self, username: str) -> None:
        """Forget past failures and any lock (the version is not bumped)."""
        if "\x00" in username:
            return
        with self._sessions.begin() as session:
            session.execute(
                update(UserRow).where(UserRow.username == username).values(
                    failed_logins=0, locked_until=None),
                execution_options={"synchronize_session": False})


def _check_username(username: str) -> None:
    if not username:
        raise ValueError("username must not be empty")
    check_text(username=username)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")


def user_record(row: UserRow) -> UserRecord:
    return UserRecord(
        username=row.username, password_hash=row.password_hash, role=row.role,
        disabled=row.disabled, created_at=row.created_at, updated_at=row.updated_at,
        version=row.version, failed_logins=row.failed_logins, locked_until=row.locked_until)

