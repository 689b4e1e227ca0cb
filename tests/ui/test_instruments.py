"""Instruments page: typed forms, calls, errors, busy indicator, per-user layout."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui.testing import User

from tests.fixtures.runs import call, create_run, deck_module, save_workflow
from tests.fixtures.server import Served
from tests.ui.conftest import eventually, logged_in, table_rows


async def test_a_method_is_called_from_its_form(user: User) -> None:
    await logged_in(user)
    await user.should_see(marker="param-lab-add-a")
    assert user.find("param-lab-add-b").elements.pop().value == 1  # the default, filled in
    user.find("param-lab-add-a").type("41")
    user.find("run-lab-add").click()
    await user.should_see("Result: 42", retries=100)
    assert ("add", (41, 1)) in deck_module().lab.calls
    await eventually(lambda: table_rows(user, "recent-calls")[0]["call"] == "lab.add")
    assert table_rows(user, "recent-calls")[0]["arguments"] == "a=41, b=1"


async def test_bad_values_show_errors(user: User) -> None:
    await logged_in(user)
    user.find("run-lab-measure").click()  # x is required and empty
    await user.should_see("x: is required")
    user.find("param-lab-add-a").type("1.5")
    user.find("run-lab-add").click()
    await user.should_see("a: must be a whole number")
    deck_module().lab.failures_left = 1
    user.find("run-lab-fragile").click()
    await user.should_see("the fragile instrument failed", retries=100)


async def test_enum_parameters_get_a_dropdown(user: User) -> None:
    await logged_in(user)
    select = user.find("param-lab-paint-color").elements.pop()
    assert list(select.options) == ["RED", "BLUE"]
    user.find("param-lab-paint-color").click()
    user.find("BLUE").click()
    user.find("run-lab-paint").click()
    await user.should_see("Result: blue", retries=100)


async def test_a_run_holding_the_deck_shows_busy_and_disables_run(user: User,
                                                                  ui_server: Served) -> None:
    await logged_in(user)
    await user.should_not_see(marker="busy-banner")
    lab = deck_module().lab
    lab.gate.clear()
    await save_workflow(ui_server.channel, "holding", [call("hold")])
    await create_run(ui_server.channel, "holding")
    await user.should_see("holds the deck", retries=100)
    assert not user.find("run-lab-add").elements.pop().enabled
    lab.gate.set()
    await user.should_not_see(marker="busy-banner", retries=100)
    assert user.find("run-lab-add").elements.pop().enabled


async def test_methods_can_be_hidden_and_reordered_per_user(user: User) -> None:
    await logged_in(user)
    user.find("hide-lab-measure").click()
    await user.should_not_see(marker="method-lab-measure")
    await user.should_see(marker="unhide-lab-measure")
    user.find("down-lab-add").click()
    await user.open("/instruments")  # kept across a reload
    await user.should_not_see(marker="method-lab-measure")
    order = [m for e in user.find(marker="instrument-lab").elements
             for m in e.descendants() if any(k.startswith("method-") for k in m._markers)]
    names = [next(k for k in m._markers if k.startswith("method-")) for m in order]
    assert names.index("method-lab-pair") < names.index("method-lab-add")
    user.find("unhide-lab-measure").click()
    await user.should_see(marker="method-lab-measure")


async def test_viewers_see_the_forms_but_cannot_run(
        user: User, account: Callable[[str], Awaitable[tuple[str, str]]]) -> None:
    name, password = await account("viewer")
    await logged_in(user, name, password)
    await user.should_see(marker="param-lab-add-a")
    assert not user.find("run-lab-add").elements.pop().enabled
