"""OperationCodec: typed requests and JSON arguments -> Python calls; results -> responses."""

import datetime
import functools
import math
from typing import Any

import pytest
from google.protobuf import message
from hypothesis import given, settings
from hypothesis import strategies as st

from ivorygrpc.deck.codec import BoundCall, OperationCodec, message_to_json, result_to_json
from ivorygrpc.deck.descriptors import build_deck_files
from ivorygrpc.deck.encode import ResultMismatch
from ivorygrpc.deck.fieldlock import FieldLock
from ivorygrpc.deck.introspect import Deck, introspect_module
from ivorygrpc.errors import InvalidArguments
from ivorygrpc.schema import build_schema
from tests.decks import typing_deck
from tests.decks.typing_deck import Level, Mode, Node, Point, Reading, Stamped, Zeroed

UTC = datetime.UTC


@functools.cache
def deck() -> Deck:
    return introspect_module(typing_deck)


@functools.cache
def codecs() -> dict[tuple[str, str], OperationCodec]:
    spec = deck().spec
    schema = build_schema(build_deck_files(spec, FieldLock()))
    return {
        (inst.name, op.name): OperationCodec(
            inst, op,
            schema.message_class(f"{inst.package}.{op.rpc}Request"),
            schema.message_class(f"{inst.package}.{op.rpc}Response"))
        for inst in spec.instruments for op in inst.operations
    }


def codec(instrument: str, operation: str) -> OperationCodec:
    return codecs()[(instrument, operation)]


def call(instrument: str, operation: str, bound: BoundCall) -> Any:
    """Run the real deck method with the decoded arguments."""
    return deck().targets[(instrument, operation)](*bound.args, **bound.kwargs)


def violations(action: Any, *args: Any) -> dict[str, str]:
    with pytest.raises(InvalidArguments) as info:
        action(*args)
    return {v.field: v.description for v in info.value.violations}


def wire(c: OperationCodec, **fields: Any) -> message.Message:
    """A request as it arrives from the network (serialised and parsed again)."""
    return c.request_cls.FromString(c.request_cls(**fields).SerializeToString())


SCALARS = {"x": 1.5, "n": 2, "s": "a", "flag": True, "data": "AAE="}


# -- absent arguments --------------------------------------------------------------------------


def test_absent_argument_with_default_lets_the_python_default_apply() -> None:
    c = codec("enums", "speed")
    for bound in (c.from_json({}), c.from_request(wire(c))):
        assert bound == BoundCall((), {})
        assert call("enums", "speed", bound) == "fast"


def test_missing_required_arguments_are_all_listed_at_once() -> None:
    c = codec("scalars", "scalars")
    expected = {name: "is required" for name in SCALARS}
    assert violations(c.from_json, {}) == expected
    assert violations(c.from_request, wire(c)) == expected


def test_zero_values_on_the_wire_count_as_present() -> None:
    c = codec("scalars", "scalars")
    bound = c.from_request(wire(c, x=0.0, n=0, s="", flag=False, data=b""))
    assert bound.kwargs == {"x": 0.0, "n": 0, "s": "", "flag": False, "data": b""}


def test_absent_optional_without_default_is_none() -> None:
    c = codec("optionals", "maybe")
    assert c.from_json({}).kwargs == {"a": None}
    assert c.from_request(wire(c)).kwargs == {"a": None}
    assert c.from_json({"a": None, "b": None}).kwargs == {"a": None, "b": None}


def test_absent_repeated_is_an_empty_collection() -> None:
    c = codec("containers", "many")
    assert c.from_json({}).kwargs == {"a": [], "b": set(), "c": frozenset(), "d": (), "e": ()}


def test_optional_list_accepts_null_and_absence() -> None:
    c = codec("optionals", "maybe_list")
    assert c.from_json({"items": None}).kwargs == {"items": None}
    assert c.from_json({}).kwargs == {"items": []}
    assert c.from_json({"items": [1, "2"]}).kwargs == {"items": [1, 2]}


