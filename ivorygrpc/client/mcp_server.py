"""`ivorygrpc mcp`: a Model Context Protocol server (stdio) in front of an ivorygrpc server.

Built on `Client`, so an agent gets the same operations, checks and errors as
any other client, under the user of its token:

* read-only operations are **resources** (`ivorygrpc://status`, `instruments`,
  `instruments/{name}`, `workflows`, `workflows/{name}`, `runs`,
  `runs/{run_id}`, `runs/{run_id}/results.csv`, `optimizers`), JSON or CSV;
* everything that acts is a **tool**: `call_instrument` (moves hardware),
  `save_workflow`, `validate_workflow`, `create_run`, `wait_for_run`, run control
  (`pause_run`, `resume_run`, `stop_run`, `retry_step`, `skip_step`,
  `answer_prompt`) and the queue (`pause_queue`, `resume_queue`), each with MCP
  tool annotations (read-only, destructive, idempotent hints) so a client can
  ask before the ones that move hardware.

Credentials come from the environment, never the command line:
`IVORYGRPC_TOKEN`, or `IVORYGRPC_USERNAME` and `IVORYGRPC_PASSWORD`. Needs
the `mcp` package (`pip install ivorygrpc[mcp]`).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal, TypeVar

from google.protobuf import json_format, message
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp_types import ToolAnnotations

from ivorygrpc.client.client import Client
from ivorygrpc.client.errors import IvorygrpcError

T = TypeVar("T")
INSTRUCTIONS = """Drives a self-driving lab through ivorygrpc. Read the deck first
(resource ivorygrpc://instruments: every instrument, method, parameter type, unit and range).
Workflows are JSON: {"name", "main": [steps], "prep": [...], "cleanup": [...]}; a call step is
{"call": {"instrument", "method", "arguments": {name: {"literal": v} | {"parameter": "p"} |
{"variable": "v"} | {"expression": "..."}}, "save_as": [...]}}. Validate before running.
call_instrument and create_run move real hardware."""

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=True)
MOVES_HARDWARE = ToolAnnotations(read_only_hint=False, destructive_hint=True,
                                 idempotent_hint=False, open_world_hint=True)
CONTROL = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True,
                          open_world_hint=True)
EDIT = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False,
                       open_world_hint=False)


def as_dict(value: message.Message) -> dict[str, Any]:
    """A message as a JSON-like dict (proto field names, enums by name, zeros shown)."""
    return json_format.MessageToDict(value, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)


def as_json(value: message.Message | Sequence[message.Message]) -> Any:
    """Messages as JSON-like values."""
    if isinstance(value, message.Message):
        return as_dict(value)
    return [as_dict(item) for item in value]


class _Session:
    """The ivorygrpc client of one MCP server process (opened by the lifespan)."""

    client: Client | None = None

    def get(self) -> Client:
        if self.client is None:
            raise ToolError("not connected to the ivorygrpc server")
        return self.client


def build_server(connect: Callable[[], Awaitable[Client]]) -> MCPServer[Any]:
    """The MCP server; `connect` opens the ivorygrpc client when the server starts."""
    session = _Session()

    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[None]:
        session.client = await connect()
        try:
            yield None
        finally:
            await session.client.close()

    server: MCPServer[Any] = MCPServer("ivorygrpc", instructions=INSTRUCTIONS, lifespan=lifespan)
    _add_resources(server, session)
    _add_tools(server, session)
    return server


async def _tool(call: Awaitable[T]) -> T:
    try:
        return await call
    except IvorygrpcError as exc:
        raise ToolError(str(exc)) from None


async def _read(call: Awaitable[Any]) -> str:
    try:
        value = await call
    except IvorygrpcError as exc:
        raise ResourceError(str(exc)) from None
    return value if isinstance(value, str) else json.dumps(as_json(value), indent=1)


def _add_resources(server: MCPServer[Any], session: _Session) -> None:
    @server.resource("ivorygrpc://status", mime_type="application/json")
    async def status() -> str:
        """Whether a run is active, the queue is paused, its length and the active run."""
        return await _read(session.get().execution_status())

    @server.resource("ivorygrpc://instruments", mime_type="application/json")
    async def instruments() -> str:
        """Every instrument with its methods, parameters (types, defaults, units, ranges)."""
        return await _read(session.get().list_instruments())

    @server.resource("ivorygrpc://instruments/{name}", mime_type="application/json")
    async def instrument(name: str) -> str:
        """One instrument."""
        return await _read(session.get().get_instrument(name))

    @server.resource("ivorygrpc://workflows", mime_type="application/json")
    async def workflows() -> str:
        """The latest version of every saved workflow."""
        return await _read(session.get().list_workflows())

    @server.resource("ivorygrpc://workflows/{name}", mime_type="application/json")
    async def workflow(name: str) -> str:
        """One workflow (latest version) with its steps."""
        return await _read(session.get().get_workflow(name))

    @server.resource("ivorygrpc://runs", mime_type="application/json")
    async def runs() -> str:
        """The latest 100 runs, newest first."""
        return await _read(session.get().list_runs())

    @server.resource("ivorygrpc://runs/{run_id}", mime_type="application/json")
    async def run(run_id: str) -> str:
        """One run with its full record (phases, iterations, steps, outputs)."""
        return await _read(session.get().get_run(run_id, full=True))

    @server.resource("ivorygrpc://runs/{run_id}/results.csv", mime_type="text/csv")
    async def results(run_id: str) -> str:
        """A run's results: one row per sample with parameters and outputs."""
        return await _read(session.get().export_run_data(run_id))

    @server.resource("ivorygrpc://optimizers", mime_type="application/json")
    async def optimizers() -> str:
        """The installed optimizers with their settings."""
        return await _read(session.get().list_optimizers())


def _add_tools(server: MCPServer[Any], session: _Session) -> None:
    @server.tool(annotations=MOVES_HARDWARE)
    async def call_instrument(instrument: str, method: str,
                              arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call one instrument method now (moves hardware). Arguments by parameter name;
        enums by member name. Returns the result and the call record id."""
        result = await _tool(session.get().call(instrument, method, arguments or {}))
        return {"result": result.value, "call_id": result.record.id}

    @server.tool(annotations=EDIT)
    async def save_workflow(workflow: dict[str, Any], overwrite: bool = False) -> dict[str, Any]:
        """Save a workflow (JSON): a new one, or with overwrite=true a new version."""
        saved = await _tool(session.get().save_workflow(workflow, overwrite=overwrite))
        return {"name": saved.name, "version": saved.version, "etag": saved.etag}

    @server.tool(annotations=READ_ONLY)
    async def validate_workflow(workflow: dict[str, Any] | None = None,
                                name: str = "") -> dict[str, Any]:
        """Check a workflow (JSON, or a saved one by name) against the live deck; every
        problem with its step id, field and code."""
        if (workflow is None) == (not name):
            raise ToolError("give either workflow or name")
        result = await _tool(session.get().validate_workflow(workflow or name))
        return {"valid": result.valid, "problems": as_json(list(result.problems))}

    @server.tool(annotations=MOVES_HARDWARE)
    async def create_run(workflow: str, repeat: int | None = None,
                         parameters: dict[str, Any] | None = None,
                         rows: list[dict[str, Any]] | None = None, batch_size: int = 0,
                         display_name: str = "") -> dict[str, Any]:
        """Queue a run of a saved workflow (moves hardware): repeat N times with the same
        parameters, or one row of parameters per sample."""
        run = await _tool(session.get().create_run(
            workflow, repeat=repeat, parameters=parameters, rows=rows, batch_size=batch_size,
            display_name=display_name))
        return {"run_id": run.id, "state": as_dict(run).get("state")}

    @server.tool(annotations=READ_ONLY)
    async def wait_for_run(run_id: str, timeout_s: float = 300) -> dict[str, Any]:
        """Wait until a run finishes (at most timeout_s); its state, error and results CSV."""
        client = session.get()
        try:
            run = await _tool(client.wait_for_run(run_id, timeout=timeout_s))
        except TimeoutError:
            raise ToolError(f"run {run_id} still running after {timeout_s} s") from None
        out = {"state": as_dict(run).get("state"), "error": as_dict(run.error)}
        out["results_csv"] = await _tool(client.export_run_data(run_id))
        return out

    def control(name: str, doc: str,
                act: Callable[[Client, str], Awaitable[message.Message]]) -> None:
        async def tool(run_id: str) -> dict[str, Any]:
            return as_dict(await _tool(act(session.get(), run_id)))
        tool.__name__, tool.__doc__ = name, doc
        server.add_tool(tool, annotations=CONTROL)

    control("pause_run", "Pause a run after the step in flight.", Client.pause_run)
    control("resume_run", "Resume a run paused by an operator.", Client.resume_run)
    control("retry_step", "Run the failed step of a paused run again.", Client.retry_step)
    control("skip_step", "Go on without the failed step's result.", Client.skip_step)

    @server.tool(annotations=CONTROL)
    async def stop_run(run_id: str,
                       when: Literal["after_iteration", "now"] = "after_iteration",
                       ) -> dict[str, Any]:
        """Stop a run after its current iteration, or now (after the step in flight)."""
        return as_dict(await _tool(session.get().stop_run(run_id, when)))

    @server.tool(annotations=CONTROL)
    async def answer_prompt(run_id: str, value: Any = None) -> dict[str, Any]:
        """Give the value an input step asks for, or acknowledge a pause step."""
        return as_dict(await _tool(session.get().answer_prompt(run_id, value)))

    @server.tool(annotations=CONTROL)
    async def pause_queue() -> dict[str, Any]:
        """Stop starting queued runs (the running one goes on)."""
        return as_dict(await _tool(session.get().pause_queue()))

    @server.tool(annotations=CONTROL)
    async def resume_queue() -> dict[str, Any]:
        """Start queued runs again."""
        return as_dict(await _tool(session.get().resume_queue()))


def serve_stdio(target: str, *, environ: Mapping[str, str] = os.environ, tls: bool = False,
                root_certificates: bytes | None = None) -> None:
    """Run the MCP server on stdin/stdout for the ivorygrpc server at `target`."""
    token = environ.get("IVORYGRPC_TOKEN") or None
    username = None if token else environ.get("IVORYGRPC_USERNAME")
    if token is None and username is None:
        raise SystemExit("ivorygrpc mcp: set IVORYGRPC_TOKEN, or IVORYGRPC_USERNAME and "
                         "IVORYGRPC_PASSWORD")

    async def connect() -> Client:
        return await Client.connect(target, token=token, username=username,
                                    password=environ.get("IVORYGRPC_PASSWORD", ""), tls=tls,
                                    root_certificates=root_certificates)

    build_server(connect).run("stdio")
