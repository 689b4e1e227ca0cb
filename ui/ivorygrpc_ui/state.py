"""Live state pushed from the server: one `EventHub` per server address and UI process.

The UI never polls. The hub runs one ``ExecuteService.StreamRunEvents`` call (started with
`background_tasks.create`), resumes it with ``after_sequence`` after a break, and fans the
events out through NiceGUI `Event`s::

    hub = state.hub()                       # the hub of the configured server
    hub.events.subscribe(on_event)          # on_event(event: RunEventInfo), every stored event
    hub.status_changed.subscribe(on_status) # on_status(status: ExecutionStatusInfo)
    hub.status                              # the latest ExecutionStatusInfo (busy, queue, ...)
    hub.connected                           # False while the stream is down
    hub.connection_changed.subscribe(fn)    # fn(connected: bool)
    hub.campaign_changed.subscribe(fn)      # fn(campaign_id: str): trials suggested/observed

Subscribing inside a page unsubscribes automatically when the page's client is deleted,
and callbacks run in the page's UI context, so they may change elements directly.
`session` attaches every page's `Connection` to the hub: the stream uses the token of any
logged-in user (events are the same for everyone) and switches to another when one stops
working. ``status`` is re-read with ``GetExecutionStatus`` after each run state or queue
change, so it always matches the server.

``campaign_changed`` fires for every ``trials_suggested`` / ``trials_observed`` event, of
campaign runs and of suggest-only campaigns (those events have an empty ``run_id``).
"""

from __future__ import annotations

import asyncio
import logging

from nicegui import Event, background_tasks, context

from ivorygrpc_ui import settings
from ivorygrpc_ui.client.connection import Connection, Role, ServerTarget, UiError
from ivorygrpc_ui.client.events import (
    ExecutionStatusInfo,
    RunEventInfo,
    get_execution_status,
    stream_events,
)

__all__ = ["EventHub", "close_hubs", "hub"]

logger = logging.getLogger(__name__)
_REFRESH_KINDS = frozenset({"state_changed", "queue_changed"})
_CAMPAIGN_KINDS = frozenset({"trials_suggested", "trials_observed"})
_MAX_BACKOFF_S = 10.0


class EventHub:
    """The run-event stream of one server, shared by every page of this UI process."""

    def __init__(self, target: ServerTarget) -> None:
        self.target = target
        self.address = target.address
        self.status = ExecutionStatusInfo()
        self.connected = False
        self.events: Event[RunEventInfo] = Event()
        self.status_changed: Event[ExecutionStatusInfo] = Event()
        self.connection_changed: Event[bool] = Event()
        self.campaign_changed: Event[str] = Event()
        self._tokens: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_sequence: int | None = None

    def attach(self, conn: Connection) -> None:
        """Offer `conn`'s token to the stream for as long as the current page lives."""
        token = conn.token
        self._tokens[token] = self._tokens.get(token, 0) + 1
        context.client.on_delete(lambda: self._release(token))
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = background_tasks.create(self._run(), name=f"event hub {self.address}")

    async def stop(self) -> None:
        """Cancel the stream (it restarts at the next `attach`)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _release(self, token: str) -> None:
        left = self._tokens.get(token, 0) - 1
        if left > 0:
            self._tokens[token] = left
        else:
            self._tokens.pop(token, None)

    def _token(self) -> str | None:
        return next(reversed(self._tokens), None)

    def _set_status(self, status: ExecutionStatusInfo) -> None:
        if status != self.status:
            self.status = status
            self.status_changed.emit(status)

    def _set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            self.connection_changed.emit(connected)

    async def _run(self) -> None:
        backoff = 0.5
        while True:
            token = self._token()
            if token is None:
                self._set_connected(False)
                self._wake.clear()
                await self._wake.wait()
                continue
            conn = Connection(self.target, "", Role.VIEWER, token, self.target.open_channel())
            try:
                await self._follow(conn)
            except UiError as exc:
                if self.connected:  # it worked until now: retry soon
                    backoff = 0.5
                self._set_connected(False)
                if exc.code in {"UNAUTHENTICATED", "PERMISSION_DENIED"}:
                    self._tokens.pop(token, None)
                    continue
                logger.info("event stream to %s broke (%s); reconnecting", self.address,
                            exc.code)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
                continue
            finally:
                await conn.close()

    async def _follow(self, conn: Connection) -> None:
        status = await get_execution_status(conn)
        if self._last_sequence is None or status.last_sequence < self._last_sequence:
            # First start, or a server with a new database: no gap can be filled.
            self._last_sequence = status.last_sequence
        self._set_status(status)
        self._set_connected(True)
        async for event in stream_events(conn, self._last_sequence):
            self._last_sequence = event.sequence
            self.events.emit(event)
            if event.kind in _CAMPAIGN_KINDS:
                changed = getattr(event.raw, event.kind)
                self.campaign_changed.emit(changed.campaign_id)
            if event.kind in _REFRESH_KINDS:
                self._set_status(await get_execution_status(conn))


_hubs: dict[str, EventHub] = {}


def hub() -> EventHub:
    """The hub of the server this UI was started for."""
    target = settings.server_target()
    if target.address not in _hubs:
        _hubs[target.address] = EventHub(target)
    return _hubs[target.address]


async def close_hubs() -> None:
    """Stop every hub's stream (at app shutdown)."""
    hubs = list(_hubs.values())
    _hubs.clear()
    for each in hubs:
        await each.stop()
