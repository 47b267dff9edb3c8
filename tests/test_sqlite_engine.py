"""The embedded SQLite engine: its write-ahead log is copied back by a thread, not by a request."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from mdm import db


def _rows_in_main_file(path: Path) -> int:
    # immutable=1 reads the database file alone, ignoring the write-ahead log
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return conn.execute("select count(*) from t").fetchone()[0]
    except sqlite3.OperationalError:  # not even the table has been copied back yet
        return 0
    finally:
        conn.close()


def test_the_log_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.execute(text("create table t (id integer primary key, v text)"))
        with engine.begin() as conn:
            conn.execute(text("insert into t (v) values (:v)"), [{"v": "x" * 100}] * 500)
            # requests no longer copy the log back every 1,000 pages; only a far larger backstop
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == db.BACKSTOP_PAGES
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -db.CACHE_KIB
        deadline = time.monotonic() + 60 * db.CHECKPOINT_EVERY_S  # a loaded machine may be slow
        while _rows_in_main_file(path) < 500 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _rows_in_main_file(path) == 500
    finally:
        engine.dispose()


def test_an_in_memory_database_has_no_checkpointer() -> None:
    engine = db.make_engine("sqlite://")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000


def test_a_read_only_transaction_does_not_queue_behind_a_writer(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("create table t (id integer primary key, v text)"))
            conn.execute(text("insert into t (v) values ('committed')"))
        holding, release, released = threading.Event(), threading.Event(), threading.Event()

        def writer() -> None:
            with engine.begin() as conn:
                conn.execute(text("insert into t (v) values ('pending')"))
                holding.set()
                release.wait(30)
            released.set()

        t = threading.Thread(target=writer)
        t.start()
        try:
            assert holding.wait(30)
            with db.read_only(Session(engine)) as s:
                # a snapshot of what was committed, read while the writer still holds its lock
                assert s.execute(text("select v from t order by id")).scalars().all() == ["committed"]
                assert not released.is_set()
                s.commit()
                # the session's next transaction is an ordinary one again: it waits for the writer
                release.set()
                s.execute(text("insert into t (v) values ('after')"))
                s.commit()
        finally:
            release.set()
            t.join(30)
        with engine.connect() as conn:
            assert conn.execute(text("select v from t order by id")).scalars().all() == ["committed", "pending", "after"]
    finally:
        engine.dispose()


def _gate(engine) -> threading.Lock:
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, db.GatedConnection)
        return raw.gate


def test_write_transactions_of_the_process_queue_on_the_gate(tmp_path: Path) -> None:
    """A second writer of the process waits on the gate, not in SQLite's sleep-and-retry, and goes
    on once the first commits; every way a transaction ends lets the gate go."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    try:
        gate = _gate(engine)
        with engine.begin() as conn:
            conn.execute(text("create table t (id integer primary key, v text)"))
        assert not gate.locked()
        holding, release, second_in = threading.Event(), threading.Event(), threading.Event()

        def first() -> None:
            with engine.begin() as conn:
                conn.execute(text("insert into t (v) values ('first')"))
                holding.set()
                release.wait(30)

        def second() -> None:
            with engine.begin() as conn:
                second_in.set()
                # the first writer's row is there: this transaction began after its commit
                conn.execute(text("insert into t (v) select v || '+second' from t where v = 'first'"))

        a = threading.Thread(target=first)
        a.start()
        assert holding.wait(30) and gate.locked()
        b = threading.Thread(target=second)
        b.start()
        assert not second_in.wait(0.3)  # queued behind the first writer
        release.set()
        a.join(30)
        b.join(30)
        assert second_in.is_set() and not gate.locked()
        with engine.connect() as conn:
            assert conn.execute(text("select v from t order by id")).scalars().all() == ["first", "first+second"]

        with db.read_only(Session(engine)) as s:  # a reader never takes it
            s.execute(text("select count(*) from t")).scalar()
            assert not gate.locked()
        with Session(engine) as s:  # a rollback lets it go
            s.execute(text("insert into t (v) values ('undone')"))
            assert gate.locked()
            s.rollback()
            assert not gate.locked()
        conn = engine.connect()  # so does a connection closed mid-transaction
        conn.begin()
        conn.execute(text("insert into t (v) values ('dropped')"))
        assert gate.locked()
        conn.invalidate()
        conn.close()
        assert not gate.locked()
        with engine.connect() as check:
            assert check.execute(text("select count(*) from t")).scalar() == 2
    finally:
        engine.dispose()


def test_a_failed_begin_lets_the_gate_go(tmp_path: Path) -> None:
    """Another process holding the write lock past the busy timeout: the BEGIN fails, the gate is free."""
    path = tmp_path / "hub.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        gate = _gate(engine)
        with engine.connect() as conn:
            # on the driver's connection: SQLAlchemy's would begin a transaction first
            conn.connection.dbapi_connection.execute("PRAGMA busy_timeout=50")  # gives up at once
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(OperationalError, match="locked"):
                conn.begin()
            assert not gate.locked()
    finally:
        other.close()
        engine.dispose()


def test_an_in_memory_database_has_no_gate() -> None:
    engine = db.make_engine("sqlite://")
    with engine.connect() as conn:
        assert not isinstance(conn.connection.dbapi_connection, db.GatedConnection)
