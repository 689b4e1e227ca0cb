"""A deck for client round trips: one echo per row of the SPEC §2 type table."""

from __future__ import annotations

import asyncio
import datetime
import enum
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NamedTuple, Optional, TypedDict

import ivorygrpc
from ivorygrpc import Range, Unit


class Mode(enum.Enum):
    """How fast to go."""

    FAST = "fast"
    SLOW_DOWN = "slow"


class Level(enum.IntEnum):
    """Levels with their own wire numbers."""

    LOW = 1
    HIGH = 5


@dataclass
class Point:
    """A point on the bed."""

    x: float
    y: float = 0.0
    label: str | None = None


class Reading(NamedTuple):
    """A reading with its unit."""

    value: float
    unit: str


class Settings(TypedDict):
    rate: float
    modes: list[Mode]


@dataclass
class Stamped:
    when: datetime.datetime
    mode: Mode
    tags: list[str]
    where: Point


class Echo:
    """Returns what it gets, typed."""

    def __init__(self) -> None:
        self._speed = 1.0

    def f(self, x: float) -> float:
        return x

    def i(self, n: int) -> int:
        return n

    def s(self, text: str) -> str:
        return text

    def b(self, flag: bool) -> bool:
        return flag

    def raw(self, data: bytes) -> bytes:
        return data

    def mode(self, mode: Mode, level: Level = Level.HIGH) -> tuple[Mode, Level]:
        return mode, level

    def literal(self, speed: Literal["fast", "slow down", "2"] = "slow down") -> str:
        return speed

    def pick(self, speed: Literal["fast", "slow down"]) -> Literal["fast", "slow down"]:
        return speed

    def maybe(self, n: Optional[int] = None) -> Optional[int]:  # noqa: UP045
        """None in, None out."""
        return n

    def many(self, a: list[int], b: set[str], c: tuple[float, ...]) -> list[float]:
        return [float(len(a)), float(len(b)), sum(c)]

    def when(self, at: datetime.datetime) -> datetime.datetime:
        return at + datetime.timedelta(hours=1)

    def point(self, p: Point) -> Point:
        return Point(p.x * 2, p.y * 2, p.label)

    def reading(self, r: Reading) -> Reading:
        return Reading(r.value + 1, r.unit.upper())

    def settings(self, s: Settings) -> Settings:
        return {"rate": s["rate"] * 10, "modes": list(reversed(s["modes"]))}

    def stamped(self, s: Stamped) -> Stamped:
        return s

    def anything(self, value: Any, table: dict) -> Any:
        return {"value": value, "table": table}

    def defaults(self, volume: Annotated[float, Unit("mL"), Range(0, 25)] = 1.5,
                 name: str = "water", point: Point | None = None,
                 when: datetime.datetime = datetime.datetime(2026, 1, 2, 3, 4, 5,
                                                             tzinfo=datetime.UTC),
                 levels: list[Level] = (Level.LOW,), *, strict: bool) -> str:
        """Every argument has a default except `strict`."""
        return f"{volume}|{name}|{point}|{when.isoformat()}|{[lv.name for lv in levels]}|{strict}"

    def pair(self, x: float) -> tuple[float, str]:
        """A fixed-tuple result."""
        return x, str(x)

    def nothing(self) -> None:
        """Returns None."""

    @property
    def speed(self) -> float:
        """The speed in mm/s."""
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        self._speed = value

    async def later(self, seconds: float = 0.0) -> str:
        """An async method."""
        await asyncio.sleep(seconds)
        return "later"

    def fail(self) -> None:
        """Raises."""
        raise ValueError("echo failed on purpose")


@ivorygrpc.block
def double(x: float) -> float:
    """A block: twice x."""
    return 2 * x


echo = Echo()
