"""A Socket.IO poll whose browser left before it was read is no error in the UI's log."""

from __future__ import annotations

from typing import Any

import pytest
from nicegui import core
from nicegui.testing import User

POLL: dict[str, Any] = {
    "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
    "scheme": "http", "path": "/_nicegui_ws/socket.io/", "raw_path": b"/_nicegui_ws/socket.io/",
    "root_path": "", "query_string": b"EIO=4&transport=polling", "headers": [],
    "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}


async def _gone() -> dict[str, Any]:
    return {"type": "http.disconnect"}


async def _ignore(message: dict[str, Any]) -> None:
    del message


async def test_engineio_still_fails_on_a_dropped_poll() -> None:
    """The upstream bug DroppedClients works around; when this fails, drop the workaround."""
    from nicegui.nicegui import sio_app

    with pytest.raises(KeyError, match="REQUEST_METHOD"):
        await sio_app(dict(POLL, path="/socket.io/"), _gone, _ignore)


async def test_a_dropped_poll_is_ignored(user: User) -> None:
    await core.app(dict(POLL), _gone, _ignore)  # no KeyError reaches the server's log
    await user.open("/login")  # and the app still serves pages
    await user.should_see(marker="login-button")
