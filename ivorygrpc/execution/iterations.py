"""Where a phase's iterations come from: a fixed plan, or an optimizer (campaign runs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ivorygrpc.execution.values import Sample


class IterationSource(Protocol):
    """Gives each iteration's samples and hears how they ended."""

    @property
    def total(self) -> int:
        """The planned number of iterations (the budget)."""

    async def next(self, index: int) -> list[dict[str, Any]] | None:
        """The parameters of each sample of iteration `index` (1-based); None ends the
        phase."""

    async def finished(self, index: int, samples: Sequence[Sample], halted: bool) -> bool:
        """Iteration `index` ended (`halted`: by a stop now); True ends the phase early."""


class PlannedIterations:
    """Iterations computed at submission."""

    def __init__(self, iterations: list[list[dict[str, Any]]]) -> None:
        self.iterations = iterations

    @property
    def total(self) -> int:
        """The number of planned iterations."""
        return len(self.iterations)

    async def next(self, index: int) -> list[dict[str, Any]] | None:
        """The planned parameters of iteration `index`."""
        return self.iterations[index - 1] if index <= len(self.iterations) else None

    async def finished(self, index: int, samples: Sequence[Sample], halted: bool) -> bool:
        """Planned iterations never end early."""
        return False
