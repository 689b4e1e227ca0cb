"""Password dialogs: change your own (user menu), reset another user's (Users page)."""

from __future__ import annotations

from nicegui import ui

from ivorygrpc_ui import session
from ivorygrpc_ui.client.auth import change_password, reset_password
from ivorygrpc_ui.client.connection import UiError

MIN_PASSWORD = 8


def _new_password_inputs() -> tuple[ui.input, ui.input, ui.label]:
    """The new password twice (checked locally) and a label for the server's answer."""
    new = ui.input("New password", password=True,
                   validation={f"At least {MIN_PASSWORD} characters":
                               lambda v: len(v or "") >= MIN_PASSWORD}) \
        .classes("w-full").mark("new-password")
    again = ui.input("Repeat new password", password=True,
                     validation={"Does not match": lambda v: v == new.value}) \
        .classes("w-full").mark("repeat-password")
    message = ui.label("").classes("text-negative whitespace-pre-line").mark("password-error")
    return new, again, message


def change_password_dialog() -> None:
    """Open a dialog asking for the old and the new password (twice)."""
    with ui.dialog() as dialog, ui.card().classes("w-96"):
        ui.label("Change password").classes("text-lg font-semibold")
        old = ui.input("Current password", password=True).classes("w-full") \
            .mark("old-password")
        new, again, message = _new_password_inputs()

        async def save() -> None:
            if not (new.validate() and again.validate()):
                return
            try:
                await change_password(session.connection(), old.value or "", new.value or "")
            except UiError as exc:
                message.text = exc.text
                return
            dialog.close()
            ui.notify("Password changed", type="positive")

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            ui.button("Change", on_click=save).mark("save-password")
    dialog.open()


def reset_password_dialog(username: str) -> None:
    """Open a dialog where an admin sets `username`'s password; their tokens stop working."""
    with ui.dialog() as dialog, ui.card().classes("w-96"):
        ui.label(f"Reset password of {username}").classes("text-lg font-semibold")
        ui.label("They are logged out everywhere and log in with the new password.") \
            .classes("text-grey-7 text-sm")
        new, again, message = _new_password_inputs()

        async def save() -> None:
            if not (new.validate() and again.validate()):
                return
            try:
                await reset_password(session.connection(), username, new.value or "")
            except UiError as exc:
                message.text = exc.text
                return
            dialog.close()
            ui.notify(f"Password of {username} reset", type="positive")

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            ui.button("Reset", on_click=save).mark("save-password")
    dialog.open()
