"""Start-up: time from spawning `python -m ivorygrpc serve deck --no-ui` (fresh SQLite
data dir) to its first answer, and its idle RSS memory after log-in, for the no-op
deck and generated decks of 5x20 and 50x20 instruments x methods (3 typed parameters
each), plus a restart of the no-op deck on the database its first start made. The
baseline is the bare grpc.aio echo server process (Python + grpc + protobuf imported,
one service).

`--count` is unused (kept for a uniform command line); `--repeats` fresh starts per deck.

    python -m bench.bench_startup [--repeats R]
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from bench import common

DECKS = ((5, 20), (50, 20))
IDLE_S = 0.5


def generate_deck(folder: Path, instruments: int, methods: int) -> Path:
    """A deck file of `instruments` instruments with `methods` typed methods each."""
    lines = ['"""A generated benchmark deck."""', "", "from __future__ import annotations", ""]
    for i in range(instruments):
        lines += ["", f"class Instrument{i}:", f'    """Generated instrument {i}."""', ""]
        for m in range(methods):
            lines += [f"    def method{m}(self, x: float, n: int = 1, label: str = '') -> float:",
                      f'        """Generated method {m}."""',
                      "        return x * n", ""]
        lines += [f"instrument{i} = Instrument{i}()", ""]
    path = folder / f"deck_{instruments}x{methods}.py"
    path.write_text("\n".join(lines))
    return path


async def _start(deck: Path, restart: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="ivorygrpc-bench-") as folder:
        data = Path(folder) / "data"
        if restart:  # a first start makes the database; the second one is measured
            await (await common.spawn_ivorygrpc(deck, data)).close()
        served = await common.spawn_ivorygrpc(deck, data)
        try:
            await asyncio.sleep(IDLE_S)
            return {"ready": served.proc.ready_s * 1000, "rss": served.proc.rss_mb()}
        finally:
            await served.close()


async def _echo() -> dict[str, float]:
    async with common.echo() as proc:
        await asyncio.sleep(IDLE_S)
        return {"ready": proc.ready_s * 1000, "rss": proc.rss_mb()}


async def run(repeats: int) -> None:
    with tempfile.TemporaryDirectory(prefix="ivorygrpc-decks-") as folder:
        decks = {"no-op deck": (common.NOOP_DECK, False),
                 "no-op deck, restart": (common.NOOP_DECK, True)}
        for instruments, methods in DECKS:
            decks[f"{instruments}x{methods}"] = (
                generate_deck(Path(folder), instruments, methods), False)

        async def measure() -> dict[str, float]:
            figures = {f"echo/{k}": v for k, v in (await _echo()).items()}
            for label, (path, restart) in decks.items():
                started = await _start(path, restart)
                figures.update({f"{label}/{k}": v for k, v in started.items()})
            return figures

        figures = await common.repeat(measure, repeats)
    ready, rss = figures["echo/ready"], figures["echo/rss"]
    rows: list[list[object]] = [["bare echo server (baseline)", ready, 1.0, rss, 1.0]]
    for label in decks:
        r, m = figures[f"{label}/ready"], figures[f"{label}/rss"]
        rows.append([label, r, common.ratio(r, ready), m, common.ratio(m, rss)])
    common.print_table(f"Start-up in a subprocess, median of {repeats} ({common.machine()})",
                       ["deck", "to serving ms", "x echo", "idle RSS MB", "x echo"], rows)


def main() -> None:
    args = common.parse_args(__doc__ or "", count=0)
    asyncio.run(run(args.repeats))


if __name__ == "__main__":
    main()
