"""Where steps live in a workflow's step tree, and the primitive tree edits.

A `Slot` names one list of steps: a phase (`prep`, `main`, `cleanup`) or one
body of a block step (`then_steps` / `else_steps` of an if/else, `steps` of a
while or repeat loop). The functions here change a `Workflow` message in place
and raise `EditError` (changing nothing) when asked for something impossible.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableSequence
from dataclasses import dataclass

from ivorygrpc.v1 import workflow_pb2 as wf

PHASES = ("prep", "main", "cleanup")
# Block kinds and their bodies, in display order.
BLOCK_BODIES = {"if_else": ("then_steps", "else_steps"), "while_loop": ("steps",),
                "repeat": ("steps",)}


class EditError(ValueError):
    """An edit that cannot be made; the message is meant for the user."""


@dataclass(frozen=True)
class Slot:
    """One list of steps: a phase, or a body (`branch`) of the block `parent_id`."""

    phase: str = "main"
    parent_id: str = ""
    branch: str = ""


@dataclass(frozen=True)
class Placed:
    """A step with where it is: its slot, index there and nesting depth."""

    step: wf.Step
    slot: Slot
    index: int
    depth: int


def kind_of(step: wf.Step) -> str:
    """The step's kind (`call`, `if_else`, ...), or "" for an empty step."""
    return step.WhichOneof("kind") or ""


def branches_of(step: wf.Step) -> tuple[str, ...]:
    """The bodies of a block step; () for any other step."""
    return BLOCK_BODIES.get(kind_of(step), ())


def body(step: wf.Step, branch: str) -> MutableSequence[wf.Step]:
    """The list of steps in one body of a block step."""
    if branch not in branches_of(step):
        raise EditError(f"a {kind_of(step) or 'plain'} step has no body {branch!r}")
    block = getattr(step, kind_of(step))
    steps: MutableSequence[wf.Step] = getattr(block, branch)
    return steps


def walk(workflow: wf.Workflow, phases: tuple[str, ...] = PHASES) -> Iterator[Placed]:
    """Every step of the given phases, depth first, each block before its bodies."""
    for phase in phases:
        yield from _walk(getattr(workflow, phase), Slot(phase), 0)


def _walk(steps: MutableSequence[wf.Step], slot: Slot, depth: int) -> Iterator[Placed]:
    for index, step in enumerate(steps):
        yield Placed(step, slot, index, depth)
        for branch in branches_of(step):
            yield from _walk(body(step, branch), Slot(slot.phase, step.id, branch), depth + 1)


def steps_in(workflow: wf.Workflow, slot: Slot) -> MutableSequence[wf.Step]:
    """The list a slot names."""
    if slot.phase not in PHASES:
        raise EditError(f"unknown phase {slot.phase!r}")
    if not slot.parent_id:
        steps: MutableSequence[wf.Step] = getattr(workflow, slot.phase)
        return steps
    parent = find(workflow, slot.parent_id)
    branches = branches_of(parent)
    if not branches:
        raise EditError("steps can only go into if/else, while and repeat blocks")
    return body(parent, slot.branch or branches[0])


def locate(workflow: wf.Workflow, step_id: str) -> Placed:
    """Where step `step_id` is."""
    for placed in walk(workflow):
        if placed.step.id == step_id:
            return placed
    raise EditError(f"no step {step_id!r} in this workflow")


def find(workflow: wf.Workflow, step_id: str) -> wf.Step:
    """The step with id `step_id`."""
    return locate(workflow, step_id).step


def contains(step: wf.Step, step_id: str) -> bool:
    """True when `step_id` is `step` itself or anywhere inside it."""
    if step.id == step_id:
        return True
    return any(contains(inner, step_id)
               for branch in branches_of(step) for inner in body(step, branch))


def insert(workflow: wf.Workflow, slot: Slot, index: int | None, step: wf.Step) -> None:
    """Put a copy of `step` into `slot` at `index` (None or past the end appends)."""
    steps = steps_in(workflow, slot)
    if index is None or index >= len(steps):
        steps.append(step)
    else:
        steps.insert(max(index, 0), step)


def remove(workflow: wf.Workflow, step_id: str) -> wf.Step:
    """Take step `step_id` (with its body) out of the tree and return it."""
    placed = locate(workflow, step_id)
    taken = wf.Step()
    taken.CopyFrom(placed.step)
    del steps_in(workflow, placed.slot)[placed.index]
    return taken


def move(workflow: wf.Workflow, step_id: str, slot: Slot, index: int | None) -> None:
    """Move step `step_id` to `index` of `slot`, where the index counts the list
    as it is before the move (so dropping a step below itself works)."""
    placed = locate(workflow, step_id)
    if slot.parent_id and contains(placed.step, slot.parent_id):
        raise EditError("a block cannot move into itself")
    steps_in(workflow, slot)  # raises for a bad slot before anything changes
    slot = normalize(workflow, slot)
    if placed.slot == slot and index is not None and index > placed.index:
        index -= 1
    step = remove(workflow, step_id)
    insert(workflow, slot, index, step)


def normalize(workflow: wf.Workflow, slot: Slot) -> Slot:
    """The slot with its branch spelled out (an empty branch means the block's first)."""
    if not slot.parent_id:
        return Slot(slot.phase)
    branches = branches_of(find(workflow, slot.parent_id))
    return Slot(locate(workflow, slot.parent_id).slot.phase, slot.parent_id,
                slot.branch or (branches[0] if branches else ""))


def ids(workflow: wf.Workflow) -> set[str]:
    """Every step id in the workflow."""
    return {placed.step.id for placed in walk(workflow)}
