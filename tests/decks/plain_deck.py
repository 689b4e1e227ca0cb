"""A small deck without postponed annotations: what becomes an instrument, and how."""

import asyncio
import logging
import math
from dataclasses import dataclass
from typing import NamedTuple, Optional

import ivorygrpc


class Position(NamedTuple):
    x: float
    y: float


@dataclass
class Status:
    ready: bool
    message: str


class BasePump:
    """A pump base class."""

    def prime(self, cycles: int = 1) -> None:
        """Fill the tubing."""


class Pump(BasePump):
    """A syringe pump."""

    MAX_RATE = 10.0  # upper-case class constants are not operations
    units = "mL"  # plain class attributes are not operations

    def __init__(self) -> None:
        self._temperature = 20.0
        self._rate = 1.0

    def dispense(self, volume_ml: float, rate: float = 1.0) -> float:
        """Dispense a volume.

        Returns the volume dispensed.
        """
        return volume_ml

    async def wait_idle(self, timeout_s: float = 5.0) -> bool:
        await asyncio.sleep(0)
        return True

    def log(self, message: str, *args, **kwargs) -> None:
        """Write to the pump log."""

    @property
    def temperature(self) -> float:
        """Block temperature in degC."""
        return self._temperature

    @property
    def rate(self) -> float:
        """Flow rate in mL/min."""
        return self._rate

    @rate.setter
    def rate(self, value: float) -> None:
        self._rate = value

    @staticmethod
    def version() -> str:
        return "1.0"

    @classmethod
    def model(cls) -> str:
        return cls.__name__

    def nothing(self) -> None: ...

    def untyped(self):
        return 1

    def count(self) -> int:
        return 1

    def locate(self) -> tuple[float, float, str]:
        return (1.0, 2.0, "A1")

    def position(self) -> Position:
        return Position(1.0, 2.0)

    def status(self) -> Status:
        return Status(True, "ok")

    def maybe_position(self) -> Optional[Position]:  # noqa: UP045
        return None

    def _private(self) -> None: ...


def helper(x: int) -> int:
    """A plain function: not a block, not served."""
    return x


@ivorygrpc.block
def mix(volume_ml: float, cycles: int = 3) -> None:
    """Mix by pipetting up and down."""


@ivorygrpc.block(category="analysis")
async def measure(sample: str) -> float:
    """Measure a sample."""
    return 1.0


pump = Pump()
pump_2 = Pump()
log = logging.getLogger("plain_deck")
volumes = [1.0, 2.0]
settings = {"speed": 1}
ratio = 0.5
Pump_3 = Pump()  # upper-case first letter: not an instrument
_hidden = Pump()
also_math = math
