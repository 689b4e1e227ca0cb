"""Engine, sessions and migrations: `Store.open(url)` gives a ready database."""

from __future__ import annotations

import functools
import re
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    insert,
    inspect,
    make_url,
    text,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from ivorygrpc.store.audit import AuditRepository
from ivorygrpc.store.calls import CallRepository
from ivorygrpc.store.campaigns import CampaignRepository
from ivorygrpc.store.models import Base, RunEventMarkRow, json_dumps
from ivorygrpc.store.runs import RunRepository
from ivorygrpc.store.tokens import TokenRepository
from ivorygrpc.store.users import UserRepository
from ivorygrpc.store.workflows import WorkflowRepository

DB_FILE = "ivorygrpc.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                  "PRAGMA foreign_keys=ON", f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


class Store:
    """The database of one server: its engine and repositories."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._in_use = 0
        self._guard = threading.Lock()
        event.listen(engine, "checkout", self._checked_out)
        event.listen(engine, "checkin", self._checked_in)
        sessions = sessionmaker(engine, expire_on_commit=False)
        self.calls = CallRepository(sessions)
        self.users = UserRepository(sessions)
        self.tokens = TokenRepository(sessions)
        self.audit = AuditRepository(sessions)
        self.workflows = WorkflowRepository(sessions)
        self.runs = RunRepository(sessions)
        self.campaigns = CampaignRepository(sessions)

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to `url` and migrate the schema to the newest revision."""
        engine = create_engine_for(url)
        try:
            if not at_head(engine) and not create_fresh(engine):
                upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @staticmethod
    def sqlite_url(data_dir: Path) -> str:
        """The URL of the SQLite database in the data folder."""
        path = (data_dir / DB_FILE).absolute()
        return URL.create("sqlite+pysqlite", database=str(path)).render_as_string()

    def close(self, settle: float = 5.0) -> None:
        """Close every pooled connection, after the reads still running end (at most `settle` s).

        A cancelled rpc's read goes on in its worker thread; closing under it would leave
        its connection open.
        """
        deadline = time.monotonic() + settle
        quiet = 0
        while quiet < 2 and time.monotonic() < deadline:
            with self._guard:
                busy = self._in_use
            quiet = quiet + 1 if busy == 0 else 0
            time.sleep(0.005)
        self.engine.dispose()

    def _checked_out(self, *_: Any) -> None:
        with self._guard:
            self._in_use += 1

    def _checked_in(self, *_: Any) -> None:
        with self._guard:
            self._in_use -= 1


def create_engine_for(url: str) -> Engine:
    """An engine for `url`; SQLite gets its folder, WAL and sane pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, json_serializer=json_dumps, pool_pre_ping=True)
    database = parsed.database or ""
    memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if memory:
        engine = create_engine(parsed, json_serializer=json_dumps, poolclass=StaticPool,
                               connect_args={"check_same_thread": False})
    else:
        if not parsed.query.get("uri"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, json_serializer=json_dumps,
                               connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the package's Alembic migrations up to `revision` (no alembic.ini needed)."""
    from alembic import command  # lazy: Alembic costs ~11 MB and ~50 ms of start-up
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


# Alembic's own bookkeeping table, as `alembic stamp` creates it.
_VERSION_TABLE = Table("alembic_version", MetaData(),
                       Column("version_num", String(32), nullable=False),
                       PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))


def create_fresh(engine: Engine) -> bool:
    """Build the newest schema on an empty database from the models and stamp it with
    the head revision, as Alembic's cookbook does for a new database ("create_all, then
    stamp head") but without importing Alembic: a first start stays as small and quick
    as a restart. False (nothing done) when the database has any table or the head is
    unknown; then the migrations run. Tests keep this schema equal to the migrated one."""
    head = head_revision()
    if head is None:
        return False
    with engine.begin() as connection:
        if inspect(connection).get_table_names():
            return False
        Base.metadata.create_all(connection)
        _seed(connection)
        _VERSION_TABLE.create(connection)
        connection.execute(insert(_VERSION_TABLE).values(version_num=head))
    return True


def _seed(connection: Connection) -> None:
    """The rows the migrations insert (0004: the run-event high-water mark)."""
    connection.execute(insert(RunEventMarkRow).values(id=1, sequence=0))


_REVISION = re.compile(r'^(down_)?revision(?:: [^=]+)? = (?:"([^"]+)"|None)$', re.MULTILINE)


@functools.cache  # the files ship with the package: read them once per process
def head_revision() -> str | None:
    """The newest migration's revision, read from the migration files without importing
    Alembic; None when the files do not form one simple chain (then ask Alembic)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("[0-9]*.py"):
        found = {bool(down): value for down, value in _REVISION.findall(path.read_text())}
        if set(found) != {False, True} or not found[False]:
            return None
        revisions.add(found[False])
        if found[True]:
            parents.add(found[True])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(engine: Engine) -> bool:
    """True when the database already has the newest schema (a restart: no migration,
    and Alembic is never imported)."""
    head = head_revision()
    if head is None:
        return False
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:  # no schema yet
        return False
    return [row[0] for row in versions] == [head]
