"""The workflow-editing model behind the Design page: tree edits, ids, undo/redo."""

from __future__ import annotations

import pytest
from ivorygrpc_ui.editor import EditError, Slot, WorkflowEditor, describe, new_block, walk

from ivorygrpc.v1 import workflow_pb2 as wf


def comment(text: str, step_id: str = "") -> wf.Step:
    return wf.Step(id=step_id, comment=wf.CommentStep(text=text))


def outline(editor: WorkflowEditor, phase: str = "main") -> list[str]:
    """The steps of a phase as `depth*'  ' + summary`, in tree order."""
    return ["  " * p.depth + describe(p.step) for p in walk(editor.workflow, (phase,))]


@pytest.fixture
def editor() -> WorkflowEditor:
    editor = WorkflowEditor(wf.Workflow(name="w"))
    for text in ("a", "b", "c"):
        editor.add(comment(text, text))
    return editor


def test_add_appends_inserts_and_keeps_free_ids(editor: WorkflowEditor) -> None:
    editor.add(comment("first", "x"), Slot("main"), 0)
    editor.add(comment("prep"), Slot("prep"))
    assert outline(editor) == ["# first", "# a", "# b", "# c"]
    assert outline(editor, "prep") == ["# prep"]
    assert editor.workflow.main[0].id == "x"
    assert editor.workflow.prep[0].id.startswith("s")


def test_an_added_step_with_a_taken_id_gets_a_new_one(editor: WorkflowEditor) -> None:
    new_id = editor.add(comment("again", "a"))
    assert new_id != "a"
    assert [s.id for s in editor.workflow.main][-1] == new_id


def test_steps_go_into_block_bodies_and_render_nested(editor: WorkflowEditor) -> None:
    block = editor.add(new_block("if_else"), Slot("main"), 1)
    editor.move("c", Slot("main", block, "then_steps"))
    editor.add(comment("otherwise"), Slot("main", block, "else_steps"))
    assert outline(editor) == ["# a", "if True", "  # c", "  # otherwise", "# b"]
    assert editor.workflow.main[1].if_else.else_steps[0].comment.text == "otherwise"


def test_move_counts_the_index_before_the_move(editor: WorkflowEditor) -> None:
    editor.move("a", Slot("main"), 2)  # dropped between b and c
    assert outline(editor) == ["# b", "# a", "# c"]
    editor.move("c", Slot("main"), 0)
    assert outline(editor) == ["# c", "# b", "# a"]


def test_a_block_cannot_move_into_itself(editor: WorkflowEditor) -> None:
    outer = editor.add(new_block("repeat"))
    inner = editor.add(new_block("while_loop"), Slot("main", outer))
    before = editor.workflow
    with pytest.raises(EditError, match="into itself"):
        editor.move(outer, Slot("main", inner))
    assert editor.workflow == before


def test_only_blocks_take_steps(editor: WorkflowEditor) -> None:
    with pytest.raises(EditError, match="only go into"):
        editor.move("a", Slot("main", "b"))
    with pytest.raises(EditError, match="no step"):
        editor.move("a", Slot("main", "nope"))
    with pytest.raises(EditError, match="unknown phase"):
        editor.add(comment("x"), Slot("later"))
    assert outline(editor) == ["# a", "# b", "# c"]


def test_up_down_indent_outdent_walk_in_and_out_of_blocks(editor: WorkflowEditor) -> None:
    loop = editor.add(new_block("repeat"), Slot("main"), 1)  # a, repeat, b, c
    editor.indent("b")
    assert outline(editor) == ["# a", "repeat 2 times", "  # b", "# c"]
    editor.move_up("b")  # first in the block: moves out, before the block
    assert outline(editor) == ["# a", "# b", "repeat 2 times", "# c"]
    editor.move_down("b")  # below it is the block: plain swap
    assert outline(editor) == ["# a", "repeat 2 times", "# b", "# c"]
    editor.indent("b")
    editor.move_down("b")  # last in the block: moves out, after the block
    assert outline(editor) == ["# a", "repeat 2 times", "# b", "# c"]
    editor.indent("b")
    editor.outdent("b")
    assert outline(editor) == ["# a", "repeat 2 times", "# b", "# c"]
    assert editor.workflow.main[1].id == loop


def test_up_down_indent_refuse_at_the_edges(editor: WorkflowEditor) -> None:
    with pytest.raises(EditError, match="first"):
        editor.move_up("a")
    with pytest.raises(EditError, match="last"):
        editor.move_down("c")
    with pytest.raises(EditError, match="below a block"):
        editor.indent("b")
    with pytest.raises(EditError, match="not inside"):
        editor.outdent("b")


