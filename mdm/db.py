"""Engine and session handling: one engine per app, one session per request.

SQLite (the embedded default) runs in WAL mode and takes its write lock at BEGIN, so concurrent
writers queue instead of failing half-way; PostgreSQL needs the `[postgres]` extra (psycopg 3).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import weakref
from typing import Any

from flask import Flask, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from . import jsonutil
from .errors import MDMError

log = logging.getLogger(__name__)

# SQLite copies its write-ahead log back into the database file every 1,000 pages by default, in
# the transaction that happens to cross the mark: that commit waits 10-30 ms for the copy and its
# fsync. A thread of the process does it instead; SQLite's own check stays as a backstop for a
# thread that fell behind, at a much larger size.
CHECKPOINT_EVERY_S = 0.5
# Under steady writes the log is never started over (a writer restarts it only when no commit came
# in since the last complete copy), so it grows until the backstop and the commit that crosses it
# copies what the thread has not yet copied and waits for two fsyncs (25-95 ms here). 64 MiB of
# log made that every ~170 single-record upserts; 256 MiB makes it four times rarer, for a log
# file of that size on disk. A checkpoint RESTART from the thread instead held writers up for
# ~20 ms every half second, which was worse for the slowest requests.
BACKSTOP_PAGES = 65_536
# SQLite keeps 2 MB of pages per connection by default; in a hub of a million records the upper
# levels of the big indexes alone are larger, and each miss is a system call. Filled only as used.
CACHE_KIB = 65_536


# How long a writer waits for the database (SQLite's busy timeout, and the gate before it).
BUSY_TIMEOUT_S = 60

# Execution option of a transaction that only reads (see `read_only`).
READ_ONLY = "mdm_read_only"


def read_only(session: Session) -> Session:
    """Begin `session`'s transaction as one that only reads.

    On SQLite it then takes no write lock, so it never queues behind a writer (every other
    transaction takes the lock at BEGIN); it must not write, and ends before anything that does
    (a commit or rollback ends it; the session's next transaction is an ordinary one). Other
    databases ignore it.
    """
    session.connection(execution_options={READ_ONLY: True})
    return session


class DatabaseError(MDMError):
    status = 503
    title = "Database unavailable"


def normalize_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use psycopg 3 for them."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Engine for `url` with the hub's connection settings.

    Raises:
        DatabaseError: the driver for that database is not installed.
    """
    url = normalize_url(url)
    backend = make_url(url).get_backend_name()
    kwargs.setdefault("json_serializer", jsonutil.dumps)
    kwargs.setdefault("json_deserializer", jsonutil.loads)
    if backend == "sqlite":
        database = make_url(url).database
        file = database if database and database != ":memory:" and not database.startswith("file:") else None
        connect_args: dict[str, Any] = {"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}
        if file:
            connect_args["factory"] = type("GatedConnection", (GatedConnection,), {"gate": threading.Lock()})
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _sqlite_setup(engine, _Checkpointer(engine, file) if file else None)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True, **kwargs)
    except ModuleNotFoundError as exc:
        raise DatabaseError(
            f"Cannot connect to {backend}: install the [postgres] extra (pip install 'meddev-mdm[postgres]')"
        ) from exc


def _sqlite_setup(engine: Engine, checkpointer: _Checkpointer | None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see "begin" below) instead of pysqlite's lazy BEGIN.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cur.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        if checkpointer is not None:
            cur.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
            checkpointer.ensure_running()
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: a deferred transaction that later writes can fail
        # with SQLITE_BUSY without waiting, which would break a batch half-way. A transaction
        # declared read-only (`read_only`) never writes and needs no lock: it reads a snapshot.
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        raw = conn.connection.dbapi_connection
        if isinstance(raw, GatedConnection):
            raw.hold()
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if isinstance(raw, GatedConnection):
                raw.let_go()
            raise


class GatedConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions first queue on a lock of the process (`gate`).

    SQLite makes a writer that finds the database locked sleep and retry (1, 2, 5, 10, 15, 20, 25 ...
    ms), so a request whose BEGIN IMMEDIATE meets another thread's short transaction (the lineage
    worker storing events) could wait 20-50 ms for a lock free after one. Threads of one process
    wait on the gate instead and go on as soon as it is released. Writers in other processes (the
    CLI, other server workers) still meet SQLite's own lock. Held from BEGIN IMMEDIATE to the end of
    the transaction (commit, rollback, or closing the connection).
    """

    gate: threading.Lock  # one per engine (a subclass per engine sets it)
    _held = False

    def hold(self) -> None:
        if not self._held:
            # after that long, SQLite's own lock and busy timeout decide, as without the gate
            self._held = self.gate.acquire(timeout=BUSY_TIMEOUT_S)

    def let_go(self) -> None:
        if self._held:
            self._held = False
            self.gate.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.let_go()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.let_go()


class _Checkpointer:
    """Checkpoints one SQLite database's write-ahead log from a daemon thread while its engine lives.

    PASSIVE never waits for readers or writers: it copies what it can, and the writer after a
    complete copy starts the log from the beginning again.
    """

    def __init__(self, engine: Engine, path: str) -> None:
        self._engine = weakref.ref(engine)
        self.path = os.path.abspath(path)  # a later change of working directory must not lose it
        self._pid: int | None = None
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        # a forked worker (gunicorn --preload) inherits the engine but not the thread
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="mdm-sqlite-checkpoint", daemon=True).start()

    def _run(self) -> None:
        wal = self.path + "-wal"
        seen = None
        while self._engine() is not None and self._pid == os.getpid():
            time.sleep(CHECKPOINT_EVERY_S)
            if not os.path.exists(self.path):
                self._pid = None  # removed with its folder (a test's, a scratch copy); a new connection restarts it
                return
            try:
                # the log is rewritten from its start after a complete checkpoint, so its size
                # says nothing about what is pending: a change since the last look does
                stat = os.stat(wal)
                if (stat.st_mtime_ns, stat.st_size) == seen:
                    continue
                seen = (stat.st_mtime_ns, stat.st_size)
                conn = sqlite3.connect(self.path, timeout=1)
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                finally:
                    conn.close()
            except (OSError, sqlite3.Error) as exc:
                log.debug("checkpoint of %s skipped: %s", self.path, exc)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["mdm.engine"] = engine
    app.extensions["mdm.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(close_session)


def get_session() -> Session:
    """The request's session, opened on first use."""
    from flask import current_app

    if "db_session" not in g:
        g.db_session = current_app.extensions["mdm.sessionmaker"]()
    return g.db_session


def close_session(exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        if exc is not None:
            session.rollback()
        session.close()
