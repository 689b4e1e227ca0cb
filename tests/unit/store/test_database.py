"""Store.open: migrations, SQLite settings, reopening, package boundaries."""

from __future__ import annotations

import ast
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, make_url, text
from sqlalchemy.orm import sessionmaker

from ivorygrpc.store import AppendEvent, Store
from ivorygrpc.store.audit import AuditRepository
from ivorygrpc.store.calls import CallRepository
from ivorygrpc.store.database import MIGRATIONS, create_engine_for, upgrade
from ivorygrpc.store.models import Base
from ivorygrpc.store.tokens import TokenRepository
from ivorygrpc.store.users import UserRepository
from ivorygrpc.store.workflows import WorkflowRepository

STORE_DIR = Path(__file__).resolve().parents[3] / "ivorygrpc" / "store"
HEAD = "0005"


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
                    (HEAD,)]
        finally:
            again.close()


def test_models_match_migrations(database_url: str) -> None:
    engine = create_engine_for(database_url)
    try:
        upgrade(engine)  # Store.open would build an empty database from the models
    finally:
        engine.dispose()
    store = Store.open(database_url)
    try:
        _check_models_match(store)
    finally:
        store.close()


def _check_models_match(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        inspector = inspect(conn)
        indexes = {ix["name"]: ix for table in ("call_records", "tokens", "audit_log",
                                                "workflows", "workflow_calls", "runs",
                                                "run_events")
                   for ix in inspector.get_indexes(table)}
        foreign_keys = {table: inspector.get_foreign_keys(table)
                        for table in ("tokens", "workflow_versions", "workflow_calls",
                                      "run_plans", "run_events")}
        primary_keys = {table: inspector.get_pk_constraint(table)
                        for table in ("users", "tokens", "audit_log", "workflows",
                                      "workflow_versions", "workflow_calls", "runs",
                                      "run_plans", "run_events", "run_event_mark")}
    assert diff == []
    unique = indexes["uq_call_records_caller_request_id"]
    assert unique["unique"] and unique["column_names"] == ["caller", "request_id"]
    assert indexes["ix_tokens_username"]["column_names"] == ["username"]
    assert indexes["ix_audit_log_actor_id"]["column_names"] == ["actor", "id"]
    assert indexes["ix_audit_log_action_id"]["column_names"] == ["action", "id"]
    assert indexes["ix_workflows_updated_at_name"]["column_names"] == ["updated_at", "name"]
    assert indexes["ix_workflows_deck"]["column_names"] == ["deck"]
    assert indexes["ix_workflow_calls_callee"]["column_names"] == ["callee"]
    unique = indexes["uq_runs_submitter_request_id"]
    assert unique["unique"] and unique["column_names"] == ["submitter", "request_id"]
    assert indexes["ix_runs_state_position"]["column_names"] == ["state", "position"]
    assert indexes["ix_runs_created_at_id"]["column_names"] == ["created_at", "id"]
    assert indexes["ix_runs_workflow"]["column_names"] == ["workflow"]
    assert indexes["ix_run_events_run_id_sequence"]["column_names"] == ["run_id", "sequence"]
    assert {table: [(fk["referred_table"], fk["constrained_columns"], fk["referred_columns"],
                     fk["options"].get("ondelete")) for fk in fks]
            for table, fks in foreign_keys.items()} == {
        "tokens": [("users", ["username"], ["username"], "CASCADE")],
        "workflow_versions": [("workflows", ["name"], ["name"], "CASCADE")],
        "workflow_calls": [("workflows", ["caller"], ["name"], "CASCADE")],
        "run_plans": [("runs", ["run_id"], ["id"], "CASCADE")], "run_events": []}
    assert {table: pk["constrained_columns"] for table, pk in primary_keys.items()} == {
        "users": ["username"], "tokens": ["token_hash"], "audit_log": ["id"],
        "workflows": ["name"], "workflow_versions": ["name", "version"],
        "workflow_calls": ["caller", "callee"], "runs": ["id"], "run_plans": ["run_id"],
        "run_events": ["sequence"], "run_event_mark": ["id"]}


def _schema(url: str) -> dict[str, Any]:
    """Everything about a database's schema and rows that the two ways of building it
    could get different."""
    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            tables: dict[str, Any] = {}
            for table in sorted(inspector.get_table_names()):
                tables[table] = {
                    "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default"))
                                for c in inspector.get_columns(table)],
                    "pk": inspector.get_pk_constraint(table),
                    "fks": sorted(inspector.get_foreign_keys(table), key=repr),
                    "indexes": sorted(inspector.get_indexes(table), key=repr),
                    "unique": sorted(inspector.get_unique_constraints(table), key=repr),
                    "checks": sorted(inspector.get_check_constraints(table), key=repr),
                    "rows": sorted(map(tuple, conn.execute(text(f"SELECT * FROM {table}"))),
                                   key=repr),
                }
            if conn.dialect.name == "sqlite":  # AUTOINCREMENT is not reflected
                tables["autoincrement"] = sorted(conn.execute(text(
                    "SELECT name FROM sqlite_master WHERE sql LIKE '%AUTOINCREMENT%'")).scalars())
            return json.loads(json.dumps(tables, default=str))  # SQL clauses as text
    finally:
        engine.dispose()


