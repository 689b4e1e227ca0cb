"""SPEC §2 type table: Python annotations -> TypeSpec -> descriptor fields in the pool."""

from __future__ import annotations

import collections.abc
import datetime
import enum
from typing import Any, Literal, Optional

import pytest
from google.protobuf.descriptor import FieldDescriptor

from ivorygrpc.deck.descriptors import build_deck_files
from ivorygrpc.deck.fieldlock import FieldLock
from ivorygrpc.deck.introspect import Deck, introspect_module
from ivorygrpc.deck.model import Kind, ParamSpec, pascal, upper_snake
from ivorygrpc.deck.types import TypeResolver, UnsupportedType
from ivorygrpc.schema import Schema, build_schema
from ivorygrpc.v1 import options_pb2
from tests.decks import typing_deck

FD = FieldDescriptor
VALUE = "google.protobuf.Value"
TIMESTAMP = "google.protobuf.Timestamp"


@pytest.fixture(scope="module")
def deck() -> Deck:
    return introspect_module(typing_deck)


@pytest.fixture(scope="module")
def schema(deck: Deck) -> Schema:
    return build_schema(build_deck_files(deck.spec, FieldLock()))


def param(deck: Deck, instrument: str, operation: str, name: str) -> ParamSpec:
    inst = deck.spec.instrument(instrument)
    assert inst is not None, instrument
    op = inst.operation(operation)
    assert op is not None, f"{instrument}.{operation} was not served"
    return next(p for p in op.params if p.name == name)


def message(schema: Schema, instrument: str, name: str) -> Any:
    return schema.pool.FindMessageTypeByName(f"ivorygrpc.deck.{instrument}.v1.{name}")


def field(schema: Schema, instrument: str, msg: str, name: str) -> FieldDescriptor:
    return message(schema, instrument, msg).fields_by_name[name]


def enum_values(enum_descriptor: Any) -> list[tuple[str, int]]:
    return [(v.name, v.number) for v in enum_descriptor.values]


def test_the_typing_deck_really_postpones_its_annotations() -> None:
    assert typing_deck.Scalars.scalars.__annotations__["x"] == "float"
    assert typing_deck.Node.__annotations__["next"] == "Node | None"


@pytest.mark.parametrize(("name", "expected"), [
    ("Mode", "MODE"), ("FlowMode", "FLOW_MODE"), ("HPLCMode", "HPLC_MODE"), ("IOError", "IO_ERROR"),
    ("Pump2Mode", "PUMP2_MODE"), ("Mode2X", "MODE2X"), ("A1B2", "A1B2"), ("ABC", "ABC"),
    ("twoWords", "TWO_WORDS"), ("slow down", "SLOW_DOWN"), ("fast-mode 2", "FAST_MODE_2"),
    ("_x_", "X"), ("", ""),
])
def test_upper_snake_makes_enum_prefixes_and_value_names(name: str, expected: str) -> None:
    # the prefix buf lint (ENUM_VALUE_PREFIX) expects for an enum of that name
    assert upper_snake(name) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("pump_2", "Pump2"), ("set_rate", "SetRate"), ("startRun", "StartRun"), ("a__b", "AB"),
])
def test_pascal_makes_service_rpc_and_literal_enum_names(name: str, expected: str) -> None:
    assert pascal(name) == expected


# -- scalars -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind", "wire"), [
    ("x", Kind.DOUBLE, FD.TYPE_DOUBLE),
    ("n", Kind.INT64, FD.TYPE_INT64),
    ("s", Kind.STRING, FD.TYPE_STRING),
    ("flag", Kind.BOOL, FD.TYPE_BOOL),
    ("data", Kind.BYTES, FD.TYPE_BYTES),
])
def test_scalars(deck: Deck, schema: Schema, name: str, kind: Kind, wire: int) -> None:
    spec = param(deck, "scalars", "scalars", name)
    assert spec.type.kind is kind
    assert not spec.type.repeated and not spec.type.nullable
    assert spec.required
    fd = field(schema, "scalars", "ScalarsRequest", name)
    assert fd.type == wire
    assert not fd.is_repeated
    # every singular request scalar has explicit presence (ADR 0001)
    assert fd.has_presence
    assert fd.containing_oneof is not None and fd.containing_oneof.name == f"_{name}"


# -- enums and literals ------------------------------------------------------------------------


