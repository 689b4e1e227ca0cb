"""Password dialogs: change your own (user menu), reset another user's (Users page)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from ivorygrpc_ui import session
from ivorygrpc_ui.client.auth import change_password, reset_password
from ivorygrpc_ui.client.connection import UiError

MIN_PASSWORD = 8


def _password_dialog(title: str, action: str, done: str,
                     send: Callable[[str, str], Awaitable[None]], *, ask_old: bool = False,
                     note: str = "") -> None:
    """Open a dialog with the new password twice (checked here) and `action`, which calls
    `send(old_password, new_password)`; the server's refusal is shown in the dialog."""
    with ui.dialog() as dialog, ui.card().classes("w-96"):
        ui.label(title).classes("text-lg font-semibold")
        if note:
            ui.label(note).classes("text-grey-7 text-sm")
        old = ui.input("Current password", password=True).classes("w-full") \
            .mark("old-password") if ask_old else None
        new = ui.input("New password", password=True,
                       validation={f"At least {MIN_PASSWORD} characters":
                                   lambda v: len(v or "") >= MIN_PASSWORD}) \
            .classes("w-full").mark("new-password")
        again = ui.input("Repeat new password", password=True,
                         validation={"Does not match": lambda v: v == new.value}) \
            .classes("w-full").mark("repeat-password")
        message = ui.label("").classes("text-negative whitespace-pre-line") \
            .mark("password-error")

        async def save() -> None:
            if not (new.validate() and again.validate()):
                return
            try:
                await send((old.value or "") if old else "", new.value or "")
            except UiError as exc:
                message.text = exc.text
                return
            dialog.close()
            ui.notify(done, type="positive")

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            ui.button(action, on_click=save).mark("save-password")
    dialog.open()


def change_password_dialog() -> None:
    """Open a dialog asking for the old and the new password (twice)."""
    _password_dialog("Change password", "Change", "Password changed",
                     lambda old, new: change_password(session.connection(), old, new),
                     ask_old=True)


def reset_password_dialog(username: str) -> None:
    """Open a dialog where an admin sets `username`'s password; their tokens stop working."""
    _password_dialog(f"Reset password of {username}", "Reset", f"Password of {username} reset",
                     lambda _, new: reset_password(session.connection(), username, new),
                     note="They are logged out everywhere and log in with the new password.")