def test_untyped_parameters_must_be_sent_but_may_be_null() -> None:
    c = codec("optionals", "maybe_any")
    assert violations(c.from_json, {}) == {"x": "is required", "y": "is required"}
    assert c.from_json({"x": None, "y": {"k": [1, 2.0]}}).kwargs == {"x": None,
                                                                    "y": {"k": [1, 2]}}


# -- scalars -----------------------------------------------------------------------------------


def test_json_scalars_are_converted_to_declared_types() -> None:
    bound = codec("scalars", "scalars").from_json(
        {"x": 3, "n": "3", "s": "a", "flag": "yes", "data": "AAE="})
    assert bound.kwargs == {"x": 3.0, "n": 3, "s": "a", "flag": True, "data": b"\x00\x01"}
    assert type(bound.kwargs["x"]) is float


def test_ints_on_the_wire_for_float_fields_arrive_as_float() -> None:
    c = codec("scalars", "scalars")
    bound = c.from_request(wire(c, x=2, n=1, s="", flag=True, data=b""))
    assert type(bound.kwargs["x"]) is float


@pytest.mark.parametrize(("value", "expected"), [
    (3, 3), ("3", 3), (" -4 ", -4), (2.0, 2), (2**63 - 1, 2**63 - 1),
])
def test_int_parameter_accepts(value: Any, expected: int) -> None:
    args = {**SCALARS, "n": value}
    assert codec("scalars", "scalars").from_json(args).kwargs["n"] == expected


@pytest.mark.parametrize("value", [2.5, "2.5", True, "three", 2**63, float("nan"), [1], None])
def test_int_parameter_rejects(value: Any) -> None:
    found = violations(codec("scalars", "scalars").from_json, {**SCALARS, "n": value})
    assert list(found) == ["n"]


@pytest.mark.parametrize(("value", "expected"), [
    (True, True), (False, False), ("true", True), ("FALSE", False), ("yes", True),
    ("off", False), ("1", True), ("0", False),
])
def test_bool_parameter_accepts(value: Any, expected: bool) -> None:
    assert codec("scalars", "scalars").from_json({**SCALARS, "flag": value}).kwargs[
        "flag"] is expected


@pytest.mark.parametrize("value", [1, 0, "maybe", None, [True]])
def test_bool_parameter_rejects(value: Any) -> None:
    assert list(violations(codec("scalars", "scalars").from_json,
                           {**SCALARS, "flag": value})) == ["flag"]


@pytest.mark.parametrize(("field", "value"), [
    ("x", True), ("x", "fast"), ("x", 10**400), ("s", 3), ("s", None), ("data", "not base64!"),
    ("data", 5),
])
def test_other_scalars_reject_wrong_types(field: str, value: Any) -> None:
    assert list(violations(codec("scalars", "scalars").from_json,
                           {**SCALARS, field: value})) == [field]


def test_unknown_json_parameters_are_rejected_with_the_other_problems() -> None:
    found = violations(codec("scalars", "scalars").from_json, {**SCALARS, "n": 2.5, "zzz": 1})
    assert found == {"zzz": "unknown parameter", "n": "expected an integer, got 2.5"}


def test_unknown_wire_fields_are_rejected() -> None:
    c = codec("scalars", "scalars")
    data = c.request_cls(x=1.0, n=1, s="a", flag=True, data=b"").SerializeToString()
    data += bytes([0x98, 0x06, 0x01])  # field 99, varint 1
    assert violations(c.from_request, c.request_cls.FromString(data)) == {"#99": "unknown field"}


# -- enums -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("arguments", "expected"), [
    ({"mode": "FAST", "level": "LOW", "zeroed": "OFF"}, (Mode.FAST, Level.LOW, Zeroed.OFF)),
    ({"mode": "MODE_SLOW_DOWN", "level": "LEVEL_HIGH", "zeroed": "ZEROED_ON"},
     (Mode.SLOW_DOWN, Level.HIGH, Zeroed.ON)),
    ({"mode": "FAST", "level": 5, "zeroed": 0}, (Mode.FAST, Level.HIGH, Zeroed.OFF)),
])
def test_enum_from_json_by_member_name_proto_name_or_int_value(
        arguments: dict[str, Any], expected: tuple[Any, ...]) -> None:
    bound = codec("enums", "pick").from_json(arguments)
    assert tuple(bound.kwargs.values()) == expected
    assert call("enums", "pick", bound) is expected[0]


