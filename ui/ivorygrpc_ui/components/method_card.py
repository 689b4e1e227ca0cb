"""One method of an instrument: docstring, typed form, Run button, result or error."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from ivorygrpc_ui import session
from ivorygrpc_ui.client.connection import Role, UiError
from ivorygrpc_ui.client.control import CallInfo, MethodInfo, call_method, new_request_id
from ivorygrpc_ui.client.values import show
from ivorygrpc_ui.components.parameter_form import ParameterForm


class MethodCard:
    """A card for `instrument.method`; `on_called` gets each finished call's record.

    Markers (with ``key = f'{instrument}-{method}'``): ``run-{key}``, ``result-{key}``,
    inputs ``param-{key}-{name}``, ``hide-{key}``, ``up-{key}``, ``down-{key}``.
    """

    def __init__(self, instrument: str, method: MethodInfo,
                 on_called: Callable[[CallInfo], object],
                 on_move: Callable[[str, int], object],
                 on_hide: Callable[[str], object]) -> None:
        self.instrument = instrument
        self.method = method
        self.on_called = on_called
        self.can_call = session.require_role(Role.OPERATOR)
        key = f"{instrument}-{method.name}"
        with ui.card().classes("w-full gap-2").props("flat bordered").mark(f"method-{key}"):
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(method.name).classes("text-base font-semibold font-mono")
                if method.kind != "method":
                    ui.badge(method.kind.replace("_", " "), color="secondary")
                ui.space()
                ui.button(icon="arrow_upward", on_click=lambda: on_move(method.name, -1)) \
                    .props("flat dense round size=sm").mark(f"up-{key}").tooltip("Move up")
                ui.button(icon="arrow_downward", on_click=lambda: on_move(method.name, 1)) \
                    .props("flat dense round size=sm").mark(f"down-{key}").tooltip("Move down")
                ui.button(icon="visibility_off", on_click=lambda: on_hide(method.name)) \
                    .props("flat dense round size=sm").mark(f"hide-{key}").tooltip("Hide")
            if method.description:
                ui.label(method.description).classes("text-grey-8 text-sm whitespace-pre-line")
            self.form = ParameterForm(method.parameters, mark_prefix=f"param-{key}-")
            with ui.row().classes("w-full items-center gap-3"):
                self.button = ui.button("Run", icon="play_arrow", on_click=self.run) \
                    .mark(f"run-{key}")
                if not self.can_call:
                    self.button.disable()
                    self.button.tooltip("Needs the operator role")
                self.result = ui.label("").classes("font-mono text-sm whitespace-pre-wrap") \
                    .mark(f"result-{key}")

    def set_busy(self, busy: bool) -> None:
        """Disable Run while a run holds the deck."""
        if self.can_call:
            self.button.set_enabled(not busy)

    async def run(self) -> None:
        """Validate the form and call the method; show the result or the error."""
        arguments, problems = self.form.read()
        if problems:
            self.result.classes(replace="text-negative font-mono text-sm whitespace-pre-wrap")
            self.result.text = "Fix the inputs first."
            return
        self.button.props("loading")
        try:
            outcome = await call_method(session.connection(), self.instrument, self.method.name,
                                        arguments, new_request_id())
        except UiError as exc:
            self.result.classes(replace="text-negative font-mono text-sm whitespace-pre-wrap")
            self.result.text = exc.text
            if exc.violations:
                self.form.show_problems([f"{f}: {t}" for f, t in exc.violations])
            return
        finally:
            self.button.props(remove="loading")
        self.result.classes(replace="text-positive font-mono text-sm whitespace-pre-wrap")
        self.result.text = ("Done" if self.method.returns == "none"
                            else f"Result: {show(outcome.result)}")
        self.on_called(outcome.call)
