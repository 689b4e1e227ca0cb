"""``/campaigns``: optimizer campaigns with pages; ``/campaigns/new``: a suggest-only
campaign from the optimizer schema (optionally prefilled from a workflow's parameter
space); ``/campaigns/{campaign_id}``: one campaign (suggest, report, trials, best so far,
plots, insights).

The list and the detail follow `state.EventHub.campaign_changed` (the server's
``trials_suggested`` / ``trials_observed`` events), so they stay live without polling.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from nicegui import events, ui

from ivorygrpc.v1 import campaign_pb2 as cp
from ivorygrpc_ui import session, state, theme
from ivorygrpc_ui.client import campaigns as api
from ivorygrpc_ui.client.connection import Connection, Role, UiError
from ivorygrpc_ui.client.library import list_workflows
from ivorygrpc_ui.client.values import show_time, time_of
from ivorygrpc_ui.components.campaign_detail import CampaignDetailView
from ivorygrpc_ui.components.campaign_form import CampaignForm, FormProblem
from ivorygrpc_ui.components.pager import Pager

COLUMNS = [
    {"name": "name", "label": "Campaign", "field": "name", "align": "left"},
    {"name": "kind", "label": "Driven by", "field": "kind", "align": "left"},
    {"name": "objectives", "label": "Objectives", "field": "objectives", "align": "left"},
    {"name": "optimizer", "label": "Optimizer", "field": "optimizer", "align": "left"},
    {"name": "trials", "label": "Trials", "field": "trials", "align": "right"},
    {"name": "created", "label": "Created", "field": "created", "align": "left"},
    {"name": "creator", "label": "By", "field": "creator", "align": "left"},
]
PAGE_SIZE = 20


def _row(campaign: cp.Campaign) -> dict[str, object]:
    goals = ", ".join(
        ("max " if o.direction == cp.OBJECTIVE_DIRECTION_MAXIMIZE else "min ") + o.name
        for o in campaign.spec.objectives)
    return {"id": campaign.id, "name": campaign.display_name,
            "kind": f"run of {campaign.workflow}" if campaign.run_id else "suggest-only",
            "objectives": goals + (" ✓" if campaign.goal_reached else ""),
            "optimizer": campaign.spec.optimizer or "default", "trials": campaign.trial_count,
            "created": show_time(time_of(campaign, "create_time")),
            "creator": campaign.creator}


class CampaignsView:
    """The campaigns table and pager; reloads when a campaign changes."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.table = ui.table(columns=COLUMNS, rows=[], row_key="id") \
            .classes("w-full cursor-pointer").props("flat bordered").mark("campaigns-table")
        self.table.on("rowClick",
                      lambda e: ui.navigate.to(f"/campaigns/{quote(e.args[1]['id'])}"))
        self.pager = Pager("campaigns", self.load)
        state.hub().campaign_changed.subscribe(self.load)

    async def load(self) -> None:
        try:
            page = await api.list_campaigns(self.conn, page_size=PAGE_SIZE,
                                            page_token=self.pager.token)
        except UiError as exc:
            ui.notify(exc.text, type="negative", multi_line=True)
            return
        self.pager.loaded(page.next_page_token)
        self.table.rows = [_row(c) for c in page.campaigns]
        self.table.update()


class NewCampaign:
    """Name, optional workflow to prefill from, the campaign form, batch size, existing
    data (CSV) and Create."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.request_id = str(uuid.uuid4())  # a double click creates one campaign
        self.form = CampaignForm(conn, free_names=True, budget=False)

    async def build(self) -> None:
        try:
            workflows = (await list_workflows(self.conn, page_size=200)).workflows
        except UiError as exc:
            ui.notify(exc.text, type="negative", multi_line=True)
            workflows = []
        with ui.card().classes("w-full max-w-4xl gap-2"):
            with ui.row().classes("w-full gap-4 items-end"):
                self.name = ui.input("Campaign name", placeholder="campaign") \
                    .classes("w-64").mark("campaign-name-input")
                ui.select({w.name: w.display_name for w in workflows}, label="Prefill from "
                          "workflow (optional)", with_input=True, on_change=self._prefill) \
                    .classes("w-72").props("clearable").mark("campaign-workflow")
            ui.label("Parameters and objectives are free names; a workflow fills in its "
                     "#parameters and outputs.").classes("text-xs text-grey-7")
            await self.form.build()
            with ui.row().classes("w-full gap-4 items-end"):
                self.batch = ui.number("Batch size (suggestions per request)", value=1, min=1,
                                       max=100, precision=0).classes("w-64") \
                    .mark("campaign-batch")
            with ui.expansion("Existing data (CSV: parameters and objectives as columns)") \
                    .classes("w-full"):
                self.existing = ui.textarea(placeholder="x,y,f\n0.5,1.0,3.2") \
                    .classes("w-full font-mono").mark("campaign-existing")
            self.problems = ui.label().classes("text-sm text-negative whitespace-pre-line") \
                .mark("campaign-problems")
            ui.button("Create campaign", icon="add", on_click=self.create).props("no-caps") \
                .mark("create-campaign")

    async def _prefill(self, event: events.ValueChangeEventArguments[Any]) -> None:
        if event.value:
            await self.form.use_workflow(str(event.value))

    async def create(self) -> None:
        self.problems.text = ""
        try:
            spec = self.form.spec()
        except FormProblem as exc:
            self.problems.text = str(exc)
            return
        try:
            campaign = await api.create_campaign(
                self.conn, (self.name.value or "").strip(), spec,
                existing_csv=self.existing.value or "", request_id=self.request_id)
        except UiError as exc:
            self.problems.text = exc.text
            return
        ui.notify(f"Created {campaign.display_name}", type="positive")
        ui.navigate.to(f"/campaigns/{quote(campaign.id)}?batch={int(self.batch.value or 1)}")


def create() -> None:
    """Register the campaigns list, the new-campaign form and the campaign detail."""
    @ui.page("/campaigns")
    @session.login_required()
    async def campaigns_page(conn: Connection) -> None:
        with theme.frame("Campaigns"):
            if conn.allows(Role.OPERATOR):
                ui.button("New campaign", icon="add",
                          on_click=lambda: ui.navigate.to("/campaigns/new")) \
                    .props("no-caps").mark("new-campaign")
            await CampaignsView(conn).load()

    @ui.page("/campaigns/new")
    @session.login_required(Role.OPERATOR)
    async def new_campaign_page(conn: Connection) -> None:
        with theme.frame("New campaign"):
            await NewCampaign(conn).build()

    @ui.page("/campaigns/{campaign_id}")
    @session.login_required()
    async def campaign_page(conn: Connection, campaign_id: str, batch: int = 1) -> None:
        with theme.frame("Campaign"):
            await CampaignDetailView(conn, campaign_id, can_report=conn.allows(Role.OPERATOR),
                                     can_delete=conn.allows(Role.ADMIN), batch=batch).load()
