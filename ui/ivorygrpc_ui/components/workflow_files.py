"""Design-page dialogs around whole workflows: save as, versions, Python preview, import
and export."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence

from google.protobuf import json_format
from nicegui import events, ui

from ivorygrpc.v1 import workflow_pb2 as wf
from ivorygrpc_ui.client.connection import Connection, UiError
from ivorygrpc_ui.client.design import Imported, import_workflows, list_versions, render_python
from ivorygrpc_ui.client.values import show_time, time_of

NAME_RULE = "1 to 64 letters, digits, _ or -"


async def ask_name(title: str, name: str = "", display_name: str = "",
                   description: str = "") -> tuple[str, str, str] | None:
    """Ask for a workflow name, title and description; None when cancelled."""
    with ui.dialog() as dialog, ui.card().classes("w-96 gap-2"):
        ui.label(title).classes("text-lg font-semibold")
        name_input = ui.input("Name", value=name,
                              validation={NAME_RULE: _valid_name}).classes("w-full") \
            .mark("workflow-name").props(f'hint="{NAME_RULE}"')
        title_input = ui.input("Title", value=display_name).classes("w-full") \
            .mark("workflow-title")
        about = ui.textarea("Description", value=description).classes("w-full") \
            .props("autogrow").mark("workflow-description")

        def submit() -> None:
            if _valid_name(name_input.value or ""):
                dialog.submit((name_input.value, title_input.value or "", about.value or ""))

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat")
            ui.button("Save", on_click=submit).mark("name-save")
    result = await dialog
    dialog.clear()
    return result if isinstance(result, tuple) else None


async def ask_details(workflow: wf.Workflow) -> tuple[str, str, bool] | None:
    """Ask for the title, description and registered flag; None when cancelled."""
    with ui.dialog() as dialog, ui.card().classes("w-96 gap-2"):
        ui.label("Details").classes("text-lg font-semibold")
        title = ui.input("Title", value=workflow.display_name).classes("w-full") \
            .mark("details-title")
        about = ui.textarea("Description", value=workflow.description).classes("w-full") \
            .props("autogrow").mark("details-description")
        registered = ui.checkbox("Registered: other workflows may call it",
                                 value=workflow.registered).mark("details-registered")
        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat")
            ui.button("Apply", on_click=lambda: dialog.submit(
                (title.value or "", about.value or "", bool(registered.value)))) \
                .mark("details-save")
    result = await dialog
    dialog.clear()
    return result if isinstance(result, tuple) else None


def _valid_name(text: str) -> bool:
    return 0 < len(text) <= 64 and all(c.isalnum() or c in "_-" for c in text) and text.isascii()


async def show_versions(conn: Connection, name: str,
                        on_open: Callable[[int], Awaitable[None]]) -> None:
    """List the saved versions; `on_open(version)` loads one."""
    try:
        versions = await list_versions(conn, name)
    except UiError as exc:
        ui.notify(exc.text, type="negative")
        return
    with ui.dialog() as dialog, ui.card().classes("w-[32rem] gap-1"):
        ui.label(f"Versions of {name}").classes("text-lg font-semibold")
        for version in versions:
            with ui.row().classes("w-full items-center gap-3 py-1 border-b border-slate-100"):
                ui.label(f"v{version.version}").classes("font-mono w-12")
                ui.label(show_time(time_of(version, "update_time"))).classes("text-sm grow")
                ui.label(version.author).classes("text-sm text-slate-500")

                async def open_version(number: int = version.version) -> None:
                    dialog.close()
                    await on_open(number)

                ui.button("Open", on_click=open_version).props("flat dense") \
                    .mark(f"open-version-{version.version}")
        with ui.row().classes("w-full justify-end"):
            ui.button("Close", on_click=dialog.close).props("flat")
    dialog.open()


async def show_python(conn: Connection, name: str, stale: bool) -> None:
    """The rendered Python of the saved workflow in a dialog."""
    try:
        source = await render_python(conn, name)
    except UiError as exc:
        ui.notify(exc.text, type="negative")
        return
    with ui.dialog() as dialog, ui.card().classes("w-[52rem] max-w-full"):
        ui.label(f"{name}.py").classes("text-lg font-semibold")
        if stale:
            ui.label("Shows the last saved version; save to include the latest edits.") \
                .classes("text-sm text-amber-700")
        ui.code(source, language="python").classes("w-full max-h-[60vh] overflow-auto") \
            .mark("python-preview")
        with ui.row().classes("w-full justify-end"):
            ui.button("Download", icon="download",
                      on_click=lambda: ui.download.content(source.encode(), f"{name}.py",
                                                           "text/x-python")).props("flat")
            ui.button("Close", on_click=dialog.close).props("flat")
    dialog.open()


def export_json(workflow: wf.Workflow) -> None:
    """Download the draft as JSON (the `Workflow` message with proto field names)."""
    data = json_format.MessageToDict(workflow, preserving_proto_field_name=True)
    name = workflow.name or "workflow"
    ui.download.content(json.dumps(data, indent=2).encode(), f"{name}.json", "application/json")


def parse_workflow_json(text: str) -> wf.Workflow | None:
    """A workflow exported by `export_json`, or None when the JSON is something else
    (such as an IvoryOS file)."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or not ({"main", "prep", "cleanup"} & set(data)):
            return None
        return json_format.ParseDict(data, wf.Workflow())
    except (ValueError, json_format.ParseError):
        return None


