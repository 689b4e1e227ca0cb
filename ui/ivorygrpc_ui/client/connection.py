"""One logged-in user's connection to an ivorygrpc server.

A `Connection` holds its own `grpc.aio` channel, the user's bearer token and one stub per
static service (`auth`, `control`, `design`, `execute`). Client functions call the stubs
with ``metadata=connection.metadata()`` (the token travels per call, so no interceptors are
needed) and are decorated with `rpc_errors`, which turns failures into `UiError`::

    @rpc_errors
    async def get_workflow(conn: Connection, name: str) -> workflow_pb2.Workflow:
        reply = await conn.design.GetWorkflow(pb.GetWorkflowRequest(name=name),
                                              metadata=conn.metadata())
        return reply.workflow

`login` exchanges a password for a token; `resume` re-opens a connection from a stored
token (and fails with `UiError` code ``UNAUTHENTICATED`` when it no longer works). Both take
a `ServerTarget` (address, and TLS with optional root certificates) or a plain address.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc

from ivorygrpc.v1 import auth_service_pb2 as auth_pb
from ivorygrpc.v1 import auth_service_pb2_grpc as auth_grpc
from ivorygrpc.v1 import control_service_pb2_grpc as control_grpc
from ivorygrpc.v1 import design_service_pb2_grpc as design_grpc
from ivorygrpc.v1 import execute_service_pb2_grpc as execute_grpc
from ivorygrpc.v1 import user_pb2
from ivorygrpc_ui.client.errors import UiError, rpc_errors, ui_error

__all__ = ["Connection", "Role", "ServerTarget", "UiError", "login", "resume", "rpc_errors"]


class Role(enum.IntEnum):
    """A user's role; higher includes lower (the values of `ivorygrpc.v1.Role`)."""

    VIEWER = user_pb2.ROLE_VIEWER
    OPERATOR = user_pb2.ROLE_OPERATOR
    ADMIN = user_pb2.ROLE_ADMIN

    @classmethod
    def of(cls, value: int) -> Role:
        """The role of a proto `Role` number (VIEWER for an unknown one)."""
        try:
            return cls(value)
        except ValueError:
            return cls.VIEWER

    @property
    def label(self) -> str:
        """The role name for display: ``viewer``, ``operator`` or ``admin``."""
        return self.name.lower()


@dataclass(frozen=True)
class ServerTarget:
    """Where the server listens and how to reach it.

    :param address: ``host:port``
    :param tls: connect with TLS (plaintext otherwise)
    :param root_certificates: PEM CA bundle for TLS; the system's roots when None
    """

    address: str
    tls: bool = False
    root_certificates: bytes | None = None

    def open_channel(self) -> grpc.aio.Channel:
        """A new channel to the server."""
        if self.tls:
            credentials = grpc.ssl_channel_credentials(root_certificates=self.root_certificates)
            return grpc.aio.secure_channel(self.address, credentials)
        return grpc.aio.insecure_channel(self.address)


def _target(server: ServerTarget | str) -> ServerTarget:
    return server if isinstance(server, ServerTarget) else ServerTarget(server)


class Connection:
    """A user's channel, token and stubs.

    :param target: the server
    :param username: the logged-in user
    :param role: the user's role at login (or resume)
    :param token: the bearer token
    :param channel: the channel the stubs use; `close` closes it
    """

    def __init__(self, target: ServerTarget, username: str, role: Role, token: str,
                 channel: grpc.aio.Channel) -> None:
        self.target = target
        self.address = target.address
        self.username = username
        self.role = role
        self.token = token
        self.channel = channel
        self.auth = auth_grpc.AuthServiceStub(channel)
        self.control = control_grpc.ControlServiceStub(channel)
        self.design = design_grpc.DesignServiceStub(channel)
        self.execute = execute_grpc.ExecuteServiceStub(channel)

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The call metadata carrying the bearer token."""
        return (("authorization", f"Bearer {self.token}"),)

    def allows(self, role: Role) -> bool:
        """True when the user's role is `role` or higher."""
        return self.role >= role

    async def close(self) -> None:
        """Close the channel (the token stays valid; see `client.auth.logout`)."""
        await self.channel.close()


@contextlib.asynccontextmanager
async def _closed_on_failure(channel: grpc.aio.Channel) -> AsyncIterator[None]:
    """Close `channel` when the block fails; a failed call becomes a `UiError`."""
    try:
        yield
    except grpc.aio.AioRpcError as exc:
        await channel.close()
        raise ui_error(exc) from None
    except BaseException:
        await channel.close()
        raise


async def login(server: ServerTarget | str, username: str, password: str) -> Connection:
    """Log in with a password; raises `UiError` (``UNAUTHENTICATED``) when refused."""
    target = _target(server)
    channel = target.open_channel()
    async with _closed_on_failure(channel):
        reply = await auth_grpc.AuthServiceStub(channel).Login(
            auth_pb.LoginRequest(username=username, password=password))
    return Connection(target, reply.user.username, Role.of(reply.user.role), reply.token,
                      channel)


async def resume(server: ServerTarget | str, token: str) -> Connection:
    """A connection from a stored token, with the user's current name and role."""
    target = _target(server)
    channel = target.open_channel()
    connection = Connection(target, "", Role.VIEWER, token, channel)
    async with _closed_on_failure(channel):
        reply = await connection.auth.GetCurrentUser(auth_pb.GetCurrentUserRequest(),
                                                     metadata=connection.metadata())
    connection.username = reply.user.username
    connection.role = Role.of(reply.user.role)
    return connection
