"""Small reusable dialogs: a yes/no question, a confirmed action, a one-line text answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from ivorygrpc_ui.client.connection import UiError


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


async def confirmed_call(question: str, call: Callable[[], Awaitable[object]],
                         done: str) -> bool:
    """Ask `question`; on yes make `call` and tell how it went. True when it was made."""
    if not await confirm(question):
        return False
    try:
        await call()
    except UiError as exc:
        ui.notify(exc.text, type="negative", multi_line=True)
        return False
    ui.notify(done, type="positive")
    return True


async def ask_text(label: str, value: str, action: str, *, title: str = "",
                   marker: str) -> str | None:
    """One line of text in a dialog (input marked `marker`-input, its button `marker`-save);
    None when cancelled."""
    with ui.dialog() as dialog, ui.card().classes("w-96"):
        if title:
            ui.label(title).classes("text-lg font-semibold")
        text = ui.input(label, value=value).classes("w-full").mark(f"{marker}-input")
        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat")
            ui.button(action, on_click=lambda: dialog.submit(text.value)) \
                .mark(f"{marker}-save")
    answer = await dialog
    dialog.delete()
    return str(answer) if answer is not None else None
