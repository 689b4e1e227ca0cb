"""Campaign runs: checked at submission, then the optimizer feeds the main phase.

At submission `CampaignRuns.plan` checks the workflow, the spec against its
run parameters and outputs (defaults for parameters left out), the optimizer's
own rules, the budget and the existing data (missing columns by name), all in
one InvalidArguments. The run's campaign is created with the run; at its start
`source` gives the runner a `CampaignIterations`: each iteration suggests
`batch_size` trials, runs them as samples, and reports each sample's
variables; a sample without a number for every objective is a failed trial.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ivorygrpc.deck.jsonable import to_jsonable
from ivorygrpc.deck.model import DeckSpec
from ivorygrpc.errors import AlreadyExists, FieldViolation, InvalidArguments
from ivorygrpc.execution.campaign import CampaignBook, Result, existing_trials
from ivorygrpc.execution.campaign_plan import complete_spec, to_run_parameters
from ivorygrpc.execution.plan import MAX_BATCH_SIZE, RunPlan, WorkflowSource, pin_workflow
from ivorygrpc.execution.values import Sample
from ivorygrpc.optimize.existing import ExistingData, existing_rows
from ivorygrpc.optimize.spec import (
    CampaignSpec,
    check_spec,
    objective_values,
)
from ivorygrpc.store import Store
from ivorygrpc.store._common import utc_now
from ivorygrpc.store.campaigns import CampaignRecord, TrialRecord
from ivorygrpc.store.records import AppendEvent, RunRecord
from ivorygrpc.workflow.validate import WorkflowLookup

MAX_ITERATIONS = 10_000
MAX_SAMPLES = 100_000
PREFIX = "mode.campaign"


@dataclass(frozen=True)
class CampaignMode:
    """A campaign run's mode: spec, budget and existing data (`campaign_id` is assigned)."""

    spec: CampaignSpec
    iterations: int
    existing: ExistingData = field(default_factory=ExistingData)
    campaign_id: str = ""

    def to_json(self) -> dict[str, Any]:
        """The `RunMode` JSON form."""
        return {"campaign": {"spec": self.spec.to_json(), "iterations": str(self.iterations),
                             "existing_data": {"rows": self.existing.rows,
                                               "csv_text": self.existing.csv_text,
                                               "run_ids": self.existing.run_ids},
                             "campaign_id": self.campaign_id}}


