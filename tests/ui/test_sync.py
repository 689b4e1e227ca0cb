"""Several browsers stay in sync through the event hub (no polling)."""

from __future__ import annotations

from collections.abc import Callable

from nicegui.testing import User

from tests.fixtures.runs import call, create_run, deck_module, save_workflow
from tests.fixtures.server import Served
from tests.ui.conftest import eventually, logged_in, table_rows


async def test_a_run_shows_live_in_two_browsers(user: User, create_user: Callable[[], User],
                                                ui_server: Served) -> None:
    await logged_in(user, path="/data")
    other = create_user()
    await logged_in(other, path="/instruments")
    lab = deck_module().lab
    lab.gate.clear()
    await save_workflow(ui_server.channel, "holding", [call("hold")])
    await create_run(ui_server.channel, "holding")

    def states() -> list[str]:
        return [r["state"] for r in table_rows(user, "runs-table")]

    await eventually(lambda: states() == ["running"])
    await other.should_see("holds the deck", retries=100)
    lab.gate.set()
    await eventually(lambda: states() == ["succeeded"])
    await other.should_not_see(marker="busy-banner", retries=100)
