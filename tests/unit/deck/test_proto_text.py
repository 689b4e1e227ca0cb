"""to_proto_text: printed files compile back (protoc) to the same descriptors and lint clean."""

from __future__ import annotations

import importlib.resources
import json
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2 as d
from google.protobuf import descriptor_pool

from ivorygrpc.deck.proto_text import to_proto_text
from ivorygrpc.v1 import options_pb2

ROOT = Path(__file__).resolve().parents[3]
STATIC_SET = ROOT / "ivorygrpc" / "v1" / "descriptor_set.binpb"
BUF = ROOT / "tools" / "node_modules" / "@bufbuild" / "buf-linux-x64" / "bin" / "buf"
WKT = str(importlib.resources.files("grpc_tools") / "_proto")
PUMP = "ivorygrpc/deck/pump/v1/pump.proto"
F = d.FieldDescriptorProto


def static_files() -> dict[str, d.FileDescriptorProto]:
    fds = d.FileDescriptorSet.FromString(STATIC_SET.read_bytes())
    return {f.name: f for f in fds.file}


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def compile_back(root: Path, names: list[str]) -> dict[str, d.FileDescriptorProto]:
    out = root / "out.binpb"
    proc = subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{root}", f"-I{WKT}",
         "--include_source_info", f"--descriptor_set_out={out}", *names],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return {f.name: f for f in d.FileDescriptorSet.FromString(out.read_bytes()).file}


def semantic(file: d.FileDescriptorProto) -> d.FileDescriptorProto:
    """A copy without source info and json_name (protoc fills json_name in)."""
    copy = d.FileDescriptorProto()
    copy.CopyFrom(file)
    copy.ClearField("source_code_info")

    def clear(fields: list[F]) -> None:
        for field in fields:
            field.ClearField("json_name")

    def walk(msgs: list[d.DescriptorProto]) -> None:
        for m in msgs:
            clear([*m.field, *m.extension])
            walk(list(m.nested_type))

    clear(list(copy.extension))
    walk(list(copy.message_type))
    return copy


def comments(file: d.FileDescriptorProto) -> dict[tuple[int, ...], tuple[str, str, list[str]]]:
    return {
        tuple(loc.path): (loc.leading_comments, loc.trailing_comments,
                          list(loc.leading_detached_comments))
        for loc in file.source_code_info.location
        if loc.leading_comments or loc.trailing_comments or loc.leading_detached_comments
    }


def assert_round_trip(tmp_path: Path, originals: dict[str, d.FileDescriptorProto],
                      extra: dict[str, str] | None = None) -> dict[str, str]:
    texts = {name: to_proto_text(f) for name, f in originals.items()}
    write_tree(tmp_path, {**(extra or {}), **texts})
    back = compile_back(tmp_path, sorted(texts))
    for name, original in originals.items():
        assert semantic(back[name]) == semantic(original), f"{name}:\n{texts[name]}"
        assert comments(back[name]) == comments(original), name
    return texts


# -- 1. the static schema ---------------------------------------------------------


def test_static_schema_round_trips_with_comments(tmp_path: Path) -> None:
    files = static_files()
    ours = {name: f for name, f in files.items() if name.startswith("ivorygrpc/v1/")}
    assert len(ours) >= 4
    texts = assert_round_trip(tmp_path, ours)
    # Not vacuous: the schema has comments, and the printed text carries them.
    assert sum(len(comments(f)) for f in ours.values()) > 50
    assert "// Where a direct-control call stands.\nenum CallState {" in (
        texts["ivorygrpc/v1/call_record.proto"])
    assert "extend google.protobuf.FieldOptions {\n  // Parameter facts" in (
        texts["ivorygrpc/v1/options.proto"])
    assert "  optional double minimum = 4;\n" in texts["ivorygrpc/v1/options.proto"]


