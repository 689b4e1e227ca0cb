"""The campaign form, built from the server's optimizer schemas alone.

`ListOptimizers` says which parameter kinds, steps, log scales, objectives and settings an
optimizer takes; `GetParameterSpace` gives the workflow's default space (one entry per
run parameter) and its outputs as possible objectives. `spec()` turns the form into a
`CampaignSpec` (or raises `FormProblem` listing what is wrong).

Embedding it (the run form of the Execute page does this for campaign runs)::

    form = CampaignForm(conn, workflow)      # inside the container it should fill
    await form.build()                       # draws it (errors are shown in place)
    ...
    spec = form.spec()                       # on submit; FormProblem -> show str(exc)
    mode = client.campaigns.campaign_mode(spec, int(form.iterations or 1))

For a suggest-only campaign (the Campaigns page) pass ``free_names=True, budget=False``:
parameters and objectives are then free names the user adds and removes (a range also
gets a whole-number / any-number choice), `use_workflow(name)` refills the space from a
workflow, and there is no iteration budget.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from google.protobuf import json_format
from nicegui import ui
from nicegui.elements.mixins.value_element import ValueElement

from ivorygrpc.v1 import campaign_pb2 as cp
from ivorygrpc.v1.campaign_service_pb2 import GetParameterSpaceResponse
from ivorygrpc_ui.client import campaigns as api
from ivorygrpc_ui.client.connection import Connection, UiError
from ivorygrpc_ui.client.values import from_value, show, to_value

KINDS = {cp.PARAMETER_KIND_RANGE: "range", cp.PARAMETER_KIND_CHOICE: "choice",
         cp.PARAMETER_KIND_FIXED: "fixed"}
DIRECTIONS = {cp.OBJECTIVE_DIRECTION_MINIMIZE: "minimize",
              cp.OBJECTIVE_DIRECTION_MAXIMIZE: "maximize"}
NUMBER_TYPES = {cp.NUMBER_TYPE_FLOAT: "any", cp.NUMBER_TYPE_INT: "whole"}


class FormProblem(ValueError):
    """The form cannot become a campaign; the message is for the user."""


@dataclass
class _Parameter:
    spec: cp.ParameterSpec
    kind: str = "range"
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log_scale: bool = False
    number_type: int = cp.NUMBER_TYPE_UNSPECIFIED
    text: str = ""  # choice values (comma-separated) or the fixed value


@dataclass
class _Objective:
    name: str
    use: bool = False
    direction: int = cp.OBJECTIVE_DIRECTION_MINIMIZE
    weight: float = 1.0
    threshold: float | None = None


class CampaignForm:
    """Optimizer, parameter space, objectives, settings and budget of a run campaign."""

    def __init__(self, conn: Connection, workflow: str = "", *, free_names: bool = False,
                 budget: bool = True) -> None:
        self.conn = conn
        self.workflow = workflow
        self.free_names = free_names
        self.budget = budget
        self.optimizers: dict[str, cp.Optimizer] = {}
        self.optimizer = ""
        self.parameters: list[_Parameter] = []
        self.objectives: list[_Objective] = []
        self.notes: list[str] = []
        self.settings: dict[str, Any] = {}
        self.iterations = 5
        self.seed: float | None = None
        self.view = ui.refreshable(self._view)

    async def build(self) -> None:
        try:
            optimizers = await api.list_optimizers(self.conn)
            space = await api.parameter_space(self.conn, self.workflow) if self.workflow \
                else None
        except UiError as exc:
            ui.label(exc.text).classes("text-sm text-red-600").mark("campaign-error")
            return
        self.optimizers = {o.name: o for o in optimizers}
        self.optimizer = next((o.name for o in optimizers if o.is_default),
                              optimizers[0].name if optimizers else "")
        if space is not None:
            self._use_space(space)
        self._reset_settings()
        self.view()

    def _use_space(self, space: GetParameterSpaceResponse) -> None:
        self.parameters = [_parameter(p) for p in space.parameters]
        self.objectives = [_Objective(o.name, use=index == 0, direction=o.direction or
                                      cp.OBJECTIVE_DIRECTION_MINIMIZE)
                           for index, o in enumerate(space.objectives)]
        self.notes = list(space.notes)

    async def use_workflow(self, workflow: str) -> None:
        """Replace the parameters and objectives with `workflow`'s default space."""
        try:
            space = await api.parameter_space(self.conn, workflow)
        except UiError as exc:
            ui.notify(exc.text, type="negative", multi_line=True)
            return
        self.workflow = workflow
        self._use_space(space)
        self.view.refresh()

    def add_parameter(self, name: str) -> None:
        """Add a searched parameter (a 0 to 1 range) named `name`."""
        name = name.strip()
        if name and name not in {p.spec.name for p in self.parameters}:
            spec = cp.ParameterSpec(name=name, range=cp.RangeSpec(
                low=0, high=1, number_type=cp.NUMBER_TYPE_FLOAT))
            self.parameters.append(_parameter(spec))
            self.view.refresh()

    def add_objective(self, name: str) -> None:
        """Add an objective (minimized, chosen) named `name`."""
        name = name.strip()
        if name and name not in {o.name for o in self.objectives}:
            self.objectives.append(_Objective(name, use=True))
            self.view.refresh()

    def _remove(self, items: list[Any], item: object) -> None:
        items.remove(item)
        self.view.refresh()

    def _reset_settings(self) -> None:
        optimizer = self.optimizers.get(self.optimizer)
        self.settings = {s.name: from_value(s.default_value)
                                for s in (optimizer.settings if optimizer else [])}

    def _pick(self, name: str) -> None:
        self.optimizer = name
        self._reset_settings()
        self.view.refresh()

    # -- drawing ---------------------------------------------------------------------------

    def _view(self) -> None:
        if not self.optimizers:
            ui.label("The server has no optimizer installed.").classes("text-sm")
            return
        optimizer = self.optimizers[self.optimizer]
        ui.select({name: o.display_name or name for name, o in self.optimizers.items()},
                  value=self.optimizer, label="Optimizer",
                  on_change=lambda e: self._pick(e.value)).classes("w-full") \
            .mark("campaign-optimizer")
        if optimizer.description:
            ui.label(optimizer.description).classes("text-xs text-slate-500")
        ui.label("Parameters").classes("text-sm font-medium mt-2")
        kinds = [KINDS[k] for k in optimizer.parameter_kinds if k in KINDS] or list(
            KINDS.values())
        for parameter in self.parameters:
            self._parameter_row(parameter, kinds, optimizer)
        if self.free_names:
            _add_row("Add parameter", "campaign-add-parameter", self.add_parameter)
        for note in self.notes:
            with ui.row().classes("items-center gap-1 no-wrap"):
                ui.icon("info", size="xs", color="warning")
                ui.label(note).classes("text-xs text-amber-800").mark("campaign-note")
        ui.label("Objectives").classes("text-sm font-medium mt-2")
        if not self.objectives:
            ui.label("The workflow saves no outputs to optimize.").classes("text-sm")
        for objective in self.objectives:
            self._objective_row(objective, optimizer)
        if self.free_names:
            _add_row("Add objective", "campaign-add-objective", self.add_objective)
        if optimizer.settings:
            ui.label("Settings").classes("text-sm font-medium mt-2")
            for setting in optimizer.settings:
                _setting_input(setting, self.settings)
        with ui.row().classes("w-full gap-3"):
            if self.budget:
                _into(ui.number("Iterations (budget)", min=1, precision=0), self,
                      "iterations").classes("w-40").mark("campaign-iterations")
            _into(ui.number("Seed (optional)", precision=0), self, "seed").classes("w-32") \
                .mark("campaign-seed")

    def _parameter_row(self, parameter: _Parameter, kinds: list[str],
                       optimizer: cp.Optimizer) -> None:
        name = parameter.spec.name
        with ui.row().classes("w-full items-end gap-2 no-wrap"):
            ui.label(name if self.free_names else f"#{name}") \
                .classes("font-mono text-sm w-24 truncate pb-2")
            kind = _into(ui.select(kinds, label="Kind"), parameter, "kind")
            kind.on_value_change(lambda: self.view.refresh())
            kind.classes("w-24").mark(f"campaign-kind-{name}")
            if parameter.kind == "range":
                if self.free_names:
                    if parameter.number_type not in NUMBER_TYPES:  # outside a run: float
                        parameter.number_type = cp.NUMBER_TYPE_FLOAT
                    _into(ui.select(NUMBER_TYPES, label="Numbers"), parameter, "number_type") \
                        .classes("w-24").mark(f"campaign-numbers-{name}")
                _into(ui.number("Low"), parameter, "low").classes("w-20") \
                    .mark(f"campaign-low-{name}")
                _into(ui.number("High"), parameter, "high").classes("w-20") \
                    .mark(f"campaign-high-{name}")
                if optimizer.supports_step:
                    _into(ui.number("Step"), parameter, "step").classes("w-16")
                if optimizer.supports_log_scale:
                    _into(ui.checkbox("log"), parameter, "log_scale")
            else:
                hint = "values, comma-separated" if parameter.kind == "choice" else "value"
                _into(ui.input(hint.capitalize()), parameter, "text").classes("grow") \
                    .mark(f"campaign-values-{name}")
            if self.free_names:
                ui.button(icon="close", on_click=lambda: self._remove(self.parameters,
                                                                      parameter)) \
                    .props("flat round dense size=sm").mark(f"campaign-remove-{name}")

    def _objective_row(self, objective: _Objective, optimizer: cp.Optimizer) -> None:
        with ui.row().classes("w-full items-end gap-2 no-wrap"):
            _into(ui.checkbox(objective.name), objective, "use").classes("w-32") \
                .mark(f"campaign-objective-{objective.name}")
            _into(ui.select(DIRECTIONS, label="Goal"), objective, "direction") \
                .classes("w-28").mark(f"campaign-direction-{objective.name}")
            if optimizer.supports_multi_objective:
                _into(ui.number("Weight"), objective, "weight").classes("w-20")
            _into(ui.number("Stop at"), objective, "threshold").classes("w-24") \
                .tooltip("Early stop when a trial reaches this value")
            if self.free_names:
                ui.button(icon="close", on_click=lambda: self._remove(self.objectives,
                                                                      objective)) \
                    .props("flat round dense size=sm") \
                    .mark(f"campaign-remove-objective-{objective.name}")

    # -- reading ---------------------------------------------------------------------------

    def spec(self) -> cp.CampaignSpec:
        """The campaign; `FormProblem` lists what is missing or wrong."""
        problems: list[str] = []
        spec = cp.CampaignSpec(optimizer=self.optimizer)
        for parameter in self.parameters:
            try:
                spec.parameters.append(_parameter_spec(parameter))
            except FormProblem as exc:
                problems.append(f"#{parameter.spec.name}: {exc}")
        for objective in self.objectives:
            if objective.use:
                chosen = spec.objectives.add(name=objective.name, direction=objective.direction,
                                             weight=objective.weight or 1.0)
                if objective.threshold is not None:
                    chosen.threshold = objective.threshold
        if not spec.objectives:
            problems.append("choose at least one objective")
        json_format.ParseDict({k: v for k, v in self.settings.items() if v is not None},
                              spec.settings)
        if self.seed is not None:
            spec.seed = int(self.seed)
        if problems:
            raise FormProblem("\n".join(problems))
        return spec


