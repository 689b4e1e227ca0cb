"""`Client`: the async client of an ivorygrpc server (grpc.aio).

    async with await Client.connect("localhost:50051", username="admin",
                                    password="...") as client:
        lab = await client.deck()
        print(await lab.pump.dispense(volume_ml=1.5))
        run = await client.create_run("dose", rows=[{"volume": 1.5}])
        async for event in client.follow_run(run.id):
            print(event.WhichOneof("kind"))
        print(await client.export_run_data(run.id))

Every failed call raises a typed `ivorygrpc.client.errors.IvorygrpcError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc

from ivorygrpc.client.auth import AuthOperations
from ivorygrpc.client.campaigns import CampaignOperations
from ivorygrpc.client.control import ControlOperations
from ivorygrpc.client.design import DesignOperations
from ivorygrpc.client.events import EventOperations
from ivorygrpc.client.proxy import AsyncDeck
from ivorygrpc.client.reflection import RemoteSchema, read_schema
from ivorygrpc.client.runs import RunOperations

# Reconnect soon after the server comes back (gRPC's default backoff grows to 2 minutes).
RECONNECT_OPTIONS = [("grpc.initial_reconnect_backoff_ms", 200),
                     ("grpc.min_reconnect_backoff_ms", 200),
                     ("grpc.max_reconnect_backoff_ms", 5000)]


def channel_credentials(*, tls: bool, root_certificates: bytes | None = None,
                        private_key: bytes | None = None,
                        certificate_chain: bytes | None = None,
                        ) -> grpc.ChannelCredentials | None:
    """TLS credentials (mutual TLS with a key and chain), or None for plaintext.

    TLS is on when `tls` is set or any certificate is given; without
    `root_certificates` the system's trust store is used.
    """
    if not (tls or root_certificates or private_key or certificate_chain):
        return None
    return grpc.ssl_channel_credentials(root_certificates=root_certificates,
                                        private_key=private_key,
                                        certificate_chain=certificate_chain)


class Client(AuthOperations, ControlOperations, DesignOperations, RunOperations,
             EventOperations, CampaignOperations):
    """An async client of every ivorygrpc service, plus the typed deck proxy."""

    def __init__(self, channel: grpc.aio.Channel, *, token: str | None = None,
                 timeout: float | None = 60.0, target: str = "") -> None:
        super().__init__(channel, token=token, timeout=timeout)
        self.target = target

    @classmethod
    async def connect(cls, target: str, *, token: str | None = None,
                      username: str | None = None, password: str | None = None,
                      tls: bool = False, root_certificates: bytes | None = None,
                      private_key: bytes | None = None, certificate_chain: bytes | None = None,
                      timeout: float | None = 60.0,
                      options: Sequence[tuple[str, Any]] = ()) -> Client:
        """Open a channel to `target` (`host:port`) and log in with a token or a password.

        The channel connects lazily: with a token (or none) nothing is sent before
        the first call. `timeout` is the default deadline of each unary call, in seconds.
        `options` are gRPC channel options, e.g. `("grpc.ssl_target_name_override", ...)`.
        """
        creds = channel_credentials(tls=tls, root_certificates=root_certificates,
                                    private_key=private_key,
                                    certificate_chain=certificate_chain)
        merged = [*RECONNECT_OPTIONS, *options]
        channel = (grpc.aio.secure_channel(target, creds, options=merged) if creds
                   else grpc.aio.insecure_channel(target, options=merged))
        client = cls(channel, token=token, timeout=timeout, target=target)
        if username is not None:
            try:
                await client.login(username, password or "")
            except BaseException:
                await client.close()
                raise
        return client

    async def schema(self) -> RemoteSchema:
        """The server's whole schema, read through reflection."""
        return await read_schema(self.channel, timeout=self.timeout)

    async def deck(self, *, override_busy: bool = False) -> AsyncDeck:
        """The typed deck proxy (coroutine methods); `override_busy` calls during runs."""
        return AsyncDeck(self, await self.schema(), override_busy=override_busy)

    async def close(self) -> None:
        """Close the channel."""
        await self.channel.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
