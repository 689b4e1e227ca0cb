"""Runs: queue, runner state machine, event log and fan-out."""
