"""One Optuna study rebuilt from a campaign's stored trials.

Completed trials are added with their values and constraint values, failed
ones as FAIL, pending ones as RUNNING (TPE's constant liar then steers new
suggestions away from them). TPE for one objective, NSGA-II for several, GP
when PyTorch and SciPy are installed, random search on request. With a seed,
the same trials give the same suggestions. Imported on a campaign's first
suggestion (it loads Optuna and NumPy).
"""

from __future__ import annotations

import importlib.util
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import TrialState

from ivorygrpc.optimize.adapter import Insight, OptimizerInfo, OptimizerSession, setting
from ivorygrpc.optimize.optuna_adapter import AUTO, GP, NSGA2, RANDOM, TPE
from ivorygrpc.optimize.spec import COMPLETED, FAILED, INT, CampaignSpec, Parameter, Trial

optuna.logging.set_verbosity(optuna.logging.WARNING)
logger = logging.getLogger(__name__)
MIN_TRIALS_FOR_IMPORTANCE = 4
_SKLEARN = importlib.util.find_spec("sklearn") is not None


class OptunaSession(OptimizerSession):
    """One in-memory study."""

    def __init__(self, spec: CampaignSpec, info: OptimizerInfo, salt: int) -> None:
        self.spec = spec
        self.distributions: dict[str, BaseDistribution] = {
            p.name: _distribution(p) for p in spec.parameters if p.kind != "fixed"}
        self.fixed = {p.name: p.value for p in spec.parameters if p.kind == "fixed"}
        seed = None if spec.seed is None else (spec.seed * 1_000_003 + salt) % 2**32
        self.study = optuna.create_study(
            directions=["minimize" if o.minimize else "maximize" for o in spec.objectives],
            sampler=_sampler(spec, info, seed))

    def load(self, trials: Sequence[Trial]) -> None:
        """Add the stored trials; ones outside the space (old data) are left out."""
        for trial in trials:
            params = {n: trial.parameters.get(n) for n in self.distributions}
            if not all(n in trial.parameters and _fits(d, params[n])
                       for n, d in self.distributions.items()):
                continue
            params = {n: _internal_value(self.distributions[n], v) for n, v in params.items()}
            self.study.add_trial(self._frozen(trial, params))

    def _frozen(self, trial: Trial, params: dict[str, Any]) -> optuna.trial.FrozenTrial:
        constraints = {str(i): v for i, v in enumerate(trial.constraint_values)} or None
        if trial.state == COMPLETED:
            values = [trial.objective_values[o.name] for o in self.spec.objectives]
            return optuna.trial.create_trial(params=params, distributions=self.distributions,
                                             values=values, constraints=constraints)
        state = TrialState.FAIL if trial.state == FAILED else TrialState.RUNNING
        return optuna.trial.create_trial(params=params, distributions=self.distributions,
                                         state=state)

    def suggest(self, count: int) -> list[dict[str, Any]]:
        """Ask `count` times; the asked trials stay running for the next asks."""
        suggestions = []
        for _ in range(count):
            asked = self.study.ask(self.distributions)
            suggestions.append({**{p.name: _plain(asked.params[p.name])
                                   if p.name in asked.params else self.fixed[p.name]
                                   for p in self.spec.parameters}})
        return suggestions

    def insights(self) -> list[Insight]:
        """fANOVA importances per objective when scikit-learn is installed and there are
        enough trials."""
        done = [t for t in self.study.get_trials(deepcopy=False)
                if t.state == TrialState.COMPLETE]
        if not _SKLEARN or len(done) < MIN_TRIALS_FOR_IMPORTANCE or not self.distributions:
            return []
        found = []
        for index, objective in enumerate(self.spec.objectives):
            found.extend(self._importance(index, objective.name))
        return found

    def _importance(self, index: int, objective: str) -> list[Insight]:
        try:
            importances = optuna.importance.get_param_importances(
                self.study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0),
                target=_value_of(index))
        except (ValueError, RuntimeError) as exc:  # e.g. every value equal
            logger.debug("no importances for %s: %s", objective, exc)
            return []
        return [Insight("parameter_importance", f"How much each parameter explains the "
                        f"variation of {objective} (fANOVA, sums to 1)", objective,
                        {k: float(v) for k, v in importances.items()})]


def _value_of(index: int) -> Callable[[optuna.trial.FrozenTrial], float]:
    def value(trial: optuna.trial.FrozenTrial) -> float:
        return float(trial.values[index])
    return value


def _sampler(spec: CampaignSpec, info: OptimizerInfo, seed: int | None) -> Any:
    name = str(setting(spec, info, "sampler"))
    if name == AUTO:
        name = TPE if len(spec.objectives) == 1 else NSGA2
    startup = int(setting(spec, info, "n_startup_trials"))
    if name == RANDOM:
        return optuna.samplers.RandomSampler(seed=seed)
    if name == NSGA2:
        return optuna.samplers.NSGAIISampler(
            population_size=int(setting(spec, info, "population_size")), seed=seed)
    if name == GP:
        return optuna.samplers.GPSampler(seed=seed, n_startup_trials=startup)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup,
                                      multivariate=bool(setting(spec, info, "multivariate")),
                                      constant_liar=True)


def _distribution(p: Parameter) -> BaseDistribution:
    if p.kind == "choice":
        return CategoricalDistribution(list(p.values))
    if p.number_type == INT:
        return IntDistribution(int(p.low), int(p.high), log=p.log_scale,
                               step=int(p.step) if p.step is not None else 1)
    return FloatDistribution(p.low, p.high, log=p.log_scale, step=p.step)


def _fits(distribution: BaseDistribution, value: Any) -> bool:
    if isinstance(distribution, CategoricalDistribution):
        return any(_same(value, choice) for choice in distribution.choices)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False
    assert isinstance(distribution, FloatDistribution | IntDistribution)
    if isinstance(distribution, IntDistribution) and not float(value).is_integer():
        return False
    return bool(distribution.low <= value <= distribution.high)


def _internal_value(distribution: BaseDistribution, value: Any) -> Any:
    if isinstance(distribution, CategoricalDistribution):
        return next(c for c in distribution.choices if _same(value, c))
    if isinstance(distribution, IntDistribution):
        return int(value)
    return float(value)


def _same(a: Any, b: Any) -> bool:
    return (type(a) is type(b) and a == b) or (
        isinstance(a, int | float) and isinstance(b, int | float)
        and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars."""
    return value.item() if hasattr(value, "item") else value
