"""Fixtures: the real app on a real database.

SQLite by default; PostgreSQL when MDM_TEST_DATABASE_URL is set. Either way the test run creates its
own database (a temporary file, or a fresh PostgreSQL database) and removes it at the end, and every
test starts from empty tables.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import flask
import pytest
from flask.testing import FlaskClient
from signing import HubClient
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from mdm import create_app
from mdm.db import make_engine, normalize_url
from mdm.governance import load_governance
from mdm.migrate import upgrade
from mdm.models import Base
from mdm.services import governance_versions

# Every app of the run hands out the signing client (tests/auth.py); `raw_client` is the plain one.
flask.Flask.test_client_class = HubClient

PG_URL = os.environ.get("MDM_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not PG_URL:
        folder = tmp_path_factory.mktemp("db")
        yield f"sqlite:///{folder / 'mdm-test.sqlite3'}"
        shutil.rmtree(folder, ignore_errors=True)  # pytest keeps old tmp folders; no database may stay
        return
    admin_url = make_url(normalize_url(PG_URL))
    name = f"mdm_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated(database_url: str) -> str:
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    return database_url


@pytest.fixture(scope="session")
def governance():
    return load_governance()


def _empty_tables(engine) -> None:  # type: ignore[no-untyped-def]
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
            for (seq,) in conn.execute(text("SELECT sequence_name FROM information_schema.sequences "
                                            "WHERE sequence_name LIKE 'golden_id_seq_%'")):
                conn.execute(text(f'ALTER SEQUENCE "{seq}" RESTART WITH 1'))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
    governance_versions.forget()


@pytest.fixture()
def app(migrated: str, tmp_path: Path):
    application = create_app({"DATABASE_URL": migrated, "TESTING": True, "INGEST_CHUNK_SIZE": 100})
    application.instance_path = str(tmp_path / "instance")
    yield application
    engine = application.extensions["mdm.engine"]
    _empty_tables(engine)
    engine.dispose()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def raw_client(app) -> FlaskClient:
    """A client that sends exactly what the test gives it: no token, no If-Match, no signature."""
    return FlaskClient(app, app.response_class, use_cookies=True)


@pytest.fixture()
def runner(app, migrated: str, monkeypatch: pytest.MonkeyPatch):
    """CLI runner pointed at the test database."""
    from click.testing import CliRunner

    monkeypatch.setenv("MDM_DATABASE_URL", migrated)
    # CLI apps use the default instance folder: keep their lineage file out of the repository
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    return CliRunner()


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory: pytest.TempPathFactory, governance):
    """Generated demo data (seed 7, scale 1) written as each system sends it."""
    from mdm.cli.data import generate_files

    out = tmp_path_factory.mktemp("demo")
    return generate_files(governance, 7, 1, out)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    # Printed even with -q: CI reads it to prove the PostgreSQL run really ran on PostgreSQL.
    backend = "postgresql" if PG_URL else "sqlite"
    passed = len(terminalreporter.stats.get("passed", []))
    terminalreporter.write_line(f"mdm test database: {backend}, {passed} passed")
