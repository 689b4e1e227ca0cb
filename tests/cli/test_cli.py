"""The command line and `ivorygrpc.run` in real processes: serve, stop on a signal, export."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from tests.fixtures.server import ADMIN_PASSWORD, EXAMPLE_DECK
from tests.fixtures.tools import grpcurl, run

SERVING = re.compile(r"serving deck '(\w+)' on 127\.0\.0\.1:(\d+)")


async def _start(*argv: str, cwd: Path) -> tuple[asyncio.subprocess.Process, int, list[str]]:
    # Without PYTEST_CURRENT_TEST: NiceGUI's ui.run behaves differently under pytest.
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_CURRENT_TEST"}
    env["IVORYGRPC_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    process = await asyncio.create_subprocess_exec(*argv, cwd=cwd, env=env,
                                                   stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT)
    assert process.stdout is not None
    lines: list[str] = []
    async with asyncio.timeout(60):
        while True:
            line = (await process.stdout.readline()).decode()
            if not line:
                pytest.fail("server exited early:\n" + "".join(lines))
            lines.append(line)
            match = SERVING.search(line)
            if match:
                return process, int(match.group(2)), lines


async def _stop(process: asyncio.subprocess.Process) -> int:
    process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(30):
        return await process.wait()


async def test_serve_lists_services_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    process, port, lines = await _start(sys.executable, "-m", "ivorygrpc", "serve",
                                        str(EXAMPLE_DECK), "--port", "0", "--no-ui",
                                        "--data-dir", str(tmp_path / "data"), cwd=tmp_path)
    try:
        report = "".join(lines)
        assert "SKIPPED: a Logger from logging" in report  # the start-up table
        listed = await run(grpcurl(), "-plaintext", f"127.0.0.1:{port}", "list")
        assert "ivorygrpc.deck.pump.v1.PumpService" in listed.stdout
    finally:
        code = await _stop(process)
    assert code == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_run_in_the_deck_file_serves_it_with_the_browser_ui(tmp_path: Path) -> None:
    ui_port = _free_port()
    deck = tmp_path / "tiny_deck.py"
    deck.write_text(textwrap.dedent(f'''
        import ivorygrpc

        class Stirrer:
            def stir(self, rpm: int = 300) -> int:
                """Stir at a speed."""
                return rpm

        stirrer = Stirrer()

        if __name__ == "__main__":
            ivorygrpc.run(__name__, port=0, data_dir={str(tmp_path / "data")!r},
                          ui_port={ui_port})
    '''))
    process, port, _ = await _start(sys.executable, str(deck), cwd=tmp_path)
    try:
        listed = await run(grpcurl(), "-plaintext", f"127.0.0.1:{port}", "list")
        assert "ivorygrpc.deck.stirrer.v1.StirrerService" in listed.stdout
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    page = await client.get(f"http://127.0.0.1:{ui_port}/login")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            else:
                pytest.fail("the browser UI never answered")
        assert page.status_code == 200
        assert "Sign in to the lab deck" in page.text
    finally:
        code = await _stop(process)
    assert code == 0


async def test_protos_export_writes_protos_and_a_descriptor_set(tmp_path: Path) -> None:
    result = await run(sys.executable, "-m", "ivorygrpc", "protos", "export", str(EXAMPLE_DECK),
                       "--out", str(tmp_path / "out"), "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert (out / "ivorygrpc.binpb").stat().st_size > 0
    pump = (out / "ivorygrpc/deck/pump/v1/pump.proto").read_text()
    assert "service PumpService" in pump
    assert json.loads((tmp_path / "data" / "field_numbers.lock.json").read_text())["scopes"]


async def test_serve_reports_a_missing_deck_file(tmp_path: Path) -> None:
    result = await run(sys.executable, "-m", "ivorygrpc", "serve", str(tmp_path / "nope.py"),
                       "--port", "0")
    assert result.returncode == 1
    assert "does not exist" in result.stderr


async def test_serve_refuses_plaintext_off_loopback(tmp_path: Path) -> None:
    result = await run(sys.executable, "-m", "ivorygrpc", "serve", str(EXAMPLE_DECK),
                       "--host", "0.0.0.0", "--port", "0", "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 1
    assert "--insecure" in result.stderr