@pytest.mark.parametrize("value", ["fast", "MODE_UNSPECIFIED", "SLOW", 1, None, True])
def test_enum_from_json_rejects(value: Any) -> None:
    found = violations(codec("enums", "pick").from_json,
                       {"mode": value, "level": "LOW", "zeroed": "ON"})
    assert list(found) == ["mode"]


def test_enum_from_wire_by_number() -> None:
    c = codec("enums", "pick")
    bound = c.from_request(wire(c, mode=2, level=5, zeroed=1))
    assert bound.kwargs == {"mode": Mode.SLOW_DOWN, "level": Level.HIGH, "zeroed": Zeroed.OFF}


def test_enum_from_wire_rejects_unspecified_and_unknown_numbers() -> None:
    c = codec("enums", "pick")
    found = violations(c.from_request, wire(c, mode=0, level=2, zeroed=9))
    assert found == {"mode": "MODE_UNSPECIFIED is not a valid choice",
                     "level": "2 is not a known Level value",
                     "zeroed": "9 is not a known Zeroed value"}


@pytest.mark.parametrize(("value", "expected"), [
    ("slow down", "slow down"), ("SPEED_SLOW_DOWN", "slow down"), ("fast", "fast"),
])
def test_literal_from_json(value: str, expected: str) -> None:
    bound = codec("enums", "speed").from_json({"speed": value})
    assert call("enums", "speed", bound) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("auto", "auto"), (2, 2), ("2", 2), (True, True), ("True", True), ("CHOICE_TRUE", True),
])
def test_mixed_literal_keeps_python_types(value: Any, expected: Any) -> None:
    got = codec("enums", "mixed").from_json({"choice": value}).kwargs["choice"]
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("value", [1, 2.5, "AUTO", False])
def test_mixed_literal_rejects_lookalikes(value: Any) -> None:
    assert list(violations(codec("enums", "mixed").from_json, {"choice": value})) == ["choice"]


def test_literal_from_wire() -> None:
    c = codec("enums", "mixed")
    assert c.from_request(wire(c, choice=3)).kwargs == {"choice": True}
    assert c.from_request(wire(c, choice=2)).kwargs == {"choice": 2}


# -- ranges ------------------------------------------------------------------------------------


def test_values_inside_the_range_pass() -> None:
    c = codec("ranges", "dose")
    bound = c.from_json({"volume": 25, "count": 10, "ratio": 0.999})
    assert bound.kwargs == {"volume": 25.0, "count": 10, "ratio": 0.999}
    assert c.from_json({"volume": 0, "count": 1}).kwargs == {"volume": 0.0, "count": 1}


def test_range_violations_are_listed_per_field() -> None:
    c = codec("ranges", "dose")
    expected = {"volume", "count", "ratio"}
    assert set(violations(c.from_json, {"volume": 25.5, "count": 0, "ratio": 1})) == expected
    assert set(violations(c.from_request, wire(c, volume=-1, count=11, ratio=0))) == expected


@pytest.mark.parametrize("value", [float("nan"), "NaN", float("inf"), "-Infinity"])
def test_nan_and_infinity_are_rejected_when_a_range_is_declared(value: Any) -> None:
    c = codec("ranges", "dose")
    assert list(violations(c.from_json, {"volume": value})) == ["volume"]


def test_nan_on_the_wire_is_rejected_when_a_range_is_declared() -> None:
    c = codec("ranges", "dose")
    assert list(violations(c.from_request, wire(c, volume=math.nan))) == ["volume"]


def test_nan_is_accepted_without_a_range() -> None:
    bound = codec("scalars", "scalars").from_json({**SCALARS, "x": "NaN"})
    assert math.isnan(bound.kwargs["x"])


