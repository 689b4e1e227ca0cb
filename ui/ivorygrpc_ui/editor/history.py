"""Undo and redo over snapshots of a workflow."""

from __future__ import annotations

from ivorygrpc.v1 import workflow_pb2 as wf


class History:
    """A bounded undo stack and its redo stack of serialized workflows."""

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self._undo: list[bytes] = []
        self._redo: list[bytes] = []

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def record(self, before: wf.Workflow) -> None:
        """Remember the state before an edit; a new edit clears the redo stack."""
        self._undo.append(snapshot(before))
        del self._undo[:-self.limit]
        self._redo.clear()

    def undo(self, current: wf.Workflow) -> wf.Workflow | None:
        """The state before the last edit (None when there is none)."""
        return self._step(self._undo, self._redo, current)

    def redo(self, current: wf.Workflow) -> wf.Workflow | None:
        """The state the last undo went back from (None when there is none)."""
        return self._step(self._redo, self._undo, current)

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()

    @staticmethod
    def _step(source: list[bytes], target: list[bytes], current: wf.Workflow) -> wf.Workflow | None:
        if not source:
            return None
        target.append(snapshot(current))
        return restore(source.pop())


def snapshot(workflow: wf.Workflow) -> bytes:
    """The workflow as comparable bytes."""
    return workflow.SerializeToString(deterministic=True)


def restore(data: bytes) -> wf.Workflow:
    workflow = wf.Workflow()
    workflow.ParseFromString(data)
    return workflow
