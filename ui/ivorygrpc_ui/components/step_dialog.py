"""The dialog that edits one step of the workflow being designed.

A call's arguments use the typed inputs of `ParameterForm` for literal values; the `#`
switch next to each turns it into one line of text (see `editor.arguments`): `#name` for a
run parameter, `=name` for a variable, `=expression` for an expression. The workflow's run
parameters and variables are offered while typing. A call's result can be saved under one
name, or one per item of a tuple.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from nicegui import ui

from ivorygrpc.v1 import instrument_pb2 as ins
from ivorygrpc.v1 import workflow_pb2 as wf
from ivorygrpc_ui.client.control import parameter_info
from ivorygrpc_ui.client.design import CallableWorkflow
from ivorygrpc_ui.components.parameter_form import FieldProblem, ParameterField, field_label
from ivorygrpc_ui.editor import EditError, format_argument, parse_argument, save_as_labels
from ivorygrpc_ui.editor.arguments import literal, literal_value
from ivorygrpc_ui.editor.steps import BLOCK_LABELS, INPUT_TYPES
from ivorygrpc_ui.editor.tree import kind_of

ARGUMENT_HINT = "#name: run parameter · =name: variable · =expression"
INT = ins.TypeInfo(kind=ins.VALUE_KIND_INT64, python="int")
NUMBER = ins.TypeInfo(kind=ins.VALUE_KIND_DOUBLE, python="float")


class ArgumentField:
    """One argument input: text in, `ArgumentValue` out, problems shown under the field."""

    def __init__(self, label: str, value: wf.ArgumentValue | None, type_info: ins.TypeInfo | None,
                 *, suggestions: Sequence[str] = (), placeholder: str = "", hint: str = "",
                 marker: str = "") -> None:
        self.type_info = type_info
        text = format_argument(value) if value is not None else ""
        options = list(dict.fromkeys([*_choices(type_info), *suggestions]))
        self.input = ui.input(label, value=text, placeholder=placeholder,
                              autocomplete=options,
                              validation=self._problem).classes("w-full")
        self.input.props(f'hint="{hint or ARGUMENT_HINT}" bottom-slots')
        if marker:
            self.input.mark(marker)

    def _problem(self, text: str | None) -> str | None:
        if not (text or "").strip():
            return None
        try:
            parse_argument(text or "", self.type_info)
        except EditError as exc:
            return str(exc)
        return None

    def value(self) -> wf.ArgumentValue | None:
        """The argument, or None when the field is empty; `EditError` when it is wrong."""
        text = (self.input.value or "").strip()
        return parse_argument(text, self.type_info) if text else None


def _choices(type_info: ins.TypeInfo | None) -> list[str]:
    if type_info is None:
        return []
    if type_info.kind == ins.VALUE_KIND_ENUM:
        return list(type_info.choices)
    if type_info.kind == ins.VALUE_KIND_BOOL:
        return ["true", "false"]
    return []


def open_step_dialog(step: wf.Step, *, methods: Mapping[tuple[str, str], ins.Method],
                     suggestions: Sequence[str], on_save: Callable[[wf.Step], None],
                     workflows: Mapping[str, CallableWorkflow] | None = None) -> None:
    """Edit a copy of `step`; `on_save` gets the changed step (same id).

    :param methods: the deck's methods by ``(instrument, method)``
    :param workflows: the registered workflows a call_workflow step may run, by name
    """
    edited = wf.Step()
    edited.CopyFrom(step)
    kind = kind_of(step)
    readers: list[Callable[[], None]] = []
    with ui.dialog() as dialog, ui.card().classes("w-[36rem] max-w-full gap-3"):
        dialog.mark("step-dialog")
        title = ui.label().classes("text-lg font-semibold")
        if kind == "call":
            method = methods.get((step.call.instrument, step.call.method))
            title.text = f"{step.call.instrument}.{step.call.method}"
            readers.append(_call_fields(edited, method, suggestions))
        elif kind == "call_workflow":
            title.text = f"Run workflow {step.call_workflow.workflow}"
            readers.append(_call_workflow_fields(
                edited, (workflows or {}).get(step.call_workflow.workflow), suggestions))
        else:
            title.text = BLOCK_LABELS.get(kind, kind.replace("_", " ").capitalize())
            readers.append(_block_fields(edited, kind, suggestions))
        error = ui.label().classes("text-sm text-red-600 whitespace-pre-line")
        error.mark("step-dialog-error")

        def save() -> None:
            try:
                for read in readers:
                    read()
            except EditError as exc:
                error.text = str(exc)
                return
            dialog.close()
            on_save(edited)

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Cancel", on_click=dialog.close).props("flat").mark("step-cancel")
            ui.button("Apply", on_click=save).mark("step-save")
    dialog.open()


class CallArgument:
    """One argument of a call: the typed input of `ParameterForm` for a literal value, or,
    after the `#` switch, a text input for a run parameter, variable or expression."""

    def __init__(self, parameter: ins.Parameter, current: wf.ArgumentValue | None,
                 suggestions: Sequence[str]) -> None:
        self.name = parameter.name
        info = parameter_info(parameter)
        literal = current is not None and current.WhichOneof("kind") == "literal"
        with ui.row().classes("w-full items-start no-wrap gap-1"):
            with ui.column().classes("grow gap-0"):
                self.field = ParameterField(info, f"arg-{self.name}")
                self.field.element.classes("w-full")
                if literal and current is not None:
                    self.field.set(literal_value(current))
                reference = current if current is not None and not literal else None
                self.reference = ArgumentField(
                    f"{field_label(info)} · #parameter or =variable", reference,
                    parameter.type, suggestions=suggestions, marker=f"ref-{self.name}")
            self.switch = ui.button(icon="tag", on_click=self.toggle).props(
                f'flat round dense aria-label="Use a run parameter or variable for {self.name}"')
            self.switch.mark(f"mode-{self.name}").tooltip(
                "Use a run parameter (#name), a variable (=name) or an expression")
        self.by_reference = current is not None and not literal
        self._show()

    def toggle(self) -> None:
        self.by_reference = not self.by_reference
        self._show()

    def _show(self) -> None:
        self.field.element.set_visibility(not self.by_reference)
        self.reference.input.set_visibility(self.by_reference)
        self.switch.props(f"color={'primary' if self.by_reference else 'grey-6'}")

    def value(self) -> wf.ArgumentValue | None:
        """The argument, None when left empty; `EditError` for a wrong value."""
        if self.by_reference:
            return self.reference.value()
        raw = self.field.element.value
        if self.field.kind != "bool" and (raw is None or str(raw).strip() == ""):
            return None
        try:
            return literal(self.field.read())
        except FieldProblem as exc:
            raise EditError(str(exc)) from None


def _call_fields(step: wf.Step, method: ins.Method | None,
                 suggestions: Sequence[str]) -> Callable[[], None]:
    call = step.call
    if method is None:
        ui.label("This method is not on the deck; its arguments are kept as they are.") \
            .classes("text-sm text-amber-700")
        return lambda: None
    if method.description:
        ui.label(method.description).classes("text-sm text-slate-600 whitespace-pre-line")
    fields = [CallArgument(parameter, call.arguments[parameter.name]
                           if parameter.name in call.arguments else None, suggestions)
              for parameter in method.parameters]
    labels = save_as_labels(method)
    names: list[ui.input] = []
    if labels:
        ui.label("Save the result as").classes("text-sm font-medium mt-2")
        with ui.row().classes("w-full gap-2 no-wrap"):
            for index, label in enumerate(labels):
                name = call.save_as[index] if index < len(call.save_as) else ""
                names.append(ui.input(label if len(labels) > 1 else "variable name", value=name)
                             .classes("grow").mark(f"save-as-{index}"))
    once = ui.checkbox("Run once per batch", value=call.once_per_batch).mark("once-per-batch")

    def read() -> None:
        _write_call(call, {field.name: field.value for field in fields}, names, label_prefix="")
        call.once_per_batch = bool(once.value)
    return read


def _call_workflow_fields(step: wf.Step, target: CallableWorkflow | None,
                          suggestions: Sequence[str]) -> Callable[[], None]:
    called = step.call_workflow
    if target is None:
        ui.label("This workflow is not registered (or no longer exists); the step is kept "
                 "as it is.").classes("text-sm text-amber-700")
        return lambda: None
    if called.version and called.version != target.version:
        ui.label(f"Pinned to version {called.version}; the latest is {target.version}.") \
            .classes("text-sm text-slate-600")
    fields = {p.name: ArgumentField(f"#{p.name} ({p.type.python or 'any'})",
                                    called.arguments[p.name] if p.name in called.arguments
                                    else None, p.type, suggestions=suggestions,
                                    marker=f"arg-{p.name}")
              for p in target.parameters}
    names: list[ui.input] = []
    if target.outputs:
        ui.label("Save its outputs as").classes("text-sm font-medium mt-2")
        for index, output in enumerate(target.outputs):
            value = called.save_as[index] if index < len(called.save_as) else ""
            names.append(ui.input(output, value=value).classes("w-full")
                         .mark(f"save-as-{index}"))

    def read() -> None:
        _write_call(called, {name: field.value for name, field in fields.items()}, names,
                    label_prefix="#")
    return read


def _write_call(message: wf.CallStep | wf.CallWorkflowStep,
                readers: dict[str, Callable[[], wf.ArgumentValue | None]],
                names: Sequence[ui.input], *, label_prefix: str) -> None:
    """Store the read arguments and output names in `message`; on any wrong argument raise
    one `EditError` listing them all (``'<label_prefix><name>: problem'``) and change nothing."""
    problems: list[str] = []
    arguments: dict[str, wf.ArgumentValue] = {}
    for name, read in readers.items():
        try:
            value = read()
        except EditError as exc:
            problems.append(f"{label_prefix}{name}: {exc}")
            continue
        if value is not None:
            arguments[name] = value
    if problems:
        raise EditError("\n".join(problems))
    message.ClearField("arguments")
    for name, value in arguments.items():
        message.arguments[name].CopyFrom(value)
    saved = [(field.value or "").strip() for field in names]
    del message.save_as[:]
    if any(saved):
        message.save_as.extend(saved)


def _block_fields(step: wf.Step, kind: str, suggestions: Sequence[str]) -> Callable[[], None]:
    if kind in ("if_else", "while_loop"):
        block = getattr(step, kind)
        condition = ui.input("Condition", value=block.condition, autocomplete=list(suggestions)) \
            .classes("w-full").mark("condition") \
            .props('hint="e.g. #volume > 1 and total < 10" bottom-slots')
        cap = ui.number("At most this many passes", value=block.max_iterations or 1000,
                        min=1, precision=0).classes("w-full").mark("max-iterations") \
            if kind == "while_loop" else None

        def read_condition() -> None:
            if not (condition.value or "").strip():
                raise EditError("a condition is required")
            block.condition = condition.value.strip()
            if cap is not None:
                block.max_iterations = int(cap.value or 1000)
        return read_condition
    if kind in ("repeat", "wait", "set_variable"):
        return _value_fields(step, kind, suggestions)
    if kind == "pause":
        message = ui.textarea("Message to the operator", value=step.pause.message) \
            .classes("w-full").mark("pause-message")
        return lambda: setattr(step.pause, "message", message.value or "")
    if kind == "input":
        return _input_fields(step)
    if kind == "comment":
        text = ui.textarea("Comment (#name is filled in when logged)", value=step.comment.text) \
            .classes("w-full").mark("comment-text")
        return lambda: setattr(step.comment, "text", text.value or "")
    ui.label("This step has no settings to edit here.").classes("text-sm text-slate-500")
    return lambda: None


def _value_fields(step: wf.Step, kind: str, suggestions: Sequence[str]) -> Callable[[], None]:
    name_input: ui.input | None = None
    if kind == "set_variable":
        name_input = ui.input("Variable name", value=step.set_variable.name).classes("w-full") \
            .mark("variable-name")
        field = ArgumentField("Value", step.set_variable.value, None, suggestions=suggestions,
                              marker="variable-value")
    elif kind == "repeat":
        field = ArgumentField("Times", step.repeat.count, INT, suggestions=suggestions,
                              marker="repeat-count")
    else:
        field = ArgumentField("Seconds", step.wait.seconds, NUMBER, suggestions=suggestions,
                              marker="wait-seconds")

    def read() -> None:
        value = field.value()
        if value is None:
            raise EditError("a value is required")
        if kind == "set_variable":
            step.set_variable.name = (name_input.value or "").strip() if name_input else ""
            step.set_variable.value.CopyFrom(value)
        elif kind == "repeat":
            step.repeat.count.CopyFrom(value)
        else:
            step.wait.seconds.CopyFrom(value)
    return read


def _input_fields(step: wf.Step) -> Callable[[], None]:
    prompt = ui.input("Question", value=step.input.prompt).classes("w-full").mark("input-prompt")
    name = ui.input("Store the answer as", value=step.input.name).classes("w-full") \
        .mark("input-name")
    types = {number: label for label, number in INPUT_TYPES.items()}
    kind = ui.select(types, value=step.input.type or wf.INPUT_TYPE_NUMBER, label="Type") \
        .classes("w-full").mark("input-type")

    def read() -> None:
        step.input.prompt = prompt.value or ""
        step.input.name = (name.value or "").strip()
        step.input.type = kind.value
    return read
