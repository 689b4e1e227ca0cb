"""Operator prompts on every page: the frame hosts them, any tab answers, all tabs close."""

from __future__ import annotations

from collections.abc import Callable

from nicegui.testing import User

from tests.fixtures.runs import call, create_run, finish, mode, par, save_workflow
from tests.fixtures.server import Served
from tests.ui.conftest import logged_in

PAUSE = {"pause": {"message": "Load the vials"}}


async def test_a_prompt_shows_on_any_page_and_one_answer_closes_it_everywhere(
        user: User, create_user: Callable[[], User], ui_server: Served) -> None:
    await save_workflow(ui_server.channel, "paused", [PAUSE, call("measure", x=par("x"))])
    data = create_user()
    await logged_in(user, path="/instruments")
    await logged_in(data, path="/data")
    run = await create_run(ui_server.channel, "paused", display_name="shared run",
                           mode=mode(repeat=1, parameters={"x": 3}))
    for tab in (user, data):
        await tab.should_see(marker="prompt-message", retries=100)
        await tab.should_see("Load the vials")
        await tab.should_see("shared run · iteration 1")
    user.find("prompt-answer").click()  # answered on the Instruments page
    await data.should_not_see(marker="prompt-message", retries=100)  # closed on Data
    await user.should_not_see(marker="prompt-message", retries=100)
    await finish(ui_server.channel, run.id)


async def test_a_page_opened_during_a_prompt_shows_it(user: User, ui_server: Served) -> None:
    await save_workflow(ui_server.channel, "paused", [PAUSE])
    await logged_in(user, path="/library")
    run = await create_run(ui_server.channel, "paused", display_name="waiting run")
    await user.should_see(marker="prompt-message", retries=100)
    await user.open("/design")  # a new page while the run still waits
    await user.should_see("waiting run · iteration 1", retries=100)
    user.find("prompt-answer").click()
    await user.should_not_see(marker="prompt-message", retries=100)
    await finish(ui_server.channel, run.id)
