"""``/instruments``: every instrument and method with a typed form and a Run button.

A banner shows when a run holds the deck (direct calls are refused then; it follows the
`state.EventHub`). Each user can hide methods and change their order; the choice is kept
in ``app.storage.user`` (per login browser). Below: the recent direct-call records.
"""

from __future__ import annotations

import functools
from typing import Any

from nicegui import app, ui

from ivorygrpc_ui import session, state, theme
from ivorygrpc_ui.client.connection import Connection, UiError
from ivorygrpc_ui.client.control import (
    CallInfo,
    InstrumentInfo,
    MethodInfo,
    list_calls,
    list_instruments,
)
from ivorygrpc_ui.client.events import ExecutionStatusInfo
from ivorygrpc_ui.client.values import show, show_duration, show_time
from ivorygrpc_ui.components.method_card import MethodCard

_PREFS_KEY = "instrument_layout"
CALL_COLUMNS = [
    {"name": "time", "label": "Started", "field": "time", "align": "left"},
    {"name": "call", "label": "Call", "field": "call", "align": "left"},
    {"name": "arguments", "label": "Arguments", "field": "arguments", "align": "left"},
    {"name": "state", "label": "State", "field": "state", "align": "left"},
    {"name": "output", "label": "Output / error", "field": "output", "align": "left"},
    {"name": "duration", "label": "Duration", "field": "duration", "align": "right"},
    {"name": "caller", "label": "By", "field": "caller", "align": "left"},
]


class Layout:
    """A user's method order and hidden methods, per instrument (kept per browser and user)."""

    def __init__(self, username: str) -> None:
        self.username = username
        stored = app.storage.user.get(_PREFS_KEY)
        mine = stored.get(username) if isinstance(stored, dict) else None
        self.data: dict[str, Any] = mine if isinstance(mine, dict) else {}

    def _entry(self, instrument: str) -> dict[str, list[str]]:
        entry = self.data.setdefault(instrument, {"order": [], "hidden": []})
        return entry  # type: ignore[no-any-return]

    def _save(self) -> None:
        stored = app.storage.user.get(_PREFS_KEY)
        everyone = stored if isinstance(stored, dict) else {}
        app.storage.user[_PREFS_KEY] = {**everyone, self.username: self.data}

    def arrange(self, instrument: InstrumentInfo) -> tuple[list[MethodInfo], list[MethodInfo]]:
        """The visible methods in the user's order, and the hidden ones."""
        entry = self.data.get(instrument.name, {})
        order = {name: i for i, name in enumerate(entry.get("order", []))}
        hidden = set(entry.get("hidden", []))
        methods = sorted(instrument.methods, key=lambda m: order.get(m.name, len(order)))
        return ([m for m in methods if m.name not in hidden],
                [m for m in methods if m.name in hidden])

    def move(self, instrument: InstrumentInfo, method: str, step: int) -> None:
        """Move a visible method up (-1) or down (+1)."""
        names = [m.name for m in self.arrange(instrument)[0]]
        index = names.index(method)
        target = max(0, min(len(names) - 1, index + step))
        names.insert(target, names.pop(index))
        self._entry(instrument.name)["order"] = names
        self._save()

    def set_hidden(self, instrument: str, method: str, hidden: bool) -> None:
        """Hide or show a method."""
        names = self._entry(instrument)["hidden"]
        if hidden and method not in names:
            names.append(method)
        if not hidden and method in names:
            names.remove(method)
        self._save()


def _call_row(call: CallInfo, order: list[str]) -> dict[str, str]:
    """A table row; arguments in signature `order` (records keep no order)."""
    names = sorted(call.arguments, key=lambda n: (order.index(n) if n in order else len(order), n))
    return {"id": call.id, "time": show_time(call.start_time),
            "call": f"{call.instrument}.{call.method}",
            "arguments": ", ".join(f"{n}={show(call.arguments[n])}" for n in names),
            "state": call.state, "output": call.error or show(call.output),
            "duration": show_duration(call.start_time, call.end_time), "caller": call.caller}


