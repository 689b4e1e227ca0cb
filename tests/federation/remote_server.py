"""Lab B: an `ivorygrpc serve` subprocess (loopback or inside a network namespace)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from ivorygrpc.v1 import auth_service_pb2 as auth_pb
from ivorygrpc.v1 import auth_service_pb2_grpc as auth_grpc
from tests.fixtures.server import ADMIN_PASSWORD, ROOT, bearer_auth

LAB_B_DECK = ROOT / "tests" / "federation" / "lab_b_deck.py"
_SERVING = re.compile(r"serving deck .* on (\S+):(\d+)")


@dataclass
class LabB:
    """A lab B server process; `start` again after `stop` reuses its port and data."""

    data_dir: Path
    host: str = "127.0.0.1"
    prefix: tuple[str, ...] = ()  # e.g. ("ip", "netns", "exec", NAME)
    options: tuple[str, ...] = ()  # more `ivorygrpc serve` options, e.g. TLS files
    credentials: grpc.ChannelCredentials | None = None  # how the test connects (TLS)
    port: int = 0
    token: str = ""
    process: subprocess.Popen[bytes] | None = None
    _channels: list[grpc.aio.Channel] = field(default_factory=list)

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 30) -> None:
        """Start the server and wait until it logs its address."""
        log = self.data_dir / "server.log"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [*self.prefix, sys.executable, "-m", "ivorygrpc", "serve", str(LAB_B_DECK),
                "--host", self.host, "--port", str(self.port), "--data-dir",
                str(self.data_dir), "--no-ui", *self.options]
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            argv.append("--insecure")
        env = {**os.environ, "IVORYGRPC_ADMIN_PASSWORD": ADMIN_PASSWORD}
        offset = log.stat().st_size if log.exists() else 0
        with log.open("ab") as out:
            self.process = subprocess.Popen(argv, stdout=out, stderr=out, env=env, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = log.read_bytes()[offset:].decode(errors="replace")
            if match := _SERVING.search(text):
                self.port = int(match.group(2))
                return
            if self.process.poll() is not None:
                raise AssertionError(f"lab B exited {self.process.returncode}:\n{text}")
            time.sleep(0.05)
        raise AssertionError(f"lab B did not start:\n{log.read_text()}")

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[LabB]:
        """B started and logged in; its channels and process closed on exit."""
        await asyncio.to_thread(self.start)
        try:
            await self.login()
            yield self
        finally:
            await self.close()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    async def login(self) -> str:
        """Log in as admin on B; keeps and returns the token."""
        async with self._open() as channel:
            reply = await auth_grpc.AuthServiceStub(channel).Login(
                auth_pb.LoginRequest(username="admin", password=ADMIN_PASSWORD), timeout=10)
        self.token = reply.token
        return self.token

    def channel(self) -> grpc.aio.Channel:
        """An admin channel to B (closed by `close`)."""
        channel = self._open(bearer_auth(self.token))
        self._channels.append(channel)
        return channel

    def _open(self, interceptors: list[grpc.aio.ClientInterceptor] | None = None
              ) -> grpc.aio.Channel:
        if self.credentials is not None:
            return grpc.aio.secure_channel(self.target, self.credentials,
                                           interceptors=interceptors)
        return grpc.aio.insecure_channel(self.target, interceptors=interceptors)

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()
        self._channels.clear()
        await asyncio.to_thread(self.stop)
