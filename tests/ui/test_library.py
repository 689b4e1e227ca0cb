"""Library page: list, search, order, pages, open, copy, delete."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui.testing import User

from tests.fixtures.runs import call, save_workflow
from tests.fixtures.server import Served
from tests.ui.conftest import eventually, logged_in


def _names(user: User) -> list[str]:
    cards = user.find(marker="library-list").elements.pop().descendants()
    return [m.removeprefix("workflow-") for card in cards for m in card._markers
            if m.startswith("workflow-")]


async def test_search_order_pages_and_open(user: User, ui_server: Served) -> None:
    for index in range(12):
        await save_workflow(ui_server.channel, f"wf{index:02d}",
                            [call("measure", x={"literal": 1})],
                            description="titration" if index == 3 else "")
    await logged_in(user, path="/library")
    await user.should_see(marker="workflow-wf00", retries=100)
    user.find("library-size").elements.pop().value = 10
    await eventually(lambda: _names(user) == [f"wf{i:02d}" for i in range(10)])
    user.find("library-next").click()
    await user.should_see(marker="workflow-wf11", retries=100)
    user.find("library-previous").click()
    await user.should_see(marker="workflow-wf00", retries=100)
    user.find("library-order").elements.pop().value = "update_time desc"
    await eventually(lambda: _names(user)[:2] == ["wf11", "wf10"])
    user.find("library-search").type("titration")
    await eventually(lambda: _names(user) == ["wf03"])
    assert user.find("open-wf03").elements.pop().props["href"] == "/design?workflow=wf03"
    user.find("runs-wf03").click()
    await eventually(lambda: user.back_history[-1] == "/data?workflow=wf03")
    assert user.find("runs-workflow").elements.pop().value == "wf03"


async def test_copy_and_delete(user: User, ui_server: Served) -> None:
    await save_workflow(ui_server.channel, "original", [call("measure", x={"literal": 1})])
    await logged_in(user, path="/library")
    user.find("copy-original").click()
    await user.should_see(marker="copy-input")
    user.find("copy-input").clear().type("duplicate")
    user.find("copy-save").click()
    await user.should_see(marker="workflow-duplicate", retries=100)
    user.find("delete-original").click()
    await user.should_see(marker="confirm-yes")
    user.find("confirm-yes").click()
    await eventually(lambda: _names(user) == ["duplicate"])


async def test_operators_copy_but_do_not_delete(
        user: User, ui_server: Served,
        account: Callable[[str], Awaitable[tuple[str, str]]]) -> None:
    await save_workflow(ui_server.channel, "shared", [call("measure", x={"literal": 1})])
    name, password = await account("operator")
    await logged_in(user, name, password, path="/library")
    await user.should_see(marker="copy-shared", retries=100)
    await user.should_not_see(marker="delete-shared")
