"""Token checks and the per-caller handler wrappers are cached in the server: revoking,
demoting, disabling or re-passwording takes effect on the very next call all the same."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import field_mask_pb2

from ivorygrpc.v1 import auth_service_pb2 as pb
from ivorygrpc.v1 import auth_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import user_pb2
from tests.fixtures.server import Served

PRIME = "/ivorygrpc.deck.pump.v1.PumpService/Prime"  # operator
PASSWORD = "a-long-password"
DENIED = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}


async def _code(channel: grpc.aio.Channel, method: str = PRIME) -> grpc.StatusCode:
    call = channel.unary_unary(method, request_serializer=lambda b: b,
                               response_deserializer=lambda b: b)
    try:
        await call(b"", timeout=5)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def _warm(channel: grpc.aio.Channel) -> None:
    for _ in range(3):  # the token check and the handler wrapper are cached now
        assert await _code(channel) not in DENIED


async def _user(served: Served, name: str) -> grpc.aio.Channel:
    await pb_grpc.AuthServiceStub(served.channel).CreateUser(pb.CreateUserRequest(
        username=name, password=PASSWORD, role=user_pb2.ROLE_OPERATOR))
    return served.open_channel(await served.login(name, PASSWORD))


def _update(name: str, path: str, **fields: object) -> pb.UpdateUserRequest:
    return pb.UpdateUserRequest(user=user_pb2.User(username=name, **fields),  # type: ignore[arg-type]
                                update_mask=field_mask_pb2.FieldMask(paths=[path]))


async def test_a_demotion_applies_to_the_next_call(served: Served) -> None:
    bob = await _user(served, "bob")
    await _warm(bob)
    admin = pb_grpc.AuthServiceStub(served.channel)
    await admin.UpdateUser(_update("bob", "role", role=user_pb2.ROLE_VIEWER))
    assert await _code(bob) == grpc.StatusCode.PERMISSION_DENIED
    await admin.UpdateUser(_update("bob", "role", role=user_pb2.ROLE_OPERATOR))
    assert await _code(bob) not in DENIED


@pytest.mark.parametrize("how", ["logout", "disable", "reset", "change", "delete"])
async def test_a_revoked_token_fails_on_the_next_call(served: Served, how: str) -> None:
    carol = await _user(served, "carol")
    await _warm(carol)
    admin = pb_grpc.AuthServiceStub(served.channel)
    other = served.open_channel(await served.login("carol", PASSWORD))
    if how == "logout":
        await pb_grpc.AuthServiceStub(carol).Logout(pb.LogoutRequest())
    elif how == "disable":
        await admin.UpdateUser(_update("carol", "disabled", disabled=True))
    elif how == "reset":
        await admin.ResetPassword(pb.ResetPasswordRequest(username="carol",
                                                          new_password="another-password"))
    elif how == "change":  # the caller's own token stays; every other one is revoked
        await pb_grpc.AuthServiceStub(other).ChangePassword(pb.ChangePasswordRequest(
            old_password=PASSWORD, new_password="another-password"))
    else:
        await admin.DeleteUser(pb.DeleteUserRequest(username="carol"))
    assert await _code(carol) == grpc.StatusCode.UNAUTHENTICATED
    if how == "change":
        assert await _code(other) not in DENIED
