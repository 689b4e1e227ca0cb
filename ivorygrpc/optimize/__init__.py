"""Optimizers for campaigns: the adapter interface, the registry of installed adapters,
the Optuna adapter, campaign specs and results (best trials, Pareto front)."""
