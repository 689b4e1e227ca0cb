"""The only module that inspects user objects: deck module -> `Deck`.

Rules (SPEC §2): every public module-level object of a non-builtin class is an
instrument; its public methods and properties are operations; functions
marked with `ivorygrpc.block` are blocks. Whatever cannot be served is listed
in `DeckSpec.skipped` with the reason, never dropped silently.
"""

from __future__ import annotations

import collections.abc
import inspect
import re
import sys
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, UnionType
from typing import Any

from ivorygrpc.annotations import BLOCK_MARKER, Range, Unit
from ivorygrpc.deck.model import (
    MISSING,
    DeckSpec,
    FieldSpec,
    InstrumentSpec,
    Kind,
    OperationKind,
    OperationSpec,
    ParamSpec,
    ReturnKind,
    ReturnSpec,
    Skipped,
    TypeSpec,
    pascal,
)
from ivorygrpc.deck.remote import RemoteInstrument
from ivorygrpc.deck.types import TypeResolver, UnsupportedType, split_annotated, type_text

BLOCKS = "blocks"
_PACKAGE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_STREAMING = (collections.abc.Iterator, collections.abc.Generator, collections.abc.AsyncIterator,
              collections.abc.AsyncGenerator, collections.abc.Iterable)

Target = Callable[..., Any]


@dataclass(frozen=True)
class Deck:
    """The frozen model plus the dispatch table `(instrument, operation) -> callable`."""

    spec: DeckSpec
    targets: Mapping[tuple[str, str], Target]
    remotes: tuple[RemoteInstrument, ...] = ()  # their connections close with the server


def deck_name(module: ModuleType) -> str:
    """The module name, or the file stem when the deck runs as `__main__`."""
    if module.__name__ == "__main__" and getattr(module, "__file__", None):
        return Path(str(module.__file__)).stem
    return module.__name__.rsplit(".", 1)[-1]


def introspect_module(module: ModuleType, *, exclude: Iterable[str] = ()) -> Deck:
    """Build the deck model of `module`."""
    excluded = set(exclude)
    builder = _DeckBuilder()
    blocks: list[tuple[str, Callable[..., Any]]] = []
    for name, obj in list(vars(module).items()):
        if name.startswith("_") or name[:1].isupper() or name in excluded:
            continue
        if inspect.isfunction(obj):
            if hasattr(obj, BLOCK_MARKER):
                blocks.append((name, obj))
            continue
        if inspect.ismodule(obj) or inspect.isclass(obj) or inspect.isroutine(obj):
            continue
        if isinstance(obj, RemoteInstrument):  # another server's instrument (deck/remote.py)
            builder.add_remote(name, obj)
            continue
        owner = type(obj).__module__.split(".")[0]
        if owner in ("builtins", "typing", "__future__"):
            continue
        if owner in sys.stdlib_module_names or owner == "ivorygrpc":
            builder.skip(name, "", f"a {type(obj).__qualname__} from {owner}, not an instrument")
            continue
        builder.add_instrument(name, obj)
    if blocks:
        builder.add_blocks(blocks)
    return Deck(DeckSpec(deck_name(module), tuple(builder.instruments), tuple(builder.skipped)),
                builder.targets, tuple(builder.remotes))


class _DeckBuilder:
    def __init__(self) -> None:
        self.instruments: list[InstrumentSpec] = []
        self.skipped: list[Skipped] = []
        self.targets: dict[tuple[str, str], Target] = {}
        self.remotes: list[RemoteInstrument] = []

    def skip(self, instrument: str, member: str, reason: str) -> None:
        self.skipped.append(Skipped(instrument, member, reason))

    def _check_name(self, name: str) -> bool:
        if not _PACKAGE_NAME.match(name):
            self.skip(name, "", "instrument names must be lower_snake_case (they name a package)")
            return False
        if name == BLOCKS:
            self.skip(name, "", f"{BLOCKS!r} is reserved for block functions")
            return False
        return True

    def add_instrument(self, name: str, obj: object) -> None:
        if not self._check_name(name):
            return
        ops = _Operations(name, self)
        for member, raw in _public_members(type(obj)):
            if isinstance(raw, property):
                ops.add_property(member, raw, obj)
            elif isinstance(raw, staticmethod | classmethod) or inspect.isfunction(raw):
                ops.add_method(member, getattr(obj, member))
            elif inspect.isclass(raw) or (not callable(raw) and not hasattr(raw, "__get__")):
                continue  # nested classes and plain class attributes are not operations
            else:
                self.skip(name, member, f"unsupported descriptor {type(raw).__name__}")
        cls = type(obj)
        self.instruments.append(InstrumentSpec(name, False, cls.__qualname__,
                                               inspect.getdoc(cls) or "", tuple(ops.specs)))

    def add_remote(self, name: str, remote: RemoteInstrument) -> None:
        if not self._check_name(name):
            return
        self.instruments.append(remote.model(name))
        self.remotes.append(remote)
        for operation, target in remote.targets().items():
            self.targets[(name, operation)] = target

    def add_blocks(self, functions: list[tuple[str, Callable[..., Any]]]) -> None:
        ops = _Operations(BLOCKS, self)
        for name, func in functions:
            ops.add_method(name, func, category=getattr(func, BLOCK_MARKER, ""))
        self.instruments.append(InstrumentSpec(BLOCKS, True, "", "Block functions of the deck.",
                                               tuple(ops.specs)))