class InstrumentsView:
    """The page content: busy banner, instrument cards, recent calls."""

    def __init__(self, conn: Connection, instruments: list[InstrumentInfo]) -> None:
        self.conn = conn
        self.instruments = instruments
        self.layout = Layout(conn.username)
        self.signatures = {(i.name, m.name): [p.name for p in m.parameters]
                           for i in instruments for m in i.methods}
        self.cards: list[MethodCard] = []
        self.banner = ui.label("").classes(
            "w-full rounded bg-amber-100 text-amber-900 px-4 py-2").mark("busy-banner")
        self.body = ui.column().classes("w-full gap-4")
        with ui.row().classes("items-center w-full"):
            ui.label("Recent direct calls").classes("text-lg font-semibold")
            ui.space()
            ui.button(icon="refresh", on_click=self.load_calls).props("flat round") \
                .mark("refresh-calls")
        self.calls = ui.table(columns=CALL_COLUMNS, rows=[], row_key="id") \
            .classes("w-full").props("flat bordered dense").mark("recent-calls")
        self.render()
        hub = state.hub()
        self.show_busy(hub.status)
        hub.status_changed.subscribe(self.show_busy)

    def render(self) -> None:
        """(Re)build the instrument cards from the layout."""
        self.body.clear()
        self.cards = []
        with self.body:
            if not self.instruments:
                ui.label("The deck has no instruments.").classes("text-grey-7")
            for instrument in self.instruments:
                self._instrument(instrument)
        self.show_busy(state.hub().status)

    def _instrument(self, instrument: InstrumentInfo) -> None:
        visible, hidden = self.layout.arrange(instrument)
        title = "blocks" if instrument.is_blocks else instrument.name
        caption = instrument.class_name
        with ui.expansion(value=True).classes("w-full bg-white rounded shadow-sm") \
                .mark(f"instrument-{instrument.name}") as section:
            with section.add_slot("header"), ui.row().classes("items-center gap-3 w-full"):
                ui.icon("widgets" if instrument.is_blocks else "precision_manufacturing",
                        size="sm", color="primary")
                ui.label(title).classes("text-lg font-semibold")
                if caption:
                    ui.label(caption).classes("text-grey-7")
                ui.label(f"{len(instrument.methods)} methods").classes("text-grey-6 text-sm")
            if instrument.description:
                ui.label(instrument.description).classes("text-grey-8 px-4")
            with ui.element("div").classes("grid grid-cols-1 xl:grid-cols-2 gap-3 p-2 w-full"):
                for method in visible:
                    self.cards.append(MethodCard(
                        instrument.name, method, on_called=self.called,
                        on_move=functools.partial(self.move, instrument),
                        on_hide=functools.partial(self.hide, instrument.name)))
            if hidden:
                with ui.row().classes("items-center gap-2 text-grey-7 px-2 pb-2"):
                    ui.label("Hidden:")
                    for method in hidden:
                        ui.button(method.name, icon="visibility",
                                  on_click=functools.partial(self.hide, instrument.name,
                                                             method.name, False)) \
                            .props("flat dense no-caps") \
                            .mark(f"unhide-{instrument.name}-{method.name}")

    def move(self, instrument: InstrumentInfo, method: str, step: int) -> None:
        self.layout.move(instrument, method, step)
        self.render()

    def hide(self, instrument: str, method: str, hidden: bool = True) -> None:
        self.layout.set_hidden(instrument, method, hidden)
        self.render()

    def show_busy(self, status: ExecutionStatusInfo) -> None:
        """Show the banner and disable Run buttons while a run holds the deck."""
        name = status.current_run_name or status.current_run_id
        self.banner.text = (f"Run “{name}” holds the deck ({status.current_run_state}): "
                            "direct calls are refused until it ends.") if status.busy else ""
        self.banner.set_visibility(status.busy)
        for card in self.cards:
            card.set_busy(status.busy)

    def _row(self, call: CallInfo) -> dict[str, str]:
        return _call_row(call, self.signatures.get((call.instrument, call.method), []))

    def called(self, call: CallInfo) -> None:
        rows = [self._row(call), *[r for r in self.calls.rows if r["id"] != call.id]]
        self.calls.rows = rows[:20]
        self.calls.update()

    async def load_calls(self) -> None:
        try:
            page = await list_calls(self.conn, page_size=20)
        except UiError as exc:
            ui.notify(exc.text, type="negative")
            return
        self.calls.rows = [self._row(c) for c in page.calls]
        self.calls.update()


def create() -> None:
    """Register the instruments page."""
    @ui.page("/instruments")
    @session.login_required()
    async def instruments_page(conn: Connection) -> None:
        with theme.frame("Instruments"):
            try:
                instruments = await list_instruments(conn)
            except UiError as exc:
                ui.label(exc.text).classes("text-negative").mark("page-error")
                return
            view = InstrumentsView(conn, instruments)
            await view.load_calls()
