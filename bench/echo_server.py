"""A bare grpc.aio echo server: one double in, one double out, no ivorygrpc code.

The message is `google.protobuf.DoubleValue` (field 1, a double), the same wire
shape as a typed deck rpc such as `Ping(x: float) -> float`, so no protoc step
is needed. Run it on its own: `python -m bench.echo_server --port 50999`.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import grpc
from google.protobuf import wrappers_pb2

SERVICE = "bench.Echo"
METHOD = f"/{SERVICE}/Echo"


async def _echo(request: wrappers_pb2.DoubleValue,
                context: grpc.aio.ServicerContext[Any, Any]) -> wrappers_pb2.DoubleValue:
    return wrappers_pb2.DoubleValue(value=request.value)


def handler() -> grpc.GenericRpcHandler:
    """The generic handler of the echo service."""
    echo = grpc.unary_unary_rpc_method_handler(
        _echo, request_deserializer=wrappers_pb2.DoubleValue.FromString,
        response_serializer=wrappers_pb2.DoubleValue.SerializeToString)
    return grpc.method_handlers_generic_handler(SERVICE, {"Echo": echo})


async def start(port: int = 0, host: str = "127.0.0.1") -> tuple[grpc.aio.Server, int]:
    """A started echo server and its port."""
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler(),))
    bound = server.add_insecure_port(f"{host}:{port}")
    await server.start()
    return server, bound


def request(value: float) -> wrappers_pb2.DoubleValue:
    """An echo request."""
    return wrappers_pb2.DoubleValue(value=value)


def client(channel: grpc.aio.Channel) -> grpc.aio.UnaryUnaryMultiCallable[Any, Any]:
    """The echo call on `channel`: `await call(DoubleValue(value=x))`."""
    return channel.unary_unary(METHOD,
                               request_serializer=wrappers_pb2.DoubleValue.SerializeToString,
                               response_deserializer=wrappers_pb2.DoubleValue.FromString)


async def _serve(port: int) -> None:
    server, bound = await start(port)
    print(f"echo serving on {bound}", flush=True)
    await server.wait_for_termination()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    try:
        asyncio.run(_serve(args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