def test_range_applies_to_list_items_and_optional_values() -> None:
    c = codec("ranges", "heat")
    assert c.from_json({"levels": [0, 3], "target": None}).kwargs == {"levels": [0, 3],
                                                                      "target": None}
    assert list(violations(c.from_json, {"levels": [0, 4]})) == ["levels"]
    assert list(violations(c.from_json, {"target": 90.5})) == ["target"]


# -- records and timestamps --------------------------------------------------------------------


def test_records_are_built_as_their_classes() -> None:
    bound = codec("records", "record").from_json(
        {"reading": {"value": 1, "unit": "mL"}, "settings": {"rate": 2, "label": "a"}})
    assert bound.kwargs["reading"] == Reading(1.0, "mL")
    assert type(bound.kwargs["reading"]) is Reading
    assert bound.kwargs["settings"] == {"rate": 2.0, "label": "a"}
    point = codec("records", "move").from_json({"to": {"x": 1}}).kwargs["to"]
    assert type(point) is Point and point == Point(1.0, 0.0)  # the dataclass default applies


def test_records_from_the_wire() -> None:
    c = codec("records", "chain")
    bound = c.from_request(wire(c, head={"value": 1, "next": {"value": 2}}))
    assert bound.kwargs["head"] == Node(1, Node(2, None))
    assert call("records", "chain", bound) == 1


def test_record_problems_name_the_nested_path() -> None:
    c = codec("records", "chain")
    assert violations(c.from_json, {"head": {"value": 1, "next": {"value": "x"}}}) == {
        "head.next.value": "expected an integer, got 'x'"}
    assert list(violations(codec("records", "move").from_json, {"to": {"x": 1, "z": 2}})) == [
        "to"]
    assert list(violations(codec("records", "move").from_json, {"to": {"y": 1}})) == ["to"]
    assert list(violations(codec("records", "move").from_json, {"to": [1, 2]})) == ["to"]


def test_record_with_timestamp_enum_and_list() -> None:
    c = codec("records", "stamp")
    bound = c.from_json({"s": {"when": "2024-05-01T12:00:00Z", "mode": "FAST", "tags": ["a"]}})
    assert bound.kwargs["s"] == Stamped(datetime.datetime(2024, 5, 1, 12, tzinfo=UTC),
                                        Mode.FAST, ["a"])
    assert violations(c.from_request, wire(c, s={"tags": ["a"]})) == {"s.when": "is required"}
    found = violations(c.from_request, wire(c, s={"when": {"seconds": 1}}))
    assert found == {"s.mode": "MODE_UNSPECIFIED is not a valid choice"}


def test_datetime_needs_a_time_zone() -> None:
    c = codec("times", "at")
    assert violations(c.from_json, {"when": "2024-05-01T12:00:00"}) == {
        "when": "timestamp needs a time zone (for example a trailing Z)"}
    bound = c.from_json({"when": "2024-05-01T14:00:00+02:00"})
    assert bound.kwargs["when"] == datetime.datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert bound.kwargs["when"].tzinfo is UTC


@pytest.mark.parametrize("value", [
    "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "yesterday", 1714564800,
])
def test_bad_timestamps_are_invalid_arguments(value: Any) -> None:
    assert list(violations(codec("times", "at").from_json, {"when": value})) == ["when"]


def test_timestamps_from_the_wire_are_aware_utc() -> None:
    c = codec("times", "at")
    bound = c.from_request(wire(c, when={"seconds": 1714564800}))
    assert bound.kwargs["when"] == datetime.datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_out_of_range_timestamps_on_the_wire_are_invalid_arguments() -> None:
    c = codec("times", "at")
    assert list(violations(c.from_request, wire(c, when={"seconds": 10**13}))) == ["when"]
    assert list(violations(c.from_request, wire(c, when={"nanos": -1}))) == ["when"]


