"""CampaignService through a real server: optimizer schemas, parameter spaces, suggest-only
campaigns (surviving a restart), existing data, Pareto fronts and refused inputs."""

from __future__ import annotations

import importlib.util
from typing import Any

import grpc
import pytest
from google.protobuf import json_format

from ivorygrpc.optimize.optuna_adapter import OptunaAdapter
from ivorygrpc.optimize.registry import Registry
from ivorygrpc.v1 import campaign_pb2
from ivorygrpc.v1 import campaign_service_pb2 as pb
from ivorygrpc.v1 import campaign_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import execute_service_pb2 as ex_pb
from ivorygrpc.v1 import execute_service_pb2_grpc as ex_grpc
from tests.fixtures.campaigns import (
    CAMPAIGN_DECK,
    bench,
    minimize,
    refused,
    rng,
    spec,
)
from tests.fixtures.runs import par, save_workflow
from tests.fixtures.server import Served, ServeDeck

INVALID = grpc.StatusCode.INVALID_ARGUMENT
OPTIONAL = ("ax", "baybe")


def stub(served: Served) -> pb_grpc.CampaignServiceStub:
    return pb_grpc.CampaignServiceStub(served.channel)


def bowl(x: float, y: float) -> float:
    return (x - 1) ** 2 + (y + 2) ** 2


async def create(served: Served, existing: dict[str, Any] | None = None,
                 **spec_data: Any) -> campaign_pb2.Campaign:
    request = pb.CreateCampaignRequest(display_name="bowl", spec=spec(**spec_data))
    if existing is not None:
        json_format.ParseDict(existing, request.existing_data)
    return (await stub(served).CreateCampaign(request)).campaign


BOWL = {"parameters": [rng("x", -5, 5), rng("y", -5, 5)], "objectives": [minimize("f")],
        "seed": 11}


# -- schemas -------------------------------------------------------------------------------------


async def test_list_optimizers_describes_the_installed_adapters(served: Served) -> None:
    optimizers = (await stub(served).ListOptimizers(pb.ListOptimizersRequest())).optimizers
    names = [o.name for o in optimizers]
    assert names[0] == "optuna" and optimizers[0].is_default
    # An adapter whose library is missing is not listed.
    for name in OPTIONAL:
        assert (name in names) == (importlib.util.find_spec(name) is not None)
    optuna = optimizers[0]
    assert set(optuna.parameter_kinds) == {campaign_pb2.PARAMETER_KIND_RANGE,
                                           campaign_pb2.PARAMETER_KIND_CHOICE,
                                           campaign_pb2.PARAMETER_KIND_FIXED}
    assert optuna.supports_multi_objective and optuna.supports_constraints
    assert optuna.supports_batch and optuna.supports_step and optuna.supports_log_scale
    settings = {s.name: s for s in optuna.settings}
    sampler = settings["sampler"]
    assert sampler.type == campaign_pb2.SETTING_TYPE_CHOICE
    assert sampler.default_value.string_value == "auto"
    assert {"tpe", "nsga2", "random"} <= set(sampler.choices)
    assert ("gp" in sampler.choices) == all(
        importlib.util.find_spec(m) is not None for m in ("torch", "scipy"))
    assert settings["n_startup_trials"].type == campaign_pb2.SETTING_TYPE_INT
    assert settings["n_startup_trials"].default_value.number_value == 10
    assert settings["n_startup_trials"].HasField("minimum")


async def test_parameter_space_defaults_come_from_types_and_bounds(
        serve_deck: ServeDeck) -> None:
    served = await serve_deck(CAMPAIGN_DECK)
    await save_workflow(served.channel, "mixed", [
        bench("shifted", ["f"], x=par("x"), mode=par("mode"), n=par("n")),
        bench("unbounded", ["s"], v=par("v"))])
    reply = await stub(served).GetParameterSpace(pb.GetParameterSpaceRequest(workflow="mixed"))
    space = {p.name: json_format.MessageToDict(p, preserving_proto_field_name=True)
             for p in reply.parameters}
    assert space["x"] == {"name": "x", "range": {"low": -5.0, "high": 5.0,
                                                 "number_type": "NUMBER_TYPE_FLOAT"}}
    assert space["n"]["range"]["number_type"] == "NUMBER_TYPE_INT"
    assert space["mode"] == {"name": "mode", "choice": {"values": ["SLOW", "FAST"]}}
    assert "range" in space["v"] and any(n.startswith("v:") for n in reply.notes)
    assert [o.name for o in reply.objectives] == ["f", "s"]
    code, _ = await refused(stub(served).GetParameterSpace(
        pb.GetParameterSpaceRequest(workflow="nope")))
    assert code == grpc.StatusCode.NOT_FOUND


