"""Campaign state: create, suggest, report, view; every suggestion and observation is an event.

`CampaignBook` is shared by suggest-only campaigns (the CampaignService) and
run campaigns (`CampaignIterations`, the main-phase source of a campaign
run). The optimizer is rebuilt from the stored trials for every suggestion,
in a worker thread, under a per-campaign lock.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ivorygrpc.errors import FailedPrecondition, FieldViolation, InvalidArguments, NotFound
from ivorygrpc.execution.events import EventLog
from ivorygrpc.optimize.adapter import Adapter, Insight
from ivorygrpc.optimize.registry import Registry
from ivorygrpc.optimize.results import best_trials, correlations, goal_reached
from ivorygrpc.optimize.spec import (
    COMPLETED,
    FAILED,
    FROM_EXISTING,
    FROM_OPTIMIZER,
    PENDING,
    CampaignSpec,
    Trial,
    objective_values,
)
from ivorygrpc.store import Store
from ivorygrpc.store._common import utc_now
from ivorygrpc.store.campaigns import CampaignRecord, TrialRecord
from ivorygrpc.store.records import AppendEvent
from ivorygrpc.workflow.expressions import ExpressionError

MAX_SUGGEST = 100


@dataclass(frozen=True)
class CampaignView:
    """A campaign with its trials, best trials and insights (`GetCampaign`)."""

    campaign: CampaignRecord
    trials: list[TrialRecord]
    best: list[TrialRecord]
    insights: list[Insight]


@dataclass(frozen=True)
class Result:
    """A reported result: outputs, or a failure with its reason."""

    number: int
    outputs: dict[str, Any] | None  # None: failed
    error: str = ""


class CampaignBook:
    """Creates campaigns, asks their optimizers for trials and records results."""

    def __init__(self, store: Store, log: EventLog, registry: Registry) -> None:
        self.store = store
        self.log = log
        self.registry = registry
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, campaign_id: str) -> asyncio.Lock:
        return self._locks.setdefault(campaign_id, asyncio.Lock())

    async def create(self, *, spec: CampaignSpec, display_name: str, creator: str,
                     request_id: str = "", run_id: str = "", workflow: str = "",
                     existing: Sequence[TrialRecord] = (),
                     campaign_id: str = "") -> CampaignRecord:
        """Store a campaign and its existing-data trials (a checked spec)."""
        now = utc_now()
        record = CampaignRecord(
            id=campaign_id or uuid.uuid4().hex, display_name=display_name or "campaign",
            run_id=run_id, workflow=workflow, spec=spec.to_json(), creator=creator,
            request_id=request_id, created_at=now, updated_at=now,
            goal_reached=any(goal_reached(_domain(t), spec.objectives) for t in existing))
        await asyncio.to_thread(self.store.campaigns.create, record, existing)
        return await self.get(record.id)

    async def get(self, campaign_id: str) -> CampaignRecord:
        """The campaign; NotFound (InvalidArguments for an empty id)."""
        if not campaign_id:
            raise InvalidArguments([FieldViolation("campaign_id", "is required")])
        found = await asyncio.to_thread(self.store.campaigns.get, campaign_id)
        if found is None:
            raise NotFound("campaign", campaign_id, reason="CAMPAIGN_NOT_FOUND")
        return found

    async def get_or_none(self, campaign_id: str) -> CampaignRecord | None:
        """The campaign, or None."""
        return await asyncio.to_thread(self.store.campaigns.get, campaign_id)

    async def view(self, campaign_id: str) -> CampaignView:
        """The campaign with trials, best trials and insights."""
        campaign = await self.get(campaign_id)
        trials = await asyncio.to_thread(self.store.campaigns.trials, campaign_id)
        spec = CampaignSpec.from_json(campaign.spec)
        domain = [_domain(t) for t in trials]
        best_numbers = [t.number for t in best_trials(domain, spec.objectives)]
        by_number = {t.number: t for t in trials}
        insights = correlations(domain, spec) + await asyncio.to_thread(self._insights, spec,
                                                                         domain)
        return CampaignView(campaign, trials, [by_number[n] for n in best_numbers], insights)

    def _adapter(self, spec: CampaignSpec) -> Adapter:
        """The campaign's adapter; FailedPrecondition when it is no longer installed."""
        try:
            return self.registry.get(spec.optimizer)
        except InvalidArguments:
            raise FailedPrecondition(
                f"the campaign's optimizer {spec.optimizer!r} is not installed on this server",
                reason="OPTIMIZER_NOT_INSTALLED") from None

    def _insights(self, spec: CampaignSpec, trials: list[Trial]) -> list[Insight]:
        if spec.optimizer not in self.registry.names() and spec.optimizer:
            return []  # its own insights need it; the generic ones do not
        session = self._adapter(spec).open(spec, len(trials))
        session.load(trials)
        return session.insights()

    async def suggest(self, campaign_id: str, count: int, *, run_id: str = "",
                      iteration: int = 0) -> list[TrialRecord]:
        """`count` new pending trials from the campaign's optimizer (an event tells)."""
        async with self._lock(campaign_id):
            campaign = await self.get(campaign_id)
            spec = CampaignSpec.from_json(campaign.spec)
            stored = await asyncio.to_thread(self.store.campaigns.trials, campaign_id)
            suggestions = await asyncio.to_thread(self._ask, spec, stored, count)
            now = utc_now()
            fresh = [TrialRecord(0, PENDING, FROM_OPTIMIZER, parameters, {}, {}, [], True, "",
                                 iteration, sample, now)
                     for sample, parameters in enumerate(suggestions)]
            trials = await asyncio.to_thread(self.store.campaigns.add_trials, campaign_id,
                                             fresh)
            await self.log.write([AppendEvent(run_id, "trials_suggested", {
                "campaign_id": campaign_id, "trials": [trial_json(t) for t in trials]}, now)])
            return trials

    def _ask(self, spec: CampaignSpec, stored: list[TrialRecord],
             count: int) -> list[dict[str, Any]]:
        session = self._adapter(spec).open(spec, len(stored))
        session.load([_domain(t) for t in stored])
        return session.suggest(count)

    async def report(self, campaign_id: str, results: Sequence[Result], *,
                     run_id: str = "") -> tuple[list[TrialRecord], bool]:
        """Record results of pending trials; returns them and whether the goal is reached.

        A result without a number for every objective becomes a failed trial.
        """
        async with self._lock(campaign_id):
            campaign = await self.get(campaign_id)
            spec = CampaignSpec.from_json(campaign.spec)
            stored = {t.number: t for t in await asyncio.to_thread(self.store.campaigns.trials,
                                                                   campaign_id)}
            problems = []
            for index, result in enumerate(results):
                trial = stored.get(result.number)
                if trial is None or trial.state != PENDING:
                    state = "no such trial" if trial is None else "not pending"
                    problems.append(FieldViolation(f"results[{index}].number",
                                                   f"trial {result.number}: {state}"))
            if len({r.number for r in results}) != len(results):
                problems.append(FieldViolation("results", "a trial is reported twice"))
            if problems:
                raise InvalidArguments(problems)
            now = utc_now()
            done = [measure(spec, stored[r.number], r, now) for r in results]
            goal = any(goal_reached(_domain(t), spec.objectives) for t in done)
            await asyncio.to_thread(self.store.campaigns.update_trials, campaign_id, done,
                                    goal_reached=goal, now=now)
            await self.log.write([AppendEvent(run_id, "trials_observed", {
                "campaign_id": campaign_id, "trials": [trial_json(t) for t in done],
                "goal_reached": goal}, now)])
            return done, goal

    async def delete(self, campaign_id: str) -> None:
        """Delete a suggest-only campaign."""
        campaign = await self.get(campaign_id)
        if campaign.run_id:
            raise FailedPrecondition(f"campaign {campaign_id} belongs to run {campaign.run_id}: "
                                     "delete the run", reason="CAMPAIGN_OF_RUN")
        async with self._lock(campaign_id):
            await asyncio.to_thread(self.store.campaigns.delete, campaign_id)
        self._locks.pop(campaign_id, None)


