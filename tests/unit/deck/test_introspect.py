"""Introspection (SPEC §2): which module members are instruments, and their operations."""

import collections.abc
import enum
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

import ivorygrpc
from ivorygrpc.deck.introspect import Deck, deck_name, introspect_module
from ivorygrpc.deck.model import Kind, OperationKind, OperationSpec, ReturnKind
from tests.decks import plain_deck, typing_deck


def adhoc(**members: Any) -> ModuleType:
    module = ModuleType("adhoc")
    vars(module).update(members)
    return module


def operation(deck: Deck, instrument: str, name: str) -> OperationSpec:
    inst = deck.spec.instrument(instrument)
    assert inst is not None, instrument
    op = inst.operation(name)
    assert op is not None, f"{instrument}.{name} is not served"
    return op


def skipped(deck: Deck, instrument: str) -> dict[str, str]:
    return {s.member: s.reason for s in deck.spec.skipped if s.instrument == instrument}


@pytest.fixture(scope="module")
def deck() -> Deck:
    return introspect_module(plain_deck)


# -- which members are instruments -------------------------------------------------------------


def test_instruments_are_public_objects_of_non_builtin_classes(deck: Deck) -> None:
    # not: classes (Pump), functions (helper), modules (math, asyncio), builtins (volumes,
    # settings, ratio), names starting with `_` or an upper-case letter (_hidden, Pump_3)
    assert [i.name for i in deck.spec.instruments] == ["pump", "pump_2", "blocks"]
    assert deck.spec.name == "plain_deck"


def test_stdlib_objects_are_reported_as_skipped(deck: Deck) -> None:
    assert [(s.instrument, s.member) for s in deck.spec.skipped] == [("log", "")]
    assert "Logger" in deck.spec.skipped[0].reason
    assert "logging" in deck.spec.skipped[0].reason


def test_exclude_leaves_an_object_out() -> None:
    deck = introspect_module(plain_deck, exclude=["pump_2", "log"])
    assert [i.name for i in deck.spec.instruments] == ["pump", "blocks"]
    assert deck.spec.skipped == ()


def test_instrument_spec_carries_class_and_docstring(deck: Deck) -> None:
    pump = deck.spec.instrument("pump_2")
    assert pump is not None
    assert (pump.class_name, pump.doc, pump.is_blocks) == ("Pump", "A syringe pump.", False)
    assert (pump.package, pump.service) == ("ivorygrpc.deck.pump_2.v1", "Pump2Service")


def test_instrument_names_must_be_lower_snake_case() -> None:
    deck = introspect_module(adhoc(myPump=plain_deck.Pump(), pump=plain_deck.Pump()))
    assert [i.name for i in deck.spec.instruments] == ["pump"]
    assert "lower_snake_case" in skipped(deck, "myPump")[""]


def test_blocks_is_a_reserved_instrument_name() -> None:
    deck = introspect_module(adhoc(blocks=plain_deck.Pump()))
    assert deck.spec.instruments == ()
    assert "reserved" in skipped(deck, "blocks")[""]


def test_deck_name_of_a_script_is_its_file_stem() -> None:
    module = ModuleType("__main__")
    module.__file__ = "/lab/decks/my_deck.py"
    assert deck_name(module) == "my_deck"
    assert deck_name(plain_deck) == "plain_deck"


# -- operations --------------------------------------------------------------------------------


def test_public_methods_properties_and_inherited_methods_are_operations(deck: Deck) -> None:
    pump = deck.spec.instrument("pump")
    assert pump is not None
    assert [op.name for op in pump.operations] == [
        "prime",  # inherited from BasePump
        "dispense", "wait_idle", "log",
        "get_temperature", "get_rate", "set_rate",
        "version", "model",
        "nothing", "untyped", "count", "locate", "position", "status", "maybe_position",
    ]  # no _private, __init__, MAX_RATE or the plain class attribute `units`


def test_method_naming_and_parameters(deck: Deck) -> None:
    op = operation(deck, "pump", "dispense")
    assert (op.rpc, op.python_name, op.kind) == ("Dispense", "dispense", OperationKind.METHOD)
    assert [(p.name, p.type.kind, p.required) for p in op.params] == [
        ("volume_ml", Kind.DOUBLE, True), ("rate", Kind.DOUBLE, False)]
    assert op.params[1].default == 1.0
    assert op.doc == "Dispense a volume.\n\nReturns the volume dispensed."


def test_inherited_method_keeps_its_docstring(deck: Deck) -> None:
    assert operation(deck, "pump", "prime").doc == "Fill the tubing."