def test_enum_is_a_top_level_enum_with_unspecified_zero(deck: Deck, schema: Schema) -> None:
    spec = param(deck, "enums", "pick", "mode")
    assert spec.type.kind is Kind.ENUM
    assert spec.type.enum is not None and spec.type.enum.python is typing_deck.Mode
    fd = field(schema, "enums", "PickRequest", "mode")
    assert fd.type == FD.TYPE_ENUM
    assert fd.enum_type.full_name == "ivorygrpc.deck.enums.v1.Mode"
    assert enum_values(fd.enum_type) == [
        ("MODE_UNSPECIFIED", 0), ("MODE_FAST", 1), ("MODE_SLOW_DOWN", 2)]


def test_int_enum_keeps_its_own_numbers_when_all_are_at_least_one(schema: Schema) -> None:
    fd = field(schema, "enums", "PickRequest", "level")
    assert enum_values(fd.enum_type) == [
        ("LEVEL_UNSPECIFIED", 0), ("LEVEL_LOW", 1), ("LEVEL_HIGH", 5)]


def test_int_enum_with_a_zero_member_is_numbered_in_order(schema: Schema) -> None:
    fd = field(schema, "enums", "PickRequest", "zeroed")
    assert enum_values(fd.enum_type) == [
        ("ZEROED_UNSPECIFIED", 0), ("ZEROED_OFF", 1), ("ZEROED_ON", 2)]


def test_enum_is_also_the_result_type(schema: Schema) -> None:
    fd = field(schema, "enums", "PickResponse", "result")
    assert fd.enum_type.full_name == "ivorygrpc.deck.enums.v1.Mode"


def test_literal_is_an_enum_nested_in_its_message(deck: Deck, schema: Schema) -> None:
    spec = param(deck, "enums", "speed", "speed")
    assert spec.type.kind is Kind.ENUM
    assert spec.type.enum is not None and spec.type.enum.nested
    assert [m.name for m in spec.type.enum.members] == ["fast", "slow down"]
    assert not spec.required  # it has a default
    fd = field(schema, "enums", "SpeedRequest", "speed")
    assert fd.enum_type.full_name == "ivorygrpc.deck.enums.v1.SpeedRequest.Speed"
    assert enum_values(fd.enum_type) == [
        ("SPEED_UNSPECIFIED", 0), ("SPEED_FAST", 1), ("SPEED_SLOW_DOWN", 2)]


def test_literal_mixing_str_int_and_bool_keeps_python_values(deck: Deck, schema: Schema) -> None:
    spec = param(deck, "enums", "mixed", "choice")
    assert spec.type.enum is not None
    values = [m.value for m in spec.type.enum.members]
    assert values == ["auto", 2, True]
    assert [type(v) for v in values] == [str, int, bool]
    fd = field(schema, "enums", "MixedRequest", "choice")
    assert enum_values(fd.enum_type) == [
        ("CHOICE_UNSPECIFIED", 0), ("CHOICE_AUTO", 1), ("CHOICE_2", 2), ("CHOICE_TRUE", 3)]


def test_literal_values_with_the_same_proto_name_stay_distinct(schema: Schema) -> None:
    fd = field(schema, "enums", "ClashRequest", "case")
    assert enum_values(fd.enum_type) == [
        ("CASE_UNSPECIFIED", 0), ("CASE_A", 1), ("CASE_A_2", 2), ("CASE_VALUE_3", 3)]


# -- optional ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind", "wire"), [
    ("a", Kind.INT64, FD.TYPE_INT64),  # Optional[int]
    ("b", Kind.STRING, FD.TYPE_STRING),  # str | None = None
])
def test_optional_scalar_is_proto3_optional(deck: Deck, schema: Schema, name: str, kind: Kind,
                                            wire: int) -> None:
    spec = param(deck, "optionals", "maybe", name)
    assert spec.type.kind is kind and spec.type.nullable
    assert not spec.required
    fd = field(schema, "optionals", "MaybeRequest", name)
    assert fd.type == wire
    assert fd.has_presence
    assert fd.containing_oneof.name == f"_{name}"
    proto = message(schema, "optionals", "MaybeRequest")
    # synthetic oneofs only: one per optional field, none shared
    assert [o.name for o in proto.oneofs] == ["_a", "_b"]


def test_optional_result_has_presence_but_plain_result_does_not(schema: Schema) -> None:
    assert field(schema, "optionals", "MaybeResponse", "result").has_presence
    assert not field(schema, "records", "ChainResponse", "result").has_presence


def test_optional_list_is_a_repeated_field(deck: Deck, schema: Schema) -> None:
    spec = param(deck, "optionals", "maybe_list", "items")
    assert spec.type.kind is Kind.INT64 and spec.type.repeated and spec.type.nullable
    assert not spec.required
    fd = field(schema, "optionals", "MaybeListRequest", "items")
    assert fd.type == FD.TYPE_INT64 and fd.is_repeated
    assert not fd.has_presence


