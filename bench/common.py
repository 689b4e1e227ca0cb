"""Shared helpers of the benchmarks: servers in subprocesses on a temp data dir,
log-in, timing, medians over repeats and table printing."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

from bench import echo_server
from ivorygrpc.v1 import auth_service_pb2 as auth_pb
from ivorygrpc.v1 import auth_service_pb2_grpc as auth_grpc
from ivorygrpc.v1 import control_service_pb2, control_service_pb2_grpc, run_pb2, workflow_pb2
from ivorygrpc.v1 import design_service_pb2 as design_pb
from ivorygrpc.v1 import design_service_pb2_grpc as design_grpc
from ivorygrpc.v1 import execute_service_pb2 as execute_pb
from ivorygrpc.v1 import execute_service_pb2_grpc as execute_grpc

ROOT = Path(__file__).resolve().parents[1]
NOOP_DECK = ROOT / "bench" / "deck_noop.py"
ADMIN_PASSWORD = "bench-admin-password"
READY_TIMEOUT_S = 60.0

now = time.perf_counter


# ---------------------------------------------------------------- arguments


def parse_args(description: str, count: int, repeats: int = 3,
               argv: Sequence[str] | None = None) -> argparse.Namespace:
    """`--count N --repeats R` with the bench's defaults."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--count", type=int, default=count,
                        help=f"work per measurement (default {count})")
    parser.add_argument("--repeats", type=int, default=repeats,
                        help=f"repeats; every figure is their median (default {repeats})")
    return parser.parse_args(argv)


# ---------------------------------------------------------------- statistics


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0-100) by nearest rank; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median_of(samples: Sequence[dict[str, float]]) -> dict[str, float]:
    """Per key, the median over repeats."""
    keys = samples[0].keys()
    return {key: statistics.median(sample[key] for sample in samples) for key in keys}


async def repeat(measure: Callable[[], Awaitable[dict[str, float]]],
                 repeats: int) -> dict[str, float]:
    """Run `measure` `repeats` times; the median of every figure."""
    return median_of([await measure() for _ in range(max(1, repeats))])


def ratio(value: float, baseline: float) -> float:
    """value / baseline, nan when the baseline is 0."""
    return value / baseline if baseline else float("nan")


# ---------------------------------------------------------------- tables


def fmt(value: object) -> str:
    """A figure for a table: 3 significant digits for floats."""
    if isinstance(value, float):
        if value != value:  # nan
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}"
    return str(value)


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table with a title line."""
    cells = [[fmt(c) for c in row] for row in rows]
    print(f"\n### {title}\n")
    print("| " + " | ".join(headers) + " |")
    print("| " + " | ".join("---" for _ in headers) + " |")
    for row in cells:
        print("| " + " | ".join(row) + " |")
    sys.stdout.flush()


def machine() -> str:
    """nproc and Python version, for the table's footer."""
    return f"nproc={os.cpu_count()}, python={sys.version.split()[0]}"


# ---------------------------------------------------------------- auth


class _Bearer:
    def __init__(self, token: str) -> None:
        self.token = token

    def _details(self, details: Any) -> Any:
        metadata = list(details.metadata or ())
        metadata.append(("authorization", f"Bearer {self.token}"))
        return details._replace(metadata=grpc.aio.Metadata(*metadata))


