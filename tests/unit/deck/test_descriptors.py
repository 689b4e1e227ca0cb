"""Deck model -> FileDescriptorProtos -> Schema pool: naming contract, options, comments."""

import json
from types import ModuleType
from typing import Any

import pytest
from google.protobuf import descriptor_pb2 as d

from ivorygrpc.deck.descriptors import build_deck_files, json_name
from ivorygrpc.deck.fieldlock import FieldLock
from ivorygrpc.deck.introspect import Deck, introspect_module
from ivorygrpc.schema import Schema, build_schema
from ivorygrpc.v1 import options_pb2
from tests.decks import plain_deck, typing_deck

F = d.FieldDescriptorProto
PKG = "ivorygrpc.deck.pump_2.v1"
FILE = "ivorygrpc/deck/pump_2/v1/pump_2.proto"
Files = dict[str, d.FileDescriptorProto]


@pytest.fixture(scope="module")
def deck() -> Deck:
    return introspect_module(plain_deck)


@pytest.fixture(scope="module")
def files(deck: Deck) -> Files:
    return {f.name: f for f in build_deck_files(deck.spec, FieldLock())}


@pytest.fixture(scope="module")
def schema(files: Files) -> Schema:
    return build_schema(files.values())


@pytest.fixture(scope="module")
def typing_files() -> Files:
    deck = introspect_module(typing_deck)
    return {f.name: f for f in build_deck_files(deck.spec, FieldLock())}


def msg(file: d.FileDescriptorProto, name: str) -> d.DescriptorProto:
    return next(m for m in file.message_type if m.name == name)


def fld(message: d.DescriptorProto, name: str) -> d.FieldDescriptorProto:
    return next(f for f in message.field if f.name == name)


def param_options(field: Any) -> Any:
    return field.options.Extensions[options_pb2.parameter]


