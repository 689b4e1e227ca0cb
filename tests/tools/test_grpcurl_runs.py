"""The real grpcurl binary drives a run: log in, save a workflow, submit, stream its events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures.runs import RUN_DECK
from tests.fixtures.server import ADMIN_PASSWORD, ServeDeck
from tests.fixtures.tools import grpcurl, run

pytestmark = pytest.mark.tools


def json_stream(text: str) -> list[dict[str, Any]]:
    """The JSON objects grpcurl prints one after another for a server stream."""
    decoder = json.JSONDecoder()
    out: list[dict[str, Any]] = []
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index == len(text):
            return out
        value, index = decoder.raw_decode(text, index)
        out.append(value)


async def test_submit_a_run_and_stream_it_to_its_end(serve_deck: ServeDeck) -> None:
    served = await serve_deck(RUN_DECK)
    login = await run(grpcurl(), "-plaintext", "-d",
                      json.dumps({"username": "admin", "password": ADMIN_PASSWORD}),
                      served.target, "ivorygrpc.v1.AuthService/Login")
    assert login.returncode == 0, login.stderr
    auth = ["-plaintext", "-H", f"authorization: Bearer {json.loads(login.stdout)['token']}"]

    workflow = {"name": "from-grpcurl", "main": [
        {"id": "m", "call": {"instrument": "lab", "method": "measure",
                             "arguments": {"x": {"parameter": "x"}}, "save_as": ["y"]}},
        {"id": "a", "call": {"instrument": "lab", "method": "add",
                             "arguments": {"a": {"literal": 2}, "b": {"literal": 3}}}},
    ]}
    created = await run(grpcurl(), *auth, "-d", json.dumps({"workflow": workflow}),
                        served.target, "ivorygrpc.v1.DesignService/CreateWorkflow")
    assert created.returncode == 0, created.stderr

    submitted = await run(grpcurl(), *auth, "-d", json.dumps({
        "workflow": "from-grpcurl",
        "mode": {"repeat": {"count": 2, "parameters": {"x": 1.5}}}}),
        served.target, "ivorygrpc.v1.ExecuteService/CreateRun")
    assert submitted.returncode == 0, submitted.stderr
    run_id = json.loads(submitted.stdout)["run"]["id"]

    streamed = await run(grpcurl(), *auth, "-d",
                         json.dumps({"run_id": run_id, "until_finished": True}),
                         served.target, "ivorygrpc.v1.ExecuteService/StreamRunEvents")
    assert streamed.returncode == 0, streamed.stderr  # until_finished: the stream ends by itself
    events = [reply["event"] for reply in json_stream(streamed.stdout)]
    assert all(e["runId"] == run_id for e in events)
    sequences = [int(e["sequence"]) for e in events]  # int64 travels as a JSON string
    assert sequences == sorted(set(sequences))
    states = [e["stateChanged"]["state"] for e in events if "stateChanged" in e]
    assert states == ["RUN_STATE_QUEUED", "RUN_STATE_RUNNING", "RUN_STATE_SUCCEEDED"]
    assert "stateChanged" in events[-1]  # the final state change ends the stream
    started = [(e["stepStarted"]["stepId"], e["stepStarted"]["iteration"])
               for e in events if "stepStarted" in e]
    assert started == [("m", "1"), ("a", "1"), ("m", "2"), ("a", "2")]
    finished = [(e["stepFinished"]["stepId"], e["stepFinished"]["output"])
                for e in events if "stepFinished" in e]
    assert finished == [("m", 3.0), ("a", 5), ("m", 3.0), ("a", 5)]
    arguments = [e["stepStarted"]["arguments"] for e in events if "stepStarted" in e]
    assert arguments == [{"x": 1.5}, {"a": 2, "b": 3}] * 2