@pytest.mark.parametrize("name", ["x", "y"])
def test_optional_any_and_dict_are_values(deck: Deck, schema: Schema, name: str) -> None:
    spec = param(deck, "optionals", "maybe_any", name)
    assert spec.type.kind is Kind.ANY
    assert field(schema, "optionals", "MaybeAnyRequest", name).message_type.full_name == VALUE


# -- containers --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind", "container", "wire"), [
    ("a", Kind.INT64, "list", FD.TYPE_INT64),  # list[int]
    ("b", Kind.STRING, "set", FD.TYPE_STRING),  # set[str]
    ("c", Kind.DOUBLE, "frozenset", FD.TYPE_DOUBLE),  # frozenset[float]
    ("d", Kind.BOOL, "tuple", FD.TYPE_BOOL),  # tuple[bool, ...]
    ("e", Kind.INT64, "tuple", FD.TYPE_INT64),  # tuple[int, int]: one item type
])
def test_collections_are_repeated(deck: Deck, schema: Schema, name: str, kind: Kind,
                                  container: str, wire: int) -> None:
    spec = param(deck, "containers", "many", name)
    assert spec.type.kind is kind and spec.type.repeated
    assert spec.type.container == container
    assert not spec.required  # absent means empty
    fd = field(schema, "containers", "ManyRequest", name)
    assert fd.is_repeated and fd.type == wire
    assert fd.containing_oneof is None


@pytest.mark.parametrize("name", ["grid", "pair"])  # list[list[int]], tuple[int, str]
def test_nested_lists_and_mixed_tuples_are_values(deck: Deck, schema: Schema, name: str) -> None:
    spec = param(deck, "containers", "nested", name)
    assert spec.type.kind is Kind.ANY and not spec.type.repeated
    fd = field(schema, "containers", "NestedRequest", name)
    assert not fd.is_repeated
    assert fd.message_type.full_name == VALUE


# -- timestamps, records, values ---------------------------------------------------------------


def test_datetime_is_a_timestamp(deck: Deck, schema: Schema) -> None:
    assert param(deck, "times", "at", "when").type.kind is Kind.TIMESTAMP
    assert field(schema, "times", "AtRequest", "when").message_type.full_name == TIMESTAMP
    assert field(schema, "times", "AtResponse", "result").message_type.full_name == TIMESTAMP
    assert "google/protobuf/timestamp.proto" in schema.files[
        "ivorygrpc/deck/times/v1/times.proto"].dependency


@pytest.mark.parametrize(("op", "name", "record", "flavour", "fields"), [
    ("move", "to", "Point", "dataclass", ["x", "y"]),
    ("record", "reading", "Reading", "namedtuple", ["value", "unit"]),
    ("record", "settings", "Settings", "typeddict", ["rate", "label"]),
])
def test_records_are_nested_messages(deck: Deck, schema: Schema, op: str, name: str, record: str,
                                     flavour: str, fields: list[str]) -> None:
    spec = param(deck, "records", op, name)
    assert spec.type.kind is Kind.RECORD
    assert spec.type.record is not None
    assert spec.type.record.flavour == flavour
    assert [f.name for f in spec.type.record.fields] == fields
    fd = field(schema, "records", f"{op.title()}Request", name)
    assert fd.message_type.full_name == f"ivorygrpc.deck.records.v1.{record}"
    assert [f.name for f in fd.message_type.fields] == fields


def test_record_fields_carry_their_own_types(schema: Schema) -> None:
    stamped = message(schema, "records", "Stamped")
    assert stamped.fields_by_name["when"].message_type.full_name == TIMESTAMP
    assert stamped.fields_by_name["mode"].enum_type.full_name == "ivorygrpc.deck.records.v1.Mode"
    assert stamped.fields_by_name["tags"].is_repeated
    assert stamped.fields_by_name["tags"].type == FD.TYPE_STRING


def test_self_referencing_dataclass(deck: Deck, schema: Schema) -> None:
    record = param(deck, "records", "chain", "head").type.record
    assert record is not None
    nxt = next(f for f in record.fields if f.name == "next")
    assert nxt.type.record is record
    assert nxt.type.nullable
    node = message(schema, "records", "Node")
    assert node.fields_by_name["next"].message_type is node


def test_record_doc_is_its_own_docstring_only(deck: Deck) -> None:
    point = param(deck, "records", "move", "to").type.record
    settings = param(deck, "records", "record", "settings").type.record
    assert point is not None and point.doc == "A point on the bed."
    assert settings is not None and settings.doc == ""  # not dict's docstring


