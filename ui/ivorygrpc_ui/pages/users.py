"""``/users`` (admins): list users, create one with a role, change role, disable/enable,
reset a password, delete. Users change their own password from the user menu."""

from __future__ import annotations

from nicegui import ui

from ivorygrpc_ui import session, theme
from ivorygrpc_ui.client import auth
from ivorygrpc_ui.client.connection import Connection, Role, UiError
from ivorygrpc_ui.client.values import show_time
from ivorygrpc_ui.components.account import reset_password_dialog
from ivorygrpc_ui.components.dialogs import confirmed_call

ROLE_OPTIONS = {role.value: role.label for role in Role}


def create() -> None:
    """Register the users page."""
    @ui.page("/users")
    @session.login_required(Role.ADMIN)
    async def users_page(conn: Connection) -> None:
        with theme.frame("Users"):
            with ui.card().classes("w-full"):
                ui.label("New user").classes("text-lg font-semibold")
                with ui.row().classes("items-end gap-4 w-full"):
                    name = ui.input("Username").mark("new-username")
                    password = ui.input("Initial password", password=True) \
                        .mark("new-user-password")
                    role = ui.select(ROLE_OPTIONS, value=Role.OPERATOR.value, label="Role") \
                        .classes("w-40").mark("new-user-role")

                    async def add() -> None:
                        try:
                            await auth.create_user(conn, name.value or "", password.value or "",
                                                   Role(role.value))
                        except UiError as exc:
                            ui.notify(exc.text, type="negative", multi_line=True)
                            return
                        ui.notify(f"User {name.value} created", type="positive")
                        name.value = ""
                        password.value = ""
                        await users_view.reload()

                    ui.button("Create", icon="person_add", on_click=add).mark("create-user")
            users_view = _UsersView(conn)
            await users_view.show()


class _UsersView:
    """The user table with one row of actions per user."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.container = ui.column().classes("w-full gap-2")

    async def reload(self) -> None:
        self.container.clear()
        with self.container:
            await self.show()

    async def show(self) -> None:
        try:
            users = await auth.list_users(self.conn)
        except UiError as exc:
            ui.label(exc.text).classes("text-negative")
            return
        with self.container, ui.card().classes("w-full p-0"):
            for user in users:
                self._row(user)

    def _row(self, user: auth.UserInfo) -> None:
        with ui.row().classes("w-full items-center px-4 py-2 border-b gap-4") \
                .mark(f"user-{user.username}"):
            ui.label(user.username).classes("w-48 font-medium")
            ui.select(ROLE_OPTIONS, value=user.role.value,
                      on_change=lambda e, u=user: self._change(u, role=Role(e.value))) \
                .props("dense outlined").classes("w-36").mark(f"role-{user.username}")
            ui.badge("disabled" if user.disabled else "active",
                     color="grey" if user.disabled else "positive") \
                .mark(f"status-{user.username}")
            ui.label(f"created {show_time(user.create_time)}").classes("text-grey-7 text-sm")
            ui.space()
            ui.button("Enable" if user.disabled else "Disable",
                      on_click=lambda u=user: self._change(u, disabled=not u.disabled)) \
                .props("flat dense").mark(f"toggle-{user.username}")
            ui.button("Reset password", icon="key",
                      on_click=lambda u=user: reset_password_dialog(u.username)) \
                .props("flat dense").mark(f"reset-{user.username}")
            ui.button(icon="delete", on_click=lambda u=user: self._delete(u)) \
                .props("flat dense color=negative").mark(f"delete-{user.username}")

    async def _change(self, user: auth.UserInfo, *, role: Role | None = None,
                      disabled: bool | None = None) -> None:
        try:
            await auth.update_user(self.conn, user, role=role, disabled=disabled)
        except UiError as exc:
            ui.notify(exc.text, type="negative", multi_line=True)
        else:
            ui.notify(f"User {user.username} updated", type="positive")
        await self.reload()

    async def _delete(self, user: auth.UserInfo) -> None:
        if await confirmed_call(f"Delete user {user.username}? Their tokens stop working.",
                                lambda: auth.delete_user(self.conn, user.username),
                                f"User {user.username} deleted"):
            await self.reload()
