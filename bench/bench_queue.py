"""Queue edits on a paused queue, sequential calls from one client: CreateRun of N runs,
N MoveRun (the last run before the first, then the first after the last, alternating)
and N CancelRun, in ops/s. The baseline is the sequential bare echo (calls/s)
measured in the same run.

    python -m bench.bench_queue [--count N] [--repeats R]
"""

from __future__ import annotations

import asyncio

import grpc

from bench import common, echo_server
from ivorygrpc.v1 import execute_service_pb2 as execute_pb
from ivorygrpc.v1 import execute_service_pb2_grpc as execute_grpc


async def _edits(channel: grpc.aio.Channel, count: int) -> dict[str, float]:
    stub = execute_grpc.ExecuteServiceStub(channel)
    t0 = common.now()
    ids = [(await stub.CreateRun(execute_pb.CreateRunRequest(workflow="single"))).run.id
           for _ in range(count)]
    t1 = common.now()
    for i in range(count):
        if i % 2 == 0:
            moved = ids.pop()
            await stub.MoveRun(execute_pb.MoveRunRequest(run_id=moved, before_run_id=ids[0]))
            ids.insert(0, moved)
        else:
            moved = ids.pop(0)
            await stub.MoveRun(execute_pb.MoveRunRequest(run_id=moved, after_run_id=ids[-1]))
            ids.append(moved)
    t2 = common.now()
    for run_id in ids:
        await stub.CancelRun(execute_pb.CancelRunRequest(run_id=run_id))
    t3 = common.now()
    return {"create": count / (t1 - t0), "move": count / (t2 - t1), "cancel": count / (t3 - t2)}


async def run(count: int, repeats: int) -> None:
    async with common.echo() as bare, common.ivorygrpc_server() as served:
        channel = served.channel
        await common.save_workflow(channel, "single", [common.noop_step()])
        await execute_grpc.ExecuteServiceStub(channel).PauseQueue(execute_pb.PauseQueueRequest())
        echo_channel = grpc.aio.insecure_channel(bare.target)
        echo_call = echo_server.client(echo_channel)
        request = echo_server.request(1.0)
        await _edits(channel, min(count, 10))  # warm-up

        async def measure() -> dict[str, float]:
            figures = await _edits(channel, count)
            load = await common.closed_loop(lambda: echo_call(request), max(count, 100), 1)
            figures["echo"] = load.calls_per_s
            return figures

        figures = await common.repeat(measure, repeats)
        await echo_channel.close()
    echo = figures["echo"]
    rows: list[list[object]] = [["bare echo (baseline)", echo, 1.0]]
    for label, key in (("CreateRun (paused queue)", "create"), ("MoveRun", "move"),
                       ("CancelRun", "cancel")):
        rows.append([label, figures[key], common.ratio(figures[key], echo)])
    common.print_table(f"Queue edits, N={count} runs, median of {repeats} ({common.machine()})",
                       ["operation", "ops/s", "x echo"], rows)


def main() -> None:
    args = common.parse_args(__doc__ or "", count=200)
    asyncio.run(run(args.count, args.repeats))


if __name__ == "__main__":
    main()