E = TypeVar("E", bound=ValueElement[Any])


def _into(element: E, model: object, attribute: str) -> E:
    """Show `model.attribute` in `element` and write every change back (one way: no
    binding loop watches the model)."""
    element.value = getattr(model, attribute)
    element.on_value_change(lambda event: setattr(model, attribute, event.value))
    return element


def _parameter(spec: cp.ParameterSpec) -> _Parameter:
    kind = spec.WhichOneof("kind") or "range"
    parameter = _Parameter(spec=spec, kind=kind)
    if kind == "range":
        parameter.low, parameter.high = spec.range.low, spec.range.high
        parameter.step = spec.range.step if spec.range.HasField("step") else None
        parameter.log_scale = spec.range.log_scale
        parameter.number_type = spec.range.number_type
    elif kind == "choice":
        parameter.text = ", ".join(show(from_value(v)) for v in spec.choice.values)
    else:
        parameter.text = show(from_value(spec.fixed.value))
    return parameter


def _parameter_spec(parameter: _Parameter) -> cp.ParameterSpec:
    spec = cp.ParameterSpec(name=parameter.spec.name)
    if parameter.kind == "range":
        if parameter.low is None or parameter.high is None:
            raise FormProblem("give a low and a high bound")
        spec.range.low, spec.range.high = float(parameter.low), float(parameter.high)
        spec.range.log_scale = parameter.log_scale
        spec.range.number_type = parameter.number_type  # type: ignore[assignment]
        if parameter.step:
            spec.range.step = float(parameter.step)
    elif parameter.kind == "choice":
        values = [_typed(item) for item in parameter.text.split(",") if item.strip()]
        if len(values) < 2:
            raise FormProblem("give at least two values")
        spec.choice.values.extend(to_value(v) for v in values)
    else:
        spec.fixed.value.CopyFrom(to_value(_typed(parameter.text)))
    return spec


