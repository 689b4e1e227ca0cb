"""The browser UI end to end, in headless Chromium against `ivorygrpc serve`.

One scientist's session: log in, call an instrument from its form, build a workflow with an
if-block and a `#parameter`, run it with a two-row parameter table, answer its input
prompts, watch it finish and open its plot. Then two tabs: a run started in one shows live
in the other; and real HTML5 drag and drop in the editor. The tests also refresh
`docs/screenshots/` (one picture per page).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.e2e.conftest import log_in, save_screenshot

pytestmark = pytest.mark.e2e

WORKFLOW = "dose_and_check"


def card(page: Page, text: str) -> Locator:
    """The innermost step card showing `text`."""
    return page.locator(".ig-step", has_text=text).last


def edit_step(page: Page, text: str) -> None:
    page.locator(".ig-step", has_text=text).last.get_by_role(
        "button", name="Edit step").first.click()


def build_workflow(page: Page) -> None:
    """dose_solid(amount_mg=#amount) → mass; if mass > 4: dispense(2); ask for a value."""
    page.get_by_role("button", name="Add dose_solid").click()
    edit_step(page, "sdl.dose_solid")
    page.get_by_role("button", name="Use a run parameter or variable for amount_mg").click()
    page.get_by_label("amount_mg (mg) · #parameter or =variable").fill("#amount")
    page.get_by_label("variable name").fill("mass")
    page.get_by_role("button", name="Apply").click()
    expect(card(page, "→ mass")).to_contain_text("amount_mg=#amount")

    page.get_by_role("button", name="Add If / else").click()
    edit_step(page, "if True")
    page.get_by_label("Condition").fill("mass > 4")
    page.get_by_role("button", name="Apply").click()

    page.get_by_role("button", name="Add dispense").click()
    expect(page.get_by_text("volume_ml is required")).to_be_visible()  # live validation
    edit_step(page, "pump.dispense")
    page.get_by_label("volume_ml (mL) *", exact=True).fill("2")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("volume_ml is required")).to_have_count(0)
    card(page, "pump.dispense").get_by_role("button", name="Move into the block above").click()
    expect(card(page, "if mass > 4")).to_contain_text("pump.dispense(flow_rate=1, volume_ml=2)")

    page.get_by_role("button", name="Add Ask for input").click()
    expect(page.get_by_text("Ready to run")).to_be_visible()


def test_a_scientists_session(page: Page, ui_url: str) -> None:
    page.goto(f"{ui_url}/login")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    save_screenshot(page, "login")
    log_in(page, ui_url)

    dispense = page.locator(".q-card").filter(has_text="Dispense a volume at a flow rate")
    dispense.get_by_label("volume_ml (mL) *").fill("1.5")
    dispense.get_by_role("button", name="Run").click()
    expect(dispense.get_by_text("Result: 1.5")).to_be_visible()
    save_screenshot(page, "instruments")

    page.goto(f"{ui_url}/design")
    build_workflow(page)
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_label("Name").fill(WORKFLOW)
    page.get_by_label("Title").fill("Dose and check")
    page.get_by_role("button", name="Save", exact=True).last.click()
    expect(page.get_by_text(f"Saved {WORKFLOW} version 1")).to_be_visible()
    save_screenshot(page, "design")

    page.goto(f"{ui_url}/execute?workflow={WORKFLOW}")
    page.get_by_role("tab", name="Parameter table").click()
    page.get_by_role("button", name="Add row").click()
    cells = page.locator("table input")
    expect(cells).to_have_count(2)
    cells.nth(0).fill("5")
    cells.nth(1).fill("3")
    page.get_by_role("button", name="Queue run").click()
    for iteration, answer in ((1, "7"), (2, "8")):
        prompt = page.locator(".q-dialog", has_text=f"iteration {iteration}")
        expect(prompt.get_by_text("Enter a value")).to_be_visible()
        if iteration == 2:
            save_screenshot(page, "execute-prompt")
        prompt.get_by_label("Answer (a number)").fill(answer)
        prompt.get_by_role("button", name="Submit").click()
        expect(prompt).to_have_count(0)
    expect(page.locator(".q-badge", has_text="succeeded")).to_be_visible()
    expect(page.get_by_text("Answered by admin: 8")).to_be_visible()
    save_screenshot(page, "execute")

    page.get_by_role("link", name="Open in Data").click()
    expect(page.locator(".echarts, [_echarts_instance_]").first).to_be_visible()
    save_screenshot(page, "data")

    page.goto(f"{ui_url}/library")
    expect(page.get_by_text(WORKFLOW).first).to_be_visible()
    save_screenshot(page, "library")


