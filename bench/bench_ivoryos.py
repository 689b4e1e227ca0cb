"""ivorygrpc vs IvoryOS 1.7.2 on equivalent decks, measured in the same run: direct
control, run overhead, submission -> first step, start-up and memory.

Needs the IvoryOS venv (`bench/setup_ivoryos`); not part of CI. Both servers serve
`bench/deck_noop.py` (and generated NxM decks for start-up) from a fresh data folder on
loopback; IvoryOS is driven over HTTP exactly as in
`/work/shared/reference/ivoryos-baseline.md` (log in, `POST
/ivoryos/instruments/deck.<name>` with `hidden_name`; workflows uploaded as the draft and
started with `POST /ivoryos/executions/config`). Each figure is the median over
`--repeats`, and the ratio column is ivorygrpc's figure over IvoryOS' (or the inverse
for times: always "how many times better").

    python -m bench.bench_ivoryos [--count N] [--repeats R] [--seconds S] [--only PART]

`--count` is the workflow size (N no-op steps; repeat N of one step), `--seconds` the
window of each direct-control cell.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench import common, ivoryos_process
from bench.bench_runs import run_once
from bench.bench_startup import DECKS, generate_deck

PARTS = ("direct", "runs", "startup")
LANE_NAMES = [f"lane_{i}" for i in range(common.LANES)]
IDLE_S = 0.5


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000, help="workflow size (default 1000)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats (default 3)")
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="window of each direct-control cell (default 3 s)")
    parser.add_argument("--only", choices=PARTS, action="append",
                        help="run only this part (repeatable)")
    return parser.parse_args()


# -- direct control --------------------------------------------------------------------------

CELLS = (("sequential, 1 caller", 1, False), ("8 callers, one instrument", 8, False),
         ("8 callers, 8 instruments", 8, True))


async def direct(seconds: float, repeats: int) -> None:
    async with common.ivorygrpc_server() as served:
        with ivoryos_process.ivoryos() as ivo:
            noop = await common.ping_calls(served.channel, [common.NOOP_SERVICE])
            lanes = await common.ping_calls(
                served.channel, [common.lane_service(i) for i in range(common.LANES)])
            await common.closed_loop(noop, 100, 1)  # warm-up, like the IvoryOS client

            async def measure() -> dict[str, float]:
                figures: dict[str, float] = {}
                for label, callers, spread in CELLS:
                    load = await common.closed_loop(lanes if spread else noop, 0, callers,
                                                    seconds=seconds)
                    figures.update({f"{label}/ours/cps": load.calls_per_s,
                                    f"{label}/ours/p50": load.p50_ms,
                                    f"{label}/ours/p99": load.p99_ms})
                    options = ivoryos_process.as_options(
                        instruments=",".join(LANE_NAMES if spread else ["noop"]),
                        clients=callers, seconds=seconds, method="ping", arguments={"x": 1.5})
                    theirs = await asyncio.to_thread(ivo.client, "direct", *options)
                    figures.update({f"{label}/ivo/{k}": v for k, v in theirs.items()})
                return figures

            figures = await common.repeat(measure, repeats)
    rows: list[list[object]] = []
    for label, _, _ in CELLS:
        ours, ok = figures[f"{label}/ours/cps"], figures[f"{label}/ivo/ok_per_s"]
        rows.append([label, ours, figures[f"{label}/ours/p50"], figures[f"{label}/ours/p99"],
                     ok, figures[f"{label}/ivo/replies_per_s"],
                     100 * figures[f"{label}/ivo/busy_fraction"],
                     figures[f"{label}/ivo/ok_p50_ms"], common.ratio(ours, ok)])
    common.print_table(
        f"Direct control vs IvoryOS, {seconds:g} s per cell, median of {repeats} "
        f"({common.machine()})",
        ["callers", "ivorygrpc calls/s", "p50 ms", "p99 ms", "IvoryOS ok calls/s",
         "IvoryOS replies/s", "IvoryOS busy %", "IvoryOS ok p50 ms", "x IvoryOS"], rows)


# -- runs --------------------------------------------------------------------------------------

SHAPES = ("steps", "repeat")


async def runs(count: int, repeats: int) -> None:
    async with common.ivorygrpc_server() as served:
        with ivoryos_process.ivoryos() as ivo:
            channel = served.channel
            await common.save_workflow(channel, "steps", [common.noop_step()] * count)
            await common.save_workflow(channel, "single", [common.noop_step()])
            await run_once(channel, "single", 1, None)  # warm-up

            async def measure() -> dict[str, float]:
                figures: dict[str, float] = {}
                for shape in SHAPES:
                    workflow, mode = ("steps", None) if shape == "steps" else (
                        "single", common.repeat_mode(count))
                    ours = await run_once(channel, workflow, count, mode)
                    figures.update({f"{shape}/ours/{k}": v for k, v in ours.items()})
                    options = ivoryos_process.as_options(
                        shape=shape, count=count, instruments="noop", method="nothing")
                    theirs = await asyncio.to_thread(ivo.client, "workflow", *options)
                    figures.update({f"{shape}/ivo/{k}": v for k, v in theirs.items()})
                return figures

            figures = await common.repeat(measure, repeats)
    rows: list[list[object]] = []
    for shape in SHAPES:
        label = f"{count} steps" if shape == "steps" else f"repeat {count} of 1 step"
        for what, ours_key, ivo_key, scale in (
                ("per step ms", "per_step", "per_step_ms", 1.0),
                ("submission -> first step ms", "first_step", "first_step_ms", 1.0),
                ("submission -> done s", "done", "submit_to_done_s", 1.0)):
            ours, theirs = figures[f"{shape}/ours/{ours_key}"], figures[f"{shape}/ivo/{ivo_key}"]
            rows.append([label, what, ours * scale, theirs, common.ratio(theirs, ours)])
    common.print_table(
        f"Runs vs IvoryOS, durable records on SQLite, median of {repeats} ({common.machine()})",
        ["workflow", "figure", "ivorygrpc", "IvoryOS", "x better"], rows)


# -- start-up ----------------------------------------------------------------------------------


async def _ours(deck: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="ivorygrpc-bench-") as folder:
        served = await common.spawn_ivorygrpc(deck, Path(folder) / "data")
        try:
            await asyncio.sleep(IDLE_S)
            return {"ready": served.proc.ready_s * 1000, "rss": served.proc.rss_mb()}
        finally:
            await served.close()


def _theirs(deck: Path) -> dict[str, float]:
    with ivoryos_process.ivoryos(deck) as ivo:
        ivo.client("login")  # idle after start and a log-in, like ours
        time.sleep(IDLE_S)
        return {"ready": ivo.ready_s * 1000, "rss": ivo.rss_mb()}


async def startup(repeats: int) -> None:
    with tempfile.TemporaryDirectory(prefix="ivorygrpc-decks-") as folder:
        decks = {"no-op deck (9 instruments)": common.NOOP_DECK}
        for instruments, methods in DECKS:
            decks[f"{instruments}x{methods}"] = generate_deck(Path(folder), instruments, methods)

        async def measure() -> dict[str, float]:
            figures: dict[str, float] = {}
            for label, path in decks.items():
                figures.update({f"{label}/ours/{k}": v for k, v in (await _ours(path)).items()})
                theirs = await asyncio.to_thread(_theirs, path)
                figures.update({f"{label}/ivo/{k}": v for k, v in theirs.items()})
            return figures

        figures = await common.repeat(measure, repeats)
    rows: list[list[object]] = []
    for label in decks:
        ours_ready, theirs_ready = figures[f"{label}/ours/ready"], figures[f"{label}/ivo/ready"]
        ours_rss, theirs_rss = figures[f"{label}/ours/rss"], figures[f"{label}/ivo/rss"]
        rows.append([label, ours_ready, theirs_ready, common.ratio(theirs_ready, ours_ready),
                     ours_rss, theirs_rss, common.ratio(theirs_rss, ours_rss)])
    common.print_table(
        f"Start-up (fresh data folder) and idle memory vs IvoryOS, median of {repeats} "
        f"({common.machine()})",
        ["deck", "ivorygrpc ms", "IvoryOS ms", "x faster", "ivorygrpc RSS MB",
         "IvoryOS RSS MB", "x smaller"], rows)


async def main_async(args: argparse.Namespace) -> None:
    parts = args.only or PARTS
    if "direct" in parts:
        await direct(args.seconds, args.repeats)
    if "runs" in parts:
        await runs(args.count, args.repeats)
    if "startup" in parts:
        await startup(args.repeats)


def main() -> None:
    args = _args()
    ivoryos_process.require()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()

