"""The Design page's palette: the built-in steps, the deck's methods and the registered
workflows.

Drag an entry onto the step tree to insert it there, or click it to append it to the
phase on show. Entries are marked `palette-<instrument>.<method>` and `palette-<kind>`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from nicegui import ui

from ivorygrpc.v1 import instrument_pb2 as ins
from ivorygrpc.v1 import workflow_pb2 as wf
from ivorygrpc_ui.editor import BLOCK_KINDS, new_block, new_call
from ivorygrpc_ui.editor.steps import new_call_workflow

NewStep = Callable[[], wf.Step]
_DRAG_START = ("(e) => { e.dataTransfer.effectAllowed = 'copy';"
               " e.dataTransfer.setData('text/plain', 'new'); emit(); }")


def step_palette(instruments: Sequence[ins.Instrument], *,
                 on_drag: Callable[[NewStep], None], on_add: Callable[[NewStep], None],
                 workflows: Sequence[tuple[str, int]] = ()) -> None:
    """Draw the palette; `on_drag` / `on_add` get a factory of the new step.

    :param workflows: registered workflows as ``(name, version)``, offered as call steps
    """
    entries: list[tuple[ui.element, str]] = []
    search = ui.input(placeholder="Filter methods").props("dense clearable outlined") \
        .classes("w-full").mark("palette-filter")
    with ui.column().classes("w-full gap-1"):
        ui.label("Flow control").classes("text-xs uppercase tracking-wide text-slate-500 mt-2")
        for block in BLOCK_KINDS:
            entry = _entry(block.label, block.icon, "", functools.partial(new_block, block.kind),
                           on_drag, on_add, marker=f"palette-{block.kind}")
            entries.append((entry, block.label.lower()))
        for instrument in instruments:
            methods = [m for m in instrument.methods if m.kind != ins.METHOD_KIND_PROPERTY_SET]
            if not methods:
                continue
            ui.label(instrument.name).classes(
                "text-xs uppercase tracking-wide text-slate-500 mt-3")
            for method in methods:
                name = f"{instrument.name}.{method.name}"
                entry = _entry(method.name, "precision_manufacturing",
                               method.description.split("\n")[0],
                               functools.partial(new_call, instrument.name, method),
                               on_drag, on_add, marker=f"palette-{name}")
                entries.append((entry, name.lower()))

        if workflows:
            ui.label("Workflows").classes("text-xs uppercase tracking-wide text-slate-500 mt-3")
        for name, version in workflows:
            entry = _entry(name, "account_tree", f"run {name} v{version}",
                           functools.partial(new_call_workflow, name, version),
                           on_drag, on_add, marker=f"palette-workflow-{name}")
            entries.append((entry, name.lower()))

    def apply_filter() -> None:
        text = (search.value or "").lower().strip()
        for element, key in entries:
            element.set_visibility(not text or text in key)

    search.on_value_change(apply_filter)


def _entry(label: str, icon: str, help_text: str, factory: NewStep,
           on_drag: Callable[[NewStep], None], on_add: Callable[[NewStep], None], *,
           marker: str) -> ui.element:
    with ui.row().classes(
            "w-full items-center gap-2 px-2 py-1 rounded-md border border-slate-200 bg-white "
            "hover:bg-blue-50 hover:border-blue-300 cursor-grab no-wrap") as entry:
        ui.icon(icon, size="xs").classes("text-slate-500")
        ui.label(label).classes("text-sm grow truncate")
        ui.button(icon="add", on_click=lambda: on_add(factory)).props(
            f'flat round dense size=xs color=primary aria-label="Add {label}"').mark(marker)
    if help_text:
        entry.tooltip(help_text)
    entry.props("draggable=true").mark(marker.replace("palette-", "palette-entry-", 1))
    entry.on("dragstart", lambda: on_drag(factory), js_handler=_DRAG_START)
    return entry
