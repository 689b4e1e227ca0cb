"""`ivorygrpc mcp`: an MCP stdio server driven by the official MCP client."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import pytest

from tests.fixtures.runs import call, deck_module, par
from tests.fixtures.server import ADMIN_PASSWORD, ROOT, Served

mcp = pytest.importorskip("mcp")
from mcp.client.stdio import StdioServerParameters  # noqa: E402

WORKFLOW = {"name": "dose", "main": [call("measure", save_as=["m"], x=par("x"))]}


def _server(served: Served, **env: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "ivorygrpc", "mcp", "--server", served.target],
        env={"PATH": os.environ.get("PATH", ""), **env}, cwd=str(ROOT))


async def test_tools_and_resources_over_stdio(run_lab: Served) -> None:
    params = _server(run_lab, IVORYGRPC_USERNAME="admin", IVORYGRPC_PASSWORD=ADMIN_PASSWORD)
    async with mcp.Client(params, read_timeout_seconds=60) as agent:
        tools = {t.name: t for t in (await agent.list_tools()).tools}
        assert {"call_instrument", "save_workflow", "validate_workflow", "create_run",
                "wait_for_run", "pause_run", "resume_run", "stop_run", "retry_step",
                "skip_step", "answer_prompt", "pause_queue", "resume_queue"} <= set(tools)
        assert tools["call_instrument"].annotations.destructive_hint is True
        assert tools["validate_workflow"].annotations.read_only_hint is True
        templates = {t.uri_template for t in
                     (await agent.list_resource_templates()).resource_templates}
        assert "ivorygrpc://runs/{run_id}/results.csv" in templates

        instruments = await _read(agent, "ivorygrpc://instruments")
        assert [i["name"] for i in instruments] == ["lab"]
        called = await _tool(agent, "call_instrument", instrument="lab", method="add",
                             arguments={"a": 2, "b": 3})
        assert called["result"] == 5 and called["call_id"]
        assert ("add", (2, 3)) in deck_module().lab.calls

        assert (await _tool(agent, "save_workflow", workflow=WORKFLOW))["version"] == 1
        assert (await _tool(agent, "validate_workflow", name="dose"))["valid"] is True
        run = await _tool(agent, "create_run", workflow="dose", rows=[{"x": 1}, {"x": 2}])
        done = await _tool(agent, "wait_for_run", run_id=run["run_id"], timeout_s=30)
        assert done["state"] == "RUN_STATE_SUCCEEDED" and done["results_csv"].count("\n") == 3
        record = await _read(agent, f"ivorygrpc://runs/{run['run_id']}")
        assert record["state"] == "RUN_STATE_SUCCEEDED" and record["phases"]
        csv = await _read(agent, f"ivorygrpc://runs/{run['run_id']}/results.csv")
        assert csv.splitlines()[0].startswith("iteration")
        assert (await _read(agent, "ivorygrpc://status"))["queue_paused"] is False

        refused = await agent.call_tool("call_instrument",
                                        {"instrument": "lab", "method": "nope"})
        assert refused.is_error and "METHOD_NOT_FOUND" in refused.content[0].text


async def test_without_credentials_it_refuses_to_start(run_lab: Served) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVORYGRPC_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ivorygrpc", "mcp", "--server", run_lab.target, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode != 0 and out == b""
    assert "IVORYGRPC_TOKEN" in err.decode()


async def _tool(agent: Any, tool: str, **arguments: Any) -> Any:
    result = await agent.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return result.structured_content


async def _read(agent: Any, uri: str) -> Any:
    result = await agent.read_resource(uri)
    text = result.contents[0].text
    return text if uri.endswith(".csv") else json.loads(text)
