"""The Campaigns page end to end: a suggest-only campaign arranged through the API, shown in
headless Chromium with its progress chart, best trial and pending experiments; the test also
refreshes `docs/screenshots/campaigns.png`.
"""

from __future__ import annotations

import math
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from playwright.sync_api import Page, expect

from ivorygrpc.v1 import auth_service_pb2, auth_service_pb2_grpc, campaign_pb2
from ivorygrpc.v1 import campaign_service_pb2 as cpb
from ivorygrpc.v1 import campaign_service_pb2_grpc as cgrpc
from tests.e2e.conftest import ADMIN_PASSWORD, E2eServer, log_in, save_screenshot

pytestmark = pytest.mark.e2e

NAME = "Suzuki coupling yield"
SPEC = {"optimizer": "optuna", "seed": 11, "settings": {"n_startup_trials": 5},
        "parameters": [
            {"name": "temperature", "range": {"low": 40, "high": 120, "step": 2,
                                              "number_type": "NUMBER_TYPE_INT"}},
            {"name": "catalyst_loading", "range": {"low": 0.5, "high": 5, "log_scale": True}},
            {"name": "solvent", "choice": {"values": ["toluene", "dioxane", "DMF"]}}],
        "objectives": [{"name": "yield", "direction": "OBJECTIVE_DIRECTION_MAXIMIZE",
                        "threshold": 97}]}
ROUNDS, BATCH = 5, 3


def _yield_of(parameters: dict[str, Any]) -> float:
    """A made-up but smooth yield surface: best near 92 °C, 2.2 mol% and dioxane."""
    solvent = {"toluene": 0, "dioxane": 8, "DMF": -6}[parameters["solvent"]]
    temperature, loading = float(parameters["temperature"]), float(parameters["catalyst_loading"])
    value = (88 - ((temperature - 92) / 14) ** 2 * 9
             - (math.log(loading) - math.log(2.2)) ** 2 * 14 + solvent)
    return round(max(0.0, value), 1)


def _arrange(target: str) -> tuple[str, float]:
    """A suggest-only campaign: ROUNDS reported batches (one failure) and one pending batch.

    Returns the campaign id and the best reported yield."""
    with grpc.insecure_channel(target) as channel:
        login = auth_service_pb2_grpc.AuthServiceStub(channel).Login(
            auth_service_pb2.LoginRequest(username="admin", password=ADMIN_PASSWORD))
        auth = (("authorization", f"Bearer {login.token}"),)
        stub = cgrpc.CampaignServiceStub(channel)
        campaign = stub.CreateCampaign(cpb.CreateCampaignRequest(
            display_name=NAME, spec=json_format.ParseDict(SPEC, campaign_pb2.CampaignSpec())),
            metadata=auth).campaign
        best = 0.0
        for round_ in range(ROUNDS):
            trials = stub.SuggestTrials(cpb.SuggestTrialsRequest(
                campaign_id=campaign.id, count=BATCH), metadata=auth).trials
            results = []
            for trial in trials:
                if round_ == 1 and trial.number % 3 == 0:
                    results.append(cpb.TrialResult(number=trial.number, failed=True,
                                                   error="catalyst precipitated"))
                    continue
                value = _yield_of(json_format.MessageToDict(trial.parameters))
                best = max(best, value)
                result = cpb.TrialResult(number=trial.number)
                result.outputs.update({"yield": value})
                results.append(result)
            stub.ReportTrials(cpb.ReportTrialsRequest(campaign_id=campaign.id, results=results),
                              metadata=auth)
        stub.SuggestTrials(cpb.SuggestTrialsRequest(campaign_id=campaign.id, count=BATCH),
                           metadata=auth)
        return campaign.id, best


def test_the_campaigns_page_shows_a_campaign(page: Page, e2e_server: E2eServer) -> None:
    campaign_id, best = _arrange(e2e_server.grpc_target)
    page.set_viewport_size({"width": 1440, "height": 1280})
    log_in(page, e2e_server.url, f"/campaigns/{campaign_id}")
    expect(page.get_by_text(NAME).first).to_be_visible()
    expect(page.get_by_text(f"Trials ({(ROUNDS + 1) * BATCH})")).to_be_visible()
    expect(page.get_by_text("Next experiments")).to_be_visible()
    expect(page.get_by_text("catalyst precipitated").first).to_be_visible()
    best_so_far = page.locator(".q-card", has_text="Best so far")
    expect(best_so_far.get_by_text(f"yield={best:g}")).to_be_visible()
    expect(page.locator("[_echarts_instance_]").first).to_be_visible()
    page.wait_for_timeout(1000)  # only for the picture: the chart's entry animation
    save_screenshot(page, "campaigns")
