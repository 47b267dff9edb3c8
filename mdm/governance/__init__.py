"""Governance content: the dictionary, mappings, rules and systems the hub runs under.

The app holds the loaded `Governance` in `app.extensions["mdm.governance"]`; `current()` returns it.
"""

from __future__ import annotations

from flask import Flask, current_app

from ..settings import content_extra
from .loader import default_content_dir, load_governance
from .model import DOMAINS, Governance

__all__ = ["DOMAINS", "Governance", "current", "default_content_dir", "init_governance", "load_governance", "reload"]


def init_governance(app: Flask) -> None:
    """Load content at start-up; invalid content raises GovernanceError and the hub does not start.

    The governance version is recorded now when the database is ready, else on the first write.
    """
    from sqlalchemy.exc import DBAPIError

    from ..services import governance_versions

    gov = load_governance(app.config["CONTENT_DIR"] or None, content_extra(app.config))
    app.extensions["mdm.governance"] = gov
    try:
        governance_versions.ensure_recorded(app.extensions["mdm.sessionmaker"], gov)
    except DBAPIError:
        governance_versions.forget()


def current() -> Governance:
    return current_app.extensions["mdm.governance"]


def reload(app: Flask, actor: str = "admin") -> tuple[Governance, int]:
    """Load the content folder (and its extra folders) again and put it in force in this process.

    Raises:
        GovernanceError: the new content is invalid; the content in force stays.

    Returns:
        The governance now in force and its recorded version id. With several worker processes, each
        reloads on its own request (or restart); the content hash in every response tells them apart.
    """
    from ..audit import append
    from ..audit.log import entry
    from ..services import governance_versions

    old = app.extensions["mdm.governance"]
    gov = load_governance(app.config["CONTENT_DIR"] or None, content_extra(app.config))
    factory = app.extensions["mdm.sessionmaker"]
    version_id = governance_versions.ensure_recorded(factory, gov)
    app.extensions["mdm.governance"] = gov
    if "mdm.lineage" in app.extensions:  # lineage/openlineage.yml may name another transport now
        app.extensions["mdm.lineage"].gov = gov
    with factory() as session:
        append(session, [entry(actor, "governance_reload", "governance_version", str(version_id),
                               before={"content_hash": old.content_hash}, after={"content_hash": gov.content_hash})])
        session.commit()
    return gov, version_id
