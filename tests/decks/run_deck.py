"""A deck for run tests: recorded calls, controllable failures, a gate to hold a step."""

from __future__ import annotations

import enum
import logging
import threading
import time

log = logging.getLogger("run_deck")


class Color(enum.Enum):
    """Colours a method accepts."""

    RED = "red"
    BLUE = "blue"


class Lab:
    """An instrument that records every call it gets, with the argument types."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self.failures_left = 0
        self.gate = threading.Event()
        self.gate.set()

    def measure(self, x: float) -> float:
        """Return twice `x`."""
        self.calls.append(("measure", (x,)))
        return x * 2

    def add(self, a: int, b: int = 1) -> int:
        """Return a + b."""
        self.calls.append(("add", (a, b)))
        return a + b

    def pair(self, x: float) -> tuple[float, float]:
        """Return (x, -x)."""
        self.calls.append(("pair", (x,)))
        return x, -x

    def paint(self, color: Color) -> str:
        """Return the colour's value."""
        self.calls.append(("paint", (color,)))
        return color.value

    def fragile(self, x: float = 0.0) -> float:
        """Fail while `failures_left` > 0, then return x."""
        self.calls.append(("fragile", (x,)))
        if self.failures_left > 0:
            self.failures_left -= 1
            raise RuntimeError("the fragile instrument failed")
        return x

    def hold(self) -> bool:
        """Block until the test opens the gate."""
        self.calls.append(("hold", ()))
        if not self.gate.wait(timeout=60):
            raise TimeoutError("the gate stayed closed")
        return True

    def note(self, text: str) -> None:
        """Log a line through the deck's own logger."""
        self.calls.append(("note", (text,)))
        log.info("note: %s", text)

    def nap(self, seconds: float) -> float:
        """Sleep a little."""
        time.sleep(seconds)
        return seconds

    def maybe(self, x: float) -> float | None:
        """Return x, or None when x is negative."""
        self.calls.append(("maybe", (x,)))
        return None if x < 0 else x

    def mix(self, a: int, x: float, color: Color, label: str = "") -> str:
        """Return the arguments as text (their types are recorded)."""
        self.calls.append(("mix", (a, x, color, label)))
        return f"{label}:{a}:{x}:{color.value}"

    def reset(self) -> None:
        """Forget recorded calls."""
        self.calls.clear()

    def gated_fragile(self) -> bool:
        """Wait for the gate, then fail while `failures_left` > 0 (a step that fails late)."""
        self.calls.append(("gated_fragile", ()))
        if not self.gate.wait(timeout=60):
            raise TimeoutError("the gate stayed closed")
        if self.failures_left > 0:
            self.failures_left -= 1
            raise RuntimeError("the gated instrument failed")
        return True


lab = Lab()