def test_a_run_started_in_one_tab_shows_live_in_the_other(context: BrowserContext,
                                                          ui_url: str) -> None:
    first = context.new_page()
    log_in(first, ui_url, "/design")
    first.get_by_role("button", name="Add Ask for input").click()
    first.get_by_role("button", name="Save", exact=True).click()
    first.get_by_label("Name").fill("ask_once")
    first.get_by_role("button", name="Save", exact=True).last.click()
    expect(first.get_by_text("Saved ask_once version 1")).to_be_visible()
    first.goto(f"{ui_url}/execute?workflow=ask_once")
    second = context.new_page()  # the same browser: already logged in
    second.goto(f"{ui_url}/execute")
    expect(second.get_by_text("Live run")).to_be_visible()

    first.get_by_label("Run name").fill("two tabs")
    first.get_by_role("button", name="Queue run").click()

    for tab in (first, second):  # both show the run and its prompt
        expect(tab.locator(".q-dialog", has_text="two tabs")).to_be_visible()
    second.get_by_label("Answer (a number)").fill("1")
    second.get_by_role("button", name="Submit").click()
    for tab in (first, second):  # answered in one: closed in both
        expect(tab.locator(".q-dialog", has_text="two tabs")).to_have_count(0)
        expect(tab.locator(".q-badge", has_text="succeeded")).to_be_visible()
        expect(tab.get_by_text("two tabs").first).to_be_visible()


def test_drag_and_drop_in_the_browser(page: Page, ui_url: str) -> None:
    log_in(page, ui_url, "/design")
    page.get_by_role("button", name="Add Repeat").click()
    page.get_by_role("button", name="Add Wait").click()
    expect(page.locator(".ig-step")).to_have_count(2)
    page.locator(".ig-step", has_text="wait 1 s").drag_to(  # a card into a block
        page.get_by_text("Empty: drop or add steps here"))
    expect(card(page, "repeat 2 times").locator(".ig-step", has_text="wait 1 s")) \
        .to_have_count(1)
    page.locator(".cursor-grab", has_text="Comment").drag_to(  # a palette entry before a card
        card(page, "repeat 2 times"))
    expect(page.locator(".ig-step").first).to_contain_text("# Note")
    page.keyboard.press("Control+z")  # undo the drop
    expect(page.locator(".ig-step", has_text="# Note")).to_have_count(0)
    page.keyboard.press("Control+y")
    expect(page.locator(".ig-step").first).to_contain_text("# Note")


def test_unsaved_edits_ask_before_leaving(context: BrowserContext, ui_url: str) -> None:
    question = "Leave this page? The unsaved changes are lost."
    first = context.new_page()
    log_in(first, ui_url, "/design")
    first.get_by_role("button", name="Add Comment").click()
    first.get_by_role("button", name="Library").click()
    expect(first.get_by_text(question)).to_be_visible()
    first.get_by_role("button", name="Cancel").click()
    expect(first.locator(".ig-step")).to_have_count(1)  # stayed, the edit is kept
    with first.expect_event("dialog") as closing:
        first.close(run_before_unload=True)
    assert closing.value.type == "beforeunload"  # the browser's own question
    closing.value.accept()

    second = context.new_page()
    second.goto(f"{ui_url}/design")
    second.get_by_role("button", name="Add Comment").click()
    second.get_by_role("button", name="Library").click()
    second.get_by_role("button", name="Leave").click()
    second.wait_for_url("**/library")  # a second (browser) question would stop this