def comments(file: d.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    """Leading comments by path, each line stripped."""
    return {tuple(loc.path): "\n".join(line.strip() for line in loc.leading_comments.splitlines())
            for loc in file.source_code_info.location}


def message_path(file: d.FileDescriptorProto, name: str) -> tuple[int, ...]:
    return (4, [m.name for m in file.message_type].index(name))


def method_path(file: d.FileDescriptorProto, rpc: str) -> tuple[int, ...]:
    return (6, 0, 2, [m.name for m in file.service[0].method].index(rpc))


# -- naming contract ---------------------------------------------------------------------------


def test_one_file_per_instrument_in_deck_order(files: Files) -> None:
    assert list(files) == ["ivorygrpc/deck/pump/v1/pump.proto", FILE,
                           "ivorygrpc/deck/blocks/v1/blocks.proto"]


def test_naming_contract(files: Files) -> None:
    file = files[FILE]
    assert (file.package, file.syntax) == (PKG, "proto3")
    assert [s.name for s in file.service] == ["Pump2Service"]
    method = next(m for m in file.service[0].method if m.name == "Dispense")
    assert method.input_type == f".{PKG}.DispenseRequest"
    assert method.output_type == f".{PKG}.DispenseResponse"
    assert not method.client_streaming and not method.server_streaming


def test_property_rpcs(files: Files) -> None:
    rpcs = [m.name for m in files[FILE].service[0].method]
    assert {"GetTemperature", "GetRate", "SetRate"} <= set(rpcs)
    assert "SetTemperature" not in rpcs
    assert [f.name for f in msg(files[FILE], "SetRateRequest").field] == ["value"]


def test_every_rpc_has_its_own_request_and_response(files: Files) -> None:
    file = files[FILE]
    names = {m.name for m in file.message_type}
    for method in file.service[0].method:
        assert f"{method.name}Request" in names and f"{method.name}Response" in names


def test_dependencies(files: Files,
                      typing_files: Files) -> None:
    assert list(files["ivorygrpc/deck/blocks/v1/blocks.proto"].dependency) == [
        "ivorygrpc/v1/options.proto"]
    # pump has an untyped result (google.protobuf.Value)
    assert list(files[FILE].dependency) == ["google/protobuf/struct.proto",
                                            "ivorygrpc/v1/options.proto"]
    assert "google/protobuf/timestamp.proto" in typing_files[
        "ivorygrpc/deck/times/v1/times.proto"].dependency


# -- request fields ----------------------------------------------------------------------------


def test_request_fields_in_signature_order(files: Files) -> None:
    request = msg(files[FILE], "DispenseRequest")
    assert [(f.name, f.number) for f in request.field] == [("volume_ml", 1), ("rate", 2)]
    assert all(f.type == F.TYPE_DOUBLE for f in request.field)


def test_every_singular_scalar_request_field_is_proto3_optional(typing_files: Files) -> None:
    request = msg(typing_files["ivorygrpc/deck/scalars/v1/scalars.proto"], "ScalarsRequest")
    assert [f.name for f in request.field] == ["x", "n", "s", "flag", "data"]
    for index, field in enumerate(request.field):
        assert field.label == F.LABEL_OPTIONAL
        assert field.proto3_optional, field.name
        assert field.HasField("oneof_index")
        assert request.oneof_decl[field.oneof_index].name == f"_{field.name}"
        assert field.oneof_index == index


def test_message_and_repeated_fields_are_not_proto3_optional(typing_files: Files) -> None:
    many = msg(typing_files["ivorygrpc/deck/containers/v1/containers.proto"], "ManyRequest")
    assert all(f.label == F.LABEL_REPEATED and not f.proto3_optional for f in many.field)
    move = msg(typing_files["ivorygrpc/deck/records/v1/records.proto"], "MoveRequest")
    assert not fld(move, "to").proto3_optional
    assert len(move.oneof_decl) == 0


def test_response_scalars_have_presence_only_when_nullable(files: Files,
                                                           typing_files: Files) -> None:
    assert not fld(msg(files[FILE], "DispenseResponse"), "result").proto3_optional
    maybe = msg(typing_files["ivorygrpc/deck/optionals/v1/optionals.proto"], "MaybeResponse")
    assert fld(maybe, "result").proto3_optional


@pytest.mark.parametrize(("name", "expected"), [
    ("volume_ml", "volumeMl"), ("rate", "rate"), ("result_0", "result0"),
    ("a_b_c", "aBC"), ("flow_rate_ml_min", "flowRateMlMin"),
])
def test_json_name_is_lower_camel(name: str, expected: str) -> None:
    assert json_name(name) == expected


def test_fields_carry_json_names(files: Files) -> None:
    request = msg(files[FILE], "DispenseRequest")
    assert [f.json_name for f in request.field] == ["volumeMl", "rate"]
    locate = msg(files[FILE], "LocateResponse")
    assert [f.json_name for f in locate.field] == ["result0", "result1", "result2"]


def test_oneof_names_never_clash_with_field_names() -> None:
    class Odd:
        def f(self, a: int, _a: int, _b: int) -> None: ...

    module = ModuleType("odd")
    module.odd = Odd()
    deck = introspect_module(module)
    (file,) = build_deck_files(deck.spec, FieldLock())
    request = msg(file, "FRequest")
    # protoc's rule: `_` + name (unless it starts with `_`), then `X` prefixes until unique
    assert [o.name for o in request.oneof_decl] == ["X_a", "XX_a", "X_b"]
    schema = build_schema([file])  # the pool accepts it
    pool_msg = schema.pool.FindMessageTypeByName("ivorygrpc.deck.odd.v1.FRequest")
    assert pool_msg.fields_by_name["_a"].has_presence


# -- responses ---------------------------------------------------------------------------------


def test_response_shapes(files: Files) -> None:
    file = files[FILE]
    assert list(msg(file, "NothingResponse").field) == []
    assert [(f.name, f.type) for f in msg(file, "CountResponse").field] == [
        ("result", F.TYPE_INT64)]
    assert [(f.name, f.type) for f in msg(file, "LocateResponse").field] == [
        ("result_0", F.TYPE_DOUBLE), ("result_1", F.TYPE_DOUBLE), ("result_2", F.TYPE_STRING)]
    assert [f.name for f in msg(file, "PositionResponse").field] == ["x", "y"]
    assert [f.name for f in msg(file, "StatusResponse").field] == ["ready", "message"]
    result = fld(msg(file, "MaybePositionResponse"), "result")
    assert (result.type, result.type_name) == (F.TYPE_MESSAGE, f".{PKG}.Position")
    untyped = fld(msg(file, "UntypedResponse"), "result")
    assert untyped.type_name == ".google.protobuf.Value"


def test_records_live_in_each_instrument_package(files: Files) -> None:
    for name in ("ivorygrpc/deck/pump/v1/pump.proto", FILE):
        assert [f.name for f in msg(files[name], "Position").field] == ["x", "y"]


def test_shared_enum_is_declared_once(typing_files: Files) -> None:
    records = typing_files["ivorygrpc/deck/records/v1/records.proto"]
    assert [e.name for e in records.enum_type] == ["Mode"]


# -- custom options ----------------------------------------------------------------------------


def test_parameter_options_required_and_default(files: Files) -> None:
    request = msg(files[FILE], "DispenseRequest")
    volume = param_options(fld(request, "volume_ml"))
    assert volume.required and volume.default_json == ""
    rate = param_options(fld(request, "rate"))
    assert not rate.required
    assert json.loads(rate.default_json) == 1.0


@pytest.mark.parametrize(("file", "message", "field", "default"), [
    ("enums", "SpeedRequest", "speed", "fast"),
    ("optionals", "MaybeRequest", "b", None),
    ("ranges", "HeatRequest", "levels", [0]),
])
def test_default_json_is_json(typing_files: Files, file: str,
                              message: str, field: str, default: Any) -> None:
    proto = typing_files[f"ivorygrpc/deck/{file}/v1/{file}.proto"]
    assert json.loads(param_options(fld(msg(proto, message), field)).default_json) == default


def test_parameter_options_units_and_ranges(typing_files: Files) -> None:
    request = msg(typing_files["ivorygrpc/deck/ranges/v1/ranges.proto"], "DoseRequest")
    volume = param_options(fld(request, "volume"))
    assert (volume.unit, volume.minimum, volume.maximum) == ("mL", 0.0, 25.0)
    assert volume.HasField("minimum") and not volume.HasField("exclusive_minimum")
    count = param_options(fld(request, "count"))
    assert (count.minimum, count.maximum) == (1.0, 10.0)
    ratio = param_options(fld(request, "ratio"))
    assert not ratio.HasField("minimum") and not ratio.HasField("maximum")
    assert (ratio.exclusive_minimum, ratio.exclusive_maximum) == (0.0, 1.0)


def test_response_fields_have_no_parameter_options(files: Files) -> None:
    result = fld(msg(files[FILE], "DispenseResponse"), "result")
    assert not result.options.HasExtension(options_pb2.parameter)


@pytest.mark.parametrize(("rpc", "python_name", "kind", "is_async"), [
    ("Dispense", "dispense", options_pb2.OPERATION_KIND_METHOD, False),
    ("WaitIdle", "wait_idle", options_pb2.OPERATION_KIND_METHOD, True),
    ("GetRate", "rate", options_pb2.OPERATION_KIND_PROPERTY_GET, False),
    ("SetRate", "rate", options_pb2.OPERATION_KIND_PROPERTY_SET, False),
])
def test_operation_options(files: Files, rpc: str, python_name: str,
                           kind: int, is_async: bool) -> None:
    method = next(m for m in files[FILE].service[0].method if m.name == rpc)
    ext = method.options.Extensions[options_pb2.operation]
    assert (ext.python_name, ext.kind, ext.is_async) == (python_name, kind, is_async)


# -- comments ----------------------------------------------------------------------------------


def test_docstrings_become_leading_comments(files: Files) -> None:
    file = files[FILE]
    found = comments(file)
    assert found[(6, 0)] == "A syringe pump."
    assert found[method_path(file, "Dispense")] == (
        "Dispense a volume.\n\nReturns the volume dispensed.")
    assert found[method_path(file, "GetTemperature")] == "Block temperature in degC."
    request = message_path(file, "DispenseRequest")
    assert found[request] == "Request of `Dispense`."
    assert found[(*request, 2, 0)] == "`volume_ml`: `float`, required."
    assert found[(*request, 2, 1)] == "`rate`: `float`, default `1.0`."


def test_undocumented_methods_get_a_generated_comment(files: Files) -> None:
    file = files[FILE]
    found = comments(file)
    assert found[method_path(file, "Nothing")] == "Calls `pump_2.nothing`."
    assert "Not exposed: *args is not exposed, **kwargs is not exposed." in found[
        method_path(file, "Log")]
    blocks = files["ivorygrpc/deck/blocks/v1/blocks.proto"]
    assert comments(blocks)[(6, 0)] == "Block functions of the deck."


def test_field_comments_show_units_and_ranges(typing_files: Files) -> None:
    file = typing_files["ivorygrpc/deck/ranges/v1/ranges.proto"]
    request = message_path(file, "DoseRequest")
    found = comments(file)
    assert found[(*request, 2, 0)] == "`volume`: `float`, required, unit mL, range [0, 25]."
    assert found[(*request, 2, 2)] == "`ratio`: `float`, default `0.5`, range (0, 1)."


def test_enum_values_are_commented(typing_files: Files) -> None:
    file = typing_files["ivorygrpc/deck/enums/v1/enums.proto"]
    index = [e.name for e in file.enum_type].index("Mode")
    found = comments(file)
    assert found[(5, index)] == "Choices of `Mode`."
    assert found[(5, index, 2, 0)] == "Not set; rejected as an argument."


def test_every_comment_path_points_at_something(typing_files: Files) -> None:
    for file in typing_files.values():
        for path in comments(file):
            node: Any = file
            for tag, index in zip(path[::2], path[1::2], strict=True):
                container = {4: "message_type", 5: "enum_type", 6: "service", 2: "field"}
                if isinstance(node, d.EnumDescriptorProto):
                    container[2] = "value"
                if isinstance(node, d.ServiceDescriptorProto):
                    container[2] = "method"
                if isinstance(node, d.DescriptorProto):
                    container[4] = "enum_type"  # nested enums of a message (Literal)
                node = getattr(node, container[tag])[index]


# -- the schema pool ---------------------------------------------------------------------------


def test_files_load_into_the_schema(schema: Schema) -> None:
    assert f"{PKG}.Pump2Service" in schema.service_names()
    assert "ivorygrpc.deck.blocks.v1.BlocksService" in schema.service_names()
    assert schema.file_of_symbol(f"{PKG}.DispenseRequest") == FILE
    service = schema.pool.FindServiceByName(f"{PKG}.Pump2Service")
    method = service.methods_by_name["Dispense"]
    assert method.input_type.full_name == f"{PKG}.DispenseRequest"
    assert method.output_type.full_name == f"{PKG}.DispenseResponse"


def test_typing_deck_loads_into_the_schema(typing_files: Files) -> None:
    schema = build_schema(typing_files.values())
    for name in typing_files:
        assert name in schema.files


def test_message_classes_work(schema: Schema) -> None:
    request_cls = schema.message_class(f"{PKG}.DispenseRequest")
    assert schema.message_class(f"{PKG}.DispenseRequest") is request_cls
    request = request_cls(volume_ml=1.5)
    again = request_cls.FromString(request.SerializeToString())
    assert again.volume_ml == 1.5
    assert again.HasField("volume_ml") and not again.HasField("rate")
    zero = request_cls.FromString(request_cls(volume_ml=0.0).SerializeToString())
    assert zero.HasField("volume_ml")  # presence survives a zero value


def test_options_are_visible_through_the_pool(schema: Schema) -> None:
    request = schema.pool.FindMessageTypeByName(f"{PKG}.DispenseRequest")
    ext = request.fields_by_name["rate"].GetOptions().Extensions[options_pb2.parameter]
    assert json.loads(ext.default_json) == 1.0
    method = schema.pool.FindServiceByName(f"{PKG}.Pump2Service").methods_by_name["WaitIdle"]
    assert method.GetOptions().Extensions[options_pb2.operation].is_async


def test_descriptor_set_export_has_dependencies_first(schema: Schema) -> None:
    data = schema.file_descriptor_set([FILE])
    names = [f.name for f in d.FileDescriptorSet.FromString(data).file]
    assert names[-1] == FILE
    for dependency in ("google/protobuf/descriptor.proto", "ivorygrpc/v1/options.proto",
                       "google/protobuf/struct.proto"):
        assert names.index(dependency) < names.index(FILE)
    assert names.index("google/protobuf/descriptor.proto") < names.index(
        "ivorygrpc/v1/options.proto")
