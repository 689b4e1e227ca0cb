"""``/library``: the saved workflows with search, deck filter, order and pages; open one in
the Design page (``/design?workflow=NAME``), copy it, delete it (admins)."""

from __future__ import annotations

from urllib.parse import quote

from nicegui import ui

from ivorygrpc_ui import session, theme
from ivorygrpc_ui.client.connection import Connection, Role, UiError
from ivorygrpc_ui.client.library import (
    ORDERS,
    WorkflowSummary,
    copy_workflow,
    delete_workflow,
    list_workflows,
)
from ivorygrpc_ui.client.values import show_time
from ivorygrpc_ui.components.dialogs import ask_text, confirmed_call
from ivorygrpc_ui.components.pager import Pager

PAGE_SIZES = (10, 20, 50)


class LibraryView:
    """Filters, the workflow list and the pager; `load()` fetches the current page."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        with ui.row().classes("w-full items-end gap-4"):
            self.search = ui.input("Search", on_change=self.restart) \
                .props("clearable debounce=300") \
                .classes("w-64").mark("library-search")
            self.deck = ui.input("Deck", on_change=self.restart).props("clearable debounce=300") \
                .classes("w-48").mark("library-deck")
            self.order = ui.select(ORDERS, value="name", label="Sort by",
                                   on_change=self.restart).classes("w-40").mark("library-order")
            self.size = ui.select(list(PAGE_SIZES), value=20, label="Per page",
                                  on_change=self.restart).classes("w-28").mark("library-size")
        self.list = ui.column().classes("w-full gap-2").mark("library-list")
        self.pager = Pager("library", self.load)

    async def restart(self) -> None:
        await self.pager.restart()

    async def load(self) -> None:
        try:
            page = await list_workflows(self.conn, search=self.search.value or "",
                                        deck=self.deck.value or "",
                                        order_by=self.order.value or "name",
                                        page_size=int(self.size.value or 20),
                                        page_token=self.pager.token)
        except UiError as exc:
            self.list.clear()
            with self.list:
                ui.label(exc.text).classes("text-negative").mark("library-error")
            return
        self.pager.loaded(page.next_page_token)
        self.list.clear()
        with self.list:
            if not page.workflows:
                ui.label("No workflows match.").classes("text-grey-7").mark("library-empty")
            for workflow in page.workflows:
                self._row(workflow)

    def _row(self, workflow: WorkflowSummary) -> None:
        with ui.card().classes("w-full").mark(f"workflow-{workflow.name}"), \
                ui.row().classes("w-full items-center gap-4"):
            with ui.column().classes("gap-0 grow"):
                with ui.row().classes("items-center gap-2"):
                    ui.link(workflow.display_name,
                            f"/design?workflow={quote(workflow.name)}") \
                        .classes("text-lg font-semibold").mark(f"open-{workflow.name}")
                    if workflow.display_name != workflow.name:
                        ui.label(workflow.name).classes("font-mono text-grey-7")
                    ui.badge("finalized" if workflow.finalized else "editing",
                             color="secondary" if workflow.finalized else "accent")
                    if workflow.registered:
                        ui.badge("registered", color="info")
                if workflow.description:
                    ui.label(workflow.description).classes("text-grey-8")
                ui.label(f"deck {workflow.deck or '-'} · v{workflow.version} · "
                         f"{workflow.step_count} steps · by {workflow.author or '-'} · "
                         f"modified {show_time(workflow.update_time)}") \
                    .classes("text-sm text-grey-7")
            ui.button("Runs", icon="insights",
                      on_click=lambda w=workflow: ui.navigate.to(
                          f"/data?workflow={quote(w.name)}")) \
                .props("flat").mark(f"runs-{workflow.name}")
            if session.require_role(Role.OPERATOR):
                ui.button("Copy", icon="content_copy",
                          on_click=lambda w=workflow: self.copy(w)) \
                    .props("flat").mark(f"copy-{workflow.name}")
            if session.require_role(Role.ADMIN):
                ui.button(icon="delete", on_click=lambda w=workflow: self.delete(w)) \
                    .props("flat color=negative").mark(f"delete-{workflow.name}")

    async def copy(self, workflow: WorkflowSummary) -> None:
        new_name = await ask_text("New name", f"{workflow.name}_copy", "Copy",
                                  title=f"Copy {workflow.name}", marker="copy")
        if not new_name:
            return
        try:
            await copy_workflow(self.conn, workflow.name, new_name)
        except UiError as exc:
            ui.notify(exc.text, type="negative", multi_line=True)
            return
        ui.notify(f"Copied as {new_name}", type="positive")
        await self.load()

    async def delete(self, workflow: WorkflowSummary) -> None:
        if await confirmed_call(f"Delete {workflow.name} with all its versions?",
                                lambda: delete_workflow(self.conn, workflow.name),
                                f"Deleted {workflow.name}"):
            await self.load()


def create() -> None:
    """Register the library page."""
    @ui.page("/library")
    @session.login_required()
    async def library_page(conn: Connection) -> None:
        with theme.frame("Library"):
            await LibraryView(conn).load()