# -- suggest-only campaigns ----------------------------------------------------------------------


async def test_suggest_only_campaign_survives_a_restart(serve_deck: ServeDeck) -> None:
    first = await serve_deck()
    campaign = await create(first, **BOWL)
    trials = (await stub(first).SuggestTrials(pb.SuggestTrialsRequest(
        campaign_id=campaign.id, count=3))).trials
    assert [t.number for t in trials] == [1, 2, 3]
    assert all(t.state == campaign_pb2.TRIAL_STATE_PENDING for t in trials)
    results = [pb.TrialResult(number=t.number) for t in trials[:2]]
    for result, trial in zip(results, trials, strict=False):
        x, y = trial.parameters["x"], trial.parameters["y"]
        assert -5 <= x <= 5 and -5 <= y <= 5
        result.outputs.update({"f": bowl(x, y), "note": "by hand"})
    await stub(first).ReportTrials(pb.ReportTrialsRequest(campaign_id=campaign.id,
                                                          results=results))
    await first.close()

    second = await serve_deck(data_dir=first.data_dir)
    got = (await stub(second).GetCampaign(pb.GetCampaignRequest(
        campaign_id=campaign.id))).campaign
    states = [t.state for t in got.trials]
    assert states == [campaign_pb2.TRIAL_STATE_COMPLETED] * 2 + [campaign_pb2.TRIAL_STATE_PENDING]
    assert got.trials[0].outputs["note"] == "by hand"
    best = min(got.trials[:2], key=lambda t: t.objective_values["f"])
    assert [t.number for t in got.best_trials] == [best.number]
    # The optimizer goes on from the stored trials: new numbers, the pending one kept.
    more = (await stub(second).SuggestTrials(pb.SuggestTrialsRequest(
        campaign_id=campaign.id, count=2))).trials
    assert [t.number for t in more] == [4, 5]
    reply = await stub(second).ReportTrials(pb.ReportTrialsRequest(
        campaign_id=campaign.id, results=[pb.TrialResult(number=3, failed=True,
                                                         error="spilled")]))
    assert reply.campaign.trials[2].state == campaign_pb2.TRIAL_STATE_FAILED
    assert reply.campaign.trials[2].error == "spilled"


async def test_seeded_suggestions_repeat_and_events_are_streamed(served: Served) -> None:
    one, two = await create(served, **BOWL), await create(served, **BOWL)
    first = [dict((await stub(served).SuggestTrials(pb.SuggestTrialsRequest(
        campaign_id=c.id, count=2))).trials[0].parameters) for c in (one, two)]
    assert first[0] == first[1]  # same seed, same history: same suggestion
    result = pb.TrialResult(number=1)
    result.outputs.update({"f": 2.5})
    await stub(served).ReportTrials(pb.ReportTrialsRequest(campaign_id=one.id,
                                                           results=[result]))
    events = ex_grpc.ExecuteServiceStub(served.channel).StreamRunEvents(
        ex_pb.StreamRunEventsRequest(), timeout=10)
    seen: list[str] = []
    async for reply in events:
        kind = reply.event.WhichOneof("kind")
        if kind == "trials_suggested" and reply.event.trials_suggested.campaign_id == one.id:
            assert [t.number for t in reply.event.trials_suggested.trials] == [1, 2]
            seen.append(kind)
        if kind == "trials_observed":
            observed = reply.event.trials_observed
            assert observed.campaign_id == one.id
            assert observed.trials[0].objective_values["f"] == 2.5
            seen.append(kind)
            break
    events.cancel()
    assert seen == ["trials_suggested", "trials_observed"]


