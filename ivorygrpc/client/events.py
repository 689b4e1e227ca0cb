"""Following run events: a resumable stream, and waiting for a run to finish.

`StreamRunEvents` replays stored events after a sequence and then follows
live ones. When the stream drops (network trouble, a server restart, a
consumer that fell too far behind) the iterator reconnects with
`after_sequence` = the last event it yielded, so the caller sees every event
once, in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable

import grpc

from ivorygrpc.client.base import ClientBase
from ivorygrpc.client.errors import from_rpc_error
from ivorygrpc.v1 import execute_service_pb2 as pb
from ivorygrpc.v1 import run_pb2

_RESUMABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED}
_BACKOFF_START, _BACKOFF_MAX = 0.1, 5.0


class EventOperations(ClientBase):
    """Run events, resumed across dropped streams."""

    reconnect_attempts = 10  # consecutive failed reconnects before giving up

    async def events(self, run_id: str = "", *, after_sequence: int = 0,
                     until_finished: bool = False, heartbeats: bool = False,
                     ) -> AsyncGenerator[run_pb2.RunEvent, None]:
        """Every event (of one run, or all) after `after_sequence`, then live ones.

        With `until_finished` (and a `run_id`) it ends after the run's final state
        change. Heartbeats are skipped unless `heartbeats`. Reconnects after a dropped
        stream; raises the typed error after `reconnect_attempts` failures in a row.
        """
        last = after_sequence
        failures = 0
        while True:
            request = pb.StreamRunEventsRequest(run_id=run_id, after_sequence=last,
                                                until_finished=until_finished)
            call = self._execute.StreamRunEvents(request, metadata=self.metadata())
            try:
                async for reply in call:
                    failures = 0
                    event = reply.event
                    if event.WhichOneof("kind") == "heartbeat":
                        if heartbeats:
                            yield event
                        continue
                    last = event.sequence
                    yield event
                return
            except grpc.RpcError as exc:
                error = from_rpc_error(exc)
                if error.code not in _RESUMABLE or failures >= self.reconnect_attempts:
                    raise error from None
                if error.code is grpc.StatusCode.RESOURCE_EXHAUSTED and (
                        error.reason != "STREAM_TOO_SLOW"):
                    raise error from None
                failures += 1
                await asyncio.sleep(min(_BACKOFF_START * 2 ** (failures - 1), _BACKOFF_MAX))
            finally:
                call.cancel()

    async def follow_run(self, run_id: str, *, after_sequence: int = 0,
                         ) -> AsyncGenerator[run_pb2.RunEvent, None]:
        """The events of one run (stored, then live) until it finishes."""
        async for event in self.events(run_id, after_sequence=after_sequence,
                                       until_finished=True):
            yield event

    async def wait_for_run(self, run_id: str, *,
                           on_event: Callable[[run_pb2.RunEvent], object] | None = None,
                           timeout: float | None = None) -> run_pb2.Run:
        """Wait until the run finishes (calling `on_event` for each event); its full record.

        `timeout` (seconds) raises `TimeoutError`; the run goes on.
        """
        async def follow() -> None:
            async for event in self.follow_run(run_id):
                if on_event is not None:
                    on_event(event)

        await asyncio.wait_for(follow(), timeout)
        reply = await self._unary(self._execute.GetRun, pb.GetRunRequest(
            run_id=run_id, view=pb.RUN_VIEW_FULL))
        return reply.run