def test_well_known_proto2_files_round_trip(tmp_path: Path) -> None:
    """descriptor.proto is proto2 with defaults, extension ranges, reserved and options."""
    files = static_files()
    wkt = {n: f for n, f in files.items() if n.startswith("google/protobuf/")}
    assert "google/protobuf/descriptor.proto" in wkt
    texts = assert_round_trip(tmp_path, wkt)
    text = texts["google/protobuf/descriptor.proto"]
    assert '\n\nsyntax = "proto2";\n' in text
    assert "[default = SPEED]" in text
    assert "option optimize_for = SPEED;" in text


ZOO_DEP = """syntax = "proto2";
package zoo.dep;
message Shared { optional int32 n = 1; }
"""

ZOO = """// Header, detached from everything.

syntax = "proto2";

// The package.
package zoo.v1;

import public "zoo/dep.proto";
import "google/protobuf/descriptor.proto";

option java_package = "org.zoo";
option optimize_for = CODE_SIZE;

extend google.protobuf.MessageOptions {
  repeated int32 tags = 50001;
  optional string note = 50002;
}
extend google.protobuf.FieldOptions { optional Limits limits = 50003; }
extend google.protobuf.EnumValueOptions { optional bool hidden = 50004; }
extend google.protobuf.ServiceOptions { optional string owner = 50005; }
extend google.protobuf.OneofOptions { optional int32 weight = 50006; }

message Limits {
  optional double low = 1;
  optional double high = 2;
  repeated string labels = 3;
}

// A message.
message Animal { // trailing after the brace
  // first tag
  option (tags) = 1;
  // second tag
  option (tags) = 2;
  option (note) = "say \\"hi\\"\\n";
  option deprecated = true;

  reserved 10, 12 to 15, 100 to 199;
  reserved "old", "older";

  required string name = 1 [json_name = "animalName"];
  optional bytes blob = 2 [default = "\\000\\377x"];
  optional string greeting = 3 [default = "h\\303\\251llo"];
  optional Kind kind = 4 [default = KIND_CAT];
  repeated int32 counts = 5 [packed = true];
  optional double weight = 6 [
    default = -inf,
    (limits) = { low: 0 high: 1.5 labels: "a" labels: "b" }
  ];
  optional float ratio = 7 [default = 0.1];
  map<string, Animal> friends = 8;
  map<int64, Kind> kinds = 9;
  optional .zoo.dep.Shared shared = 11;
  optional zoo.dep.Shared shared2 = 16;

  oneof habitat {
    option (zoo.v1.weight) = 3;  // plain `weight` is the field below
    string land = 20;
    // Sea.
    int32 sea = 21;
  }

  // Kinds.
  enum Kind {
    option allow_alias = true;
    reserved 7, 9 to 11;
    reserved "KIND_DOG";
    KIND_UNSPECIFIED = 0;
    KIND_CAT = 1 [(hidden) = true, deprecated = true];
    KIND_FELINE = 1;
  }

  message Inner {
    optional Animal parent = 1;
    optional Inner self = 2;
    extend Animal { optional int32 inner_ext = 1001; }
  }

  extensions 1000 to 1999;
  extensions 5000, 6000 to max;
}

service Zoo {
  option (owner) = "keeper";
  option deprecated = true;
  rpc Feed(stream Animal) returns (stream Animal);
  rpc Count(Animal) returns (Animal) {
    option idempotency_level = NO_SIDE_EFFECTS;
  }
}
"""


