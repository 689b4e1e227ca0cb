"""Direct deck calls: the typed deck rpc `NoopService.Ping(x) -> x` and the generic
`ControlService.CallMethod` path, vs the bare grpc.aio echo (same message shape),
sequentially and with 8, 16 and 64 concurrent callers on one channel.

`typed`/`generic` callers all use one instrument (`noop`), so their calls queue for
it; `typed-8-instr` callers each use their own instrument (`lane_0` .. `lane_7`,
caller i uses lane i mod 8), so calls overlap. Both servers run in their own
subprocess; this process is the client. Every typed and generic call is recorded
durably in SQLite by the server; the echo records nothing.

    python -m bench.bench_direct [--count N] [--repeats R]
"""

from __future__ import annotations

import asyncio

import grpc
from google.protobuf import struct_pb2

from bench import common, echo_server
from ivorygrpc.v1 import control_service_pb2, control_service_pb2_grpc

SERVICE = common.NOOP_SERVICE
CONCURRENCY = (1, 8, 16, 64)
WARMUP = 50


async def _measure(calls: dict[str, common.Call | list[common.Call]],
                   count: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    for concurrency in CONCURRENCY:
        for name, call in calls.items():  # interleaved, so drift hits all alike
            if isinstance(call, list) and concurrency == 1:
                continue  # one caller uses one instrument: the same as typed
            load = await common.closed_loop(call, count, concurrency)
            figures[f"{name}/{concurrency}/cps"] = load.calls_per_s
            figures[f"{name}/{concurrency}/p50"] = load.p50_ms
            figures[f"{name}/{concurrency}/p99"] = load.p99_ms
    return figures


async def run(count: int, repeats: int) -> None:
    async with common.echo() as bare, common.ivorygrpc_server() as served:
        echo_channel = grpc.aio.insecure_channel(bare.target)
        echo_call = echo_server.client(echo_channel)
        echo_request = echo_server.request(1.5)
        ping, request_cls = await common.typed_rpc(served.channel, SERVICE, "Ping")
        ping_request = request_cls(x=1.5)
        lanes = await common.ping_calls(
            served.channel, [common.lane_service(i) for i in range(common.LANES)])
        control = control_service_pb2_grpc.ControlServiceStub(served.channel)
        generic_request = control_service_pb2.CallMethodRequest(
            instrument="noop", method="ping",
            arguments=struct_pb2.Struct(fields={"x": struct_pb2.Value(number_value=1.5)}))
        calls: dict[str, common.Call | list[common.Call]] = {
            "echo": lambda: echo_call(echo_request),
            "typed": lambda: ping(ping_request),
            "typed-8-instr": lanes,
            "generic": lambda: control.CallMethod(generic_request),
        }
        for call in calls.values():
            await common.closed_loop(call, WARMUP, 1)
        figures = await common.repeat(lambda: _measure(calls, count), repeats)
        await echo_channel.close()
    rows: list[list[object]] = []
    for concurrency in CONCURRENCY:
        base = figures[f"echo/{concurrency}/cps"]
        for name in calls:
            if f"{name}/{concurrency}/cps" not in figures:
                continue
            key = f"{name}/{concurrency}"
            rows.append([name, concurrency, figures[f"{key}/cps"], figures[f"{key}/p50"],
                         figures[f"{key}/p99"], common.ratio(figures[f"{key}/cps"], base)])
    common.print_table(
        f"Direct calls, {count} calls per cell, median of {repeats} ({common.machine()})",
        ["path", "in flight", "calls/s", "p50 ms", "p99 ms", "x echo calls/s"], rows)


def main() -> None:
    args = common.parse_args(__doc__ or "", count=2000)
    asyncio.run(run(args.count, args.repeats))


if __name__ == "__main__":
    main()
