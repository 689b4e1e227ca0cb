"""The in-memory token check cache: hits skip the store, and no account change can
leave a stale entry behind, not even one made while a check was reading the store."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivorygrpc.auth.accounts import Accounts, AuthSettings, Identity
from ivorygrpc.auth.roles import Role
from ivorygrpc.auth.secrets import hash_password
from ivorygrpc.errors import Unauthenticated
from ivorygrpc.store import Store

PASSWORD = "a-long-password"


class CountingReads:
    """Wraps `store.tokens.get`: counts reads; `hold` stops reads after they read."""

    def __init__(self, store: Store) -> None:
        self.real = store.tokens.get
        self.reads = 0
        self.hold: threading.Event | None = None
        self.holding = threading.Event()

    def __call__(self, token_hash: str) -> Any:
        found = self.real(token_hash)
        self.reads += 1
        if self.hold is not None:
            self.holding.set()
            self.hold.wait(10)
        return found


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(Store.sqlite_url(tmp_path))
    opened.users.create("root", hash_password(PASSWORD), "admin")
    opened.users.create("bob", hash_password(PASSWORD), "operator")
    yield opened
    opened.close()


@pytest.fixture
def reads(store: Store, monkeypatch: pytest.MonkeyPatch) -> CountingReads:
    counting = CountingReads(store)
    monkeypatch.setattr(store.tokens, "get", counting)
    return counting


async def _login(accounts: Accounts, name: str) -> str:
    token, _, _ = await accounts.login(name, PASSWORD)
    return token


async def test_a_cached_check_skips_the_store(store: Store, reads: CountingReads) -> None:
    accounts = Accounts(store, AuthSettings(failure_delay_s=0))
    token = await _login(accounts, "bob")
    for _ in range(3):
        assert (await accounts.authenticate(token)).role is Role.OPERATOR
    assert reads.reads == 1
    with pytest.raises(Unauthenticated):
        await accounts.authenticate(token + "x")  # another token is never a hit


async def test_a_change_made_during_a_check_is_seen_by_the_next_call(
        store: Store, reads: CountingReads) -> None:
    accounts = Accounts(store, AuthSettings(failure_delay_s=0))
    token = await _login(accounts, "bob")
    root = Identity("root", Role.ADMIN)
    reads.hold = threading.Event()
    checking = asyncio.ensure_future(accounts.authenticate(token))
    await asyncio.to_thread(reads.holding.wait, 10)  # it read bob as an operator
    await accounts.update_user(root, "bob", role=Role.VIEWER, disabled=None,
                               expected_version=None)
    reads.hold.set()
    assert (await checking).role is Role.OPERATOR  # concurrent with the change
    reads.hold = None
    assert (await accounts.authenticate(token)).role is Role.VIEWER
    assert (await accounts.authenticate(token)).role is Role.VIEWER
    assert reads.reads == 2  # the stale read was not cached; the fresh one is


@pytest.mark.parametrize("how", ["logout", "disable", "delete", "reset", "demote"])
async def test_every_account_change_clears_cached_checks(
        store: Store, reads: CountingReads, how: str) -> None:
    accounts = Accounts(store, AuthSettings(failure_delay_s=0))
    token = await _login(accounts, "bob")
    bob = await accounts.authenticate(token)
    root = Identity("root", Role.ADMIN)
    if how == "logout":
        await accounts.logout(bob)
    elif how == "disable":
        await accounts.update_user(root, "bob", role=None, disabled=True, expected_version=None)
    elif how == "delete":
        await accounts.delete_user(root, "bob")
    elif how == "reset":
        await accounts.reset_password(root, "bob", "another-password")
    else:
        await accounts.update_user(root, "bob", role=Role.VIEWER, disabled=None,
                                   expected_version=None)
        assert (await accounts.authenticate(token)).role is Role.VIEWER
        return
    with pytest.raises(Unauthenticated):
        await accounts.authenticate(token)
