"""``/data``: runs with search, workflow and state filters and pages; ``/data/{run_id}``: one
run's record (phases, iterations, step attempts with arguments, outputs, errors and
durations), a plot of its numeric outputs, CSV downloads and delete (admins).

Both follow the `state.EventHub`: the list reloads when a run changes state, the detail
when its run finishes an iteration or changes state.
"""

from __future__ import annotations

from urllib.parse import quote

from nicegui import ui

from ivorygrpc_ui import session, state, theme
from ivorygrpc_ui.client.connection import Connection, Role, UiError
from ivorygrpc_ui.client.events import FINAL_STATES, RunEventInfo
from ivorygrpc_ui.client.records import RUN_STATES, RunSummary, list_runs
from ivorygrpc_ui.client.values import show_duration, show_time
from ivorygrpc_ui.components.pager import Pager
from ivorygrpc_ui.components.run_detail import STATE_COLORS, RunDetailView

COLUMNS = [
    {"name": "name", "label": "Run", "field": "name", "align": "left"},
    {"name": "workflow", "label": "Workflow", "field": "workflow", "align": "left"},
    {"name": "state", "label": "State", "field": "state", "align": "left"},
    {"name": "created", "label": "Submitted", "field": "created", "align": "left"},
    {"name": "duration", "label": "Duration", "field": "duration", "align": "right"},
    {"name": "submitter", "label": "By", "field": "submitter", "align": "left"},
]
PAGE_SIZES = (10, 20, 50)


def _row(run: RunSummary) -> dict[str, str]:
    return {"id": run.id, "name": run.display_name, "workflow": run.workflow,
            "state": run.state, "created": show_time(run.create_time),
            "duration": show_duration(run.start_time, run.end_time),
            "submitter": run.submitter, "color": STATE_COLORS.get(run.state, "grey")}


class RunsView:
    """Filters, the runs table and the pager; reloads on run state changes."""

    def __init__(self, conn: Connection, workflow: str) -> None:
        self.conn = conn
        with ui.row().classes("w-full items-end gap-4"):
            self.search = ui.input("Search this page", on_change=self.filter) \
                .props("clearable").classes("w-56").mark("runs-search")
            self.workflow = ui.input("Workflow", value=workflow, on_change=self.restart) \
                .props("clearable debounce=300").classes("w-48").mark("runs-workflow")
            self.states = ui.select(list(RUN_STATES), multiple=True, value=[], label="State",
                                    on_change=self.restart) \
                .props("use-chips clearable").classes("w-72").mark("runs-state")
            self.size = ui.select(list(PAGE_SIZES), value=20, label="Per page",
                                  on_change=self.restart).classes("w-28")
        self.table = ui.table(columns=COLUMNS, rows=[], row_key="id") \
            .classes("w-full cursor-pointer").props("flat bordered").mark("runs-table")
        self.table.add_slot("body-cell-state", """
            <q-td :props="props"><q-badge :color="props.row.color" :label="props.value"/></q-td>
        """)
        self.table.on("rowClick", lambda e: ui.navigate.to(f"/data/{quote(e.args[1]['id'])}"))
        self.pager = Pager("runs", self.load)
        self.runs: list[RunSummary] = []
        state.hub().events.subscribe(self.on_event)

    async def on_event(self, event: RunEventInfo) -> None:
        if event.kind == "state_changed":
            await self.load()

    async def restart(self) -> None:
        await self.pager.restart()

    async def load(self) -> None:
        try:
            page = await list_runs(self.conn, workflow=(self.workflow.value or "").strip(),
                                   states=self.states.value or [],
                                   page_size=int(self.size.value or 20),
                                   page_token=self.pager.token)
        except UiError as exc:
            ui.notify(exc.text, type="negative", multi_line=True)
            return
        self.runs = page.runs
        self.pager.loaded(page.next_page_token)
        self.filter()

    def filter(self) -> None:
        text = self.search.value or ""
        self.table.rows = [_row(r) for r in self.runs if r.matches(text)]
        self.table.update()


def create() -> None:
    """Register the runs list and the run detail pages."""
    @ui.page("/data")
    @session.login_required()
    async def data_page(conn: Connection, workflow: str = "") -> None:
        with theme.frame("Data"):
            await RunsView(conn, workflow).load()

    @ui.page("/data/{run_id}")
    @session.login_required()
    async def run_page(conn: Connection, run_id: str) -> None:
        with theme.frame("Run"):
            view = RunDetailView(conn, run_id, can_delete=conn.allows(Role.ADMIN))
            await view.load()

            async def on_event(event: RunEventInfo) -> None:
                if event.run_id == run_id and (
                        event.kind in ("iteration_finished", "trials_observed")
                        or (event.kind == "state_changed" and event.state in FINAL_STATES)):
                    await view.load()

            state.hub().events.subscribe(on_event)
