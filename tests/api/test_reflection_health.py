"""Reflection (v1alpha and v1) and the health service."""

from __future__ import annotations

import asyncio

import grpc
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2

from tests.fixtures.server import Served


async def _reflect(served: Served, service: str,
                   request: reflection_pb2.ServerReflectionRequest
                   ) -> reflection_pb2.ServerReflectionResponse:
    call = served.channel.stream_stream(
        f"/{service}/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
    stream = call(iter([request]))
    responses = [r async for r in stream]
    assert len(responses) == 1
    return responses[0]


async def test_v1_and_v1alpha_list_the_same_services(served: Served) -> None:
    lists = []
    for service in ("grpc.reflection.v1alpha.ServerReflection",
                    "grpc.reflection.v1.ServerReflection"):
        reply = await _reflect(served, service,
                               reflection_pb2.ServerReflectionRequest(list_services=""))
        lists.append({s.name for s in reply.list_services_response.service})
    assert lists[0] == lists[1]
    assert "ivorygrpc.deck.balance.v1.BalanceService" in lists[0]
    assert "grpc.reflection.v1.ServerReflection" in lists[0]


async def test_file_containing_symbol_carries_comments(served: Served) -> None:
    reply = await _reflect(served, "grpc.reflection.v1.ServerReflection",
                           reflection_pb2.ServerReflectionRequest(
                               file_containing_symbol="ivorygrpc.deck.sdl.v1.SdlService"))
    files = [descriptor_pb2.FileDescriptorProto.FromString(b)
             for b in reply.file_descriptor_response.file_descriptor_proto]
    names = [f.name for f in files]
    assert "ivorygrpc/deck/sdl/v1/sdl.proto" in names
    assert "ivorygrpc/v1/options.proto" in names  # dependencies come along
    sdl = files[names.index("ivorygrpc/deck/sdl/v1/sdl.proto")]
    comments = [loc.leading_comments for loc in sdl.source_code_info.location]
    assert any("Always raises" in c for c in comments)


async def test_unknown_symbol_is_not_found(served: Served) -> None:
    reply = await _reflect(served, "grpc.reflection.v1alpha.ServerReflection",
                           reflection_pb2.ServerReflectionRequest(
                               file_containing_symbol="no.such.Service"))
    assert reply.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]


async def test_health_reports_serving(served: Served) -> None:
    stub = health_pb2_grpc.HealthStub(served.channel)
    for service in ("", "ivorygrpc.deck.pump.v1.PumpService", "ivorygrpc.v1.ControlService"):
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=service))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    await asyncio.sleep(0)
