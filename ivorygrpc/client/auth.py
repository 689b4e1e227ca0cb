"""AuthService operations: log in and out, who am I, change or reset a password."""

from __future__ import annotations

from ivorygrpc.client.base import ClientBase
from ivorygrpc.v1 import auth_service_pb2 as pb
from ivorygrpc.v1 import user_pb2


class AuthOperations(ClientBase):
    """Log in once; the token then travels on every call of this client."""

    async def login(self, username: str, password: str) -> user_pb2.User:
        """Exchange a username and password for a token (kept by the client)."""
        reply = await self._unary(self._auth.Login,
                                  pb.LoginRequest(username=username, password=password))
        self.token = reply.token
        return reply.user

    async def logout(self) -> None:
        """Revoke this client's token."""
        await self._unary(self._auth.Logout, pb.LogoutRequest())
        self.token = None

    async def current_user(self) -> user_pb2.User:
        """The user of the token."""
        reply = await self._unary(self._auth.GetCurrentUser, pb.GetCurrentUserRequest())
        return reply.user

    async def change_password(self, old_password: str, new_password: str) -> None:
        """Change the caller's own password; other tokens of the user are revoked."""
        await self._unary(self._auth.ChangePassword, pb.ChangePasswordRequest(
            old_password=old_password, new_password=new_password))

    async def reset_password(self, username: str, new_password: str) -> None:
        """Set another user's password (admins); all of that user's tokens are revoked."""
        await self._unary(self._auth.ResetPassword, pb.ResetPasswordRequest(
            username=username, new_password=new_password))
