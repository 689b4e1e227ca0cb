"""Field and enum numbers stay stable across restarts and signature edits (lock file)."""

import enum
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from google.protobuf import descriptor_pb2 as d

from ivorygrpc.deck.descriptors import build_deck_files
from ivorygrpc.deck.fieldlock import LOCK_FILE, FieldLock
from ivorygrpc.deck.introspect import introspect_module
from ivorygrpc.errors import DeckError
from ivorygrpc.schema import build_schema


class PumpV1:
    def dispense(self, volume_ml: float, rate: float = 1.0) -> None: ...


class PumpV2:  # `speed` inserted in the middle
    def dispense(self, volume_ml: float, speed: float = 2.0, rate: float = 1.0) -> None: ...


class PumpV3:  # `speed` and `rate` removed
    def dispense(self, volume_ml: float) -> None: ...


class PumpV4:  # `rate` back, `pressure` new
    def dispense(self, pressure: float, volume_ml: float, rate: float = 1.0) -> None: ...


def build(instrument: object, lock: FieldLock) -> d.FileDescriptorProto:
    """Build the `pump` file from `instrument` (restart = a new lock read from disk)."""
    module = ModuleType("deck")
    module.pump = instrument
    (file,) = build_deck_files(introspect_module(module).spec, lock)
    lock.save()
    build_schema([file])  # whatever the lock produced must load into a pool
    return file


def restart(path: Path) -> FieldLock:
    return FieldLock(path)


def request(file: d.FileDescriptorProto, name: str = "DispenseRequest") -> d.DescriptorProto:
    return next(m for m in file.message_type if m.name == name)


def numbers(message: d.DescriptorProto) -> dict[str, int]:
    return {f.name: f.number for f in message.field}


def mode_enum(*members: str) -> type[enum.Enum]:
    return enum.Enum("Mode", list(members))  # type: ignore[return-value]


def mixer(mode: type[enum.Enum]) -> object:
    class Mixer:
        def run(self, mode: mode) -> None: ...  # type: ignore[valid-type]

    return Mixer()


def enum_numbers(file: d.FileDescriptorProto) -> dict[str, int]:
    (mode,) = file.enum_type
    return {v.name: v.number for v in mode.value}


@pytest.fixture
def lock_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / LOCK_FILE


def test_numbers_follow_signature_order_the_first_time(lock_path: Path) -> None:
    file = build(PumpV1(), FieldLock(lock_path))
    assert numbers(request(file)) == {"volume_ml": 1, "rate": 2}
    assert lock_path.exists()


def test_rebuild_from_the_lock_file_gives_the_same_descriptors(lock_path: Path) -> None:
    first = build(PumpV1(), FieldLock(lock_path))
    second = build(PumpV1(), restart(lock_path))
    assert second == first


def test_inserted_parameter_gets_a_new_number_others_keep_theirs(lock_path: Path) -> None:
    build(PumpV1(), FieldLock(lock_path))
    file = build(PumpV2(), restart(lock_path))
    message = request(file)
    assert [f.name for f in message.field] == ["volume_ml", "speed", "rate"]  # signature order
    assert numbers(message) == {"volume_ml": 1, "speed": 3, "rate": 2}


def test_removed_parameter_is_reserved_by_number_and_name(lock_path: Path) -> None:
    build(PumpV1(), FieldLock(lock_path))
    build(PumpV2(), restart(lock_path))
    message = request(build(PumpV3(), restart(lock_path)))
    assert numbers(message) == {"volume_ml": 1}
    assert [(r.start, r.end) for r in message.reserved_range] == [(2, 3), (3, 4)]  # end exclusive
    assert list(message.reserved_name) == ["rate", "speed"]


def test_numbers_are_never_reused(lock_path: Path) -> None:
    build(PumpV1(), FieldLock(lock_path))
    build(PumpV2(), restart(lock_path))
    build(PumpV3(), restart(lock_path))
    message = request(build(PumpV4(), restart(lock_path)))
    # `rate` returns to its old number; `pressure` does not take the reserved 2 or 3
    assert numbers(message) == {"pressure": 4, "volume_ml": 1, "rate": 2}
    assert list(message.reserved_name) == ["speed"]


def test_without_a_lock_file_numbers_follow_the_new_signature(lock_path: Path) -> None:
    build(PumpV1(), FieldLock(lock_path))
    # the lock is what keeps `rate` at 2; a fresh in-memory lock renumbers
    assert numbers(request(build(PumpV2(), FieldLock()))) == {
        "volume_ml": 1, "speed": 2, "rate": 3}


