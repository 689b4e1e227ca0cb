"""Reusable UI parts: the typed parameter form, dialogs, tables."""
