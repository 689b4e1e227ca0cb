"""The Python client of ivorygrpc: typed operations and a dynamic deck proxy.

    import ivorygrpc

    lab = ivorygrpc.connect("localhost:50051", username="admin", password="...")
    lab.pump.dispense(volume_ml=1.5)          # typed, from server reflection
    lab.client.list_runs()                    # every other operation (SyncClient)

    client = await ivorygrpc.Client.connect("localhost:50051", token=token)
    lab = await client.deck()                 # the async flavour

A client: it imports only the generated `ivorygrpc.v1` stubs, grpc and
protobuf, never the server's modules (an import-linter contract checks it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ivorygrpc.client.client import Client
from ivorygrpc.client.control import CallResult
from ivorygrpc.client.errors import IvorygrpcError
from ivorygrpc.client.proxy import AsyncDeck, Deck
from ivorygrpc.client.sync import SyncClient

__all__ = ["AsyncDeck", "CallResult", "Client", "Deck", "IvorygrpcError", "SyncClient",
           "connect", "connect_async"]


def connect(target: str, *, token: str | None = None, username: str | None = None,
            password: str | None = None, tls: bool = False,
            root_certificates: bytes | None = None, private_key: bytes | None = None,
            certificate_chain: bytes | None = None, timeout: float | None = 60.0,
            override_busy: bool = False, options: Sequence[tuple[str, Any]] = ()) -> Deck:
    """Connect, log in (token, or username and password) and return the blocking deck.

    `lab.<instrument>.<method>(...)` calls instruments; `lab.client` is the
    `SyncClient` for workflows, runs and records; `lab.close()` closes both.
    """
    client = SyncClient.connect(target, token=token, username=username, password=password,
                                tls=tls, root_certificates=root_certificates,
                                private_key=private_key, certificate_chain=certificate_chain,
                                timeout=timeout, options=options)
    try:
        return client.deck(override_busy=override_busy)
    except BaseException:
        client.close()
        raise


async def connect_async(target: str, *, token: str | None = None,
                        username: str | None = None, password: str | None = None,
                        tls: bool = False, root_certificates: bytes | None = None,
                        private_key: bytes | None = None,
                        certificate_chain: bytes | None = None, timeout: float | None = 60.0,
                        override_busy: bool = False,
                        options: Sequence[tuple[str, Any]] = ()) -> AsyncDeck:
    """The async twin of `connect`: `await lab.pump.dispense(...)`; `lab.client` is a `Client`."""
    client = await Client.connect(target, token=token, username=username, password=password,
                                  tls=tls, root_certificates=root_certificates,
                                  private_key=private_key, certificate_chain=certificate_chain,
                                  timeout=timeout, options=options)
    try:
        return await client.deck(override_busy=override_busy)
    except BaseException:
        await client.close()
        raise