async def test_existing_data_seeds_and_missing_columns_are_refused(served: Served) -> None:
    csv_text = "x,y,f\n1,-2,0\n0,0,5\n"
    campaign = await create(served, existing={"csv_text": csv_text,
                                               "rows": [{"x": 2, "y": -2, "f": 1}]}, **BOWL)
    assert [t.source for t in campaign.trials] == [campaign_pb2.TRIAL_SOURCE_EXISTING] * 3
    assert [t.number for t in campaign.best_trials] == [2]  # x=1, y=-2 from the CSV
    assert campaign.best_trials[0].parameters["x"] == 1
    before = len((await stub(served).ListCampaigns(pb.ListCampaignsRequest())).campaigns)
    code, details = await refused(create(served, existing={"csv_text": "x,f\n1,2\n"}, **BOWL))
    assert code == INVALID
    assert "missing columns: y" in details["violations"]["existing_data.csv_text"]
    code, details = await refused(create(served, existing={"rows": [{"x": 1}]}, **BOWL))
    assert "missing columns: y, f" in details["violations"]["existing_data.rows[0]"]
    code, details = await refused(create(served, existing={"rows": [
        {"x": 9, "y": 0, "f": 1}]}, **BOWL))
    assert "outside" in details["violations"]["existing_data.rows[0].x"]
    after = len((await stub(served).ListCampaigns(pb.ListCampaignsRequest())).campaigns)
    assert after == before  # nothing was created


async def test_pareto_front_of_two_objectives(served: Served) -> None:
    campaign = await create(served, parameters=[rng("x", -2, 4)],
                            objectives=[minimize("a"), minimize("b")], seed=3)
    trials = (await stub(served).SuggestTrials(pb.SuggestTrialsRequest(
        campaign_id=campaign.id, count=12))).trials
    results = []
    for trial in trials:
        x = trial.parameters["x"]
        result = pb.TrialResult(number=trial.number)
        result.outputs.update({"a": x * x, "b": (x - 2) ** 2})
        results.append(result)
    reply = await stub(served).ReportTrials(pb.ReportTrialsRequest(campaign_id=campaign.id,
                                                                   results=results))
    front = reply.campaign.best_trials
    points = [(x * x, (x - 2) ** 2, x) for x in (t.parameters["x"] for t in trials)]
    expected = sorted(x for a, b, x in points if not any(
        a2 <= a and b2 <= b and (a2, b2) != (a, b) for a2, b2, _ in points))
    assert sorted(t.parameters["x"] for t in front) == expected
    assert len(expected) >= 3 and all(0 <= x <= 2.5 for x in expected)
    # Ordered by the weighted sum of the objectives, best first.
    sums = [t.objective_values["a"] + t.objective_values["b"] for t in front]
    assert sums == sorted(sums)


async def test_goal_constraints_and_insights(served: Served) -> None:
    campaign = await create(served, parameters=[rng("x", -5, 5), rng("y", -5, 5)],
                            objectives=[minimize("f", threshold=1.0)],
                            constraints=["x + y <= 0"], seed=5)
    rows = [(1.0, -2.0), (3.0, 1.0), (0.5, 0.4), (-1, -1), (2, -3)]
    existing = await create(served, existing={"rows": [
        {"x": x, "y": y, "f": bowl(x, y)} for x, y in rows]},
        parameters=[rng("x", -5, 5), rng("y", -5, 5)],
        objectives=[minimize("f", threshold=0.1)], constraints=["x + y <= 0"], seed=5)
    assert existing.goal_reached  # (1, -2) meets f <= 0.1
    feasible = [t.feasible for t in existing.trials]
    assert feasible == [True, False, False, True, True]
    assert [t.number for t in existing.best_trials] == [1]
    insight = next(i for i in existing.insights if i.name == "parameter_correlation")
    assert set(insight.values) == {"x", "y"} and insight.objective == "f"
    assert not campaign.goal_reached


