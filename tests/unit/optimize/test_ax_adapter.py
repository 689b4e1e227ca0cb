"""The Ax adapter (optional extra): skipped when `ax-platform` is not installed.

The trials stay within Ax's Sobol initialization budget: a BoTorch step fits a
Gaussian process, which takes tens of seconds on a shared CPU.
"""

from __future__ import annotations

import pytest

pytest.importorskip("ax")

from ivorygrpc.optimize.registry import Registry
from ivorygrpc.optimize.spec import (
    COMPLETED,
    FAILED,
    FLOAT,
    FROM_OPTIMIZER,
    INT,
    MINIMIZE,
    PENDING,
    CampaignSpec,
    Objective,
    Parameter,
    Trial,
)

pytestmark = pytest.mark.filterwarnings("ignore::Warning")  # Ax and BoTorch warn freely
SPACE = (Parameter("x", "range", -5.0, 5.0, number_type=FLOAT),
         Parameter("n", "range", 0.0, 10.0, number_type=INT),
         Parameter("m", "range", 0.0, 10.0, step=2.0, number_type=INT),
         Parameter("c", "choice", values=("a", "b", "c")),
         Parameter("k", "fixed", value=7))


def spec(**settings: object) -> CampaignSpec:
    return CampaignSpec("ax", {"initialization_budget": 8, **settings}, SPACE,
                        (Objective("f", MINIMIZE),), ("x + n <= 8",), seed=5)


def test_ax_is_listed_and_checks_what_it_cannot_do() -> None:
    registry = Registry.installed()
    assert registry.names()[:2] == ["optuna", "ax"]
    ax = registry.get("ax")
    info = ax.describe()
    assert {s.name for s in info.settings} == {"method", "initialization_budget"}
    assert ax.check(spec(), 2) == []
    bad = CampaignSpec("ax", {"method": "genius"}, (
        Parameter("x", "range", 0.0, 1.0, number_type=FLOAT),
        Parameter("y", "range", 0.0, 1.0, number_type=FLOAT),
        Parameter("c", "choice", values=("a", 1.0))), (Objective("f", MINIMIZE),),
        ("x * y <= 0.5",))
    fields = {v.field for v in ax.check(bad, 1)}
    assert fields == {"spec.settings.method", "spec.parameters[2].choice.values"}
    nonlinear = CampaignSpec("ax", {}, bad.parameters[:2], bad.objectives, bad.constraints)
    problems = ax.check(nonlinear, 1)
    assert [v.field for v in problems] == ["spec"] and "linear" in problems[0].description
    stepped = CampaignSpec("ax", {}, SPACE, bad.objectives, ("x + m <= 8",))
    problems = ax.check(stepped, 1)
    assert [v.field for v in problems] == ["spec.constraints[0]"]
    assert problems[0].description.endswith("without a step only: m")


def test_ax_sessions_are_rebuilt_from_trials() -> None:
    ax = Registry.installed().get("ax")

    def ask(trials: list[Trial], count: int) -> list[dict[str, object]]:
        session = ax.open(spec(), len(trials))
        session.load(trials)
        return session.suggest(count)

    first = ask([], 3)
    assert first == ask([], 3)  # seeded
    for s in first:
        assert s["k"] == 7 and s["m"] in (0, 2, 4, 6, 8, 10) and s["c"] in ("a", "b", "c")
        assert float(str(s["x"])) + float(str(s["n"])) <= 8 + 1e-9  # the linear constraint
    trials = [Trial(1, COMPLETED, FROM_OPTIMIZER, first[0], {"f": 1.0}, {"f": 1.0}),
              Trial(2, FAILED, FROM_OPTIMIZER, first[1]),
              Trial(3, PENDING, FROM_OPTIMIZER, first[2])]
    later = ask(trials, 2)
    assert len(later) == 2 and all(s not in first for s in later)
