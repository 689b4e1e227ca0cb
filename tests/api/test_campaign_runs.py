"""Campaign runs through a real server: suggest -> run the main phase per sample -> observe.

The campaign deck's objectives are deterministic with known optima, and every
campaign is seeded, so each test sees the same trials on every run.
"""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import json_format

from ivorygrpc.v1 import campaign_pb2, run_pb2
from ivorygrpc.v1 import campaign_service_pb2 as cpb
from ivorygrpc.v1 import campaign_service_pb2_grpc as cpb_grpc
from ivorygrpc.v1 import execute_service_pb2 as pb
from ivorygrpc.v1 import execute_service_pb2_grpc as pb_grpc
from tests.fixtures.campaigns import (
    CAMPAIGN_DECK,
    bench,
    campaign_mode,
    maximize,
    minimize,
    refused,
    rng,
)
from tests.fixtures.runs import (
    create_run,
    finish,
    of_kind,
    par,
    paused,
    save_workflow,
    wait_for_event,
)
from tests.fixtures.server import Served, ServeDeck

INVALID = grpc.StatusCode.INVALID_ARGUMENT
FAST = {"n_startup_trials": 6}


async def served_with_workflows(serve_deck: ServeDeck) -> Served:
    served = await serve_deck(CAMPAIGN_DECK)
    await save_workflow(served.channel, "bowl", [bench("bowl", ["f"], x=par("x"), y=par("y"))])
    await save_workflow(served.channel, "shifted", [
        bench("shifted", ["f"], x=par("x"), mode=par("mode"), n=par("n"))])
    await save_workflow(served.channel, "schaffer", [bench("schaffer", ["a", "b"], x=par("x"))])
    await save_workflow(served.channel, "fragile", [bench("fragile", ["v"], x=par("x"))])
    await save_workflow(served.channel, "sine", [bench("unbounded", ["s"], v=par("v"))])
    return served


async def campaign_of(served: Served, run: run_pb2.Run) -> campaign_pb2.Campaign:
    stub = cpb_grpc.CampaignServiceStub(served.channel)
    listed = await stub.ListCampaigns(cpb.ListCampaignsRequest(run_id=run.id))
    assert [c.run_id for c in listed.campaigns] == [run.id]
    assert listed.campaigns[0].id == run.mode.campaign.campaign_id
    reply = await stub.GetCampaign(cpb.GetCampaignRequest(campaign_id=listed.campaigns[0].id))
    return reply.campaign


async def test_seeded_campaign_finds_the_bowl_minimum(serve_deck: ServeDeck) -> None:
    """(x - 1)^2 + (y + 2)^2 over [-5, 5]^2 (bounds from the deck): within 0.5 of the
    minimum 0 in 10 iterations of 3 samples, with the run parameters' default space."""
    served = await served_with_workflows(serve_deck)
    run = await create_run(served.channel, "bowl", batch_size=3, mode=campaign_mode(
        10, objectives=[minimize("f")], seed=1, settings=FAST))
    run, events = await finish(served.channel, run.id)
    assert run.state == run_pb2.RUN_STATE_SUCCEEDED
    campaign = await campaign_of(served, run)
    space = {p.name: p for p in campaign.spec.parameters}
    assert set(space) == {"x", "y"} and space["x"].range.low == -5 and space["y"].range.high == 5
    assert len(campaign.trials) == 30
    assert all(t.state == campaign_pb2.TRIAL_STATE_COMPLETED for t in campaign.trials)
    best = campaign.best_trials[0]
    assert best.objective_values["f"] < 0.5, best
    x, y = best.parameters["x"], best.parameters["y"]
    assert abs(best.objective_values["f"] - ((x - 1) ** 2 + (y + 2) ** 2)) < 1e-9
    # Each trial is one sample of the run: its iteration, sample and outputs.
    assert [(t.iteration, t.sample) for t in campaign.trials[:4]] == [(1, 0), (1, 1), (1, 2),
                                                                      (2, 0)]
    # Events: one suggestion and one observation per iteration, in order.
    kinds = [e.WhichOneof("kind") for e in events
             if e.WhichOneof("kind") in ("trials_suggested", "trials_observed")
             or e.iteration_started.phase == run_pb2.RUN_PHASE_MAIN]
    assert kinds[:4] == ["trials_suggested", "iteration_started", "trials_observed",
                         "trials_suggested"]
    export = await pb_grpc.ExecuteServiceStub(served.channel).ExportRunData(
        pb.ExportRunDataRequest(run_id=run.id))
    assert len(export.content.decode().strip().splitlines()) == 31  # header + 30 samples
    suggested = of_kind(events, "trials_suggested")
    assert len(suggested) == 10 and [len(s.trials) for s in suggested] == [3] * 10
    assert of_kind(events, "trials_observed")[-1].trials[2].number == 30