def test_indent_into_an_if_uses_its_last_used_branch(editor: WorkflowEditor) -> None:
    block = editor.add(new_block("if_else"), Slot("main"), 1)
    editor.indent("b")
    assert [s.id for s in editor.workflow.main[1].if_else.then_steps] == ["b"]
    editor.add(comment("e"), Slot("main", block, "else_steps"))
    editor.indent("c")
    assert [s.comment.text for s in editor.workflow.main[1].if_else.else_steps] == ["e", "c"]


def test_duplicate_copies_a_block_with_fresh_ids(editor: WorkflowEditor) -> None:
    block = editor.add(new_block("while_loop"))
    editor.move("a", Slot("main", block))
    copy = editor.duplicate(block)
    main = editor.workflow.main
    assert [s.id for s in main][-2:] == [block, copy]
    assert main[-1].while_loop.steps[0].comment.text == "a"
    assert main[-1].while_loop.steps[0].id != "a"


def test_delete_removes_the_body_too(editor: WorkflowEditor) -> None:
    block = editor.add(new_block("repeat"))
    editor.move("a", Slot("main", block))
    editor.delete(block)
    assert outline(editor) == ["# b", "# c"]
    with pytest.raises(EditError):
        editor.step("a")


def test_update_replaces_in_place_and_disable_marks_the_step(editor: WorkflowEditor) -> None:
    changed = editor.step("b")
    changed.comment.text = "B!"
    editor.update(changed)
    editor.set_enabled("c", False)
    assert outline(editor) == ["# a", "# B!", "# c"]
    assert editor.step("c").disabled


def test_undo_and_redo_walk_the_edits(editor: WorkflowEditor) -> None:
    editor.delete("b")
    editor.move("c", Slot("main"), 0)
    assert outline(editor) == ["# c", "# a"]
    assert editor.undo()
    assert outline(editor) == ["# a", "# c"]
    assert editor.undo()
    assert outline(editor) == ["# a", "# b", "# c"]
    assert editor.redo()
    assert outline(editor) == ["# a", "# c"]
    editor.add(comment("new"))  # a new edit drops the redo stack
    assert not editor.redo()


def test_undo_keeps_the_servers_version_and_etag(editor: WorkflowEditor) -> None:
    editor.delete("a")
    saved = editor.workflow
    saved.version, saved.etag = 7, "7"
    editor.mark_saved(saved)
    assert not editor.dirty
    editor.undo()
    assert editor.dirty
    assert (editor.workflow.version, editor.workflow.etag) == (7, "7")
    assert outline(editor) == ["# a", "# b", "# c"]


def test_dirty_follows_edits_and_listeners_hear_them() -> None:
    heard: list[int] = []
    editor = WorkflowEditor(wf.Workflow(name="w", main=[comment("a", "a")]))
    editor.listeners.append(lambda: heard.append(1))
    assert not editor.dirty
    editor.set_details(display_name="Title")
    assert editor.dirty and heard == [1]
    editor.undo()
    assert not editor.dirty and heard == [1, 1]


def test_a_failed_edit_records_nothing(editor: WorkflowEditor) -> None:
    editor.history.clear()
    with pytest.raises(EditError):
        editor.move_up("a")
    assert not editor.history.can_undo


def test_load_fills_missing_and_repeated_ids() -> None:
    editor = WorkflowEditor(wf.Workflow(main=[comment("a"), comment("b", "x"), comment("c", "x")]))
    ids = [s.id for s in editor.workflow.main]
    assert all(ids) and len(set(ids)) == 3 and ids[1] == "x"


def test_describe_summarizes_each_kind() -> None:
    call = wf.Step(call=wf.CallStep(instrument="pump", method="dispense", save_as=["total"]))
    call.call.arguments["volume_ml"].parameter = "volume"
    assert describe(call) == "pump.dispense(volume_ml=#volume) → total"
    assert describe(new_block("wait")) == "wait 1 s"
    assert describe(new_block("input")) == "ask 'Enter a value' → answer"
    assert describe(new_block("set_variable")) == "value = 0"


def test_an_unsaved_load_counts_as_changed() -> None:
    editor = WorkflowEditor()
    editor.load(wf.Workflow(name="imported", main=[comment("a", "a")]), saved=False)
    assert editor.dirty and not editor.history.can_undo
