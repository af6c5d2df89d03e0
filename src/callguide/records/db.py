"""Engines, sessions and migrations (Alembic, applied at start-up).

SQLite (the default) runs in WAL mode so that several worker threads or processes can record at
once; PostgreSQL takes an advisory lock while migrating so that workers starting together do not
race. Every wait is short (issue 12): connecting, one statement and waiting for a lock each take
at most ``Settings.database_timeout`` seconds, because a request that records must not hang on a
database that does. Migrations run in one transaction on both (SQLite's driver would otherwise
commit each ``CREATE TABLE`` on its own), so a first start that is interrupted leaves nothing
half-made behind, and the next start migrates from scratch.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from .config import Settings

log = logging.getLogger("callguide.records")

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x63616C6C  # pg_advisory_lock key: "call"
MIGRATION_TIMEOUT = 60.0      # seconds a migration statement may take (they are small; this is generous)
POOL_SIZE, POOL_OVERFLOW = 8, 4  # the guard runs at most 8 database calls at once (records/guard.py)


def make_engine(settings: Settings, *, migrating: bool = False) -> Engine:
    """The service's engine, or (``migrating``) a one-connection engine for one migration."""
    timeout = MIGRATION_TIMEOUT if migrating else settings.database_timeout
    url = settings.database_url
    if url.startswith("sqlite"):
        return _sqlite_engine(settings, timeout, migrating)
    parsed = make_url(url)
    ms = int(timeout * 1000)
    # server-side limits ride in the startup packet (no extra round trip); URL options are kept
    options = " ".join(o for o in (parsed.query.get("options") if isinstance(parsed.query.get("options"), str)
                                   else None, f"-c statement_timeout={ms}", f"-c lock_timeout={ms}",
                                   "-c idle_in_transaction_session_timeout=60000") if o)
    connect_args: dict[str, Any] = {"options": options, "tcp_user_timeout": ms,
                                    "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
                                    "keepalives_count": 2}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = max(1, round(settings.database_timeout))
    if migrating:
        return create_engine(url, poolclass=NullPool, connect_args=connect_args, hide_parameters=True)
    engine = create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
                           pool_timeout=settings.database_timeout, connect_args=connect_args,
                           hide_parameters=True)  # parameters (references) never reach an exception's text
    _track_connections(engine)
    return engine


def _sqlite_engine(settings: Settings, timeout: float, migrating: bool) -> Engine:
    path = settings.sqlite_path()
    busy_ms = int(timeout * 1000)
    engine = create_engine(settings.database_url, poolclass=NullPool if migrating else None,
                           connect_args={"timeout": timeout, "check_same_thread": False}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised via engine use
        if migrating:
            dbapi_conn.isolation_level = None  # the driver leaves transactions to us (below)
        cur = dbapi_conn.cursor()
        if path is not None:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: never corrupt; a power cut may lose the last records
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    if migrating:
        @event.listens_for(engine, "begin")
        def _begin(conn):  # pragma: no cover - SQLAlchemy's recipe for transactional DDL on SQLite
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _track_connections(engine: Engine) -> None:
    """Remember each PostgreSQL connection, so that :meth:`Database.abort_connections` can reach it."""
    live: weakref.WeakSet = weakref.WeakSet()
    engine.info_live = live  # type: ignore[attr-defined]

    @event.listens_for(engine, "connect")
    def _remember(dbapi_conn, _record):  # pragma: no cover - exercised via engine use
        live.add(dbapi_conn)


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def migrate(settings: Settings) -> None:
    """Bring the schema to the newest migration, in one transaction; safe from several processes."""
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings, migrating=True)
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
                conn.commit()
                try:
                    command.upgrade(alembic_config(conn), "head")
                    conn.commit()
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                    conn.commit()
            return
        with _sqlite_migration_lock(engine), engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
    finally:
        engine.dispose()


@contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    """A file lock beside the database, so that worker processes migrate one at a time."""
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: one worker per database there
        yield
        return
    with open(f"{database}.migrate-lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Database:
    """An engine, a session factory and a once-only migration."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.engine = make_engine(settings)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._ready = False
        self._lock = threading.Lock()

    def describe(self) -> str:
        """Where the database is, for a log line: no user name or password."""
        url = self.engine.url
        if url.get_backend_name() == "sqlite":
            return f"sqlite {url.database or ':memory:'}"
        return f"postgresql {url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"

    def ready(self) -> "Database":
        if not self._ready:
            with self._lock:
                if not self._ready:
                    migrate(self.settings)
                    self._ready = True
                    log.info("records database ready (%s)", self.engine.dialect.name)
        return self

    def abort_connections(self) -> int:
        """Shut down the sockets of every open PostgreSQL connection, so that threads blocked on a
        database that stopped answering get an error now rather than when TCP gives up."""
        closed = 0
        for conn in list(getattr(self.engine, "info_live", ())):
            try:
                if conn.closed:
                    continue
                fd = os.dup(conn.fileno())
            except Exception:  # noqa: BLE001 - already gone
                continue
            try:
                with socket.socket(fileno=fd) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
                    closed += 1
            except OSError:
                pass
        return closed

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        self.ready()
        with self._sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
