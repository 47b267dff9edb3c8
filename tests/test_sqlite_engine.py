"""The embedded SQLite engine: its write-ahead log is copied back by a thread, not by a request, and
writers of one process queue on a lock of the process."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
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


def _write_lock(engine: Any) -> threading.Lock:
    conn = engine.raw_connection()
    try:
        return conn.dbapi_connection.write_lock
    finally:
        conn.close()


def test_a_transaction_holds_the_process_write_lock_until_it_ends(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    lock = _write_lock(engine)
    try:
        with engine.begin() as conn:
            conn.execute(text("create table t (id integer primary key)"))
            assert lock.locked()
        assert not lock.locked()  # commit
        with pytest.raises(RuntimeError), engine.begin() as conn:
            conn.execute(text("insert into t default values"))
            assert lock.locked()
            raise RuntimeError("rolled back")
        assert not lock.locked()  # rollback
        with Session(engine) as session:
            session.execute(text("insert into t default values"))
            assert lock.locked()
        assert not lock.locked()  # a session closed without a commit
        with engine.connect() as conn:
            assert conn.execute(text("select count(*) from t")).scalar() == 0
    finally:
        engine.dispose()


def test_a_second_writer_of_the_process_waits_for_the_first_commit(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("create table t (id integer primary key, who text)"))
        holding, seen = threading.Event(), []

        def first() -> None:
            with engine.begin() as conn:
                conn.execute(text("insert into t (who) values ('first')"))
                holding.set()
                time.sleep(0.3)

        def second() -> None:
            holding.wait(10)
            with engine.begin() as conn:  # waits for the first to commit, then sees its row
                seen.extend(conn.execute(text("select who from t")).scalars())
                conn.execute(text("insert into t (who) values ('second')"))

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert seen == ["first"]
        with engine.connect() as conn:
            assert conn.execute(text("select who from t order by id")).scalars().all() == ["first", "second"]
    finally:
        engine.dispose()


def test_a_writer_that_waits_too_long_gets_database_is_locked(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(db, "WRITE_TIMEOUT_S", 0.2)
    engine = db.make_engine(f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    try:
        with engine.connect() as holder:
            holder.begin()
            failed: list[BaseException] = []

            def other() -> None:
                try:
                    with engine.begin():
                        pass
                except BaseException as exc:  # noqa: BLE001 - kept for the assertion
                    failed.append(exc)

            t = threading.Thread(target=other)
            t.start()
            t.join(30)
            holder.rollback()
        assert len(failed) == 1 and "database is locked" in str(failed[0])
        with engine.begin():  # the lock was not left behind
            pass
    finally:
        engine.dispose()
