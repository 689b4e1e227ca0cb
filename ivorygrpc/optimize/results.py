"""Best trials: the best feasible trial of one objective, the Pareto front of several."""

from __future__ import annotations

from collections.abc import Sequence

from ivorygrpc.optimize.spec import COMPLETED, Objective, Trial


def best_trials(trials: Sequence[Trial], objectives: Sequence[Objective]) -> list[Trial]:
    """The best completed, feasible trial (one objective), or the Pareto front (several),
    ordered by the weighted sum of the objective values (best first)."""
    done = [t for t in trials if t.state == COMPLETED and t.feasible and t.objective_values]
    if not done or not objectives:
        return []
    front = [t for t in done if not any(_dominates(o, t, objectives) for o in done)]
    front.sort(key=lambda t: (_score(t, objectives), t.number))
    return front[:1] if len(objectives) == 1 else front


def goal_reached(trial: Trial, objectives: Sequence[Objective]) -> bool:
    """True when a completed, feasible trial meets every objective's threshold."""
    return (trial.state == COMPLETED and trial.feasible and bool(objectives)
            and all(o.met(trial.objective_values[o.name]) for o in objectives))


def _oriented(trial: Trial, objective: Objective) -> float:
    """The value with smaller always better."""
    value = trial.objective_values[objective.name]
    return value if objective.minimize else -value


def _dominates(a: Trial, b: Trial, objectives: Sequence[Objective]) -> bool:
    pairs = [(_oriented(a, o), _oriented(b, o)) for o in objectives]
    return all(x <= y for x, y in pairs) and any(x < y for x, y in pairs)


def _score(trial: Trial, objectives: Sequence[Objective]) -> float:
    return sum(o.weight * _oriented(trial, o) for o in objectives)
