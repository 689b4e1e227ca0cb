"""Refresh docs/screenshots/campaigns.png: the Campaigns page of a real `ivorygrpc serve`.

Serves `tests/decks/campaign_deck.py` in a subprocess (gRPC and UI on free ports, a
temporary data folder), arranges a suggest-only campaign with 15 reported trials and 3
pending ones plus a campaign run through the API, then opens the campaign in headless
Debian Chromium (Playwright) and saves the screenshot. Run from the repository root:

    python scripts/screenshot_campaigns.py [OUT_DIR]
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format
from playwright.sync_api import expect, sync_playwright

from ivorygrpc.v1 import (
    auth_service_pb2,
    auth_service_pb2_grpc,
    campaign_pb2,
    run_pb2,
    workflow_pb2,
)
from ivorygrpc.v1 import campaign_service_pb2 as cpb
from ivorygrpc.v1 import campaign_service_pb2_grpc as cgrpc
from ivorygrpc.v1 import design_service_pb2 as dpb
from ivorygrpc.v1 import design_service_pb2_grpc as dgrpc
from ivorygrpc.v1 import execute_service_pb2 as epb
from ivorygrpc.v1 import execute_service_pb2_grpc as egrpc

ROOT = Path(__file__).resolve().parent.parent
DECK = ROOT / "tests" / "decks" / "campaign_deck.py"
PASSWORD = "screenshot-admin-password"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SPEC = {"optimizer": "optuna", "seed": 11, "settings": {"n_startup_trials": 5},
        "parameters": [
            {"name": "temperature", "range": {"low": 40, "high": 120, "step": 2,
                                              "number_type": "NUMBER_TYPE_INT"}},
            {"name": "catalyst_loading", "range": {"low": 0.5, "high": 5, "log_scale": True}},
            {"name": "solvent", "choice": {"values": ["toluene", "dioxane", "DMF"]}}],
        "objectives": [{"name": "yield", "direction": "OBJECTIVE_DIRECTION_MAXIMIZE",
                        "threshold": 97}]}
BOWL = {"name": "bowl", "main": [{"call": {
    "instrument": "bench", "method": "bowl", "save_as": ["f"],
    "arguments": {"x": {"parameter": "x"}, "y": {"parameter": "y"}}}}]}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _yield_of(parameters: dict[str, Any]) -> float:
    """A made-up but smooth yield surface: best near 92 °C, 2.2 mol% and dioxane."""
    solvent = {"toluene": 0, "dioxane": 8, "DMF": -6}[parameters["solvent"]]
    temperature, loading = float(parameters["temperature"]), float(parameters["catalyst_loading"])
    value = (88 - ((temperature - 92) / 14) ** 2 * 9
             - (math.log(loading) - math.log(2.2)) ** 2 * 14 + solvent)
    return round(max(0.0, value), 1)


async def _arrange(address: str) -> str:
    """A campaign run of `bowl` and a suggest-only campaign; returns the latter's id."""
    async with grpc.aio.insecure_channel(address) as channel:
        login = await auth_service_pb2_grpc.AuthServiceStub(channel).Login(
            auth_service_pb2.LoginRequest(username="admin", password=PASSWORD))
        auth = (("authorization", f"Bearer {login.token}"),)
        await dgrpc.DesignServiceStub(channel).CreateWorkflow(dpb.CreateWorkflowRequest(
            workflow=json_format.ParseDict(BOWL, workflow_pb2.Workflow())), metadata=auth)
        objective = {"name": "f", "direction": "OBJECTIVE_DIRECTION_MINIMIZE"}
        mode = json_format.ParseDict({"campaign": {"iterations": 6, "spec": {
            "seed": 2, "objectives": [objective]}}}, run_pb2.RunMode())
        await egrpc.ExecuteServiceStub(channel).CreateRun(epb.CreateRunRequest(
            workflow="bowl", display_name="bowl optimisation", mode=mode), metadata=auth)
        stub = cgrpc.CampaignServiceStub(channel)
        campaign = (await stub.CreateCampaign(cpb.CreateCampaignRequest(
            display_name="Suzuki coupling yield",
            spec=json_format.ParseDict(SPEC, campaign_pb2.CampaignSpec())),
            metadata=auth)).campaign
        for round_ in range(5):
            trials = (await stub.SuggestTrials(cpb.SuggestTrialsRequest(
                campaign_id=campaign.id, count=3), metadata=auth)).trials
            results = []
            for trial in trials:
                if round_ == 1 and trial.number % 3 == 0:
                    results.append(cpb.TrialResult(number=trial.number, failed=True,
                                                   error="catalyst precipitated"))
                    continue
                result = cpb.TrialResult(number=trial.number)
                result.outputs.update(
                    {"yield": _yield_of(json_format.MessageToDict(trial.parameters))})
                results.append(result)
            await stub.ReportTrials(cpb.ReportTrialsRequest(campaign_id=campaign.id,
                                                            results=results), metadata=auth)
        await stub.SuggestTrials(cpb.SuggestTrialsRequest(campaign_id=campaign.id, count=3),
                                 metadata=auth)
        return campaign.id


def _shoot(url: str, campaign_id: str, out: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1440, "height": 1280}).new_page()
        page.goto(f"{url}/login?next=/campaigns/{campaign_id}")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"**/campaigns/{campaign_id}")
        expect(page.get_by_text("Next experiments")).to_be_visible()
        page.wait_for_timeout(1500)  # the chart's entry animation
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / "campaigns.png"))
        browser.close()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    with tempfile.TemporaryDirectory(prefix="ivorygrpc-screenshot-") as folder:
        grpc_port, ui_port = _free_port(), _free_port()
        log = Path(folder) / "serve.log"
        with log.open("wb") as output:
            server = subprocess.Popen(
                [sys.executable, "-m", "ivorygrpc", "serve", str(DECK), "--port", str(grpc_port),
                 "--ui-port", str(ui_port), "--data-dir", str(Path(folder) / "data")],
                stdout=output, stderr=subprocess.STDOUT, cwd=folder,
                env={**os.environ, "IVORYGRPC_ADMIN_PASSWORD": PASSWORD})
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(OSError), \
                        socket.create_connection(("127.0.0.1", ui_port), 0.5):
                    break
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"ivorygrpc serve did not start:\n{log.read_text()}")
                time.sleep(0.2)
            campaign_id = asyncio.run(_arrange(f"127.0.0.1:{grpc_port}"))
            _shoot(f"http://127.0.0.1:{ui_port}", campaign_id, out)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print(f"saved {out / 'campaigns.png'}")


if __name__ == "__main__":
    main()