def test_protoc_feature_zoo_round_trips(tmp_path: Path) -> None:
    """Source -> protoc -> printed text -> protoc gives the same descriptors and comments."""
    src = tmp_path / "src"
    write_tree(src, {"zoo/v1/zoo.proto": ZOO, "zoo/dep.proto": ZOO_DEP})
    compiled = compile_back(src, ["zoo/dep.proto", "zoo/v1/zoo.proto"])
    # Custom options print only when Python knows their extensions (see the module doc):
    # register the zoo in the default pool, then parse again so they leave unknown fields.
    pool = descriptor_pool.Default()
    for name in ["zoo/dep.proto", "zoo/v1/zoo.proto"]:
        try:
            pool.FindFileByName(name)
        except KeyError:
            pool.Add(compiled[name])
    original = d.FileDescriptorProto.FromString(compiled["zoo/v1/zoo.proto"].SerializeToString())
    assert original.message_type[1].options.Extensions[pool.FindExtensionByName("zoo.v1.tags")]
    assert len(comments(original)) >= 8
    texts = assert_round_trip(tmp_path / "out", {original.name: original},
                              {"zoo/dep.proto": ZOO_DEP})
    text = texts[original.name]
    assert 'import public "zoo/dep.proto";' in text
    assert "  option (tags) = 1;\n  // second tag\n  option (tags) = 2;" in text
    assert 'string name = 1 [json_name = "animalName"];' in text
    assert "rpc Feed(stream Animal) returns (stream Animal);" in text
    assert "map<string, Animal> friends = 8;" in text
    assert "reserved 10, 12 to 15, 100 to 199;" in text
    assert "extensions 5000, 6000 to max;" in text
    assert "option (zoo.v1.weight) = 3;" in text


# -- 2. a hand-built deck-like file ---------------------------------------------------


def _field(msg: d.DescriptorProto, name: str, number: int, type_: int, *,
           type_name: str = "", label: int = F.LABEL_OPTIONAL) -> F:
    field = msg.field.add(name=name, number=number, type=type_, label=label)
    if type_name:
        field.type_name = type_name
    return field


def _optional(msg: d.DescriptorProto, field: F) -> None:
    field.proto3_optional = True
    field.oneof_index = len(msg.oneof_decl)
    msg.oneof_decl.add(name="_" + field.name)


def _comment(info: d.SourceCodeInfo, path: list[int], leading: str = "", trailing: str = "",
             detached: tuple[str, ...] = ()) -> None:
    loc = info.location.add(path=path, span=[0, 0, 0])
    if leading:
        loc.leading_comments = leading
    if trailing:
        loc.trailing_comments = trailing
    loc.leading_detached_comments.extend(detached)


