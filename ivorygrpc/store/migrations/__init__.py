"""Alembic migrations of the ivorygrpc database (applied by `Store.open`)."""