def _wipe(url: str) -> None:
    engine = create_engine_for(url)
    try:
        with engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE alembic_version"))
            if conn.dialect.name == "sqlite":
                conn.execute(text("DELETE FROM sqlite_sequence"))
    finally:
        engine.dispose()


def test_a_new_database_is_built_like_a_migrated_one(database_url: str) -> None:
    """`Store.open` builds an empty database from the models and stamps it; the result
    equals what the migrations make, rows included (and so later migrations apply)."""
    engine = create_engine_for(database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    migrated = _schema(database_url)
    _wipe(database_url)
    assert _schema(database_url) in ({}, {"autoincrement": []})
    Store.open(database_url).close()
    assert _schema(database_url) == migrated
    assert migrated["alembic_version"]["rows"] == [[HEAD]]
    assert migrated["run_event_mark"]["rows"] == [[1, 0]]


def test_a_database_with_foreign_tables_is_migrated(database_url: str) -> None:
    """A database that is not empty is never built from the models: the migrations
    run (and leave the other tables alone)."""
    engine = create_engine_for(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE other_app (id INTEGER PRIMARY KEY)"))
            conn.execute(text("INSERT INTO other_app (id) VALUES (7)"))
    finally:
        engine.dispose()
    store = Store.open(database_url)
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert [change[0] for change in diff] == ["remove_table"]  # only other_app
            assert conn.execute(text("SELECT id FROM other_app")).all() == [(7,)]
            assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
                (HEAD,)]
    finally:
        store.close()


def _downgrade(url: str, revision: str) -> None:
    engine = create_engine_for(url)
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        engine.dispose()


def test_upgrade_from_0001_keeps_call_records(database_url: str) -> None:
    """A database made at revision 0001, with a call in it, upgrades to head intact."""
    old = create_engine_for(database_url)
    try:
        upgrade(old, "0001")
        with old.connect() as conn:
            assert not inspect(conn).has_table("users")
        calls = CallRepository(sessionmaker(old, expire_on_commit=False))
        record, _ = calls.start(instrument="pump", method="prime", arguments={"n": [1, 2.5]},
                                caller="alice", request_id="old")
        record = calls.finish(record.id, output={"ok": True})
    finally:
        old.dispose()

    store = Store.open(database_url)
    try:
        assert store.calls.get(record.id) == record
        assert store.calls.list() == [record]
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
                (HEAD,)]
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        user = store.users.create("alice", "hash", "admin")
        assert store.users.get("alice") == user
        assert store.audit.add(actor="alice", action="user_created", target="alice").id >= 1
    finally:
        store.close()


