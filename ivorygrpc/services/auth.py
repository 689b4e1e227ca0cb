"""`ivorygrpc.v1.AuthService`: login, tokens, users."""

from __future__ import annotations

from ivorygrpc.auth.accounts import Accounts
from ivorygrpc.auth.roles import Role
from ivorygrpc.errors import FieldViolation, InvalidArguments, InvalidPageToken
from ivorygrpc.paging import PageTokens, page_size, split_page
from ivorygrpc.services.context import Context, identity_of
from ivorygrpc.services.convert import parse_etag, timestamp
from ivorygrpc.services.errors import rpc_errors
from ivorygrpc.store import UserRecord
from ivorygrpc.v1 import auth_service_pb2 as pb
from ivorygrpc.v1 import auth_service_pb2_grpc as pb_grpc
from ivorygrpc.v1 import user_pb2

_ROLES = {Role.VIEWER: user_pb2.ROLE_VIEWER, Role.OPERATOR: user_pb2.ROLE_OPERATOR,
          Role.ADMIN: user_pb2.ROLE_ADMIN}
_FROM_PROTO = {number: role for role, number in _ROLES.items()}
_MASKABLE = {"role", "disabled"}


def user_message(user: UserRecord) -> user_pb2.User:
    """The `User` message of a stored user (never the password hash)."""
    return user_pb2.User(username=user.username, role=_ROLES[Role.parse(user.role)],
                         disabled=user.disabled, create_time=timestamp(user.created_at),
                         update_time=timestamp(user.updated_at), etag=str(user.version))


def _role(value: int, field: str) -> Role:
    role: Role | None = _FROM_PROTO.get(value)  # type: ignore[call-overload]
    if role is None:
        raise InvalidArguments([FieldViolation(field, "must be a valid, specified role")])
    return role


class AuthServicer(pb_grpc.AuthServiceServicer):
    """Users, roles and bearer tokens."""

    def __init__(self, accounts: Accounts, tokens: PageTokens) -> None:
        self._accounts = accounts
        self._tokens = tokens

    @rpc_errors
    async def Login(self, request: pb.LoginRequest, context: Context) -> pb.LoginResponse:
        """Exchanges credentials for a bearer token."""
        token, expires, user = await self._accounts.login(request.username, request.password)
        return pb.LoginResponse(token=token, expire_time=timestamp(expires),
                                user=user_message(user))

    @rpc_errors
    async def Logout(self, request: pb.LogoutRequest, context: Context) -> pb.LogoutResponse:
        """Revokes the caller's token."""
        await self._accounts.logout(identity_of(context))
        return pb.LogoutResponse()

    @rpc_errors
    async def GetCurrentUser(self, request: pb.GetCurrentUserRequest,
                             context: Context) -> pb.GetCurrentUserResponse:
        """Returns the caller."""
        user = await self._accounts.get_user(identity_of(context).username)
        return pb.GetCurrentUserResponse(user=user_message(user))

    @rpc_errors
    async def ChangePassword(self, request: pb.ChangePasswordRequest,
                             context: Context) -> pb.ChangePasswordResponse:
        """Changes the caller's password."""
        await self._accounts.change_password(identity_of(context), request.old_password,
                                             request.new_password)
        return pb.ChangePasswordResponse()

    @rpc_errors
    async def CreateUser(self, request: pb.CreateUserRequest,
                         context: Context) -> pb.CreateUserResponse:
        """Creates a user."""
        role = _FROM_PROTO.get(request.role)
        user = await self._accounts.create_user(identity_of(context), request.username,
                                                request.password, role)
        return pb.CreateUserResponse(user=user_message(user))

    @rpc_errors
    async def ListUsers(self, request: pb.ListUsersRequest,
                        context: Context) -> pb.ListUsersResponse:
        """Lists users by name."""
        size = page_size(request.page_size)
        after = None
        if request.page_token:
            cursor = self._tokens.decode("ListUsers", request.page_token)
            if len(cursor) != 1 or not isinstance(cursor[0], str):
                raise InvalidPageToken()
            after = cursor[0]
        users = await self._accounts.list_users(size + 1, after)
        users, last = split_page(users, size)
        token = self._tokens.encode("ListUsers", [last.username]) if last else ""
        return pb.ListUsersResponse(users=[user_message(u) for u in users], next_page_token=token)

    @rpc_errors
    async def UpdateUser(self, request: pb.UpdateUserRequest,
                         context: Context) -> pb.UpdateUserResponse:
        """Changes a user's role or disabled flag."""
        paths = set(request.update_mask.paths) or _MASKABLE
        unknown = sorted(paths - _MASKABLE)
        if unknown:
            raise InvalidArguments([FieldViolation("update_mask", f"cannot update {unknown[0]!r}; "
                                                   "only role and disabled")])
        if not request.user.username:
            raise InvalidArguments([FieldViolation("user.username", "is required")])
        role = _role(request.user.role, "user.role") if "role" in paths else None
        disabled = request.user.disabled if "disabled" in paths else None
        user = await self._accounts.update_user(identity_of(context), request.user.username,
                                                role=role, disabled=disabled,
                                                expected_version=parse_etag(request.etag))
        return pb.UpdateUserResponse(user=user_message(user))

    @rpc_errors
    async def DeleteUser(self, request: pb.DeleteUserRequest,
                         context: Context) -> pb.DeleteUserResponse:
        """Deletes a user."""
        await self._accounts.delete_user(identity_of(context), request.username)
        return pb.DeleteUserResponse()

    @rpc_errors
    async def ResetPassword(self, request: pb.ResetPasswordRequest,
                            context: Context) -> pb.ResetPasswordResponse:
        """Sets a user's password (admin) and revokes their tokens."""
        await self._accounts.reset_password(identity_of(context), request.username,
                                            request.new_password)
        return pb.ResetPasswordResponse()
