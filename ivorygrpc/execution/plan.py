"""Checking and converting a run submission into a `RunPlan`.

A submission is a saved workflow (its JSON body), a mode (repeat, parameter
rows or CSV text) and a batch size. `plan_run` checks everything at once and
raises `InvalidArguments` listing every problem; otherwise it returns the
converted parameters of every sample of every main iteration and the pinned
bodies of every workflow the run calls.

Field paths of the violations:

    workflow                                   the workflow as a whole (a call cycle)
    workflow.main[s1].call.arguments.volume    a step problem: phase, step id, kind, field
    workflows[dose@3].main[s2].call.method     a problem inside a called workflow
    batch_size
    mode.rows[3].volume                        the mode's parameters (`run_modes`)

No protobuf here: the caller turns messages into the domain objects below and
in `run_modes`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ivorygrpc.deck.model import DeckSpec, ParamSpec
from ivorygrpc.errors import FieldViolation, InvalidArguments
from ivorygrpc.execution.run_modes import Mode, Problems, SampleConverter
from ivorygrpc.workflow.parameters import RunParameter, run_parameters
from ivorygrpc.workflow.validate import (
    PHASES,
    Problem,
    WorkflowLookup,
    iter_enabled_steps,
    iter_steps,
    step_kind,
    validate,
)

MAX_BATCH_SIZE = 1000
MAX_CALL_DEPTH = 32

WorkflowSource = Callable[[str, int | None], tuple[int, Mapping[str, Any]] | None]
"""`source(name, version)` -> `(version, body)` of that version (the latest when None), or None.

Unlike `WorkflowLookup` it says which version it returned, so a run can pin
the callees it will run. With the store:
`lambda n, v: (r.version, r.body) if (r := store.workflows.get(n, v)) else None`.
"""


# -- the plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunPlan:
    """What a run executes; treat the contents as read-only.

    `iterations[i][s]` are the parameters of sample `s` of main iteration `i`
    (samples of a repeat share nested values). `workflows` maps
    `"name@version"` to the body of every workflow the run calls, directly or
    through other called workflows. `calls` maps the id of every enabled
    `call_workflow` step to the `workflows` key it runs: plain step ids for
    the submitted workflow, `"name@version/step_id"` for steps of called
    workflows (whose `main` phase is what runs).
    """

    iterations: list[list[dict[str, Any]]]
    workflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: dict[str, str] = field(default_factory=dict)

    @property
    def samples(self) -> int:
        """The number of samples over all iterations."""
        return sum(len(iteration) for iteration in self.iterations)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (for the run record)."""
        return {"iterations": [[dict(sample) for sample in iteration]
                               for iteration in self.iterations],
                "workflows": dict(self.workflows), "calls": dict(self.calls)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunPlan:
        """The plan `to_json` wrote; raises ValueError for anything else."""
        iterations = data.get("iterations")
        workflows = data.get("workflows", {})
        calls = data.get("calls", {})
        if not (isinstance(iterations, list) and all(
                isinstance(it, list) and all(isinstance(s, dict) for s in it)
                for it in iterations)):
            raise ValueError("iterations must be a list of lists of objects")
        if not (isinstance(workflows, dict) and all(
                isinstance(k, str) and isinstance(v, dict) for k, v in workflows.items())):
            raise ValueError("workflows must map names to objects")
        if not (isinstance(calls, dict) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in calls.items())):
            raise ValueError("calls must map step ids to text")
        return cls([[dict(s) for s in it] for it in iterations], dict(workflows), dict(calls))


def lookup_from_source(source: WorkflowSource) -> WorkflowLookup:
    """A `WorkflowLookup` (body only) over a `WorkflowSource`."""

    def lookup(name: str, version: int | None) -> Mapping[str, Any] | None:
        found = source(name, version)
        return found[1] if found is not None else None

    return lookup


# -- planning ----------------------------------------------------------------------------------


def plan_run(name: str, body: Mapping[str, Any], deck: DeckSpec, mode: Mode, batch_size: int,
             lookup: WorkflowLookup, *, source: WorkflowSource,
             max_samples: int = 100_000) -> RunPlan:
    """Check a run submission and convert it; raises InvalidArguments listing every problem.

    `lookup` serves validation; `source` pins the called workflows (a
    `call_workflow` step without a version runs the version that is latest
    now). Called workflows must be valid against `deck` too (their `main`
    phase, the part that runs), and each call must give exactly the callee's
    run parameters. The same as `check_workflow` followed by `CheckedWorkflow.plan`.
    """
    return check_workflow(name, body, deck, lookup, source=source).plan(
        mode, batch_size, max_samples)


