"""One campaign: summary, progress plot, best trials (or Pareto front), insights and every
trial; for a suggest-only campaign also "suggest next" and a result entry per pending trial.

`CampaignDetailView(conn, campaign_id, ...)`; `load()` (re)reads the campaign and redraws
when it changed. It follows `state.EventHub.campaign_changed` (the server's trial events,
whoever suggested or reported). Values typed into the result entries survive a redraw, so
live updates never wipe what someone is typing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from nicegui import ui

from ivorygrpc.v1 import campaign_pb2 as cp
from ivorygrpc_ui import state
from ivorygrpc_ui.client import campaigns as api
from ivorygrpc_ui.client.connection import Connection, UiError
from ivorygrpc_ui.client.values import (
    JsonValue,
    from_struct,
    from_value,
    show,
    show_time,
    time_of,
)
from ivorygrpc_ui.components.campaign_plot import campaign_plot
from ivorygrpc_ui.components.dialogs import confirmed_call

STATES = {cp.TRIAL_STATE_PENDING: "pending", cp.TRIAL_STATE_COMPLETED: "completed",
          cp.TRIAL_STATE_FAILED: "failed"}
STATE_COLORS = {"pending": "warning", "completed": "positive", "failed": "negative"}
SOURCES = {cp.TRIAL_SOURCE_OPTIMIZER: "optimizer", cp.TRIAL_SOURCE_EXISTING: "existing data"}
TRIAL_COLUMNS = [
    {"name": "number", "label": "#", "field": "number", "align": "right"},
    {"name": "state", "label": "State", "field": "state", "align": "left"},
    {"name": "parameters", "label": "Parameters", "field": "parameters", "align": "left"},
    {"name": "objectives", "label": "Objectives", "field": "objectives", "align": "left"},
    {"name": "source", "label": "Source", "field": "source", "align": "left"},
    {"name": "note", "label": "Note", "field": "note", "align": "left"},
]
BEST_COLUMNS = ("number", "parameters", "objectives")


def _pairs(values: dict[str, JsonValue]) -> str:
    return ", ".join(f"{name}={_number(values[name])}" for name in sorted(values))


def _number(value: JsonValue) -> str:
    return f"{value:.4g}" if isinstance(value, float) else show(value)


def trial_row(trial: cp.Trial) -> dict[str, object]:
    """A trial as a table row."""
    state_text = STATES.get(trial.state, "?")
    notes = [trial.error] if trial.error else []
    if not trial.feasible and trial.state == cp.TRIAL_STATE_COMPLETED:
        notes.append("infeasible")
    if trial.iteration:
        notes.append(f"iteration {trial.iteration}, sample {trial.sample}")
    return {"number": trial.number, "state": state_text,
            "color": STATE_COLORS.get(state_text, "grey"),
            "parameters": _pairs(from_struct(trial.parameters)),
            "objectives": _pairs(dict(trial.objective_values)),
            "source": SOURCES.get(trial.source, ""), "note": "; ".join(notes)}


def trials_table(trials: list[cp.Trial], marker: str,
                 columns: tuple[str, ...] = ()) -> ui.table:
    """A table of trials with coloured state badges (only `columns` when given)."""
    shown = [c for c in TRIAL_COLUMNS if not columns or c["name"] in columns]
    table = ui.table(columns=shown, rows=[trial_row(t) for t in trials],
                     row_key="number").classes("w-full").props("flat dense").mark(marker)
    table.add_slot("body-cell-state", """
        <q-td :props="props"><q-badge :color="props.row.color" :label="props.value"/></q-td>
    """)
    return table


def spec_lines(spec: cp.CampaignSpec) -> list[str]:
    """The spec for people: one line per parameter, then the objectives."""
    lines = []
    for parameter in spec.parameters:
        kind = parameter.WhichOneof("kind")
        if kind == "range":
            r = parameter.range
            extra = (f" step {r.step:g}" if r.HasField("step") else "") + \
                (" log" if r.log_scale else "") + \
                (" whole numbers" if r.number_type == cp.NUMBER_TYPE_INT else "")
            lines.append(f"{parameter.name}: {r.low:g} to {r.high:g}{extra}")
        elif kind == "choice":
            values = ", ".join(show(from_value(v)) for v in parameter.choice.values)
            lines.append(f"{parameter.name}: one of {values}")
        else:
            lines.append(f"{parameter.name}: fixed {show(from_value(parameter.fixed.value))}")
    goals = []
    for objective in spec.objectives:
        goal = "maximize" if objective.direction == cp.OBJECTIVE_DIRECTION_MAXIMIZE \
            else "minimize"
        goals.append(f"{goal} {objective.name}" + (
            f" (stop at {objective.threshold:g})" if objective.HasField("threshold") else ""))
    lines.append("Objectives: " + ", ".join(goals))
    return lines


@dataclass
class _Entry:
    """What someone typed for one pending trial."""

    values: dict[str, float | None] = field(default_factory=dict)
    failed: bool = False
    reason: str = ""


class CampaignDetailView:
    """The detail of `campaign_id`; operators suggest and report, admins delete."""

    def __init__(self, conn: Connection, campaign_id: str, *, can_report: bool,
                 can_delete: bool, batch: int = 1) -> None:
        self.conn = conn
        self.campaign_id = campaign_id
        self.can_report = can_report
        self.can_delete = can_delete
        self.batch = max(1, batch)
        self.entries: dict[int, _Entry] = {}
        self.shown: cp.Campaign | None = None
        self.body = ui.column().classes("w-full gap-4").mark("campaign-detail")
        state.hub().campaign_changed.subscribe(self._changed)

    async def _changed(self, campaign_id: str) -> None:
        if campaign_id == self.campaign_id:
            await self.load()

    async def load(self) -> None:
        try:
            campaign = await api.get_campaign(self.conn, self.campaign_id)
        except UiError as exc:
            self.shown = None
            self.body.clear()
            with self.body:
                ui.label(exc.text).classes("text-negative").mark("page-error")
            return
        if campaign == self.shown:  # our own change, announced again by its event
            return
        self.shown = campaign
        self.body.clear()
        with self.body:
            self._summary(campaign)
            pending = [t for t in campaign.trials if t.state == cp.TRIAL_STATE_PENDING]
            if self.can_report and not campaign.run_id:
                self._ask(campaign, pending)
            with ui.row().classes("w-full gap-4 items-stretch no-wrap"):
                with ui.card().classes("grow basis-0 min-w-0"):
                    ui.label("Progress").classes("text-lg font-semibold")
                    campaign_plot(campaign)
                with ui.card().classes("grow basis-0 min-w-0"):
                    self._best(campaign)
            with ui.card().classes("w-full"):
                ui.label(f"Trials ({len(campaign.trials)})").classes("text-lg font-semibold")
                trials_table(list(campaign.trials), "campaign-trials")

    def _summary(self, campaign: cp.Campaign) -> None:
        with ui.card().classes("w-full"), ui.row().classes("w-full items-start gap-8"):
            with ui.column().classes("gap-1"):
                with ui.row().classes("items-center gap-3"):
                    ui.label(campaign.display_name).classes("text-xl font-semibold") \
                        .mark("campaign-name")
                    if campaign.goal_reached:
                        ui.badge("goal reached", color="positive").mark("campaign-goal")
                if campaign.run_id:
                    ui.link(f"Run {campaign.run_id} of {campaign.workflow}",
                            f"/data/{quote(campaign.run_id)}").classes("text-sm") \
                        .mark("campaign-run-link")
                else:
                    ui.label("Suggest-only: people run the experiments and report results") \
                        .classes("text-sm text-grey-7")
                ui.label(f"{campaign.spec.optimizer or 'default optimizer'} · by "
                         f"{campaign.creator} · created "
                         f"{show_time(time_of(campaign, 'create_time'))} · updated "
                         f"{show_time(time_of(campaign, 'update_time'))}") \
                    .classes("text-sm text-grey-7")
            with ui.column().classes("gap-0"):
                for line in spec_lines(campaign.spec):
                    ui.label(line).classes("text-sm font-mono")
            ui.space()
            if self.can_delete and not campaign.run_id:
                ui.button(icon="delete", on_click=self.delete) \
                    .props("flat color=negative").mark("delete-campaign")

    def _ask(self, campaign: cp.Campaign, pending: list[cp.Trial]) -> None:
        with ui.card().classes("w-full"):
            with ui.row().classes("w-full items-center gap-3"):
                ui.label("Next experiments").classes("text-lg font-semibold")
                ui.space()
                count = ui.number("How many", value=self.batch, min=1, max=100, precision=0) \
                    .classes("w-28").mark("suggest-count")
                ui.button("Suggest", icon="auto_awesome",
                          on_click=lambda: self.suggest(int(count.value or 1))) \
                    .props("no-caps").mark("suggest-trials")
            if not pending:
                ui.label("No pending trials: ask the optimizer for the next ones.") \
                    .classes("text-sm text-grey-7")
                return
            objectives = [o.name for o in campaign.spec.objectives]
            for trial in pending:
                self._entry_row(trial, objectives)
            self.problems = ui.label().classes("text-sm text-negative whitespace-pre-line") \
                .mark("report-problems")
            ui.button("Report results", icon="send", on_click=lambda: self.report(objectives)) \
                .props("no-caps").mark("report-trials")

    def _entry_row(self, trial: cp.Trial, objectives: list[str]) -> None:
        entry = self.entries.setdefault(trial.number, _Entry())
        with ui.row().classes("w-full items-end gap-3 no-wrap"):
            with ui.column().classes("gap-0 w-96"):
                ui.label(f"Trial {trial.number}").classes("font-medium")
                ui.label(_pairs(from_struct(trial.parameters))).classes("text-sm font-mono") \
                    .mark(f"pending-{trial.number}")
            for name in objectives:
                box = ui.number(name, value=entry.values.get(name)).classes("w-32") \
                    .mark(f"result-{trial.number}-{name}")
                box.on_value_change(lambda e, n=name: entry.values.__setitem__(n, e.value))
            failed = ui.checkbox("failed", value=entry.failed).mark(f"failed-{trial.number}")
            failed.on_value_change(lambda e: setattr(entry, "failed", bool(e.value)))
            reason = ui.input("Why it failed", value=entry.reason).classes("w-64") \
                .mark(f"reason-{trial.number}")
            reason.on_value_change(lambda e: setattr(entry, "reason", e.value or ""))

    async def suggest(self, count: int) -> None:
        try:
            trials = await api.suggest_trials(self.conn, self.campaign_id, count)
        except UiError as exc:
            ui.notify(exc.text, type="negative", multi_line=True)
            return
        ui.notify(f"{len(trials)} new trial(s)", type="positive")
        await self.load()

    def _reports(self, objectives: list[str]) -> tuple[list[api.TrialReport], list[str]]:
        reports: list[api.TrialReport] = []
        problems: list[str] = []
        for number, entry in sorted(self.entries.items()):
            given = {n: v for n, v in entry.values.items() if n in objectives and v is not None}
            if entry.failed:
                reports.append(api.TrialReport(number, failed=True,
                                               error=entry.reason.strip() or "failed"))
            elif len(given) == len(objectives):
                reports.append(api.TrialReport(number, outputs=dict(given)))
            elif given:
                missing = ", ".join(n for n in objectives if n not in given)
                problems.append(f"Trial {number}: give {missing} or mark it failed")
        return reports, problems

    async def report(self, objectives: list[str]) -> None:
        reports, problems = self._reports(objectives)
        if not reports and not problems:
            problems.append("Enter the results of at least one trial.")
        self.problems.text = "\n".join(problems)
        if problems:
            return
        try:
            await api.report_trials(self.conn, self.campaign_id, reports)
        except UiError as exc:
            self.problems.text = exc.text
            return
        for report in reports:
            self.entries.pop(report.number, None)
        ui.notify(f"Reported {len(reports)} trial(s)", type="positive")
        await self.load()

    def _best(self, campaign: cp.Campaign) -> None:
        several = len(campaign.spec.objectives) > 1
        ui.label("Pareto front" if several else "Best so far").classes("text-lg font-semibold")
        if not campaign.best_trials:
            ui.label("No completed trial yet.").classes("text-grey-7")
        else:
            trials_table(list(campaign.best_trials), "campaign-best", BEST_COLUMNS)
        if campaign.insights:
            ui.label("Insights").classes("text-md font-semibold mt-2")
        for insight in campaign.insights:
            with ui.column().classes("gap-1").mark(f"insight-{insight.name}"):
                about = f" ({insight.objective})" if insight.objective else ""
                ui.label(f"{insight.description or insight.name}{about}") \
                    .classes("text-sm text-grey-8")
                with ui.row().classes("gap-1"):
                    for key, value in sorted(insight.values.items(), key=lambda kv: -kv[1]):
                        ui.chip(f"{key} {value:.2f}").props("dense outline")

    async def delete(self) -> None:
        if await confirmed_call("Delete this campaign and its trials?",
                                lambda: api.delete_campaign(self.conn, self.campaign_id),
                                "Campaign deleted"):
            ui.navigate.to("/campaigns")
