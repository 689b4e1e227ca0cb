"""Lab B's deck: a balance that lab A's deck uses as a remote instrument."""

from __future__ import annotations

import asyncio
import datetime
import enum
from typing import Annotated, NamedTuple

from ivorygrpc import Range, Unit


class Mode(enum.Enum):
    """How the balance settles."""

    FAST = "fast"
    PRECISE = "precise"


class Reading(NamedTuple):
    """A balance reading."""

    mass_mg: float
    stable: bool


class Balance:
    """An analytical balance on lab B (simulated)."""

    def __init__(self) -> None:
        self.mass_mg = 100.0

    def weigh(self, mode: Mode = Mode.PRECISE, samples: int = 3) -> Reading:
        """Read the mass on the pan, averaging `samples` readings."""
        return Reading(self.mass_mg, mode is Mode.PRECISE and samples > 1)

    def add(self, mass_mg: Annotated[float, Unit("mg"), Range(0, 1000)]) -> float:
        """Put mass on the pan; returns the new total (mg)."""
        self.mass_mg += mass_mg
        return self.mass_mg

    def lookup(self, sample: str) -> float | None:
        """The mass of a known sample, None for an unknown one."""
        return {"blank": 0.0, "standard": 50.0}.get(sample)

    def history(self, last: list[float], at: datetime.datetime) -> tuple[int, datetime.datetime]:
        """Count readings; echo the time."""
        return len(last), at

    def fail(self) -> None:
        """Always jams."""
        raise RuntimeError("balance jammed")

    async def settle(self, seconds: float) -> float:
        """Wait for the reading to settle."""
        await asyncio.sleep(seconds)
        return seconds

    @property
    def mode_names(self) -> list[str]:
        """The settling modes."""
        return [m.name for m in Mode]


balance = Balance()