@dataclass(frozen=True)
class CheckedWorkflow:
    """A workflow checked against the deck, with its calls pinned: the part of a plan
    that does not depend on the mode. It stays right while neither the deck nor the
    workflow library change, so it may be kept and planned again; treat it as read-only.
    """

    violations: tuple[FieldViolation, ...]
    workflows: dict[str, dict[str, Any]]
    calls: dict[str, str]
    parameters: list[RunParameter]
    ranges: dict[str, list[tuple[str, ParamSpec]]]

    def plan(self, mode: Mode, batch_size: int, max_samples: int = 100_000) -> RunPlan:
        """Convert the mode's parameters; raises InvalidArguments listing every problem
        (the workflow's own first, as `plan_run` does)."""
        problems = Problems(self.violations)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not (
                1 <= batch_size <= MAX_BATCH_SIZE):
            problems.add("batch_size", f"must be 1 to {MAX_BATCH_SIZE}, got {batch_size!r}")
            batch = None
        else:
            batch = batch_size
        iterations = SampleConverter(self.parameters, self.ranges, problems).iterations(
            mode, batch, max_samples)
        if problems.violations:
            raise InvalidArguments(problems.violations)
        assert iterations is not None
        return RunPlan(iterations, dict(self.workflows), dict(self.calls))


def check_workflow(name: str, body: Mapping[str, Any], deck: DeckSpec, lookup: WorkflowLookup,
                   *, source: WorkflowSource) -> CheckedWorkflow:
    """Validate the workflow, pin the workflows it calls and find its run parameters; the
    problems found are kept in the result (`CheckedWorkflow.plan` raises them)."""
    planner = _Planner(deck, lookup, source)
    planner.check_workflow(name, body)
    return CheckedWorkflow(tuple(planner.violations), planner.workflows, planner.calls,
                           run_parameters(body, deck), bounded_inputs(body, deck))


def pin_workflow(name: str, body: Mapping[str, Any], deck: DeckSpec, lookup: WorkflowLookup, *,
                 source: WorkflowSource) -> tuple[RunPlan, list[FieldViolation]]:
    """Validate the workflow and pin the workflows it calls, without parameters: a plan
    with no iterations (a campaign's come from its optimizer) and the problems found."""
    checked = check_workflow(name, body, deck, lookup, source=source)
    return RunPlan([], checked.workflows, checked.calls), list(checked.violations)


