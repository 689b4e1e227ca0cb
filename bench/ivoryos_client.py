"""Measurements against a running IvoryOS server, driven over HTTP as the baseline was
(`/work/shared/reference/ivoryos-baseline.md`). Runs with the IvoryOS venv's Python
(`requests` and `python-socketio` come with it) and prints one JSON object; the
`bench.bench_ivoryos` script starts IvoryOS, calls this and makes the table.

    python bench/ivoryos_client.py direct --port P --instruments noop --clients 8 --seconds 3
    python bench/ivoryos_client.py workflow --port P --data-dir D --shape steps --count 1000
    python bench/ivoryos_client.py login --port P

Every client logs in once (untimed) with the default `admin`/`admin` and keeps its
`requests.Session`. Standard library plus requests/socketio only: no project imports.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import requests  # type: ignore[import-untyped,unused-ignore]
import socketio  # type: ignore[import-untyped,import-not-found,unused-ignore]

WARMUP_CALLS = 100


def login(base: str) -> requests.Session:
    """A logged-in session (the form post IvoryOS' own proxy client makes)."""
    session = requests.Session()
    reply = session.post(f"{base}/auth/login", data={"username": "admin", "password": "admin"},
                         allow_redirects=False)
    if reply.status_code != 302:
        raise RuntimeError(f"login failed: HTTP {reply.status_code}")
    return session


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


# -- direct control -------------------------------------------------------------------------


def direct(base: str, instruments: list[str], method: str, arguments: dict[str, Any],
           clients: int, seconds: float) -> dict[str, float]:
    """`clients` threads, each with its own session, call `deck.<instrument>` (client i uses
    instruments[i % len]) back to back for `seconds`, without back-off on "busy"."""
    sessions = [login(base) for _ in range(clients)]
    body = {"hidden_name": method, **arguments}
    for _ in range(WARMUP_CALLS):
        sessions[0].post(f"{base}/instruments/deck.{instruments[0]}", json=body)
    ok: list[float] = []
    busy: list[float] = []
    failed = [0]
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def worker(index: int) -> None:
        session = sessions[index]
        url = f"{base}/instruments/deck.{instruments[index % len(instruments)]}"
        mine_ok: list[float] = []
        mine_busy: list[float] = []
        errors = 0
        start.wait()
        while time.perf_counter() < stop_at[0]:
            t0 = time.perf_counter()
            reply = session.post(url, json=body)
            elapsed = (time.perf_counter() - t0) * 1000
            answer = reply.json() if reply.status_code == 200 else {}
            if answer.get("success") is True:
                mine_ok.append(elapsed)
            elif answer.get("status") == "busy":
                mine_busy.append(elapsed)
            else:
                errors += 1
        with lock:
            ok.extend(mine_ok)
            busy.extend(mine_busy)
            failed[0] += errors

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    replies = len(ok) + len(busy)
    return {"replies_per_s": replies / elapsed, "ok_per_s": len(ok) / elapsed,
            "busy_fraction": len(busy) / replies if replies else float("nan"),
            "errors": float(failed[0]),
            "p50_ms": percentile(ok + busy, 50), "p99_ms": percentile(ok + busy, 99),
            "ok_p50_ms": percentile(ok, 50), "ok_p99_ms": percentile(ok, 99)}


# -- workflows ------------------------------------------------------------------------------


def _card(index: int, instrument: str, method: str) -> dict[str, Any]:
    return {"id": index + 1, "uuid": 100_000 + index, "instrument": f"deck.{instrument}",
            "action": method, "args": {}, "return": "", "arg_types": {}, "coroutine": False,
            "batch_action": False, "arg_order": []}


def workflow(base: str, data_dir: Path, deck: str, shape: str, count: int,
             instrument: str, method: str) -> dict[str, float]:
    """Upload a workflow of no-op cards as the draft, start it, and time it.

    `steps`: `count` cards, repeat 1; `repeat`: 1 card, repeat `count`. Submit -> done is
    timed to the Socket.IO `progress` event with state `done`; the steady cost per step
    and the first step's start come from IvoryOS' own `workflow_steps` timestamps
    (server clock, local time, same machine as this client).
    """
    session = login(base)
    cards = [_card(i, instrument, method) for i in range(count if shape == "steps" else 1)]
    name = f"bench_{shape}_{count}_{time.monotonic_ns()}"
    design = {"name": name, "deck": deck, "status": "editing", "editing_type": "script",
              "author": "admin", "script_dict": {"prep": [], "script": cards, "cleanup": []}}
    reply = session.post(f"{base}/files/script-json", allow_redirects=False,
                         files={"file": ("workflow.json", json.dumps(design), "application/json")})
    if reply.status_code != 302:
        raise RuntimeError(f"upload failed: HTTP {reply.status_code}")

    done = threading.Event()
    sio = socketio.Client()

    def progress(data: dict[str, Any]) -> None:
        if data.get("run_name") == name and data.get("state") in ("done", "stopped", "failed"):
            done.set()

    sio.on("progress", progress)
    sio.connect(base.rsplit("/ivoryos", 1)[0], socketio_path="ivoryos/socket.io",
                transports=["websocket"])
    try:
        t0 = time.time()
        reply = session.post(f"{base}/executions/config", headers={"Accept": "application/json"},
                             json={"repeat": count if shape == "repeat" else 1})
        posted = time.time()
        if reply.status_code != 200 or "error" in reply.json():
            raise RuntimeError(f"start failed: {reply.text[:200]}")
        if not done.wait(timeout=600):
            raise RuntimeError("the workflow did not finish in 600 s")
        finished = time.time()
    finally:
        sio.disconnect()
    with sqlite3.connect(data_dir / "ivoryos.db") as db:
        run_id = db.execute("SELECT id FROM workflow_runs WHERE name = ? ORDER BY id DESC",
                            (name,)).fetchone()[0]
        first, last, steps = db.execute(
            "SELECT MIN(s.start_time), MAX(s.end_time), COUNT(*) FROM workflow_steps s "
            "JOIN workflow_phases p ON s.phase_id = p.id WHERE p.run_id = ?",
            (run_id,)).fetchone()
    first_at = _local(first)
    return {"submit_to_done_s": finished - t0, "post_ms": (posted - t0) * 1000,
            "per_step_ms": (_local(last) - first_at) / max(steps, 1) * 1000,
            "first_step_ms": (first_at - t0) * 1000, "steps": float(steps)}


def _local(text: str) -> float:
    """A naive local-time timestamp as IvoryOS stores it -> seconds since the epoch."""
    return datetime.datetime.fromisoformat(text).timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=("login", "direct", "workflow"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--instruments", default="noop",
                        help="comma-separated; client i uses instrument i mod n")
    parser.add_argument("--method", default="ping")
    parser.add_argument("--arguments", default='{"x": 1.5}', help="JSON keyword arguments")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--data-dir", type=Path, help="IvoryOS' ivoryos_data folder")
    parser.add_argument("--deck", default="deck_noop", help="the deck module's name")
    parser.add_argument("--shape", choices=("steps", "repeat"), default="steps")
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}/ivoryos"
    if args.command == "login":
        login(base)
        result: dict[str, float] = {}
    elif args.command == "direct":
        result = direct(base, args.instruments.split(","), args.method,
                        json.loads(args.arguments), args.clients, args.seconds)
    else:
        if args.data_dir is None:
            parser.error("workflow needs --data-dir")
        result = workflow(base, args.data_dir, args.deck, args.shape, args.count,
                          args.instruments.split(",")[0], args.method)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
