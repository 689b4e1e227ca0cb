"""Data page: runs made through the API, their detail, plot, CSV downloads and delete."""

from __future__ import annotations

import csv
import io

from nicegui.testing import User

from tests.fixtures.runs import call, create_run, finish, mode, par, save_workflow
from tests.fixtures.server import Served
from tests.ui.conftest import eventually, logged_in, table_rows


async def _finished_run(server: Served) -> str:
    await save_workflow(server.channel, "doubling",
                        [call("measure", x=par("x"), save_as=["y"])])
    run = await create_run(server.channel, "doubling",
                           mode=mode(rows=[{"x": 1.5}, {"x": 4}]))
    await finish(server.channel, run.id)
    return run.id


async def test_a_finished_run_is_listed_and_its_detail_shows_steps(user: User,
                                                                   ui_server: Served) -> None:
    run_id = await _finished_run(ui_server)
    await logged_in(user, path="/data")
    await eventually(lambda: [(r["name"], r["state"]) for r in table_rows(user, "runs-table")]
                     == [("doubling", "succeeded")])
    await user.open(f"/data/{run_id}")
    await user.should_see(marker="run-plot", retries=100)
    await user.should_see(marker="phase-main-2")
    steps = table_rows(user, "steps-main-1")
    assert [(s["step"], s["arguments"], s["output"]) for s in steps] == [
        ("lab.measure", "x=1.5", "3")]
    assert table_rows(user, "steps-main-2")[0]["output"] == "8"


async def test_csv_downloads(user: User, ui_server: Served) -> None:
    run_id = await _finished_run(ui_server)
    await logged_in(user, path=f"/data/{run_id}")
    await user.should_see(marker="download-results", retries=100)
    user.find("download-results").click()
    response = await user.download.next(timeout=10)
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [float(r["y"]) for r in rows] == [3.0, 8.0]
    user.find("download-steps").click()
    response = await user.download.next(timeout=10)
    assert "measure" in response.text


async def test_admin_deletes_a_run(user: User, ui_server: Served) -> None:
    run_id = await _finished_run(ui_server)
    await logged_in(user, path=f"/data/{run_id}")
    await user.should_see(marker="delete-run", retries=100)
    user.find("delete-run").click()
    await user.should_see(marker="confirm-yes")
    user.find("confirm-yes").click()
    await eventually(lambda: user.back_history[-1] == "/data")
    await user.should_see(marker="runs-table", retries=100)
    assert table_rows(user, "runs-table") == []
