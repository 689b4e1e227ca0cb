"""Step-level edits on a workflow body (the JSON form), for thin clients.

Each function takes a body and returns a changed deep copy; problems raise
`InvalidArguments` / `NotFound` naming the step or field.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ivorygrpc.errors import FieldViolation, InvalidArguments, NotFound
from ivorygrpc.workflow.validate import BLOCK_BODIES, PHASES, iter_steps

Body = dict[str, Any]
Step = dict[str, Any]


@dataclass(frozen=True)
class Location:
    """Where a step goes: a phase, or the body (`branch`) of a block step."""

    phase: str = "main"
    parent_step_id: str = ""
    branch: str = ""  # then_steps / else_steps for if_else, steps for loops
    position: int | None = None  # index in the list; None appends


def new_step_id() -> str:
    """A fresh step id."""
    return f"s{uuid.uuid4().hex[:10]}"


def _all_steps(body: Body) -> list[Step]:
    return [step for phase in PHASES for step in iter_steps(body.get(phase) or [])]


def _find_list(body: Body, step_id: str) -> tuple[list[Step], int]:
    """The list holding step `step_id` and its index there."""
    stack: list[list[Step]] = [body.setdefault(phase, []) for phase in PHASES]
    while stack:
        steps = stack.pop()
        for index, step in enumerate(steps):
            if step.get("id") == step_id:
                return steps, index
            for kind, branches in BLOCK_BODIES.items():
                if isinstance(step.get(kind), dict):
                    stack.extend(step[kind].setdefault(b, []) for b in branches)
    raise NotFound("step", step_id, reason="STEP_NOT_FOUND")


def _target_list(body: Body, where: Location) -> list[Step]:
    if not where.parent_step_id:
        if where.phase not in PHASES:
            raise InvalidArguments([FieldViolation("location.phase",
                                                   "must be prep, main or cleanup")])
        steps: list[Step] = body.setdefault(where.phase, [])
        return steps
    holder, index = _find_list(body, where.parent_step_id)
    parent = holder[index]
    kind = next((k for k in BLOCK_BODIES if isinstance(parent.get(k), dict)), None)
    if kind is None:
        raise InvalidArguments([FieldViolation("location.parent_step_id",
                                               "the parent is not a block step")])
    branches = BLOCK_BODIES[kind]
    branch = where.branch or branches[0]
    if branch not in branches:
        raise InvalidArguments([FieldViolation("location.branch",
                                               f"must be one of {', '.join(branches)}")])
    nested: list[Step] = parent[kind].setdefault(branch, [])
    return nested


def _insert(steps: list[Step], step: Step, position: int | None) -> None:
    if position is None or position >= len(steps):
        steps.append(step)
    elif position < 0:
        raise InvalidArguments([FieldViolation("location.position", "must not be negative")])
    else:
        steps.insert(position, step)


def _fresh_ids(step: Step, taken: set[str]) -> None:
    for nested in iter_steps([step]):
        if not nested.get("id") or nested["id"] in taken:
            nested["id"] = new_step_id()
        taken.add(nested["id"])


def add_step(body: Mapping[str, Any], step: Step, where: Location) -> tuple[Body, str]:
    """Insert `step` (ids filled in); returns the new body and the step's id."""
    result = copy.deepcopy(dict(body))
    step = copy.deepcopy(step)
    _fresh_ids(step, {s["id"] for s in _all_steps(result) if s.get("id")})
    _insert(_target_list(result, where), step, where.position)
    return result, str(step["id"])


def update_step(body: Mapping[str, Any], step: Step) -> Body:
    """Replace the step with the same id (its nested steps come from `step`)."""
    result = copy.deepcopy(dict(body))
    holder, index = _find_list(result, str(step.get("id", "")))
    replacement = copy.deepcopy(step)
    taken = {s["id"] for s in _all_steps(result) if s.get("id")} - {
        s["id"] for s in iter_steps([holder[index]])}
    nested = [s for s in iter_steps([replacement]) if s is not replacement]
    _fresh_ids_for(nested, taken)
    holder[index] = replacement
    return result


def _fresh_ids_for(steps: list[Step], taken: set[str]) -> None:
    for step in steps:
        if not step.get("id") or step["id"] in taken:
            step["id"] = new_step_id()
        taken.add(step["id"])


def remove_step(body: Mapping[str, Any], step_id: str) -> Body:
    """Remove a step (and, for a block, its body)."""
    result = copy.deepcopy(dict(body))
    holder, index = _find_list(result, step_id)
    del holder[index]
    return result


def move_step(body: Mapping[str, Any], step_id: str, where: Location) -> Body:
    """Move a step (with its body) to another place."""
    result = copy.deepcopy(dict(body))
    holder, index = _find_list(result, step_id)
    step = holder[index]
    if where.parent_step_id and any(s.get("id") == where.parent_step_id
                                    for s in iter_steps([step])):
        raise InvalidArguments([FieldViolation("location.parent_step_id",
                                               "a step cannot move into itself")])
    del holder[index]
    _insert(_target_list(result, where), step, where.position)
    return result


def duplicate_step(body: Mapping[str, Any], step_id: str) -> tuple[Body, str]:
    """Copy a step (new ids) right after the original; returns the copy's id."""
    result = copy.deepcopy(dict(body))
    holder, index = _find_list(result, step_id)
    twin = copy.deepcopy(holder[index])
    for nested in iter_steps([twin]):
        nested["id"] = new_step_id()
    holder.insert(index + 1, twin)
    return result, str(twin["id"])


def set_step_enabled(body: Mapping[str, Any], step_id: str, enabled: bool) -> Body:
    """Enable or disable a step."""
    result = copy.deepcopy(dict(body))
    holder, index = _find_list(result, step_id)
    if enabled:
        holder[index].pop("disabled", None)
    else:
        holder[index]["disabled"] = True
    return result
