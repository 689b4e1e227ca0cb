"""The run in progress: progress, the workflow tree with the step in flight highlighted,
the streaming log and the run controls. Fed by `EventHub` events (`on_event`); it reads
the run, its workflow version and its stored log once when it starts following a run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import background_tasks, ui

from ivorygrpc.v1 import run_pb2
from ivorygrpc.v1 import workflow_pb2 as wf
from ivorygrpc_ui.client import design as design_api
from ivorygrpc_ui.client import execute as api
from ivorygrpc_ui.client.connection import Connection, Role, UiError
from ivorygrpc_ui.client.events import FINAL_STATES, RunEventInfo, state_name
from ivorygrpc_ui.client.values import from_value, show
from ivorygrpc_ui.components.run_detail import STATE_COLORS
from ivorygrpc_ui.components.step_tree import StepTree

PHASE_NAMES = {run_pb2.RUN_PHASE_PREP: "prep", run_pb2.RUN_PHASE_MAIN: "main",
               run_pb2.RUN_PHASE_CLEANUP: "cleanup"}
PAUSE_NOTES = {run_pb2.PAUSE_KIND_OPERATOR: "Paused by an operator",
               run_pb2.PAUSE_KIND_STEP_ERROR: "Paused: a step failed",
               run_pb2.PAUSE_KIND_PAUSE_STEP: "Paused: {message}",
               run_pb2.PAUSE_KIND_INPUT: "Waiting for input: {message}"}
_LOG_LINES = 1000


class LiveRun:
    """The live panel of one page."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.can_control = conn.allows(Role.OPERATOR)
        self.run: run_pb2.Run | None = None
        self.workflow: wf.Workflow | None = None
        self.tree = StepTree()
        self._log_sequence = 0
        self._loading = ""  # the run `follow` is reading; its events wait in `_pending`
        self._pending: list[RunEventInfo] = []

    def build(self) -> None:
        self.header = ui.refreshable(self._header)
        self.steps = ui.refreshable(self._steps)
        self.header()
        with ui.row().classes("w-full items-start gap-4 no-wrap") as self.body:
            with ui.column().classes("w-1/2 min-w-0 gap-1"):
                ui.label("Workflow").classes("text-xs uppercase tracking-wide text-slate-500")
                self.steps()
            with ui.column().classes("w-1/2 min-w-0 gap-1"):
                ui.label("Log").classes("text-xs uppercase tracking-wide text-slate-500")
                self.log = ui.log(max_lines=_LOG_LINES).classes(
                    "w-full h-72 text-xs bg-slate-50 rounded").mark("run-log")
        self.body.set_visibility(False)  # until there is a run to show

    # -- following a run -------------------------------------------------------------------

    async def follow(self, run_id: str) -> None:
        """Show `run_id`: its state, workflow and stored log, then the events that came
        meanwhile (applied in order, they end at the newest state)."""
        if self._loading != run_id:
            self._loading, self._pending = run_id, []
        try:
            run = await api.get_run(self.conn, run_id)
            workflow = await design_api.get_workflow(self.conn, run.workflow,
                                                     run.workflow_version)
            lines = await api.run_log(self.conn, run_id)
        except UiError as exc:
            ui.notify(exc.text, type="negative")
            return
        finally:
            self._loading = ""
        self.run, self.workflow = run, workflow
        self.body.set_visibility(True)
        self.tree.done_steps.clear()
        self.tree.current_step = run.progress.step_id
        self.log.clear()
        self._log_sequence = 0
        for line in lines:
            self._write(line.line, line.sequence)
        pending, self._pending = self._pending, []
        for info in pending:
            self.on_event(info)
        self.header.refresh()
        self.steps.refresh()

    def on_event(self, info: RunEventInfo) -> None:
        """Apply one streamed event."""
        event = info.raw
        if info.run_id and info.run_id == self._loading:
            self._pending.append(info)
            return
        if self.run is None or info.run_id != self.run.id:
            # a new run started, or one this tab has not seen start asks for something
            if ((info.kind == "state_changed" and info.state == "running")
                    or info.kind == "prompt_requested"):
                self._loading, self._pending = info.run_id, [info]
                background_tasks.create(self.follow(info.run_id), name="follow run")
            return
        if info.kind == "state_changed":
            self.run.state = event.state_changed.state
            self.run.pause.CopyFrom(event.state_changed.pause)
            self.run.error.CopyFrom(event.state_changed.error)
            if info.state in FINAL_STATES:
                self.tree.current_step = ""
                self.tree.done_steps.clear()
                if info.state == "succeeded":
                    self.run.progress.fraction = 1.0
            self._note(_state_note(event.state_changed), info.sequence)
            self.header.refresh()
            self.steps.refresh()
        elif info.kind == "progress":
            self.run.progress.CopyFrom(event.progress)
            self._highlight(event.progress.step_id)
            self._show_progress()
        elif info.kind == "step_started":
            self._highlight(event.step_started.step_id)
        elif info.kind == "step_finished":
            finished = event.step_finished
            self.tree.set_progress(self.tree.current_step,
                                   self.tree.done_steps | {finished.step_id})
            if finished.error.message:
                self._note(f"✗ {finished.title}: {finished.error.type}: "
                           f"{finished.error.message}", info.sequence)
            elif finished.kind == "call":
                self._note(f"✓ {finished.title} → {show(from_value(finished.output))}",
                           info.sequence)
        elif info.kind == "iteration_started":
            self.tree.set_progress(self.tree.current_step, set())
            started = event.iteration_started
            if started.phase == run_pb2.RUN_PHASE_MAIN:
                self._note(f"Iteration {started.index}/{started.total}", info.sequence)
        elif info.kind == "prompt_answered":
            answered = event.prompt_answered
            value = f": {show(from_value(answered.value))}" if answered.HasField("value") else ""
            self._note(f"Answered by {answered.user}{value}", info.sequence)
        elif info.kind == "log":
            self._write(run_pb2.LogLine(level=event.log.level, logger=event.log.logger,
                                        message=event.log.message), info.sequence)

    def _highlight(self, step_id: str) -> None:
        if step_id and step_id != self.tree.current_step:
            self.tree.set_progress(step_id, self.tree.done_steps)

    def _note(self, text: str, sequence: int) -> None:
        self._write(run_pb2.LogLine(level="INFO", message=text), sequence)

    def _write(self, line: run_pb2.LogLine, sequence: int = 0) -> None:
        if sequence and sequence <= self._log_sequence:
            return
        self._log_sequence = max(self._log_sequence, sequence)
        prefix = "" if line.level in ("", "INFO") else f"{line.level}: "
        self.log.push(f"{prefix}{line.message}")

    # -- drawing ---------------------------------------------------------------------------

    def _header(self) -> None:
        run = self.run
        if run is None:
            ui.label("No run yet. Queue one with the form.").classes("text-sm text-slate-500") \
                .mark("live-empty")
            return
        state = state_name(run.state)
        progress = run.progress
        with ui.row().classes("w-full items-center gap-3"):
            ui.label(run.display_name or run.workflow).classes("text-lg font-semibold") \
                .mark("live-name")
            ui.badge(state, color=STATE_COLORS.get(state, "grey-6")).mark("live-state")
            self.where = ui.label(_where(progress, state)).classes("text-sm text-slate-600") \
                .mark("live-progress")
            ui.space()
            if state in FINAL_STATES:
                ui.link("Open in Data", f"/data/{run.id}").classes("text-sm") \
                    .mark("live-open-data")
        self.bar = ui.linear_progress(value=progress.fraction, show_value=False, size="8px") \
            .props("rounded" + (" color=positive" if state == "succeeded" else "")) \
            .classes("w-full")
        if run.pause.kind == run_pb2.PAUSE_KIND_STEP_ERROR and state == "paused":
            error = run.pause.error
            with ui.row().classes("w-full items-center gap-2 rounded bg-red-50 px-3 py-2"):
                ui.icon("error", color="negative")
                ui.label(f"{error.type}: {error.message}").classes("text-sm grow") \
                    .mark("live-error")
        elif run.HasField("error") and run.error.message and state in FINAL_STATES:
            ui.label(f"{run.error.type}: {run.error.message}").classes("text-sm text-red-700")
        self._controls(run, state)

    def _show_progress(self) -> None:
        """Progress changes in place: the controls stay put under the pointer."""
        if self.run is None or not hasattr(self, "bar") or self.bar.is_deleted:
            return
        self.where.text = _where(self.run.progress, state_name(self.run.state))
        self.bar.value = self.run.progress.fraction

    def _controls(self, run: run_pb2.Run, state: str) -> None:
        if state in FINAL_STATES or state == "queued" or not self.can_control:
            return
        error = run.pause.kind == run_pb2.PAUSE_KIND_STEP_ERROR and state == "paused"
        operator = run.pause.kind == run_pb2.PAUSE_KIND_OPERATOR and state == "paused"
        with ui.row().classes("gap-2"):
            if state == "running":
                self._button("Pause", "pause", "run-pause",
                             lambda: api.pause_run(self.conn, run.id),
                             "Pausing after the step in flight")
            if operator:
                self._button("Resume", "play_arrow", "run-resume",
                             lambda: api.resume_run(self.conn, run.id), "Resuming")
            if error:
                self._button("Retry step", "replay", "run-retry",
                             lambda: api.retry_step(self.conn, run.id, run.pause.id),
                             "Retrying the step")
                self._button("Skip step", "skip_next", "run-skip",
                             lambda: api.skip_step(self.conn, run.id, run.pause.id),
                             "Skipping the step")
            self._button("Stop after iteration", "stop_circle", "run-stop-after",
                         lambda: api.stop_run(self.conn, run.id, now=False),
                         "Stopping after this iteration", outline=True)
            self._button("Stop now", "stop", "run-stop-now",
                         lambda: api.stop_run(self.conn, run.id, now=True),
                         "Stopping after the step in flight", outline=True, color="negative")

    @staticmethod
    def _button(label: str, icon: str, marker: str, action: Callable[[], Awaitable[None]],
                done: str, *, outline: bool = False, color: str = "primary") -> None:
        async def click() -> None:
            try:
                await action()
            except UiError as exc:
                ui.notify(exc.text, type="negative")
                return
            ui.notify(done)

        ui.button(label, icon=icon, on_click=click).props(
            f"no-caps dense {'outline' if outline else ''} color={color}").mark(marker)

    def _steps(self) -> None:
        if self.workflow is None:
            ui.label("—").classes("text-slate-400")
            return
        phase = PHASE_NAMES.get(self.run.progress.phase, "main") if self.run else "main"
        for name in ("prep", "main", "cleanup"):
            if getattr(self.workflow, name):
                label = name.capitalize() + (" · running" if name == phase and self.run
                                             and self.run.state == run_pb2.RUN_STATE_RUNNING
                                             else "")
                ui.label(label).classes("text-xs font-medium text-slate-500 mt-1")
                self.tree.show(self.workflow, name)


def _state_note(change: run_pb2.RunStateChanged) -> str:
    state = state_name(change.state)
    if state == "running":
        return "Resumed" if change.previous == run_pb2.RUN_STATE_PAUSED else "Run started"
    if state == "paused":
        return PAUSE_NOTES.get(change.pause.kind, "Paused").format(message=change.pause.message)
    error = f": {change.error.type}: {change.error.message}" if change.error.message else ""
    return f"Run {state}{error}"


def _where(progress: run_pb2.RunProgress, state: str) -> str:
    phase = PHASE_NAMES.get(progress.phase, "")
    if state == "queued":
        return "waiting in the queue"
    if phase == "main" or (progress.iterations and progress.iteration):
        return f"iteration {progress.iteration}/{progress.iterations}"
    return phase
