"""Store.open: migrations, SQLite settings, reopening, package boundaries."""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, make_url, text

from ivorygrpc.store import Store
from ivorygrpc.store.models import Base

STORE_DIR = Path(__file__).resolve().parents[3] / "ivorygrpc" / "store"


def test_sqlite_url_and_parent_folder(tmp_path: Path) -> None:
    folder = tmp_path / "deep" / "data"
    url = Store.sqlite_url(folder)
    assert make_url(url).database == str(folder / "ivorygrpc.db")
    store = Store.open(url)
    try:
        assert (folder / "ivorygrpc.db").is_file()
    finally:
        store.close()


def test_sqlite_pragmas(tmp_path: Path) -> None:
    store = Store.open(Store.sqlite_url(tmp_path))
    try:
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "ivorygrpc.db") as raw:  # WAL persists in the file
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    raw.close()


def test_reopen_keeps_records_and_migrations_are_idempotent(database_url: str) -> None:
    first = Store.open(database_url)
    try:
        record, _ = first.calls.start(instrument="pump", method="prime", arguments={"n": 1},
                                      caller="alice", request_id="keep")
    finally:
        first.close()
    for _ in range(2):
        again = Store.open(database_url)
        try:
            assert again.calls.get(record.id) == record
            assert again.calls.start(instrument="pump", method="prime", arguments={},
                                     caller="alice", request_id="keep") == (record, False)
            with again.engine.connect() as conn:
                assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
                    ("0001",)]
        finally:
            again.close()


def test_models_match_migrations(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        indexes = {ix["name"]: ix for ix in inspect(conn).get_indexes("call_records")}
    assert diff == []
    unique = indexes["uq_call_records_caller_request_id"]
    assert unique["unique"] and unique["column_names"] == ["caller", "request_id"]


def test_dialect_matches_param(request: pytest.FixtureRequest, store: Store) -> None:
    backend = request.node.callspec.params["database_url"]
    assert store.engine.dialect.name == {"sqlite": "sqlite", "postgres": "postgresql"}[backend]


def test_store_imports_no_grpc_or_protobuf() -> None:
    banned = ("grpc", "google.protobuf", "ivorygrpc.v1", "ivorygrpc.services")
    for path in STORE_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert not name.startswith(banned), f"{path.name} imports {name}"


def test_session_postgres_url(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    assert postgres_url.endswith("/ivorygrpc_test")
    store = Store.open(postgres_url)
    try:
        record, created = store.calls.start(instrument="i", method="m", arguments={},
                                            caller="c")
        assert created and store.calls.get(record.id) == record
    finally:
        store.close()
