"""Campaign specs, existing data, best trials and the Optuna adapter, without a server."""

from __future__ import annotations

import pytest

from ivorygrpc.errors import InvalidArguments
from ivorygrpc.optimize.existing import ExistingData, existing_rows
from ivorygrpc.optimize.optuna_adapter import OptunaAdapter
from ivorygrpc.optimize.registry import Registry
from ivorygrpc.optimize.results import best_trials, correlations, goal_reached, rank_correlation
from ivorygrpc.optimize.spec import (
    COMPLETED,
    FAILED,
    FLOAT,
    FROM_OPTIMIZER,
    INT,
    MAXIMIZE,
    MINIMIZE,
    PENDING,
    CampaignSpec,
    Objective,
    Parameter,
    Trial,
    check_spec,
    parse_constraint,
)

X = Parameter("x", "range", -5.0, 5.0, number_type=FLOAT)
N = Parameter("n", "range", 0.0, 10.0, step=2.0, number_type=INT)
C = Parameter("c", "choice", values=("a", "b"))
K = Parameter("k", "fixed", value=7)


def spec(*parameters: Parameter, objectives: tuple[Objective, ...] = (Objective("f", MINIMIZE),),
         settings: dict[str, object] | None = None) -> CampaignSpec:
    return CampaignSpec("optuna", dict(settings or {}), parameters or (X,), objectives, seed=3)


def done(number: int, **values: float) -> Trial:
    return Trial(number, COMPLETED, FROM_OPTIMIZER, {}, dict(values), dict(values))


def test_check_spec_lists_every_problem() -> None:
    bad = CampaignSpec("", {}, (Parameter("x", "range", 2, 1, number_type=FLOAT),
                                Parameter("x", "choice", values=(1,)),
                                Parameter("1y", "range", 0, 1, log_scale=True, step=0.5,
                                          number_type=INT)),
                       (Objective("x", MINIMIZE), Objective("g", "nope", weight=-1)),
                       ("x + q <= 1", "x"))
    fields = {v.field for v in check_spec(bad)}
    assert fields == {
        "spec.parameters[0].range.high", "spec.parameters[1].name",
        "spec.parameters[1].choice.values", "spec.parameters[2].name",
        "spec.parameters[2].range.step", "spec.parameters[2].range.log_scale",
        "spec.parameters[2].range.low", "spec.objectives[0].name",
        "spec.objectives[1].direction", "spec.objectives[1].weight",
        "spec.constraints[0]", "spec.constraints[1]"}
    assert check_spec(spec(X, N, C, K)) == []


def test_constraints_measure_their_violation() -> None:
    at_most = parse_constraint("a + b <= 80")
    assert at_most.violation({"a": 50, "b": 40}) == 10
    assert at_most.violation({"a": 10, "b": 40}) == -30
    at_least = parse_constraint("y >= 0.5 * a")
    assert at_least.violation({"y": 1.0, "a": 4}) == 1.0


def test_best_trials_pareto_front_and_goal() -> None:
    one = [done(1, f=3.0), done(2, f=1.0), Trial(3, FAILED, FROM_OPTIMIZER, {}),
           Trial(4, COMPLETED, FROM_OPTIMIZER, {}, {}, {"f": 0.5}, feasible=False)]
    objectives = (Objective("f", MINIMIZE, threshold=1.0),)
    assert [t.number for t in best_trials(one, objectives)] == [2]
    assert goal_reached(one[1], objectives) and not goal_reached(one[0], objectives)
    assert not goal_reached(one[3], objectives)  # infeasible
    two = (Objective("a", MINIMIZE), Objective("b", MAXIMIZE, weight=2.0))
    trials = [done(1, a=1, b=1), done(2, a=2, b=3), done(3, a=2, b=0), done(4, a=0, b=0)]
    assert [t.number for t in best_trials(trials, two)] == [2, 1, 4]  # weighted sum order


