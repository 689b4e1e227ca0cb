"""Alembic environment: runs on the connection `Store.open` passes in.

Without one (the `alembic` command line), it connects to `sqlalchemy.url`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from ivorygrpc.store.models import Base


def run(connection: Connection) -> None:
    """Migrate through `connection` (batch mode so SQLite can alter tables)."""
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    """Online migrations only: the schema is always applied to a live database."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url to migrate")
    engine = create_engine(url)
    try:
        with engine.begin() as own:
            run(own)
    finally:
        engine.dispose()


main()
