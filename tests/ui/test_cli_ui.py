"""`ivorygrpc serve` starts the browser UI next to the server; `ivorygrpc ui` runs it alone."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

from tests.fixtures.server import ADMIN_PASSWORD, EXAMPLE_DECK


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _get_when_up(url: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            try:
                return await client.get(url, follow_redirects=True)
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never answered")


async def _run_until_up(argv: list[str], url: str, cwd: Path) -> httpx.Response:
    # Without PYTEST_CURRENT_TEST: NiceGUI's ui.run behaves differently under pytest.
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_CURRENT_TEST"}
    env["IVORYGRPC_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "ivorygrpc", *argv,
                                                   cwd=cwd, env=env,
                                                   stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.PIPE)
    try:
        response = await _get_when_up(url)
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            _, err = await process.communicate()
    assert process.returncode in (0, 130), err.decode()
    return response


async def test_serve_starts_the_ui_and_stops_with_the_server(tmp_path: Path) -> None:
    port = _free_port()
    response = await _run_until_up(
        ["serve", str(EXAMPLE_DECK), "--port", "0", "--ui-port", str(port),
         "--data-dir", str(tmp_path / "data")], f"http://127.0.0.1:{port}/login", tmp_path)
    assert response.status_code == 200
    assert "Sign in to the lab deck" in response.text
    assert (tmp_path / "data" / "ui" / "secret").stat().st_mode & 0o077 == 0
    assert (tmp_path / "data" / "ui").stat().st_mode & 0o077 == 0


async def test_ui_command_serves_the_ui_alone(tmp_path: Path) -> None:
    port = _free_port()
    response = await _run_until_up(
        ["ui", "--server", "127.0.0.1:1", "--port", str(port), "--data-dir",
         str(tmp_path / "ui")], f"http://127.0.0.1:{port}/instruments", tmp_path)
    assert response.status_code == 200
    assert "Sign in to the lab deck" in response.text  # redirected to the login page


async def test_the_server_side_never_loads_nicegui() -> None:
    code = ("import sys; import ivorygrpc.cli, ivorygrpc.runtime, ivorygrpc.server; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'nicegui', 'ivorygrpc_ui'}))")
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", code,
                                                   stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    assert out.decode().strip() == "[]"


async def test_a_taken_ui_port_is_reported_and_the_server_stops(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ivorygrpc", "serve", str(EXAMPLE_DECK), "--port", "0",
            "--ui-port", str(port), "--data-dir", str(tmp_path / "data"), cwd=tmp_path,
            env={**os.environ, "IVORYGRPC_ADMIN_PASSWORD": ADMIN_PASSWORD},
            stderr=asyncio.subprocess.PIPE)
        async with asyncio.timeout(60):
            _, err = await process.communicate()
    assert process.returncode == 1
    assert f"the browser UI cannot listen on 127.0.0.1:{port}" in err.decode()
    assert "ivorygrpc shutting down" in err.decode()
