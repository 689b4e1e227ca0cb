"""Quiet a known engineio bug: a long-poll whose browser left logs ``KeyError``.

python-engineio's ASGI driver (4.15) answers a request whose first ASGI message is
``http.disconnect`` (the tab was closed or reloaded while a Socket.IO poll was on its way)
with an empty environ, which its server then indexes: ``KeyError: 'REQUEST_METHOD'`` in the
log for every such tab. Nobody is left to answer, so `DroppedClients` (added before
NiceGUI's own middlewares, so it sits right above the routes) turns exactly that error,
only when the client really disconnected, into an unread 400; all else passes through.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class DroppedClients:
    """ASGI middleware: ignore engineio's KeyError for a request whose client left."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        left = False

        async def watched() -> Message:
            nonlocal left
            message = await receive()
            left = left or message["type"] == "http.disconnect"
            return message

        try:
            await self.app(scope, watched, send)
        except KeyError as exc:
            if not (left and exc.args == ("REQUEST_METHOD",)):
                raise
            # An answer nobody reads, so NiceGUI's middlewares above see a finished request.
            await send({"type": "http.response.start", "status": 400, "headers": []})
            await send({"type": "http.response.body", "body": b""})