def _public_members(cls: type) -> Iterator[tuple[str, Any]]:
    """Public class attributes in definition order, subclasses overriding bases."""
    found: dict[str, Any] = {}
    for klass in reversed(cls.__mro__[:-1]):
        for name, value in vars(klass).items():
            if not name.startswith("_") and not (name.isupper() and len(name) > 1):
                found[name] = value
    return iter(found.items())


class _Operations:
    """Collects the operations of one instrument, refusing name collisions."""

    def __init__(self, instrument: str, builder: _DeckBuilder) -> None:
        self.instrument = instrument
        self.builder = builder
        self.resolver = TypeResolver()
        self.specs: list[OperationSpec] = []
        self._type_names: dict[str, object] = {}

    def add_method(self, member: str, target: Target, category: str = "") -> None:
        try:
            spec = _method_spec(member, target, self.resolver)
        except UnsupportedType as exc:
            self.builder.skip(self.instrument, member, str(exc))
            return
        if category:
            spec = _with_doc(spec, f"{spec.doc}\n\nCategory: {category}".strip())
        self._accept(spec, target)

    def add_property(self, member: str, prop: property, obj: object) -> None:
        doc = inspect.getdoc(prop) or ""
        try:
            hints = _hints(prop.fget) if prop.fget else {}
            returns = _return_spec(hints.get("return", inspect.Parameter.empty), self.resolver)
        except UnsupportedType as exc:
            self.builder.skip(self.instrument, member, str(exc))
            return
        getter = OperationSpec(f"get_{member}", f"Get{pascal(member)}", member,
                               OperationKind.PROPERTY_GET, (), returns, doc)
        self._accept(getter, lambda: getattr(obj, member))
        if prop.fset is None:
            return
        try:
            value_type = self.resolver.resolve(hints.get("return", inspect.Parameter.empty),
                                               "value")
        except UnsupportedType as exc:
            self.builder.skip(self.instrument, f"{member} (setter)", str(exc))
            return
        setter = OperationSpec(f"set_{member}", f"Set{pascal(member)}", member,
                               OperationKind.PROPERTY_SET, (ParamSpec("value", value_type),),
                               ReturnSpec(ReturnKind.NONE), doc)
        self._accept(setter, lambda value: setattr(obj, member, value))

    def _accept(self, spec: OperationSpec, target: Target) -> None:
        clash = next((s for s in self.specs if s.rpc == spec.rpc or s.name == spec.name), None)
        if clash is not None:
            self.builder.skip(self.instrument, spec.python_name,
                              f"rpc {spec.rpc} already comes from {clash.python_name}")
            return
        pairs: list[tuple[str, object]] = [(f"{spec.rpc}Request", spec),
                                           (f"{spec.rpc}Response", spec)]
        pairs += [(t.name, t.python) for t in _named_types(spec) if t.python is not None]
        names: dict[str, object] = {}
        for type_name, owner in pairs:  # checked one by one: the operation may clash with itself
            existing = names.get(type_name, self._type_names.get(type_name, owner))
            if existing is not owner:
                self.builder.skip(self.instrument, spec.python_name,
                                  f"message name {type_name} is used twice in this instrument")
                return
            names[type_name] = owner
        self._type_names.update(names)
        self.specs.append(spec)
        self.builder.targets[(self.instrument, spec.name)] = target


def _hints(func: Any) -> dict[str, Any]:
    target = getattr(func, "__func__", func)
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception as exc:  # user annotations: NameError, TypeError, ...
        raise UnsupportedType(f"annotations could not be resolved: {exc}") from exc