async def import_dialog(conn: Connection,
                        on_pick: Callable[[Imported], Awaitable[None]]) -> None:
    """Upload a Python file, an IvoryOS JSON file or an exported workflow; pick one result."""
    with ui.dialog() as dialog, ui.card().classes("w-[36rem] max-w-full gap-2"):
        ui.label("Import a workflow").classes("text-lg font-semibold")
        ui.label("A Python file (top-level functions; prep/main/cleanup together form one "
                 "workflow), an IvoryOS workflow JSON file, or a workflow exported here.") \
            .classes("text-sm text-slate-600")
        results = ui.column().classes("w-full gap-2")

        async def received(event: events.UploadEventArguments) -> None:
            text = (await event.file.read()).decode("utf-8", errors="replace")
            results.clear()
            try:
                found = _own_export(text) or await import_workflows(
                    conn, text, ivoryos_json=event.file.name.lower().endswith(".json"),
                    name=event.file.name.rsplit(".", 1)[0].replace(" ", "_")[:64])
            except UiError as exc:
                with results:
                    ui.label(exc.text).classes("text-red-600 whitespace-pre-line") \
                        .mark("import-error")
                return
            async def pick(item: Imported) -> None:
                dialog.close()
                await on_pick(item)

            with results:
                _results(found, pick)

        ui.upload(on_upload=received, auto_upload=True, label="Choose a .py or .json file") \
            .props('accept=".py,.json" flat color=primary').classes("ig-upload") \
            .mark("import-upload")
        with ui.row().classes("w-full justify-end"):
            ui.button("Close", on_click=dialog.close).props("flat")
    dialog.open()


def _own_export(text: str) -> list[Imported]:
    workflow = parse_workflow_json(text)
    return [Imported(workflow, ())] if workflow is not None else []


def _results(found: Sequence[Imported], pick: Callable[[Imported], object]) -> None:
    if not found:
        ui.label("Nothing to import was found.").classes("text-sm")
    for item in found:
        count = sum(len(getattr(item.workflow, p)) for p in ("prep", "main", "cleanup"))
        with ui.card().classes("w-full gap-1 p-3"):
            with ui.row().classes("w-full items-center"):
                ui.label(item.workflow.name).classes("font-medium grow")
                ui.label(f"{count} steps").classes("text-sm text-slate-500")
                ui.button("Open", on_click=lambda i=item: pick(i)).props("dense") \
                    .mark(f"import-open-{item.workflow.name}")
            for warning in item.warnings:
                ui.label(f"⚠ {warning}").classes("text-xs text-amber-700").mark("import-warning")
