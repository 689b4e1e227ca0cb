"""The ivorygrpc server with parts of a direct call switched off, for `bench_ceiling`.

    python -m bench.variant_server VARIANT serve DECK [serve options]

VARIANT is one of `VARIANTS`: `shipped` (the product as it is), `no-records`
(call records are built but never written or committed), `on-loop` (blocking
instrument methods run on the event loop instead of their instrument's thread)
and `neither`. For measurement only: the variants drop guarantees the product
keeps (a durable record of every call; instrument code off the event loop), and
`on-loop` suits only decks whose methods return at once, like `deck_noop.py`.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

from ivorygrpc import cli
from ivorygrpc.deck.dispatch import Dispatcher, Done
from ivorygrpc.store.calls import GroupCommit


def _no_records() -> None:
    def run(self: GroupCommit, apply: Callable[[Any], Any]) -> int:
        return 1  # "one row changed", as a committed write of a call record answers

    GroupCommit.run = run  # type: ignore[method-assign, assignment]


def _on_loop() -> None:
    def run(self: Dispatcher, instrument: str, job: Callable[[], Any],
            loop: asyncio.AbstractEventLoop, done: Done) -> None:
        try:
            result = job()
        except BaseException as exc:
            done(None, exc)
        else:
            done(result, None)

    Dispatcher._run = run  # type: ignore[method-assign]


VARIANTS: dict[str, tuple[Callable[[], None], ...]] = {
    "shipped": (),
    "no-records": (_no_records,),
    "on-loop": (_on_loop,),
    "neither": (_no_records, _on_loop),
}


def main() -> int:
    variant, argv = sys.argv[1], sys.argv[2:]
    for switch_off in VARIANTS[variant]:
        switch_off()
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