def test_read_only_property_is_a_getter(deck: Deck) -> None:
    op = operation(deck, "pump", "get_temperature")
    assert (op.rpc, op.python_name, op.kind) == (
        "GetTemperature", "temperature", OperationKind.PROPERTY_GET)
    assert op.params == ()
    assert op.returns.kind is ReturnKind.SCALAR
    assert op.returns.fields[0].type.kind is Kind.DOUBLE
    assert op.doc == "Block temperature in degC."
    inst = deck.spec.instrument("pump")
    assert inst is not None and inst.operation("set_temperature") is None


def test_property_with_setter_is_a_getter_and_a_setter(deck: Deck) -> None:
    op = operation(deck, "pump", "set_rate")
    assert (op.rpc, op.python_name, op.kind) == ("SetRate", "rate", OperationKind.PROPERTY_SET)
    assert [(p.name, p.type.kind, p.required) for p in op.params] == [
        ("value", Kind.DOUBLE, True)]
    assert op.returns.kind is ReturnKind.NONE
    assert operation(deck, "pump", "get_rate").rpc == "GetRate"


def test_property_targets_read_and_write_the_live_object() -> None:
    pump = plain_deck.Pump()
    deck = introspect_module(adhoc(pump=pump))
    deck.targets[("pump", "set_rate")](4.5)
    assert pump.rate == 4.5
    assert deck.targets[("pump", "get_rate")]() == 4.5


def test_targets_are_bound_to_their_own_instrument(deck: Deck) -> None:
    target = deck.targets[("pump_2", "dispense")]
    assert target.__self__ is plain_deck.pump_2
    assert deck.targets[("pump", "dispense")].__self__ is plain_deck.pump


def test_static_and_class_methods(deck: Deck) -> None:
    assert [p.name for p in operation(deck, "pump", "version").params] == []
    assert [p.name for p in operation(deck, "pump", "model").params] == []
    assert deck.targets[("pump", "version")]() == "1.0"
    assert deck.targets[("pump", "model")]() == "Pump"


def test_async_methods_are_detected(deck: Deck) -> None:
    assert operation(deck, "pump", "wait_idle").is_async
    assert not operation(deck, "pump", "dispense").is_async


def test_var_args_are_noted_but_the_operation_is_kept(deck: Deck) -> None:
    op = operation(deck, "pump", "log")
    assert [p.name for p in op.params] == ["message"]
    assert op.notes == ("*args is not exposed", "**kwargs is not exposed")


def test_positional_only_parameters_are_flagged() -> None:
    deck = introspect_module(typing_deck)
    op = operation(deck, "positional", "place")
    assert [(p.name, p.positional_only) for p in op.params] == [
        ("slot", True), ("depth", True), ("speed", False)]


def test_introspection_never_reads_property_values() -> None:
    class Touchy:
        @property
        def reading(self) -> float:
            raise RuntimeError("hardware touched during start-up")

    deck = introspect_module(adhoc(touchy=Touchy()))
    assert operation(deck, "touchy", "get_reading").rpc == "GetReading"


# -- return shapes -----------------------------------------------------------------------------


def test_return_none_is_an_empty_response(deck: Deck) -> None:
    returns = operation(deck, "pump", "nothing").returns
    assert (returns.kind, returns.fields) == (ReturnKind.NONE, ())


def test_return_without_annotation_is_a_value(deck: Deck) -> None:
    returns = operation(deck, "pump", "untyped").returns
    assert returns.kind is ReturnKind.SCALAR
    assert [(f.name, f.type.kind) for f in returns.fields] == [("result", Kind.ANY)]


def test_return_scalar_is_field_result(deck: Deck) -> None:
    returns = operation(deck, "pump", "count").returns
    assert returns.kind is ReturnKind.SCALAR
    assert [(f.name, f.type.kind) for f in returns.fields] == [("result", Kind.INT64)]


def test_return_fixed_tuple_is_one_field_per_item(deck: Deck) -> None:
    returns = operation(deck, "pump", "locate").returns
    assert returns.kind is ReturnKind.TUPLE
    assert [(f.name, f.type.kind) for f in returns.fields] == [
        ("result_0", Kind.DOUBLE), ("result_1", Kind.DOUBLE), ("result_2", Kind.STRING)]


@pytest.mark.parametrize(("name", "cls", "fields"), [
    ("position", plain_deck.Position, ["x", "y"]),
    ("status", plain_deck.Status, ["ready", "message"]),
])
def test_return_record_uses_its_field_names(deck: Deck, name: str, cls: type,
                                            fields: list[str]) -> None:
    returns = operation(deck, "pump", name).returns
    assert returns.kind is ReturnKind.RECORD
    assert returns.record is not None and returns.record.python is cls
    assert [f.name for f in returns.fields] == fields


