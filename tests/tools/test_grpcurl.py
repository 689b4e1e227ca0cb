"""The real grpcurl binary against a real server: list, describe, call, errors."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.server import ADMIN_PASSWORD, Served
from tests.fixtures.tools import grpcurl, run

pytestmark = pytest.mark.tools


def _auth(served: Served) -> list[str]:
    return ["-H", f"authorization: Bearer {served.token}"]


async def test_list_shows_deck_and_static_services(served: Served) -> None:
    result = await run(grpcurl(), "-plaintext", served.target, "list")
    assert result.returncode == 0, result.stderr
    services = set(result.stdout.split())
    assert {"ivorygrpc.deck.pump.v1.PumpService", "ivorygrpc.deck.sdl.v1.SdlService",
            "ivorygrpc.v1.ControlService", "grpc.health.v1.Health",
            "grpc.reflection.v1alpha.ServerReflection"} <= services


async def test_describe_shows_docstrings_and_options(served: Served) -> None:
    result = await run(grpcurl(), "-plaintext", served.target, "describe",
                       "ivorygrpc.deck.pump.v1.PumpService")
    assert result.returncode == 0, result.stderr
    assert "rpc Dispense ( .ivorygrpc.deck.pump.v1.DispenseRequest )" in result.stdout
    assert "Dispense a volume at a flow rate" in result.stdout
    request = await run(grpcurl(), "-plaintext", served.target, "describe",
                        "ivorygrpc.deck.pump.v1.DispenseRequest")
    assert request.returncode == 0, request.stderr
    assert "optional double volume_ml = 1" in request.stdout
    assert "unit: \"mL\"" in request.stdout or "unit:\"mL\"" in request.stdout


async def test_call_dispense(served: Served) -> None:
    result = await run(grpcurl(), *_auth(served), "-plaintext", "-d", '{"volume_ml": 1.5}',
                       served.target,
                       "ivorygrpc.deck.pump.v1.PumpService/Dispense")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"result": 1.5}


async def test_call_with_enum_name(served: Served) -> None:
    result = await run(grpcurl(), *_auth(served), "-plaintext", "-d",
                       '{"solvent": "SOLVENT_WATER"}', served.target,
                       "ivorygrpc.deck.sdl.v1.SdlService/DoseSolvent")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"result": "1.0 mL water"}


async def test_missing_argument_error(served: Served) -> None:
    result = await run(grpcurl(), *_auth(served), "-plaintext", "-d", "{}", served.target,
                       "ivorygrpc.deck.pump.v1.PumpService/Dispense")
    assert result.returncode != 0
    assert "InvalidArgument" in result.stderr
    assert "volume_ml: is required" in result.stderr


async def test_instrument_error(served: Served) -> None:
    result = await run(grpcurl(), *_auth(served), "-plaintext", "-d", "{}", served.target,
                       "ivorygrpc.deck.sdl.v1.SdlService/Fail")
    assert result.returncode != 0
    assert "Aborted" in result.stderr
    assert "simulated instrument fault" in result.stderr


async def test_generic_call_method(served: Served) -> None:
    body = json.dumps({"instrument": "pump", "method": "dispense",
                       "arguments": {"volume_ml": 2}})
    result = await run(grpcurl(), *_auth(served), "-plaintext", "-d", body, served.target,
                       "ivorygrpc.v1.ControlService/CallMethod")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["result"] == 2


async def test_calls_need_a_token_but_reflection_does_not(served: Served) -> None:
    result = await run(grpcurl(), "-plaintext", "-d", '{"volume_ml": 1}', served.target,
                       "ivorygrpc.deck.pump.v1.PumpService/Dispense")
    assert result.returncode != 0
    assert "Unauthenticated" in result.stderr and "TOKEN_MISSING" in result.stderr


async def test_login_then_call(served: Served) -> None:
    login = await run(grpcurl(), "-plaintext", "-d",
                      json.dumps({"username": "admin", "password": ADMIN_PASSWORD}),
                      served.target, "ivorygrpc.v1.AuthService/Login")
    assert login.returncode == 0, login.stderr
    token = json.loads(login.stdout)["token"]
    result = await run(grpcurl(), "-plaintext", "-H", f"authorization: Bearer {token}",
                       "-d", "{}", served.target,
                       "ivorygrpc.v1.AuthService/GetCurrentUser")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["user"]["role"] == "ROLE_ADMIN"


async def test_create_and_validate_a_workflow_from_json(served: Served) -> None:
    workflow = {"name": "from-grpcurl", "main": [
        {"call": {"instrument": "pump", "method": "dispense",
                  "arguments": {"volume_ml": {"parameter": "volume"}}, "save_as": ["total"]}},
        {"call": {"instrument": "pump", "method": "dispense",
                  "arguments": {"volume_ml": {"literal": "a lot"}}}},
    ]}
    created = await run(grpcurl(), *_auth(served), "-plaintext", "-d",
                        json.dumps({"workflow": workflow}), served.target,
                        "ivorygrpc.v1.DesignService/CreateWorkflow")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["workflow"]["version"] == "1"
    checked = await run(grpcurl(), *_auth(served), "-plaintext", "-d",
                        json.dumps({"name": "from-grpcurl"}), served.target,
                        "ivorygrpc.v1.DesignService/ValidateWorkflow")
    assert checked.returncode == 0, checked.stderr
    problems = json.loads(checked.stdout)["problems"]
    assert [(p["field"], p["code"]) for p in problems] == [("arguments.volume_ml", "WRONG_TYPE")]
