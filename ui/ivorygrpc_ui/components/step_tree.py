"""One phase of a workflow drawn as nested step cards.

In the editor every card can be dragged (HTML5 drag events; the page remembers what is
being dragged, so no data travels through the browser) and dropped before another card or
at the end of any list, blocks included; buttons do the same for keyboards and tests.
Read-only, the tree shows a run's progress: the step in flight is highlighted.
Cards are numbered in tree order (`step-1`, `step-2`, ...) for tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from nicegui import ui

from ivorygrpc.v1 import workflow_pb2 as wf
from ivorygrpc_ui.editor import EditError, Slot, WorkflowEditor, describe
from ivorygrpc_ui.editor import tree as steptree
from ivorygrpc_ui.editor.steps import BLOCK_KINDS, branch_label

_ICONS = {block.kind: block.icon for block in BLOCK_KINDS} | {
    "call": "precision_manufacturing", "call_workflow": "account_tree"}

# Drop highlighting happens in the browser; only the drop itself reaches the server.
_DRAG_OVER = ("(e) => { e.preventDefault(); e.stopPropagation();"
              " e.currentTarget.classList.add('ig-drop'); }")
_DRAG_LEAVE = "(e) => { e.currentTarget.classList.remove('ig-drop'); }"
_DROP = ("(e) => { e.preventDefault(); e.stopPropagation();"
         " e.currentTarget.classList.remove('ig-drop'); emit(); }")
_DRAG_START = ("(e) => { e.stopPropagation(); e.dataTransfer.effectAllowed = 'copyMove';"
               " e.dataTransfer.setData('text/plain', 'step'); emit(); }")



@dataclass(frozen=True)
class Dragged:
    """What is being dragged: an existing step, or a new one from the palette."""

    step_id: str = ""
    new_step: Callable[[], wf.Step] | None = None


class StepTree:
    """The cards of one phase; call `show` inside a `ui.refreshable` or container.

    Validation messages (`set_problems`) and run progress (`set_progress`) change the cards
    in place, so a button is never replaced under the user's pointer.

    :param editor: the draft (None for a read-only tree of `workflow`)
    :param on_edit: opens the edit dialog for a step id
    """

    def __init__(self, editor: WorkflowEditor | None = None, *,
                 on_edit: Callable[[str], object] | None = None) -> None:
        self.editor = editor
        self.on_edit = on_edit
        self.dragged: Dragged | None = None
        self.problems: Mapping[str, Sequence[str]] = {}
        self.current_step = ""
        self.done_steps: set[str] = set()
        self._number = 0
        self._cards: dict[str, tuple[ui.column, ui.column]] = {}  # step id: card, messages

    # -- changes in place ------------------------------------------------------------------

    def set_problems(self, problems: Mapping[str, Sequence[str]]) -> None:
        """Show validation messages (by step id) on the drawn cards."""
        self.problems = problems
        for step_id, (card, messages) in self._cards.items():
            found = problems.get(step_id, ())
            card.classes(add="ig-invalid") if found else card.classes(remove="ig-invalid")
            messages.clear()
            with messages:
                for message in found:
                    ui.label(message).classes("text-xs text-red-600").mark("problem")

    def set_progress(self, current_step: str, done_steps: set[str]) -> None:
        """Highlight the step in flight and mark the finished ones."""
        self.current_step, self.done_steps = current_step, set(done_steps)
        for step_id, (card, _) in self._cards.items():
            card.classes(remove="ig-current ig-done")
            if step_id == current_step:
                card.classes(add="ig-current")
            elif step_id in done_steps:
                card.classes(add="ig-done")

    # -- drawing ---------------------------------------------------------------------------

    def show(self, workflow: wf.Workflow, phase: str) -> None:
        """Draw the steps of `phase`."""
        self._number = 0
        self._cards = {k: v for k, v in self._cards.items() if not v[0].is_deleted}
        steps = getattr(workflow, phase)
        with ui.column().classes("w-full gap-2"):
            if not steps and self.editor is None:
                ui.label("No steps.").classes("text-slate-400 text-sm")
            self._list(steps, Slot(phase))

    def _list(self, steps: Sequence[wf.Step], slot: Slot) -> None:
        for index, step in enumerate(steps):
            self._card(step, slot, index)
        if self.editor is not None:
            text = "Drop steps here" if steps else "Empty: drop or add steps here"
            zone = ui.label(text).classes("ig-dropzone w-full").mark("dropzone")
            self._drop_target(zone, slot, None)

    def _card(self, step: wf.Step, slot: Slot, index: int) -> None:
        self._number += 1
        number = self._number
        problems = self.problems.get(step.id, ())
        classes = "ig-step w-full px-3 py-2 gap-1"
        if step.disabled:
            classes += " ig-disabled"
        if problems:
            classes += " ig-invalid"
        if step.id == self.current_step:
            classes += " ig-current"
        elif step.id in self.done_steps:
            classes += " ig-done"
        card = ui.column().classes(classes).mark("step", f"step-{number}")
        card.props(f'data-step-id="{step.id}" data-kind="{steptree.kind_of(step)}"')
        with card:
            with ui.row().classes("w-full items-center no-wrap gap-2"):
                if self.editor is not None:
                    ui.icon("drag_indicator").classes("text-slate-400 cursor-grab")
                kind = steptree.kind_of(step)
                ui.icon(_ICONS.get(kind, "circle")).classes("text-slate-500")
                ui.label(describe(step)).classes(
                    "text-sm font-mono grow break-all" + (" line-through" if step.disabled
                                                          else ""))
                if step.disabled:
                    ui.badge("disabled", color="grey-5").props("outline")
                if self.editor is not None:
                    self._buttons(step, number)
            with ui.column().classes("gap-0") as messages:
                for message in problems:
                    ui.label(message).classes("text-xs text-red-600").mark("problem")
            self._cards[step.id] = (card, messages)
            for branch in steptree.branches_of(step):
                if self.editor is None and not steptree.body(step, branch):
                    continue  # a read-only tree leaves out empty bodies
                if len(steptree.branches_of(step)) > 1:
                    ui.label(branch_label(branch)).classes(
                        "text-xs uppercase tracking-wide text-slate-500 mt-1")
                with ui.column().classes("ig-body self-stretch gap-2"):
                    self._list(steptree.body(step, branch), Slot(slot.phase, step.id, branch))
        if self.editor is not None:
            card.props("draggable=true")
            card.on("dragstart", lambda: self._start(Dragged(step_id=step.id)),
                    js_handler=_DRAG_START)
            self._drop_target(card, slot, index)

    def _buttons(self, step: wf.Step, number: int) -> None:
        actions: list[tuple[str, str, str, Callable[[], object]]] = [
            ("edit", "edit", "Edit step", lambda: self.on_edit and self.on_edit(step.id)),
            ("up", "arrow_upward", "Move up", lambda: self._do(lambda e: e.move_up(step.id))),
            ("down", "arrow_downward", "Move down",
             lambda: self._do(lambda e: e.move_down(step.id))),
            ("indent", "format_indent_increase", "Move into the block above",
             lambda: self._do(lambda e: e.indent(step.id))),
            ("outdent", "format_indent_decrease", "Move out of the block",
             lambda: self._do(lambda e: e.outdent(step.id))),
            ("duplicate", "content_copy", "Duplicate",
             lambda: self._do(lambda e: e.duplicate(step.id))),
            ("toggle", "toggle_on" if not step.disabled else "toggle_off",
             "Disable" if not step.disabled else "Enable",
             lambda: self._do(lambda e: e.set_enabled(step.id, step.disabled))),
            ("delete", "delete_outline", "Delete", lambda: self._do(lambda e: e.delete(step.id))),
        ]
        with ui.row().classes("gap-0 no-wrap"):
            for name, icon, label, action in actions:
                button = ui.button(icon=icon, on_click=action).props(
                    f'flat round dense size=sm color=grey-8 aria-label="{label}"')
                button.mark(name, f"{name}-{number}").tooltip(label)

    # -- drag and drop ---------------------------------------------------------------------

    def start_new(self, new_step: Callable[[], wf.Step]) -> None:
        """The palette starts dragging a new step."""
        self._start(Dragged(new_step=new_step))

    def _start(self, dragged: Dragged) -> None:
        self.dragged = dragged

    def _drop_target(self, element: ui.element, slot: Slot, index: int | None) -> None:
        element.on("dragover", js_handler=_DRAG_OVER)
        element.on("dragleave", js_handler=_DRAG_LEAVE)
        element.on("drop", lambda: self.drop(slot, index), js_handler=_DROP)

    def drop(self, slot: Slot, index: int | None) -> None:
        """Put what is being dragged at `index` of `slot` (None appends)."""
        dragged, self.dragged = self.dragged, None
        if dragged is None:
            return
        if dragged.new_step is not None:
            new_step = dragged.new_step
            self._do(lambda e: e.add(new_step(), slot, index))
        elif dragged.step_id:
            step_id = dragged.step_id
            self._do(lambda e: e.move(step_id, slot, index))

    def _do(self, edit: Callable[[WorkflowEditor], object]) -> None:
        if self.editor is None:
            return
        try:
            edit(self.editor)
        except EditError as exc:
            ui.notify(str(exc), type="warning")
