"""Schema export: the FileDescriptorSet and `.proto` texts of the served API.

`ivorygrpc protos export DECK.py --out DIR` writes `DIR/ivorygrpc.binpb`, one
`.proto` file per static service and per instrument (comments included), and
a `buf.yaml` so that `buf lint`, `buf generate` and `buf breaking` work in DIR
(docs/clients.md). Re-exporting into the same folder removes the `.proto`
files of instruments that are gone, so `buf breaking` sees the deletion.
"""

from __future__ import annotations

from pathlib import Path

from ivorygrpc.deck.proto_text import to_proto_text
from ivorygrpc.schema import Schema
from ivorygrpc.v1 import options_pb2  # noqa: F401  (makes custom options printable)

BINPB_NAME = "ivorygrpc.binpb"
BUF_YAML_NAME = "buf.yaml"
BUF_YAML = """\
# Written by `ivorygrpc protos export`; overwritten by the next export.
# The rules of the ivorygrpc repository: lint STANDARD + COMMENTS, breaking FILE.
version: v2
lint:
  use:
    - STANDARD
    - COMMENTS
breaking:
  use:
    - FILE
"""


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
    """Write `ivorygrpc.binpb`, `buf.yaml` and the `.proto` tree under `out`; returns the
    paths. Stale `.proto` files under `out/ivorygrpc` (an earlier export) are removed."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / BINPB_NAME, out / BUF_YAML_NAME]
    written[0].write_bytes(descriptor_set(schema))
    written[1].write_text(BUF_YAML, encoding="utf-8")
    for name, text in proto_texts(schema):
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    _remove_stale(out / "ivorygrpc", set(written))
    return written


def _remove_stale(root: Path, keep: set[Path]) -> None:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*.proto")):
        if path not in keep:
            path.unlink()
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