def test_return_optional_record_is_a_nullable_result(deck: Deck) -> None:
    returns = operation(deck, "pump", "maybe_position").returns
    assert returns.kind is ReturnKind.SCALAR
    (result,) = returns.fields
    assert result.name == "result"
    assert result.type.kind is Kind.RECORD and result.type.nullable


def test_return_homogeneous_variable_tuple_is_repeated() -> None:
    class Scanner:
        def scan(self) -> tuple[float, ...]:
            return ()

    returns = operation(introspect_module(adhoc(scanner=Scanner())), "scanner", "scan").returns
    assert returns.kind is ReturnKind.SCALAR
    assert returns.fields[0].type.repeated and returns.fields[0].type.container == "tuple"


# -- blocks ------------------------------------------------------------------------------------


def test_block_functions_form_the_blocks_instrument(deck: Deck) -> None:
    blocks = deck.spec.instrument("blocks")
    assert blocks is not None and blocks.is_blocks
    assert [op.name for op in blocks.operations] == ["mix", "measure"]  # not `helper`
    mix = operation(deck, "blocks", "mix")
    assert [(p.name, p.required) for p in mix.params] == [("volume_ml", True), ("cycles", False)]
    assert mix.doc.endswith("Category: general")
    measure = operation(deck, "blocks", "measure")
    assert measure.is_async
    assert measure.doc == "Measure a sample.\n\nCategory: analysis"
    assert deck.targets[("blocks", "mix")] is plain_deck.mix


def test_no_blocks_instrument_without_block_functions() -> None:
    deck = introspect_module(adhoc(pump=plain_deck.Pump(), helper=plain_deck.helper))
    assert [i.name for i in deck.spec.instruments] == ["pump"]


def test_block_decorator_marks_without_wrapping() -> None:
    def f() -> None: ...

    assert ivorygrpc.block(f) is f
    assert ivorygrpc.block(category="x")(f) is f


# -- what is reported instead of served --------------------------------------------------------


@dataclass
class DispenseRequest:
    volume: float


class Mode(enum.Enum):
    A = 1


def _other_mode() -> type[enum.Enum]:
    class Mode(enum.Enum):  # same name, different class
        B = 1

    return Mode


OtherMode = _other_mode()


class Awkward:
    callback = len  # a builtin stored on the class: not silently dropped

    def get_x(self) -> int:
        return 1

    @property
    def x(self) -> int:
        return 2

    def set_y(self, y: int) -> None: ...

    @property
    def y(self) -> int:
        return 3

    @y.setter
    def y(self, value: int) -> None: ...

    def do_it(self) -> None: ...

    def doIt(self) -> None: ...

    def power(self, z: complex) -> None: ...

    def stream(self) -> collections.abc.Iterator[int]:
        yield 1

    def dispense(self, request: DispenseRequest) -> None: ...

    def first(self, mode: Mode) -> None: ...

    def second(self, mode: OtherMode) -> None: ...  # type: ignore[valid-type]


@pytest.fixture(scope="module")
def awkward() -> Deck:
    return introspect_module(adhoc(awkward=Awkward()))


def test_served_operations_of_an_awkward_class(awkward: Deck) -> None:
    inst = awkward.spec.instrument("awkward")
    assert inst is not None
    assert [op.name for op in inst.operations] == ["get_x", "set_y", "get_y", "do_it", "first"]


def test_rpc_name_collisions_are_reported(awkward: Deck) -> None:
    reasons = skipped(awkward, "awkward")
    assert "GetX" in reasons["x"] and "get_x" in reasons["x"]  # get_x method vs x property
    assert "SetY" in reasons["y"] and "set_y" in reasons["y"]  # the setter of y
    assert "DoIt" in reasons["doIt"] and "do_it" in reasons["doIt"]


def test_unsupported_parameter_types_are_reported_with_a_reason(awkward: Deck) -> None:
    reason = skipped(awkward, "awkward")["power"]
    assert "parameter z" in reason and "complex" in reason


def test_streaming_results_are_reported(awkward: Deck) -> None:
    assert "streaming" in skipped(awkward, "awkward")["stream"]


def test_unknown_descriptors_are_reported(awkward: Deck) -> None:
    assert "builtin_function_or_method" in skipped(awkward, "awkward")["callback"]


def test_a_record_named_like_the_request_message_is_reported(awkward: Deck) -> None:
    assert "DispenseRequest" in skipped(awkward, "awkward")["dispense"]


def test_two_types_with_one_name_in_an_instrument_are_reported(awkward: Deck) -> None:
    assert "Mode" in skipped(awkward, "awkward")["second"]
