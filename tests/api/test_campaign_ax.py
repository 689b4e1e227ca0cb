"""A campaign run with the Ax adapter (optional extra): skipped when `ax-platform` is not
installed. The budget stays within Ax's Sobol initialization (no model fit)."""

from __future__ import annotations

import pytest

pytest.importorskip("ax")

from ivorygrpc.v1 import campaign_pb2, run_pb2
from tests.api.test_campaign_runs import campaign_of, served_with_workflows
from tests.fixtures.campaigns import campaign_mode, minimize
from tests.fixtures.runs import create_run, finish
from tests.fixtures.server import ServeDeck

pytestmark = pytest.mark.filterwarnings("ignore::Warning")  # Ax and BoTorch warn freely


async def test_an_ax_campaign_run(serve_deck: ServeDeck) -> None:
    served = await served_with_workflows(serve_deck)
    run = await create_run(served.channel, "bowl", batch_size=3, mode=campaign_mode(
        2, objectives=[minimize("f")], seed=1, optimizer="ax",
        settings={"initialization_budget": 6}, constraints=["x + y <= 0"]))
    run, _ = await finish(served.channel, run.id)
    assert run.state == run_pb2.RUN_STATE_SUCCEEDED
    campaign = await campaign_of(served, run)
    assert campaign.spec.optimizer == "ax" and len(campaign.trials) == 6
    assert all(t.state == campaign_pb2.TRIAL_STATE_COMPLETED for t in campaign.trials)
    assert all(t.parameters["x"] + t.parameters["y"] <= 1e-9 for t in campaign.trials)
    assert len(campaign.best_trials) == 1
