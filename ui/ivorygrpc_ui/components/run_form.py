"""The Execute page's "New run" form: pick a workflow, choose how the main phase repeats
(the same parameters N times, a table / CSV file of one row per sample, or an optimizer
campaign), batch size and stop options, then queue it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from nicegui import events, ui

from ivorygrpc.v1 import design_service_pb2 as design_pb
from ivorygrpc.v1 import workflow_pb2 as wf
from ivorygrpc_ui.client import campaigns as campaign_api
from ivorygrpc_ui.client import design as design_api
from ivorygrpc_ui.client import execute as api
from ivorygrpc_ui.client.connection import Connection, UiError
from ivorygrpc_ui.client.control import ParameterInfo, type_spec
from ivorygrpc_ui.client.values import JsonValue
from ivorygrpc_ui.components.campaign_form import CampaignForm, FormProblem
from ivorygrpc_ui.components.parameter_form import ParameterForm
from ivorygrpc_ui.components.parameter_table import ParameterTable


class RunForm:
    """The form; `build()` draws it in the current container."""

    def __init__(self, conn: Connection, workflows: Sequence[wf.Workflow], selected: str) -> None:
        self.conn = conn
        self.workflows = {w.name: w for w in workflows}
        self.selected = selected if selected in self.workflows else ""
        self.parameters: list[design_pb.RunParameter] = []
        self.outputs: list[str] = []
        self.form: ParameterForm | None = None
        self.table: ParameterTable | None = None
        self.campaign: CampaignForm | None = None
        self.mode = "repeat"
        self.body = ui.refreshable(self._body)

    async def build(self) -> None:
        options = {name: (w.display_name or name) + ("" if not w.display_name else f" ({name})")
                   for name, w in sorted(self.workflows.items())}
        ui.select(options, value=self.selected or None, label="Workflow", with_input=True,
                  on_change=self._pick).classes("w-full").mark("run-workflow")
        await self._load()
        await self.body()

    async def _pick(self, event: events.ValueChangeEventArguments[Any]) -> None:
        self.selected = event.value or ""
        await self._load()
        await self.body.refresh()

    async def _load(self) -> None:
        self.parameters, self.outputs = [], []
        if not self.selected:
            return
        try:
            reply = await design_api.run_parameters(self.conn, self.selected)
        except UiError as exc:
            ui.notify(exc.text, type="negative")
            return
        self.parameters = list(reply.parameters)
        self.outputs = [output.name for output in reply.outputs]
        self.mode = "table" if self.parameters else "repeat"

    async def _body(self) -> None:
        if not self.selected:
            ui.label("Choose a workflow to run.").classes("text-sm text-slate-500")
            return
        self.name = ui.input("Run name", placeholder=self.selected).classes("w-full") \
            .mark("run-name")
        if self.parameters:
            names = ", ".join(f"#{p.name}" for p in self.parameters)
            ui.label(f"Run parameters: {names}").classes("text-sm text-slate-600")
        if self.outputs:
            ui.label(f"Outputs: {', '.join(self.outputs)}").classes("text-sm text-slate-600")
        tabs = ui.tabs(value=self.mode,  # type: ignore[arg-type]
                       on_change=lambda e: setattr(self, "mode", e.value))
        with tabs.props("dense no-caps align=left").classes("w-full"):
            ui.tab("repeat", "Repeat").mark("mode-repeat")
            ui.tab("table", "Parameter table").mark("mode-table")
            ui.tab("campaign", "Campaign").mark("mode-campaign")
        with ui.tab_panels(tabs, value=self.mode).classes("w-full"):
            with ui.tab_panel("repeat").classes("p-0 gap-2"):
                self.count = ui.number("Iterations", value=1, min=1, precision=0) \
                    .classes("w-40").mark("repeat-count")
                self.form = ParameterForm(
                    [ParameterInfo(name=p.name, type=type_spec(p.type)) for p in self.parameters],
                    mark_prefix="run-param-") if self.parameters else None
            with ui.tab_panel("table").classes("p-0 gap-2"):
                self._table_panel()
            with ui.tab_panel("campaign").classes("p-0 gap-1"):
                self.campaign = None
                if self.parameters:
                    self.campaign = CampaignForm(self.conn, self.selected)
                    await self.campaign.build()
                else:
                    ui.label("A campaign needs #parameters to search over.") \
                        .classes("text-sm text-slate-600").mark("campaign-note")
        with ui.row().classes("w-full items-center gap-4"):
            self.batch = ui.number("Batch size", value=1, min=1, precision=0) \
                .classes("w-28").mark("batch-size")
            self.cleanup = ui.checkbox("Clean up after a stop", value=True).mark("cleanup-on-stop")
            self.continue_queue = ui.checkbox("Continue the queue after a stop", value=False) \
                .mark("continue-queue")
        self.problems = ui.label().classes("text-sm text-red-600 whitespace-pre-line") \
            .mark("run-problems")
        ui.button("Queue run", icon="play_arrow", on_click=self.submit).props("no-caps") \
            .mark("queue-run")

    def _table_panel(self) -> None:
        if not self.parameters:
            ui.label("This workflow has no #parameters; use Repeat.").classes("text-sm")
            self.table = None
            return
        columns = [(p.name, api.type_name(p.type)) for p in self.parameters]
        self.table = ParameterTable(columns, [api.template_type(p.type) for p in self.parameters])
        template = api.csv_template([(p.name, p.type) for p in self.parameters]).encode()
        table = self.table

        async def uploaded(event: events.UploadEventArguments) -> None:
            try:
                table.fill((await event.file.read()).decode("utf-8-sig"))
            except (ValueError, UnicodeDecodeError) as exc:
                ui.notify(f"Cannot read {event.file.name}: {exc}", type="negative")

        with ui.row().classes("items-center gap-2"):
            ui.button("CSV template", icon="download",
                      on_click=lambda: ui.download.content(
                          template, f"{self.selected}_parameters.csv", "text/csv")) \
                .props("flat dense no-caps").mark("csv-template")
            ui.upload(label="Fill from CSV", auto_upload=True, on_upload=uploaded) \
                .props('accept=".csv" flat dense color=primary').classes("ig-upload") \
                .mark("csv-upload")

    def request(self) -> api.RunRequest | None:
        """The run to submit, or None (with the problems shown) when the form is wrong."""
        if self.mode == "campaign":
            if self.campaign is None:
                self.problems.text = "This workflow has no #parameters to optimize."
                return None
            try:
                spec = self.campaign.spec()
            except FormProblem as exc:
                self.problems.text = str(exc)
                return None
            mode = campaign_api.campaign_mode(spec, int(self.campaign.iterations or 1))
        elif self.mode == "table" and self.table is not None:
            if not self.table.rows:
                self.problems.text = "Add at least one row."
                return None
            if blanks := self.table.blanks():
                self.problems.text = "\n".join(blanks)
                return None
            mode = api.csv_mode(self.table.to_csv())
        else:
            values: dict[str, JsonValue] = {}
            if self.form is not None:
                values, problems = self.form.read()
                if problems:
                    self.problems.text = "\n".join(problems)
                    return None
            mode = api.repeat_mode(int(self.count.value or 1), values)
        return api.RunRequest(workflow=self.selected, mode=mode,
                              display_name=(self.name.value or "").strip(),
                              batch_size=int(self.batch.value or 1),
                              cleanup_on_stop=bool(self.cleanup.value),
                              continue_queue_on_stop=bool(self.continue_queue.value),
                              request_id=str(uuid.uuid4()))

    async def submit(self) -> None:
        self.problems.text = ""
        request = self.request()
        if request is None:
            return
        try:
            run = await api.create_run(self.conn, request)
        except UiError as exc:
            self.problems.text = exc.text
            return
        ui.notify(f"Queued {run.display_name or run.workflow}", type="positive")