def test_values_from_the_wire() -> None:
    c = codec("optionals", "maybe_any")
    request = c.request_cls()
    request.x.list_value.values.add().number_value = 2.0
    request.y.struct_value.fields["k"].string_value = "v"
    assert c.from_request(request).kwargs == {"x": [2], "y": {"k": "v"}}


@pytest.mark.parametrize("number", [math.nan, math.inf])
def test_non_json_numbers_in_values_are_invalid_arguments(number: float) -> None:
    c = codec("optionals", "maybe_any")
    request = c.request_cls()
    request.x.number_value = number
    request.y.null_value = 0
    assert list(violations(c.from_request, request)) == ["x"]


def test_collections_are_built_as_declared() -> None:
    c = codec("containers", "many")
    bound = c.from_json({"a": [1, "2"], "b": ["x", "x"], "c": [1], "d": ["yes"], "e": [1, 2]})
    assert bound.kwargs == {"a": [1, 2], "b": {"x"}, "c": frozenset({1.0}), "d": (True,),
                            "e": (1, 2)}
    found = violations(c.from_json, {"a": 1, "b": [1], "c": ["z"], "d": [None]})
    assert found == {"a": "expected a list", "b[0]": "expected a string, got int",
                     "c[0]": "expected a number, got 'z'", "d[0]": "must not be null"}
    from_wire = c.from_request(wire(c, a=[1], b=["x", "x"], d=[True]))
    assert from_wire.kwargs == {"a": [1], "b": {"x"}, "c": frozenset(), "d": (True,), "e": ()}


# -- positional-only parameters ----------------------------------------------------------------


def test_positional_only_parameters_are_bound_positionally() -> None:
    c = codec("positional", "place")
    assert c.from_json({"slot": 3}) == BoundCall((3,), {})
    bound = c.from_json({"slot": 3, "depth": 2, "speed": 4})
    assert bound == BoundCall((3, 2.0), {"speed": 4.0})
    assert call("positional", "place", bound) == (3, 2.0)
    assert c.from_request(wire(c, slot=1, speed=5.0)) == BoundCall((1,), {"speed": 5.0})
    assert call("positional", "place", c.from_json({"slot": 7})) == (7, 1.0)


def test_missing_positional_only_parameter_is_reported() -> None:
    assert violations(codec("positional", "place").from_json, {"depth": 1}) == {
        "slot": "is required"}


# -- results -----------------------------------------------------------------------------------


def test_scalar_result() -> None:
    response = codec("records", "chain").to_response(5)
    assert response.result == 5
    assert codec("optionals", "maybe").to_response(2).result == 2.0
    assert not codec("optionals", "maybe").to_response(None).HasField("result")


@pytest.mark.parametrize("value", ["3", 3.5, True, None, [3], 2**64])
def test_result_type_mismatch(value: Any) -> None:
    with pytest.raises(ResultMismatch):
        codec("records", "chain").to_response(value)


def test_enum_result() -> None:
    c = codec("enums", "pick")
    assert c.to_response(Mode.SLOW_DOWN).result == 2
    with pytest.raises(ResultMismatch):
        c.to_response("SLOW_DOWN")  # a name is not a member
    with pytest.raises(ResultMismatch):
        c.to_response(Level.LOW)


def test_tuple_result_is_one_field_per_item() -> None:
    c = codec("positional", "place")
    response = c.to_response((3, 2.5))
    assert (response.result_0, response.result_1) == (3, 2.5)
    for bad in ((3,), (3, 2.5, 1), 3, ("3", 2.5)):
        with pytest.raises(ResultMismatch):
            c.to_response(bad)


def test_record_result_fills_the_response_fields() -> None:
    c = codec("records", "move")
    response = c.to_response(Point(1.5, -2.0))
    assert (response.x, response.y) == (1.5, -2.0)
    assert c.to_response({"x": 1, "y": 2}).x == 1.0  # a mapping with the same fields
    for bad in ((1, 2), None, {"x": 1}, Reading(1.0, "mL")):
        with pytest.raises(ResultMismatch):
            c.to_response(bad)


