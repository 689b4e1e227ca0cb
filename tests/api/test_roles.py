"""Every role against every rpc: UNAUTHENTICATED / PERMISSION_DENIED exactly where due."""

from __future__ import annotations

import grpc
import pytest

from ivorygrpc.auth.roles import POLICY
from ivorygrpc.schema import build_schema
from tests.fixtures.client import rich_status
from tests.fixtures.server import Served

A, C = "/ivorygrpc.v1.AuthService/", "/ivorygrpc.v1.ControlService/"
D = "/ivorygrpc.v1.DesignService/"
E = "/ivorygrpc.v1.ExecuteService/"
K = "/ivorygrpc.v1.CampaignService/"
# The lowest role each rpc allows (SPEC §3: viewer reads, operator moves, admin manages users).
EXPECTED = {
    A + "GetCurrentUser": "viewer",
    A + "ChangePassword": "viewer",
    A + "CreateUser": "admin",
    A + "ListUsers": "admin",
    A + "UpdateUser": "admin",
    A + "DeleteUser": "admin",
    A + "ResetPassword": "admin",
    C + "ListInstruments": "viewer",
    C + "GetInstrument": "viewer",
    C + "CallMethod": "operator",
    C + "ListCalls": "viewer",
    C + "GetCall": "viewer",
    C + "ExportSchema": "viewer",
    D + "CreateWorkflow": "operator",
    D + "GetWorkflow": "viewer",
    D + "ListWorkflows": "viewer",
    D + "UpdateWorkflow": "operator",
    D + "DeleteWorkflow": "admin",
    D + "ListWorkflowVersions": "viewer",
    D + "FinalizeWorkflow": "operator",
    D + "CopyWorkflow": "operator",
    D + "ValidateWorkflow": "viewer",
    D + "AddStep": "operator",
    D + "UpdateStep": "operator",
    D + "MoveStep": "operator",
    D + "RemoveStep": "operator",
    D + "DuplicateStep": "operator",
    D + "SetStepEnabled": "operator",
    D + "GetRunParameters": "viewer",
    D + "RenderPython": "viewer",
    D + "ImportWorkflow": "operator",
    E + "CreateRun": "operator",
    E + "ListRuns": "viewer",
    E + "GetRun": "viewer",
    E + "MoveRun": "operator",
    E + "UpdateRun": "operator",
    E + "CancelRun": "operator",
    E + "DeleteRun": "admin",
    E + "PauseQueue": "operator",
    E + "ResumeQueue": "operator",
    E + "GetExecutionStatus": "viewer",
    E + "PauseRun": "operator",
    E + "ResumeRun": "operator",
    E + "StopRun": "operator",
    E + "RetryStep": "operator",
    E + "SkipStep": "operator",
    E + "AnswerPrompt": "operator",
    E + "StreamRunEvents": "viewer",
    E + "ExportRunData": "viewer",
    E + "GetRunLog": "viewer",
    K + "ListOptimizers": "viewer",
    K + "GetParameterSpace": "viewer",
    K + "CreateCampaign": "operator",
    K + "GetCampaign": "viewer",
    K + "ListCampaigns": "viewer",
    K + "SuggestTrials": "operator",
    K + "ReportTrials": "operator",
    K + "DeleteCampaign": "admin",
    "/ivorygrpc.deck.pump.v1.PumpService/Prime": "operator",
    "/ivorygrpc.deck.sdl.v1.SdlService/GetTemperature": "operator",
    "/ivorygrpc.deck.blocks.v1.BlocksService/Dilute": "operator",
}
RANK = {"viewer": 1, "operator": 2, "admin": 3}
DENIED = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}


async def _code(channel: grpc.aio.Channel, method: str) -> grpc.StatusCode:
    call = channel.unary_unary(method, request_serializer=lambda b: b,
                               response_deserializer=lambda b: b)
    try:
        await call(b"", timeout=2)  # a stream that is allowed runs until the deadline
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def test_every_static_rpc_has_a_declared_role() -> None:
    schema = build_schema([])
    for file in schema.files.values():
        for service in file.service:
            for method in service.method:
                assert f"/{file.package}.{service.name}/{method.name}" in POLICY


@pytest.mark.parametrize("role", ["viewer", "operator", "admin"])
async def test_role_table(served: Served, role: str) -> None:
    channel = await served.channel_as(role)
    for method, lowest in EXPECTED.items():
        code = await _code(channel, method)
        if RANK[role] >= RANK[lowest]:
            assert code not in DENIED, (role, method, code)
        else:
            assert code == grpc.StatusCode.PERMISSION_DENIED, (role, method, code)


async def test_no_token_or_a_bad_token_is_unauthenticated(served: Served) -> None:
    for channel in (served.open_channel(), served.open_channel("ivg_not-a-real-token")):
        for method in EXPECTED:
            assert await _code(channel, method) == grpc.StatusCode.UNAUTHENTICATED, method
    # Login is open: an empty login reaches the servicer and fails as a bad login.
    login = served.open_channel().unary_unary(A + "Login", request_serializer=lambda b: b,
                                              response_deserializer=lambda b: b)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await login(b"")
    assert rich_status(caught.value)["reason"] == "LOGIN_FAILED"
