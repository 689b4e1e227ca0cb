"""A deck for the benchmarks: one instrument whose methods do nothing."""

from __future__ import annotations

import time


class Noop:
    """An instrument with no-op methods."""

    def ping(self, x: float) -> float:
        """Return `x` (one double in, one double out, like the bare echo)."""
        return x

    def nothing(self) -> None:
        """Do nothing."""

    def wait(self, seconds: float) -> float:
        """Sleep `seconds` (paces a run's steps); return them."""
        time.sleep(seconds)
        return seconds


noop = Noop()

# Eight more instruments, for callers that each use their own instrument.
lane_0, lane_1, lane_2, lane_3, lane_4, lane_5, lane_6, lane_7 = (Noop() for _ in range(8))
