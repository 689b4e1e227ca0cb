"""Read a server's whole schema through gRPC server reflection.

Reusable by anything that needs a remote server's descriptors (the deck
proxy, federation): `await read_schema(channel)` (grpc.aio) or
`read_schema_blocking(channel)` (sync grpc) returns a `RemoteSchema`: every
`FileDescriptorProto` the server describes, a `DescriptorPool` built from
them, message classes, and the leading comments (docstrings) by full name.
Reflection needs no token. The reader asks `grpc.reflection.v1` and falls
back to `v1alpha` (the same messages) when a server only offers that.

    schema = await read_schema(channel)
    for service in schema.deck_services():
        print(service.full_name, schema.comment(service.full_name))
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import descriptor, descriptor_pb2, descriptor_pool, message, message_factory
from grpc_reflection.v1alpha import reflection_pb2 as pb

V1 = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
V1ALPHA = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
DECK_PREFIX = "ivorygrpc.deck."
_SKIP_SERVICES = ("grpc.reflection.", "grpc.health.")

Metadata = Sequence[tuple[str, str]]


class ReflectionError(Exception):
    """The server's reflection answer is missing or inconsistent."""


@dataclass
class RemoteSchema:
    """The files a server describes, as a pool, with comments by full name."""

    files: dict[str, descriptor_pb2.FileDescriptorProto]
    service_names: list[str]
    pool: descriptor_pool.DescriptorPool = field(init=False)
    comments: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.pool = descriptor_pool.DescriptorPool()
        for file in _dependency_order(self.files):
            self.pool.Add(file)
        self.comments = {}
        for file in self.files.values():
            self.comments.update(_file_comments(file))

    def service(self, full_name: str) -> descriptor.ServiceDescriptor:
        """A service by full name; KeyError when the server has no such service."""
        return self.pool.FindServiceByName(full_name)

    def services(self) -> list[descriptor.ServiceDescriptor]:
        """Every application service (not reflection or health), in server order."""
        return [self.service(name) for name in self.service_names
                if not name.startswith(_SKIP_SERVICES)]

    def deck_services(self) -> list[descriptor.ServiceDescriptor]:
        """The services of the deck's instruments (`ivorygrpc.deck.<name>.v1.*Service`)."""
        return [s for s in self.services() if s.full_name.startswith(DECK_PREFIX)]

    def message_class(self, desc: descriptor.Descriptor | str) -> type[message.Message]:
        """The Python class of a message type of this schema."""
        if isinstance(desc, str):
            desc = self.pool.FindMessageTypeByName(desc)
        return message_factory.GetMessageClass(desc)

    def comment(self, full_name: str) -> str:
        """The leading comment of a service, rpc, message, field, enum or enum value.

        Keys: `pkg.Service`, `pkg.Service.Rpc`, `pkg.Message`, `pkg.Message.field`,
        `pkg.Enum`, `pkg.Enum.VALUE_NAME` (enum values keyed under their enum).
        """
        return self.comments.get(full_name, "")

    def file_descriptor_set(self) -> descriptor_pb2.FileDescriptorSet:
        """Every file, dependencies first (what `protoc --descriptor_set_in` reads)."""
        return descriptor_pb2.FileDescriptorSet(file=list(_dependency_order(self.files)))


async def read_schema(channel: grpc.aio.Channel, *, metadata: Metadata = (),
                      timeout: float | None = 30) -> RemoteSchema:
    """Read every service's files through reflection (grpc.aio channel)."""
    async def exchange(method: str, requests: list[Any]) -> list[Any]:
        call = channel.stream_stream(
            method, request_serializer=pb.ServerReflectionRequest.SerializeToString,
            response_deserializer=pb.ServerReflectionResponse.FromString)
        return [reply async for reply in call(iter(requests), metadata=metadata,
                                              timeout=timeout)]

    method = V1
    try:
        services = _service_names(await exchange(method, [_list_services()]))
    except grpc.aio.AioRpcError as exc:
        if exc.code() is not grpc.StatusCode.UNIMPLEMENTED:
            raise
        method = V1ALPHA
        services = _service_names(await exchange(method, [_list_services()]))
    files: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    requests = [_file_containing(name) for name in services]
    while requests:
        _collect(await exchange(method, requests), files)
        requests = [_file_by_name(name) for name in _missing(files)]
    return RemoteSchema(files, services)


