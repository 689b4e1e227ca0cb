"""Campaigns page: suggest-only campaigns from the schema-built form, suggestions, results,
best so far and Pareto front, live updates in a second browser, and a campaign run's
progress plot on the Data page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from nicegui.testing import User

from ivorygrpc.v1 import campaign_pb2, campaign_service_pb2, campaign_service_pb2_grpc
from tests.fixtures.campaigns import campaign_mode, maximize, minimize, rng, spec
from tests.fixtures.runs import create_run, finish
from tests.fixtures.server import Served, ServeDeck
from tests.ui.campaign_fixtures import campaign_deck_served
from tests.ui.conftest import eventually, logged_in, table_rows


@pytest.fixture
async def ui_server(serve_deck: ServeDeck) -> Served:
    """The campaign deck instead of the run deck."""
    return await campaign_deck_served(serve_deck)


def _stub(server: Served) -> campaign_service_pb2_grpc.CampaignServiceAsyncStub:
    return campaign_service_pb2_grpc.CampaignServiceStub(server.channel)


async def _campaigns(server: Served) -> list[campaign_pb2.Campaign]:
    reply = await _stub(server).ListCampaigns(campaign_service_pb2.ListCampaignsRequest())
    return list(reply.campaigns)


async def _get(server: Served, campaign_id: str) -> campaign_pb2.Campaign:
    reply = await _stub(server).GetCampaign(
        campaign_service_pb2.GetCampaignRequest(campaign_id=campaign_id))
    return reply.campaign


async def _suggest_only(server: Served, **spec_data: object) -> str:
    reply = await _stub(server).CreateCampaign(campaign_service_pb2.CreateCampaignRequest(
        display_name="by hand", spec=spec(**spec_data)))
    return reply.campaign.id


async def test_create_suggest_report_and_see_the_best(user: User, ui_server: Served) -> None:
    await logged_in(user, path="/campaigns/new")
    await user.should_see(marker="campaign-optimizer", retries=100)
    user.find("campaign-workflow").click()
    user.find("bowl").click()  # prefill #x, #y and the output f from GetParameterSpace
    await user.should_see(marker="campaign-low-y", retries=100)
    user.find("campaign-name-input").type("bowl study")
    user.find("campaign-seed").type("7")
    user.find("campaign-batch").clear().type("2")
    user.find("create-campaign").click()
    await user.should_see(marker="suggest-trials", retries=100)
    [created] = await _campaigns(ui_server)
    assert created.display_name == "bowl study" and created.spec.seed == 7
    assert [(p.name, p.range.low, p.range.high) for p in created.spec.parameters] == [
        ("x", -5, 5), ("y", -5, 5)]
    assert [(o.name, o.direction) for o in created.spec.objectives] == [
        ("f", campaign_pb2.OBJECTIVE_DIRECTION_MINIMIZE)]

    user.find("suggest-trials").click()  # the batch size (2) is the default count
    await user.should_see(marker="pending-2", retries=100)
    user.find("report-trials").click()
    await user.should_see("Enter the results of at least one trial.")
    user.find("result-1-f").type("3")
    user.find("result-2-f").type("1.5")
    user.find("report-trials").click()
    await eventually(lambda: [r["number"] for r in table_rows(user, "campaign-best")] == [2])
    await user.should_see(marker="campaign-best-plot")
    campaign = await _get(ui_server, created.id)
    assert [(t.state, t.objective_values["f"]) for t in campaign.trials] == [
        (campaign_pb2.TRIAL_STATE_COMPLETED, 3.0), (campaign_pb2.TRIAL_STATE_COMPLETED, 1.5)]
    await user.open("/campaigns")
    await eventually(lambda: [(r["name"], r["trials"]) for r in
                              table_rows(user, "campaigns-table")] == [("bowl study", 2)])


async def test_free_names_build_the_spec(user: User, ui_server: Served) -> None:
    await logged_in(user, path="/campaigns/new")
    await user.should_see(marker="campaign-optimizer", retries=100)
    user.find("create-campaign").click()
    await user.should_see("choose at least one objective")
    user.find("campaign-add-parameter").type("temp")
    user.find("campaign-add-parameter-button").click()
    await user.should_see(marker="campaign-low-temp")
    user.find("campaign-low-temp").clear().type("20")
    user.find("campaign-high-temp").clear().type("80")
    user.find("campaign-numbers-temp").click()
    user.find("whole").click()
    user.find("campaign-add-objective").type("yield")
    user.find("campaign-add-objective-button").click()
    await user.should_see(marker="campaign-direction-yield")
    user.find("campaign-direction-yield").click()
    user.find("maximize").click()
    user.find("create-campaign").click()
    await user.should_see(marker="suggest-trials", retries=100)
    [created] = await _campaigns(ui_server)
    [temp] = created.spec.parameters
    assert (temp.name, temp.range.low, temp.range.high, temp.range.number_type) == (
        "temp", 20, 80, campaign_pb2.NUMBER_TYPE_INT)
    assert [(o.name, o.direction) for o in created.spec.objectives] == [
        ("yield", campaign_pb2.OBJECTIVE_DIRECTION_MAXIMIZE)]


async def test_a_second_browser_sees_new_trials_live(user: User, ui_server: Served,
                                                     create_user: Callable[[], User]) -> None:
    campaign_id = await _suggest_only(ui_server, parameters=[rng("x", 0, 10)],
                                      objectives=[minimize("f")], seed=3)
    await logged_in(user, path=f"/campaigns/{campaign_id}")
    other = await logged_in(create_user(), path=f"/campaigns/{campaign_id}")
    await other.should_see("No pending trials", retries=100)
    user.find("suggest-trials").click()
    await other.should_see(marker="pending-1", retries=100)
    user.find("failed-1").click()
    user.find("reason-1").type("vial cracked")
    user.find("report-trials").click()
    await eventually(lambda: [(r["state"], r["note"]) for r in
                              table_rows(other, "campaign-trials")] ==
                     [("failed", "vial cracked")])
    await _stub(ui_server).SuggestTrials(campaign_service_pb2.SuggestTrialsRequest(
        campaign_id=campaign_id))  # another client (the API): both pages follow it
    await user.should_see(marker="pending-2", retries=100)
    await other.should_see(marker="pending-2", retries=100)


async def test_pareto_front_of_two_objectives(user: User, ui_server: Served) -> None:
    campaign_id = await _suggest_only(ui_server, parameters=[rng("x", -2, 4)],
                                      objectives=[minimize("a"), maximize("b")], seed=1)
    await logged_in(user, path=f"/campaigns/{campaign_id}")
    user.find("suggest-count").clear().type("3")
    user.find("suggest-trials").click()
    await user.should_see(marker="pending-3", retries=100)
    for number, (a, b) in enumerate(((1.0, 1.0), (2.0, 2.0), (3.0, 1.5)), start=1):
        user.find(f"result-{number}-a").type(str(a))
        user.find(f"result-{number}-b").type(str(b))
    user.find("report-trials").click()
    await user.should_see(marker="campaign-pareto-plot", retries=100)
    await user.should_see("Pareto front")
    assert sorted(r["number"] for r in table_rows(user, "campaign-best")) == [1, 2]


async def test_a_campaign_run_shows_its_progress_on_the_data_page(user: User,
                                                                  ui_server: Served) -> None:
    run = await create_run(ui_server.channel, "bowl", mode=campaign_mode(
        3, parameters=[rng("x", -5, 5), rng("y", -5, 5)], objectives=[minimize("f")], seed=5))
    await finish(ui_server.channel, run.id)
    await logged_in(user, path=f"/data/{run.id}")
    await user.should_see(marker="run-campaign", retries=100)
    await user.should_see(marker="campaign-best-plot")
    [campaign] = await _campaigns(ui_server)
    user.find("run-campaign-link").click()
    await eventually(lambda: user.back_history[-1] == f"/campaigns/{campaign.id}")
    await user.should_see(marker="campaign-run-link", retries=100)
    assert len(table_rows(user, "campaign-trials")) == 3
    await user.should_not_see(marker="suggest-trials")


def test_best_so_far_and_pareto_points() -> None:
    from ivorygrpc_ui.components.campaign_plot import best_so_far, pareto_points

    done = campaign_pb2.TRIAL_STATE_COMPLETED
    campaign = campaign_pb2.Campaign(trials=[
        campaign_pb2.Trial(number=1, state=done, feasible=True, objective_values={"f": 4}),
        campaign_pb2.Trial(number=2, state=campaign_pb2.TRIAL_STATE_FAILED),
        campaign_pb2.Trial(number=3, state=done, feasible=True, objective_values={"f": 6}),
        campaign_pb2.Trial(number=4, state=done, feasible=False, objective_values={"f": 0}),
        campaign_pb2.Trial(number=5, state=done, feasible=True, objective_values={"f": 2}),
    ])
    minimizing = campaign_pb2.Objective(name="f",
                                        direction=campaign_pb2.OBJECTIVE_DIRECTION_MINIMIZE)
    assert best_so_far(campaign, minimizing) == (
        [[1, 4], [3, 6], [5, 2]], [[1, 4], [3, 4], [5, 2]])
    maximizing = campaign_pb2.Objective(name="f",
                                        direction=campaign_pb2.OBJECTIVE_DIRECTION_MAXIMIZE)
    assert best_so_far(campaign, maximizing)[1] == [[1, 4], [3, 6], [5, 6]]

    two = campaign_pb2.Campaign(trials=[
        campaign_pb2.Trial(number=n, state=done, feasible=True,
                           objective_values={"a": a, "b": b})
        for n, a, b in ((1, 3, 1), (2, 1, 3), (3, 3, 3))])
    two.best_trials.extend([two.trials[0], two.trials[1]])
    assert pareto_points(two, "a", "b") == ([[3, 3, 3]], [[1, 3, 2], [3, 1, 1]])
