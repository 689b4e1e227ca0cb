"""``/design``: the workflow editor (``?workflow=NAME`` opens a saved workflow).

Edits happen on a local draft (`editor.WorkflowEditor`, with undo/redo); after each edit
the draft is checked with ``ValidateWorkflow`` and the problems are shown on the steps.
Save makes a new version (``UpdateWorkflow`` with the etag), Save as a new workflow.
Ctrl+Z / Ctrl+Y undo and redo (outside text inputs). With unsaved edits, opening another
workflow (New, Import, a version) or leaving the page asks first (`leave_guard`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable

from nicegui import background_tasks, ui
from nicegui.events import KeyEventArguments

from ivorygrpc.v1 import instrument_pb2 as ins
from ivorygrpc.v1 import workflow_pb2 as wf
from ivorygrpc_ui import session, theme
from ivorygrpc_ui.client import design as api
from ivorygrpc_ui.client.connection import Connection, Role, UiError
from ivorygrpc_ui.client.design import CallableWorkflow, Imported
from ivorygrpc_ui.components import leave_guard
from ivorygrpc_ui.components import workflow_files as files
from ivorygrpc_ui.components.dialogs import confirm
from ivorygrpc_ui.components.step_dialog import open_step_dialog
from ivorygrpc_ui.components.step_palette import NewStep, step_palette
from ivorygrpc_ui.components.step_tree import StepTree
from ivorygrpc_ui.components.styles import STYLE
from ivorygrpc_ui.editor import PHASES, Slot, WorkflowEditor, names_in

PHASE_LABELS = {"prep": "Prep (once)", "main": "Main (per iteration)",
                "cleanup": "Cleanup (once)"}


class DesignPage:
    """One browser tab's editor."""

    def __init__(self, conn: Connection, instruments: list[ins.Instrument],
                 workflows: list[CallableWorkflow]) -> None:
        self.conn = conn
        self.instruments = instruments
        self.workflows = {w.name: w for w in workflows}
        self.methods = {(i.name, m.name): m for i in instruments for m in i.methods}
        self.editor = WorkflowEditor()
        self.tree = StepTree(self.editor, on_edit=self.edit_step)
        self.phase = "main"
        self.saved_name = ""  # the name on the server; "" for a new, unsaved workflow
        self.general_problems: list[str] = []
        self._generation = 0
        self.editor.listeners.append(self.changed)

    # -- loading and saving ----------------------------------------------------------------

    async def may_discard(self) -> bool:
        """True when there is nothing unsaved or the user agrees to lose it."""
        if not self.editor.dirty:
            return True
        with self.anchor:
            return await confirm("Discard the unsaved changes?", "Discard")

    async def open(self, name: str, version: int = 0) -> None:
        if not await self.may_discard():
            return
        try:
            workflow = await api.get_workflow(self.conn, name, version)
            if version:
                latest = await api.get_workflow(self.conn, name)
                workflow.etag = latest.etag  # saving an old version makes it the newest
        except UiError as exc:
            ui.notify(exc.text, type="negative")
            return
        self.saved_name = workflow.name
        self.editor.load(workflow)
        if version:
            ui.notify(f"Opened version {version}; saving makes it the newest version.")

    async def new(self) -> None:
        if not await self.may_discard():
            return
        self.saved_name = ""
        self.editor.load(wf.Workflow())

    async def save(self) -> None:
        if not self.saved_name:
            await self.save_as()
            return
        try:
            saved = await api.update_workflow(self.conn, self.editor.workflow)
        except UiError as exc:
            ui.notify(exc.text, type="negative", multi_line=True)
            return
        self.editor.mark_saved(saved)
        ui.notify(f"Saved {saved.name} version {saved.version}", type="positive")

    async def save_as(self) -> None:
        draft = self.editor.workflow
        with self.anchor:
            answer = await files.ask_name("Save as", "" if self.saved_name else draft.name,
                                          draft.display_name, draft.description)
        if answer is None:
            return
        draft.name, draft.display_name, draft.description = answer
        draft.etag, draft.version = "", 0
        try:
            saved = await api.create_workflow(self.conn, draft)
        except UiError as exc:
            ui.notify(exc.text, type="negative", multi_line=True)
            return
        self.saved_name = saved.name
        self.editor.load(saved)
        ui.notify(f"Saved {saved.name} version 1", type="positive")

    async def finalize(self) -> None:
        if self.editor.dirty:
            ui.notify("Save the changes first.", type="warning")
            return
        try:
            self.editor.mark_saved(await api.finalize_workflow(self.conn, self.saved_name))
        except UiError as exc:
            ui.notify(exc.text, type="negative")
            return
        ui.notify(f"{self.saved_name} is finalized; use Save as to change it.")

    async def details(self) -> None:
        answer = await files.ask_details(self.editor.workflow)
        if answer is not None:
            title, description, registered = answer
            self.editor.set_details(display_name=title, description=description,
                                    registered=registered)

    async def imported(self, item: Imported) -> None:
        if not await self.may_discard():
            return
        self.saved_name = ""
        workflow = wf.Workflow()
        workflow.CopyFrom(item.workflow)
        workflow.etag, workflow.version = "", 0
        self.editor.load(workflow, saved=False)
        for warning in item.warnings:
            ui.notify(warning, type="warning", multi_line=True)

    # -- edits and validation --------------------------------------------------------------

    def add(self, new_step: NewStep) -> None:
        self.editor.add(new_step(), Slot(self.phase))

    def edit_step(self, step_id: str) -> None:
        parameters, variables = names_in(self.editor.workflow)
        with self.anchor:
            open_step_dialog(self.editor.step(step_id), methods=self.methods,
                             suggestions=[f"#{p}" for p in parameters]
                             + [f"={v}" for v in variables], on_save=self.editor.update,
                             workflows=self.workflows)

    def changed(self) -> None:
        self.view.refresh()
        self._update_toolbar()
        self._generation += 1
        background_tasks.create(self.validate(self._generation), name="validate workflow")

    async def validate(self, generation: int) -> None:
        draft = self.editor.workflow
        draft.name = draft.name or "untitled"
        try:
            problems = await api.validate(self.conn, draft)
        except UiError as exc:
            problems, general = [], [exc.text]
        else:
            general = []
        if generation != self._generation:
            return  # a later edit is being checked
        by_step: dict[str, list[str]] = defaultdict(list)
        for problem in problems:
            if problem.step_id:
                by_step[problem.step_id].append(problem.message)
            else:
                general.append(problem.message)
        self.general_problems, self.problem_count = general, len(problems)
        self.tree.set_problems(by_step)  # in place: no button is replaced
        self.summary.refresh()

    # -- drawing ---------------------------------------------------------------------------

    def build(self) -> None:
        ui.add_css(STYLE)
        self.problem_count = 0
        self.view = ui.refreshable(self._view)
        self.summary = ui.refreshable(self._summary)
        self.anchor = ui.element("div").classes("hidden")  # dialogs outlive refreshed buttons
        leave_guard.protect(lambda: self.editor.dirty)
        ui.keyboard(on_key=self._shortcut)  # Ctrl+Z / Ctrl+Y, ignored while typing
        with ui.card().classes("w-full p-3"):
            self._toolbar()
        with ui.row().classes("w-full items-start gap-4 no-wrap"):
            with ui.card().classes("w-72 shrink-0 p-3 max-h-[75vh] overflow-auto"):
                ui.label("Palette").classes("font-semibold")
                step_palette(self.instruments, on_drag=self.tree.start_new, on_add=self.add,
                             workflows=[(w.name, w.version) for w in self.workflows.values()])
            with ui.card().classes("grow p-3 min-w-0 gap-2"):
                tabs = ui.tabs(value=self.phase, on_change=self._switch)  # type: ignore[arg-type]
                with tabs.classes("w-full").props("align=left dense no-caps"):
                    self.tabs = {phase: ui.tab(phase).mark(f"phase-{phase}") for phase in PHASES}
                self.summary()
                self.view()
        self._update_toolbar()

    def _toolbar(self) -> None:
        """The toolbar, built once; `_update_toolbar` changes it in place."""
        with ui.row().classes("w-full items-center gap-2"):
            self.heading = ui.label().classes("text-lg font-semibold").mark("workflow-heading")
            self.version = ui.badge(color="blue-grey-6").mark("workflow-version")
            self.finalized = ui.badge("finalized", color="positive").mark("workflow-finalized")
            self.unsaved = ui.badge("unsaved", color="warning").mark("workflow-dirty")
            ui.space()
            self.undo = _tool("undo", "Undo", self.editor.undo)
            self.redo = _tool("redo", "Redo", self.editor.redo)
            ui.separator().props("vertical")
            _tool("note_add", "New", self.anchored(self.new), marker="workflow-new")
            _tool("edit_note", "Details", self.anchored(self.details), marker="workflow-details")
            _tool("upload_file", "Import", self.anchored(
                lambda: files.import_dialog(self.conn, self.imported)), marker="workflow-import")
            _tool("data_object", "Export JSON", lambda: files.export_json(self.editor.workflow),
                  marker="workflow-export-json")
            self.python = _tool("code", "Python", self.anchored(
                lambda: files.show_python(self.conn, self.saved_name, self.editor.dirty)),
                marker="workflow-python")
            self.versions = _tool("history", "Versions", self.anchored(
                lambda: files.show_versions(self.conn, self.saved_name,
                                            lambda v: self.open(self.saved_name, v))),
                marker="workflow-versions")
            self.lock = _tool("lock", "Finalize", self.finalize, marker="workflow-finalize")
            ui.separator().props("vertical")
            self.save_as_button = ui.button("Save as", on_click=self.save_as) \
                .props("outline no-caps").mark("workflow-save-as")
            self.save_button = ui.button("Save", icon="save", on_click=self.save) \
                .props("no-caps").mark("workflow-save")

    def _shortcut(self, event: KeyEventArguments) -> None:
        if not (event.action.keydown and (event.modifiers.ctrl or event.modifiers.meta)):
            return
        key = str(event.key.name).lower()
        if key == "z" and not event.modifiers.shift:
            self.editor.undo()
        elif key == "y" or (key == "z" and event.modifiers.shift):
            self.editor.redo()

    def _update_toolbar(self) -> None:
        draft = self.editor.workflow
        finalized = draft.state == wf.WORKFLOW_STATE_FINALIZED
        editable = session.require_role(Role.OPERATOR)
        saved = bool(self.saved_name)
        self.heading.text = draft.display_name or draft.name or "New workflow"
        self.version.text = f"v{draft.version}"
        self.version.set_visibility(saved)
        self.finalized.set_visibility(finalized)
        self.unsaved.set_visibility(self.editor.dirty)
        leave_guard.mark(self.editor.dirty)
        self.undo.set_enabled(self.editor.history.can_undo)
        self.redo.set_enabled(self.editor.history.can_redo)
        self.python.set_enabled(saved)
        self.versions.set_enabled(saved)
        self.lock.set_enabled(editable and saved and not finalized)
        self.save_as_button.set_enabled(editable)
        self.save_button.set_enabled(editable and not finalized)
        for phase, tab in self.tabs.items():
            tab.props(f'label="{PHASE_LABELS[phase]} · {len(getattr(draft, phase))}"')

    def anchored(self, dialog: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """A click handler opening `dialog` from the page's stable anchor."""
        async def handler() -> None:
            with self.anchor:
                await dialog()
        return handler

    def _summary(self) -> None:
        if self.general_problems or self.problem_count:
            with ui.column().classes("w-full gap-0 rounded bg-red-50 px-3 py-2"):
                count = self.problem_count or len(self.general_problems)
                ui.label(f"{count} problem{'s' if count != 1 else ''}: the workflow cannot "
                         "run yet").classes("text-sm font-medium text-red-700") \
                    .mark("validation-summary")
                for message in self.general_problems:
                    ui.label(message).classes("text-xs text-red-700")
        else:
            ui.label("✓ Ready to run").classes("text-sm text-green-700") \
                .mark("validation-summary")

    def _view(self) -> None:
        self.tree.show(self.editor.workflow, self.phase)

    def _switch(self, event: object) -> None:
        self.phase = getattr(event, "value", self.phase) or "main"
        self.view.refresh()


def _tool(icon: str, label: str, action: Callable[[], object], *,
          marker: str = "") -> ui.button:
    button = ui.button(icon=icon, on_click=action).props(
        f'flat round dense color=primary aria-label="{label}"').tooltip(label)
    return button.mark(marker or f"workflow-{label.lower()}")


def create() -> None:
    """Register the Design page."""
    @ui.page("/design")
    @session.login_required()
    async def design_page(conn: Connection, workflow: str = "", version: int = 0) -> None:
        with theme.frame("Design"):
            try:
                instruments = await api.deck_instruments(conn)
                workflows = await api.callable_workflows(conn)
            except UiError as exc:
                ui.label(exc.text).classes("text-negative").mark("page-error")
                return
            page = DesignPage(conn, instruments, workflows)
            page.build()
            if workflow:
                await page.open(workflow, version)
            else:
                page.changed()
