"""Best trials: the best feasible trial of one objective, the Pareto front of several."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ivorygrpc.optimize.adapter import Insight
from ivorygrpc.optimize.spec import COMPLETED, CampaignSpec, Objective, Trial

MIN_TRIALS_FOR_CORRELATION = 4


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


def correlations(trials: Sequence[Trial], spec: CampaignSpec) -> list[Insight]:
    """Per objective: the Spearman rank correlation of each numeric searched parameter,
    over the completed trials (at least 4)."""
    done = [t for t in trials if t.state == COMPLETED and t.objective_values]
    numeric = [p.name for p in spec.parameters if p.kind == "range"]
    if len(done) < MIN_TRIALS_FOR_CORRELATION or not numeric:
        return []
    found = []
    for objective in spec.objectives:
        values = [t.objective_values[objective.name] for t in done]
        found.append(Insight(
            "parameter_correlation", f"Spearman rank correlation of each numeric parameter "
            f"with {objective.name} (-1 to 1) over {len(done)} trials", objective.name,
            {n: rank_correlation([float(t.parameters[n]) for t in done], values)
             for n in numeric}))
    return found


def rank_correlation(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman's rho (ties get average ranks); 0 when either side is constant."""
    rx, ry = _ranks(xs), _ranks(ys)
    n = len(rx)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    return 0.0 if vx == 0 or vy == 0 else cov / math.sqrt(vx * vy)


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2 + 1
        start = end + 1
    return ranks
