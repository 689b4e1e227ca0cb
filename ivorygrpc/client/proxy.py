"""The dynamic deck proxy: one object per instrument, one method per rpc.

    lab = await client.deck()                 # async flavour
    total = await lab.pump.dispense(volume_ml=1.5)

    lab = ivorygrpc.connect("localhost:50051", username="admin", password="...")
    total = lab.pump.dispense(volume_ml=1.5)  # sync flavour
    lab.sdl.temperature = 40.0                # properties (sync flavour)

Methods have the deck's real signatures and docstrings (`help(lab.pump.dispense)`).
A property `temperature` is `get_temperature()` / `set_temperature(value)` in both
flavours, and also a Python property in the sync one. Every call carries a fresh
`ivorygrpc-request-id`, so a transport-level retry never acts twice. Instruments
are attributes, and items (`lab["client"]`) for names the deck object itself uses.
"""

from __future__ import annotations

import abc
import types as pytypes
from collections.abc import Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any

from ivorygrpc.client.base import OVERRIDE_BUSY_HEADER, REQUEST_ID_HEADER, new_request_id
from ivorygrpc.client.deck_types import DeckTypes
from ivorygrpc.client.operations import Operation, build_operation, decode, encode
from ivorygrpc.client.reflection import RemoteSchema

if TYPE_CHECKING:
    from ivorygrpc.client.client import Client
    from ivorygrpc.client.sync import SyncClient


class Instrument:
    """Base of the generated instrument classes."""

    def __init__(self, deck: _DeckBase, name: str) -> None:
        self._deck = deck
        self._name = name

    def __repr__(self) -> str:
        return f"<instrument {self._name} of {self._deck._target}>"


class _DeckBase(abc.ABC):
    """Instruments by name (attributes and items) and the deck's Python types."""

    def __init__(self, client: Client, schema: RemoteSchema, *, override_busy: bool) -> None:
        self._client = client
        self._target = getattr(client, "target", "")
        self.schema = schema
        self.override_busy = override_busy
        self._types = DeckTypes(schema)
        self._instruments: dict[str, Instrument] = {}
        self._methods: dict[str, Callable[..., Any]] = {}  # full method -> multicallable
        namespace: dict[str, type] = {}
        for service in schema.deck_services():
            name = service.full_name.split(".")[2]  # ivorygrpc.deck.<name>.v1.<Name>Service
            ops = [build_operation(self._types, m) for m in service.methods]
            cls = self._instrument_class(service.name.removesuffix("Service"),
                                         schema.comment(service.full_name), ops)
            cls.__module__ = service.file.package
            self._instruments[name] = cls(self, name)
        for cls in self._types.classes():
            namespace.setdefault(cls.__name__, cls)
        self.types = pytypes.SimpleNamespace(**namespace)
        """The deck's enums and records by class name, e.g. `lab.types.Solvent.ETHANOL`."""

    @abc.abstractmethod
    def _instrument_class(self, class_name: str, doc: str,
                          ops: list[Operation]) -> type[Instrument]:
        """A class with one method per operation (coroutines or blocking)."""

    @property
    def instruments(self) -> dict[str, Instrument]:
        """The instruments by name, in deck order."""
        return dict(self._instruments)

    def __getattr__(self, name: str) -> Instrument:
        instruments = self.__dict__.get("_instruments", {})
        if name in instruments:
            return instruments[name]  # type: ignore[no-any-return]
        raise AttributeError(f"the deck has no instrument {name!r}; it has: "
                             f"{', '.join(instruments) or 'none'}")

    def __getitem__(self, name: str) -> Instrument:
        return self._instruments[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._instruments)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._instruments})

    async def _call(self, op: Operation, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        request = encode(self._types, op, args, kwargs)
        extra = [(REQUEST_ID_HEADER, new_request_id())]
        if self.override_busy:
            extra.append((OVERRIDE_BUSY_HEADER, "true"))
        method = self._methods.get(op.full_method)
        if method is None:
            method = self._methods[op.full_method] = self._client.channel.unary_unary(
                op.full_method, request_serializer=op.request_class.SerializeToString,
                response_deserializer=op.response_class.FromString)
        response = await self._client._unary(method, request, extra=extra)
        return decode(self._types, op, response)


def _decorate(function: Callable[..., Any], op: Operation, class_name: str) -> None:
    function.__name__ = op.attribute
    function.__qualname__ = f"{class_name}.{op.attribute}"
    function.__doc__ = op.doc
    function.__signature__ = op.signature  # type: ignore[attr-defined]
    function.full_method = op.full_method  # type: ignore[attr-defined]


class AsyncDeck(_DeckBase):
    """The deck with coroutine methods (`await lab.pump.dispense(volume_ml=1.5)`)."""

    def __init__(self, client: Client, schema: RemoteSchema, *,
                 override_busy: bool = False) -> None:
        self.client = client
        super().__init__(client, schema, override_busy=override_busy)

    def _instrument_class(self, class_name: str, doc: str,
                          ops: list[Operation]) -> type[Instrument]:
        namespace: dict[str, Any] = {"__doc__": doc}
        for op in ops:
            namespace[op.attribute] = _async_method(op, class_name)
        return type(class_name, (Instrument,), namespace)

    async def close(self) -> None:
        """Close the underlying client's channel."""
        await self.client.close()

    async def __aenter__(self) -> AsyncDeck:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _async_method(op: Operation, class_name: str) -> Callable[..., Coroutine[Any, Any, Any]]:
    async def method(self: Instrument, *args: Any, **kwargs: Any) -> Any:
        return await self._deck._call(op, args, kwargs)

    _decorate(method, op, class_name)
    return method


class Deck(_DeckBase):
    """The deck with blocking methods (`lab.pump.dispense(volume_ml=1.5)`)."""

    def __init__(self, client: SyncClient, schema: RemoteSchema, *,
                 override_busy: bool = False) -> None:
        self.client = client
        super().__init__(client._client, schema, override_busy=override_busy)

    def _instrument_class(self, class_name: str, doc: str,
                          ops: list[Operation]) -> type[Instrument]:
        namespace: dict[str, Any] = {"__doc__": doc}
        accessors: dict[str, dict[str, Callable[..., Any]]] = {}
        for op in ops:
            namespace[op.attribute] = method = _sync_method(op, class_name)
            if op.property_name:
                accessors.setdefault(op.property_name, {})["set" if op.is_setter else "get"] = (
                    method)
        for name, pair in accessors.items():
            if name not in namespace:
                getter = pair.get("get")
                namespace[name] = property(getter, pair.get("set"),
                                           doc=getter.__doc__ if getter else None)
        return type(class_name, (Instrument,), namespace)

    def _call_blocking(self, op: Operation, args: tuple[Any, ...],
                       kwargs: dict[str, Any]) -> Any:
        return self.client._portal.run(self._call(op, args, kwargs))

    def close(self) -> None:
        """Close the underlying client (its channel and thread)."""
        self.client.close()

    def __enter__(self) -> Deck:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sync_method(op: Operation, class_name: str) -> Callable[..., Any]:
    def method(self: Instrument, *args: Any, **kwargs: Any) -> Any:
        deck = self._deck
        assert isinstance(deck, Deck)
        return deck._call_blocking(op, args, kwargs)

    _decorate(method, op, class_name)
    return method
