"""Remote instruments: another ivorygrpc server's instrument served as one of ours.

    balance = ivorygrpc.remote("lab-b:50051", "balance", token=os.environ["LAB_B_TOKEN"])

in lab A's deck reads lab B's `balance` through server reflection while the
deck loads (blocking, failing loudly when B cannot be reached), rebuilds its
model from B's descriptors (the same code as offline design) and forwards
every call to B's typed rpc with a deadline. B stays the owner: it
serialises the calls, applies its busy rules and records them; A records
them too, like any call. A lost connection is `RemoteUnavailable`
(UNAVAILABLE, reason `REMOTE_UNAVAILABLE`): a run step fails with it and a
retry reconnects.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, message

from ivorygrpc.client.errors import from_rpc_error
from ivorygrpc.client.reflection import ReflectionError, read_schema_blocking
from ivorygrpc.deck.decode import Invalid, from_message_field
from ivorygrpc.deck.encode import ResultMismatch, set_field
from ivorygrpc.deck.model import InstrumentSpec, OperationSpec, ReturnKind
from ivorygrpc.deck.offline import offline_deck
from ivorygrpc.errors import DeckError, FailedPrecondition, Unavailable
from ivorygrpc.v1 import control_service_pb2, control_service_pb2_grpc

DEFAULT_DEADLINE_S = 60.0
DEFAULT_CONNECT_TIMEOUT_S = 10.0
# After a failure the next call opens a new channel; its own subchannel pool makes
# it connect at once instead of inheriting the old connection's backoff (which
# grows to 2 min by default), so a retry works as soon as the remote is back.
_CHANNEL_OPTIONS = [("grpc.use_local_subchannel_pool", 1),
                    ("grpc.initial_reconnect_backoff_ms", 200),
                    ("grpc.min_reconnect_backoff_ms", 200),
                    ("grpc.max_reconnect_backoff_ms", 2000)]
_REFUSED = {grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.UNAUTHENTICATED,
            grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.RESOURCE_EXHAUSTED,
            grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNIMPLEMENTED}


class RemoteUnavailable(Unavailable):
    """The remote server did not answer (down, unreachable, or past the deadline)."""


class RemoteRefused(FailedPrecondition):
    """The remote server refused the call (busy, token expired, ...): `REMOTE_<its reason>`."""


class RemoteInstrumentError(Exception):
    """The remote instrument's method raised (or the remote server failed otherwise)."""


