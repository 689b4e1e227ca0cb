"""`SyncClient`: the same operations as `Client`, blocking.

The async client runs on a private event loop in a daemon thread (see
`portal.py`); each method here waits for its async twin, so signatures,
docstrings and errors are the same. Safe in Jupyter (the notebook's own loop
is never touched).

    with SyncClient.connect("localhost:50051", username="admin", password="...") as client:
        print(client.list_instruments())
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

from ivorygrpc.client.client import Client
from ivorygrpc.client.portal import Portal
from ivorygrpc.client.proxy import Deck
from ivorygrpc.v1 import run_pb2

P = ParamSpec("P")
T = TypeVar("T")


def _blocking(method: Callable[Concatenate[Client, P], Coroutine[Any, Any, T]],
              ) -> Callable[Concatenate[SyncClient, P], T]:
    @functools.wraps(method)
    def call(self: SyncClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._portal.run(method(self._client, *args, **kwargs))
    return call


def _iterating(method: Callable[Concatenate[Client, P], AsyncIterator[T]],
               ) -> Callable[Concatenate[SyncClient, P], Iterator[T]]:
    @functools.wraps(method)
    def call(self: SyncClient, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        return self._portal.iterate(method(self._client, *args, **kwargs))
    return call


class SyncClient:
    """A blocking client of every ivorygrpc service, plus the typed deck proxy."""

    def __init__(self, client: Client, portal: Portal) -> None:
        self._client = client
        self._portal = portal

    @classmethod
    def connect(cls, target: str, *, token: str | None = None, username: str | None = None,
                password: str | None = None, tls: bool = False,
                root_certificates: bytes | None = None, private_key: bytes | None = None,
                certificate_chain: bytes | None = None, timeout: float | None = 60.0,
                options: Sequence[tuple[str, Any]] = ()) -> SyncClient:
        """Open a channel to `target` and log in (see `Client.connect`)."""
        portal = Portal()
        try:
            client = portal.run(Client.connect(
                target, token=token, username=username, password=password, tls=tls,
                root_certificates=root_certificates, private_key=private_key,
                certificate_chain=certificate_chain, timeout=timeout, options=options))
        except BaseException:
            portal.close()
            raise
        return cls(client, portal)

    @property
    def token(self) -> str | None:
        """The bearer token sent on every call."""
        return self._client.token

    @property
    def target(self) -> str:
        return self._client.target

    def deck(self, *, override_busy: bool = False) -> Deck:
        """The typed deck proxy with blocking methods."""
        return Deck(self, self._portal.run(self._client.schema()), override_busy=override_busy)

    def close(self) -> None:
        """Close the channel and stop the client's thread (idempotent)."""
        try:
            self._portal.run(self._client.close())
        except RuntimeError:  # already closed
            pass
        self._portal.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    login = _blocking(Client.login)
    logout = _blocking(Client.logout)
    current_user = _blocking(Client.current_user)
    change_password = _blocking(Client.change_password)
    reset_password = _blocking(Client.reset_password)

    list_instruments = _blocking(Client.list_instruments)
    get_instrument = _blocking(Client.get_instrument)
    call = _blocking(Client.call)
    list_calls = _blocking(Client.list_calls)
    get_call = _blocking(Client.get_call)
    export_schema = _blocking(Client.export_schema)
    schema = _blocking(Client.schema)

    list_workflows = _blocking(Client.list_workflows)
    get_workflow = _blocking(Client.get_workflow)
    create_workflow = _blocking(Client.create_workflow)
    update_workflow = _blocking(Client.update_workflow)
    save_workflow = _blocking(Client.save_workflow)
    delete_workflow = _blocking(Client.delete_workflow)
    validate_workflow = _blocking(Client.validate_workflow)
    run_parameters = _blocking(Client.run_parameters)
    list_workflow_versions = _blocking(Client.list_workflow_versions)
    finalize_workflow = _blocking(Client.finalize_workflow)
    copy_workflow = _blocking(Client.copy_workflow)
    render_python = _blocking(Client.render_python)
    import_workflow = _blocking(Client.import_workflow)

    create_run = _blocking(Client.create_run)
    list_runs = _blocking(Client.list_runs)
    queue = _blocking(Client.queue)
    last_run = _blocking(Client.last_run)
    get_run = _blocking(Client.get_run)
    execution_status = _blocking(Client.execution_status)
    pause_run = _blocking(Client.pause_run)
    resume_run = _blocking(Client.resume_run)
    stop_run = _blocking(Client.stop_run)
    retry_step = _blocking(Client.retry_step)
    skip_step = _blocking(Client.skip_step)
    answer_prompt = _blocking(Client.answer_prompt)
    cancel_run = _blocking(Client.cancel_run)
    move_run = _blocking(Client.move_run)
    rename_run = _blocking(Client.rename_run)
    delete_run = _blocking(Client.delete_run)
    pause_queue = _blocking(Client.pause_queue)
    resume_queue = _blocking(Client.resume_queue)
    export_run_data = _blocking(Client.export_run_data)
    run_log = _blocking(Client.run_log)

    list_optimizers = _blocking(Client.list_optimizers)
    parameter_space = _blocking(Client.parameter_space)
    get_campaign = _blocking(Client.get_campaign)
    list_campaigns = _blocking(Client.list_campaigns)
    create_campaign = _blocking(Client.create_campaign)
    suggest_trials = _blocking(Client.suggest_trials)
    report_trials = _blocking(Client.report_trials)
    delete_campaign = _blocking(Client.delete_campaign)

    events = _iterating(Client.events)
    follow_run = _iterating(Client.follow_run)

    def wait_for_run(self, run_id: str, *,
                     on_event: Callable[[run_pb2.RunEvent], object] | None = None,
                     timeout: float | None = None) -> run_pb2.Run:
        """Wait until the run finishes; its full record. `on_event` runs on this thread.

        `timeout` (seconds) raises `TimeoutError`; the run goes on.
        """
        if on_event is None:
            return self._portal.run(self._client.wait_for_run(run_id, timeout=timeout))
        deadline = None if timeout is None else time.monotonic() + timeout
        events = self._client.follow_run(run_id)
        try:
            while True:
                left = None if deadline is None else max(deadline - time.monotonic(), 0)
                try:
                    event = self._portal.run(asyncio.wait_for(anext(events), left))
                except StopAsyncIteration:
                    break
                on_event(event)
        finally:
            self._portal.run(events.aclose())
        return self.get_run(run_id, full=True)
