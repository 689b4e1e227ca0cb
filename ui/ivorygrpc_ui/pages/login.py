"""``/login``: username and password; on success go to ``next`` (default Instruments)."""

from __future__ import annotations

from fastapi.responses import RedirectResponse
from nicegui import ui

from ivorygrpc_ui import session, theme
from ivorygrpc_ui.client.connection import UiError


def _safe_next(target: str) -> str:
    """Only local paths: an open redirect must not lead off the UI."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/instruments"


def create() -> None:
    """Register the login page."""
    @ui.page("/login")
    async def login_page(next: str = "/instruments") -> RedirectResponse | None:
        target = _safe_next(next)
        if await session.current() is not None:
            return RedirectResponse(target)

        async def submit() -> None:
            error.text = ""
            if not username.value or not password.value:
                error.text = "Enter a username and a password."
                return
            button.props("loading")
            try:
                await session.sign_in(username.value, password.value)
            except UiError as exc:
                error.text = ("Wrong username or password, or the account is locked."
                              if exc.code == "UNAUTHENTICATED" else exc.text)
                password.value = ""
                return
            finally:
                button.props(remove="loading")
            ui.navigate.to(target)

        with theme.frame("Log in"):
            with ui.card().classes("w-96 self-center mt-8 gap-3"):
                ui.label("Sign in to the lab deck").classes("text-grey-7")
                username = ui.input("Username").classes("w-full").mark("username") \
                    .props("autofocus autocomplete=username")
                password = ui.input("Password", password=True).classes("w-full") \
                    .mark("password").props("autocomplete=current-password")
                password.on("keydown.enter", submit)
                error = ui.label("").classes("text-negative whitespace-pre-line") \
                    .mark("login-error")
                button = ui.button("Log in", on_click=submit).classes("w-full") \
                    .mark("login-button")
        return None
