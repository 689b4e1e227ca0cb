"""Event delivery: latency from a step finishing (the step_finished event's time) to
1, 10 and 100 subscribers of StreamRunEvents receiving it, p50 and p99 over every
(subscriber, event) pair. Subscribers share one channel in this client process.

Two runs per size: `burst`, no-op steps back to back (about one step per ms, which
floods 100 Python subscribers in one client process), and `paced`, steps that each
sleep 10 ms (about 100 steps/s, closer to a real deck).

Every subscriber is live before the run: a PauseQueue/ResumeQueue pair emits a
queue_changed event that each must have received. The baseline is a sequential
bare-echo round trip (p50) measured in the same run.

    python -m bench.bench_events [--count N] [--repeats R]
"""

from __future__ import annotations

import asyncio
import time

import grpc

from bench import common
from ivorygrpc.v1 import execute_service_pb2 as execute_pb
from ivorygrpc.v1 import execute_service_pb2_grpc as execute_grpc

SUBSCRIBERS = (1, 10, 100)
WORKFLOWS = ("burst", "paced")
PACE_S = 0.01


async def _deliver(channel: grpc.aio.Channel, workflow: str, subscribers: int) -> dict[str, float]:
    stub = execute_grpc.ExecuteServiceStub(channel)
    after = await common.last_sequence(channel)
    latencies: list[float] = []
    ready = [asyncio.Event() for _ in range(subscribers)]
    streams = [stub.StreamRunEvents(execute_pb.StreamRunEventsRequest(after_sequence=after),
                                    timeout=300) for _ in range(subscribers)]

    async def subscriber(index: int) -> None:
        async for reply in streams[index]:
            event = reply.event
            kind = event.WhichOneof("kind")
            if kind == "queue_changed":
                ready[index].set()
            elif kind == "step_finished":
                latencies.append((time.time() - common.event_time(event)) * 1000)
            elif common.is_final(event):
                return

    tasks = [asyncio.create_task(subscriber(i)) for i in range(subscribers)]
    try:
        await stub.PauseQueue(execute_pb.PauseQueueRequest())
        await stub.ResumeQueue(execute_pb.ResumeQueueRequest())
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 60)
        await stub.CreateRun(execute_pb.CreateRunRequest(workflow=workflow))
        await asyncio.wait_for(asyncio.gather(*tasks), 300)
    finally:
        for stream in streams:
            stream.cancel()
    return {"p50": common.percentile(latencies, 50), "p99": common.percentile(latencies, 99)}


async def run(count: int, repeats: int) -> None:
    async with common.echo() as bare, common.ivorygrpc_server() as served:
        channel = served.channel
        await common.save_workflow(channel, "burst", [common.noop_step()] * count)
        await common.save_workflow(channel, "paced",
                                   [common.noop_step("wait", seconds=PACE_S)] * count)
        await _deliver(channel, "burst", 1)  # warm-up

        async def measure() -> dict[str, float]:
            figures: dict[str, float] = {}
            for workflow in WORKFLOWS:
                for n in SUBSCRIBERS:
                    for key, value in (await _deliver(channel, workflow, n)).items():
                        figures[f"{workflow}/{n}/{key}"] = value
            figures["echo"] = await common.echo_rtt_ms(bare, 200)
            return figures

        figures = await common.repeat(measure, repeats)
    echo = figures["echo"]
    rows: list[list[object]] = [["bare echo round trip p50 (baseline)", "-", echo, echo, 1.0, 1.0]]
    for workflow in WORKFLOWS:
        for n in SUBSCRIBERS:
            p50, p99 = figures[f"{workflow}/{n}/p50"], figures[f"{workflow}/{n}/p99"]
            rows.append([workflow, n, p50, p99, common.ratio(p50, echo),
                         common.ratio(p99, echo)])
    common.print_table(
        f"Event delivery, step_finished -> received, {count} steps per run, "
        f"median of {repeats} ({common.machine()})",
        ["run", "subscribers", "p50 ms", "p99 ms", "p50 x echo", "p99 x echo"], rows)


def main() -> None:
    args = common.parse_args(__doc__ or "", count=50)
    asyncio.run(run(args.count, args.repeats))


if __name__ == "__main__":
    main()
