"""The frozen deck model: what introspection found, independent of protobuf.

Everything outside `introspect.py` works from these objects, never from the
user's Python objects directly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Kind(enum.Enum):
    """How one value travels on the wire."""

    DOUBLE = "double"
    INT64 = "int64"
    STRING = "string"
    BOOL = "bool"
    BYTES = "bytes"
    ENUM = "enum"
    RECORD = "record"
    TIMESTAMP = "timestamp"
    ANY = "any"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""Marks a parameter without a default."""


@dataclass(frozen=True)
class EnumMember:
    """One choice of an enum type."""

    name: str  # what users type: the Python member name or the Literal value as text
    value: Any  # what the Python method receives: the Enum member or the Literal value
    proto_suffix: str  # UPPER_SNAKE part after the enum prefix
    preferred_number: int | None = None  # IntEnum values >= 1 keep their own number


@dataclass(frozen=True, eq=False)
class EnumSpec:
    """A Python Enum class or a `Literal[...]` type."""

    name: str  # PascalCase proto name (the class name, or the field name for Literals)
    members: tuple[EnumMember, ...]
    nested: bool  # Literals nest inside the message that uses them
    python: type | None = None
    numbers: dict[str, int] = field(default_factory=dict)  # proto_suffix -> wire number

    def member_by_number(self, number: int) -> EnumMember | None:
        """The member with wire number `number` (filled when descriptors are built)."""
        return next((m for m in self.members if self.numbers.get(m.proto_suffix) == number), None)

    @property
    def value_prefix(self) -> str:
        return upper_snake(self.name)


@dataclass(frozen=True, eq=False)
class RecordSpec:
    """A dataclass, NamedTuple or TypedDict used as a nested message."""

    name: str
    python: type
    flavour: str  # "dataclass" | "namedtuple" | "typeddict"
    fields: list[FieldSpec] = field(default_factory=list)  # filled after creation (recursion)
    doc: str = ""


@dataclass(frozen=True)
class TypeSpec:
    """A Python annotation resolved to a wire shape."""

    kind: Kind
    python: str
    repeated: bool = False
    nullable: bool = False
    container: str = "list"  # list | set | frozenset | tuple, for repeated values
    enum: EnumSpec | None = None
    record: RecordSpec | None = None


@dataclass(frozen=True)
class FieldSpec:
    """A named, typed value: a record field or a response field."""

    name: str
    type: TypeSpec


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of an operation."""

    name: str
    type: TypeSpec
    default: Any = MISSING
    positional_only: bool = False
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    doc: str = ""

    @property
    def required(self) -> bool:
        """True when the call fails without this argument."""
        if self.default is not MISSING or self.type.repeated:
            return False
        # An untyped parameter accepts null but must still be sent.
        return self.type.kind is Kind.ANY or not self.type.nullable


class ReturnKind(enum.Enum):
    """How a Python result maps onto the response message."""

    NONE = "none"
    SCALAR = "scalar"
    TUPLE = "tuple"
    RECORD = "record"


@dataclass(frozen=True)
class ReturnSpec:
    """The result shape of an operation."""

    kind: ReturnKind
    fields: tuple[FieldSpec, ...] = ()
    record: RecordSpec | None = None  # for RECORD: the class to read fields from
    python: str = ""


class OperationKind(enum.Enum):
    """What an operation is on the Python side."""

    METHOD = "method"
    PROPERTY_GET = "property_get"
    PROPERTY_SET = "property_set"


@dataclass(frozen=True)
class OperationSpec:
    """A callable operation of an instrument."""

    name: str  # ControlService name: `dispense`, `get_temperature`, `set_temperature`
    rpc: str  # `Dispense`
    python_name: str  # attribute name on the object
    kind: OperationKind
    params: tuple[ParamSpec, ...]
    returns: ReturnSpec
    doc: str = ""
    is_async: bool = False
    notes: tuple[str, ...] = ()  # things dropped on purpose, e.g. `**kwargs`


@dataclass(frozen=True)
class InstrumentSpec:
    """An instrument and its operations."""

    name: str
    is_blocks: bool
    class_name: str
    doc: str
    operations: tuple[OperationSpec, ...]

    @property
    def package(self) -> str:
        return f"ivorygrpc.deck.{self.name}.v1"

    @property
    def service(self) -> str:
        return f"{pascal(self.name)}Service"

    @property
    def service_full_name(self) -> str:
        return f"{self.package}.{self.service}"

    @property
    def file_name(self) -> str:
        return f"ivorygrpc/deck/{self.name}/v1/{self.name}.proto"

    def operation(self, name: str) -> OperationSpec | None:
        """The operation called `name`, or None."""
        return next((op for op in self.operations if op.name == name), None)


@dataclass(frozen=True)
class Skipped:
    """A deck member that is not served, and why."""

    instrument: str
    member: str
    reason: str


@dataclass(frozen=True)
class DeckSpec:
    """Everything introspection found in a deck module."""

    name: str
    instruments: tuple[InstrumentSpec, ...]
    skipped: tuple[Skipped, ...] = ()

    def instrument(self, name: str) -> InstrumentSpec | None:
        """The instrument called `name`, or None."""
        return next((i for i in self.instruments if i.name == name), None)


def pascal(name: str) -> str:
    """`pump_2` -> `Pump2`, `set_rate` -> `SetRate`, `startRun` -> `StartRun`."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def upper_snake(name: str) -> str:
    """`FlowMode` -> `FLOW_MODE`, `HPLCMode` -> `HPLC_MODE`, `fast-mode 2` -> `FAST_MODE_2`.

    Word breaks follow buf's ENUM_VALUE_PREFIX rule, so exported enums lint clean.
    """
    out: list[str] = []
    prev = ""
    for i, ch in enumerate(name):
        starts_word = name[i + 1:i + 2].islower()  # the `M` of `HPLCMode` and `Pump2Mode`
        if ch.isupper() and prev and (prev.islower() or starts_word):
            out.append("_")
        out.append(ch.upper() if ch.isalnum() else "_")
        prev = ch
    text = "".join(out)
    while "__" in text:
        text = text.replace("__", "_")
    return text.strip("_")