def pump_file() -> d.FileDescriptorProto:
    f = d.FileDescriptorProto(name=PUMP, package="ivorygrpc.deck.pump.v1", syntax="proto3")
    f.dependency.extend(["google/protobuf/struct.proto", "ivorygrpc/v1/options.proto"])
    f.options.go_package = "example.com/pump/v1;pumpv1"
    f.options.java_multiple_files = True

    req = f.message_type.add(name="DispenseRequest")
    volume = _field(req, "volume_ml", 1, F.TYPE_DOUBLE)
    param = volume.options.Extensions[options_pb2.parameter]
    param.required = True
    param.unit = "mL"
    param.minimum = 0.0
    speed = _field(req, "speed", 2, F.TYPE_ENUM,
                   type_name=".ivorygrpc.deck.pump.v1.DispenseRequest.Speed")
    speed.options.deprecated = True
    _field(req, "well", 3, F.TYPE_STRING).oneof_index = 0
    _field(req, "position", 4, F.TYPE_MESSAGE,
           type_name=".ivorygrpc.deck.pump.v1.DispenseRequest.Position").oneof_index = 0
    req.oneof_decl.add(name="target")
    _optional(req, volume)
    _field(req, "tags", 5, F.TYPE_STRING, label=F.LABEL_REPEATED)
    _field(req, "limits", 6, F.TYPE_MESSAGE, label=F.LABEL_REPEATED,
           type_name=".ivorygrpc.deck.pump.v1.DispenseRequest.LimitsEntry")
    _field(req, "note", 7, F.TYPE_MESSAGE, type_name=".google.protobuf.Value")
    _optional(req, _field(req, "label", 8, F.TYPE_STRING))
    custom = _field(req, "lot_id", 9, F.TYPE_STRING)
    custom.json_name = "lot"
    entry = req.nested_type.add(name="LimitsEntry")
    entry.options.map_entry = True
    _field(entry, "key", 1, F.TYPE_STRING)
    _field(entry, "value", 2, F.TYPE_DOUBLE)
    pos = req.nested_type.add(name="Position")
    _field(pos, "row", 1, F.TYPE_INT32)
    _field(pos, "column", 2, F.TYPE_INT32)
    speed_enum = req.enum_type.add(name="Speed")
    for number, name in enumerate(["SPEED_UNSPECIFIED", "SPEED_SLOW", "SPEED_FAST"]):
        speed_enum.value.add(name=name, number=number)
    req.reserved_range.add(start=20, end=30)
    req.reserved_name.append("old_volume")

    f.message_type.add(name="DispenseResponse").field.add(
        name="dispensed_ml", number=1, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
    f.message_type.add(name="WatchRequest")
    watch = f.message_type.add(name="WatchResponse")
    _field(watch, "state", 1, F.TYPE_ENUM, type_name=".ivorygrpc.deck.pump.v1.PumpState")

    state = f.enum_type.add(name="PumpState")
    for number, name in enumerate(["PUMP_STATE_UNSPECIFIED", "PUMP_STATE_IDLE"]):
        state.value.add(name=name, number=number)

    service = f.service.add(name="PumpService")
    dispense = service.method.add(name="Dispense",
                                  input_type=".ivorygrpc.deck.pump.v1.DispenseRequest",
                                  output_type=".ivorygrpc.deck.pump.v1.DispenseResponse")
    op = dispense.options.Extensions[options_pb2.operation]
    op.python_name = "dispense"
    op.kind = options_pb2.OPERATION_KIND_METHOD
    service.method.add(name="Watch", input_type=".ivorygrpc.deck.pump.v1.WatchRequest",
                       output_type=".ivorygrpc.deck.pump.v1.WatchResponse", server_streaming=True)

    info = f.source_code_info
    _comment(info, [12], detached=(" Generated for the pump instrument.\n",))
    _comment(info, [6, 0], " The pump.\n\n A second paragraph.\n")
    _comment(info, [6, 0, 2, 0], " Dispenses a volume.\n", trailing=" Blocks until done.\n")
    _comment(info, [6, 0, 2, 1], " Streams state changes.\n")
    _comment(info, [4, 0], " Request of `Dispense`.\n", trailing=" after brace\n")
    _comment(info, [4, 0, 2, 0], " The volume.\n", trailing=" a trailing\n two-line comment\n")
    _comment(info, [4, 0, 2, 1], " How fast.\n", detached=(" A detached note.\n",))
    _comment(info, [4, 0, 8, 0], " Where to dispense.\n")
    _comment(info, [4, 0, 2, 2], " A well name.\n")
    _comment(info, [4, 0, 3, 1], " A grid position.\n")
    _comment(info, [4, 0, 4, 0], " Pump speed.\n")
    _comment(info, [4, 0, 4, 0, 2, 0], " Not set.\n")
    _comment(info, [5, 0], " Where the pump stands.\n")
    _comment(info, [5, 0, 2, 1], trailing=" Nothing running.\n")
    return f


def _pump_tree(tmp_path: Path) -> tuple[str, dict[str, str]]:
    options_text = to_proto_text(static_files()["ivorygrpc/v1/options.proto"])
    extra = {"ivorygrpc/v1/options.proto": options_text}
    texts = assert_round_trip(tmp_path, {PUMP: pump_file()}, extra)
    return texts[PUMP], extra


def test_hand_built_file_round_trips_with_options(tmp_path: Path) -> None:
    original = pump_file()
    _pump_tree(tmp_path)
    back = compile_back(tmp_path, [PUMP])[PUMP]
    req, back_req = original.message_type[0], back.message_type[0]
    for ours, theirs in zip(req.field, back_req.field, strict=True):
        assert theirs.options == ours.options, ours.name
    got = back_req.field[0].options.Extensions[options_pb2.parameter]
    assert (got.required, got.unit, got.HasField("minimum")) == (True, "mL", True)
    method = back.service[0].method[0].options.Extensions[options_pb2.operation]
    assert method.python_name == "dispense"
    assert method.kind == options_pb2.OPERATION_KIND_METHOD
    assert back.options == original.options
    assert [o.name for o in back_req.oneof_decl] == ["target", "_volume_ml", "_label"]


def test_hand_built_file_reads_well(tmp_path: Path) -> None:
    text, _ = _pump_tree(tmp_path)
    assert "optional double volume_ml = 1 [(ivorygrpc.v1.parameter) = {\n" in text
    assert "    unit: \"mL\"\n" in text
    assert "rpc Watch(WatchRequest) returns (stream WatchResponse);" in text
    assert "  rpc Dispense(DispenseRequest) returns (DispenseResponse) {" in text
    assert "option (ivorygrpc.v1.operation) = {" in text
    assert "map<string, double> limits = 6;" in text
    assert "LimitsEntry" not in text
    assert "_volume_ml" not in text and "_label" not in text
    assert "  oneof target {\n    // A well name.\n    string well = 3;\n" in text
    assert "google.protobuf.Value note = 7;" in text
    assert "Speed speed = 2 [deprecated = true];" in text
    assert 'string lot_id = 9 [json_name = "lot"];' in text
    assert "repeated string tags = 5;" in text
    assert 'reserved 20 to 29;\n  reserved "old_volume";' in text
    assert 'option go_package = "example.com/pump/v1;pumpv1";' in text
    assert "PUMP_STATE_IDLE = 1; // Nothing running.\n" in text
    assert "// Generated for the pump instrument.\n\nsyntax" in text
    assert ".ivorygrpc" not in text  # every name shortened or undotted
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert to_proto_text(pump_file()) == text  # deterministic


@pytest.mark.tools
@pytest.mark.skipif(not BUF.exists(), reason="buf binary not installed")
def test_hand_built_file_passes_buf_lint(tmp_path: Path) -> None:
    _pump_tree(tmp_path)
    (tmp_path / "out.binpb").unlink()
    config = json.dumps({"version": "v2", "lint": {"use": ["STANDARD"]}})
    proc = subprocess.run([str(BUF), "lint", ".", "--config", config], cwd=tmp_path,
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- edge cases ------------------------------------------------------------------------


def test_names_that_would_resolve_elsewhere_stay_qualified(tmp_path: Path) -> None:
    f = d.FileDescriptorProto(name="a/google/v1/x.proto", package="a.google.v1", syntax="proto3")
    f.dependency.append("google/protobuf/struct.proto")
    msg = f.message_type.add(name="M")
    _field(msg, "value", 1, F.TYPE_MESSAGE, type_name=".google.protobuf.Value")
    _field(msg, "n", 2, F.TYPE_MESSAGE, type_name=".a.google.v1.M.N")
    inner = msg.nested_type.add(name="N")
    inner.nested_type.add(name="M")
    _field(inner, "back", 1, F.TYPE_MESSAGE, type_name=".a.google.v1.M")
    text = to_proto_text(f)
    assert ".google.protobuf.Value value = 1;" in text  # `google` would hit a.google
    assert "  N n = 2;" in text
    assert "    a.google.v1.M back = 1;" in text  # plain M would be N.M from inside N
    assert_round_trip(tmp_path, {f.name: f})  # and protoc resolves them as intended


def test_unsupported_syntax_raises() -> None:
    with pytest.raises(ValueError, match="editions"):
        to_proto_text(d.FileDescriptorProto(name="x.proto", syntax="editions"))
