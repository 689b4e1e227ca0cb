"""Workflow model helpers, validation, expressions, render/import."""
