"""Design page: build a workflow from the palette, edit steps, validation, save, versions."""

from __future__ import annotations

from nicegui.testing import User

from ivorygrpc.v1 import design_service_pb2 as design_pb
from ivorygrpc.v1 import design_service_pb2_grpc as design_grpc
from tests.fixtures.runs import call, par, save_workflow
from tests.fixtures.server import Served
from tests.ui.conftest import logged_in


async def saved(served: Served, name: str) -> design_pb.GetWorkflowResponse:
    return await design_grpc.DesignServiceStub(served.channel).GetWorkflow(
        design_pb.GetWorkflowRequest(name=name))


async def test_build_validate_and_save_a_workflow(user: User, ui_server: Served) -> None:
    await logged_in(user, path="/design")
    await user.should_see("Ready to run")
    user.find("palette-lab.measure").click()  # x: float is required
    await user.should_see("x is required", retries=50)
    user.find("edit-1").click()
    await user.should_see(marker="step-dialog")
    user.find("mode-x").click()
    user.find("ref-x").type("#volume")
    user.find("save-as-0").type("doubled")
    user.find("step-save").click()
    await user.should_see("lab.measure(x=#volume) → doubled")
    await user.should_see("Ready to run", retries=50)
    user.find("palette-if_else").click()
    user.find("palette-lab.add").click()  # a: int is required, b has a default
    await user.should_see("a is required", retries=50)
    user.find("indent-3").click()  # into the if block above it
    await user.should_see(marker="step-3")
    user.find("workflow-save").click()  # a new workflow: asks for a name
    await user.should_see(marker="workflow-name")
    user.find("workflow-name").type("ui_flow")
    user.find("name-save").click()
    await user.should_see("Saved ui_flow version 1", retries=50)
    workflow = (await saved(ui_server, "ui_flow")).workflow
    assert workflow.main[0].call.arguments["x"].parameter == "volume"
    assert list(workflow.main[0].call.save_as) == ["doubled"]
    assert workflow.main[1].if_else.then_steps[0].call.method == "add"


async def test_undo_redo_duplicate_disable_and_delete(user: User) -> None:
    await logged_in(user, path="/design")
    user.find("palette-comment").click()
    await user.should_see(marker="step-1")
    user.find("duplicate-1").click()
    await user.should_see(marker="step-2")
    user.find("toggle-2").click()
    await user.should_see("disabled")
    user.find("workflow-undo").click()
    await user.should_not_see("disabled")
    user.find("workflow-redo").click()
    await user.should_see("disabled")
    user.find("delete-2").click()
    await user.should_not_see(marker="step-2")
    await user.should_see(marker="step-1")
    user.find("workflow-new").click()  # unsaved changes: asks first
    await user.should_see(marker="confirm-yes")
    user.find("confirm-yes").click()
    await user.should_not_see(marker="step-1")


async def test_drag_from_the_palette_and_into_a_block(user: User) -> None:
    await logged_in(user, path="/design")
    user.find("palette-repeat").click()
    user.find("palette-wait").click()
    await user.should_see("wait 1 s")
    user.find("step-2").trigger("dragstart")  # the wait card ...
    user.find("Empty: drop or add steps here").trigger("drop")  # ... into the repeat body
    await user.should_not_see("Empty: drop or add steps here")
    user.find(marker="palette-entry-comment").trigger("dragstart")  # a new comment ...
    user.find("step-1").trigger("drop")  # ... dropped on the first card goes before it
    await user.should_see("# Note")
    kinds = [user.find(f"step-{n}").elements.pop().props["data-kind"] for n in (1, 2, 3)]
    assert kinds == ["comment", "repeat", "wait"]  # cards are numbered in tree order


async def test_open_a_saved_workflow_edit_and_save_a_new_version(user: User,
                                                                 ui_server: Served) -> None:
    await save_workflow(ui_server.channel, "dose", [call("measure", x=par("v"))])
    await logged_in(user, path="/design?workflow=dose")
    await user.should_see("lab.measure(x=#v)", retries=50)
    await user.should_see(marker="workflow-version")
    user.find("palette-lab.paint").click()
    await user.should_see("color is required", retries=50)
    user.find("edit-2").click()
    user.find("arg-color").click()
    user.find("RED").click()
    user.find("step-save").click()
    await user.should_see("lab.paint(color=RED)")
    user.find("workflow-save").click()
    await user.should_see("Saved dose version 2", retries=50)
    assert len((await saved(ui_server, "dose")).workflow.main) == 2
    user.find("workflow-versions").click()
    await user.should_see(marker="open-version-1", retries=50)
    user.find("open-version-1").click()
    await user.should_see("Opened version 1", retries=50)
    await user.should_not_see(marker="step-2")
    user.find("workflow-details").click()
    await user.should_see(marker="details-title")
    user.find("details-title").type("Dosing")
    user.find("details-save").click()
    await user.should_see("Dosing", retries=50)
    user.find("workflow-save").click()  # the old version's steps become version 3
    await user.should_see("Saved dose version 3", retries=50)
    restored = (await saved(ui_server, "dose")).workflow
    assert (len(restored.main), restored.display_name) == (1, "Dosing")
    user.find("workflow-finalize").click()
    await user.should_see(marker="workflow-finalized", retries=50)
    assert not user.find("workflow-save").elements.pop().enabled


async def test_import_python_shows_warnings_and_opens_the_workflow(user: User) -> None:
    from nicegui.elements.upload_files import SmallFileUpload

    source = ("def mixing(x: float):\n"
              "    lab.measure(x=x)\n"
              "    print('not a step')\n")
    await logged_in(user, path="/design")
    user.find("workflow-import").click()
    await user.should_see(marker="import-upload")
    upload = user.find("import-upload").elements.pop()
    await upload.handle_uploads([SmallFileUpload("mix.py", "text/x-python", source.encode())])
    await user.should_see(marker="import-warning", retries=50)
    await user.should_see("line 3", retries=50)
    user.find("import-open-mixing").click()
    await user.should_see("lab.measure(x=#x)", retries=50)
    await user.should_see(marker="workflow-dirty")


async def test_call_a_registered_workflow_with_arguments_and_saved_outputs(
        user: User, ui_server: Served) -> None:
    from tests.fixtures.runs import create_run, deck_module, finish, outputs

    await save_workflow(ui_server.channel, "sub", [call("measure", x=par("x"),
                                                        save_as=["doubled"])], registered=True)
    await logged_in(user, path="/design")
    user.find("palette-workflow-sub").click()
    await user.should_see("run sub v1()", retries=50)
    user.find("edit-1").click()
    await user.should_see(marker="arg-x")
    user.find("arg-x").type("2.5")
    user.find("save-as-0").type("result")
    user.find("step-save").click()
    await user.should_see("run sub v1(x=2.5) → result", retries=50)
    user.find("workflow-save").click()
    await user.should_see(marker="workflow-name")
    user.find("workflow-name").type("caller")
    user.find("name-save").click()
    await user.should_see("Saved caller version 1", retries=50)
    run, _ = await finish(ui_server.channel, (await create_run(ui_server.channel, "caller")).id)
    assert outputs(run)[0][0]["result"] == 5.0
    assert ("measure", (2.5,)) in deck_module().lab.calls