def _typed(text: str) -> Any:
    """Numbers and true/false as such, anything else as text."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        return text


def _add_row(label: str, marker: str, add: Callable[[str], None]) -> None:
    """A name input with an add button (Enter adds too)."""
    def submit() -> None:
        add(name.value or "")

    with ui.row().classes("items-end gap-2"):
        name = ui.input(label).props("dense").classes("w-48").mark(marker)
        name.on("keydown.enter", submit)
        ui.button(icon="add", on_click=submit).props("flat round dense").mark(f"{marker}-button")


def _setting_input(setting: cp.OptimizerSetting, values: dict[str, Any]) -> None:
    label = setting.name.replace("_", " ")
    if setting.type in (cp.SETTING_TYPE_INT, cp.SETTING_TYPE_FLOAT):
        element: Any = ui.number(label, precision=0 if setting.type == cp.SETTING_TYPE_INT
                                 else None,
                                 min=setting.minimum if setting.HasField("minimum") else None,
                                 max=setting.maximum if setting.HasField("maximum") else None)
    elif setting.type == cp.SETTING_TYPE_BOOL:
        element = ui.checkbox(label)
    elif setting.type == cp.SETTING_TYPE_CHOICE:
        element = ui.select(list(setting.choices), label=label)
    else:
        element = ui.input(label)
    element.value = values.get(setting.name)
    element.on_value_change(lambda e: values.__setitem__(setting.name, e.value))
    element.classes("w-full").mark(f"setting-{setting.name}")
    if setting.description:
        element.tooltip(setting.description)
