"""Queue edits on a paused queue: CreateRun of N runs, N MoveRun and N CancelRun, in
ops/s, once from one sequential client and once with 16 edits in flight (one channel).

Moves alternate: the last run before the first, then the first after the last (with 16
in flight, caller i moves run i of a shuffled list before or after a random other run).
The baseline is the bare echo (calls/s) measured in the same run, sequential and with
16 in flight.

    python -m bench.bench_queue [--count N] [--repeats R]
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import grpc

from bench import common, echo_server
from ivorygrpc.v1 import execute_service_pb2 as execute_pb
from ivorygrpc.v1 import execute_service_pb2_grpc as execute_grpc

IN_FLIGHT = 16


async def _sequential(stub: Any, count: int) -> dict[str, float]:
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


async def _in_flight(stub: Any, count: int) -> dict[str, float]:
    ids: list[str] = []

    async def create() -> None:
        ids.append((await stub.CreateRun(execute_pb.CreateRunRequest(workflow="single"))).run.id)

    t0 = common.now()
    await common.closed_loop(create, count, IN_FLIGHT)
    t1 = common.now()
    rng = random.Random(7)
    order = rng.sample(ids, len(ids))
    moves = iter(order)

    async def move() -> None:
        run_id = next(moves)
        other = rng.choice(ids)
        while other == run_id:
            other = rng.choice(ids)
        if rng.random() < 0.5:
            await stub.MoveRun(execute_pb.MoveRunRequest(run_id=run_id, before_run_id=other))
        else:
            await stub.MoveRun(execute_pb.MoveRunRequest(run_id=run_id, after_run_id=other))

    await common.closed_loop(move, count, IN_FLIGHT)
    t2 = common.now()
    cancels = iter(order)

    async def cancel() -> None:
        await stub.CancelRun(execute_pb.CancelRunRequest(run_id=next(cancels)))

    await common.closed_loop(cancel, count, IN_FLIGHT)
    t3 = common.now()
    return {"create": count / (t1 - t0), "move": count / (t2 - t1), "cancel": count / (t3 - t2)}


async def run(count: int, repeats: int) -> None:
    async with common.echo() as bare, common.ivorygrpc_server() as served:
        channel = served.channel
        stub = execute_grpc.ExecuteServiceStub(channel)
        await common.save_workflow(channel, "single", [common.noop_step()])
        await stub.PauseQueue(execute_pb.PauseQueueRequest())
        echo_channel = grpc.aio.insecure_channel(bare.target)
        echo_call = echo_server.client(echo_channel)
        request = echo_server.request(1.0)
        await _sequential(stub, min(count, 10))  # warm-up

        async def measure() -> dict[str, float]:
            figures = {f"1/{k}": v for k, v in (await _sequential(stub, count)).items()}
            figures.update({f"{IN_FLIGHT}/{k}": v
                            for k, v in (await _in_flight(stub, count)).items()})
            for n in (1, IN_FLIGHT):
                load = await common.closed_loop(lambda: echo_call(request), max(count, 100), n)
                figures[f"{n}/echo"] = load.calls_per_s
            return figures

        figures = await common.repeat(measure, repeats)
        await echo_channel.close()
    rows: list[list[object]] = []
    for n in (1, IN_FLIGHT):
        echo = figures[f"{n}/echo"]
        rows.append(["bare echo (baseline)", n, echo, 1.0])
        for label, key in (("CreateRun (paused queue)", "create"), ("MoveRun", "move"),
                           ("CancelRun", "cancel")):
            rows.append([label, n, figures[f"{n}/{key}"], common.ratio(figures[f"{n}/{key}"],
                                                                       echo)])
    common.print_table(f"Queue edits, N={count} runs, median of {repeats} ({common.machine()})",
                       ["operation", "in flight", "ops/s", "x echo"], rows)


def main() -> None:
    args = common.parse_args(__doc__ or "", count=10_000)
    asyncio.run(run(args.count, args.repeats))


if __name__ == "__main__":
    main()