@pytest.mark.parametrize("name", ["a", "b", "c", "d", "e"])  # dict, dict[str,int], Any, -, int|str
def test_loose_types_are_values(deck: Deck, schema: Schema, name: str) -> None:
    spec = param(deck, "loose", "loose", name)
    assert spec.type.kind is Kind.ANY and spec.type.nullable
    assert spec.required  # an untyped parameter must still be sent
    fd = field(schema, "loose", "LooseRequest", name)
    assert fd.message_type.full_name == VALUE
    assert not fd.is_repeated


def test_any_result_is_a_value(schema: Schema) -> None:
    assert field(schema, "loose", "LooseResponse", "result").message_type.full_name == VALUE


# -- Annotated ---------------------------------------------------------------------------------


def test_annotated_unit_and_range(deck: Deck, schema: Schema) -> None:
    volume = param(deck, "ranges", "dose", "volume")
    assert volume.type.kind is Kind.DOUBLE
    assert (volume.unit, volume.minimum, volume.maximum) == ("mL", 0, 25)
    ext = field(schema, "ranges", "DoseRequest", "volume").GetOptions().Extensions[
        options_pb2.parameter]
    assert ext.unit == "mL" and ext.minimum == 0 and ext.maximum == 25


def test_annotated_objects_with_ge_le_gt_lt(deck: Deck) -> None:
    count = param(deck, "ranges", "dose", "count")
    assert count.type.kind is Kind.INT64
    assert (count.minimum, count.maximum) == (1.0, 10.0)
    ratio = param(deck, "ranges", "dose", "ratio")
    assert (ratio.minimum, ratio.maximum) == (None, None)
    assert (ratio.exclusive_minimum, ratio.exclusive_maximum) == (0.0, 1.0)


def test_annotated_inside_optional_keeps_unit_and_range(deck: Deck) -> None:
    target = param(deck, "ranges", "heat", "target")
    assert target.type.kind is Kind.DOUBLE and target.type.nullable
    assert (target.unit, target.minimum, target.maximum) == ("degC", None, 90)


def test_annotated_list_range_applies_to_items(deck: Deck) -> None:
    levels = param(deck, "ranges", "heat", "levels")
    assert levels.type.repeated and levels.type.kind is Kind.INT64
    assert (levels.minimum, levels.maximum) == (0, 3)


# -- what cannot be resolved -------------------------------------------------------------------


def test_unresolvable_forward_references_are_skipped_not_fatal(deck: Deck) -> None:
    reasons = {s.member: s.reason for s in deck.spec.skipped if s.instrument == "broken"}
    assert "DoesNotExist" in reasons["missing"]
    assert "AlsoMissing" in reasons["missing_result"]
    assert "Dangling" in reasons["dangling"] and "Nowhere" in reasons["dangling"]
    broken = deck.spec.instrument("broken")
    assert broken is not None
    assert [op.name for op in broken.operations] == ["fine"]


# -- the resolver on its own -------------------------------------------------------------------


class Empty(enum.Enum):
    pass


@pytest.mark.parametrize(("annotation", "kind", "repeated", "nullable"), [
    (collections.abc.Sequence[int], Kind.INT64, True, False),
    (collections.abc.Set[str], Kind.STRING, True, False),
    (collections.abc.Mapping[str, int], Kind.ANY, False, True),
    (list, Kind.ANY, True, True),
    (object, Kind.ANY, False, True),
    (Optional[Any], Kind.ANY, False, True),  # noqa: UP045
    (int | float, Kind.ANY, False, True),
    (list[int | None], Kind.ANY, False, True),
    (datetime.datetime | None, Kind.TIMESTAMP, False, True),
])
def test_resolver_table(annotation: Any, kind: Kind, repeated: bool, nullable: bool) -> None:
    spec = TypeResolver().resolve(annotation, "x")
    assert (spec.kind, spec.repeated, spec.nullable) == (kind, repeated, nullable)


def test_resolver_shares_one_spec_per_enum_class() -> None:
    resolver = TypeResolver()
    first = resolver.resolve(typing_deck.Mode, "a").enum
    assert resolver.resolve(list[typing_deck.Mode], "b").enum is first


@pytest.mark.parametrize(("annotation", "message"), [
    (complex, "complex"),
    (Literal[1.5], "1.5"),
    (Empty, "no members"),
    ("NotAType", "could not be resolved"),
])
def test_resolver_rejects_unmappable_types(annotation: Any, message: str) -> None:
    with pytest.raises(UnsupportedType, match=message):
        TypeResolver().resolve(annotation, "x")
