"""BayBE (optional: `pip install ivorygrpc[baybe]`): a random or farthest-point start, then
BoTorch.

Listed only when `baybe` is importable (see `registry`); `baybe` itself (with
PyTorch and pandas) is imported at the first campaign that uses it. Every
session is a fresh `baybe.Campaign` fed the completed trials as measurements;
pending trials go in as `pending_experiments`. BayBE has no failed state:
failed trials stay in our record but are not measurements. Stepped and
whole-number ranges become discrete parameters (at most 1000 values); several
objectives make a Pareto objective. BayBE seeds through global random state,
so two BayBE campaigns suggesting at the same moment may not be reproducible.
"""

from __future__ import annotations

import importlib.metadata
import math
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
from ivorygrpc.optimize.spec import COMPLETED, INT, PENDING, CampaignSpec, Parameter, Trial

MAX_GRID = 1000
INITIAL = ("random", "fps")


class BaybeAdapter(Adapter):
    """BayBE's `Campaign`."""

    name = "baybe"

    def describe(self) -> OptimizerInfo:
        """Random or FPS start, then BoTorch; discrete and continuous parameters."""
        return OptimizerInfo(
            name=self.name, display_name="BayBE",
            description="Merck's Bayesian back end for design of experiments: a random or "
                        "farthest-point-sampling start, then BoTorch Bayesian optimization; "
                        "several objectives give a Pareto objective. Each suggestion after "
                        "the start fits a model, which takes seconds on a CPU.",
            version=importlib.metadata.version("baybe"),
            parameter_kinds=(RANGE, CHOICE, FIXED), supports_step=True,
            supports_log_scale=False, supports_multi_objective=True,
            supports_constraints=False, supports_batch=True,
            settings=(
                Setting("initial_recommender", "how the first trials are chosen (fps needs "
                        "only discrete parameters)", "choice", "random", INITIAL),
                Setting("switch_after", "completed trials before BoTorch takes over", "int", 1,
                        minimum=1, maximum=1000),
            ))

    def check(self, spec: CampaignSpec, batch_size: int) -> list[FieldViolation]:
        """The generic checks, grids that are too large, mixed choices, then whatever
        BayBE refuses in the configuration."""
        problems = super().check(spec, batch_size)
        for index, p in enumerate(spec.parameters):
            where = f"spec.parameters[{index}]"
            if p.kind == "range" and _discrete(p) and _grid_size(p) > MAX_GRID:
                problems.append(FieldViolation(f"{where}.range", (
                    f"baybe needs a grid of at most {MAX_GRID} values here; give a "
                    "larger step")))
            if p.kind == "choice" and not (_all_numbers(p.values)
                                           or all(isinstance(v, str) for v in p.values)):
                problems.append(FieldViolation(f"{where}.choice.values",
                                               "baybe needs choices that are all numbers or "
                                               "all text"))
        if problems:
            return problems
        try:
            _campaign(spec)
        except Exception as exc:  # BayBE's own input errors, whatever their type
            problems.append(FieldViolation("spec", f"baybe refuses the campaign: {exc}"))
        return problems

    def open(self, spec: CampaignSpec, salt: int) -> OptimizerSession:
        """A session over a fresh campaign."""
        seed = None if spec.seed is None else (spec.seed * 1_000_003 + salt) % 2**31
        return BaybeSession(spec, seed)


