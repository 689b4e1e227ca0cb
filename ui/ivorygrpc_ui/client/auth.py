"""AuthService: logout, own password, and user management (admins, password reset too)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from google.protobuf import field_mask_pb2

from ivorygrpc.v1 import auth_service_pb2 as pb
from ivorygrpc.v1 import user_pb2
from ivorygrpc_ui.client.connection import Connection, Role
from ivorygrpc_ui.client.errors import rpc_errors
from ivorygrpc_ui.client.values import time_of


@dataclass(frozen=True)
class UserInfo:
    """A user as the admin sees it; `etag` guards concurrent changes."""

    username: str
    role: Role
    disabled: bool
    create_time: datetime.datetime | None
    etag: str


def _user(message: user_pb2.User) -> UserInfo:
    return UserInfo(username=message.username, role=Role.of(message.role),
                    disabled=message.disabled,
                    create_time=time_of(message, "create_time"), etag=message.etag)


@rpc_errors
async def logout(conn: Connection) -> None:
    """Revoke the connection's token."""
    await conn.auth.Logout(pb.LogoutRequest(), metadata=conn.metadata())


@rpc_errors
async def change_password(conn: Connection, old_password: str, new_password: str) -> None:
    """Change the caller's password (the server revokes their other tokens)."""
    await conn.auth.ChangePassword(pb.ChangePasswordRequest(old_password=old_password,
                                                            new_password=new_password),
                                   metadata=conn.metadata())


@rpc_errors
async def list_users(conn: Connection) -> list[UserInfo]:
    """Every user, by name (admin only)."""
    users: list[UserInfo] = []
    token = ""
    while True:
        reply = await conn.auth.ListUsers(pb.ListUsersRequest(page_size=1000, page_token=token),
                                          metadata=conn.metadata())
        users += [_user(u) for u in reply.users]
        token = reply.next_page_token
        if not token:
            return users


@rpc_errors
async def create_user(conn: Connection, username: str, password: str, role: Role) -> UserInfo:
    """Create a user (admin only)."""
    reply = await conn.auth.CreateUser(pb.CreateUserRequest(username=username, password=password,
                                                            role=role.value),
                                       metadata=conn.metadata())
    return _user(reply.user)


@rpc_errors
async def update_user(conn: Connection, user: UserInfo, *, role: Role | None = None,
                      disabled: bool | None = None) -> UserInfo:
    """Change a user's role and/or disabled flag, based on `user.etag` (admin only)."""
    change = user_pb2.User(username=user.username)
    paths = []
    if role is not None:
        change.role = role.value
        paths.append("role")
    if disabled is not None:
        change.disabled = disabled
        paths.append("disabled")
    reply = await conn.auth.UpdateUser(
        pb.UpdateUserRequest(user=change, update_mask=field_mask_pb2.FieldMask(paths=paths),
                             etag=user.etag),
        metadata=conn.metadata())
    return _user(reply.user)


@rpc_errors
async def delete_user(conn: Connection, username: str) -> None:
    """Delete a user and revoke their tokens (admin only)."""
    await conn.auth.DeleteUser(pb.DeleteUserRequest(username=username), metadata=conn.metadata())


@rpc_errors
async def reset_password(conn: Connection, username: str, new_password: str) -> None:
    """Set another user's password and revoke all their tokens (admin only)."""
    await conn.auth.ResetPassword(pb.ResetPasswordRequest(username=username,
                                                          new_password=new_password),
                                  metadata=conn.metadata())
