"""A line chart of a run's numeric outputs per main iteration (ECharts).

Campaign plots (best-so-far, Pareto front) come with the optimizer support.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from ivorygrpc_ui.client.records import IterationDetail


def numeric_series(iterations: list[IterationDetail]) -> dict[str, list[list[float]]]:
    """Per output name: ``[iteration, value]`` points of every sample whose value is a number."""
    series: dict[str, list[list[float]]] = {}
    for iteration in iterations:
        for outputs in iteration.outputs:
            for name, value in outputs.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    series.setdefault(name, []).append([iteration.index, float(value)])
    return series


def run_plot(iterations: list[IterationDetail]) -> ui.echart | None:
    """The chart in the current container, or a note and None when nothing is numeric."""
    series = numeric_series(iterations)
    if not series:
        ui.label("No numeric outputs to plot.").classes("text-grey-7").mark("plot-empty")
        return None
    batch = any(len(it.outputs) > 1 for it in iterations)
    options: dict[str, Any] = {
        "tooltip": {"trigger": "item" if batch else "axis"},
        "legend": {"type": "scroll", "top": 0},
        "grid": {"left": 56, "right": 24, "top": 40, "bottom": 40},
        "xAxis": {"type": "value", "name": "iteration", "nameLocation": "middle",
                  "nameGap": 26, "minInterval": 1, "min": "dataMin", "max": "dataMax"},
        "yAxis": {"type": "value", "scale": True},
        "series": [{"name": name, "type": "scatter" if batch else "line", "data": points,
                    "symbolSize": 7, "showSymbol": True} for name, points in series.items()],
    }
    return ui.echart(options).classes("w-full h-80").mark("run-plot")
