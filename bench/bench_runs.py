"""Per-step overhead of runs, with durable records (SQLite), and the latency from
submission to the first step.

* `N steps`: a workflow of N no-op call steps, run once.
* `repeat N`: a workflow of one no-op call step, repeated N times.

Per-step time = (last step_finished - first step_started) / N, from the events'
times; the method does nothing, so it is all overhead. Submission -> first step =
the first step_started event's time minus the client's clock just before
CreateRun (same machine), and the time the client received that event.
The baseline is a sequential bare-echo round trip (p50) measured in the same run.

    python -m bench.bench_runs [--count N] [--repeats R]
"""

from __future__ import annotations

import asyncio
import itertools

import grpc

from bench import common
from ivorygrpc.v1 import execute_service_pb2 as execute_pb
from ivorygrpc.v1 import execute_service_pb2_grpc as execute_grpc
from ivorygrpc.v1 import run_pb2

_names = itertools.count()


async def run_once(channel: grpc.aio.Channel, workflow: str, count: int,
                   mode: run_pb2.RunMode | None) -> dict[str, float]:
    """Run `workflow` once and follow it: per-step ms, submission -> first step ms (event
    time and received), submission -> final event received in s."""
    stub = execute_grpc.ExecuteServiceStub(channel)

    async def submit() -> None:
        await stub.CreateRun(execute_pb.CreateRunRequest(
            workflow=workflow, display_name=f"bench-{next(_names)}", mode=mode))

    t0, received = await common.follow_run(channel, submit)
    final = received[-1].event.state_changed.state
    if final != run_pb2.RUN_STATE_SUCCEEDED:
        raise RuntimeError(f"the run ended in {run_pb2.RunState.Name(final)}")
    started = common.of_kind(received, "step_started")
    finished = common.of_kind(received, "step_finished")
    span = common.event_time(finished[-1].event) - common.event_time(started[0].event)
    return {"per_step": span / count * 1000,
            "first_step": (common.event_time(started[0].event) - t0) * 1000,
            "first_step_recv": (started[0].at - t0) * 1000,
            "done": received[-1].at - t0}


async def run(count: int, repeats: int) -> None:
    async with common.echo() as bare, common.ivorygrpc_server() as served:
        channel = served.channel
        await common.save_workflow(channel, "steps", [common.noop_step()] * count)
        await common.save_workflow(channel, "single", [common.noop_step()])
        await run_once(channel, "single", 1, None)  # warm-up

        async def measure() -> dict[str, float]:
            steps = await run_once(channel, "steps", count, None)
            repeated = await run_once(channel, "single", count, common.repeat_mode(count))
            rtt = await common.echo_rtt_ms(bare, 200)
            figures = {f"steps/{k}": v for k, v in steps.items()}
            figures.update({f"repeat/{k}": v for k, v in repeated.items()})
            figures["echo"] = rtt
            return figures

        figures = await common.repeat(measure, repeats)
    echo = figures["echo"]
    rows: list[list[object]] = [["bare echo round trip (baseline)", echo, 1.0]]
    for label, key in ((f"per step, {count} steps", "steps/per_step"),
                       (f"per step, repeat {count} of 1 step", "repeat/per_step"),
                       ("submission -> first step_started (event time)", "steps/first_step"),
                       ("submission -> first step_started (received)", "steps/first_step_recv")):
        rows.append([label, figures[key], common.ratio(figures[key], echo)])
    common.print_table(
        f"Runs with durable records, N={count}, median of {repeats} ({common.machine()})",
        ["figure", "ms", "x echo round trip"], rows)


def main() -> None:
    args = common.parse_args(__doc__ or "", count=1000)
    asyncio.run(run(args.count, args.repeats))


if __name__ == "__main__":
    main()
