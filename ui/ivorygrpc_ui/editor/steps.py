"""New steps for the palette, and one-line descriptions of steps for the tree."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from ivorygrpc.v1 import instrument_pb2 as ins
from ivorygrpc.v1 import workflow_pb2 as wf

from .arguments import format_argument, literal
from .tree import kind_of, walk


@dataclass(frozen=True)
class BlockKind:
    """A palette entry for a step that is not an instrument call."""

    kind: str
    label: str
    icon: str


# Flow-control and other built-in steps, in palette order.
BLOCK_KINDS = (
    BlockKind("if_else", "If / else", "call_split"),
    BlockKind("while_loop", "While", "loop"),
    BlockKind("repeat", "Repeat", "repeat"),
    BlockKind("set_variable", "Set variable", "data_object"),
    BlockKind("wait", "Wait", "hourglass_empty"),
    BlockKind("pause", "Pause", "pan_tool"),
    BlockKind("input", "Ask for input", "keyboard"),
    BlockKind("comment", "Comment", "notes"),
)
BLOCK_LABELS = {block.kind: block.label for block in BLOCK_KINDS}
INPUT_TYPES = {"string": wf.INPUT_TYPE_STRING, "number": wf.INPUT_TYPE_NUMBER,
               "integer": wf.INPUT_TYPE_INTEGER, "boolean": wf.INPUT_TYPE_BOOLEAN}


def new_step_id() -> str:
    """A fresh step id, in the server's format."""
    return f"s{uuid.uuid4().hex[:10]}"


def new_call(instrument: str, method: ins.Method) -> wf.Step:
    """A call step with every parameter's default filled in."""
    call = wf.CallStep(instrument=instrument, method=method.name)
    for parameter in method.parameters:
        if parameter.HasField("default_value"):
            call.arguments[parameter.name].literal.CopyFrom(parameter.default_value)
    return wf.Step(id=new_step_id(), call=call)


def new_call_workflow(name: str, version: int) -> wf.Step:
    """A step that runs the main phase of the saved workflow `name`, pinned to `version`."""
    return wf.Step(id=new_step_id(),
                   call_workflow=wf.CallWorkflowStep(workflow=name, version=version))


def new_block(kind: str) -> wf.Step:
    """A built-in step of `kind` with sensible starting values."""
    step = wf.Step(id=new_step_id())
    if kind == "if_else":
        step.if_else.condition = "True"
    elif kind == "while_loop":
        step.while_loop.condition = "False"
        step.while_loop.max_iterations = 100
    elif kind == "repeat":
        step.repeat.count.CopyFrom(literal(2))
    elif kind == "set_variable":
        step.set_variable.name = "value"
        step.set_variable.value.CopyFrom(literal(0))
    elif kind == "wait":
        step.wait.seconds.CopyFrom(literal(1))
    elif kind == "pause":
        step.pause.message = "Check the deck, then continue."
    elif kind == "input":
        step.input.name = "answer"
        step.input.prompt = "Enter a value"
        step.input.type = wf.INPUT_TYPE_NUMBER
    elif kind == "comment":
        step.comment.text = "Note"
    else:
        raise ValueError(f"unknown step kind {kind!r}")
    return step


def save_as_labels(method: ins.Method) -> list[str]:
    """One label per name the result can be saved under: none for a method that
    returns nothing, one per item of a tuple, otherwise one."""
    shape = method.returns
    if shape.kind == ins.RETURN_KIND_NONE:
        return []
    if shape.kind == ins.RETURN_KIND_TUPLE:
        return [field.name or f"item {index}" for index, field in enumerate(shape.fields)]
    return ["result"]


def describe(step: wf.Step) -> str:
    """A one-line summary of a step, as shown in the tree."""
    kind = kind_of(step)
    if kind == "call":
        call = step.call
        arguments = ", ".join(f"{name}={format_argument(value)}"
                              for name, value in sorted(call.arguments.items()))
        saved = ", ".join(name for name in call.save_as if name)
        text = f"{call.instrument}.{call.method}({arguments})"
        return f"{text} → {saved}" if saved else text
    if kind == "if_else":
        return f"if {step.if_else.condition}"
    if kind == "while_loop":
        return f"while {step.while_loop.condition}"
    if kind == "repeat":
        return f"repeat {format_argument(step.repeat.count)} times"
    if kind == "set_variable":
        return f"{step.set_variable.name} = {format_argument(step.set_variable.value)}"
    if kind == "wait":
        return f"wait {format_argument(step.wait.seconds)} s"
    if kind == "pause":
        return f"pause: {step.pause.message}"
    if kind == "input":
        return f"ask {step.input.prompt!r} → {step.input.name}"
    if kind == "comment":
        return f"# {step.comment.text}"
    if kind == "call_workflow":
        called = step.call_workflow
        arguments = ", ".join(f"{name}={format_argument(value)}"
                              for name, value in sorted(called.arguments.items()))
        saved = ", ".join(name for name in called.save_as if name)
        text = f"run {called.workflow}" + (f" v{called.version}" if called.version else "") \
            + f"({arguments})"
        return f"{text} → {saved}" if saved else text
    return "(empty step)"


def branch_label(branch: str) -> str:
    """How a block body is labelled in the tree."""
    return {"then_steps": "then", "else_steps": "else", "steps": "do"}.get(branch, branch)


_HASH_NAME = re.compile(r"#([A-Za-z_][A-Za-z0-9_]*)")


def names_in(workflow: wf.Workflow) -> tuple[list[str], list[str]]:
    """The run parameters (`#name` anywhere) and variables (saved results, set variables,
    inputs) a workflow uses, each sorted; the editor offers them while typing."""
    parameters: set[str] = set()
    variables: set[str] = set()
    for placed in walk(workflow):
        step = placed.step
        kind = kind_of(step)
        texts: list[str] = []
        values: list[wf.ArgumentValue] = []
        if kind == "call":
            values += step.call.arguments.values()
            variables.update(name for name in step.call.save_as if name)
        elif kind == "call_workflow":
            values += step.call_workflow.arguments.values()
            variables.update(name for name in step.call_workflow.save_as if name)
        elif kind == "set_variable":
            values.append(step.set_variable.value)
            variables.add(step.set_variable.name)
        elif kind == "input":
            variables.add(step.input.name)
        elif kind in ("if_else", "while_loop"):
            texts.append(getattr(step, kind).condition)
        elif kind == "repeat":
            values.append(step.repeat.count)
        elif kind == "wait":
            values.append(step.wait.seconds)
        elif kind == "comment":
            texts.append(step.comment.text)
        for value in values:
            which = value.WhichOneof("kind")
            if which == "parameter":
                parameters.add(value.parameter)
            elif which == "expression":
                texts.append(value.expression)
        for text in texts:
            parameters.update(_HASH_NAME.findall(text))
    variables.discard("")
    return sorted(parameters), sorted(variables)
