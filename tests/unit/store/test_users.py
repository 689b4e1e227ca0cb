"""UserRepository on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from ivorygrpc.errors import AlreadyExists, StaleEtag
from ivorygrpc.store import Store, UserRecord

T0 = datetime(2026, 4, 5, 6, 7, 8, 123456, tzinfo=UTC)


def ticking_clock(start: datetime = T0) -> Callable[[], datetime]:
    """A clock one millisecond later on every reading."""
    ticks = itertools.count()
    return lambda: start + timedelta(milliseconds=next(ticks))


def token_rows(store: Store, username: str) -> int:
    with store.engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM tokens WHERE username = :u"),
                             {"u": username}).scalar_one()
        return int(count)


def test_create_get_count(store: Store) -> None:
    store.users.clock = ticking_clock()
    assert store.users.count() == 0
    user = store.users.create("alice", "$argon2id$v=19$hash", "operator")
    assert user == UserRecord(username="alice", password_hash="$argon2id$v=19$hash",
                              role="operator", disabled=False, created_at=T0, updated_at=T0,
                              version=1, failed_logins=0, locked_until=None)
    assert user.created_at.tzinfo == UTC
    assert store.users.get("alice") == user
    assert store.users.get("Alice") is None  # names are case-sensitive
    assert store.users.get("nobody") is None
    assert store.users.get("a\x00b") is None
    store.users.create("bob", "h", "viewer")
    assert store.users.count() == 2


def test_duplicate_name_raises_already_exists(store: Store) -> None:
    first = store.users.create("alice", "h1", "admin")
    with pytest.raises(AlreadyExists) as caught:
        store.users.create("alice", "h2", "viewer")
    assert caught.value.reason == "USER_EXISTS"
    assert (caught.value.resource_type, caught.value.resource_name) == ("user", "alice")
    assert store.users.get("alice") == first
    assert store.users.count() == 1


def test_concurrent_creates_one_wins(store: Store) -> None:
    threads = 8
    barrier = threading.Barrier(threads)

    def go(i: int) -> UserRecord | AlreadyExists:
        barrier.wait()
        try:
            return store.users.create("racer", f"hash-{i}", "viewer")
        except AlreadyExists as error:
            return error

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(go, range(threads)))
    winners = [r for r in results if isinstance(r, UserRecord)]
    assert len(winners) == 1
    assert all(r.reason == "USER_EXISTS" for r in results if isinstance(r, AlreadyExists))
    assert store.users.get("racer") == winners[0]


@pytest.mark.parametrize(("username", "password_hash", "role", "match"), [
    ("", "h", "viewer", "username"),
    ("a\x00b", "h", "viewer", "username"),
    ("alice", "h\x00", "viewer", "password_hash"),
    ("alice", "h", "root", "role"),
    ("alice", "h", "Admin", "role"),
])
def test_create_rejects_bad_values(store: Store, username: str, password_hash: str, role: str,
                                   match: str) -> None:
    with pytest.raises(ValueError, match=match):
        store.users.create(username, password_hash, role)
    assert store.users.count() == 0


def test_list_pages_by_username(store: Store) -> None:
    names = ["mallory", "alice", "Zed", "bob", "carol", "dave", "erin", "a.b", "alice2"]
    for name in names:
        store.users.create(name, "h", "viewer")
    expected = sorted(names)  # byte order: SQLite, and the C-locale test PostgreSQL
    assert [u.username for u in store.users.list()] == expected
    seen: list[str] = []
    after: str | None = None
    while True:
        page = store.users.list(limit=4, after=after)
        seen += [u.username for u in page]
        if len(page) < 4:
            break
        after = page[-1].username
    assert seen == expected
    assert [u.username for u in store.users.list(limit=2, after="b")] == ["bob", "carol"]
    assert store.users.list(after="zzz") == []
    assert store.users.list(limit=0) == []
    with pytest.raises(ValueError):
        store.users.list(limit=-1)
    assert store.users.list()[0] == store.users.get(expected[0])


def test_update_bumps_version_and_updated_at(store: Store) -> None:
    store.users.clock = ticking_clock()
    created = store.users.create("alice", "h1", "viewer")
    role = store.users.update("alice", role="operator")
    assert role is not None
    assert (role.role, role.version, role.disabled, role.password_hash) == (
        "operator", 2, False, "h1")
    assert role.created_at == created.created_at and role.updated_at > created.updated_at
    assert role.updated_at.tzinfo == UTC

    disabled = store.users.update("alice", disabled=True, expected_version=2)
    assert disabled is not None and disabled.disabled and disabled.version == 3
    password = store.users.update("alice", password_hash="h2")
    assert password is not None and password.password_hash == "h2" and password.version == 4
    everything = store.users.update("alice", role="admin", disabled=False, password_hash="h3",
                                    expected_version=4)
    assert everything is not None and everything.version == 5  # one change, one bump
    assert (everything.role, everything.disabled, everything.password_hash) == (
        "admin", False, "h3")
    assert store.users.get("alice") == everything


def test_update_with_a_stale_version_changes_nothing(store: Store) -> None:
    store.users.create("alice", "h", "viewer")
    current = store.users.update("alice", role="operator")
    assert current is not None and current.version == 2
    for stale in (1, 3, 0):
        with pytest.raises(StaleEtag) as caught:
            store.users.update("alice", role="admin", expected_version=stale)
        assert caught.value.reason == "ETAG_MISMATCH"
    assert store.users.get("alice") == current
    with pytest.raises(StaleEtag):  # nothing to change still checks the version
        store.users.update("alice", expected_version=1)
    assert store.users.update("alice", expected_version=2) == current
    assert store.users.update("alice") == current


def test_update_unknown_user_returns_none(store: Store) -> None:
    assert store.users.update("ghost", role="admin") is None
    assert store.users.update("ghost", disabled=True, expected_version=1) is None
    assert store.users.update("ghost") is None
    assert store.users.update("gh\x00ost", role="admin") is None
    assert store.users.count() == 0


def test_update_rejects_bad_values(store: Store) -> None:
    store.users.create("alice", "h", "viewer")
    with pytest.raises(ValueError, match="role"):
        store.users.update("alice", role="superuser")
    with pytest.raises(ValueError, match="password_hash"):
        store.users.update("alice", password_hash="\x00")
    user = store.users.get("alice")
    assert user is not None and user.version == 1


def test_concurrent_updates_with_one_version_one_wins(store: Store) -> None:
    store.users.create("alice", "h", "viewer")
    threads = 8
    barrier = threading.Barrier(threads)

    def go(i: int) -> UserRecord | StaleEtag | None:
        barrier.wait()
        try:
            return store.users.update("alice", password_hash=f"h{i}", expected_version=1)
        except StaleEtag as error:
            return error

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(go, range(threads)))
    winners = [r for r in results if isinstance(r, UserRecord)]
    assert len(winners) == 1 and winners[0].version == 2
    assert sum(isinstance(r, StaleEtag) for r in results) == threads - 1
    assert store.users.get("alice") == winners[0]


def test_delete_removes_the_user_and_their_tokens(store: Store) -> None:
    future = datetime.now(UTC) + timedelta(hours=1)
    store.users.create("alice", "h", "viewer")
    store.users.create("bob", "h", "viewer")
    store.tokens.create(token_hash="a" * 64, username="alice", expires_at=future)
    store.tokens.create(token_hash="b" * 64, username="alice", expires_at=future)
    store.tokens.create(token_hash="c" * 64, username="bob", expires_at=future)
    assert store.users.delete("alice") is True
    assert store.users.get("alice") is None
    assert token_rows(store, "alice") == 0
    assert store.tokens.get("a" * 64) is None
    assert store.tokens.get("c" * 64) is not None and token_rows(store, "bob") == 1
    assert store.users.delete("alice") is False
    assert store.users.delete("ghost") is False
    assert store.users.count() == 1


def test_foreign_key_cascades_in_the_database(store: Store) -> None:
    """ON DELETE CASCADE works by itself on both backends (SQLite: the pragma)."""
    store.users.create("alice", "h", "viewer")
    store.tokens.create(token_hash="d" * 64, username="alice",
                        expires_at=datetime.now(UTC) + timedelta(hours=1))
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE username = 'alice'"))
    assert token_rows(store, "alice") == 0


def test_count_enabled_admins(store: Store) -> None:
    assert store.users.count_enabled_admins() == 0
    for name in ("a1", "a2", "a3"):
        store.users.create(name, "h", "admin")
    store.users.create("op", "h", "operator")
    store.users.create("v", "h", "viewer")
    assert store.users.count_enabled_admins() == 3
    store.users.update("a2", disabled=True)
    assert store.users.count_enabled_admins() == 2
    store.users.update("a3", role="viewer")
    store.users.update("op", disabled=True)
    assert store.users.count_enabled_admins() == 1
    store.users.update("a2", disabled=False)
    assert store.users.count_enabled_admins() == 2
    store.users.delete("a1")
    assert store.users.count_enabled_admins() == 1


def test_failed_logins_lock_and_success_resets(store: Store) -> None:
    created = store.users.create("alice", "h", "viewer")
    now = datetime(2026, 7, 1, 12, 0, 0, 5, tzinfo=timezone(timedelta(hours=2)))
    lock = timedelta(minutes=5)
    for expected in (1, 2):
        user = store.users.record_failed_login("alice", now=now, max_failures=3, lock_for=lock)
        assert user is not None
        assert (user.failed_logins, user.locked_until) == (expected, None)
    locked = store.users.record_failed_login("alice", now=now, max_failures=3, lock_for=lock)
    assert locked is not None and locked.failed_logins == 0
    assert locked.locked_until == now + lock and locked.locked_until.tzinfo == UTC
    # failures are not edits: no new version, no new updated_at
    assert (locked.version, locked.updated_at) == (created.version, created.updated_at)
    assert store.users.get("alice") == locked

    later = now + timedelta(minutes=1)
    again = store.users.record_failed_login("alice", now=later, max_failures=3, lock_for=lock)
    assert again is not None and (again.failed_logins, again.locked_until) == (1, now + lock)

    store.users.record_successful_login("alice")
    reset = store.users.get("alice")
    assert reset is not None and (reset.failed_logins, reset.locked_until) == (0, None)
    assert reset.version == created.version
    store.users.record_successful_login("ghost")  # no error
    assert store.users.record_failed_login("ghost", now=now, max_failures=3,
                                           lock_for=lock) is None


def test_one_failure_allowed_locks_at_once(store: Store) -> None:
    store.users.create("alice", "h", "viewer")
    now = datetime.now(UTC)
    user = store.users.record_failed_login("alice", now=now, max_failures=1,
                                           lock_for=timedelta(seconds=30))
    assert user is not None and user.failed_logins == 0
    assert user.locked_until == now + timedelta(seconds=30)


def test_failed_login_arguments_are_checked(store: Store) -> None:
    store.users.create("alice", "h", "viewer")
    with pytest.raises(ValueError, match="now"):
        store.users.record_failed_login("alice", now=datetime(2026, 1, 1), max_failures=3,
                                        lock_for=timedelta(minutes=1))
    with pytest.raises(ValueError, match="max_failures"):
        store.users.record_failed_login("alice", now=datetime.now(UTC), max_failures=0,
                                        lock_for=timedelta(minutes=1))
    user = store.users.get("alice")
    assert user is not None and user.failed_logins == 0


def test_concurrent_failed_logins_are_all_counted(store: Store) -> None:
    store.users.create("alice", "h", "viewer")
    threads, each = 8, 5
    barrier = threading.Barrier(threads)
    now = datetime.now(UTC)

    def go(_: int) -> None:
        barrier.wait()
        for _ in range(each):
            store.users.record_failed_login("alice", now=now, max_failures=15,
                                            lock_for=timedelta(minutes=1))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(go, range(threads)))
    user = store.users.get("alice")
    # 40 failures: locked at the 15th and the 30th, 10 counted since
    assert user is not None and user.failed_logins == 40 % 15
    assert user.locked_until == now + timedelta(minutes=1)


def test_records_are_frozen(store: Store) -> None:
    user = store.users.create("alice", "h", "viewer")
    with pytest.raises(AttributeError):
        user.role = "admin"  # type: ignore[misc]
