"""TokenRepository on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ivorygrpc.errors import AlreadyExists, NotFound
from ivorygrpc.store import Store, TokenRecord

NOW = datetime(2026, 8, 9, 10, 11, 12, 131415, tzinfo=UTC)
HOUR = timedelta(hours=1)


def h(name: str) -> str:
    """The stored hash of the bearer token `name`."""
    return hashlib.sha256(name.encode()).hexdigest()


@pytest.fixture
def users(store: Store) -> Store:
    """The store with users alice (operator) and bob (viewer); clocks at NOW."""
    store.users.create("alice", "ha", "operator")
    store.users.create("bob", "hb", "viewer")
    store.tokens.clock = lambda: NOW
    return store


def test_create_and_get_with_the_user(users: Store) -> None:
    store = users
    expires = NOW.astimezone(timezone(timedelta(hours=-3))) + 12 * HOUR
    token = store.tokens.create(token_hash=h("t1"), username="alice", expires_at=expires)
    assert token == TokenRecord(token_hash=h("t1"), username="alice", created_at=NOW,
                                expires_at=expires, revoked_at=None)
    assert token.expires_at.tzinfo == UTC
    found = store.tokens.get(h("t1"))
    assert found is not None
    record, user = found
    assert record == token
    assert user == store.users.get("alice")
    # the join reads the user as it is now
    store.users.update("alice", disabled=True, role="viewer")
    found = store.tokens.get(h("t1"))
    assert found is not None and found[1].disabled and found[1].role == "viewer"
    assert found[1] == store.users.get("alice")


def test_get_unknown_or_malformed(users: Store) -> None:
    assert users.tokens.get(h("never")) is None
    assert users.tokens.get("not a hash") is None
    assert users.tokens.get(h("x").upper()) is None
    assert users.tokens.get("\x00" * 64) is None


def test_create_rejects_bad_values(users: Store) -> None:
    store = users
    for bad in ("", "abc", h("t").upper(), h("t") + "0", "g" * 64):
        with pytest.raises(ValueError, match="token_hash"):
            store.tokens.create(token_hash=bad, username="alice", expires_at=NOW + HOUR)
    with pytest.raises(ValueError, match="expires_at"):
        store.tokens.create(token_hash=h("t"), username="alice",
                            expires_at=datetime(2030, 1, 1))
    with pytest.raises(NotFound) as caught:
        store.tokens.create(token_hash=h("t"), username="ghost", expires_at=NOW + HOUR)
    assert caught.value.reason == "USER_NOT_FOUND"
    assert store.tokens.get(h("t")) is None


def test_duplicate_hash(users: Store) -> None:
    first = users.tokens.create(token_hash=h("t"), username="alice", expires_at=NOW + HOUR)
    with pytest.raises(AlreadyExists) as caught:
        users.tokens.create(token_hash=h("t"), username="bob", expires_at=NOW + 2 * HOUR)
    assert caught.value.reason == "TOKEN_EXISTS"
    assert h("t") not in str(caught.value)  # the message names a prefix only
    found = users.tokens.get(h("t"))
    assert found is not None and found[0] == first


def test_revoke(users: Store) -> None:
    store = users
    store.tokens.create(token_hash=h("t"), username="alice", expires_at=NOW + HOUR)
    when = NOW + timedelta(minutes=5)
    assert store.tokens.revoke(h("t"), now=when) is True
    found = store.tokens.get(h("t"))
    assert found is not None and found[0].revoked_at == when
    assert found[0].revoked_at.tzinfo == UTC
    assert store.tokens.revoke(h("t"), now=when + HOUR) is False  # first revocation stays
    found = store.tokens.get(h("t"))
    assert found is not None and found[0].revoked_at == when
    assert store.tokens.revoke(h("unknown"), now=when) is False
    assert store.tokens.revoke("bad", now=when) is False
    with pytest.raises(ValueError, match="now"):
        store.tokens.revoke(h("t"), now=datetime(2026, 1, 1))


def test_revoke_all_keeps_one(users: Store) -> None:
    store = users
    for name in ("keep", "a", "b"):
        store.tokens.create(token_hash=h(name), username="alice", expires_at=NOW + HOUR)
    store.tokens.create(token_hash=h("expired"), username="alice", expires_at=NOW - HOUR)
    store.tokens.create(token_hash=h("old"), username="alice", expires_at=NOW + HOUR)
    earlier = NOW - timedelta(minutes=1)
    store.tokens.revoke(h("old"), now=earlier)
    store.tokens.create(token_hash=h("bobs"), username="bob", expires_at=NOW + HOUR)

    assert store.tokens.revoke_all("alice", now=NOW, keep=h("keep")) == 2

    def revoked_at(name: str) -> datetime | None:
        found = store.tokens.get(h(name))
        assert found is not None
        return found[0].revoked_at

    assert revoked_at("keep") is None
    assert revoked_at("a") == revoked_at("b") == NOW
    assert revoked_at("old") == earlier  # already revoked: untouched
    assert revoked_at("expired") is None  # not live: left to purge_expired
    assert revoked_at("bobs") is None  # another user's
    assert store.tokens.revoke_all("alice", now=NOW, keep=h("keep")) == 0
    assert store.tokens.revoke_all("alice", now=NOW) == 1
    assert revoked_at("keep") == NOW
    assert store.tokens.revoke_all("ghost", now=NOW) == 0


def test_purge_expired(users: Store) -> None:
    store = users
    cases = {  # name: (expires_at, revoked_at)
        "live": (NOW + HOUR, None),
        "expired": (NOW - HOUR, None),
        "expires-now": (NOW, None),
        "revoked": (NOW + HOUR, NOW - timedelta(seconds=1)),
        "revoked-later": (NOW + HOUR, NOW + timedelta(seconds=1)),
    }
    for name, (expires, revoked) in cases.items():
        store.tokens.create(token_hash=h(name), username="alice", expires_at=expires)
        if revoked is not None:
            store.tokens.revoke(h(name), now=revoked)
    assert store.tokens.purge_expired(now=NOW) == 3
    left = {name for name in cases if store.tokens.get(h(name)) is not None}
    assert left == {"live", "revoked-later"}
    assert store.tokens.purge_expired(now=NOW) == 0
    assert store.tokens.purge_expired(now=NOW + 2 * HOUR) == 2
    with pytest.raises(ValueError, match="now"):
        store.tokens.purge_expired(now=datetime(2026, 1, 1))


def test_records_are_frozen(users: Store) -> None:
    token = users.tokens.create(token_hash=h("t"), username="alice", expires_at=NOW + HOUR)
    with pytest.raises(AttributeError):
        token.revoked_at = NOW  # type: ignore[misc]