class CampaignRuns:
    """Plans campaign runs, creates their campaigns and drives their main phase."""

    def __init__(self, book: CampaignBook, store: Store, deck: DeckSpec) -> None:
        self.book = book
        self.store = store
        self.deck = deck

    def plan(self, name: str, body: Mapping[str, Any], mode: CampaignMode, batch_size: int,
             lookup: WorkflowLookup, source: WorkflowSource) -> tuple[RunPlan, CampaignMode,
                                                                       dict[str, Any]]:
        """Check a submission (raises InvalidArguments listing every problem); the plan,
        the mode with its campaign id, and the campaign part of the stored plan."""
        plan, problems = pin_workflow(name, body, self.deck, lookup, source=source)
        if isinstance(batch_size, bool) or not 1 <= batch_size <= MAX_BATCH_SIZE:
            problems.append(FieldViolation("batch_size", f"must be 1 to {MAX_BATCH_SIZE}, got "
                                                         f"{batch_size!r}"))
        if not 1 <= mode.iterations <= MAX_ITERATIONS:
            problems.append(FieldViolation(f"{PREFIX}.iterations", (
                f"must be 1 to {MAX_ITERATIONS}, got {mode.iterations}")))
        elif mode.iterations * max(batch_size, 1) > MAX_SAMPLES:
            problems.append(FieldViolation(f"{PREFIX}.iterations", (
                f"{mode.iterations} iterations of {batch_size} samples exceed the limit of "
                f"{MAX_SAMPLES} samples")))
        spec, found = complete_spec(mode.spec, body, self.deck)
        problems += found
        problems += check_spec(spec, f"{PREFIX}.spec")
        try:
            adapter = self.book.registry.get(spec.optimizer, f"{PREFIX}.spec.optimizer")
        except InvalidArguments as exc:
            problems += exc.violations
        else:
            problems += [v if v.field == "batch_size" else replace(v, field=f"{PREFIX}.{v.field}")
                         for v in adapter.check(spec, max(batch_size, 1))]
        samples = self._run_samples(name, mode.existing.run_ids, problems)
        if problems:
            raise InvalidArguments(problems)
        rows = existing_rows(spec, mode.existing, samples, f"{PREFIX}.existing_data")
        mode = replace(mode, spec=spec, campaign_id=uuid.uuid4().hex)
        return plan, mode, {"id": mode.campaign_id, "spec": spec.to_json(),
                            "iterations": mode.iterations,
                            "existing": [[p, o] for p, o in rows]}

    def _run_samples(self, workflow: str, run_ids: Sequence[str],
                     problems: list[FieldViolation]) -> dict[int, list[dict[str, Any]]]:
        """Main-phase samples (parameters and outputs) of earlier runs of the workflow."""
        found: dict[int, list[dict[str, Any]]] = {}
        for index, run_id in enumerate(run_ids):
            where = f"{PREFIX}.existing_data.run_ids[{index}]"
            run = self.store.runs.get(run_id) if run_id else None
            if run is None or run.workflow != workflow:
                problems.append(FieldViolation(where, f"no run {run_id!r} of workflow "
                                                      f"{workflow!r}"))
                continue
            samples: list[dict[str, Any]] = []
            for event in self.store.runs.events_of(run_id, ("iteration_finished",)):
                if event.payload.get("phase") == "RUN_PHASE_MAIN":
                    samples.extend(dict(o) for o in event.payload.get("outputs") or [])
            found[index] = samples
        return found

    async def created(self, run: RunRecord, campaign: Mapping[str, Any]) -> CampaignRecord:
        """The run's campaign, created with its existing trials if it does not exist yet."""
        existing = await self.book.get_or_none(str(campaign["id"]))
        if existing is not None:
            return existing
        spec = CampaignSpec.from_json(campaign["spec"])
        trials = existing_trials(spec, campaign.get("existing") or [], utc_now())
        try:
            return await self.book.create(spec=spec, display_name=run.display_name,
                                          creator=run.submitter, run_id=run.id,
                                          workflow=run.workflow, existing=trials,
                                          campaign_id=str(campaign["id"]))
        except AlreadyExists:  # the run started while its submission was creating it
            return await self.book.get(str(campaign["id"]))

    async def source(self, run: RunRecord, plan: Mapping[str, Any]) -> CampaignIterations:
        """The main-phase source of a campaign run."""
        campaign = plan["campaign"]
        await self.created(run, campaign)
        body = plan.get("body") or {}
        return CampaignIterations(
            self.book, run, str(campaign["id"]), CampaignSpec.from_json(campaign["spec"]),
            int(campaign["iterations"]),
            lambda suggestion: to_run_parameters(suggestion, body, self.deck))


class CampaignIterations:
    """Suggest -> run the samples -> report, until the budget or the goal."""

    def __init__(self, book: CampaignBook, run: RunRecord, campaign_id: str, spec: CampaignSpec,
                 total: int, convert: Callable[[Mapping[str, Any]], dict[str, Any]]) -> None:
        self.book = book
        self.run = run
        self.campaign_id = campaign_id
        self.spec = spec
        self._total = total
        self._convert = convert
        self._pending: list[TrialRecord] = []

    @property
    def total(self) -> int:
        """The budget in iterations."""
        return self._total

    async def next(self, index: int) -> list[dict[str, Any]] | None:
        """`batch_size` new trials as the samples' run parameters."""
        self._pending = await self.book.suggest(self.campaign_id, self.run.batch_size,
                                                run_id=self.run.id, iteration=index)
        return [self._convert(t.parameters) for t in self._pending]

    async def finished(self, index: int, samples: Sequence[Sample], halted: bool) -> bool:
        """Report every sample's variables; True when a trial met the goal."""
        results = []
        for trial, sample in zip(self._pending, samples, strict=True):
            outputs = {k: _plain(v) for k, v in sample.variables.items()}
            _, why = objective_values(outputs, self.spec.objectives)
            if why and halted:
                results.append(Result(trial.number, None,
                                      "the run stopped before the sample was measured"))
            else:
                results.append(Result(trial.number, outputs))
        self._pending = []
        _, goal = await self.book.report(self.campaign_id, results, run_id=self.run.id)
        if goal:
            await self.book.log.write([AppendEvent(self.run.id, "log", {
                "level": "INFO", "logger": "ivorygrpc.run",
                "message": f"campaign goal reached in iteration {index}: stopping early"},
                utc_now())])
        return goal


def _plain(value: Any) -> Any:
    try:
        return to_jsonable(value)
    except ValueError:
        return repr(value)