def measure(spec: CampaignSpec, trial: TrialRecord, result: Result,
            now: datetime) -> TrialRecord:
    """The trial with its result: objective values, constraint values, state."""
    if result.outputs is None:
        return replace(trial, state=FAILED, error=result.error or "failed", completed_at=now)
    values, why = objective_values(result.outputs, spec.objectives)
    if why:
        return replace(trial, state=FAILED, outputs=result.outputs, error=why, completed_at=now)
    constraint_values: list[float] = []
    error = ""
    known = {**trial.parameters, **result.outputs}
    for constraint in spec.parsed_constraints():
        try:
            violation = constraint.violation(known)
        except (ExpressionError, ArithmeticError) as exc:
            violation, error = 1.0, f"constraint {constraint.text!r}: {exc}"
        constraint_values.append(violation if math.isfinite(violation) else 1.0)
    return replace(trial, state=COMPLETED, outputs=result.outputs, objective_values=values,
                   constraint_values=constraint_values,
                   feasible=all(v <= 0 for v in constraint_values), error=error,
                   completed_at=now)


def existing_trials(spec: CampaignSpec,
                    rows: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]],
                    now: datetime) -> list[TrialRecord]:
    """Existing-data rows (parameters, outputs) measured as trials."""
    empty = TrialRecord(0, PENDING, FROM_EXISTING, {}, {}, {}, [], True, "", 0, 0, now)
    return [measure(spec, replace(empty, parameters=dict(p)), Result(0, dict(o)), now)
            for p, o in rows]


def _domain(t: TrialRecord) -> Trial:
    return Trial(t.number, t.state, t.source, t.parameters, t.outputs, t.objective_values,
                 t.feasible, tuple(t.constraint_values), t.error, t.iteration, t.sample)


def trial_json(t: TrialRecord) -> dict[str, Any]:
    """The `Trial` JSON form."""
    data: dict[str, Any] = {
        "number": t.number, "state": t.state, "source": t.source, "parameters": t.parameters,
        "outputs": t.outputs, "objective_values": t.objective_values, "feasible": t.feasible,
        "error": t.error, "iteration": t.iteration, "sample": t.sample,
        "create_time": _time(t.created_at)}
    if t.completed_at is not None:
        data["complete_time"] = _time(t.completed_at)
    return data


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