@dataclasses.dataclass(frozen=True)
class Tls:
    """TLS to the remote server: a CA bundle (system roots when None) and an optional
    client certificate for mutual TLS."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    def credentials(self) -> grpc.ChannelCredentials:
        def read(path: Path | None) -> bytes | None:
            return path.read_bytes() if path is not None else None

        return grpc.ssl_channel_credentials(read(self.ca_file), read(self.key_file),
                                            read(self.cert_file))


class RemoteInstrument:
    """An instrument of another ivorygrpc server; create it with `ivorygrpc.remote`."""

    def __init__(self, target: str, instrument: str, *, token: str | None, tls: Tls | None,
                 deadline: float, connect_timeout: float) -> None:
        self.target = target
        self.instrument = instrument
        self.deadline = deadline
        self._token = token
        self._tls = tls
        self._channel: grpc.aio.Channel | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._file = self._fetch(connect_timeout)
        # Two copies of the model: `model()` is renamed and renumbered by the local
        # schema; this one keeps the remote enum numbers for encoding requests.
        self.spec: InstrumentSpec = offline_deck(instrument, [self._file]).instruments[0]
        self._service = self.spec.service_full_name

    def __repr__(self) -> str:
        return f"RemoteInstrument({self.target!r}, {self.instrument!r})"

    # -- loading ------------------------------------------------------------------------------

    def _sync_channel(self) -> grpc.Channel:
        if self._tls is not None:
            return grpc.secure_channel(self.target, self._tls.credentials())
        return grpc.insecure_channel(self.target)

    def _fetch(self, timeout: float) -> descriptor_pb2.FileDescriptorProto:
        """The instrument's file from the remote schema; checks the token too."""
        name = f"ivorygrpc/deck/{self.instrument}/v1/{self.instrument}.proto"
        channel = self._sync_channel()
        try:
            grpc.channel_ready_future(channel).result(timeout=timeout)
            schema = read_schema_blocking(channel, timeout=timeout)
            if name in schema.files:
                self._check_token(channel, timeout)
        except grpc.FutureTimeoutError:
            raise DeckError(f"remote instrument {self.instrument!r}: {self.target} did not "
                            f"answer within {timeout:g} s") from None
        except (grpc.RpcError, ReflectionError) as exc:
            raise DeckError(f"remote instrument {self.instrument!r}: reading the schema of "
                            f"{self.target} failed: {exc}") from None
        finally:
            channel.close()
        file = schema.files.get(name)
        if file is None:
            served = sorted(s.full_name.split(".")[2] for s in schema.deck_services())
            raise DeckError(f"remote instrument {self.instrument!r}: {self.target} serves no "
                            f"such instrument (it serves: {', '.join(served) or 'none'})")
        self._classes = {m.name: schema.message_class(f"{file.package}.{m.name}")
                         for m in file.message_type}
        return file

    def _check_token(self, channel: grpc.Channel, timeout: float) -> None:
        """Refuse to start with a token the remote server does not accept."""
        stub = control_service_pb2_grpc.ControlServiceStub(channel)
        try:
            stub.GetInstrument(control_service_pb2.GetInstrumentRequest(name=self.instrument),
                               metadata=tuple(self._metadata()), timeout=timeout)
        except grpc.RpcError as exc:
            if exc.code() in (grpc.StatusCode.UNAUTHENTICATED,
                              grpc.StatusCode.PERMISSION_DENIED):
                raise DeckError(f"remote instrument {self.instrument!r}: {self.target} refused "
                                f"the token: {exc.details()}") from None
            raise

    def model(self, name: str) -> InstrumentSpec:
        """The model served locally as `name` (the deck variable), documented as remote."""
        fresh = offline_deck(self.instrument, [self._file]).instruments[0]
        doc = f"{fresh.doc}\n\nServed by {self.target} (instrument {self.instrument!r})."
        return dataclasses.replace(fresh, name=name, class_name=f"remote:{self.instrument}",
                                   doc=doc.strip())

    def targets(self) -> dict[str, Callable[..., Any]]:
        """The forwarding callable of every operation, by operation name."""
        return {op.name: self._forwarder(op) for op in self.spec.operations}

    # -- calls --------------------------------------------------------------------------------

    def _aio_channel(self) -> grpc.aio.Channel:
        loop = asyncio.get_running_loop()
        if self._channel is None or self._loop is not loop:
            if self._tls is not None:
                self._channel = grpc.aio.secure_channel(self.target, self._tls.credentials(),
                                                        options=_CHANNEL_OPTIONS)
            else:
                self._channel = grpc.aio.insecure_channel(self.target, options=_CHANNEL_OPTIONS)
            self._loop = loop
        return self._channel

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self._token}"),) if self._token else ()

    def _forwarder(self, op: OperationSpec) -> Callable[..., Any]:
        request_cls = self._classes[f"{op.rpc}Request"]
        response_cls = self._classes[f"{op.rpc}Response"]
        method = f"/{self._service}/{op.rpc}"
        names = [p.name for p in op.params]
        params = {p.name: p for p in op.params}

        async def forward(*args: Any, **kwargs: Any) -> Any:
            request = request_cls()
            for name, value in [*zip(names, args, strict=False), *kwargs.items()]:
                try:
                    set_field(request, name, value, params[name].type)
                except ResultMismatch as exc:  # our own codec already converted it
                    raise RemoteInstrumentError(f"cannot forward {name}: {exc}") from None
            call = self._aio_channel().unary_unary(
                method, request_serializer=request_cls.SerializeToString,
                response_deserializer=response_cls.FromString)
            try:
                response = await call(request, metadata=self._metadata(), timeout=self.deadline)
            except grpc.aio.AioRpcError as exc:
                raise self._error(op, exc) from None
            return _result(op, response)

        forward.__name__ = op.python_name
        forward.__doc__ = op.doc
        return forward

    def _error(self, op: OperationSpec, exc: grpc.aio.AioRpcError) -> Exception:
        code = exc.code()
        where = f"{self.target} ({self.instrument}.{op.name})"
        remote_error = from_rpc_error(exc)  # its reason is the code's name without ErrorInfo
        meta = {"target": self.target, "instrument": self.instrument, "method": op.name}
        if code is grpc.StatusCode.DEADLINE_EXCEEDED:
            return RemoteUnavailable(f"remote {where} did not answer within {self.deadline:g} s "
                                     "(the call may still run there)",
                                     reason="REMOTE_DEADLINE_EXCEEDED", metadata=meta)
        if code is grpc.StatusCode.UNAVAILABLE:
            self._drop_channel()
            return RemoteUnavailable(f"remote {where} is unavailable: {exc.details()}",
                                     reason="REMOTE_UNAVAILABLE", metadata=meta)
        if code in _REFUSED:
            return RemoteRefused(f"remote {where} refused the call: {exc.details()}",
                                 reason=f"REMOTE_{remote_error.reason}", metadata=meta)
        if "exception_type" in remote_error.metadata:
            return RemoteInstrumentError(f"{remote_error.metadata['exception_type']}: "
                                         f"{remote_error.metadata.get('exception_message', '')} "
                                         f"(on {where})")
        return RemoteInstrumentError(f"{code.name}: {exc.details()} (on {where})")

    def _drop_channel(self) -> None:
        """Forget the connection; the next call opens a new one."""
        channel, self._channel = self._channel, None
        if channel is not None:
            task = asyncio.get_running_loop().create_task(channel.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        """Close the connection (a later call opens a new one)."""
        channel, self._channel = self._channel, None
        if channel is not None:
            await channel.close()


def _result(op: OperationSpec, response: message.Message) -> Any:
    """The Python value of a response, as the remote method returned it."""
    returns = op.returns
    try:
        if returns.kind is ReturnKind.NONE:
            return None
        if returns.kind is ReturnKind.TUPLE:
            return tuple(_field(response, f.name, f.type) for f in returns.fields)
        if returns.kind is ReturnKind.RECORD:
            return {f.name: _field(response, f.name, f.type) for f in returns.fields}
        return _field(response, "result", returns.fields[0].type)
    except Invalid as exc:
        raise RemoteInstrumentError(f"the remote answer does not fit: {exc}") from None


def _field(msg: message.Message, name: str, t: Any) -> Any:
    if not t.repeated and t.nullable and not msg.HasField(name):
        return None
    return from_message_field(msg, name, t)


def remote(target: str, instrument: str, *, token: str | None = None,
           tls: bool = False, ca_file: str | Path | None = None,
           cert_file: str | Path | None = None, key_file: str | Path | None = None,
           deadline: float = DEFAULT_DEADLINE_S,
           connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S) -> RemoteInstrument:
    """Serve `instrument` of the ivorygrpc server at `target` as an instrument of this deck.

    Reads the remote schema now (at most `connect_timeout` seconds; a DeckError
    when the server cannot be reached or has no such instrument). Every call
    is forwarded with `token` and fails after `deadline` seconds. `tls=True`
    (implied by `ca_file`, `cert_file`/`key_file`) connects with TLS, with
    system roots unless `ca_file` names a CA bundle.
    """
    wants_tls = tls or any(p is not None for p in (ca_file, cert_file, key_file))
    settings = None
    if wants_tls:
        settings = Tls(*(Path(p) if p is not None else None
                         for p in (ca_file, cert_file, key_file)))
    return RemoteInstrument(target, instrument, token=token, tls=settings, deadline=deadline,
                            connect_timeout=connect_timeout)


__all__ = ["RemoteInstrument", "RemoteInstrumentError", "RemoteRefused", "RemoteUnavailable",
           "remote"]
