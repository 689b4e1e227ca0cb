"""A deck for the durability tests: quick steps, and steps that hold a run mid-step.

The holding steps wait for a release file: the path in $DURABLE_DECK_RELEASE
(the test creates it to let them finish). `block` waits in its worker thread
(a thread cannot be interrupted: only the file or the process ending stops
it); `hold` is `async`, so it is cancelled when the server stops gracefully.
Both log a line once they wait, so a test can see the step is in flight.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

log = logging.getLogger("durable_deck")
RELEASE_ENV = "DURABLE_DECK_RELEASE"
LIMIT_S = 60.0
POLL_S = 0.02


def _release_file() -> Path:
    return Path(os.environ[RELEASE_ENV])


class Bench:
    """An instrument with quick and holding operations."""

    def step(self, i: int) -> int:
        """Return `i` at once."""
        return i

    def block(self) -> bool:
        """Wait (in the worker thread) until the release file exists."""
        release = _release_file()
        log.info("block: waiting for %s", release.name)
        deadline = time.monotonic() + LIMIT_S
        while not release.exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the release file never appeared")
            time.sleep(POLL_S)
        return True

    async def hold(self) -> bool:
        """Wait (on the event loop, cancellable) until the release file exists."""
        release = _release_file()
        log.info("hold: waiting for %s", release.name)
        async with asyncio.timeout(LIMIT_S):
            while not release.exists():
                await asyncio.sleep(POLL_S)
        return True


bench = Bench()
