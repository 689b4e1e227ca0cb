"""IvoryOS in a subprocess for the comparison benchmarks: its venv, start-up on a fresh
working folder, readiness, and the measurement client (`bench/ivoryos_client.py`)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import common

VENV = common.ROOT / "bench" / ".ivoryos-venv"
PYTHON = VENV / "bin" / "python"
SERVE = common.ROOT / "bench" / "ivoryos_deck.py"
CLIENT = common.ROOT / "bench" / "ivoryos_client.py"
READY_TIMEOUT_S = 60.0


def available() -> bool:
    """True when `bench/setup_ivoryos` has made the IvoryOS venv."""
    return PYTHON.exists()


def require() -> None:
    """Exit with a hint when the IvoryOS venv is missing."""
    if not available():
        raise SystemExit("IvoryOS is not installed: run bench/setup_ivoryos first "
                         f"(creates {VENV.relative_to(common.ROOT)})")


@dataclass
class Ivoryos:
    """A running IvoryOS server: its process, port, data folder and deck module name."""

    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    deck: str
    ready_s: float = 0.0

    def rss_mb(self) -> float:
        return common.rss_mb(self.process.pid)

    def stop(self) -> None:
        common.stop_process(self.process)

    def client(self, command: str, *options: str, timeout: float = 900) -> dict[str, float]:
        """Run `ivoryos_client.py command --port ... options` and return its JSON."""
        done = subprocess.run(
            [str(PYTHON), str(CLIENT), command, "--port", str(self.port),
             "--data-dir", str(self.data_dir), "--deck", self.deck, *options],
            capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"ivoryos_client {command} failed: {done.stderr[-2000:]}")
        result: dict[str, float] = json.loads(done.stdout)
        return result


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ivoryos/auth/login",
                                    timeout=2) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def spawn(deck: Path, folder: Path) -> Ivoryos:
    """IvoryOS serving `deck` with `folder` as its working folder; ready when the login
    page answers HTTP 200 (as in the baseline)."""
    port = common.free_port()
    started = common.now()
    process = subprocess.Popen([str(PYTHON), str(SERVE), str(deck), "--port", str(port)],
                               cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Ivoryos(process, port, folder / "ivoryos_data", deck.stem)
    try:
        while not _answers(port):
            if process.poll() is not None:
                raise RuntimeError(f"IvoryOS exited with {process.returncode}")
            if common.now() - started > READY_TIMEOUT_S:
                raise RuntimeError("IvoryOS did not answer in time")
            time.sleep(0.005)
    except BaseException:
        server.stop()
        raise
    server.ready_s = common.now() - started
    return server


@contextlib.contextmanager
def ivoryos(deck: Path = common.NOOP_DECK) -> Iterator[Ivoryos]:
    """IvoryOS on a fresh temp working folder (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="ivoryos-bench-") as folder:
        server = spawn(deck, Path(folder))
        try:
            yield server
        finally:
            server.stop()


def as_options(**options: Any) -> list[str]:
    """`--name value` pairs for the client (underscores become dashes)."""
    flat: list[str] = []
    for name, value in options.items():
        flat += [f"--{name.replace('_', '-')}",
                 json.dumps(value) if isinstance(value, dict) else str(value)]
    return flat
