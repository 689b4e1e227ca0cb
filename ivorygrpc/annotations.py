"""Markers a deck author puts in `Annotated[...]` and the `block` decorator.

    volume_ml: Annotated[float, Unit("mL"), Range(0, 25)]

Objects with `ge`/`le`/`gt`/`lt` attributes (annotated-types, pydantic) are
understood as ranges too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

BLOCK_MARKER = "__ivorygrpc_block__"


@dataclass(frozen=True)
class Unit:
    """The physical unit of a parameter, for example `Unit("mL")`."""

    symbol: str


@dataclass(frozen=True)
class Range:
    """Inclusive bounds of a numeric parameter; either may be None."""

    minimum: float | None = None
    maximum: float | None = None


def block(func: F | None = None, *, category: str = "general") -> Any:
    """Mark a module-level function of the deck as a block (`@block` or `@block(category=...)`)."""

    def mark(f: F) -> F:
        setattr(f, BLOCK_MARKER, category)
        return f

    return mark(func) if func is not None else mark
