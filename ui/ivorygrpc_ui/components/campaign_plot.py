"""A campaign's progress as an ECharts chart: best-so-far per trial for one objective, the
Pareto front over the first two objectives for several.

`best_so_far` and `pareto_points` are the plotted data (plain lists, easy to test);
`campaign_plot(campaign)` draws the chart that fits the campaign in the current container.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from ivorygrpc.v1 import campaign_pb2 as cp


def _measured(campaign: cp.Campaign) -> list[cp.Trial]:
    """Completed, feasible trials, in trial order."""
    return [t for t in campaign.trials
            if t.state == cp.TRIAL_STATE_COMPLETED and t.feasible]


def best_so_far(campaign: cp.Campaign, objective: cp.Objective) -> tuple[
        list[list[float]], list[list[float]]]:
    """``([trial, value] of every measured trial, [trial, best value up to it])``."""
    maximize = objective.direction == cp.OBJECTIVE_DIRECTION_MAXIMIZE
    observed: list[list[float]] = []
    best: list[list[float]] = []
    current: float | None = None
    for trial in _measured(campaign):
        if objective.name not in trial.objective_values:
            continue
        value = trial.objective_values[objective.name]
        observed.append([float(trial.number), value])
        if current is None or (value > current if maximize else value < current):
            current = value
        best.append([float(trial.number), current])
    return observed, best


def pareto_points(campaign: cp.Campaign, first: str, second: str) -> tuple[
        list[list[float]], list[list[float]]]:
    """``(other measured trials, the front)`` as ``[first, second, trial]`` points; the
    front is the server's `best_trials`, sorted along the first objective."""
    front_numbers = {t.number for t in campaign.best_trials}

    def point(trial: cp.Trial) -> list[float]:
        return [trial.objective_values[first], trial.objective_values[second],
                float(trial.number)]

    measured = [t for t in _measured(campaign)
                if first in t.objective_values and second in t.objective_values]
    others = [point(t) for t in measured if t.number not in front_numbers]
    front = sorted((point(t) for t in measured if t.number in front_numbers),
                   key=lambda p: (p[0], p[1]))
    return others, front


def _direction(objective: cp.Objective) -> str:
    return "max" if objective.direction == cp.OBJECTIVE_DIRECTION_MAXIMIZE else "min"


def _axis(name: str, **extra: Any) -> dict[str, Any]:
    return {"type": "value", "name": name, "nameLocation": "middle", "nameGap": 28,
            "scale": True, **extra}


def _best_so_far_options(campaign: cp.Campaign, objective: cp.Objective) -> dict[str, Any]:
    observed, best = best_so_far(campaign, objective)
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 64, "right": 24, "top": 40, "bottom": 44},
        "xAxis": _axis("trial", minInterval=1, min=1),
        "yAxis": _axis(f"{objective.name} ({_direction(objective)})", nameGap=48),
        "series": [
            {"name": "measured", "type": "scatter", "data": observed, "symbolSize": 8,
             "itemStyle": {"color": "#94a3b8"}},
            {"name": "best so far", "type": "line", "step": "end", "data": best,
             "showSymbol": False, "lineStyle": {"width": 2.5}, "itemStyle": {"color": "#1d4e89"}},
        ],
    }


def _pareto_options(campaign: cp.Campaign, first: cp.Objective,
                    second: cp.Objective) -> dict[str, Any]:
    others, front = pareto_points(campaign, first.name, second.name)
    return {
        "tooltip": {"trigger": "item"},
        "legend": {"top": 0},
        "grid": {"left": 64, "right": 24, "top": 40, "bottom": 44},
        "xAxis": _axis(f"{first.name} ({_direction(first)})"),
        "yAxis": _axis(f"{second.name} ({_direction(second)})", nameGap=48),
        "series": [
            {"name": "trials", "type": "scatter", "data": others, "symbolSize": 8,
             "itemStyle": {"color": "#94a3b8"}},
            {"name": "Pareto front", "type": "line", "data": front, "symbolSize": 10,
             "showSymbol": True, "itemStyle": {"color": "#0f8b8d"}},
        ],
    }


def campaign_plot(campaign: cp.Campaign) -> ui.echart | None:
    """The progress chart in the current container, or a note and None before any trial
    has been measured."""
    objectives = list(campaign.spec.objectives)
    if not objectives or not _measured(campaign):
        ui.label("No measured trials yet.").classes("text-grey-7").mark("campaign-plot-empty")
        return None
    if len(objectives) == 1:
        options = _best_so_far_options(campaign, objectives[0])
        marker = "campaign-best-plot"
    else:
        options = _pareto_options(campaign, objectives[0], objectives[1])
        marker = "campaign-pareto-plot"
        if len(objectives) > 2:
            ui.label(f"Showing {objectives[0].name} and {objectives[1].name} of "
                     f"{len(objectives)} objectives.").classes("text-xs text-grey-7")
    return ui.echart(options).classes("w-full h-80").mark(marker)
