"""Optimizer campaigns and their trials.

A campaign's state is its trial list: the optimizer is rebuilt from it for
every suggestion, so nothing of a campaign lives outside this database.
Trials are numbered 1, 2, 3 ... per campaign by `add_trials`; callers
serialize the writes of one campaign (the servicer and a run's campaign hold
a per-campaign lock).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ivorygrpc.errors import AlreadyExists
from ivorygrpc.store._common import Repository, aware, check_limit, check_text, stored_json
from ivorygrpc.store.models import CampaignRow, CampaignTrialRow, RunRow

CAMPAIGNS = cast(Table, CampaignRow.__table__)
TRIALS = cast(Table, CampaignTrialRow.__table__)


@dataclass(frozen=True)
class CampaignRecord:
    """A campaign; `spec` is opaque JSON (the `CampaignSpec` JSON form)."""

    id: str
    display_name: str
    run_id: str  # "" for a suggest-only campaign
    workflow: str
    spec: dict[str, Any]
    creator: str
    request_id: str
    goal_reached: bool
    created_at: datetime
    updated_at: datetime
    trial_count: int = 0


@dataclass(frozen=True)
class TrialRecord:
    """One trial; `number` is assigned by `add_trials` (0 before)."""

    number: int
    state: str
    source: str
    parameters: dict[str, Any]
    outputs: dict[str, Any]
    objective_values: dict[str, float]
    constraint_values: list[float]
    feasible: bool
    error: str
    iteration: int
    sample: int
    created_at: datetime
    completed_at: datetime | None = None


_TRIAL_FIELDS = ("state", "outputs", "objective_values", "constraint_values", "feasible",
                 "error", "completed_at")


class CampaignRepository(Repository):
    """Campaigns and trials; one short session per method (thread-safe)."""

    def create(self, campaign: CampaignRecord,
               trials: Sequence[TrialRecord] = ()) -> builtins.list[TrialRecord]:
        """Insert a campaign with its first trials (numbered from 1); AlreadyExists when
        the id or the creator's request_id is taken."""
        check_text(id=campaign.id, creator=campaign.creator, request_id=campaign.request_id,
                   run_id=campaign.run_id)
        row = {"id": campaign.id, "display_name": campaign.display_name,
               "run_id": campaign.run_id or None, "workflow": campaign.workflow,
               "spec": stored_json(campaign.spec), "creator": campaign.creator,
               "request_id": campaign.request_id, "goal_reached": campaign.goal_reached,
               "created_at": aware("created_at", campaign.created_at),
               "updated_at": aware("updated_at", campaign.updated_at)}
        numbered = [replace(t, number=i) for i, t in enumerate(trials, 1)]
        try:
            with self._sessions.begin() as session:
                session.execute(insert(CAMPAIGNS), [row])
                if numbered:
                    session.execute(insert(TRIALS), [_trial_row(campaign.id, t)
                                                     for t in numbered])
        except IntegrityError as exc:
            raise AlreadyExists("campaign", campaign.request_id or campaign.id,
                                reason="CAMPAIGN_EXISTS") from exc
        return numbered

    def get(self, campaign_id: str) -> CampaignRecord | None:
        """The campaign, or None."""
        if "\x00" in campaign_id:
            return None
        return self._one(CAMPAIGNS.c.id == campaign_id)

    def find_by_request_id(self, creator: str, request_id: str) -> CampaignRecord | None:
        """The campaign `creator` created with `request_id` (None for "")."""
        if not request_id or "\x00" in request_id + creator:
            return None
        return self._one(and_(CAMPAIGNS.c.creator == creator,
                              CAMPAIGNS.c.request_id == request_id))

    def _one(self, where: Any) -> CampaignRecord | None:
        with self._sessions() as session:
            row = session.execute(_campaign_query().where(where)).first()
            return None if row is None else _campaign(row)

    def list(self, *, run_id: str = "", limit: int = 50,
             after: tuple[str, str] | None = None) -> builtins.list[CampaignRecord]:
        """Campaigns newest first (ties by id descending), at most `limit`; `after` is the
        (created_at ISO text, id) of the last campaign of the previous page."""
        check_limit(limit)
        query = _campaign_query()
        if run_id:
            query = query.where(CAMPAIGNS.c.run_id == run_id)
        if after is not None:
            moment = aware("after", datetime.fromisoformat(after[0]))
            query = query.where(or_(CAMPAIGNS.c.created_at < moment, and_(
                CAMPAIGNS.c.created_at == moment, CAMPAIGNS.c.id < after[1])))
        query = query.order_by(CAMPAIGNS.c.created_at.desc(), CAMPAIGNS.c.id.desc())
        with self._sessions() as session:
            return [_campaign(row) for row in session.execute(query.limit(limit))]

    def trials(self, campaign_id: str) -> builtins.list[TrialRecord]:
        """The trials of a campaign, by number."""
        query = select(*TRIALS.c).where(TRIALS.c.campaign_id == campaign_id).order_by(
            TRIALS.c.number)
        with self._sessions() as session:
            return [_trial(row) for row in session.execute(query)]

    def add_trials(self, campaign_id: str,
                   trials: Sequence[TrialRecord]) -> builtins.list[TrialRecord]:
        """Append trials, numbered after the last one; returns them numbered."""
        with self._sessions.begin() as session:
            last = session.scalar(select(func.max(TRIALS.c.number)).where(
                TRIALS.c.campaign_id == campaign_id)) or 0
            numbered = [replace(t, number=last + i) for i, t in enumerate(trials, 1)]
            if numbered:
                session.execute(insert(TRIALS), [_trial_row(campaign_id, t) for t in numbered])
                session.execute(update(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id).values(
                    updated_at=aware("created_at", numbered[-1].created_at)))
        return numbered

    def update_trials(self, campaign_id: str, trials: Sequence[TrialRecord], *,
                      goal_reached: bool, now: datetime) -> None:
        """Store the results of trials (by number) and whether the goal is reached."""
        with self._sessions.begin() as session:
            for trial in trials:
                values = {name: getattr(trial, name) for name in _TRIAL_FIELDS}
                values["outputs"] = stored_json(trial.outputs)
                session.execute(update(TRIALS).where(
                    TRIALS.c.campaign_id == campaign_id,
                    TRIALS.c.number == trial.number).values(**values))
            session.execute(update(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id).values(
                updated_at=aware("now", now),
                goal_reached=CAMPAIGNS.c.goal_reached | goal_reached))

    def fail_abandoned(self, active_states: Sequence[str]) -> int:
        """Fail the pending trials of run campaigns whose run is no longer executing (the
        server stopped mid-iteration); returns how many."""
        runs = cast(Table, RunRow.__table__)
        ended = select(CAMPAIGNS.c.id).join(runs, runs.c.id == CAMPAIGNS.c.run_id).where(
            runs.c.state.not_in(list(active_states)))
        with self._sessions.begin() as session:
            result = cast(CursorResult[Any], session.execute(update(TRIALS).where(
                TRIALS.c.state == "TRIAL_STATE_PENDING",
                TRIALS.c.campaign_id.in_(ended)).values(
                state="TRIAL_STATE_FAILED", error="the run ended before the sample was measured",
                completed_at=self._now())))
            return result.rowcount

    def delete(self, campaign_id: str) -> bool:
        """Delete a campaign and its trials; False when there was none."""
        with self._sessions.begin() as session:
            session.execute(delete(TRIALS).where(TRIALS.c.campaign_id == campaign_id))
            result = cast(CursorResult[Any], session.execute(delete(CAMPAIGNS).where(
                CAMPAIGNS.c.id == campaign_id)))
            return bool(result.rowcount)


def _campaign_query() -> Any:
    count = select(func.count()).where(TRIALS.c.campaign_id == CAMPAIGNS.c.id).scalar_subquery()
    return select(*CAMPAIGNS.c, count.label("trial_count"))


def _campaign(row: Any) -> CampaignRecord:
    data = dict(row._mapping)
    data["run_id"] = data["run_id"] or ""
    return CampaignRecord(**data)


def _trial(row: Any) -> TrialRecord:
    data = dict(row._mapping)
    data.pop("campaign_id")
    return TrialRecord(**data)


def _trial_row(campaign_id: str, trial: TrialRecord) -> dict[str, Any]:
    return {"campaign_id": campaign_id, "number": trial.number, "state": trial.state,
            "source": trial.source, "parameters": stored_json(trial.parameters),
            "outputs": stored_json(trial.outputs),
            "objective_values": dict(trial.objective_values),
            "constraint_values": list(trial.constraint_values), "feasible": trial.feasible,
            "error": trial.error, "iteration": trial.iteration, "sample": trial.sample,
            "created_at": aware("created_at", trial.created_at),
            "completed_at": None if trial.completed_at is None
            else aware("completed_at", trial.completed_at)}
