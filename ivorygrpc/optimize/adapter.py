"""The optimizer adapter interface and the schema an adapter describes itself with.

An adapter is stateless: `open(spec)` gives an `OptimizerSession` that is
fed the campaign's stored trials (`load`, which also seeds it with existing
data), then asked for suggestions. The campaign's state is
the trial list in our database; a session is rebuilt from it for every
suggestion, so a restart loses nothing and no optimizer library keeps state
of its own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ivorygrpc.errors import FieldViolation
from ivorygrpc.optimize.spec import CampaignSpec, Trial

RANGE, CHOICE, FIXED = "PARAMETER_KIND_RANGE", "PARAMETER_KIND_CHOICE", "PARAMETER_KIND_FIXED"


@dataclass(frozen=True)
class Setting:
    """One adapter-specific setting: `type` is int, float, bool, string or choice."""

    name: str
    description: str
    type: str
    default: Any
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The `OptimizerSetting` JSON form."""
        data: dict[str, Any] = {"name": self.name, "description": self.description,
                                "type": f"SETTING_TYPE_{self.type.upper()}",
                                "default_value": self.default, "choices": list(self.choices)}
        if self.minimum is not None:
            data["minimum"] = self.minimum
        if self.maximum is not None:
            data["maximum"] = self.maximum
        return data


@dataclass(frozen=True)
class OptimizerInfo:
    """What an adapter supports: the `Optimizer` message."""

    name: str
    display_name: str
    description: str
    version: str
    parameter_kinds: tuple[str, ...]
    supports_step: bool
    supports_log_scale: bool
    supports_multi_objective: bool
    supports_constraints: bool
    supports_batch: bool
    settings: tuple[Setting, ...] = field(default=())

    def to_json(self, is_default: bool) -> dict[str, Any]:
        """The `Optimizer` JSON form."""
        return {"name": self.name, "display_name": self.display_name,
                "description": self.description, "version": self.version,
                "is_default": is_default, "parameter_kinds": list(self.parameter_kinds),
                "supports_step": self.supports_step,
                "supports_log_scale": self.supports_log_scale,
                "supports_multi_objective": self.supports_multi_objective,
                "supports_constraints": self.supports_constraints,
                "supports_batch": self.supports_batch,
                "settings": [s.to_json() for s in self.settings]}


@dataclass(frozen=True)
class Insight:
    """Something the optimizer learned, for example parameter importances."""

    name: str
    description: str
    objective: str
    values: dict[str, float]


class OptimizerSession(ABC):
    """One campaign's optimizer, rebuilt from its trials."""

    @abstractmethod
    def load(self, trials: Sequence[Trial]) -> None:
        """Feed stored trials: existing data, completed, failed and pending ones."""

    @abstractmethod
    def suggest(self, count: int) -> list[dict[str, Any]]:
        """`count` new parameter sets (every parameter, fixed ones included)."""

    @abstractmethod
    def insights(self) -> list[Insight]:
        """What it can say about the trials so far; may be empty."""


class Adapter(ABC):
    """An installed optimizer library."""

    name: str

    @abstractmethod
    def describe(self) -> OptimizerInfo:
        """The schema clients build the campaign form from."""

    def check(self, spec: CampaignSpec, batch_size: int) -> list[FieldViolation]:
        """Problems of `spec` this optimizer cannot handle (beyond `check_spec`): unknown or
        bad settings, unsupported kinds, several objectives, constraints or batches."""
        info = self.describe()
        problems = check_settings(info.settings, spec.settings)
        kinds = {"range": RANGE, "choice": CHOICE, "fixed": FIXED}
        for index, parameter in enumerate(spec.parameters):
            where = f"spec.parameters[{index}]"
            if kinds.get(parameter.kind) not in info.parameter_kinds:
                problems.append(FieldViolation(where, f"{info.name} does not support "
                                                      f"{parameter.kind} parameters"))
            if parameter.step is not None and not info.supports_step:
                problems.append(FieldViolation(f"{where}.range.step",
                                               f"{info.name} does not support steps"))
            if parameter.log_scale and not info.supports_log_scale:
                problems.append(FieldViolation(f"{where}.range.log_scale",
                                               f"{info.name} does not support log scales"))
        if len(spec.objectives) > 1 and not info.supports_multi_objective:
            problems.append(FieldViolation("spec.objectives",
                                           f"{info.name} optimizes one objective"))
        if spec.constraints and not info.supports_constraints:
            problems.append(FieldViolation("spec.constraints",
                                           f"{info.name} does not support constraints"))
        if batch_size > 1 and not info.supports_batch:
            problems.append(FieldViolation("batch_size",
                                           f"{info.name} suggests one sample at a time"))
        return problems

    @abstractmethod
    def open(self, spec: CampaignSpec, salt: int) -> OptimizerSession:
        """A session for a checked spec; `salt` (the number of stored trials) varies the
        seed so that a rebuilt session does not repeat earlier suggestions."""


def check_settings(settings: Sequence[Setting], given: dict[str, Any]) -> list[FieldViolation]:
    """Unknown settings and values of the wrong type or out of range."""
    known = {s.name: s for s in settings}
    problems: list[FieldViolation] = []
    for name, value in given.items():
        where = f"spec.settings.{name}"
        setting = known.get(name)
        if setting is None:
            names = ", ".join(known) or "none"
            problems.append(FieldViolation(where, f"unknown setting (known: {names})"))
            continue
        problem = _setting_problem(setting, value)
        if problem:
            problems.append(FieldViolation(where, problem))
    return problems


def _setting_problem(setting: Setting, value: Any) -> str:
    if setting.type == "bool":
        return "" if isinstance(value, bool) else "must be true or false"
    if setting.type in ("string", "choice"):
        if not isinstance(value, str):
            return "must be text"
        if setting.type == "choice" and value not in setting.choices:
            return f"must be one of {', '.join(setting.choices)}"
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number"
    if setting.type == "int" and not float(value).is_integer():
        return "must be a whole number"
    if setting.minimum is not None and value < setting.minimum:
        return f"must be at least {setting.minimum:g}"
    if setting.maximum is not None and value > setting.maximum:
        return f"must be at most {setting.maximum:g}"
    return ""


def setting(spec: CampaignSpec, info: OptimizerInfo, name: str) -> Any:
    """The value of a setting: given or its default."""
    if name in spec.settings:
        return spec.settings[name]
    return next(s.default for s in info.settings if s.name == name)
