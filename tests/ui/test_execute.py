"""Execute page: queue runs from the form, answer prompts, the queue, two synced tabs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui
from nicegui.testing import User

from tests.fixtures.runs import (
    call,
    create_run,
    deck_module,
    finish,
    lit,
    mode,
    par,
    save_workflow,
)
from tests.fixtures.server import Served
from tests.ui.conftest import eventually, logged_in

ASK = {"input": {"name": "answer", "prompt": "How much?", "type": "INPUT_TYPE_NUMBER"}}
PAUSE = {"pause": {"message": "Load the vials"}}


async def test_run_a_parameter_table_and_answer_the_input_prompts(user: User,
                                                                  ui_server: Served) -> None:
    await save_workflow(ui_server.channel, "ask", [ASK, call("measure", x=par("x"),
                                                               save_as=["doubled"])])
    await logged_in(user, path="/execute?workflow=ask")
    await user.should_see("Run parameters: #x", retries=50)
    await user.should_see(marker="queue-run", retries=50)  # the form is complete
    user.find("mode-table").click()
    user.find("cell-1-x").type("1.5")
    user.find("add-row").click()
    await user.should_see(marker="cell-2-x")
    user.find("cell-2-x").clear().type("2")
    user.find("queue-run").click()
    for iteration, answer in ((1, "10"), (2, "20")):
        await user.should_see(f"ask · iteration {iteration}", retries=100)
        user.find("prompt-value").type(answer)
        user.find("prompt-answer").click()
        await user.should_not_see(f"ask · iteration {iteration}", retries=100)
    await user.should_not_see(marker="prompt-message", retries=100)
    await user.should_see("succeeded", retries=100)
    await user.should_see(marker="live-open-data")
    calls = [args for name, args in deck_module().lab.calls if name == "measure"]
    assert calls == [(1.5,), (2.0,)]


async def test_a_bad_table_is_refused_with_the_servers_reasons(user: User,
                                                               ui_server: Served) -> None:
    await save_workflow(ui_server.channel, "typed", [call("add", a=par("a"))])
    await logged_in(user, path="/execute?workflow=typed")
    await user.should_see("Run parameters: #a", retries=50)
    await user.should_see(marker="queue-run", retries=50)  # the form is complete
    user.find("mode-table").click()
    user.find("add-row").click()
    await user.should_see(marker="cell-2-a")
    user.find("queue-run").click()  # empty cells are refused here
    await user.should_see("row 2: #a is empty", retries=50)
    user.find("cell-1-a").type("not a number")
    user.find("cell-2-a").type("3")
    user.find("queue-run").click()  # the server converts and names the line
    await user.should_see("line 2", retries=50)


def queued(user: User) -> list[str]:
    """The names of the queued runs as listed, in order."""
    names = {}
    for row in user.find(marker="queued-run").elements:
        texts = [e.text for e in row.descendants() if isinstance(e, ui.label)]
        names[int(texts[0])] = texts[1]  # position, then name
    return [names[position] for position in sorted(names)]


async def test_repeat_with_parameters_and_the_queue(user: User, ui_server: Served) -> None:
    lab = deck_module().lab
    await save_workflow(ui_server.channel, "held", [call("hold")])
    await save_workflow(ui_server.channel, "add", [call("add", a=par("a"))])
    lab.gate.clear()
    blocker = await create_run(ui_server.channel, "held")
    await logged_in(user, path="/execute?workflow=add")
    await user.should_see("Run parameters: #a", retries=50)
    await user.should_see(marker="queue-run", retries=50)  # the form is complete
    user.find("mode-repeat").click()
    user.find("repeat-count").clear().type("2")
    user.find("run-param-a").type("4")
    user.find("run-name").type("first")
    user.find("queue-run").click()
    await user.should_see("Queue · 1", retries=100)
    user.find("run-name").clear().type("second")
    user.find("queue-run").click()
    await user.should_see("Queue · 2", retries=100)
    user.find("queue-up-2").click()  # second moves before first
    await user.should_see("Queue · 2")
    await eventually(lambda: queued(user) == ["second", "first"])
    user.find("queue-cancel-2").click()  # cancels "first"
    await eventually(lambda: queued(user) == ["second"])
    user.find("queue-toggle").click()
    await user.should_see(marker="queue-paused", retries=100)
    user.find("queue-toggle").click()
    await user.should_not_see(marker="queue-paused", retries=100)
    lab.gate.set()
    await finish(ui_server.channel, blocker.id)
    await user.should_see("Queue · 0", retries=100)


async def test_two_tabs_see_the_same_run_and_one_answer_closes_both(
        user: User, create_user: Callable[[], User], ui_server: Served) -> None:
    await save_workflow(ui_server.channel, "paused", [PAUSE, call("measure", x=par("x"))])
    other = create_user()
    await logged_in(user, path="/execute")
    await logged_in(other, path="/execute")
    run = await create_run(ui_server.channel, "paused", display_name="shared run",
                           mode=mode(repeat=1, parameters={"x": 3}))
    for tab in (user, other):
        await tab.should_see(marker="prompt-message", retries=100)
        await tab.should_see("Load the vials")
        await tab.should_see("shared run")
    other.find("prompt-answer").click()
    await user.should_not_see(marker="prompt-message", retries=100)
    await other.should_not_see(marker="prompt-message", retries=100)
    for tab in (user, other):
        await tab.should_see("succeeded", retries=100)
    assert run.id


async def test_a_csv_file_fills_the_table_and_the_template_names_the_columns(
        user: User, ui_server: Served) -> None:
    from nicegui.elements.upload_files import SmallFileUpload

    await save_workflow(ui_server.channel, "two", [call("add", a=par("a"), b=par("b"))])
    await logged_in(user, path="/execute?workflow=two")
    await user.should_see("Run parameters:", retries=50)
    await user.should_see(marker="queue-run", retries=50)  # the form is complete
    user.find("mode-table").click()
    user.find("csv-template").click()
    template = (await user.download.next()).content.decode()
    header, types = template.splitlines()
    assert sorted(header.split(",")) == ["a", "b"] and types == "int,int"
    upload = user.find("csv-upload").elements.pop()
    await upload.handle_uploads([SmallFileUpload("rows.csv", "text/csv",
                                                 b"b,a\nint,int\n1,2\n3,4\n")])
    await user.should_see(marker="cell-2-b", retries=50)
    user.find("queue-run").click()
    await user.should_see("succeeded", retries=100)
    assert [args for name, args in deck_module().lab.calls if name == "add"] == [(2, 1), (4, 3)]


async def _open_campaign_form(user: User, server: Served, workflow: str) -> None:
    """Save `workflow` (measure #x, saved as `doubled`) and open its campaign form."""
    await save_workflow(server.channel, workflow, [call("measure", x=par("x"),
                                                        save_as=["doubled"])])
    await logged_in(user, path=f"/execute?workflow={workflow}")
    await user.should_see("Run parameters: #x", retries=50)
    await user.should_see(marker="queue-run", retries=50)  # the form is complete
    user.find("mode-campaign").click()


async def test_a_campaign_from_the_optimizer_schema(user: User, ui_server: Served) -> None:
    await _open_campaign_form(user, ui_server, "opt")
    await user.should_see(marker="campaign-optimizer")
    user.find("campaign-low-x").clear().type("1")
    user.find("campaign-high-x").clear().type("3")
    user.find("campaign-iterations").clear().type("3")
    user.find("queue-run").click()
    await user.should_see("succeeded", retries=150)
    xs = [args[0] for name, args in deck_module().lab.calls if name == "measure"]
    assert len(xs) == 3 and all(1 <= x <= 3 for x in xs)


async def test_campaign_form_problems_are_listed(user: User, ui_server: Served) -> None:
    await _open_campaign_form(user, ui_server, "opt2")
    user.find("campaign-objective-doubled").click()  # untick the only objective
    user.find("campaign-kind-x").click()
    user.find("choice").click()
    await user.should_see(marker="campaign-values-x")
    user.find("campaign-values-x").type("7")
    user.find("queue-run").click()
    await user.should_see("choose at least one objective", retries=50)
    await user.should_see("#x: give at least two values")


async def test_retry_a_failed_step_then_skip_the_next_failure(user: User,
                                                              ui_server: Served) -> None:
    lab = deck_module().lab
    lab.failures_left = 2
    await save_workflow(ui_server.channel, "shaky", [call("fragile", x=lit(1.0)),
                                                     call("fragile", x=lit(2.0))])
    await logged_in(user, path="/execute")
    await create_run(ui_server.channel, "shaky")
    await user.should_see(marker="run-retry", retries=100)
    await user.should_see("the fragile instrument failed")
    user.find("run-retry").click()  # fails again: still paused on the error
    await eventually(lambda: [n for n, _ in lab.calls].count("fragile") == 2)
    await user.should_see(marker="run-skip", retries=100)
    user.find("run-skip").click()  # goes on without it
    await user.should_see("succeeded", retries=100)
    assert [args for name, args in lab.calls if name == "fragile"] == [(1.0,), (1.0,), (2.0,)]


async def test_pause_resume_and_stop_now(user: User, ui_server: Served) -> None:
    lab = deck_module().lab
    await save_workflow(ui_server.channel, "gated", [call("hold"), call("add", a=lit(1)),
                                                     call("hold"), call("add", a=lit(2))])
    lab.gate.clear()
    await logged_in(user, path="/execute")
    run = await create_run(ui_server.channel, "gated")
    await user.should_see(marker="run-pause", retries=100)
    user.find("run-pause").click()  # takes effect after the step in flight
    await user.should_see("Pausing after the step in flight", retries=100)
    lab.gate.set()
    await user.should_see(marker="run-resume", retries=100)
    assert [name for name, _ in lab.calls] == ["hold"]
    lab.gate.clear()
    user.find("run-resume").click()
    await eventually(lambda: [name for name, _ in lab.calls] == ["hold", "add", "hold"])
    user.find("run-stop-now").click()
    await user.should_see("Stopping after the step in flight", retries=100)
    lab.gate.set()
    await user.should_see("stopped", retries=100)
    assert [name for name, _ in lab.calls] == ["hold", "add", "hold"]
    await finish(ui_server.channel, run.id)


async def test_a_viewer_watches_without_controls(user: User, ui_server: Served,
                                                 account: Callable[[str], Any]) -> None:
    username, password = await account("viewer")
    await save_workflow(ui_server.channel, "paused2", [PAUSE])
    await logged_in(user, username, password, path="/execute")
    await create_run(ui_server.channel, "paused2", display_name="watched")
    await user.should_see(marker="prompt-message", retries=100)
    await user.should_see("An operator answers this prompt.")
    await user.should_see("watched")
    for marker in ("queue-run", "prompt-answer", "run-stop-now", "queue-toggle"):
        await user.should_not_see(marker=marker)