class BaybeSession(OptimizerSession):
    """One in-memory `baybe.Campaign`."""

    def __init__(self, spec: CampaignSpec, seed: int | None) -> None:
        self.spec = spec
        self.seed = seed
        self.campaign = _campaign(spec)
        self.searched = [p for p in spec.parameters if p.kind != "fixed"]
        self.pending: list[dict[str, Any]] = []

    def load(self, trials: Sequence[Trial]) -> None:
        """Completed trials become measurements, pending ones pending experiments."""
        import pandas as pd  # type: ignore[import-untyped, import-not-found, unused-ignore]

        names = [p.name for p in self.searched]
        rows = []
        for trial in trials:
            if not all(n in trial.parameters for n in names):
                continue
            values = {n: trial.parameters[n] for n in names}
            if trial.state == COMPLETED:
                rows.append({**values, **trial.objective_values})
            elif trial.state == PENDING:
                self.pending.append(values)
        if rows:
            self.campaign.add_measurements(pd.DataFrame(rows))

    def suggest(self, count: int) -> list[dict[str, Any]]:
        """`count` recommendations, with the fixed values."""
        import pandas as pd  # type: ignore[import-untyped, import-not-found, unused-ignore]
        from baybe.utils.random import (  # type: ignore[import-not-found, unused-ignore]
            temporary_seed,
        )

        pending = pd.DataFrame(self.pending) if self.pending else None
        if self.seed is None:
            frame = self.campaign.recommend(batch_size=count, pending_experiments=pending)
        else:
            with temporary_seed(self.seed):
                frame = self.campaign.recommend(batch_size=count, pending_experiments=pending)
        found = []
        for record in frame.to_dict(orient="records"):
            suggestion: dict[str, Any] = {}
            for p in self.spec.parameters:
                suggestion[p.name] = p.value if p.kind == "fixed" else _plain(p, record[p.name])
            found.append(suggestion)
        return found

    def insights(self) -> list[Insight]:
        """None beyond the generic ones."""
        return []


def _campaign(spec: CampaignSpec) -> Any:
    from baybe import Campaign  # type: ignore[import-not-found, unused-ignore]
    from baybe.objectives import (  # type: ignore[import-not-found, unused-ignore]
        ParetoObjective,
        SingleTargetObjective,
    )
    from baybe.recommenders import (  # type: ignore[import-not-found, unused-ignore]
        BotorchRecommender,
        FPSRecommender,
        RandomRecommender,
        TwoPhaseMetaRecommender,
    )
    from baybe.searchspace import SearchSpace  # type: ignore[import-not-found, unused-ignore]
    from baybe.targets import NumericalTarget  # type: ignore[import-not-found, unused-ignore]

    info = BaybeAdapter().describe()
    targets = [NumericalTarget(o.name, minimize=o.minimize) for o in spec.objectives]
    objective = (SingleTargetObjective(targets[0]) if len(targets) == 1
                 else ParetoObjective(targets))
    initial = (FPSRecommender() if setting(spec, info, "initial_recommender") == "fps"
               else RandomRecommender())
    recommender = TwoPhaseMetaRecommender(
        initial_recommender=initial, recommender=BotorchRecommender(),
        switch_after=int(setting(spec, info, "switch_after")))
    space = SearchSpace.from_product([_parameter(p) for p in spec.parameters
                                      if p.kind != "fixed"])
    return Campaign(space, objective, recommender)


def _parameter(p: Parameter) -> Any:
    from baybe.parameters import (  # type: ignore[import-not-found, unused-ignore]
        CategoricalParameter,
        NumericalContinuousParameter,
        NumericalDiscreteParameter,
    )

    if p.kind == "choice":
        if _all_numbers(p.values):
            return NumericalDiscreteParameter(p.name, [float(v) for v in p.values])
        return CategoricalParameter(p.name, list(p.values))
    if _discrete(p):
        step = p.step if p.step is not None else 1.0
        return NumericalDiscreteParameter(p.name, [p.low + i * step
                                                   for i in range(_grid_size(p))])
    return NumericalContinuousParameter(p.name, (p.low, p.high))


def _discrete(p: Parameter) -> bool:
    return p.step is not None or p.number_type == INT


def _grid_size(p: Parameter) -> int:
    step = p.step if p.step is not None else 1.0
    return math.floor((p.high - p.low) / step + 1e-9) + 1


def _all_numbers(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _plain(p: Parameter, value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    if p.kind == "range" and p.number_type == INT:
        return round(value)
    return value
