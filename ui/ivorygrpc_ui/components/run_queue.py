"""The run queue: queued runs in start order, with reorder, rename and cancel, and the
queue's pause switch. `reload()` re-reads it; the page calls it on queue and state events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from ivorygrpc.v1 import run_pb2
from ivorygrpc_ui.client import execute as api
from ivorygrpc_ui.client.connection import Connection, Role, UiError
from ivorygrpc_ui.client.events import ExecutionStatusInfo
from ivorygrpc_ui.components.dialogs import ask_text


class RunQueue:
    """The queue card's content."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.can_control = conn.allows(Role.OPERATOR)
        self.runs: list[run_pb2.Run] = []
        self.paused = False
        self.view = ui.refreshable(self._view)

    async def reload(self) -> None:
        try:
            self.runs = await api.list_queue(self.conn)
        except UiError as exc:
            ui.notify(exc.text, type="negative")
            return
        self.view.refresh()

    def on_status(self, status: ExecutionStatusInfo) -> None:
        if status.queue_paused != self.paused:
            self.paused = status.queue_paused
            self.view.refresh()

    def _view(self) -> None:
        with ui.row().classes("w-full items-center"):
            ui.label(f"Queue · {len(self.runs)}").classes("font-semibold").mark("queue-title")
            ui.space()
            if self.paused:
                ui.badge("paused", color="warning").mark("queue-paused")
            toggle = ui.button("Resume queue" if self.paused else "Pause queue",
                      icon="play_arrow" if self.paused else "pause",
                      on_click=self._call(lambda: api.set_queue_paused(self.conn,
                                                                       not self.paused))) \
                .props("flat dense no-caps").mark("queue-toggle")
            toggle.set_visibility(self.can_control)
        if not self.runs:
            ui.label("No queued runs.").classes("text-sm text-slate-500")
        for index, run in enumerate(self.runs):
            with ui.row().classes("w-full items-center gap-2 py-1 border-b border-slate-100 "
                                  "no-wrap").mark("queued-run"):
                ui.label(str(index + 1)).classes("w-5 text-slate-400 text-sm")
                with ui.column().classes("gap-0 grow min-w-0"):
                    ui.label(run.display_name or run.workflow).classes("text-sm truncate")
                    ui.label(f"{run.workflow} v{run.workflow_version} · {run.submitter}") \
                        .classes("text-xs text-slate-500 truncate")
                if self.can_control:
                    self._row_tools(index, run)

    def _row_tools(self, index: int, run: run_pb2.Run) -> None:
        number = index + 1
        before = self.runs[index - 1].id if index > 0 else ""
        after = self.runs[index + 1].id if index + 1 < len(self.runs) else ""

        async def up() -> None:
            await api.move_run(self.conn, run.id, before=before)

        async def down() -> None:
            await api.move_run(self.conn, run.id, after=after)

        async def cancel() -> None:
            await api.cancel_run(self.conn, run.id)

        async def rename() -> None:
            await self._rename(run)

        self._tool("arrow_upward", "Move up", f"queue-up-{number}", bool(before), up)
        self._tool("arrow_downward", "Move down", f"queue-down-{number}", bool(after), down)
        self._tool("edit", "Rename", f"queue-rename-{number}", True, rename)
        self._tool("close", "Cancel", f"queue-cancel-{number}", True, cancel)

    def _tool(self, icon: str, label: str, marker: str, enabled: bool,
              action: Callable[[], Awaitable[None]]) -> None:
        ui.button(icon=icon, on_click=self._call(action)).props(
            f'flat round dense size=sm aria-label="{label}"').mark(marker).set_enabled(enabled)

    def _call(self, action: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            try:
                await action()
            except UiError as exc:
                ui.notify(exc.text, type="negative")
        return run

    async def _rename(self, run: run_pb2.Run) -> None:
        new_name = await ask_text("Run name", run.display_name, "Rename", marker="rename")
        if new_name and new_name != run.display_name:
            await self._call(lambda: api.rename_run(self.conn, run.id, new_name))()
