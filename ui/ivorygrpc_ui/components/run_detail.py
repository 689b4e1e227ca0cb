"""One run's record: summary, plot, CSV downloads, delete, and phases with step attempts;
for a campaign run also the campaign's progress (best so far or Pareto front) and a link
to it."""

from __future__ import annotations

from urllib.parse import quote

from nicegui import ui

from ivorygrpc_ui.client.campaigns import campaign_of_run
from ivorygrpc_ui.client.connection import Connection, UiError
from ivorygrpc_ui.client.events import FINAL_STATES
from ivorygrpc_ui.client.records import IterationDetail, RunDetail, delete_run, export_csv, get_run
from ivorygrpc_ui.client.values import JsonValue, show, show_duration, show_time
from ivorygrpc_ui.components.campaign_plot import campaign_plot
from ivorygrpc_ui.components.dialogs import confirmed_call
from ivorygrpc_ui.components.run_plot import run_plot

STATE_COLORS = {"queued": "grey", "running": "info", "paused": "warning",
                "succeeded": "positive", "failed": "negative", "stopped": "secondary",
                "cancelled": "grey", "interrupted": "negative"}
STEP_COLUMNS = [
    {"name": "step", "label": "Step", "field": "step", "align": "left"},
    {"name": "sample", "label": "Sample", "field": "sample", "align": "right"},
    {"name": "attempt", "label": "Attempt", "field": "attempt", "align": "right"},
    {"name": "arguments", "label": "Arguments", "field": "arguments", "align": "left"},
    {"name": "output", "label": "Output / error", "field": "output", "align": "left"},
    {"name": "duration", "label": "Duration", "field": "duration", "align": "right"},
]


def _pairs(values: dict[str, JsonValue]) -> str:
    """``a=1, b=2`` by name (protobuf Structs keep no order)."""
    return ", ".join(f"{name}={show(values[name])}" for name in sorted(values))


def _steps_rows(iteration: IterationDetail) -> list[dict[str, object]]:
    return [{"key": f"{i}", "step": s.title or s.kind,
             "sample": "all" if s.sample < 0 else s.sample, "attempt": s.attempt,
             "arguments": _pairs(s.arguments),
             "output": (f"ERROR {s.error}" + (" (skipped)" if s.skipped else "")) if s.error
             else show(s.output) if s.output is not None else "",
             "duration": show_duration(s.start_time, s.end_time)}
            for i, s in enumerate(iteration.steps)]


class RunDetailView:
    """The detail of `run_id`; `load()` (re)reads the record and redraws."""

    def __init__(self, conn: Connection, run_id: str, *, can_delete: bool) -> None:
        self.conn = conn
        self.run_id = run_id
        self.can_delete = can_delete
        self.body = ui.column().classes("w-full gap-4").mark("run-detail")

    async def load(self) -> None:
        try:
            detail = await get_run(self.conn, self.run_id)
            campaign = await campaign_of_run(self.conn, self.run_id) \
                if detail.run.mode == "campaign" else None
        except UiError as exc:
            self.body.clear()
            with self.body:
                ui.label(exc.text).classes("text-negative").mark("page-error")
            return
        self.body.clear()
        with self.body:
            self._summary(detail)
            with ui.card().classes("w-full"):
                ui.label("Outputs per iteration").classes("text-lg font-semibold")
                run_plot(detail.main_iterations())
            if campaign is not None:
                with ui.card().classes("w-full").mark("run-campaign"):
                    with ui.row().classes("w-full items-center"):
                        ui.label("Campaign progress").classes("text-lg font-semibold")
                        ui.space()
                        ui.link(f"Open campaign {campaign.display_name}",
                                f"/campaigns/{quote(campaign.id)}").mark("run-campaign-link")
                    campaign_plot(campaign)
            self._phases(detail)

    def _summary(self, detail: RunDetail) -> None:
        run = detail.run
        with ui.card().classes("w-full"), ui.row().classes("w-full items-start gap-8"):
            with ui.column().classes("gap-1"):
                with ui.row().classes("items-center gap-3"):
                    ui.label(run.display_name).classes("text-xl font-semibold")
                    ui.badge(run.state, color=STATE_COLORS.get(run.state, "grey")) \
                        .classes("text-sm").mark("run-state")
                ui.link(f"{run.workflow} v{run.workflow_version}",
                        f"/design?workflow={quote(run.workflow)}").classes("text-sm")
                ui.label(f"id {run.id} · by {run.submitter} · {run.mode} · "
                         f"batch {run.batch_size}").classes("text-sm text-grey-7")
                ui.label(f"submitted {show_time(run.create_time)} · started "
                         f"{show_time(run.start_time)} · ended {show_time(run.end_time)} · "
                         f"{show_duration(run.start_time, run.end_time)}") \
                    .classes("text-sm text-grey-7")
                if run.error:
                    ui.label(run.error).classes("text-negative").mark("run-error")
            ui.space()
            with ui.row().classes("gap-2"):
                ui.button("Results CSV", icon="download",
                          on_click=lambda: self.download(steps=False)) \
                    .props("outline").mark("download-results")
                ui.button("Steps CSV", icon="download",
                          on_click=lambda: self.download(steps=True)) \
                    .props("outline").mark("download-steps")
                if self.can_delete and run.state in FINAL_STATES:
                    ui.button(icon="delete", on_click=self.delete) \
                        .props("flat color=negative").mark("delete-run")

    def _phases(self, detail: RunDetail) -> None:
        if not detail.phases:
            ui.label("Nothing recorded yet.").classes("text-grey-7")
        for phase in detail.phases:
            for iteration in phase.iterations:
                title = phase.phase if phase.phase != "main" else \
                    f"main · iteration {iteration.index}"
                with ui.expansion(f"{title}  ({len(iteration.steps)} steps, "
                                  f"{show_duration(iteration.start_time, iteration.end_time)})",
                                  value=phase.phase == "main" and iteration.index == 1) \
                        .classes("w-full bg-white rounded shadow-sm") \
                        .mark(f"phase-{phase.phase}-{iteration.index}"):
                    for sample, parameters in enumerate(iteration.parameters):
                        if parameters:
                            ui.label(f"sample {sample} parameters: {_pairs(parameters)}") \
                                .classes("text-sm text-grey-8")
                    ui.table(columns=STEP_COLUMNS, rows=_steps_rows(iteration), row_key="key") \
                        .classes("w-full").props("flat dense") \
                        .mark(f"steps-{phase.phase}-{iteration.index}")

    async def download(self, steps: bool) -> None:
        try:
            filename, content = await export_csv(self.conn, self.run_id, steps=steps)
        except UiError as exc:
            ui.notify(exc.text, type="negative", multi_line=True)
            return
        ui.download.content(content, filename, "text/csv")

    async def delete(self) -> None:
        if await confirmed_call("Delete this run and its record?",
                                lambda: delete_run(self.conn, self.run_id), "Run deleted"):
            ui.navigate.to("/data")
