"""The change-password dialog of the user menu."""

from __future__ import annotations

from nicegui import ui

from ivorygrpc_ui import session
from ivorygrpc_ui.client.auth import change_password
from ivorygrpc_ui.client.connection import UiError

MIN_PASSWORD = 8


def change_password_dialog() -> None:
    """Open a dialog asking for the old and the new password (twice)."""
    with ui.dialog() as dialog, ui.card().classes("w-96"):
        ui.label("Change password").classes("text-lg font-semibold")
        old = ui.input("Current password", password=True).classes("w-full") \
            .mark("old-password")
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
