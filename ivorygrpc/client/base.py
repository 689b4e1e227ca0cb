"""What every part of the client shares: the channel, the token, the stubs, error mapping."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

import grpc

from ivorygrpc.client.errors import from_rpc_error
from ivorygrpc.v1 import (
    auth_service_pb2_grpc,
    campaign_service_pb2_grpc,
    control_service_pb2_grpc,
    design_service_pb2_grpc,
    execute_service_pb2_grpc,
)

Metadata = tuple[tuple[str, str], ...]
REQUEST_ID_HEADER = "ivorygrpc-request-id"
OVERRIDE_BUSY_HEADER = "ivorygrpc-override-busy"
DEFAULT_PAGE_SIZE = 200

ResponseT = TypeVar("ResponseT")


def new_request_id() -> str:
    """A fresh idempotency key."""
    return uuid.uuid4().hex


class ClientBase:
    """A grpc.aio channel, the bearer token sent on every call, and the static stubs."""

    def __init__(self, channel: grpc.aio.Channel, *, token: str | None = None,
                 timeout: float | None = 60.0) -> None:
        self.channel = channel
        self.token = token
        self.timeout = timeout
        self._auth = auth_service_pb2_grpc.AuthServiceStub(channel)
        self._control = control_service_pb2_grpc.ControlServiceStub(channel)
        self._design = design_service_pb2_grpc.DesignServiceStub(channel)
        self._execute = execute_service_pb2_grpc.ExecuteServiceStub(channel)
        self._campaigns = campaign_service_pb2_grpc.CampaignServiceStub(channel)

    def metadata(self, extra: Sequence[tuple[str, str]] = ()) -> Metadata:
        """The metadata of a call: the token (when logged in) and `extra`."""
        auth = (("authorization", f"Bearer {self.token}"),) if self.token else ()
        return (*auth, *extra)

    async def _unary(self, method: Callable[..., Awaitable[ResponseT]], request: Any,
                     *, extra: Sequence[tuple[str, str]] = (),
                     timeout: float | None = None) -> ResponseT:
        """One unary call; a failure raises the typed `IvorygrpcError`."""
        try:
            return await method(request, metadata=self.metadata(extra),
                                timeout=timeout if timeout is not None else self.timeout)
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None

    async def _pages(self, method: Callable[..., Awaitable[Any]], request: Any, items: str,
                     limit: int | None) -> AsyncIterator[Any]:
        """Every item of a List rpc, page after page, at most `limit` of them."""
        count = 0
        request.page_size = min(limit, DEFAULT_PAGE_SIZE) if limit else DEFAULT_PAGE_SIZE
        while True:
            reply = await self._unary(method, request)
            for item in getattr(reply, items):
                if limit is not None and count >= limit:
                    return
                count += 1
                yield item
            if not reply.next_page_token or (limit is not None and count >= limit):
                return
            request.page_token = reply.next_page_token

    async def _collect(self, method: Callable[..., Awaitable[Any]], request: Any, items: str,
                       limit: int | None) -> list[Any]:
        return [item async for item in self._pages(method, request, items, limit)]
