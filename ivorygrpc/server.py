"""Assembly of the grpc.aio server: deck services, the static services, reflection, health."""

from __future__ import annotations

import asyncio
import logging

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer

from ivorygrpc.auth.accounts import Accounts
from ivorygrpc.auth.bootstrap import ensure_admin
from ivorygrpc.config import ServerConfig, server_secret
from ivorygrpc.deck.descriptors import build_deck_files
from ivorygrpc.deck.dispatch import Dispatcher
from ivorygrpc.deck.fieldlock import LOCK_FILE, FieldLock
from ivorygrpc.deck.introspect import Deck, introspect_module
from ivorygrpc.deck.offline import deck_files, offline_deck
from ivorygrpc.deck.report import deck_report
from ivorygrpc.direct_control import DirectControl
from ivorygrpc.errors import DeckError
from ivorygrpc.execution.campaign import CampaignBook
from ivorygrpc.execution.campaign_run import CampaignRuns
from ivorygrpc.execution.events import EventLog
from ivorygrpc.execution.executor import Executor
from ivorygrpc.execution.runner import RunnerDeps
from ivorygrpc.optimize.registry import Registry
from ivorygrpc.paging import PageTokens
from ivorygrpc.schema import Schema, build_schema
from ivorygrpc.services.auth import AuthServicer
from ivorygrpc.services.auth_interceptor import AuthInterceptor
from ivorygrpc.services.campaign import CampaignServicer
from ivorygrpc.services.control import ControlServicer
from ivorygrpc.services.deck import deck_handlers
from ivorygrpc.services.design import DesignServicer
from ivorygrpc.services.execute import ExecuteServicer
from ivorygrpc.services.reflection import add_reflection
from ivorygrpc.store import ACTIVE_RUN_STATES, Store
from ivorygrpc.transport import TransportError, bind
from ivorygrpc.v1 import (
    auth_service_pb2_grpc,
    campaign_service_pb2_grpc,
    control_service_pb2_grpc,
    design_service_pb2_grpc,
    execute_service_pb2_grpc,
)

logger = logging.getLogger(__name__)
SLOW_STOP_NOTICE_S = 1.0  # the active run did not end this fast: say why the stop waits


def build_deck(config: ServerConfig) -> tuple[Deck, Schema]:
    """Introspect the deck and build the schema, numbering fields from the lock file.

    With `config.schema_file` the deck comes from an exported descriptor set
    instead (offline design: no instrument can be called).
    """
    if config.schema_file is not None:
        try:
            data = config.schema_file.read_bytes()
        except OSError as exc:
            raise DeckError(f"cannot read {config.schema_file}: {exc}") from exc
        files = deck_files(data)
        spec = offline_deck(config.schema_file.stem, files)
        return Deck(spec, {}), build_schema(files)
    if config.deck is None:
        raise DeckError("give a deck module or a schema file")
    deck = introspect_module(config.deck, exclude=config.exclude)
    lock = FieldLock(config.data_dir / LOCK_FILE)
    files = build_deck_files(deck.spec, lock)
    lock.save()
    return deck, build_schema(files)


class IvorygrpcServer:
    """A running (or ready) server and the resources it owns."""

    def __init__(self, server: grpc.aio.Server, port: int, *, deck: Deck, schema: Schema,
                 store: Store, dispatcher: Dispatcher, health: HealthServicer,
                 log: EventLog, executor: Executor) -> None:
        self.grpc = server
        self.port = port
        self.deck = deck
        self.schema = schema
        self.store = store
        self.executor = executor
        self._dispatcher = dispatcher
        self._health = health
        self._log = log

    async def start(self) -> None:
        """Start serving."""
        await self.grpc.start()

    async def stop(self, grace: float | None = 5.0) -> None:
        """Refuse new calls, let running ones finish for `grace` seconds, release resources.

        The active run is interrupted (and recorded so) first; event streams end.
        """
        await self._health.enter_graceful_shutdown()
        closing = asyncio.ensure_future(self.executor.close())
        done, _ = await asyncio.wait({closing}, timeout=SLOW_STOP_NOTICE_S)
        if not done:
            logger.warning("waiting for the step in flight to end: an instrument call in a "
                           "worker thread cannot be interrupted (with `ivorygrpc serve`, a "
                           "second SIGINT/SIGTERM exits at once; the next start then marks "
                           "the run interrupted)")
        await closing
        await self._log.close()
        await self.grpc.stop(grace)
        for remote in self.deck.remotes:
            await remote.close()
        await asyncio.to_thread(self._dispatcher.close)
        await asyncio.to_thread(self.store.close)

    async def wait_for_termination(self) -> None:
        """Block until the server stops."""
        await self.grpc.wait_for_termination()


