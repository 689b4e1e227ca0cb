"""The whole served schema: static `ivorygrpc.v1` files plus the deck's files.

All files live in one private `DescriptorPool` per server (never the default
pool: a rebuilt deck would collide there) and are kept as
`FileDescriptorProto`s with their comments, which reflection and export serve.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources

from google.protobuf import descriptor_pb2, descriptor_pool, duration_pb2, message, message_factory
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

STATIC_PACKAGE = "ivorygrpc.v1"
REFLECTION_V1_FILE = "grpc/reflection/v1/reflection.proto"


def static_files() -> list[descriptor_pb2.FileDescriptorProto]:
    """The generated static schema with comments (`ivorygrpc/v1/descriptor_set.binpb`)."""
    data = resources.files("ivorygrpc.v1").joinpath("descriptor_set.binpb").read_bytes()
    return list(descriptor_pb2.FileDescriptorSet.FromString(data).file)


def _copy(descriptor: object) -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto()
    descriptor.CopyToProto(proto)  # type: ignore[attr-defined]
    return proto


def _grpc_files() -> list[descriptor_pb2.FileDescriptorProto]:
    v1alpha = _copy(reflection_pb2.DESCRIPTOR)
    v1 = descriptor_pb2.FileDescriptorProto()
    v1.CopyFrom(v1alpha)
    v1.name = REFLECTION_V1_FILE
    v1.package = "grpc.reflection.v1"
    for msg in v1.message_type:
        for field in msg.field:
            if field.type_name:
                field.type_name = field.type_name.replace(".v1alpha.", ".v1.")
    for method in v1.service[0].method:
        method.input_type = method.input_type.replace(".v1alpha.", ".v1.")
        method.output_type = method.output_type.replace(".v1alpha.", ".v1.")
    # error_details lets reflection clients (grpcurl) decode our error details.
    return [_copy(health_pb2.DESCRIPTOR), v1alpha, v1, _copy(duration_pb2.DESCRIPTOR),
            _copy(error_details_pb2.DESCRIPTOR)]


class Schema:
    """An ordered set of files (dependencies first) and their private pool."""

    def __init__(self, files: Iterable[descriptor_pb2.FileDescriptorProto]) -> None:
        self.files: dict[str, descriptor_pb2.FileDescriptorProto] = {}
        self.pool = descriptor_pool.DescriptorPool()
        for file in files:
            if file.name in self.files:
                continue
            self.pool.Add(file)
            self.files[file.name] = file
        self._classes: dict[str, type[message.Message]] = {}

    def message_class(self, full_name: str) -> type[message.Message]:
        """The message class of `full_name` in this schema's pool."""
        cls = self._classes.get(full_name)
        if cls is None:
            cls = message_factory.GetMessageClass(self.pool.FindMessageTypeByName(full_name))
            self._classes[full_name] = cls
        return cls

    def service_names(self) -> list[str]:
        """Full names of every service in the schema."""
        return [f"{f.package}.{s.name}" for f in self.files.values() for s in f.service]

    def file_of_symbol(self, symbol: str) -> str:
        """The file defining `symbol`; raises KeyError when unknown."""
        return str(self.pool.FindFileContainingSymbol(symbol).name)

    def with_dependencies(self, names: Iterable[str]) -> list[descriptor_pb2.FileDescriptorProto]:
        """The named files and everything they import, dependencies first."""
        wanted: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            if name not in wanted:
                wanted.add(name)
                stack.extend(self.files[name].dependency)
        return [f for n, f in self.files.items() if n in wanted]

    def file_descriptor_set(self, names: Iterable[str] | None = None) -> bytes:
        """A serialised FileDescriptorSet of `names` (default: all) with dependencies."""
        files = self.with_dependencies(self.files if names is None else names)
        return descriptor_pb2.FileDescriptorSet(file=files).SerializeToString()


def build_schema(deck_files: Iterable[descriptor_pb2.FileDescriptorProto]) -> Schema:
    """Static files, gRPC's own services and the deck files in one schema."""
    return Schema([*static_files(), *_grpc_files(), *deck_files])
