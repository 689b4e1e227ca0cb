"""The enum names run events and records carry (the proto contract) for the store's words."""

from __future__ import annotations

from ivorygrpc.store.records import ACTIVE_RUN_STATES, RUN_STATES

FINAL_STATES = tuple(s for s in RUN_STATES if s != "queued" and s not in ACTIVE_RUN_STATES)
"""States a run never leaves."""
PHASE_NAMES = {"prep": "RUN_PHASE_PREP", "main": "RUN_PHASE_MAIN", "cleanup": "RUN_PHASE_CLEANUP"}


def state_name(state: str) -> str:
    """`"paused"` -> `"RUN_STATE_PAUSED"`."""
    return f"RUN_STATE_{state.upper()}"


FINAL_STATE_NAMES = frozenset(state_name(s) for s in FINAL_STATES)