async def create_server(config: ServerConfig) -> tuple[IvorygrpcServer, int]:
    """Build the server for `config` and bind its port (0 picks a free one); not started."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    deck, schema = build_deck(config)
    logger.info("%s", deck_report(deck.spec))
    store = Store.open(config.resolved_database_url() or Store.sqlite_url(config.data_dir))
    try:
        return await _assemble(config, deck, schema, store)
    except BaseException:
        store.close()
        raise


async def _assemble(config: ServerConfig, deck: Deck, schema: Schema,
                    store: Store) -> tuple[IvorygrpcServer, int]:
    interrupted = store.calls.mark_interrupted()
    if interrupted:
        logger.warning("%d direct calls were running when the server stopped", interrupted)
    ensure_admin(store, config.data_dir, config.admin_password)
    accounts = Accounts(store, config.auth)
    dispatcher = Dispatcher(deck.targets)
    control = DirectControl(deck, schema, store, dispatcher)
    tokens = PageTokens(server_secret(config.data_dir))
    log = EventLog(store)
    await log.start()
    registry = Registry.installed()
    campaigns = CampaignBook(store, log, registry)
    executor = Executor(store, log, RunnerDeps(log=log, dispatcher=dispatcher,
                                               codec=control.codec, deck=deck.spec,
                                               notify=config.notify),
                        CampaignRuns(campaigns, store, deck.spec))
    await executor.start()
    abandoned = await asyncio.to_thread(store.campaigns.fail_abandoned, ACTIVE_RUN_STATES)
    if abandoned:
        logger.warning("%d campaign trials of interrupted runs are marked failed", abandoned)
    control.busy = lambda: executor.busy

    limit = config.max_message_bytes
    server = grpc.aio.server(
        interceptors=[AuthInterceptor(accounts)],
        options=[("grpc.max_receive_message_length", limit),
                 ("grpc.max_send_message_length", 4 * limit)])
    auth_service_pb2_grpc.add_AuthServiceServicer_to_server(AuthServicer(accounts, tokens),
                                                            server)
    control_service_pb2_grpc.add_ControlServiceServicer_to_server(
        ControlServicer(control, schema, tokens), server)
    design_service_pb2_grpc.add_DesignServiceServicer_to_server(
        DesignServicer(store, deck.spec, tokens), server)
    execute_service_pb2_grpc.add_ExecuteServiceServicer_to_server(
        ExecuteServicer(executor, log, store, tokens, config.stream_capacity), server)
    campaign_service_pb2_grpc.add_CampaignServiceServicer_to_server(
        CampaignServicer(campaigns, registry, store, deck.spec, tokens), server)
    server.add_generic_rpc_handlers(deck_handlers(control))
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    add_reflection(server, schema)
    for name in ["", *schema.service_names()]:
        await health.set(name, health_pb2.HealthCheckResponse.SERVING)

    try:
        port = bind(server, config)
    except TransportError:
        await log.close()
        dispatcher.close()
        raise
    return IvorygrpcServer(server, port, deck=deck, schema=schema, store=store,
                           dispatcher=dispatcher, health=health, log=log,
                           executor=executor), port
