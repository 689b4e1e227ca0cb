"""The default optimizer: Optuna's ask/tell API over an in-memory study.

The study is rebuilt from the campaign's stored trials for every session
(Optuna keeps nothing of its own); see `optuna_session`. This module only
describes the adapter: Optuna (and NumPy under it) is imported when a
campaign first opens a session, not when the server starts.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util

from ivorygrpc.optimize.adapter import (
    CHOICE,
    FIXED,
    RANGE,
    Adapter,
    OptimizerInfo,
    OptimizerSession,
    Setting,
)
from ivorygrpc.optimize.spec import CampaignSpec

AUTO, TPE, GP, NSGA2, RANDOM = "auto", "tpe", "gp", "nsga2", "random"


def _gp_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "scipy"))


class OptunaAdapter(Adapter):
    """Optuna (core dependency)."""

    name = "optuna"

    def __init__(self) -> None:
        self._info: OptimizerInfo | None = None

    def describe(self) -> OptimizerInfo:
        """TPE / NSGA-II / GP / random; every parameter kind, constraints, batches."""
        if self._info is not None:
            return self._info
        samplers = [AUTO, TPE, NSGA2, RANDOM] + ([GP] if _gp_installed() else [])
        self._info = OptimizerInfo(
            name=self.name, display_name="Optuna",
            description="Tree-structured Parzen estimator (TPE) for one objective, NSGA-II "
                        "for several; Gaussian-process Bayesian optimization (gp) when "
                        "PyTorch and SciPy are installed. Constraints are learned from "
                        "the trials' constraint values.",
            version=importlib.metadata.version("optuna"), parameter_kinds=(RANGE, CHOICE, FIXED),
            supports_step=True, supports_log_scale=True, supports_multi_objective=True,
            supports_constraints=True, supports_batch=True,
            settings=(
                Setting("sampler", "auto: tpe for one objective, nsga2 for several",
                        "choice", AUTO, tuple(samplers)),
                Setting("n_startup_trials", "random trials before the model is used "
                        "(tpe, gp)", "int", 10, minimum=0, maximum=1000),
                Setting("multivariate", "model parameters jointly (tpe)", "bool", True),
                Setting("population_size", "individuals per generation (nsga2)", "int", 20,
                        minimum=2, maximum=1000),
            ))
        return self._info

    def open(self, spec: CampaignSpec, salt: int) -> OptimizerSession:
        """A session over a fresh in-memory study."""
        from ivorygrpc.optimize.optuna_session import OptunaSession

        return OptunaSession(spec, self.describe(), salt)
