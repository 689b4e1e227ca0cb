"""The workflow being edited: a draft `Workflow` with every edit undoable.

Edits are local; the Design page saves the whole draft with `UpdateWorkflow`
(a new version) when the user saves. Every edit either happens completely or
raises `EditError` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ivorygrpc.v1 import workflow_pb2 as wf

from . import tree
from .history import History, snapshot
from .steps import new_step_id
from .tree import EditError, Slot

MAIN = Slot("main")
# The fields a user edits; the rest (version, etag, state, times) come from the server.
EDITABLE_FIELDS = ("display_name", "description", "registered", "prep", "main", "cleanup")


class WorkflowEditor:
    """A draft workflow with undo/redo; listeners hear about every change."""

    def __init__(self, workflow: wf.Workflow | None = None) -> None:
        self.history = History()
        self.listeners: list[Callable[[], None]] = []
        self._draft = wf.Workflow()
        self._saved = b""
        self.load(workflow or wf.Workflow())

    # -- the draft -------------------------------------------------------------------------

    @property
    def workflow(self) -> wf.Workflow:
        """A copy of the draft."""
        copy = wf.Workflow()
        copy.CopyFrom(self._draft)
        return copy

    @property
    def dirty(self) -> bool:
        """True when the draft differs from what was last loaded or saved."""
        return _content(self._draft) != self._saved

    def load(self, workflow: wf.Workflow, *, saved: bool = True) -> None:
        """Start editing `workflow`, forgetting the undo history (`saved=False`: it is not on
        the server yet, so it counts as changed)."""
        self._draft = wf.Workflow()
        self._draft.CopyFrom(workflow)
        self._fill_ids(self._draft)
        self._saved = _content(workflow) if saved else b""
        self.history.clear()
        self._changed()

    def mark_saved(self, saved: wf.Workflow) -> None:
        """Take the server's copy after a save (new version and etag), keeping history."""
        self._draft.CopyFrom(saved)
        self._saved = _content(saved)
        self._changed()

    def step(self, step_id: str) -> wf.Step:
        """A copy of one step."""
        copy = wf.Step()
        copy.CopyFrom(tree.find(self._draft, step_id))
        return copy

    # -- edits -----------------------------------------------------------------------------

    def add(self, step: wf.Step, slot: Slot = MAIN, index: int | None = None) -> str:
        """Insert `step` (fresh ids where missing or taken); returns its id."""
        with self._edit() as draft:
            added = wf.Step()
            added.CopyFrom(step)
            _fresh_ids(added, tree.ids(draft), keep=True)
            tree.insert(draft, slot, index, added)
        return added.id

    def update(self, step: wf.Step) -> None:
        """Replace the step with the same id (body included) in place."""
        with self._edit() as draft:
            placed = tree.locate(draft, step.id)
            taken = tree.ids(draft) - _ids_of(placed.step)
            target = tree.steps_in(draft, placed.slot)[placed.index]
            target.CopyFrom(step)
            _fresh_ids(target, taken, keep=True)

    def delete(self, step_id: str) -> None:
        """Remove a step with its body."""
        with self._edit() as draft:
            tree.remove(draft, step_id)

    def duplicate(self, step_id: str) -> str:
        """Copy a step (with new ids) right after itself; returns the copy's id."""
        with self._edit() as draft:
            placed = tree.locate(draft, step_id)
            copy = wf.Step()
            copy.CopyFrom(placed.step)
            _fresh_ids(copy, tree.ids(draft), keep=False)
            tree.insert(draft, placed.slot, placed.index + 1, copy)
        return copy.id

    def set_enabled(self, step_id: str, enabled: bool) -> None:
        """Enable or disable a step (a disabled step is kept but skipped)."""
        with self._edit() as draft:
            tree.find(draft, step_id).disabled = not enabled

    def move(self, step_id: str, slot: Slot, index: int | None = None) -> None:
        """Move a step to `index` of `slot` (indices as before the move)."""
        with self._edit() as draft:
            tree.move(draft, step_id, slot, index)

    def move_up(self, step_id: str) -> None:
        """One place up; the first step of a block moves out, before the block."""
        with self._edit() as draft:
            placed = tree.locate(draft, step_id)
            if placed.index > 0:
                tree.move(draft, step_id, placed.slot, placed.index - 1)
            elif placed.slot.parent_id:
                parent = tree.locate(draft, placed.slot.parent_id)
                tree.move(draft, step_id, parent.slot, parent.index)
            else:
                raise EditError("this is already the first step")

    def move_down(self, step_id: str) -> None:
        """One place down; the last step of a block moves out, after the block."""
        with self._edit() as draft:
            placed = tree.locate(draft, step_id)
            if placed.index < len(tree.steps_in(draft, placed.slot)) - 1:
                tree.move(draft, step_id, placed.slot, placed.index + 2)
            elif placed.slot.parent_id:
                parent = tree.locate(draft, placed.slot.parent_id)
                tree.move(draft, step_id, parent.slot, parent.index + 1)
            else:
                raise EditError("this is already the last step")

    def indent(self, step_id: str) -> None:
        """Move a step into the block just above it (at the end of its last used body)."""
        with self._edit() as draft:
            placed = tree.locate(draft, step_id)
            above = tree.steps_in(draft, placed.slot)[placed.index - 1] \
                if placed.index > 0 else None
            if above is None or not tree.branches_of(above):
                raise EditError("only a step right below a block can go into it")
            branches = tree.branches_of(above)
            branch = next((b for b in reversed(branches) if tree.body(above, b)), branches[0])
            tree.move(draft, step_id, Slot(placed.slot.phase, above.id, branch), None)

    def outdent(self, step_id: str) -> None:
        """Move a step out of its block, right after the block."""
        with self._edit() as draft:
            placed = tree.locate(draft, step_id)
            if not placed.slot.parent_id:
                raise EditError("this step is not inside a block")
            parent = tree.locate(draft, placed.slot.parent_id)
            tree.move(draft, step_id, parent.slot, parent.index + 1)

    def set_details(self, *, display_name: str | None = None, description: str | None = None,
                    registered: bool | None = None) -> None:
        """Change the title, description or the registered flag."""
        with self._edit() as draft:
            if display_name is not None:
                draft.display_name = display_name
            if description is not None:
                draft.description = description
            if registered is not None:
                draft.registered = registered

    # -- undo ------------------------------------------------------------------------------

    def undo(self) -> bool:
        """Go back one edit; False when there is nothing to undo."""
        return self._restore(self.history.undo(self._draft))

    def redo(self) -> bool:
        """Redo the last undone edit; False when there is nothing to redo."""
        return self._restore(self.history.redo(self._draft))

    def _restore(self, earlier: wf.Workflow | None) -> bool:
        if earlier is None:
            return False
        for field in EDITABLE_FIELDS:  # keep the server's version and etag
            if field in ("prep", "main", "cleanup"):
                del getattr(self._draft, field)[:]
                getattr(self._draft, field).extend(getattr(earlier, field))
            else:
                setattr(self._draft, field, getattr(earlier, field))
        self._changed()
        return True

    @contextmanager
    def _edit(self) -> Iterator[wf.Workflow]:
        draft = self.workflow
        yield draft  # an EditError raised inside leaves the draft untouched
        if snapshot(draft) == snapshot(self._draft):
            return
        self.history.record(self._draft)
        self._draft = draft
        self._changed()

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    @staticmethod
    def _fill_ids(workflow: wf.Workflow) -> None:
        taken: set[str] = set()
        for placed in tree.walk(workflow):
            if not placed.step.id or placed.step.id in taken:
                placed.step.id = new_step_id()
            taken.add(placed.step.id)


def _content(workflow: wf.Workflow) -> bytes:
    editable = wf.Workflow()
    for field in EDITABLE_FIELDS:
        if field in ("prep", "main", "cleanup"):
            getattr(editable, field).extend(getattr(workflow, field))
        else:
            setattr(editable, field, getattr(workflow, field))
    return snapshot(editable)


def _ids_of(step: wf.Step) -> set[str]:
    found = {step.id}
    for branch in tree.branches_of(step):
        for inner in tree.body(step, branch):
            found |= _ids_of(inner)
    return found


def _fresh_ids(step: wf.Step, taken: set[str], *, keep: bool) -> None:
    """Give `step` and its body ids not in `taken` (`keep` keeps free, non-empty ids)."""
    if not (keep and step.id and step.id not in taken):
        step.id = new_step_id()
    taken.add(step.id)
    for branch in tree.branches_of(step):
        for inner in tree.body(step, branch):
            _fresh_ids(inner, taken, keep=keep)
