"""A deck whose methods take each dispatch path: blocking, `async def`, and a plain
method that returns an awaitable."""

from __future__ import annotations

import asyncio


class Paths:
    """One method per dispatch path."""

    def blocking(self, x: float) -> float:
        """Runs in a worker thread."""
        return x * 2

    async def coroutine(self, x: float) -> float:
        """Awaited on the event loop."""
        await asyncio.sleep(0)
        return x * 3

    def deferred(self, x: float) -> float:
        """A plain method handing back an awaitable, as some driver wrappers do; the
        server awaits it."""
        async def later() -> float:
            await asyncio.sleep(0)
            return x * 4
        return later()  # type: ignore[return-value]

    def broken(self) -> float:
        """Fails in its worker thread."""
        raise RuntimeError("jammed")


paths = Paths()