async def test_bad_inputs_are_refused_and_change_nothing(served: Served) -> None:
    s = stub(served)
    before = len((await s.ListCampaigns(pb.ListCampaignsRequest())).campaigns)
    cases: list[tuple[dict[str, Any], str]] = [
        ({**BOWL, "optimizer": "nimo"}, "spec.optimizer"),
        ({**BOWL, "parameters": [rng("x", 5, -5)]}, "spec.parameters[0].range.high"),
        ({**BOWL, "parameters": [rng("x", 0, 1, log_scale=True)]}, "spec.parameters[0].range.low"),
        ({**BOWL, "parameters": [rng("x", 0, 1, step=2)]}, "spec.parameters[0].range.step"),
        ({**BOWL, "parameters": [{"name": "c", "choice": {"values": [1]}}]},
         "spec.parameters[0].choice.values"),
        ({**BOWL, "objectives": []}, "spec.objectives"),
        ({**BOWL, "objectives": [{"name": "f"}]}, "spec.objectives[0].direction"),
        ({**BOWL, "objectives": [minimize("x")]}, "spec.objectives[0].name"),
        ({**BOWL, "constraints": ["x + z <= 1"]}, "spec.constraints[0]"),
        ({**BOWL, "constraints": ["x + y"]}, "spec.constraints[0]"),
        ({**BOWL, "settings": {"sampler": "cma"}}, "spec.settings.sampler"),
        ({**BOWL, "settings": {"colour": 1}}, "spec.settings.colour"),
    ]
    for data, field in cases:
        code, details = await refused(create(served, **data))
        assert code == INVALID and field in details["violations"], (field, details)
    campaign = await create(served, **BOWL)
    code, details = await refused(s.SuggestTrials(pb.SuggestTrialsRequest(
        campaign_id=campaign.id, count=101)))
    assert code == INVALID and "count" in details["violations"]
    code, _ = await refused(s.SuggestTrials(pb.SuggestTrialsRequest(campaign_id="nope")))
    assert code == grpc.StatusCode.NOT_FOUND
    await s.SuggestTrials(pb.SuggestTrialsRequest(campaign_id=campaign.id))
    missing = pb.TrialResult(number=1)
    missing.outputs.update({"g": 1})
    code, details = await refused(s.ReportTrials(pb.ReportTrialsRequest(
        campaign_id=campaign.id, results=[missing])))
    assert code == INVALID and "no value for objective 'f'" in details[
        "violations"]["results[0].outputs"]
    code, details = await refused(s.ReportTrials(pb.ReportTrialsRequest(
        campaign_id=campaign.id, results=[pb.TrialResult(number=7, failed=True)])))
    assert code == INVALID and "no such trial" in details["violations"]["results[0].number"]
    got = (await s.GetCampaign(pb.GetCampaignRequest(campaign_id=campaign.id))).campaign
    assert [t.state for t in got.trials] == [campaign_pb2.TRIAL_STATE_PENDING]
    after = len((await s.ListCampaigns(pb.ListCampaignsRequest())).campaigns)
    assert after == before + 1
    await s.DeleteCampaign(pb.DeleteCampaignRequest(campaign_id=campaign.id))
    code, _ = await refused(s.GetCampaign(pb.GetCampaignRequest(campaign_id=campaign.id)))
    assert code == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("request_id", ["retry-1"])
async def test_request_id_creates_one_campaign(served: Served, request_id: str) -> None:
    request = pb.CreateCampaignRequest(spec=spec(**BOWL), request_id=request_id)
    first = (await stub(served).CreateCampaign(request)).campaign
    second = (await stub(served).CreateCampaign(request)).campaign
    assert first.id == second.id


async def test_list_campaigns_pages_newest_first(served: Served) -> None:
    made = [(await create(served, **BOWL)).id for _ in range(3)]
    first = await stub(served).ListCampaigns(pb.ListCampaignsRequest(page_size=2))
    assert [c.id for c in first.campaigns] == made[::-1][:2] and first.next_page_token
    assert not first.campaigns[0].trials  # the list leaves trials out
    second = await stub(served).ListCampaigns(pb.ListCampaignsRequest(
        page_size=2, page_token=first.next_page_token))
    assert [c.id for c in second.campaigns] == [made[0]] and not second.next_page_token
    code, details = await refused(stub(served).ListCampaigns(pb.ListCampaignsRequest(
        page_token=first.next_page_token, run_id="other")))
    assert code == INVALID and details["reason"] == "INVALID_PAGE_TOKEN"


class _Renamed(OptunaAdapter):
    """Optuna under another name: an optimizer installed only for the first server."""

    name = "elsewhere"


async def test_a_campaign_whose_optimizer_is_gone(serve_deck: ServeDeck,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Registry, "installed", classmethod(
        lambda cls: cls([OptunaAdapter(), _Renamed()])))
    first = await serve_deck()
    campaign = await create(first, **{**BOWL, "optimizer": "elsewhere"})
    await first.close()
    monkeypatch.undo()

    second = await serve_deck(data_dir=first.data_dir)
    got = (await stub(second).GetCampaign(pb.GetCampaignRequest(
        campaign_id=campaign.id))).campaign
    assert got.spec.optimizer == "elsewhere"  # still readable
    code, details = await refused(stub(second).SuggestTrials(pb.SuggestTrialsRequest(
        campaign_id=campaign.id)))
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert details["reason"] == "OPTIMIZER_NOT_INSTALLED"
