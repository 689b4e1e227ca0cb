"""Optimizer campaigns through the client: IvoryOS-client's campaign and schema operations."""

from __future__ import annotations

from google.protobuf import json_format

from ivorygrpc.client import Client
from ivorygrpc.v1 import run_pb2
from tests.fixtures.campaigns import CAMPAIGN_DECK, bench, rng
from tests.fixtures.runs import par
from tests.fixtures.server import ADMIN_PASSWORD, ServeDeck


async def test_campaign_runs_and_suggest_only_campaigns(serve_deck: ServeDeck) -> None:
    served = await serve_deck(CAMPAIGN_DECK)
    client = await Client.connect(served.target, username="admin", password=ADMIN_PASSWORD)
    optimizers = await client.list_optimizers()
    assert optimizers and any(o.is_default for o in optimizers)
    await client.save_workflow({"name": "bowl", "main": [
        bench("bowl", ["f"], x=par("x"), y=par("y"))]})
    space = await client.parameter_space("bowl")
    assert sorted(p.name for p in space.parameters) == ["x", "y"]
    assert [o.name for o in space.objectives] == ["f"]
    spec = {"parameters": [rng("x", -1, 1), rng("y", -1, 1)],
            "objectives": [json_format.MessageToDict(o) for o in space.objectives],
            "seed": 7}
    run = await client.create_run("bowl", campaign={"spec": spec, "iterations": 3})
    done = await client.wait_for_run(run.id, timeout=60)
    assert done.state == run_pb2.RUN_STATE_SUCCEEDED
    [campaign] = await client.list_campaigns(run.id)
    full = await client.get_campaign(campaign.id)
    assert full.run_id == run.id and full.trial_count == 3 and full.best_trials

    manual = await client.create_campaign(spec, display_name="by hand")
    [trial] = await client.suggest_trials(manual.id)
    reported = await client.report_trials(manual.id, {trial.number: {"f": 0.5}})
    assert reported.trial_count == 1
    await client.delete_campaign(manual.id)
    assert [c.id for c in await client.list_campaigns()] == [campaign.id]
    await client.close()
