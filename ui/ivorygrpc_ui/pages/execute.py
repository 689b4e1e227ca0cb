"""``/execute``: queue a run (``?workflow=NAME`` preselects one), the queue and the live run.

Everything live comes from the process's `EventHub` (``StreamRunEvents``): run state,
progress, the log and queue changes. Operator prompts are shown on every page by the
frame's `PromptHost`.
"""

from __future__ import annotations

from nicegui import background_tasks, ui

from ivorygrpc_ui import session, state, theme
from ivorygrpc_ui.client import design as design_api
from ivorygrpc_ui.client import execute as api
from ivorygrpc_ui.client.connection import Connection, Role, UiError
from ivorygrpc_ui.client.events import RunEventInfo
from ivorygrpc_ui.components.live_run import LiveRun
from ivorygrpc_ui.components.run_form import RunForm
from ivorygrpc_ui.components.run_queue import RunQueue
from ivorygrpc_ui.components.styles import STYLE


class ExecutePage:
    """One browser tab's Execute page."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.live = LiveRun(conn)
        self.queue = RunQueue(conn)

    async def build(self, workflow: str) -> None:
        ui.add_css(STYLE)
        workflows = await design_api.list_workflows(self.conn)
        with ui.row().classes("w-full items-start gap-4 no-wrap"):
            if session.require_role(Role.OPERATOR):
                with ui.card().classes("w-[26rem] shrink-0 gap-2"):
                    ui.label("New run").classes("font-semibold")
                    await RunForm(self.conn, workflows, workflow).build()
            with ui.column().classes("grow min-w-0 gap-4"):
                with ui.card().classes("w-full gap-2"):
                    ui.label("Live run").classes("font-semibold")
                    self.live.build()
                with ui.card().classes("w-full gap-1"):
                    self.queue.view()
        hub = state.hub()
        hub.events.subscribe(self.on_event)
        hub.status_changed.subscribe(self.queue.on_status)
        self.queue.on_status(hub.status)
        await self.queue.reload()
        await self._catch_up(hub.status.current_run_id)

    async def _catch_up(self, run_id: str) -> None:
        """Show the active run (or the latest one)."""
        if not run_id:
            recent = await api.recent_runs(self.conn, page_size=1)
            run_id = recent[0].id if recent else ""
        if run_id:
            await self.live.follow(run_id)

    def on_event(self, info: RunEventInfo) -> None:
        self.live.on_event(info)
        if info.kind in ("queue_changed", "state_changed"):
            background_tasks.create(self.queue.reload(), name="reload queue")


def create() -> None:
    """Register the Execute page."""
    @ui.page("/execute")
    @session.login_required()
    async def execute_page(conn: Connection, workflow: str = "") -> None:
        with theme.frame("Execute"):
            try:
                await ExecutePage(conn).build(workflow)
            except UiError as exc:
                ui.label(exc.text).classes("text-negative").mark("page-error")
