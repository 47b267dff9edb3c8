"""Governance content: the dictionary, mappings, rules and systems the hub runs under.

The app holds the loaded `Governance` in `app.extensions["mdm.governance"]`; `current()` returns it.
"""

from __future__ import annotations

from flask import Flask, current_app

from .loader import default_content_dir, load_governance
from .model import DOMAINS, Governance

__all__ = ["DOMAINS", "Governance", "current", "default_content_dir", "init_governance", "load_governance"]


def init_governance(app: Flask) -> None:
    """Load content at start-up; invalid content raises GovernanceError and the hub does not start.

    The governance version is recorded now when the database is ready, else on the first write.
    """
    from sqlalchemy.exc import DBAPIError

    from ..services import governance_versions

    gov = load_governance(app.config["CONTENT_DIR"] or None)
    app.extensions["mdm.governance"] = gov
    try:
        governance_versions.ensure_recorded(app.extensions["mdm.sessionmaker"], gov)
    except DBAPIError:
        governance_versions.forget()


def current() -> Governance:
    return current_app.extensions["mdm.governance"]