class _BearerUnaryUnary(_Bearer, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _BearerUnaryStream(_Bearer, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


def bearer_auth(token: str) -> list[grpc.aio.ClientInterceptor]:
    """Interceptors that send `token` on unary and server-streaming calls."""
    return [_BearerUnaryUnary(token), _BearerUnaryStream(token)]


# ---------------------------------------------------------------- processes


def free_port() -> int:
    """A free loopback port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_s(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used, in seconds (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Proc:
    """A server subprocess and the time it took to answer its first call."""

    process: subprocess.Popen[bytes]
    port: int
    ready_s: float = 0.0

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)

    def stop(self) -> None:
        stop_process(self.process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate `process` (kill it after 10 s) and reap it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("IVORYGRPC_DATABASE_URL", None)  # SQLite in the temp data dir
    env["IVORYGRPC_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


async def _wait_ready(proc: Proc, probe: Callable[[grpc.aio.Channel], Awaitable[object]],
                      started: float) -> None:
    deadline = started + READY_TIMEOUT_S
    async with grpc.aio.insecure_channel(proc.target, options=_FAST_RECONNECT) as channel:
        while True:
            if proc.process.poll() is not None:
                raise RuntimeError(f"server exited with {proc.process.returncode}")
            try:
                await probe(channel)
            except grpc.aio.AioRpcError as error:
                if error.code() not in _NOT_SERVING:  # it answered, if only with an error
                    break
                if now() > deadline:
                    raise
                await asyncio.sleep(0.005)
            else:
                break
    proc.ready_s = now() - started


# Without these, a refused first connection backs off ~1 s and start-up looks slower.
_FAST_RECONNECT = [("grpc.initial_reconnect_backoff_ms", 5), ("grpc.min_reconnect_backoff_ms", 5),
                   ("grpc.max_reconnect_backoff_ms", 10)]
_NOT_SERVING = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def _spawn(args: list[str]) -> tuple[subprocess.Popen[bytes], float]:
    started = now()
    process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, started


async def spawn_echo() -> Proc:
    """The bare echo server in a subprocess, answering."""
    port = free_port()
    process, started = _spawn(["-m", "bench.echo_server", "--port", str(port)])
    proc = Proc(process, port)

    async def probe(channel: grpc.aio.Channel) -> object:
        return await echo_server.client(channel)(echo_server.request(1),
                                                 timeout=1)
    try:
        await _wait_ready(proc, probe, started)
    except BaseException:
        proc.stop()
        raise
    return proc


async def _login(target: str, timeout: float | None = None) -> str:
    async with grpc.aio.insecure_channel(target) as channel:
        reply = await auth_grpc.AuthServiceStub(channel).Login(
            auth_pb.LoginRequest(username="admin", password=ADMIN_PASSWORD), timeout=timeout)
        token: str = reply.token
        return token


@dataclass
class Served:
    """An ivorygrpc server subprocess and an admin's channel to it."""

    proc: Proc
    data_dir: Path
    token: str
    channel: grpc.aio.Channel
    _channels: list[grpc.aio.Channel] = field(default_factory=list)

    @property
    def target(self) -> str:
        return self.proc.target

    def open_channel(self) -> grpc.aio.Channel:
        """Another logged-in channel (closed with the server)."""
        channel = grpc.aio.insecure_channel(self.target, interceptors=bearer_auth(self.token))
        self._channels.append(channel)
        return channel

    async def close(self) -> None:
        for channel in [self.channel, *self._channels]:
            await channel.close()
        self.proc.stop()


async def spawn_ivorygrpc(deck: Path, data_dir: Path, variant: str | None = None) -> Served:
    """`python -m ivorygrpc serve deck --no-ui` on SQLite in `data_dir`, logged in as admin
    (with a `variant`: `bench/variant_server.py`, the server with parts switched off)."""
    port = free_port()
    module = ["ivorygrpc"] if variant is None else ["bench.variant_server", variant]
    process, started = _spawn(["-m", *module, "serve", str(deck), "--no-ui",
                               "--port", str(port), "--data-dir", str(data_dir)])
    proc = Proc(process, port)

    async def probe(channel: grpc.aio.Channel) -> object:
        return await control_service_pb2_grpc.ControlServiceStub(channel).ListInstruments(
            control_service_pb2.ListInstrumentsRequest(), timeout=1)

    try:
        await _wait_ready(proc, probe, started)  # UNAUTHENTICATED counts as serving
        token = await _login(proc.target, timeout=30)
    except BaseException:
        proc.stop()
        raise
    channel = grpc.aio.insecure_channel(proc.target, interceptors=bearer_auth(token))
    return Served(proc, data_dir, token, channel)


@contextlib.asynccontextmanager
async def ivorygrpc_server(deck: Path = NOOP_DECK,
                           variant: str | None = None) -> AsyncIterator[Served]:
    """An ivorygrpc server subprocess on a fresh temp data dir (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="ivorygrpc-bench-") as folder:
        served = await spawn_ivorygrpc(deck, Path(folder) / "data", variant)
        try:
            yield served
        finally:
            await served.close()


@contextlib.asynccontextmanager
async def echo() -> AsyncIterator[Proc]:
    """The bare echo server subprocess."""
    proc = await spawn_echo()
    try:
        yield proc
    finally:
        proc.stop()


# ---------------------------------------------------------------- load


@dataclass
class Load:
    """Calls/s and latency of a closed-loop load."""

    calls_per_s: float
    p50_ms: float
    p99_ms: float


Call = Callable[[], Awaitable[object]]


async def closed_loop(call: Call | Sequence[Call], count: int, concurrency: int,
                      seconds: float | None = None) -> Load:
    """`concurrency` callers, each with one call in flight, `count` calls in all (or, with
    `seconds`, as many as fit in that window). Given a sequence of calls, caller i makes
    calls[i % len]."""
    calls = [call] if callable(call) else list(call)
    latencies: list[float] = []
    remaining = count
    deadline = float("inf")

    async def worker(index: int) -> None:
        nonlocal remaining
        mine = calls[index % len(calls)]
        while remaining > 0 and now() < deadline:
            remaining -= 1
            t0 = now()
            await mine()
            latencies.append(now() - t0)

    started = now()
    if seconds is not None:
        remaining, deadline = 1 << 62, started + seconds
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed = now() - started
    ms = [value * 1000 for value in latencies]
    return Load(len(latencies) / elapsed, percentile(ms, 50), percentile(ms, 99))


async def echo_rtt_ms(proc: Proc, count: int) -> float:
    """Median sequential round trip of the bare echo in ms (a baseline)."""
    async with grpc.aio.insecure_channel(proc.target) as channel:
        call = echo_server.client(channel)
        request = echo_server.request(1.0)
        for _ in range(min(count, 20)):  # warm-up
            await call(request)
        load = await closed_loop(lambda: call(request), max(count, 5), 1)
        return load.p50_ms


# ---------------------------------------------------------------- typed deck rpcs


async def typed_rpc(channel: grpc.aio.Channel, service: str,
                    rpc: str) -> tuple[grpc.aio.UnaryUnaryMultiCallable[Any, Any], Any]:
    """A typed deck rpc (from ExportSchema) and its request class."""
    export = await control_service_pb2_grpc.ControlServiceStub(channel).ExportSchema(
        control_service_pb2.ExportSchemaRequest())
    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_pb2.FileDescriptorSet.FromString(export.file_descriptor_set).file:
        pool.Add(file)
    method = pool.FindServiceByName(service).methods_by_name[rpc]
    request_cls = message_factory.GetMessageClass(method.input_type)
    response_cls = message_factory.GetMessageClass(method.output_type)
    call = channel.unary_unary(f"/{service}/{rpc}",
                               request_serializer=request_cls.SerializeToString,
                               response_deserializer=response_cls.FromString)
    return call, request_cls


NOOP_SERVICE = "ivorygrpc.deck.noop.v1.NoopService"
LANES = 8  # bench/deck_noop.py has lane_0 .. lane_7 besides noop


def lane_service(index: int) -> str:
    """The typed service of `lane_<index>` in the no-op deck."""
    return f"ivorygrpc.deck.lane_{index}.v1.Lane{index}Service"


async def ping_calls(channel: grpc.aio.Channel, services: Sequence[str],
                     x: float = 1.5) -> list[Call]:
    """One `Ping(x)` call per service (typed deck rpcs)."""
    calls: list[Call] = []
    for service in services:
        rpc, request_cls = await typed_rpc(channel, service, "Ping")
        request = request_cls(x=x)
        calls.append(functools.partial(rpc, request))
    return calls


# ---------------------------------------------------------------- workflows and runs


def noop_step(method: str = "nothing", **arguments: float) -> dict[str, Any]:
    """A call step of the no-op deck (literal arguments)."""
    return {"call": {"instrument": "noop", "method": method,
                     "arguments": {k: {"literal": v} for k, v in arguments.items()}}}


async def save_workflow(channel: grpc.aio.Channel, name: str,
                        main: list[dict[str, Any]]) -> None:
    """Create a workflow of `main` steps."""
    workflow = json_format.ParseDict({"name": name, "main": main}, workflow_pb2.Workflow())
    await design_grpc.DesignServiceStub(channel).CreateWorkflow(
        design_pb.CreateWorkflowRequest(workflow=workflow))


def repeat_mode(count: int) -> run_pb2.RunMode:
    """Repeat the main phase `count` times."""
    return json_format.ParseDict({"repeat": {"count": count}}, run_pb2.RunMode())


def event_time(event: run_pb2.RunEvent) -> float:
    """The event's time in seconds since the epoch."""
    return event.time.seconds + event.time.nanos / 1e9


async def last_sequence(channel: grpc.aio.Channel) -> int:
    """The sequence of the latest stored event."""
    reply = await execute_grpc.ExecuteServiceStub(channel).GetExecutionStatus(
        execute_pb.GetExecutionStatusRequest())
    sequence: int = reply.status.last_sequence
    return sequence


def is_final(event: run_pb2.RunEvent) -> bool:
    """The run reached a final state."""
    return (event.WhichOneof("kind") == "state_changed"
            and event.state_changed.state in FINAL_STATES)


FINAL_STATES = {run_pb2.RUN_STATE_SUCCEEDED, run_pb2.RUN_STATE_FAILED,
                run_pb2.RUN_STATE_STOPPED, run_pb2.RUN_STATE_CANCELLED,
                run_pb2.RUN_STATE_INTERRUPTED}


@dataclass
class Received:
    """An event and when this client received it (time.time())."""

    event: run_pb2.RunEvent
    at: float


async def follow_run(channel: grpc.aio.Channel, submit: Callable[[], Awaitable[object]],
                     timeout: float = 300) -> tuple[float, list[Received]]:
    """Stream every event from now on, call `submit` (which must start exactly one run,
    with nothing else running), and collect events until that run is final.
    Returns the wall time just before `submit` and the events, received times included."""
    after = await last_sequence(channel)
    stream = execute_grpc.ExecuteServiceStub(channel).StreamRunEvents(
        execute_pb.StreamRunEventsRequest(after_sequence=after), timeout=timeout)
    received: list[Received] = []

    async def collect() -> None:
        async for reply in stream:
            received.append(Received(reply.event, time.time()))
            if is_final(reply.event):
                return

    task = asyncio.create_task(collect())
    await asyncio.sleep(0)
    t0 = time.time()
    await submit()
    try:
        await task
    finally:
        stream.cancel()
    return t0, received


def of_kind(received: Sequence[Received], kind: str) -> list[Received]:
    """The received events of one kind, in order."""
    return [r for r in received if r.event.WhichOneof("kind") == kind]
