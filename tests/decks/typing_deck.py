"""A deck that exercises the SPEC §2 type table, one class per edge-case group.

Written with postponed annotations on purpose: every annotation below is a
string at run time and must be resolved by introspection.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NamedTuple, Optional, TypedDict

from ivorygrpc import Range, Unit


class Mode(enum.Enum):
    """How fast to go."""

    FAST = "fast"
    SLOW_DOWN = "slow"


class Level(enum.IntEnum):
    """Levels with their own wire numbers (all >= 1)."""

    LOW = 1
    HIGH = 5


class Zeroed(enum.IntEnum):
    """An IntEnum starting at 0 cannot keep its numbers (0 is UNSPECIFIED)."""

    OFF = 0
    ON = 1


@dataclass
class Point:
    """A point on the bed."""

    x: float
    y: float = 0.0


class Reading(NamedTuple):
    value: float
    unit: str


class Settings(TypedDict):
    rate: float
    label: str


@dataclass
class Node:
    """A linked list: the record refers to itself."""

    value: int
    next: Node | None = None


@dataclass
class Stamped:
    when: datetime.datetime
    mode: Mode
    tags: list[str]


@dataclass
class Dangling:
    """A record whose field annotation names nothing."""

    ref: Nowhere  # noqa: F821


class Bounds:
    """A range object in the style of annotated-types (`ge`/`le`/`gt`/`lt`)."""

    def __init__(self, ge: float | None = None, le: float | None = None,
                 gt: float | None = None, lt: float | None = None) -> None:
        self.ge, self.le, self.gt, self.lt = ge, le, gt, lt


class Scalars:
    def scalars(self, x: float, n: int, s: str, flag: bool, data: bytes) -> None:
        """One parameter of each scalar type."""


class Enums:
    def pick(self, mode: Mode, level: Level, zeroed: Zeroed) -> Mode:
        return mode

    def speed(self, speed: Literal["fast", "slow down"] = "fast") -> str:
        return speed

    def mixed(self, choice: Literal["auto", 2, True]) -> None: ...

    def clash(self, case: Literal["a", "A", ""]) -> None: ...


class Optionals:
    def maybe(self, a: Optional[int], b: str | None = None) -> float | None:  # noqa: UP045
        return None

    def maybe_list(self, items: Optional[list[int]]) -> None: ...  # noqa: UP045

    def maybe_any(self, x: Any | None, y: dict | None) -> None: ...


class Containers:
    def many(self, a: list[int], b: set[str], c: frozenset[float], d: tuple[bool, ...],
             e: tuple[int, int]) -> None: ...

    def nested(self, grid: list[list[int]], pair: tuple[int, str]) -> None: ...


class Times:
    def at(self, when: datetime.datetime) -> datetime.datetime:
        return when


class Records:
    def move(self, to: Point) -> Point:
        return to

    def record(self, reading: Reading, settings: Settings) -> Reading:
        return reading

    def chain(self, head: Node) -> int:
        return head.value

    def stamp(self, s: Stamped) -> None: ...


class Loose:
    def loose(self, a: dict, b: dict[str, int], c: Any, d, e: int | str) -> Any:
        return a


class Ranges:
    def dose(self, volume: Annotated[float, Unit("mL"), Range(0, 25)],
             count: Annotated[int, Bounds(ge=1, le=10)] = 1,
             ratio: Annotated[float, Bounds(gt=0, lt=1)] = 0.5) -> None: ...

    def heat(self, target: Annotated[float, Unit("degC"), Range(maximum=90)] | None = None,
             levels: Annotated[list[int], Range(0, 3)] = (0,)) -> None: ...


class Broken:
    def fine(self) -> None: ...

    def missing(self, x: DoesNotExist) -> None: ...  # noqa: F821

    def missing_result(self) -> AlsoMissing: ...  # noqa: F821

    def dangling(self, d: Dangling) -> None: ...


class Positional:
    def place(self, slot: int, depth: float = 1.0, /, speed: float = 2.0) -> tuple[int, float]:
        """Positional-only parameters must be passed positionally."""
        return slot, depth


scalars = Scalars()
enums = Enums()
optionals = Optionals()
containers = Containers()
times = Times()
records = Records()
loose = Loose()
ranges = Ranges()
broken = Broken()
positional = Positional()
