"""A submitted run's workflow and plan, with the checked workflows kept for the next
submission (`CreateRun` of the same workflow needs no library reads then)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from ivorygrpc.deck.model import DeckSpec
from ivorygrpc.errors import InvalidArguments, NotFound
from ivorygrpc.execution.plan import CheckedWorkflow, RunPlan, check_workflow
from ivorygrpc.execution.run_modes import Mode, RepeatMode
from ivorygrpc.store import Store, WorkflowRecord

CHECKED_WORKFLOWS = 256  # checked workflows kept, by (name, version asked)
INLINE_SAMPLES = 1000  # a repeat of at most this many samples is planned in the event loop

_Checked = tuple[int, WorkflowRecord, CheckedWorkflow]  # (workflows.changes, record, check)


class RunPlanner:
    """Reads a run's workflow from the library, checks it against the deck and plans
    the run; keeps the checked workflows (see `plan`)."""

    def __init__(self, store: Store, deck: DeckSpec) -> None:
        self._store = store
        self._deck = deck
        self._checked: OrderedDict[tuple[str, int | None], _Checked] = OrderedDict()

    def workflow(self, name: str, version: int | None) -> WorkflowRecord:
        """The saved workflow (blocking); raises NotFound."""
        record = self._store.workflows.get(name, version)
        if record is None:
            what = name if version is None else f"{name} version {version}"
            raise NotFound("workflow", what, reason="WORKFLOW_NOT_FOUND")
        return record

    async def plan(self, name: str, version: int | None, mode: Mode,
                   batch_size: int) -> tuple[WorkflowRecord, RunPlan]:
        """The workflow and the run's plan. The checked workflow is kept (validating and
        pinning it reads the library): saved versions never change, and any change to
        the library (a new latest version, a callee saved or deleted, a name deleted and
        made anew) drops every kept check, so a kept one is what checking again would
        give."""
        key = (name, version)
        changes = self._store.workflows.changes
        found = self._checked.get(key)
        if found is None or found[0] != changes:
            if found is not None:
                self._checked.clear()  # every entry is older than this change
            # one thread hop for the reads, the check and the plan
            fresh, plan = await asyncio.to_thread(self._check_and_plan, name, version, mode,
                                                  batch_size)
            self._keep(key, fresh)
            if isinstance(plan, InvalidArguments):
                raise plan
            return fresh[1], plan
        self._checked.move_to_end(key)
        _, record, checked = found
        if isinstance(mode, RepeatMode) and _samples(mode, batch_size) <= INLINE_SAMPLES:
            return record, checked.plan(mode, batch_size)
        return record, await asyncio.to_thread(checked.plan, mode, batch_size)

    def lookup(self, name: str, version: int | None) -> Mapping[str, Any] | None:
        """A saved workflow's body, or None (blocking; a `WorkflowLookup`)."""
        record = self._store.workflows.get(name, version)
        return record.body if record is not None else None

    def source(self, name: str, version: int | None) -> tuple[int, Mapping[str, Any]] | None:
        """A saved workflow's version and body, or None (blocking; a `WorkflowSource`)."""
        record = self._store.workflows.get(name, version)
        return (record.version, record.body) if record is not None else None

    def _check_and_plan(self, name: str, version: int | None, mode: Mode,
                        batch_size: int) -> tuple[_Checked, RunPlan | InvalidArguments]:
        """In a worker thread: read and check the workflow (raises NotFound), then plan
        (a refusal is returned, so the check is kept all the same)."""
        changes = self._store.workflows.changes  # before the reads: see `plan`
        record = self.workflow(name, version)
        checked = check_workflow(name, record.body, self._deck, self.lookup,
                                 source=self.source)
        try:
            plan: RunPlan | InvalidArguments = checked.plan(mode, batch_size)
        except InvalidArguments as exc:
            plan = exc
        return (changes, record, checked), plan

    def _keep(self, key: tuple[str, int | None], found: _Checked) -> None:
        self._checked[key] = found
        self._checked.move_to_end(key)
        while len(self._checked) > CHECKED_WORKFLOWS:
            self._checked.popitem(last=False)


def _samples(mode: RepeatMode, batch_size: int) -> int:
    """How many samples a repeat asks for (large when it is malformed: planned in a thread,
    where the plan refuses it)."""
    if type(mode.count) is not int or type(batch_size) is not int:
        return INLINE_SAMPLES + 1
    return mode.count * batch_size
