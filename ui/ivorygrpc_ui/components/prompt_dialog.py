"""Operator prompts (pause steps and input steps) as dialogs.

Every open page shows the same prompt (`prompt_host.PromptHost`, hosted by the frame);
whoever answers first wins (`AnswerPrompt` names the pause id, so a late answer cannot act
on a later prompt), and the `prompt_answered` event closes the dialog in every tab.
"""

from __future__ import annotations

from nicegui import ui

from ivorygrpc.v1 import run_pb2
from ivorygrpc.v1 import workflow_pb2 as wf
from ivorygrpc_ui.client import execute as api
from ivorygrpc_ui.client.connection import Connection, Role, UiError
from ivorygrpc_ui.client.values import JsonValue

PROMPT_KINDS = (run_pb2.PAUSE_KIND_INPUT, run_pb2.PAUSE_KIND_PAUSE_STEP)
_TYPE_LABELS = {wf.INPUT_TYPE_NUMBER: "a number", wf.INPUT_TYPE_INTEGER: "a whole number",
                wf.INPUT_TYPE_STRING: "text", wf.INPUT_TYPE_BOOLEAN: "yes or no"}


class PromptDialogs:
    """The open prompt dialogs of one page, by pause id."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.open: dict[str, ui.dialog] = {}
        self.answered: set[str] = set()  # answers may arrive before a dialog is drawn

    def show(self, run_id: str, run_name: str, pause: run_pb2.PauseReason) -> None:
        """Open the dialog for `pause` (once per pause id)."""
        if pause.kind not in PROMPT_KINDS or pause.id in self.open or pause.id in self.answered:
            return
        asks = pause.kind == run_pb2.PAUSE_KIND_INPUT
        with ui.dialog().props("persistent") as dialog, ui.card().classes("w-[28rem] gap-3"):
            dialog.mark("prompt-dialog")
            with ui.row().classes("items-center gap-2"):
                ui.icon("keyboard" if asks else "pan_tool", color="warning")
                ui.label("Input needed" if asks else "Run paused").classes(
                    "text-lg font-semibold")
            ui.label(f"{run_name} · iteration {pause.iteration}").classes(
                "text-xs text-slate-500")
            ui.label(pause.message or "Continue when ready.").classes(
                "whitespace-pre-line").mark("prompt-message")
            value: ui.input | ui.switch | None = None
            if asks and pause.input_type == wf.INPUT_TYPE_BOOLEAN:
                value = ui.switch("Yes").mark("prompt-value")
            elif asks:
                value = ui.input(f"Answer ({_TYPE_LABELS.get(pause.input_type, 'text')})") \
                    .classes("w-full").props("autofocus").mark("prompt-value")
            error = ui.label().classes("text-sm text-red-600").mark("prompt-error")

            async def answer() -> None:
                given: JsonValue = None
                if isinstance(value, ui.switch):
                    given = bool(value.value)
                elif value is not None:
                    given = value.value or ""
                try:
                    await api.answer_prompt(self.conn, run_id, pause.id, given)
                except UiError as exc:
                    error.text = exc.text
                    return
                self.close(pause.id)

            async def stop() -> None:
                try:
                    await api.stop_run(self.conn, run_id, now=True)
                except UiError as exc:
                    error.text = exc.text

            if isinstance(value, ui.input):
                value.on("keydown.enter", answer)
            with ui.row().classes("w-full justify-end gap-2"):
                if self.conn.allows(Role.OPERATOR):
                    ui.button("Stop run", on_click=stop).props("flat color=negative no-caps") \
                        .mark("prompt-stop")
                    ui.button("Submit" if asks else "Continue", on_click=answer) \
                        .props("no-caps").mark("prompt-answer")
                else:
                    ui.label("An operator answers this prompt.").classes("text-sm")
                    ui.button("Hide", on_click=dialog.close).props("flat no-caps")
        self.open[pause.id] = dialog
        dialog.open()

    def close(self, pause_id: str) -> None:
        """Close the dialog of `pause_id` (answered here or in another tab)."""
        self.answered.add(pause_id)
        dialog = self.open.pop(pause_id, None)
        if dialog is not None:
            dialog.close()
            dialog.delete()

    def close_all(self) -> None:
        for pause_id in list(self.open):
            self.close(pause_id)
