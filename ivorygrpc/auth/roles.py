"""Roles and the one table of the role each rpc needs (SPEC §3, AuthService).

viewer reads everything and moves nothing; operator calls instruments, runs
and controls workflows and edits them; admin manages users, overrides a busy
deck and deletes records. Each role includes the ones below it.
"""

from __future__ import annotations

import enum


class Role(enum.IntEnum):
    """What a user may do; a higher role includes the lower ones."""

    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3

    @classmethod
    def parse(cls, name: str) -> Role:
        """`"operator"` -> Role.OPERATOR; raises ValueError for an unknown name."""
        try:
            return cls[name.upper()]
        except KeyError:
            raise ValueError(f"unknown role {name!r}") from None


OPEN = None
DECK_PREFIX = "/ivorygrpc.deck."
DECK_ROLE = Role.OPERATOR  # every deck rpc talks to hardware, getters included

_AUTH = "/ivorygrpc.v1.AuthService/"
_CONTROL = "/ivorygrpc.v1.ControlService/"
_DESIGN = "/ivorygrpc.v1.DesignService/"
_EXECUTE = "/ivorygrpc.v1.ExecuteService/"
_CAMPAIGN = "/ivorygrpc.v1.CampaignService/"

POLICY: dict[str, Role | None] = {
    # Open: logging in, health checks and reflection (schemas are not secrets;
    # clients need them before they can log in with typed stubs).
    _AUTH + "Login": OPEN,
    "/grpc.health.v1.Health/Check": OPEN,
    "/grpc.health.v1.Health/Watch": OPEN,
    "/grpc.health.v1.Health/List": OPEN,
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": OPEN,
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo": OPEN,
    # AuthService
    _AUTH + "Logout": Role.VIEWER,
    _AUTH + "GetCurrentUser": Role.VIEWER,
    _AUTH + "ChangePassword": Role.VIEWER,
    _AUTH + "CreateUser": Role.ADMIN,
    _AUTH + "ListUsers": Role.ADMIN,
    _AUTH + "UpdateUser": Role.ADMIN,
    _AUTH + "DeleteUser": Role.ADMIN,
    _AUTH + "ResetPassword": Role.ADMIN,
    # ControlService
    _CONTROL + "ListInstruments": Role.VIEWER,
    _CONTROL + "GetInstrument": Role.VIEWER,
    _CONTROL + "CallMethod": Role.OPERATOR,
    _CONTROL + "ListCalls": Role.VIEWER,
    _CONTROL + "GetCall": Role.VIEWER,
    _CONTROL + "ExportSchema": Role.VIEWER,
    # DesignService: operators edit, deleting a workflow (and its history) is an admin's
    _DESIGN + "CreateWorkflow": Role.OPERATOR,
    _DESIGN + "GetWorkflow": Role.VIEWER,
    _DESIGN + "ListWorkflows": Role.VIEWER,
    _DESIGN + "UpdateWorkflow": Role.OPERATOR,
    _DESIGN + "DeleteWorkflow": Role.ADMIN,
    _DESIGN + "ListWorkflowVersions": Role.VIEWER,
    _DESIGN + "FinalizeWorkflow": Role.OPERATOR,
    _DESIGN + "CopyWorkflow": Role.OPERATOR,
    _DESIGN + "ValidateWorkflow": Role.VIEWER,
    _DESIGN + "AddStep": Role.OPERATOR,
    _DESIGN + "UpdateStep": Role.OPERATOR,
    _DESIGN + "MoveStep": Role.OPERATOR,
    _DESIGN + "RemoveStep": Role.OPERATOR,
    _DESIGN + "DuplicateStep": Role.OPERATOR,
    _DESIGN + "SetStepEnabled": Role.OPERATOR,
    _DESIGN + "GetRunParameters": Role.VIEWER,
    _DESIGN + "RenderPython": Role.VIEWER,
    _DESIGN + "ImportWorkflow": Role.OPERATOR,
    # ExecuteService: viewers watch, operators run and control, admins delete records
    _EXECUTE + "CreateRun": Role.OPERATOR,
    _EXECUTE + "ListRuns": Role.VIEWER,
    _EXECUTE + "GetRun": Role.VIEWER,
    _EXECUTE + "MoveRun": Role.OPERATOR,
    _EXECUTE + "UpdateRun": Role.OPERATOR,
    _EXECUTE + "CancelRun": Role.OPERATOR,
    _EXECUTE + "DeleteRun": Role.ADMIN,
    _EXECUTE + "PauseQueue": Role.OPERATOR,
    _EXECUTE + "ResumeQueue": Role.OPERATOR,
    _EXECUTE + "GetExecutionStatus": Role.VIEWER,
    _EXECUTE + "PauseRun": Role.OPERATOR,
    _EXECUTE + "ResumeRun": Role.OPERATOR,
    _EXECUTE + "StopRun": Role.OPERATOR,
    _EXECUTE + "RetryStep": Role.OPERATOR,
    _EXECUTE + "SkipStep": Role.OPERATOR,
    _EXECUTE + "AnswerPrompt": Role.OPERATOR,
    _EXECUTE + "StreamRunEvents": Role.VIEWER,
    _EXECUTE + "ExportRunData": Role.VIEWER,
    _EXECUTE + "GetRunLog": Role.VIEWER,
    # CampaignService: viewers read, operators create and report, admins delete
    _CAMPAIGN + "ListOptimizers": Role.VIEWER,
    _CAMPAIGN + "GetParameterSpace": Role.VIEWER,
    _CAMPAIGN + "CreateCampaign": Role.OPERATOR,
    _CAMPAIGN + "GetCampaign": Role.VIEWER,
    _CAMPAIGN + "ListCampaigns": Role.VIEWER,
    _CAMPAIGN + "SuggestTrials": Role.OPERATOR,
    _CAMPAIGN + "ReportTrials": Role.OPERATOR,
    _CAMPAIGN + "DeleteCampaign": Role.ADMIN,
}


def required_role(method: str) -> Role | None:
    """The role `method` (`/package.Service/Rpc`) needs; None means open.

    Methods not in the table need a valid token (then usually fail
    UNIMPLEMENTED): nothing is open by omission.
    """
    if method in POLICY:
        return POLICY[method]
    if method.startswith(DECK_PREFIX):
        return DECK_ROLE
    return Role.VIEWER
