"""An abstract self-driving lab that runs with no hardware.

Modelled on IvoryOS's example deck: a pump, a balance and an `sdl` object
that combines them. Serve it with either of

    ivorygrpc serve examples/abstract_sdl.py
    python examples/abstract_sdl.py
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import time
from typing import Annotated, Literal, NamedTuple

import ivorygrpc
from ivorygrpc import Range, Unit

logger = logging.getLogger("abstract_sdl")


class Solvent(enum.Enum):
    """Solvents the lab keeps in stock."""

    WATER = "water"
    ETHANOL = "ethanol"
    ACETONE = "acetone"


class Reading(NamedTuple):
    """A balance reading."""

    mass_mg: float
    stable: bool


class AbstractPump:
    """A syringe pump on a serial port (simulated)."""

    def __init__(self, com_port: str) -> None:
        self.com_port = com_port
        self.dispensed_ml = 0.0

    def dispense(self, volume_ml: Annotated[float, Unit("mL"), Range(0, 25)],
                 flow_rate: Annotated[float, Unit("mL/min")] = 1.0) -> float:
        """Dispense a volume at a flow rate; returns the total dispensed so far (mL)."""
        time.sleep(min(volume_ml / max(flow_rate, 0.1), 5.0) * 0.01)
        self.dispensed_ml += volume_ml
        return self.dispensed_ml

    def prime(self, cycles: int = 3) -> None:
        """Flush the lines."""
        time.sleep(0.001 * cycles)


class AbstractBalance:
    """An analytical balance (simulated)."""

    def __init__(self) -> None:
        self._tare_mg = 0.0

    def weigh(self) -> Reading:
        """Read the mass on the pan."""
        return Reading(round(random.uniform(10.0, 20.0) - self._tare_mg, 3), True)

    def tare(self) -> None:
        """Zero the balance."""
        self._tare_mg = 0.0


class AbstractSDL:
    """The lab as one object: dosing, mixing and analysis."""

    def __init__(self, pump: AbstractPump, balance: AbstractBalance) -> None:
        self.pump = pump
        self.balance = balance
        self._temperature_c = 25.0

    @property
    def temperature(self) -> float:
        """Block temperature in degrees Celsius."""
        return self._temperature_c

    @temperature.setter
    def temperature(self, value: float) -> None:
        self._temperature_c = value

    def dose_solid(self, amount_mg: Annotated[float, Unit("mg"), Range(0, 1000)] = 5.0,
                   bring_in: bool = False) -> float:
        """Dose a solid into the vial; returns the weighed amount (mg)."""
        logger.info("dosing %.2f mg", amount_mg)
        return round(amount_mg * random.uniform(0.98, 1.02), 3)

    def dose_solvent(self, solvent: Solvent, volume_ml: Annotated[float, Unit("mL")] = 1.0,
                     note: str | None = None) -> str:
        """Add a solvent by name."""
        self.pump.dispense(volume_ml)
        return f"{volume_ml} mL {solvent.value}" + (f" ({note})" if note else "")

    def equilibrate(self, temp: float, duration_s: float = 0.1) -> None:
        """Hold the block at a temperature."""
        self._temperature_c = temp
        time.sleep(min(duration_s, 2.0))

    def analyze(self, wavelengths_nm: list[int],
                mode: Literal["fast", "accurate"] = "fast") -> tuple[float, float]:
        """Measure; returns (yield %, purity %)."""
        base = sum(wavelengths_nm) % 7
        return round(50.0 + base + random.random(), 2), (99.0 if mode == "accurate" else 95.0)

    async def mix(self, seconds: float = 0.05) -> str:
        """Stir the vial (async)."""
        await asyncio.sleep(min(seconds, 2.0))
        return "mixed"

    def fail(self, message: str = "simulated instrument fault") -> None:
        """Always raises, to exercise error handling."""
        raise RuntimeError(message)


pump = AbstractPump("COM1")
balance = AbstractBalance()
sdl = AbstractSDL(pump, balance)


@ivorygrpc.block(category="workup")
def dilute(volume_ml: float, solvent: Solvent = Solvent.WATER) -> float:
    """Dispense solvent and report the pump total (mL)."""
    return pump.dispense(volume_ml)


if __name__ == "__main__":
    ivorygrpc.run(__name__)