def test_existing_rows_parse_csv_and_name_missing_columns() -> None:
    s = spec(X, N, C, K)
    rows = existing_rows(s, ExistingData(csv_text="x,n,c,f,note\n1.5,4,b,2,ok\n"), {}, "data")
    assert rows == [({"k": 7, "x": 1.5, "n": 4, "c": "b"}, {"f": 2, "note": "ok"})]
    with pytest.raises(InvalidArguments) as caught:
        existing_rows(s, ExistingData(csv_text="x,c\n1,a\n", rows=[{"x": 9, "n": 1, "c": "z",
                                                                  "f": 1}]), {}, "data")
    problems = {v.field: v.description for v in caught.value.violations}
    assert problems["data.csv_text"].startswith("missing columns: n, f")
    assert "outside" in problems["data.rows[0].x"]
    assert "not on the grid 0 + k * 2" in problems["data.rows[0].n"]
    assert "not one of the choices" in problems["data.rows[0].c"]


def test_rank_correlation() -> None:
    assert rank_correlation([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert rank_correlation([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert rank_correlation([1, 1, 1], [1, 2, 3]) == 0.0


def test_optuna_is_reproducible_and_respects_the_space() -> None:
    adapter = OptunaAdapter()
    s = spec(X, N, C, K)

    def ask(trials: list[Trial]) -> list[dict[str, object]]:
        session = adapter.open(s, len(trials))
        session.load(trials)
        return session.suggest(4)

    first, again = ask([]), ask([])
    assert first == again
    for suggestion in first:
        assert -5 <= float(str(suggestion["x"])) <= 5 and suggestion["k"] == 7
        assert suggestion["n"] in (0, 2, 4, 6, 8, 10) and suggestion["c"] in ("a", "b")
    pending = [Trial(i + 1, PENDING, FROM_OPTIMIZER, p) for i, p in enumerate(first)]
    later = ask(pending)
    assert later != first
    outside = Trial(9, COMPLETED, FROM_OPTIMIZER, {"x": 99.0, "n": 2, "c": "a"}, {"f": 1},
                    {"f": 1.0})
    session = adapter.open(s, 0)
    session.load([outside])  # old data outside the space is left out
    assert session.suggest(1)


def test_adapter_check_and_registry() -> None:
    registry = Registry.installed()
    assert registry.names()[0] == "optuna"
    with pytest.raises(InvalidArguments):
        registry.get("nimo")
    adapter = registry.get("")
    problems = adapter.check(spec(settings={"sampler": "cma", "population_size": 1,
                                            "multivariate": "yes", "x": 1}), 1)
    assert {v.field for v in problems} == {"spec.settings.sampler",
                                           "spec.settings.population_size",
                                           "spec.settings.multivariate", "spec.settings.x"}


@pytest.mark.parametrize("sampler", ["tpe", "nsga2", "random"])
def test_every_sampler_suggests(sampler: str) -> None:
    objectives = (Objective("a", MINIMIZE), Objective("b", MINIMIZE))
    s = spec(X, C, objectives=objectives, settings={"sampler": sampler})
    trials = [Trial(i + 1, COMPLETED, FROM_OPTIMIZER, {"x": float(i - 2), "c": "a"},
                    {}, {"a": float(i), "b": float(-i)}) for i in range(5)]
    session = OptunaAdapter().open(s, 5)
    session.load(trials)
    assert len(session.suggest(3)) == 3
    assert {i.objective for i in correlations(trials, s)} == {"a", "b"}


def test_gp_sampler_when_pytorch_and_scipy_are_installed() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("scipy")
    s = spec(X, N, settings={"sampler": "gp", "n_startup_trials": 2})
    assert OptunaAdapter().check(s, 1) == []
    trials = [Trial(i + 1, COMPLETED, FROM_OPTIMIZER, {"x": float(i - 2), "n": 2 * i},
                    {}, {"f": float(i)}) for i in range(4)]
    session = OptunaAdapter().open(s, 4)
    session.load(trials)
    assert len(session.suggest(2)) == 2


def test_fanova_importances_when_scikit_learn_is_installed() -> None:
    pytest.importorskip("sklearn")
    trials = [Trial(i + 1, COMPLETED, FROM_OPTIMIZER, {"x": float(i) / 2, "n": 2 * (i % 3)},
                    {}, {"f": float(i * i)}) for i in range(8)]
    session = OptunaAdapter().open(spec(X, N), 8)
    session.load(trials)
    importance = next(i for i in session.insights() if i.name == "parameter_importance")
    assert set(importance.values) == {"x", "n"}
    assert sum(importance.values.values()) == pytest.approx(1.0)
