"""Ax (optional: `pip install ivorygrpc[ax]`): Sobol initialization, then BoTorch.

Listed only when `ax` is importable (see `registry`); `ax` itself (and
PyTorch) is imported at the first campaign that uses it. Like the Optuna
adapter it keeps nothing: every session is a fresh in-memory `ax.Client`
that gets the stored trials attached (completed with their values, failed
ones marked failed, pending ones left running) before it is asked. Linear
constraints over parameters go to Ax as parameter constraints, the others
(over outputs) as outcome constraints; Ax refuses what it cannot parse, at
submission.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Sequence
from typing import Any

from ivorygrpc.errors import FieldViolation
from ivorygrpc.optimize.adapter import (
    CHOICE,
    FIXED,
    RANGE,
    Adapter,
    Insight,
    OptimizerInfo,
    OptimizerSession,
    Setting,
    setting,
)
from ivorygrpc.optimize.spec import COMPLETED, FAILED, INT, CampaignSpec, Parameter, Trial

METHODS = ("fast", "quality", "random_search")


class AxAdapter(Adapter):
    """Ax's `Client` API."""

    name = "ax"

    def describe(self) -> OptimizerInfo:
        """Sobol then BoTorch (`fast` / `quality`), or random search."""
        return OptimizerInfo(
            name=self.name, display_name="Ax",
            description="Meta's adaptive experimentation platform: Sobol initialization, "
                        "then Bayesian optimization with BoTorch (Gaussian processes). "
                        "Strong with few trials; each suggestion fits a model, which takes "
                        "seconds to minutes on a CPU.",
            version=importlib.metadata.version("ax-platform"),
            parameter_kinds=(RANGE, CHOICE, FIXED), supports_step=True,
            supports_log_scale=True, supports_multi_objective=True,
            supports_constraints=True, supports_batch=True,
            settings=(
                Setting("method", "fast or quality Bayesian optimization, or random_search",
                        "choice", "fast", METHODS),
                Setting("initialization_budget", "Sobol trials before the model is used",
                        "int", 5, minimum=1, maximum=1000),
            ))

    def check(self, spec: CampaignSpec, batch_size: int) -> list[FieldViolation]:
        """The generic checks, then whatever Ax refuses in the configuration."""
        problems = super().check(spec, batch_size)
        for index, parameter in enumerate(spec.parameters):
            if parameter.kind == "choice" and _choice_type(parameter) is None:
                problems.append(FieldViolation(f"spec.parameters[{index}].choice.values",
                                               "ax needs choices of one type"))
        continuous = {p.name for p in spec.parameters if p.kind == "range" and p.step is None}
        searched = {p.name for p in spec.parameters if p.kind != "fixed"}
        for index, constraint in enumerate(spec.parsed_constraints()):
            names = constraint.names()
            if names <= searched and not names <= continuous:
                # Ax turns stepped ranges and choices into choice parameters and then
                # ignores linear constraints on them without a word.
                problems.append(FieldViolation(f"spec.constraints[{index}]", (
                    "ax applies constraints over parameters to ranges without a step only: "
                    + ", ".join(sorted(names - continuous)))))
        if problems:
            return problems
        try:
            _configured(spec, seed=None)
        except Exception as exc:  # Ax's own input errors, whatever their type
            problems.append(FieldViolation("spec", f"ax refuses the campaign: {exc}"))
        return problems

    def open(self, spec: CampaignSpec, salt: int) -> OptimizerSession:
        """A session over a fresh in-memory client."""
        seed = None if spec.seed is None else (spec.seed * 1_000_003 + salt) % 2**31
        return AxSession(spec, seed)


class AxSession(OptimizerSession):
    """One in-memory `ax.Client`."""

    def __init__(self, spec: CampaignSpec, seed: int | None) -> None:
        self.spec = spec
        self.client = _configured(spec, seed)
        self.searched = [p.name for p in spec.parameters if p.kind != "fixed"]
        self.fixed = {p.name: p.value for p in spec.parameters if p.kind == "fixed"}

    def load(self, trials: Sequence[Trial]) -> None:
        """Attach the stored trials; ones without every searched parameter are left out."""
        for trial in trials:
            if not all(n in trial.parameters for n in self.searched):
                continue
            try:
                index = self.client.attach_trial({n: trial.parameters[n] for n in self.searched})
            except Exception:  # outside the space: old data
                continue
            if trial.state == COMPLETED:
                data = dict(trial.objective_values)
                data.update({k: float(v) for k, v in trial.outputs.items()
                             if k not in data and isinstance(v, int | float)
                             and not isinstance(v, bool)})
                self.client.complete_trial(index, data)
            elif trial.state == FAILED:
                self.client.mark_trial_failed(index)

    def suggest(self, count: int) -> list[dict[str, Any]]:
        """`count` new parameter sets."""
        found = self.client.get_next_trials(max_trials=count)
        return [{p.name: self.fixed[p.name] if p.kind == "fixed" else parameters[p.name]
                 for p in self.spec.parameters} for parameters in found.values()]

    def insights(self) -> list[Insight]:
        """None beyond the generic ones (Ax's analyses are plots)."""
        return []


def _configured(spec: CampaignSpec, seed: int | None) -> Any:
    from ax import Client  # type: ignore[import-not-found, unused-ignore]
    from ax.utils.common.logger import (  # type: ignore[import-not-found, unused-ignore]
        set_ax_logger_levels,
    )

    set_ax_logger_levels(logging.WARNING)  # else every suggestion is logged at INFO

    info = AxAdapter().describe()
    client = Client(random_seed=seed)
    names = {p.name for p in spec.parameters if p.kind != "fixed"}
    parameter_constraints = []
    outcome_constraints = []
    for constraint in spec.parsed_constraints():
        if constraint.names() <= names:
            parameter_constraints.append(constraint.text)
        else:
            outcome_constraints.append(constraint.text)
    client.configure_experiment(
        parameters=[_parameter(p) for p in spec.parameters if p.kind != "fixed"],
        parameter_constraints=parameter_constraints or None)
    objective = ", ".join(("-" if o.minimize else "") + o.name for o in spec.objectives)
    client.configure_optimization(objective=objective,
                                  outcome_constraints=outcome_constraints or None)
    client.configure_generation_strategy(
        method=str(setting(spec, info, "method")),
        initialization_budget=int(setting(spec, info, "initialization_budget")),
        initialization_random_seed=seed)
    return client


def _parameter(p: Parameter) -> Any:
    from ax import (  # type: ignore[import-not-found, unused-ignore]
        ChoiceParameterConfig,
        RangeParameterConfig,
    )

    if p.kind == "choice":
        return ChoiceParameterConfig(name=p.name, values=list(p.values),
                                     parameter_type=_choice_type(p), is_ordered=False)
    return RangeParameterConfig(name=p.name, bounds=(p.low, p.high),
                                parameter_type="int" if p.number_type == INT else "float",
                                step_size=p.step, scaling="log" if p.log_scale else None)


def _choice_type(p: Parameter) -> str | None:
    values = p.values
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, str) for v in values):
        return "str"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "float"
    return None
