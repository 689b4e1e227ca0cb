"""The shared page frame: header with the app name, navigation, live status and user menu.

Every page wraps its content in `frame`::

    with theme.frame('Instruments'):
        ui.label('...')

The navigation, user menu and the operator prompts of the running workflow
(`PromptHost`) appear once the page has a logged-in connection (see `session`). `NAV`
lists the pages in header order; colours come from `COLORS`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import context, ui

from ivorygrpc_ui import session, state
from ivorygrpc_ui.client.connection import Role
from ivorygrpc_ui.client.events import ExecutionStatusInfo
from ivorygrpc_ui.components.account import change_password_dialog
from ivorygrpc_ui.components.leave_guard import leave, may_leave
from ivorygrpc_ui.components.prompt_host import PromptHost

__all__ = ["COLORS", "NAV", "frame"]

APP_NAME = "ivorygrpc"
NAV = (("Instruments", "/instruments"), ("Design", "/design"), ("Execute", "/execute"),
       ("Campaigns", "/campaigns"), ("Data", "/data"), ("Library", "/library"))
COLORS = {"primary": "#1d4e89", "secondary": "#4f6d8f", "accent": "#0f8b8d",
          "positive": "#2e7d32", "negative": "#c62828", "warning": "#b7791f",
          "info": "#1976d2", "dark": "#1b2633"}


def _status_chip() -> None:
    hub = state.hub()

    def show(status: ExecutionStatusInfo) -> None:
        if status.busy:
            chip.text = f"Run: {status.current_run_name or status.current_run_id}"
            chip.props("color=warning icon=play_circle")
        else:
            chip.text = "Deck idle"
            chip.props("color=positive icon=check_circle")
        chip.tooltip(f"{status.queue_length} queued" + (" (queue paused)"
                                                          if status.queue_paused else ""))

    def live(connected: bool) -> None:
        dot.classes(replace="text-positive" if connected else "text-grey-5")
        dot.tooltip("Live updates on" if connected else "Live updates off (reconnecting)")

    with ui.row().classes("items-center gap-2"):
        dot = ui.icon("circle", size="xs").mark("live-indicator")
        chip = ui.chip("", color="positive", on_click=lambda: leave("/execute")) \
            .props("dense outline text-color=white clickable").classes("text-white") \
            .mark("deck-status")
    show(hub.status)
    live(hub.connected)
    hub.status_changed.subscribe(show)
    hub.connection_changed.subscribe(live)


def _user_menu() -> None:
    conn = session.connection()
    with ui.button(icon="account_circle").props("flat color=white no-caps") \
            .mark("user-menu") as button:
        ui.label(conn.username).classes("ml-1")
        with ui.menu():
            ui.item(f"Role: {conn.role.label}").props("dense").classes("text-grey-7")
            ui.separator()
            ui.menu_item("Change password", on_click=change_password_dialog) \
                .mark("menu-change-password")
            if conn.allows(Role.ADMIN):
                ui.menu_item("Users", on_click=lambda: leave("/users")) \
                    .mark("menu-users")
            ui.menu_item("Log out", on_click=_sign_out).mark("menu-logout")
    button.tooltip(f"{conn.username} ({conn.role.label})")


async def _sign_out() -> None:
    if await may_leave():
        await session.sign_out()


@contextmanager
def frame(title: str) -> Iterator[ui.column]:
    """Render the header and yield the page's content column."""
    ui.colors(**COLORS)
    ui.page_title(f"{title} · {APP_NAME}")
    ui.query("body").classes("bg-grey-1")
    logged_in = session.require_role(Role.VIEWER)
    path = context.client.page.path
    with ui.header(elevated=True).classes("bg-primary text-white items-center px-6 py-2 gap-6"):
        with ui.link(target="/instruments").classes("no-underline text-white"):
            with ui.row().classes("items-center gap-2"):
                ui.icon("science", size="sm")
                ui.label(APP_NAME).classes("text-lg font-semibold tracking-wide")
        if logged_in:
            with ui.row().classes("gap-1"):
                for label, target in NAV:
                    active = path == target or path.startswith(f"{target}/") or (
                        target == "/instruments" and path == "/")
                    ui.button(label, on_click=lambda t=target: leave(t)) \
                        .props("flat no-caps color=white") \
                        .classes("font-semibold bg-white/20" if active else "opacity-80") \
                        .mark(f"nav-{label.lower()}")
            ui.space()
            _status_chip()
            _user_menu()
    if logged_in:
        PromptHost(session.connection())
    with ui.column().classes("w-full max-w-screen-xl mx-auto px-6 py-4 gap-4") as content:
        ui.label(title).classes("text-2xl font-semibold text-dark").mark("page-title")
        yield content