async def test_early_stop_choice_and_int_parameters(serve_deck: ServeDeck) -> None:
    served = await served_with_workflows(serve_deck)
    run = await create_run(served.channel, "shifted", batch_size=2, mode=campaign_mode(
        30, objectives=[minimize("f", threshold=1.5)], seed=2, settings=FAST))
    run, events = await finish(served.channel, run.id)
    assert run.state == run_pb2.RUN_STATE_SUCCEEDED
    campaign = await campaign_of(served, run)
    assert campaign.goal_reached
    iterations = len(of_kind(events, "trials_suggested"))
    assert iterations < 30 and len(campaign.trials) == 2 * iterations
    assert of_kind(events, "trials_observed")[-1].goal_reached
    assert any(t.objective_values["f"] <= 1.5 for t in campaign.trials[-2:])
    assert not any(t.objective_values["f"] <= 1.5 for t in campaign.trials[:-2])
    assert any("goal reached" in log.message for log in of_kind(events, "log"))
    spec = {p.name: p for p in campaign.spec.parameters}
    assert spec["n"].range.number_type == campaign_pb2.NUMBER_TYPE_INT
    assert list(spec["mode"].choice.values) and all(
        t.parameters["mode"] in ("SLOW", "FAST") and float(t.parameters["n"]).is_integer()
        for t in campaign.trials)


async def test_two_objectives_give_a_pareto_front(serve_deck: ServeDeck) -> None:
    served = await served_with_workflows(serve_deck)
    run = await create_run(served.channel, "schaffer", batch_size=4, mode=campaign_mode(
        3, objectives=[minimize("a"), minimize("b")], seed=4))
    run, _ = await finish(served.channel, run.id)
    campaign = await campaign_of(served, run)
    points = [(t.objective_values["a"], t.objective_values["b"], t.number)
              for t in campaign.trials]
    front = sorted(n for a, b, n in points if not any(
        a2 <= a and b2 <= b and (a2, b2) != (a, b) for a2, b2, _ in points))
    assert sorted(t.number for t in campaign.best_trials) == front and len(front) >= 2


async def test_failed_samples_become_failed_trials(serve_deck: ServeDeck) -> None:
    served = await served_with_workflows(serve_deck)
    run = await create_run(served.channel, "fragile", batch_size=2, mode=campaign_mode(
        3, objectives=[maximize("v")], seed=6,
        parameters=[{"name": "x", "choice": {"values": [2, 9]}}]))
    stub = pb_grpc.ExecuteServiceStub(served.channel)
    skipped = 0
    async for reply in stub.StreamRunEvents(pb.StreamRunEventsRequest(
            run_id=run.id, until_finished=True), timeout=30):
        if paused(run_pb2.PAUSE_KIND_STEP_ERROR)(reply.event):
            await stub.SkipStep(pb.SkipStepRequest(run_id=run.id))
            skipped += 1
    campaign = await campaign_of(served, run)
    failed = [t for t in campaign.trials if t.state == campaign_pb2.TRIAL_STATE_FAILED]
    assert skipped == len(failed) >= 1
    assert all(t.parameters["x"] == 9 and "no value for objective 'v'" in t.error
               for t in failed)
    completed = [t for t in campaign.trials if t.state == campaign_pb2.TRIAL_STATE_COMPLETED]
    assert completed and all(t.parameters["x"] == 2 for t in completed)
    assert len(campaign.trials) == 6


async def test_existing_data_from_csv_and_earlier_runs(serve_deck: ServeDeck) -> None:
    served = await served_with_workflows(serve_deck)
    first = await create_run(served.channel, "bowl", mode=campaign_mode(
        2, objectives=[minimize("f")], seed=1))
    first, _ = await finish(served.channel, first.id)
    csv_text = "x,y,f\n1,-2,0\n0,0,5\n"
    run = await create_run(served.channel, "bowl", mode=campaign_mode(
        1, objectives=[minimize("f", threshold=0.0)], seed=1,
        existing={"csv_text": csv_text, "run_ids": [first.id]}))
    run, events = await finish(served.channel, run.id)
    campaign = await campaign_of(served, run)
    sources = [t.source for t in campaign.trials]
    assert sources == [campaign_pb2.TRIAL_SOURCE_EXISTING] * 4 + [
        campaign_pb2.TRIAL_SOURCE_OPTIMIZER]
    assert campaign.goal_reached  # the CSV row meets the threshold
    assert campaign.best_trials[0].number == 1
    assert len(of_kind(events, "trials_suggested")) == 1