def test_upgrade_from_0002_keeps_existing_data(database_url: str) -> None:
    """A database made at revision 0002, with calls, users, tokens and audit events in
    it, upgrades to head intact and gets the workflow tables."""
    old = create_engine_for(database_url)
    try:
        upgrade(old, "0002")
        with old.connect() as conn:
            assert not inspect(conn).has_table("workflows")
        sessions = sessionmaker(old, expire_on_commit=False)
        call, _ = CallRepository(sessions).start(instrument="pump", method="prime",
                                                 arguments={"n": 1}, caller="alice")
        user = UserRepository(sessions).create("alice", "hash", "admin")
        token = TokenRepository(sessions).create(
            token_hash="e" * 64, username="alice",
            expires_at=datetime.now(UTC) + timedelta(hours=1))
        event = AuditRepository(sessions).add(actor="alice", action="user_created",
                                              target="alice", detail={"role": "admin"})
    finally:
        old.dispose()

    store = Store.open(database_url)
    try:
        assert store.calls.get(call.id) == call
        assert store.users.get("alice") == user
        assert store.tokens.get(token.token_hash) == (token, user)
        assert store.audit.list() == [event]
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
                (HEAD,)]
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        workflow = store.workflows.create("w", {"deck": "lab"}, author="alice", calls=["x"])
        assert store.workflows.get("w") == workflow
        assert store.workflows.callers("x") == ["w"]
    finally:
        store.close()


def test_upgrade_from_0003_keeps_workflows_and_adds_runs(database_url: str) -> None:
    old = create_engine_for(database_url)
    try:
        upgrade(old, "0003")
        with old.connect() as conn:
            assert not inspect(conn).has_table("runs")
        workflow = WorkflowRepository(sessionmaker(old, expire_on_commit=False)).create(
            "w", {"deck": "lab"}, author="alice")
    finally:
        old.dispose()
    store = Store.open(database_url)
    try:
        assert store.workflows.get("w") == workflow
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
                (HEAD,)]
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
            assert conn.execute(text("SELECT id, sequence FROM run_event_mark")).all() == [
                (1, 0)]
        assert store.runs.last_sequence() == 0 and store.runs.list() == []
    finally:
        store.close()


def test_downgrade_to_0003_drops_the_run_tables_only(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        workflow = store.workflows.create("w", {}, author="bob")
        store.runs.apply([AppendEvent("", "queue_changed", {}, datetime.now(UTC))])
    finally:
        store.close()
    _downgrade(database_url, "0003")
    engine = create_engine_for(database_url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            assert not any(inspector.has_table(t)
                           for t in ("runs", "run_plans", "run_events", "run_event_mark"))
        assert WorkflowRepository(sessionmaker(engine)).get("w") == workflow
    finally:
        engine.dispose()
    again = Store.open(database_url)  # and up again
    try:
        assert again.runs.events_after(0) == [] and again.runs.last_sequence() == 0
    finally:
        again.close()


def test_downgrade_to_0002_drops_the_workflow_tables_only(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        user = store.users.create("bob", "hash", "viewer")
        store.workflows.create("w", {}, author="bob")
    finally:
        store.close()
    _downgrade(database_url, "0002")
    engine = create_engine_for(database_url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            assert not any(inspector.has_table(t)
                           for t in ("workflows", "workflow_versions", "workflow_calls"))
            assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
                ("0002",)]
        assert UserRepository(sessionmaker(engine)).get("bob") == user
    finally:
        engine.dispose()
    again = Store.open(database_url)  # and up again
    try:
        assert again.workflows.list() == [] and again.users.get("bob") == user
    finally:
        again.close()


def test_downgrade_to_0001_drops_the_auth_tables_only(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        record, _ = store.calls.start(instrument="pump", method="prime", arguments={},
                                      caller="bob")
        store.users.create("bob", "hash", "viewer")
    finally:
        store.close()
    _downgrade(database_url, "0001")
    engine = create_engine_for(database_url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            assert not any(inspector.has_table(t) for t in ("users", "tokens", "audit_log"))
            assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
                ("0001",)]
        assert CallRepository(sessionmaker(engine)).get(record.id) == record
    finally:
        engine.dispose()
    again = Store.open(database_url)  # and up again
    try:
        assert again.users.count() == 0 and again.calls.get(record.id) == record
    finally:
        again.close()


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