class _Planner(Problems):
    """Collects violations and pins the called workflows."""

    def __init__(self, deck: DeckSpec, lookup: WorkflowLookup, source: WorkflowSource) -> None:
        super().__init__()
        self.deck = deck
        self.lookup = lookup
        self.source = source
        self.workflows: dict[str, dict[str, Any]] = {}
        self.calls: dict[str, str] = {}
        self._fetched: dict[tuple[str, int | None], tuple[int, Mapping[str, Any]] | None] = {}

    def fetch(self, name: str, version: int | None) -> tuple[int, Mapping[str, Any]] | None:
        """`source`, asked once per (name, version) so one run sees one version of each."""
        if (name, version) not in self._fetched:
            found = self.source(name, version)
            self._fetched[(name, version)] = found
            if found is not None:
                self._fetched.setdefault((name, found[0]), found)
        return self._fetched[(name, version)]

    def check_workflow(self, name: str, body: Mapping[str, Any]) -> None:
        self.problems("workflow", body, validate(name, body, self.deck, self.lookup))
        top = [step for phase in PHASES for step in iter_enabled_steps(body.get(phase) or [])]
        self.pin("workflow", body, top, "", [])

    def problems(self, prefix: str, body: Mapping[str, Any], problems: list[Problem]) -> None:
        places = _places(body)
        for problem in problems:
            self.add(_problem_field(prefix, places, problem), problem.message)

    def pin(self, prefix: str, body: Mapping[str, Any], steps: list[dict[str, Any]],
            key_prefix: str, stack: list[str]) -> None:
        """Pin the workflows `steps` call, then (once each) the ones those call."""
        places = _places(body)
        for step in steps:
            call = step.get("call_workflow")
            if not isinstance(call, dict):
                continue
            step_id = str(step.get("id", ""))
            where = _step_field(prefix, places, step_id, "call_workflow")
            target = str(call.get("workflow", ""))
            try:
                version = int(call.get("version", 0) or 0) or None
            except (TypeError, ValueError):
                self.add(f"{where}.version", f"not a version number: {call.get('version')!r}")
                continue
            found = self.fetch(target, version) if target else None
            if found is None or not found[1].get("registered"):
                if f"{where}.workflow" not in self.fields:  # else validation said so
                    state = "no saved workflow" if found is None else "not registered as callable:"
                    self.add(f"{where}.workflow", f"{state} {target!r}"
                             + (f" version {version}" if version else ""))
                continue
            key = f"{target}@{found[0]}"
            if step_id:
                self.calls[key_prefix + step_id] = key
            self._arguments(where, key, call, found[1])
            if key in stack:
                self.add(f"{where}.workflow", "workflow calls form a cycle: "
                         + " -> ".join([*stack, key]))
                continue
            if key in self.workflows:
                continue
            if len(stack) >= MAX_CALL_DEPTH:
                self.add(f"{where}.workflow", f"workflow calls nest deeper than {MAX_CALL_DEPTH}")
                continue
            callee = dict(found[1])
            self.workflows[key] = callee
            runs = {"main": callee.get("main") or []}  # a call runs the callee's main phase
            callee_prefix = f"workflows[{key}]"
            self.problems(callee_prefix, callee, validate(target, runs, self.deck, self.lookup))
            self.pin(callee_prefix, callee, list(iter_enabled_steps(runs["main"])), f"{key}/",
                     [*stack, key])

    def _arguments(self, where: str, key: str, call: Mapping[str, Any],
                   callee: Mapping[str, Any]) -> None:
        """A call gives exactly the callee's run parameters."""
        wanted = [p.name for p in run_parameters(callee, self.deck)]
        given = call.get("arguments") or {}
        for name in wanted:
            if name not in given:
                self.add(f"{where}.arguments.{name}", f"{key} needs its run parameter #{name}")
        for name in sorted(set(given) - set(wanted)):
            known = ", ".join(wanted) if wanted else "none"
            self.add(f"{where}.arguments.{name}",
                     f"{key} has no run parameter #{name} (it has: {known})")


def _places(body: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Step id -> (phase, kind) of its first occurrence."""
    places: dict[str, tuple[str, str]] = {}
    for phase in PHASES:
        for step in iter_steps(body.get(phase) or []):
            places.setdefault(str(step.get("id", "")), (phase, step_kind(step)))
    return places


def _step_field(prefix: str, places: dict[str, tuple[str, str]], step_id: str,
                kind: str) -> str:
    phase = places.get(step_id, ("main", ""))[0]
    return f"{prefix}.{phase}[{step_id}]" + (f".{kind}" if kind else "")


def _problem_field(prefix: str, places: dict[str, tuple[str, str]], problem: Problem) -> str:
    if not problem.step_id:
        return ".".join(p for p in (prefix, problem.field) if p)
    if problem.step_id not in places:
        return f"{prefix}[{problem.step_id}]" + (f".{problem.field}" if problem.field else "")
    phase, kind = places[problem.step_id]
    path = f"{prefix}.{phase}[{problem.step_id}]"
    if not problem.field:
        return path
    if problem.field == "id" or not kind:
        return f"{path}.{problem.field}"
    return f"{path}.{kind}.{problem.field}"


# -- ranges ------------------------------------------------------------------------------------


def bounded_inputs(body: Mapping[str, Any],
                   deck: DeckSpec) -> dict[str, list[tuple[str, ParamSpec]]]:
    """Parameter name -> the bounded method parameters it is passed to (enabled main steps)."""
    found: dict[str, list[tuple[str, ParamSpec]]] = {}
    for step in iter_enabled_steps(body.get("main") or []):
        call = step.get("call")
        if not isinstance(call, dict):
            continue
        inst = deck.instrument(str(call.get("instrument", "")))
        op = inst.operation(str(call.get("method", ""))) if inst else None
        if inst is None or op is None:
            continue
        specs = {p.name: p for p in op.params}
        for arg, value in (call.get("arguments") or {}).items():
            spec = specs.get(arg)
            if spec is None or not isinstance(value, dict) or "parameter" not in value:
                continue
            if any(b is not None for b in (spec.minimum, spec.maximum, spec.exclusive_minimum,
                                           spec.exclusive_maximum)):
                found.setdefault(str(value["parameter"]), []).append(
                    (f"{inst.name}.{op.name} {spec.name}", spec))
    return found
