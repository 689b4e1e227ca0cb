"""AuthService: login, tokens, users, lockout, audit."""

from __future__ import annotations

import asyncio
import os
import stat
from datetime import timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2

from ivorygrpc.auth.accounts import AuthSettings
from ivorygrpc.v1 import auth_service_pb2 as pb
from ivorygrpc.v1 import auth_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import control_service_pb2 as control_pb
from ivorygrpc.v1 import control_service_pb2_grpc as control_grpc
from ivorygrpc.v1 import user_pb2
from tests.fixtures.client import rich_status
from tests.fixtures.server import ADMIN_PASSWORD, USER_PASSWORD, Served, ServeDeck


def _auth(channel: grpc.aio.Channel) -> pb_grpc.AuthServiceStub:
    return pb_grpc.AuthServiceStub(channel)


async def _error(awaitable: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await awaitable  # type: ignore[misc]
    return caught.value


async def test_login_returns_a_working_token(served: Served) -> None:
    reply = await _auth(served.open_channel()).Login(
        pb.LoginRequest(username="admin", password=ADMIN_PASSWORD))
    assert reply.token.startswith("ivg_") and reply.user.role == user_pb2.ROLE_ADMIN
    assert reply.expire_time.seconds > 0
    me = await _auth(served.open_channel(reply.token)).GetCurrentUser(pb.GetCurrentUserRequest())
    assert me.user.username == "admin"


async def test_wrong_password_and_unknown_user_look_the_same(served: Served) -> None:
    anonymous = _auth(served.open_channel())
    wrong = await _error(anonymous.Login(pb.LoginRequest(username="admin", password="nope")))
    unknown = await _error(anonymous.Login(pb.LoginRequest(username="ghost", password="nope")))
    assert wrong.code() == unknown.code() == grpc.StatusCode.UNAUTHENTICATED
    assert wrong.details() == unknown.details()
    assert rich_status(wrong)["reason"] == rich_status(unknown)["reason"] == "LOGIN_FAILED"


async def test_repeated_failures_lock_the_user(served: Served) -> None:
    await served.channel_as("operator")  # creates operator-<n>
    me = await _auth(served.channel).ListUsers(pb.ListUsersRequest())
    name = next(u.username for u in me.users if u.username.startswith("operator"))
    anonymous = _auth(served.open_channel())
    for _ in range(3):  # FAST_AUTH locks after 3 failures
        await _error(anonymous.Login(pb.LoginRequest(username=name, password="wrong-password")))
    locked = await _error(anonymous.Login(pb.LoginRequest(username=name,
                                                          password=USER_PASSWORD)))
    assert locked.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_logout_revokes_the_token(served: Served) -> None:
    token = await served.login("admin", ADMIN_PASSWORD)
    channel = served.open_channel(token)
    await _auth(channel).Logout(pb.LogoutRequest())
    error = await _error(_auth(channel).GetCurrentUser(pb.GetCurrentUserRequest()))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_expired_tokens_stop_working(serve_deck: ServeDeck) -> None:
    # A lifetime of one microsecond: the token has expired by its first use.
    served = await serve_deck(auth=AuthSettings(token_ttl=timedelta(microseconds=1),
                                                failure_delay_s=0.0, cache_ttl_s=0.0))
    error = await _error(_auth(served.channel).GetCurrentUser(pb.GetCurrentUserRequest()))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert rich_status(error)["reason"] == "TOKEN_EXPIRED"


async def test_user_lifecycle_and_audit(served: Served) -> None:
    admin = _auth(served.channel)
    created = await admin.CreateUser(pb.CreateUserRequest(
        username="alice", password="a-long-password", role=user_pb2.ROLE_VIEWER))
    assert created.user.role == user_pb2.ROLE_VIEWER and created.user.etag
    duplicate = await _error(admin.CreateUser(pb.CreateUserRequest(
        username="alice", password="a-long-password", role=user_pb2.ROLE_VIEWER)))
    assert duplicate.code() == grpc.StatusCode.ALREADY_EXISTS
    bad = await _error(admin.CreateUser(pb.CreateUserRequest(username="bad name!",
                                                             password="short")))
    assert set(rich_status(bad)["violations"]) == {"username", "password", "role"}

    promoted = await admin.UpdateUser(pb.UpdateUserRequest(
        user=user_pb2.User(username="alice", role=user_pb2.ROLE_OPERATOR),
        update_mask=field_mask_pb2.FieldMask(paths=["role"]), etag=created.user.etag))
    assert promoted.user.role == user_pb2.ROLE_OPERATOR
    stale = await _error(admin.UpdateUser(pb.UpdateUserRequest(
        user=user_pb2.User(username="alice", disabled=True),
        update_mask=field_mask_pb2.FieldMask(paths=["disabled"]), etag=created.user.etag)))
    assert stale.code() == grpc.StatusCode.ABORTED

    alice = served.open_channel(await served.login("alice", "a-long-password"))
    await admin.UpdateUser(pb.UpdateUserRequest(
        user=user_pb2.User(username="alice", disabled=True),
        update_mask=field_mask_pb2.FieldMask(paths=["disabled"])))
    disabled = await _error(_auth(alice).GetCurrentUser(pb.GetCurrentUserRequest()))
    assert disabled.code() == grpc.StatusCode.UNAUTHENTICATED

    await admin.DeleteUser(pb.DeleteUserRequest(username="alice"))
    gone = await _error(admin.DeleteUser(pb.DeleteUserRequest(username="alice")))
    assert gone.code() == grpc.StatusCode.NOT_FOUND
    actions = [(r.action, r.target) for r in served.server.store.audit.list(limit=20)]
    for expected in [("user_created", "alice"), ("user_updated", "alice"),
                     ("user_deleted", "alice")]:
        assert expected in actions


async def test_the_last_admin_cannot_be_removed(served: Served) -> None:
    admin = _auth(served.channel)
    demote = await _error(admin.UpdateUser(pb.UpdateUserRequest(
        user=user_pb2.User(username="admin", role=user_pb2.ROLE_VIEWER),
        update_mask=field_mask_pb2.FieldMask(paths=["role"]))))
    assert demote.code() == grpc.StatusCode.FAILED_PRECONDITION
    delete = await _error(admin.DeleteUser(pb.DeleteUserRequest(username="admin")))
    assert rich_status(delete)["reason"] == "LAST_ADMIN"


async def test_change_password(served: Served) -> None:
    token = await served.login("admin", ADMIN_PASSWORD)
    other = served.open_channel(await served.login("admin", ADMIN_PASSWORD))
    mine = _auth(served.open_channel(token))
    wrong = await _error(mine.ChangePassword(pb.ChangePasswordRequest(
        old_password="nope", new_password="another-password")))
    assert wrong.code() == grpc.StatusCode.PERMISSION_DENIED
    await mine.ChangePassword(pb.ChangePasswordRequest(old_password=ADMIN_PASSWORD,
                                                       new_password="another-password"))
    assert (await mine.GetCurrentUser(pb.GetCurrentUserRequest())).user.username == "admin"
    revoked = await _error(_auth(other).GetCurrentUser(pb.GetCurrentUserRequest()))
    assert revoked.code() == grpc.StatusCode.UNAUTHENTICATED
    assert await served.login("admin", "another-password")


async def test_an_admin_resets_a_password(served: Served) -> None:
    admin = _auth(served.channel)
    await admin.CreateUser(pb.CreateUserRequest(username="carol", password=USER_PASSWORD,
                                                role=user_pb2.ROLE_OPERATOR))
    carol = _auth(served.open_channel(await served.login("carol", USER_PASSWORD)))
    await admin.ResetPassword(pb.ResetPasswordRequest(username="carol",
                                                      new_password="a-fresh-password"))
    revoked = await _error(carol.GetCurrentUser(pb.GetCurrentUserRequest()))
    assert revoked.code() == grpc.StatusCode.UNAUTHENTICATED
    old = await _error(_auth(served.open_channel()).Login(pb.LoginRequest(
        username="carol", password=USER_PASSWORD)))
    assert old.code() == grpc.StatusCode.UNAUTHENTICATED
    fresh = _auth(served.open_channel(await served.login("carol", "a-fresh-password")))
    assert (await fresh.GetCurrentUser(pb.GetCurrentUserRequest())).user.username == "carol"
    [record] = served.server.store.audit.list(limit=1, action="password_reset")
    assert (record.actor, record.target) == ("admin", "carol")


async def test_reset_password_is_for_admins_and_checks_its_input(served: Served) -> None:
    admin = _auth(served.channel)
    await admin.CreateUser(pb.CreateUserRequest(username="dave", password=USER_PASSWORD,
                                                role=user_pb2.ROLE_OPERATOR))
    dave = _auth(served.open_channel(await served.login("dave", USER_PASSWORD)))
    denied = await _error(dave.ResetPassword(pb.ResetPasswordRequest(
        username="admin", new_password="taken-over-1")))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    short = await _error(admin.ResetPassword(pb.ResetPasswordRequest(
        username="dave", new_password="short")))
    assert short.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "new_password" in rich_status(short)["violations"]
    ghost = await _error(admin.ResetPassword(pb.ResetPasswordRequest(
        username="ghost", new_password="long-enough-1")))
    assert ghost.code() == grpc.StatusCode.NOT_FOUND
    # nothing changed: dave's token and password still work, admin's too
    assert (await dave.GetCurrentUser(pb.GetCurrentUserRequest())).user.username == "dave"
    assert await served.login("dave", USER_PASSWORD)
    assert await served.login("admin", ADMIN_PASSWORD)
    assert served.server.store.audit.list(limit=5, action="password_reset") == []


async def test_calls_are_recorded_with_the_user(served: Served) -> None:
    operator = await served.channel_as("operator")
    stub = control_grpc.ControlServiceStub(operator)
    reply = await stub.CallMethod(control_pb.CallMethodRequest(instrument="pump",
                                                               method="prime"))
    assert reply.call.caller.startswith("operator")


async def test_failed_logins_are_audited(served: Served) -> None:
    await _error(_auth(served.open_channel()).Login(pb.LoginRequest(username="mallory",
                                                                    password="guess")))
    records = served.server.store.audit.list(limit=5, action="login_failed")
    assert records[0].target == "mallory" and records[0].actor == "anonymous"


async def test_first_start_generates_a_private_admin_password(tmp_path: Path,
                                                             database_url: str) -> None:
    from ivorygrpc.auth.bootstrap import PASSWORD_FILE, ensure_admin
    from ivorygrpc.store import Store

    store = Store.open(database_url)
    try:
        password = ensure_admin(store, tmp_path)
        assert password and len(password) >= 20
        path = tmp_path / PASSWORD_FILE
        assert path.read_text().strip() == password
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert ensure_admin(store, tmp_path) is None  # only on the first start
        assert store.users.get("admin") is not None
    finally:
        store.close()


async def test_parallel_guesses_cannot_outrun_the_lockout(served: Served) -> None:
    await _auth(served.channel).CreateUser(pb.CreateUserRequest(
        username="bob", password=USER_PASSWORD, role=user_pb2.ROLE_VIEWER))
    anonymous = _auth(served.open_channel())
    wrong = [asyncio.ensure_future(anonymous.Login(pb.LoginRequest(
        username="bob", password=f"guess-{i}"))) for i in range(6)]
    await asyncio.sleep(0.05)  # the right password arrives while the guesses are in flight
    right = anonymous.Login(pb.LoginRequest(username="bob", password=USER_PASSWORD))
    results = await asyncio.gather(right, *wrong, return_exceptions=True)
    assert all(isinstance(r, grpc.aio.AioRpcError) for r in results)
    # FAST_AUTH locks after 3 failures; attempts for one user are taken one at a time,
    # so the right password, queued behind the guesses, meets the lock.
    bob = served.server.store.users.get("bob")
    assert bob is not None and bob.locked_until is not None
