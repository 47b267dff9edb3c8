"""The embedded SQLite engine: its write-ahead log is copied back by a thread, not by a request."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import text

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
