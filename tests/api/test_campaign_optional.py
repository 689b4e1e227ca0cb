"""Campaign runs with the optional Ax and BayBE adapters: each test is skipped when its
library is not installed. Budgets stay in the adapters' start phases (Sobol, random):
a BoTorch step fits a Gaussian process, which takes 10 s or more on a shared CPU."""

from __future__ import annotations

from typing import Any

import pytest

from ivorygrpc.v1 import campaign_pb2, run_pb2
from tests.api.test_campaign_runs import campaign_of, served_with_workflows
from tests.fixtures.campaigns import campaign_mode, minimize
from tests.fixtures.runs import create_run, finish
from tests.fixtures.server import ServeDeck

pytestmark = pytest.mark.filterwarnings("ignore::Warning")  # Ax, BayBE, BoTorch warn freely


@pytest.mark.parametrize(("optimizer", "settings", "constraints"), [
    ("ax", {"initialization_budget": 6}, ["x + y <= 0"]),
    ("baybe", {"switch_after": 100}, []),
])
async def test_an_optional_adapter_runs_a_campaign(serve_deck: ServeDeck, optimizer: str,
                                                   settings: dict[str, Any],
                                                   constraints: list[str]) -> None:
    pytest.importorskip(optimizer)
    served = await served_with_workflows(serve_deck)
    run = await create_run(served.channel, "bowl", batch_size=3, mode=campaign_mode(
        2, objectives=[minimize("f")], seed=1, optimizer=optimizer, settings=settings,
        constraints=constraints))
    run, _ = await finish(served.channel, run.id)
    assert run.state == run_pb2.RUN_STATE_SUCCEEDED
    campaign = await campaign_of(served, run)
    assert campaign.spec.optimizer == optimizer and len(campaign.trials) == 6
    assert all(t.state == campaign_pb2.TRIAL_STATE_COMPLETED for t in campaign.trials)
    assert all(t.feasible for t in campaign.trials)
    assert len(campaign.best_trials) == 1
    assert any(i.name == "parameter_correlation" for i in campaign.insights)
