"""The BayBE adapter (optional extra): skipped when `baybe` is not installed.

`switch_after` keeps BayBE in its random start phase: a BoTorch step fits a
Gaussian process, which takes about 10 s on a shared CPU.
"""

from __future__ import annotations

import pytest

pytest.importorskip("baybe")

from ivorygrpc.optimize.registry import Registry
from ivorygrpc.optimize.spec import (
    COMPLETED,
    FLOAT,
    FROM_OPTIMIZER,
    INT,
    MAXIMIZE,
    MINIMIZE,
    CampaignSpec,
    Objective,
    Parameter,
    Trial,
)

pytestmark = pytest.mark.filterwarnings("ignore::Warning")  # BayBE and BoTorch warn freely
SPACE = (Parameter("x", "range", -5.0, 5.0, number_type=FLOAT),
         Parameter("n", "range", 0.0, 10.0, number_type=INT),
         Parameter("c", "choice", values=("a", "b", "c")),
         Parameter("k", "fixed", value=7))
TWO = (Objective("f", MINIMIZE), Objective("g", MAXIMIZE))


def test_baybe_is_listed_and_checks_what_it_cannot_do() -> None:
    registry = Registry.installed()
    assert "baybe" in registry.names()
    baybe = registry.get("baybe")
    assert baybe.check(CampaignSpec("baybe", {}, SPACE, TWO), 3) == []
    bad = CampaignSpec("baybe", {"initial_recommender": "magic"}, (
        Parameter("x", "range", 1.0, 10.0, log_scale=True, number_type=FLOAT),
        Parameter("n", "range", 0.0, 5000.0, number_type=INT),
        Parameter("c", "choice", values=("a", 1.0))), TWO, ("x <= 2",))
    fields = {v.field for v in baybe.check(bad, 1)}
    assert fields == {"spec.settings.initial_recommender", "spec.parameters[0].range.log_scale",
                      "spec.parameters[1].range", "spec.parameters[2].choice.values",
                      "spec.constraints"}


def test_baybe_sessions_are_seeded_and_fed_from_trials() -> None:
    baybe = Registry.installed().get("baybe")
    spec = CampaignSpec("baybe", {"switch_after": 100}, SPACE, TWO, seed=4)

    def ask(trials: list[Trial]) -> list[dict[str, object]]:
        session = baybe.open(spec, len(trials))
        session.load(trials)
        return session.suggest(3)

    first = ask([])
    assert first == ask([])
    for s in first:
        assert s["k"] == 7 and isinstance(s["n"], int) and s["c"] in ("a", "b", "c")
        assert -5 <= float(str(s["x"])) <= 5
    done = [Trial(i + 1, COMPLETED, FROM_OPTIMIZER, p, {}, {"f": float(i), "g": 1.0})
            for i, p in enumerate(first)]
    assert len(ask(done)) == 3
