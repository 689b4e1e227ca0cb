"""The operator prompts of the running workflow, on every page (`theme.frame` hosts one).

A scientist on any page sees a pause or input prompt as a dialog and can answer it;
`prompt_answered` (or the run moving on) closes it in every tab. A page opened while a run
already waits on a prompt shows that prompt too.
"""

from __future__ import annotations

from nicegui import background_tasks, ui

from ivorygrpc.v1 import run_pb2
from ivorygrpc_ui import state
from ivorygrpc_ui.client import execute as api
from ivorygrpc_ui.client.connection import Connection, UiError
from ivorygrpc_ui.client.events import RunEventInfo, get_execution_status
from ivorygrpc_ui.components.prompt_dialog import PromptDialogs


class PromptHost:
    """Shows the prompts of the active run on the page it is created in."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialogs = PromptDialogs(conn)
        self.anchor = ui.element("div").classes("hidden").mark("prompt-host")
        state.hub().events.subscribe(self.on_event)
        # Not a ui.timer: that awaits the connection, which makes NiceGUI send the page
        # before it is built.
        background_tasks.create(self._catch_up(), name="catch up on prompts")

    async def _catch_up(self) -> None:
        """Show the prompt the active run already waits on."""
        hub = state.hub()
        try:  # before the hub's stream is up its status is not known yet
            status = hub.status if hub.connected else await get_execution_status(self.conn)
        except UiError:
            return
        if status.current_run_id and status.current_run_state == "paused":
            await self._show(status.current_run_id, None)

    def on_event(self, info: RunEventInfo) -> None:
        if info.kind == "prompt_requested":
            background_tasks.create(self._show(info.run_id, info.raw.prompt_requested),
                                    name="show prompt")
        elif info.kind == "prompt_answered":
            self.dialogs.close(info.raw.prompt_answered.pause_id)
        elif info.kind == "state_changed" and info.state != "paused":
            self.dialogs.close_all()  # one run is active at a time: its prompt is over

    async def _show(self, run_id: str, pause: run_pb2.PauseReason | None) -> None:
        """Open the dialog of `pause` (None: the run's current pause, if it is paused)."""
        try:
            run = await api.get_run(self.conn, run_id)
        except UiError:
            run = None
        if pause is None:
            if run is None or run.state != run_pb2.RUN_STATE_PAUSED:
                return
            pause = run.pause
        if self.anchor.is_deleted:
            return  # the page closed meanwhile
        name = (run.display_name or run.workflow) if run is not None else run_id
        with self.anchor:
            self.dialogs.show(run_id, name, pause)
