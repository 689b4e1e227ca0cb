"""Python annotations -> `TypeSpec` (SPEC §2 type table).

    float -> double   int -> int64   str -> string   bool -> bool   bytes -> bytes
    Enum, Literal[...] -> enum (`*_UNSPECIFIED = 0`)    Optional[T] -> optional T
    list/set/frozenset/tuple[T, ...] -> repeated T      datetime -> Timestamp
    dataclass / NamedTuple / TypedDict -> nested message
    dict, Any, no annotation, mixed unions, nested lists -> google.protobuf.Value
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime
import enum
import inspect
import types
import typing
from typing import Any

from ivorygrpc.deck.model import (
    EnumMember,
    EnumSpec,
    FieldSpec,
    Kind,
    RecordSpec,
    TypeSpec,
    pascal,
    upper_snake,
)

_SCALARS: dict[type, Kind] = {
    bool: Kind.BOOL,
    int: Kind.INT64,
    float: Kind.DOUBLE,
    str: Kind.STRING,
    bytes: Kind.BYTES,
    datetime.datetime: Kind.TIMESTAMP,
}
_CONTAINERS: dict[Any, str] = {
    list: "list",
    set: "set",
    frozenset: "frozenset",
    tuple: "tuple",
    collections.abc.Sequence: "list",
    collections.abc.MutableSequence: "list",
    collections.abc.Set: "set",
    collections.abc.MutableSet: "set",
    collections.abc.Iterable: "list",
    collections.abc.Collection: "list",
}
_ANY_MAPPINGS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)


class UnsupportedType(Exception):
    """The annotation has no wire mapping; the operation is skipped at start-up."""


def type_text(annotation: Any) -> str:
    """A short, readable rendering of an annotation (`Optional[list[int]]`)."""
    if annotation is inspect.Parameter.empty:
        return ""
    if annotation is type(None):
        return "None"
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__qualname__
    return repr(annotation).replace("typing.", "").replace("collections.abc.", "")


def split_annotated(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    """`Annotated[T, a, b]` -> (T, (a, b)); anything else -> (annotation, ())."""
    if typing.get_origin(annotation) is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        return base, tuple(meta)
    return annotation, ()


class TypeResolver:
    """Resolves annotations, sharing one spec per Enum and record class."""

    def __init__(self) -> None:
        self._enums: dict[type, EnumSpec] = {}
        self._records: dict[type, RecordSpec] = {}

    @property
    def records(self) -> list[RecordSpec]:
        return list(self._records.values())

    def resolve(self, annotation: Any, field_name: str) -> TypeSpec:
        """Resolve one annotation; `field_name` names nested Literal enums."""
        annotation, _ = split_annotated(annotation)
        text = type_text(annotation)
        if annotation in (inspect.Parameter.empty, Any, object):
            return TypeSpec(Kind.ANY, text or "Any", nullable=True)
        if isinstance(annotation, str | typing.ForwardRef):
            raise UnsupportedType(f"annotation {text!r} could not be resolved")
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin in (typing.Union, types.UnionType):
            return self._union(args, field_name, text)
        spec = self._single(annotation, origin, args, field_name, text)
        if spec is None:
            raise UnsupportedType(f"type {text!r} has no protobuf mapping")
        return spec

    def _union(self, args: tuple[Any, ...], field_name: str, text: str) -> TypeSpec:
        members = [a for a in args if a is not type(None)]
        nullable = len(members) < len(args)
        if len(members) == 1:
            inner = self.resolve(members[0], field_name)
            if inner.kind is Kind.ANY:
                return dataclasses.replace(inner, python=text)
            return dataclasses.replace(inner, nullable=nullable, python=text)
        return TypeSpec(Kind.ANY, text, nullable=True)

    def _single(
        self, annotation: Any, origin: Any, args: tuple[Any, ...], field_name: str, text: str
    ) -> TypeSpec | None:
        if annotation in _SCALARS:
            return TypeSpec(_SCALARS[annotation], text)
        if origin is typing.Literal:
            return TypeSpec(Kind.ENUM, text, enum=self._literal(args, field_name))
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            return TypeSpec(Kind.ENUM, text, enum=self._enum(annotation))
        if annotation in _ANY_MAPPINGS or origin in _ANY_MAPPINGS:
            return TypeSpec(Kind.ANY, text, nullable=True)
        container = _CONTAINERS.get(origin if origin is not None else annotation)
        if container is not None:
            return self._repeated(container, args, field_name, text)
        if isinstance(annotation, type) and _record_flavour(annotation):
            return TypeSpec(Kind.RECORD, text, record=self._record(annotation))
        return None

    def _repeated(
        self, container: str, args: tuple[Any, ...], field_name: str, text: str
    ) -> TypeSpec:
        if container == "tuple" and args and not (len(args) == 2 and args[1] is Ellipsis):
            if len(set(args)) != 1:  # a fixed tuple of mixed types is a JSON list
                return TypeSpec(Kind.ANY, text, nullable=True)
            args = (args[0],)
        item_annotation = args[0] if args else Any
        item = self.resolve(item_annotation, field_name)
        if item.repeated or (item.nullable and item.kind is not Kind.ANY):
            return TypeSpec(Kind.ANY, text, nullable=True)  # no repeated-of-repeated in proto
        return dataclasses.replace(item, repeated=True, container=container, python=text)

    def _literal(self, values: tuple[Any, ...], field_name: str) -> EnumSpec:
        members: list[EnumMember] = []
        seen: set[str] = set()
        for index, value in enumerate(values, start=1):
            if not isinstance(value, str | int | bool):
                raise UnsupportedType(f"Literal value {value!r} is not a str, int or bool")
            suffix = upper_snake(str(value)) or f"VALUE_{index}"
            if suffix in seen:
                suffix = f"{suffix}_{index}"
            seen.add(suffix)
            members.append(EnumMember(str(value), value, suffix))
        return EnumSpec(pascal(field_name), tuple(members), nested=True)

    def _enum(self, cls: type[enum.Enum]) -> EnumSpec:
        if cls in self._enums:
            return self._enums[cls]
        numbers = [m.value for m in cls]
        own_numbers = all(isinstance(n, int) and not isinstance(n, bool) and n >= 1
                          for n in numbers) and len(set(numbers)) == len(numbers)
        members = tuple(
            EnumMember(m.name, m, upper_snake(m.name) or f"VALUE_{i}",
                       m.value if own_numbers else None)
            for i, m in enumerate(cls, start=1)
        )
        if not members:
            raise UnsupportedType(f"enum {cls.__qualname__} has no members")
        spec = EnumSpec(cls.__name__, members, nested=False, python=cls)
        self._enums[cls] = spec
        return spec

    def _record(self, cls: type) -> RecordSpec:
        if cls in self._records:
            return self._records[cls]
        own_doc = cls.__doc__  # not inspect.getdoc: a TypedDict would inherit dict's docstring
        spec = RecordSpec(cls.__name__, cls, _record_flavour(cls),
                          doc=inspect.cleandoc(own_doc) if own_doc else "")
        self._records[cls] = spec  # registered first: records may refer to themselves
        try:
            hints = typing.get_type_hints(cls, include_extras=True)
        except Exception as exc:  # user code: NameError, TypeError, ...
            del self._records[cls]
            raise UnsupportedType(
                f"fields of {cls.__qualname__} could not be resolved: {exc}") from exc
        try:
            for name in record_field_names(cls):
                spec.fields.append(FieldSpec(name, self.resolve(hints.get(name, Any), name)))
        except UnsupportedType:
            del self._records[cls]
            raise
        return spec


def record_field_names(cls: type) -> list[str]:
    """The field names of a dataclass, NamedTuple or TypedDict, in order."""
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls)]
    if typing.is_typeddict(cls):
        return list(typing.get_type_hints(cls))
    return list(getattr(cls, "_fields", ()))


def _record_flavour(cls: type) -> str:
    if dataclasses.is_dataclass(cls):
        return "dataclass"
    if typing.is_typeddict(cls):
        return "typeddict"
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return "namedtuple"
    return ""
