"""Schema migrations with Alembic; `mdm db upgrade` and the tests go through `upgrade()`."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "mdm:migrations")
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to `revision` (default: the newest)."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest migration shipped with this code."""
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", "mdm:migrations")
    return ScriptDirectory.from_config(cfg).get_current_head()


def require_current(engine: Engine) -> None:
    """Raise a one-line error when the schema is missing or older than this code."""
    from sqlalchemy.exc import DBAPIError

    from .errors import MDMError

    try:
        revision = current_revision(engine)
    except DBAPIError as exc:
        raise MDMError(f"the database cannot be read ({str(exc.orig).splitlines()[0]}); check MDM_DATABASE_URL") from None
    if revision != head_revision():
        raise MDMError(f"the database schema is at {revision or 'nothing'}, this code needs {head_revision()}: "
                       "run 'mdm db upgrade'")
