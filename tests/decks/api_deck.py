"""A deck for API tests: observable concurrency and side effects."""

from __future__ import annotations

import threading
import time


class Counter:
    """Counts calls, so a test can see whether a call acted twice."""

    def __init__(self) -> None:
        self.count = 0

    def increment(self, by: int = 1) -> int:
        """Add `by` and return the new count."""
        self.count += by
        return self.count


class Probe:
    """Records how many calls run at once on this instrument."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self.active = 0
        self.max_active = 0

    def hold(self, seconds: float = 0.05) -> int:
        """Stay busy for a moment; returns the highest concurrency seen so far."""
        with self._guard:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        time.sleep(seconds)
        with self._guard:
            self.active -= 1
        return self.max_active


_meeting = threading.Barrier(2, timeout=10)


class Meeter:
    """Two instances meet at a barrier: only possible if they run concurrently."""

    def meet(self) -> bool:
        """Wait until the other instrument arrives too."""
        _meeting.wait()
        return True


counter = Counter()
probe = Probe()
left = Meeter()
right = Meeter()
