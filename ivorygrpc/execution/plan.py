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
    mode.repeat.count
    mode.repeat.parameters.volume
    mode.rows[3].volume                        rows are counted from 0
    mode.csv.line 4.volume                     lines are counted from 1, as in an editor

Stored parameters are JSON-like values already of the declared type (an int
parameter given 3.0 holds 3, a float given 2 holds 2.0, an enum its member
name), so the runner converts them again with `from_json` without surprises.
No protobuf here: the caller turns messages into the domain objects below.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ivorygrpc.deck.decode import Invalid, check_range, from_json, violation
from ivorygrpc.deck.jsonable import to_jsonable
from ivorygrpc.deck.model import DeckSpec, Kind, ParamSpec, TypeSpec
from ivorygrpc.errors import FieldViolation, InvalidArguments
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
_NULL_TEXTS = ("None", "null")
_MAX_DEPTH = 64

WorkflowSource = Callable[[str, int | None], tuple[int, Mapping[str, Any]] | None]
"""`source(name, version)` -> `(version, body)` of that version (the latest when None), or None.

Unlike `WorkflowLookup` it says which version it returned, so a run can pin
the callees it will run. With the store:
`lambda n, v: (r.version, r.body) if (r := store.workflows.get(n, v)) else None`.
"""


# -- the submission ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatMode:
    """The same parameters for `count` iterations (and every sample of each)."""

    count: int
    parameters: dict[str, Any]  # JSON-like, by parameter name


@dataclass(frozen=True)
class RowsMode:
    """One row of parameters per sample."""

    rows: list[dict[str, Any]]  # JSON-like, by parameter name


@dataclass(frozen=True)
class CsvMode:
    """One CSV line of parameters per sample; the first line names the parameters."""

    text: str


Mode = RepeatMode | RowsMode | CsvMode


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


# -- templates ---------------------------------------------------------------------------------