def read_schema_blocking(channel: grpc.Channel, *, metadata: Metadata = (),
                         timeout: float | None = 30) -> RemoteSchema:
    """Read every service's files through reflection (sync grpc channel)."""
    def exchange(method: str, requests: list[Any]) -> list[Any]:
        call = channel.stream_stream(
            method, request_serializer=pb.ServerReflectionRequest.SerializeToString,
            response_deserializer=pb.ServerReflectionResponse.FromString)
        return list(call(iter(requests), metadata=tuple(metadata), timeout=timeout))

    method = V1
    try:
        services = _service_names(exchange(method, [_list_services()]))
    except grpc.RpcError as exc:
        if exc.code() is not grpc.StatusCode.UNIMPLEMENTED:
            raise
        method = V1ALPHA
        services = _service_names(exchange(method, [_list_services()]))
    files: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    requests = [_file_containing(name) for name in services]
    while requests:
        _collect(exchange(method, requests), files)
        requests = [_file_by_name(name) for name in _missing(files)]
    return RemoteSchema(files, services)


def _list_services() -> Any:
    return pb.ServerReflectionRequest(list_services="")


def _file_containing(symbol: str) -> Any:
    return pb.ServerReflectionRequest(file_containing_symbol=symbol)


def _file_by_name(name: str) -> Any:
    return pb.ServerReflectionRequest(file_by_filename=name)


def _check(reply: Any) -> None:
    if reply.HasField("error_response"):
        error = reply.error_response
        raise ReflectionError(f"reflection error {error.error_code}: {error.error_message}")


def _service_names(replies: Iterable[Any]) -> list[str]:
    names: list[str] = []
    for reply in replies:
        _check(reply)
        names.extend(s.name for s in reply.list_services_response.service)
    return names


def _collect(replies: Iterable[Any], files: dict[str, descriptor_pb2.FileDescriptorProto]) -> None:
    for reply in replies:
        _check(reply)
        for data in reply.file_descriptor_response.file_descriptor_proto:
            file = descriptor_pb2.FileDescriptorProto.FromString(data)
            files.setdefault(file.name, file)


def _missing(files: dict[str, descriptor_pb2.FileDescriptorProto]) -> list[str]:
    wanted = {dep for file in files.values() for dep in file.dependency}
    return sorted(wanted - set(files))


def _dependency_order(
        files: dict[str, descriptor_pb2.FileDescriptorProto],
) -> Iterator[descriptor_pb2.FileDescriptorProto]:
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> Iterator[descriptor_pb2.FileDescriptorProto]:
        if name in done:
            return
        if name in path:
            raise ReflectionError(f"import cycle through {name}")
        if name not in files:
            raise ReflectionError(f"the server did not describe {name}")
        for dep in files[name].dependency:
            yield from visit(dep, (*path, name))
        done.add(name)
        yield files[name]

    for name in sorted(files):
        yield from visit(name, ())


# FileDescriptorProto field numbers used in SourceCodeInfo paths.
_MESSAGE, _ENUM, _SERVICE = 4, 5, 6
_FIELD, _NESTED, _NESTED_ENUM, _METHOD, _ENUM_VALUE = 2, 3, 4, 2, 2


def _file_comments(file: descriptor_pb2.FileDescriptorProto) -> dict[str, str]:
    """Leading comments of a file keyed by full name (see `RemoteSchema.comment`)."""
    by_path = {tuple(loc.path): _clean(loc.leading_comments)
               for loc in file.source_code_info.location if loc.leading_comments}
    out: dict[str, str] = {}
    scope = file.package

    def named(path: tuple[int, ...], name: str) -> None:
        if path in by_path:
            out[name] = by_path[path]

    def enum(path: tuple[int, ...], spec: descriptor_pb2.EnumDescriptorProto, outer: str) -> None:
        full = f"{outer}.{spec.name}" if outer else spec.name
        named(path, full)
        for i, value in enumerate(spec.value):
            named((*path, _ENUM_VALUE, i), f"{full}.{value.name}")

    def msg(path: tuple[int, ...], spec: descriptor_pb2.DescriptorProto, outer: str) -> None:
        full = f"{outer}.{spec.name}" if outer else spec.name
        named(path, full)
        for i, f in enumerate(spec.field):
            named((*path, _FIELD, i), f"{full}.{f.name}")
        for i, nested in enumerate(spec.nested_type):
            msg((*path, _NESTED, i), nested, full)
        for i, nested_enum in enumerate(spec.enum_type):
            enum((*path, _NESTED_ENUM, i), nested_enum, full)

    for i, message_type in enumerate(file.message_type):
        msg((_MESSAGE, i), message_type, scope)
    for i, enum_type in enumerate(file.enum_type):
        enum((_ENUM, i), enum_type, scope)
    for i, service in enumerate(file.service):
        full = f"{scope}.{service.name}" if scope else service.name
        named((_SERVICE, i), full)
        for j, method in enumerate(service.method):
            named((_SERVICE, i, _METHOD, j), f"{full}.{method.name}")
    return out


def _clean(text: str) -> str:
    lines = [line[1:] if line.startswith(" ") else line for line in text.splitlines()]
    return "\n".join(lines).strip()
