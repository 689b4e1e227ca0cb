"""Run parameters and outputs of a workflow body (pure: no server)."""

from types import ModuleType

from ivorygrpc.deck.introspect import introspect_module
from ivorygrpc.workflow.parameters import run_parameters


class Stage:
    def move(self, x: float, y: float, speed: int = 1) -> None: ...


def _deck_spec():  # type: ignore[no-untyped-def]
    module = ModuleType("stage_deck")
    vars(module).update(stage=Stage())
    return introspect_module(module).spec


def test_parameters_of_one_call_follow_the_signature_not_the_argument_order() -> None:
    arguments = {"speed": {"parameter": "s"}, "y": {"parameter": "b"}, "x": {"parameter": "a"}}
    body = {"main": [{"id": "m1", "call": {"instrument": "stage", "method": "move",
                                           "arguments": arguments}}]}
    found = run_parameters(body, _deck_spec())
    assert [p.name for p in found] == ["a", "b", "s"]
    assert found[0].type == found[1].type != found[2].type  # float, float, int
    assert all(p.step_ids == ["m1"] for p in found)
