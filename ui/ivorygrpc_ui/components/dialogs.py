"""Small reusable dialogs."""

from __future__ import annotations

from nicegui import ui


async def confirm(question: str, action: str = "Delete") -> bool:
    """Ask a yes/no question in a dialog; True when the user confirms."""
    with ui.dialog() as dialog, ui.card():
        ui.label(question)
        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=lambda: dialog.submit(False)).props("flat") \
                .mark("confirm-no")
            ui.button(action, on_click=lambda: dialog.submit(True)) \
                .props("color=negative").mark("confirm-yes")
    result = await dialog
    dialog.clear()
    return result is True
