"""Schema export: the FileDescriptorSet and `.proto` texts of the served API."""

from __future__ import annotations

from pathlib import Path

from ivorygrpc.deck.proto_text import to_proto_text
from ivorygrpc.schema import Schema
from ivorygrpc.v1 import options_pb2  # noqa: F401  (makes custom options printable)

BINPB_NAME = "ivorygrpc.binpb"


def exported_names(schema: Schema) -> list[str]:
    """The files a client needs: every `ivorygrpc/...` file (static and deck)."""
    return [name for name in schema.files if name.startswith("ivorygrpc/")]


def proto_texts(schema: Schema) -> list[tuple[str, str]]:
    """(path, .proto text) for every exported file."""
    return [(name, to_proto_text(schema.files[name])) for name in exported_names(schema)]


def descriptor_set(schema: Schema) -> bytes:
    """A FileDescriptorSet of the exported files with all their imports."""
    return schema.file_descriptor_set(exported_names(schema))


def write_export(schema: Schema, out: Path) -> list[Path]:
    """Write `ivorygrpc.binpb` and the `.proto` tree under `out`; returns the paths."""
    written = [out / BINPB_NAME]
    out.mkdir(parents=True, exist_ok=True)
    written[0].write_bytes(descriptor_set(schema))
    for name, text in proto_texts(schema):
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
