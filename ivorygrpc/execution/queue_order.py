"""The queue order in memory: queued run ids sorted by their stored position.

The store orders the queue by `(position, id)`; this keeps the same order in a sorted
list of those pairs, so finding a run's place (`rank`), taking it out and putting it
back are a binary search plus one list shift, instead of scanning thousands of ids on
every edit. Positions leave gaps (`GAP`) so a move usually changes one run's position;
when two neighbours leave no room, the whole queue is renumbered.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator

GAP = 1 << 20


class QueueOrder:
    """Queued run ids in queue order, with their positions."""

    __slots__ = ("_keys", "_positions")

    def __init__(self, queued: Iterable[tuple[str, int]] = ()) -> None:
        self._keys: list[tuple[int, str]] = sorted((position, run_id)
                                                   for run_id, position in queued)
        self._positions = {run_id: position for position, run_id in self._keys}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._positions

    def __iter__(self) -> Iterator[str]:
        return (run_id for _, run_id in self._keys)

    def position(self, run_id: str) -> int | None:
        """The stored position of a queued run, None when it is not queued."""
        return self._positions.get(run_id)

    def rank(self, run_id: str) -> int:
        """1-based place in the queue, 0 when not queued."""
        position = self._positions.get(run_id)
        if position is None:
            return 0
        return bisect.bisect_left(self._keys, (position, run_id)) + 1

    def first(self) -> str | None:
        """The run at the front, None for an empty queue."""
        return self._keys[0][1] if self._keys else None

    def add(self, run_id: str, position: int) -> None:
        """Queue `run_id` at `position` (it must not be queued yet)."""
        if run_id in self._positions:
            raise ValueError(f"run {run_id} is queued already")
        bisect.insort(self._keys, (position, run_id))
        self._positions[run_id] = position

    def remove(self, run_id: str) -> int | None:
        """Take `run_id` out of the queue; its position, None when it was not queued."""
        position = self._positions.pop(run_id, None)
        if position is not None:
            del self._keys[bisect.bisect_left(self._keys, (position, run_id))]
        return position

    def move(self, run_id: str, target: str, *, after: bool) -> dict[str, int]:
        """Put queued `run_id` just before (or after) queued `target`; returns the new
        positions that changed (the moved run's, or every run's after a renumbering)."""
        if run_id == target or target not in self._positions:
            raise ValueError("the target must be another queued run")
        if self.remove(run_id) is None:
            raise ValueError(f"run {run_id} is not queued")
        keys = self._keys
        index = bisect.bisect_left(keys, (self._positions[target], target)) + (1 if after else 0)
        low = keys[index - 1][0] if index > 0 else None
        high = keys[index][0] if index < len(keys) else None
        if low is None and high is None:
            position = GAP
        elif low is None:
            assert high is not None
            position = high - GAP
        elif high is None:
            position = low + GAP
        elif high - low > 1:
            position = (low + high) // 2
        else:  # no room left between the neighbours: renumber the whole queue
            order = [r for _, r in keys]
            order.insert(index, run_id)
            self._keys = [((i + 1) * GAP, r) for i, r in enumerate(order)]
            self._positions = {r: p for p, r in self._keys}
            return dict(self._positions)
        keys.insert(index, (position, run_id))
        self._positions[run_id] = position
        return {run_id: position}

    def pop_first(self) -> str:
        """Take the front run out of the queue (IndexError when empty)."""
        _, run_id = self._keys.pop(0)
        del self._positions[run_id]
        return run_id

    def last_position(self) -> int:
        """The largest position queued, 0 for an empty queue."""
        return self._keys[-1][0] if self._keys else 0
