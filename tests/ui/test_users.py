"""User menu and user management: change password, create, change role, disable, delete."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui.testing import User

from tests.fixtures.server import ADMIN_PASSWORD
from tests.ui.conftest import eventually, logged_in


async def test_admin_creates_a_user_who_can_then_log_in(user: User,
                                                         create_user: Callable[[], User]) -> None:
    await logged_in(user, path="/users")
    user.find("new-username").type("alice")
    user.find("new-user-password").type("alice-password")
    user.find("create-user").click()
    await user.should_see(marker="user-alice", retries=100)
    alice = create_user()
    await logged_in(alice, "alice", "alice-password")
    await alice.should_see("alice")
    alice.find("user-menu").click()
    await alice.should_not_see(marker="menu-users")  # operators do not manage users


async def test_role_change_disable_and_delete(user: User,
                                              account: Callable[[str], Awaitable[tuple[str, str]]],
                                              create_user: Callable[[], User]) -> None:
    name, password = await account("viewer")
    await logged_in(user, path="/users")
    role = user.find(f"role-{name}").elements.pop()
    role.value = 3  # admin
    await eventually(lambda: user.find(f"role-{name}").elements.pop() is not role)  # redrawn
    assert user.find(f"role-{name}").elements.pop().value == 3
    user.find(f"toggle-{name}").click()
    await eventually(lambda: user.find(f"status-{name}").elements.pop().text == "disabled")
    other = create_user()
    await other.open("/login")
    other.find("username").type(name)
    other.find("password").type(password)
    other.find("login-button").click()
    await other.should_see("Wrong username or password", retries=100)  # disabled
    user.find(f"delete-{name}").click()
    await user.should_see(marker="confirm-yes")
    user.find("confirm-yes").click()
    await user.should_not_see(marker=f"user-{name}", retries=100)


async def test_non_admins_cannot_open_users(user: User,
                                            account: Callable[[str], Awaitable[tuple[str, str]]]
                                            ) -> None:
    name, password = await account("operator")
    await logged_in(user, name, password)
    await user.open("/users")
    await user.should_see("This page needs the admin role.")


async def test_change_password(user: User, create_user: Callable[[], User]) -> None:
    await logged_in(user)
    user.find("menu-change-password").click()
    user.find("old-password").type("wrong")
    user.find("new-password").type("a-new-password")
    user.find("repeat-password").type("a-new-password")
    user.find("save-password").click()
    await eventually(lambda: user.find("password-error").elements.pop().text != "")
    user.find("old-password").clear().type(ADMIN_PASSWORD)
    user.find("save-password").click()
    await eventually(lambda: user.notify.contains("Password changed"))
    again = create_user()
    await logged_in(again, "admin", "a-new-password")


async def test_admin_resets_a_password(user: User,
                                       account: Callable[[str], Awaitable[tuple[str, str]]],
                                       create_user: Callable[[], User]) -> None:
    name, password = await account("operator")
    before = create_user()
    await logged_in(before, name, password)
    await logged_in(user, path="/users")
    user.find(f"reset-{name}").click()
    user.find("new-password").type("short")
    user.find("repeat-password").type("short")
    user.find("save-password").click()  # refused locally: too short
    user.find("new-password").clear().type("a-reset-password")
    user.find("repeat-password").clear().type("a-reset-password")
    user.find("save-password").click()
    await eventually(lambda: user.notify.contains(f"Password of {name} reset"))
    await before.open("/instruments")  # the old login's token was revoked
    await before.should_see(marker="login-button", retries=100)
    # The same browser logs in again with the new password. (A third simulated browser
    # made here sometimes sent the first browser's session cookie after signing in, so
    # it landed on the login page again: the httpx-based harness, not the UI.)
    await logged_in(before, name, "a-reset-password")
