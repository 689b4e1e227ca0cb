"""Who is logged in, for each page.

The bearer token (and username) lives in ``app.storage.user`` so a reload or a second tab
keeps the login; each page load gets its own `Connection` (its own channel) in
``app.storage.client``, closed when the page's client is deleted.

A page that needs a login::

    @ui.page('/design')
    @session.login_required()                  # or login_required(Role.OPERATOR)
    async def design_page(conn: Connection, workflow: str = '') -> None:
        with theme.frame('Design'):
            ...

The decorated function receives the `Connection` first; its other parameters stay query
parameters (``/design?workflow=NAME``). Without a login the page redirects to
``/login?next=<path>``; with a too-low role it shows a notice instead of calling the builder.
Event handlers get the page's connection with `connection()`; `require_role(role)` tells
whether the user may do something (hide or disable buttons with it).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec
from urllib.parse import quote

from fastapi.responses import RedirectResponse
from nicegui import app, context, ui

from ivorygrpc_ui import settings, state
from ivorygrpc_ui.client.connection import Connection, Role, UiError, login, resume

__all__ = ["Role", "connection", "current", "login_required", "require_role", "sign_in",
           "sign_out"]

P = ParamSpec("P")
PageBuilder = Callable[Concatenate[Connection, P], Awaitable[None]]
logger = logging.getLogger(__name__)

_USER_KEY = "ivorygrpc_login"
_CLIENT_KEY = "ivorygrpc_connection"


def _stored() -> Connection | None:
    conn = app.storage.client.get(_CLIENT_KEY)
    return conn if isinstance(conn, Connection) else None


def _adopt(conn: Connection) -> Connection:
    app.storage.client[_CLIENT_KEY] = conn
    context.client.on_delete(conn.close)
    state.hub().attach(conn)
    return conn


async def sign_in(username: str, password: str) -> Connection:
    """Log in for this browser (every tab); raises `UiError` when refused."""
    conn = await login(settings.server_target(), username, password)
    app.storage.user[_USER_KEY] = {"token": conn.token, "username": conn.username}
    return _adopt(conn)


async def current() -> Connection | None:
    """The page's connection, resumed from the stored token; None when not logged in."""
    conn = _stored()
    if conn is not None:
        return conn
    saved = app.storage.user.get(_USER_KEY)
    if not isinstance(saved, dict) or not saved.get("token"):
        return None
    try:
        conn = await resume(settings.server_target(), str(saved["token"]))
    except UiError as exc:
        if exc.code != "UNAUTHENTICATED":
            raise
        app.storage.user.pop(_USER_KEY, None)
        return None
    return _adopt(conn)


def connection() -> Connection:
    """The connection of the page the caller runs in (event handlers)."""
    conn = _stored()
    if conn is None:
        raise LookupError("this page has no logged-in connection")
    return conn


def require_role(role: Role) -> bool:
    """True when the page's user has `role` or higher."""
    conn = _stored()
    return conn is not None and conn.allows(role)


async def sign_out() -> None:
    """Revoke the token, forget it in every tab of this browser and go to the login page."""
    conn = _stored()
    app.storage.user.pop(_USER_KEY, None)
    if conn is not None:
        try:
            from ivorygrpc_ui.client.auth import logout

            await logout(conn)
        except UiError as exc:
            logger.info("logout failed: %s", exc.text)
    ui.navigate.to("/login")


def _login_redirect() -> RedirectResponse:
    url = context.client.request.url
    target = url.path + (f"?{url.query}" if url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}")


def login_required(role: Role = Role.VIEWER) -> Callable[[PageBuilder[P]],
                                                         Callable[P, Awaitable[Any]]]:
    """Decorate a page builder: it gets the user's `Connection` and runs only for `role`+."""
    def decorate(builder: PageBuilder[P]) -> Callable[P, Awaitable[Any]]:
        @functools.wraps(builder)
        async def page(*args: P.args, **kwargs: P.kwargs) -> Any:
            from ivorygrpc_ui import theme

            try:
                conn = await current()
            except UiError as exc:
                with theme.frame("Server unreachable"):
                    ui.label(exc.text).classes("text-negative").mark("page-error")
                return None
            if conn is None:
                return _login_redirect()
            if not conn.allows(role):
                with theme.frame("Not allowed"):
                    ui.label(f"This page needs the {role.label} role.").mark("page-error")
                return None
            await builder(conn, *args, **kwargs)
            return None

        signature = inspect.signature(builder)
        page.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=list(signature.parameters.values())[1:])
        return page
    return decorate