def test_reordered_enum_members_keep_their_numbers(lock_path: Path) -> None:
    first = build(mixer(mode_enum("FAST", "SLOW", "OFF")), FieldLock(lock_path))
    assert enum_numbers(first) == {"MODE_UNSPECIFIED": 0, "MODE_FAST": 1, "MODE_SLOW": 2,
                                   "MODE_OFF": 3}
    second = build(mixer(mode_enum("OFF", "FAST", "SLOW")), restart(lock_path))
    (mode,) = second.enum_type
    assert [v.name for v in mode.value] == ["MODE_UNSPECIFIED", "MODE_OFF", "MODE_FAST",
                                            "MODE_SLOW"]
    assert enum_numbers(second) == enum_numbers(first)


def test_removed_enum_member_is_reserved(lock_path: Path) -> None:
    build(mixer(mode_enum("FAST", "SLOW", "OFF")), FieldLock(lock_path))
    file = build(mixer(mode_enum("OFF", "TURBO")), restart(lock_path))
    (mode,) = file.enum_type
    assert enum_numbers(file) == {"MODE_UNSPECIFIED": 0, "MODE_OFF": 3, "MODE_TURBO": 4}
    assert [(r.start, r.end) for r in mode.reserved_range] == [(1, 1), (2, 2)]  # end inclusive
    assert list(mode.reserved_name) == ["MODE_FAST", "MODE_SLOW"]


def test_enum_numbers_reach_the_codec_spec(lock_path: Path) -> None:
    build(mixer(mode_enum("FAST", "SLOW")), FieldLock(lock_path))
    module = ModuleType("deck")
    module.pump = mixer(mode_enum("SLOW", "FAST"))
    spec = introspect_module(module).spec
    build_deck_files(spec, restart(lock_path))
    (param,) = spec.instruments[0].operations[0].params
    assert param.type.enum is not None
    assert param.type.enum.numbers == {"SLOW": 2, "FAST": 1}
    member = param.type.enum.member_by_number(2)
    assert member is not None and member.name == "SLOW"


def test_lock_file_content(lock_path: Path) -> None:
    build(PumpV1(), FieldLock(lock_path))
    data = json.loads(lock_path.read_text(encoding="utf-8"))
    assert data["format"] == 1
    assert data["scopes"][".ivorygrpc.deck.pump.v1.DispenseRequest"] == {
        "volume_ml": 1, "rate": 2}
    assert [p.name for p in lock_path.parent.iterdir()] == [LOCK_FILE]  # no temp files left


def test_save_writes_only_when_something_new_was_assigned(lock_path: Path) -> None:
    build(PumpV1(), FieldLock(lock_path))
    lock_path.write_text(lock_path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    before = lock_path.read_text(encoding="utf-8")
    build(PumpV1(), restart(lock_path))
    assert lock_path.read_text(encoding="utf-8") == before


def test_preferred_numbers_are_used_when_free() -> None:
    lock = FieldLock()
    assert lock.number("E", "HIGH", preferred=5) == 5
    assert lock.number("E", "LOW", preferred=5) == 6  # taken: next after the highest
    assert lock.number("E", "ZERO", preferred=0) == 7  # 0 is never handed out
    assert lock.number("E", "HIGH", preferred=9) == 5  # already locked


def test_in_memory_lock_never_writes(tmp_path: Path) -> None:
    lock = FieldLock()
    lock.number("scope", "name")
    lock.save()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", [
    "not json",
    "[1, 2]",
    '{"format": 2, "scopes": {}}',
    '{"format": 1}',
    '{"format": 1, "scopes": {"s": {"a": "one"}}}',
    '{"format": 1, "scopes": {"s": [1]}}',
])
def test_corrupt_lock_file_is_a_deck_error(lock_path: Path, content: str) -> None:
    lock_path.parent.mkdir(parents=True)
    lock_path.write_text(content, encoding="utf-8")
    with pytest.raises(DeckError, match=r"field lock file .* is unreadable"):
        FieldLock(lock_path)


def test_unreadable_bytes_are_a_deck_error(lock_path: Path) -> None:
    lock_path.parent.mkdir(parents=True)
    lock_path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(DeckError):
        FieldLock(lock_path)


def test_deck_error_reason(lock_path: Path) -> None:
    lock_path.parent.mkdir(parents=True)
    lock_path.write_text("{", encoding="utf-8")
    with pytest.raises(DeckError) as info:
        FieldLock(lock_path)
    error: Any = info.value
    assert error.reason == "DECK_INVALID"
