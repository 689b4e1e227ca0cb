"""A deck for campaign tests: deterministic synthetic objectives with known optima."""

from __future__ import annotations

import enum
import math
from typing import Annotated

from ivorygrpc.annotations import Range


class Mode(enum.Enum):
    """A categorical setting: FAST adds 1 to the bowl."""

    SLOW = "slow"
    FAST = "fast"


class Bench:
    """Synthetic experiments; `calls` counts the measurements."""

    def __init__(self) -> None:
        self.calls = 0

    def bowl(self, x: Annotated[float, Range(-5, 5)], y: Annotated[float, Range(-5, 5)]) -> float:
        """(x - 1)^2 + (y + 2)^2: minimum 0 at x = 1, y = -2."""
        self.calls += 1
        return (x - 1) ** 2 + (y + 2) ** 2

    def shifted(self, x: Annotated[float, Range(-5, 5)], mode: Mode,
                n: Annotated[int, Range(0, 10)]) -> float:
        """(x - 1)^2 + |n - 3| + 1 for FAST: minimum 0 at x = 1, n = 3, SLOW."""
        self.calls += 1
        return (x - 1) ** 2 + abs(n - 3) + (1.0 if mode is Mode.FAST else 0.0)

    def schaffer(self, x: Annotated[float, Range(-2, 4)]) -> tuple[float, float]:
        """(x^2, (x - 2)^2): the Pareto front is 0 <= x <= 2."""
        self.calls += 1
        return x * x, (x - 2) ** 2

    def fragile(self, x: Annotated[float, Range(0, 10)]) -> float:
        """x, but fails above 8 (a broken sample)."""
        self.calls += 1
        if x > 8:
            raise RuntimeError(f"the sample broke at x = {x:g}")
        return x

    def unbounded(self, v: float) -> float:
        """sin(v): a parameter without declared bounds."""
        return math.sin(v)


bench = Bench()