async def test_bad_campaigns_are_refused_and_queue_nothing(serve_deck: ServeDeck) -> None:
    served = await served_with_workflows(serve_deck)
    ok: dict[str, Any] = {"objectives": [minimize("f")]}
    cases: list[tuple[str, run_pb2.RunMode, int, str, str]] = [
        ("bowl", campaign_mode(0, **ok), 1, "mode.campaign.iterations", "1 to"),
        ("bowl", campaign_mode(2, **ok), -1, "batch_size", "1 to"),
        ("bowl", campaign_mode(2, **{**ok, "optimizer": "nimo"}), 1,
         "mode.campaign.spec.optimizer", "installed: optuna"),
        ("bowl", campaign_mode(2, objectives=[minimize("g")]), 1,
         "mode.campaign.spec.objectives[0].name", "outputs: f"),
        ("bowl", campaign_mode(2, **ok, parameters=[rng("x", 1, -1)]), 1,
         "mode.campaign.spec.parameters[0].range.high", "greater than low"),
        ("bowl", campaign_mode(2, **ok, parameters=[rng("x", -9, 1)]), 1,
         "mode.campaign.spec.parameters[0].range.low", "outside the bounds"),
        ("bowl", campaign_mode(2, **ok, parameters=[rng("z", 0, 1)]), 1,
         "mode.campaign.spec.parameters[0].name", "unknown run parameter 'z'"),
        ("shifted", campaign_mode(2, **ok, parameters=[
            rng("n", 0, 5, number_type="NUMBER_TYPE_FLOAT")]), 1,
         "mode.campaign.spec.parameters[0].range.number_type", "int"),
        ("shifted", campaign_mode(2, **ok, parameters=[
            {"name": "mode", "choice": {"values": ["SLOW", "TURBO"]}}]), 1,
         "mode.campaign.spec.parameters[0].choice.values", "TURBO"),
        ("sine", campaign_mode(2, objectives=[minimize("s")]), 1,
         "mode.campaign.spec.parameters", "#v needs a spec"),
        ("bowl", campaign_mode(2, **ok, existing={"csv_text": "x,f\n1,2\n"}), 1,
         "mode.campaign.existing_data.csv_text", "missing columns: y"),
        ("bowl", campaign_mode(2, **ok, existing={"run_ids": ["nope"]}), 1,
         "mode.campaign.existing_data.run_ids[0]", "no run 'nope'"),
    ]
    for workflow, mode, batch, field, text in cases:
        code, details = await refused(create_run(served.channel, workflow, mode=mode,
                                                 batch_size=batch))
        assert code == INVALID, (field, details)
        assert text in details["violations"].get(field, ""), (field, details["violations"])
    runs = await pb_grpc.ExecuteServiceStub(served.channel).ListRuns(pb.ListRunsRequest())
    assert list(runs.runs) == []
    listed = await cpb_grpc.CampaignServiceStub(served.channel).ListCampaigns(
        cpb.ListCampaignsRequest())
    assert list(listed.campaigns) == []


async def test_a_run_campaign_is_read_only_to_suggest_and_report(
        serve_deck: ServeDeck) -> None:
    served = await served_with_workflows(serve_deck)
    run = await create_run(served.channel, "bowl", mode=campaign_mode(
        1, objectives=[minimize("f")], seed=1))
    run, _ = await finish(served.channel, run.id)
    assert json_format.MessageToDict(run.mode)["campaign"]["campaignId"]
    campaign = await campaign_of(served, run)
    stub = cpb_grpc.CampaignServiceStub(served.channel)
    for call in (stub.SuggestTrials(cpb.SuggestTrialsRequest(campaign_id=campaign.id)),
                 stub.DeleteCampaign(cpb.DeleteCampaignRequest(campaign_id=campaign.id))):
        code, details = await refused(call)
        assert code == grpc.StatusCode.FAILED_PRECONDITION
        assert details["reason"] == "CAMPAIGN_OF_RUN"
    # Deleting the run deletes its campaign.
    await pb_grpc.ExecuteServiceStub(served.channel).DeleteRun(pb.DeleteRunRequest(
        run_id=run.id))
    code, _ = await refused(stub.GetCampaign(cpb.GetCampaignRequest(campaign_id=campaign.id)))
    assert code == grpc.StatusCode.NOT_FOUND


async def test_pending_trials_of_an_interrupted_run_fail_at_restart(
        serve_deck: ServeDeck) -> None:
    first = await served_with_workflows(serve_deck)
    await save_workflow(first.channel, "held", [
        bench("bowl", ["f"], x=par("x"), y=par("y")), {"id": "p1", "pause": {"message": "look"}}])
    run = await create_run(first.channel, "held", mode=campaign_mode(
        2, objectives=[minimize("f")], seed=1))
    await wait_for_event(first.channel, run.id, paused(run_pb2.PAUSE_KIND_PAUSE_STEP))
    await first.close()

    second = await serve_deck(CAMPAIGN_DECK, data_dir=first.data_dir)
    campaign = await campaign_of(second, run)
    assert [t.state for t in campaign.trials] == [campaign_pb2.TRIAL_STATE_FAILED]
    assert "ended before the sample was measured" in campaign.trials[0].error
