"""Design page: leaving with unsaved edits (another page, another workflow, the tab) asks."""

from __future__ import annotations

from nicegui.testing import User

from tests.fixtures.runs import call, par, save_workflow
from tests.fixtures.server import Served
from tests.ui.conftest import eventually, logged_in

QUESTION = "Leave this page? The unsaved changes are lost."


def tab_would_ask(user: User) -> bool:
    """Whether the page's ``beforeunload`` handler would ask (it looks for this attribute)."""
    return "data-unsaved" in user.find("unsaved-flag").elements.pop().props


async def test_navigating_away_with_unsaved_edits_asks_first(user: User) -> None:
    await logged_in(user, path="/design")
    user.find("nav-instruments").click()  # nothing to lose: no question
    await eventually(lambda: user.back_history[-1] == "/instruments")
    user.find("nav-design").click()
    await eventually(lambda: user.back_history[-1] == "/design")
    await user.should_see("Ready to run", retries=50)
    assert not tab_would_ask(user)
    user.find("palette-comment").click()
    await user.should_see(marker="workflow-dirty")
    await eventually(lambda: tab_would_ask(user))
    user.find("nav-data").click()
    await user.should_see(QUESTION)
    user.find("confirm-no").click()  # stay: the edit is still there
    await user.should_not_see(QUESTION)
    await user.should_see(marker="step-1")
    assert user.back_history[-1] == "/design"
    user.find("nav-data").click()
    await user.should_see(QUESTION)
    user.find("confirm-yes").click()
    await eventually(lambda: user.back_history[-1] == "/data")


async def test_saving_clears_the_question(user: User) -> None:
    await logged_in(user, path="/design")
    user.find("palette-comment").click()
    await eventually(lambda: tab_would_ask(user))
    user.find("workflow-save").click()
    await user.should_see(marker="workflow-name")
    user.find("workflow-name").type("noted")
    user.find("name-save").click()
    await user.should_see("Saved noted version 1", retries=50)
    await eventually(lambda: not tab_would_ask(user))
    user.find("nav-library").click()  # saved: leaves without asking
    await eventually(lambda: user.back_history[-1] == "/library")


async def test_opening_another_version_with_unsaved_edits_asks_first(user: User,
                                                                     ui_server: Served) -> None:
    await save_workflow(ui_server.channel, "dose", [call("measure", x=par("v"))])
    await logged_in(user, path="/design?workflow=dose")
    await user.should_see("lab.measure(x=#v)", retries=50)
    user.find("palette-comment").click()
    await user.should_see(marker="step-2")
    user.find("workflow-versions").click()
    await user.should_see(marker="open-version-1", retries=50)
    user.find("open-version-1").click()
    await user.should_see("Discard the unsaved changes?")
    user.find("confirm-no").click()
    await user.should_see(marker="step-2")  # the draft stays
    await user.should_not_see("Opened version 1")
    user.find("workflow-versions").click()
    await user.should_see(marker="open-version-1", retries=50)
    user.find("open-version-1").click()
    user.find("confirm-yes").click()
    await user.should_see("Opened version 1", retries=50)
    await user.should_not_see(marker="step-2")
