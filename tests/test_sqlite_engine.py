"""The embedded SQLite engine: its write-ahead log is copied back by a thread, not by a request."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import text
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
