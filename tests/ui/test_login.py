"""Login page, redirects and the user menu."""

from __future__ import annotations

from nicegui.testing import User

from tests.fixtures.server import ADMIN_PASSWORD
from tests.ui.conftest import eventually, logged_in


async def test_pages_redirect_to_login_until_logged_in(user: User) -> None:
    await user.open("/data")
    assert user.back_history[-1] == "/data"
    await user.should_see(marker="login-button")
    await logged_in(user, path="/data")
    await user.should_see(marker="user-menu")
    await user.should_see("admin")


async def test_wrong_password_is_refused(user: User) -> None:
    await user.open("/login")
    user.find("username").type("admin")
    user.find("password").type("not the password")
    user.find("login-button").click()
    await user.should_see("Wrong username or password", retries=100)
    await user.should_not_see(marker="user-menu")


async def test_login_survives_a_reload_and_logout_ends_it(user: User) -> None:
    await logged_in(user)
    await user.open("/library")
    await user.should_see(marker="user-menu")
    user.find("menu-logout").click()
    await eventually(lambda: user.back_history[-1] == "/login")
    await user.open("/library")
    await user.should_see(marker="login-button")


async def test_next_only_leads_to_local_pages(user: User) -> None:
    await user.open("/login?next=//evil.example/x")
    user.find("username").type("admin")
    user.find("password").type(ADMIN_PASSWORD)
    user.find("login-button").click()
    await eventually(lambda: user.back_history[-1] == "/instruments")
