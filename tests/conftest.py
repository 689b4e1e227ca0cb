"""Shared pytest configuration: fixture plugins for every test folder."""

pytest_plugins = ["tests.fixtures.database", "tests.fixtures.server", "tests.fixtures.runs"]