def _method_spec(member: str, target: Target, resolver: TypeResolver) -> OperationSpec:
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError) as exc:
        raise UnsupportedType(f"no signature: {exc}") from exc
    hints = _hints(target)
    params: list[ParamSpec] = []
    notes: list[str] = []
    for p in signature.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            notes.append(f"*{p.name} is not exposed")
            continue
        if p.kind is p.VAR_KEYWORD:
            notes.append(f"**{p.name} is not exposed")
            continue
        params.append(_param_spec(p, hints.get(p.name, inspect.Parameter.empty), resolver))
    returns = _return_spec(hints.get("return", inspect.Parameter.empty), resolver)
    is_async = inspect.iscoroutinefunction(target)
    return OperationSpec(member, pascal(member), member, OperationKind.METHOD, tuple(params),
                         returns, inspect.getdoc(target) or "", is_async, tuple(notes))


def _param_spec(p: inspect.Parameter, hint: Any, resolver: TypeResolver) -> ParamSpec:
    try:
        type_spec = resolver.resolve(hint, p.name)
    except UnsupportedType as exc:
        raise UnsupportedType(f"parameter {p.name}: {exc}") from exc
    unit, low, high, xlow, xhigh = "", None, None, None, None
    for meta in _metadata(hint):
        if isinstance(meta, Unit):
            unit = meta.symbol
        elif isinstance(meta, Range):
            low, high = meta.minimum, meta.maximum
        else:
            low = _number(getattr(meta, "ge", None), low)
            high = _number(getattr(meta, "le", None), high)
            xlow = _number(getattr(meta, "gt", None), xlow)
            xhigh = _number(getattr(meta, "lt", None), xhigh)
    default = MISSING if p.default is inspect.Parameter.empty else p.default
    return ParamSpec(p.name, type_spec, default, p.kind is p.POSITIONAL_ONLY, unit,
                     low, high, xlow, xhigh)


def _metadata(hint: Any) -> tuple[Any, ...]:
    """`Annotated` extras, also inside an Optional: `Annotated[float, Unit("mL")] | None`."""
    base, meta = split_annotated(hint)
    if typing.get_origin(base) in (typing.Union, UnionType):
        members = [a for a in typing.get_args(base) if a is not type(None)]
        if len(members) == 1:
            meta += split_annotated(members[0])[1]
    return meta


def _number(value: Any, fallback: float | None) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return fallback


def _return_spec(annotation: Any, resolver: TypeResolver) -> ReturnSpec:
    base, _ = split_annotated(annotation)
    text = type_text(base)
    if base is None or base is type(None):
        return ReturnSpec(ReturnKind.NONE, python="None")
    origin = typing.get_origin(base)
    if origin in _STREAMING or base in _STREAMING:
        raise UnsupportedType(f"streaming results ({text}) are not supported yet")
    try:
        if origin is tuple:
            args = typing.get_args(base)
            if args and not (len(args) == 2 and args[1] is Ellipsis) and args != ((),):
                fields = tuple(FieldSpec(f"result_{i}", resolver.resolve(a, f"result_{i}"))
                               for i, a in enumerate(args))
                return ReturnSpec(ReturnKind.TUPLE, fields, python=text)
        result = resolver.resolve(base, "result")
    except UnsupportedType as exc:
        raise UnsupportedType(f"return type: {exc}") from exc
    if result.kind is Kind.RECORD and not result.nullable and not result.repeated:
        record = result.record
        assert record is not None
        return ReturnSpec(ReturnKind.RECORD, tuple(record.fields), record, text)
    return ReturnSpec(ReturnKind.SCALAR, (FieldSpec("result", result),), python=text)


def _named_types(spec: OperationSpec) -> Iterator[Any]:
    """Top-level enums and records reachable from an operation."""
    seen: set[int] = set()
    stack: list[TypeSpec] = [p.type for p in spec.params] + [f.type for f in spec.returns.fields]
    while stack:
        t = stack.pop()
        if t.enum is not None and not t.enum.nested and id(t.enum) not in seen:
            seen.add(id(t.enum))
            yield t.enum
        if t.record is not None and id(t.record) not in seen:
            seen.add(id(t.record))
            yield t.record
            stack.extend(f.type for f in t.record.fields)


def _with_doc(spec: OperationSpec, doc: str) -> OperationSpec:
    from dataclasses import replace

    return replace(spec, doc=doc)