def test_namedtuple_record_result() -> None:
    response = codec("records", "record").to_response(Reading(2.5, "uL"))
    assert (response.value, response.unit) == (2.5, "uL")


def test_value_results() -> None:
    c = codec("loose", "loose")
    assert message_to_json(c.to_response({"a": [1, "b", None]})) == {
        "result": {"a": [1.0, "b", None]}}
    assert c.to_response(None).result.WhichOneof("kind") == "null_value"
    with pytest.raises(ResultMismatch):
        c.to_response(10**400)


def test_timestamp_result() -> None:
    c = codec("times", "at")
    response = c.to_response(datetime.datetime(2024, 5, 1, 12, tzinfo=UTC))
    assert response.result.seconds == 1714564800
    with pytest.raises(ResultMismatch):
        c.to_response("2024-05-01")


def test_response_from_recorded_json() -> None:
    assert codec("records", "chain").response_from_json(4).result == 4
    assert codec("positional", "place").response_from_json([1, 2]).result_1 == 2.0
    assert codec("records", "move").response_from_json({"x": 1, "y": 2}).y == 2.0
    assert codec("enums", "pick").response_from_json("FAST").result == 1
    assert list(codec("scalars", "scalars").response_from_json(None).ListFields()) == []
    for op, bad in (("chain", "x"), ("move", {"z": 1})):
        with pytest.raises(ResultMismatch):
            codec("records", op).response_from_json(bad)
    with pytest.raises(ResultMismatch):
        codec("positional", "place").response_from_json([1])


def test_json_results_round_trip_through_the_response() -> None:
    c = codec("records", "stamp")
    value = Stamped(datetime.datetime(2024, 5, 1, 12, tzinfo=UTC), Mode.FAST, ["a"])
    assert result_to_json(value) == {"when": "2024-05-01T12:00:00+00:00", "mode": "FAST",
                                     "tags": ["a"]}
    assert c.from_json({"s": result_to_json(value)}).kwargs == {"s": value}


def test_message_to_json_names_enums_and_encodes_bytes() -> None:
    c = codec("scalars", "scalars")
    request = c.request_cls(x=1.5, n=2**62, s="a", flag=False, data=b"\x00\x01")
    assert message_to_json(request) == {"x": 1.5, "n": 2**62, "s": "a", "flag": False,
                                        "data": "AAE="}
    pick = codec("enums", "pick")
    assert message_to_json(pick.request_cls(mode=1)) == {"mode": "MODE_FAST"}


# -- property: from_json only ever raises InvalidArguments -------------------------------------

TEXTS = ["FAST", "MODE_SLOW_DOWN", "LEVEL_HIGH", "slow down", "auto", "True", "yes", "3", "-0",
         "NaN", "1e400", "AAE=", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00",
         "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"]
EDGES = [None, 0, 1, 5, -1, 2**63, 10**400, -(10**400), 0.5, math.nan, math.inf, True, ""]
KEYS = ["x", "y", "value", "unit", "rate", "label", "next", "when", "mode", "tags"]

json_values = st.recursive(
    st.sampled_from(EDGES) | st.sampled_from(TEXTS) | st.none() | st.booleans() | st.integers()
    | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), children, max_size=4),
    max_leaves=10,
)


@pytest.mark.parametrize("key", sorted(codecs()), ids="{0[0]}.{0[1]}".format)
@settings(max_examples=150, deadline=None, database=None)
@given(data=st.data())
def test_from_json_raises_nothing_but_invalid_arguments(key: tuple[str, str],
                                                       data: st.DataObject) -> None:
    c = codec(*key)
    names = [p.name for p in c.op.params] + ["zzz"]
    arguments = data.draw(st.dictionaries(st.sampled_from(names), json_values,
                                          max_size=len(names)))
    try:
        bound = c.from_json(arguments)
    except InvalidArguments as exc:
        assert exc.violations
        assert all(v.field.split(".")[0].split("[")[0] in names for v in exc.violations)
    else:
        assert isinstance(bound, BoundCall)