def csv_template(parameters: Sequence[RunParameter]) -> str:
    """A CSV header of the parameter names and a second line of their type names.

    `plan_run` skips that second line when it comes back unchanged. Empty when
    there are no parameters.
    """
    if not parameters:
        return ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([p.name for p in parameters])
    writer.writerow([p.type.python for p in parameters])
    return out.getvalue()


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
        problems = _Problems(self.violations)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not (
                1 <= batch_size <= MAX_BATCH_SIZE):
            problems.add("batch_size", f"must be 1 to {MAX_BATCH_SIZE}, got {batch_size!r}")
            batch = None
        else:
            batch = batch_size
        iterations = _Converter(self.parameters, self.ranges, problems).iterations(
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


class _Problems:
    """Collects violations (field paths once each, for the checks that ask)."""

    def __init__(self, violations: Sequence[FieldViolation] = ()) -> None:
        self.violations: list[FieldViolation] = list(violations)
        self.fields: set[str] = {v.field for v in violations}

    def add(self, field_path: str, description: str) -> None:
        self.violations.append(FieldViolation(field_path, description))
        self.fields.add(field_path)


class _Planner(_Problems):
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


def _bounds(spec: ParamSpec) -> str:
    parts = [f"{sign} {bound:g}" for sign, bound in (
        (">=", spec.minimum), ("<=", spec.maximum), (">", spec.exclusive_minimum),
        ("<", spec.exclusive_maximum)) if bound is not None]
    return " and ".join(parts)


# -- parameters --------------------------------------------------------------------------------


class _Converter:
    """Checks and converts parameter values per mode."""

    def __init__(self, parameters: list[RunParameter],
                 ranges: dict[str, list[tuple[str, ParamSpec]]], planner: _Problems) -> None:
        self.parameters = {p.name: p for p in parameters}
        self.ranges = ranges
        self.planner = planner
        self.known = ", ".join(self.parameters) or "none"

    def _unknown(self, what: str) -> str:
        if not self.parameters:
            return f"unknown {what}: the workflow has no run parameters"
        return f"unknown {what}; the workflow's run parameters are: {self.known}"

    def iterations(self, mode: Mode, batch: int | None,
                   max_samples: int) -> list[list[dict[str, Any]]] | None:
        if isinstance(mode, RepeatMode):
            return self._repeat(mode, batch, max_samples)
        if isinstance(mode, RowsMode):
            field_path, rows = "mode.rows", self._rows(mode.rows)
        elif isinstance(mode, CsvMode):
            field_path, rows = "mode.csv", self._csv(mode.text)
        else:
            self.planner.add("mode", "give repeat, rows or csv")
            return None
        if not self.parameters:
            self.planner.add(field_path, "the workflow has no run parameters; use repeat")
            return None
        if rows is None:
            return None
        if not rows:
            self.planner.add(field_path, "give at least one row of parameters")
        elif len(rows) > max_samples:
            self.planner.add(field_path, f"{len(rows)} rows exceed the limit of "
                             f"{max_samples} samples per run")
        if batch is None:
            return None
        return [rows[i:i + batch] for i in range(0, len(rows), batch)]

    def _repeat(self, mode: RepeatMode, batch: int | None,
                max_samples: int) -> list[list[dict[str, Any]]] | None:
        count: int | None = mode.count
        if isinstance(count, bool) or not isinstance(count, int) or not (
                1 <= count <= max_samples):
            self.planner.add("mode.repeat.count", f"must be 1 to {max_samples}, got {count!r}")
            count = None
        elif batch is not None and count * batch > max_samples:
            self.planner.add("mode.repeat.count", f"{count} iterations of {batch} samples are "
                             f"{count * batch} samples, more than the limit of {max_samples}")
            count = None
        if not isinstance(mode.parameters, Mapping):
            self.planner.add("mode.repeat.parameters", "must be an object of run parameters")
            return None
        values = self._row(mode.parameters, "mode.repeat.parameters")
        if values is None or count is None or batch is None:
            return None
        return [[dict(values) for _ in range(batch)] for _ in range(count)]

    def _rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        if not self.parameters:
            return None
        converted: list[dict[str, Any]] = []
        ok = True
        for index, row in enumerate(rows):
            where = f"mode.rows[{index}]"
            if not isinstance(row, Mapping):
                self.planner.add(where, "must be an object of run parameters")
                ok = False
                continue
            values = self._row(row, where)
            if values is None:
                ok = False
            else:
                converted.append(values)
        return converted if ok else None

    def _row(self, row: Mapping[str, Any], where: str) -> dict[str, Any] | None:
        """Every parameter given, none unknown, each converted; None after a problem."""
        ok = True
        for name in row:
            if name not in self.parameters:
                self.planner.add(f"{where}.{name}", self._unknown(f"run parameter {name!r}"))
                ok = False
        values: dict[str, Any] = {}
        for name, parameter in self.parameters.items():
            if name not in row:
                self.planner.add(f"{where}.{name}", f"run parameter #{name} "
                                 f"({parameter.type.python}) is required")
                ok = False
                continue
            converted = self._convert(row[name], parameter, f"{where}.{name}")
            if converted is _FAILED:
                ok = False
            else:
                values[name] = converted
        return values if ok else None

    def _convert(self, value: Any, parameter: RunParameter, where: str,
                 decode: Callable[[Any, TypeSpec], Any] = from_json) -> Any:
        """The JSON-like value of the parameter's type, or _FAILED after adding a violation."""
        try:
            python = decode(value, parameter.type)
            if _non_finite(python):
                raise Invalid("numbers must be finite (no NaN or Infinity)")
            for label, spec in self.ranges.get(parameter.name, []):
                try:
                    check_range(spec, python)
                except TypeError:  # another use with another type: not comparable
                    continue
                except Invalid as exc:
                    raise Invalid(f"{exc.description}: {label} must be {_bounds(spec)}") from None
            return to_jsonable(python)
        except Invalid as exc:
            found = violation(where, exc)
            self.planner.add(found.field, found.description)
        except (ValueError, RecursionError) as exc:  # nested too deeply
            self.planner.add(where, str(exc) or "the value is nested too deeply")
        return _FAILED

    # -- CSV -----------------------------------------------------------------------------------

    def _csv(self, text: str) -> list[dict[str, Any]] | None:
        if not self.parameters:
            return None
        reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
        lines: list[tuple[int, list[str]]] = []
        previous = 0
        try:
            for cells in reader:
                start, previous = previous + 1, reader.line_num
                if any(c.strip() for c in cells):
                    lines.append((start, cells))
        except csv.Error as exc:
            self.planner.add(f"mode.csv.line {previous + 1}", f"not valid CSV: {exc}")
            return None
        if not lines:
            self.planner.add("mode.csv", "the CSV text is empty; its first line must name "
                             f"the run parameters ({self.known})")
            return None
        header_line, header_cells = lines[0]
        header = [c.strip() for c in header_cells]
        if not self._header(header_line, header):
            return None
        body = lines[1:]
        types = [self.parameters[name].type.python for name in header]
        if body and [c.strip() for c in body[0][1]] == types:
            body = body[1:]  # the type names line of the template
        rows: list[dict[str, Any]] = []
        ok = True
        for number, cells in body:
            where = f"mode.csv.line {number}"
            if len(cells) != len(header):
                self.planner.add(where, f"has {len(cells)} cells, the header has {len(header)}")
                ok = False
                continue
            row: dict[str, Any] = {}
            for name, cell in zip(header, cells, strict=True):
                converted = self._convert(cell, self.parameters[name], f"{where}.{name}",
                                          _cell_decoder)
                if converted is _FAILED:
                    ok = False
                else:
                    row[name] = converted
            rows.append(row)
        return rows if ok else None

    def _header(self, line: int, header: list[str]) -> bool:
        where = f"mode.csv.line {line}"
        ok = True
        seen: set[str] = set()
        for index, name in enumerate(header, 1):
            if not name:
                self.planner.add(where, f"column {index} has no name")
                ok = False
            elif name in seen:
                self.planner.add(f"{where}.{name}", f"column {name!r} appears twice")
                ok = False
            elif name not in self.parameters:
                self.planner.add(f"{where}.{name}", self._unknown(f"column {name!r}"))
                ok = False
            seen.add(name)
        for name in self.parameters:
            if name not in seen:
                self.planner.add(where, f"missing column {name!r} (run parameter #{name}, "
                                 f"{self.parameters[name].type.python})")
                ok = False
        return ok


class _Failed:
    pass


_FAILED: Any = _Failed()


def _cell_decoder(text: Any, t: TypeSpec) -> Any:
    """CSV cell text -> the Python value of `t` (via from_json)."""
    assert isinstance(text, str)
    stripped = text.strip()
    if not stripped:
        raise Invalid("is blank: every cell needs a value"
                      + (" (write null for None)" if t.nullable else ""))
    if stripped in _NULL_TEXTS and t.nullable:
        return None
    if t.repeated or t.kind is Kind.RECORD:
        return from_json(_json_cell(stripped), t)
    if t.kind is Kind.ANY:
        return from_json(_guess(stripped), t)
    if t.kind is Kind.STRING:
        return text
    if t.kind is Kind.INT64:
        return from_json(_number(stripped), t)
    return from_json(stripped, t)


def _number(text: str) -> Any:
    """`3` -> 3, `3.0` -> 3.0 (from_json takes it as 3), anything else unchanged."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _guess(text: str) -> Any:
    """An untyped cell: a finite number, true/false, JSON list or object, else the text."""
    number = _number(text)
    if isinstance(number, int) or (isinstance(number, float) and math.isfinite(number)):
        return number
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text[0] in "[{":
        try:
            return _json_cell(text)
        except Invalid:
            pass
    return text


def _json_cell(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not allowed")

    try:
        return json.loads(text, parse_constant=refuse)
    except (ValueError, RecursionError) as exc:
        raise Invalid(f"expected JSON text (for example [1, 2] or {{\"x\": 1}}): {exc}") from None


def _non_finite(value: Any, depth: int = 0) -> bool:
    """True when a NaN or infinity hides anywhere in a converted value."""
    if depth > _MAX_DEPTH:
        return False  # to_jsonable refuses it
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, str | bytes | bool | int) or value is None:
        return False
    if isinstance(value, Mapping):
        return any(_non_finite(v, depth + 1) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_non_finite(v, depth + 1) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_non_finite(getattr(value, f.name), depth + 1)
                   for f in dataclasses.fields(value))
    return False
