"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import text

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> dict:
    """The process answers."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> tuple[dict, int]:
    """The database answers and governance content is loaded."""
    from ..db import get_session

    gov = current_app.extensions.get("mdm.governance")
    try:
        get_session().execute(text("SELECT 1"))
        db_ok = True
    except Exception:  # noqa: BLE001 - any failure means not ready
        db_ok = False
    ready = db_ok and gov is not None
    body = {"status": "ready" if ready else "not ready", "database": "ok" if db_ok else "unavailable",
            "governance": gov.content_hash if gov else None}
    return body, 200 if ready else 503
