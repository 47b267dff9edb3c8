"""The Alembic migrations produce exactly the schema the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from mdm.db import make_engine
from mdm.migrate import current_revision
from mdm.models import Base


def test_migrated_schema_matches_models(migrated: str) -> None:
    engine = make_engine(migrated)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        assert current_revision(engine) is not None
    finally:
        engine.dispose()
