"""What each part of a typed direct call costs, and so how far the direct-call targets
can go: the shipped server against the same server with parts switched off
(`bench/variant_server.py`), and the bare echo, all measured in this run.

* `shipped`: the product (durable call records, the method in its instrument's thread);
* `no-records`: call records built but not written (no commits);
* `on-loop`: the method called on the event loop (no worker thread);
* `neither`: both switched off; what is left is gRPC, the auth check and the
  request/answer conversion;
* `logged-in no-op rpc`: `ExecuteService.GetExecutionStatus` on the shipped server,
  the floor of any rpc that needs a log-in (queue edits, for example).

Every server calls `NoopService.Ping(x) -> x` on one instrument, sequentially and
with 16 in flight; "server CPU" is the server process's CPU time (all threads) per
call, from /proc. The variants are for measurement only: they drop guarantees the
product keeps.

    python -m bench.bench_ceiling [--count N] [--repeats R]
"""

from __future__ import annotations

import asyncio
import contextlib
import functools

import grpc

from bench import common, echo_server
from bench.variant_server import VARIANTS
from ivorygrpc.v1 import execute_service_pb2 as execute_pb
from ivorygrpc.v1 import execute_service_pb2_grpc as execute_grpc

CONCURRENCY = (1, 16)
WARMUP = 50


async def _cell(call: common.Call, pid: int, count: int, concurrency: int,
                figures: dict[str, float], key: str) -> None:
    before = common.cpu_s(pid)
    load = await common.closed_loop(call, count, concurrency)
    figures[f"{key}/cps"] = load.calls_per_s
    figures[f"{key}/cpu"] = (common.cpu_s(pid) - before) * 1000 / count


async def run(count: int, repeats: int) -> None:
    async with contextlib.AsyncExitStack() as stack:
        bare = await stack.enter_async_context(common.echo())
        echo_channel = await stack.enter_async_context(grpc.aio.insecure_channel(bare.target))
        echo_call, echo_request = echo_server.client(echo_channel), echo_server.request(1.5)
        servers: dict[str, tuple[common.Call, int]] = {
            "echo": (lambda: echo_call(echo_request), bare.process.pid)}
        for variant in VARIANTS:
            served = await stack.enter_async_context(common.ivorygrpc_server(variant=variant))
            ping, request_cls = await common.typed_rpc(served.channel, common.NOOP_SERVICE,
                                                       "Ping")
            servers[variant] = (functools.partial(ping, request_cls(x=1.5)),
                                served.proc.process.pid)
            if variant == "shipped":  # the cost of any logged-in rpc that does no work
                status = execute_grpc.ExecuteServiceStub(served.channel).GetExecutionStatus
                servers["logged-in no-op rpc"] = (
                    functools.partial(status, execute_pb.GetExecutionStatusRequest()),
                    served.proc.process.pid)
        for call, _ in servers.values():
            await common.closed_loop(call, WARMUP, 1)

        async def measure() -> dict[str, float]:
            figures: dict[str, float] = {}
            for concurrency in CONCURRENCY:
                for name, (call, pid) in servers.items():  # interleaved: drift hits all
                    await _cell(call, pid, count, concurrency, figures,
                                f"{name}/{concurrency}")
            return figures

        figures = await common.repeat(measure, repeats)
    rows: list[list[object]] = []
    for concurrency in CONCURRENCY:
        echo_cps, echo_cpu = figures[f"echo/{concurrency}/cps"], figures[f"echo/{concurrency}/cpu"]
        for name in servers:
            cps, cpu = figures[f"{name}/{concurrency}/cps"], figures[f"{name}/{concurrency}/cpu"]
            rows.append([name if name != "echo" else "bare echo (baseline)", concurrency, cps,
                         common.ratio(cps, echo_cps), cpu, common.ratio(cpu, echo_cpu)])
    common.print_table(
        f"Direct-call ceiling, {count} calls per cell, median of {repeats} ({common.machine()})",
        ["server", "in flight", "calls/s", "x echo calls/s", "server CPU ms/call",
         "x echo CPU"], rows)


def main() -> None:
    args = common.parse_args(__doc__ or "", count=2000)
    asyncio.run(run(args.count, args.repeats))


if __name__ == "__main__":
    main()
