"""Server reflection (v1alpha and v1) over the schema's own files.

grpcio-reflection serves `CopyToProto` copies, which drop comments; this
servicer serves the stored `FileDescriptorProto`s instead, so
`grpcurl describe` shows the docstrings. v1 is wire-identical to v1alpha and
is served by the same code under the v1 name.
"""

from __future__ import annotations

from typing import Any

import grpc
from grpc_reflection.v1alpha import reflection_pb2 as pb
from grpc_reflection.v1alpha._async import ReflectionServicer

from ivorygrpc.schema import Schema

V1_SERVICE = "grpc.reflection.v1.ServerReflection"
V1ALPHA_SERVICE = "grpc.reflection.v1alpha.ServerReflection"


class SchemaReflectionServicer(ReflectionServicer):  # type: ignore[misc]
    """Answers reflection requests from a `Schema`."""

    def __init__(self, schema: Schema) -> None:
        super().__init__(schema.service_names(), pool=schema.pool)
        self._schema = schema

    def _files(self, request: Any, names: list[str]) -> Any:
        files = self._schema.with_dependencies(names)
        return pb.ServerReflectionResponse(
            file_descriptor_response=pb.FileDescriptorResponse(
                file_descriptor_proto=[f.SerializeToString() for f in files]),
            original_request=request,
        )

    def _not_found(self, request: Any) -> Any:
        return pb.ServerReflectionResponse(
            error_response=pb.ErrorResponse(error_code=grpc.StatusCode.NOT_FOUND.value[0],
                                            error_message="not found"),
            original_request=request,
        )

    def _file_by_filename(self, request: Any, filename: str) -> Any:
        if filename not in self._schema.files:
            return self._not_found(request)
        return self._files(request, [filename])

    def _file_containing_symbol(self, request: Any, fully_qualified_name: str) -> Any:
        try:
            name = self._schema.file_of_symbol(fully_qualified_name)
        except KeyError:
            return self._not_found(request)
        return self._files(request, [name])

    def _file_containing_extension(self, request: Any, containing_type: str,
                                   extension_number: int) -> Any:
        try:
            message = self._schema.pool.FindMessageTypeByName(containing_type)
            extension = self._schema.pool.FindExtensionByNumber(message, extension_number)
            name = self._schema.file_of_symbol(extension.full_name)
        except KeyError:
            return self._not_found(request)
        return self._files(request, [name])


def add_reflection(server: grpc.aio.Server, schema: Schema) -> None:
    """Register reflection v1alpha and v1 on `server`."""
    servicer = SchemaReflectionServicer(schema)
    handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=pb.ServerReflectionRequest.FromString,
        response_serializer=pb.ServerReflectionResponse.SerializeToString,
    )
    for service in (V1ALPHA_SERVICE, V1_SERVICE):
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(service, {"ServerReflectionInfo": handler}),))
