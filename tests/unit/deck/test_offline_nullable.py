"""Offline models keep which results and record fields may be None (`optional` there)."""

from __future__ import annotations

import dataclasses
import types
from pathlib import Path

from google.protobuf import descriptor_pb2

from ivorygrpc.deck.descriptors import build_deck_files
from ivorygrpc.deck.fieldlock import FieldLock
from ivorygrpc.deck.introspect import introspect_module
from ivorygrpc.deck.offline import offline_deck


@dataclasses.dataclass
class Peak:
    height: float
    width: float | None


class Detector:
    def find(self, sample: str, limit: float | None = None) -> float | None:
        return None

    def peak(self) -> Peak:
        return Peak(1.0, None)


def _offline(tmp_path: Path) -> dict[str, object]:
    module = types.ModuleType("detector_deck")
    module.detector = Detector()  # type: ignore[attr-defined]
    deck = introspect_module(module)
    files = build_deck_files(deck.spec, FieldLock(tmp_path / "lock.json"))
    copies = [descriptor_pb2.FileDescriptorProto.FromString(f.SerializeToString())
              for f in files]
    (inst,) = offline_deck("detector_deck", copies).instruments
    return {op.name: op for op in inst.operations}


def test_optional_results_and_record_fields_stay_nullable(tmp_path: Path) -> None:
    ops = _offline(tmp_path)
    find, peak = ops["find"], ops["peak"]
    assert find.returns.fields[0].type.nullable  # type: ignore[attr-defined]
    fields = {f.name: f.type.nullable for f in peak.returns.fields}  # type: ignore[attr-defined]
    assert fields == {"height": False, "width": True}


def test_parameters_keep_their_required_flag(tmp_path: Path) -> None:
    params = _offline(tmp_path)["find"].params  # type: ignore[attr-defined]
    assert [(p.name, p.required) for p in params] == [("sample", True), ("limit", False)]
