"""Liveness and readiness probes, and the static assets of the interactive API docs."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, send_from_directory
from sqlalchemy import text

bp = Blueprint("health", __name__)


@bp.get("/api/v1/docs/assets/<path:filename>")
def swagger_assets(filename: str) -> Response:
    """Swagger UI's JavaScript and CSS, shipped by the swagger-ui-bundle package."""
    import swagger_ui_bundle

    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)


@bp.get("/healthz")
def healthz() -> dict:
    """The process answers."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> tuple[dict, int]:
    """The database answers and governance content is loaded."""
    from ..db import get_session
    from ..migrate import head_revision

    gov = current_app.extensions.get("mdm.governance")
    try:
        revision = get_session().execute(text("SELECT version_num FROM alembic_version")).scalar()
        db_state = "ok" if revision == head_revision() else f"schema at {revision}, run 'mdm db upgrade'"
    except Exception:  # noqa: BLE001 - any failure means not ready
        db_state = "unavailable or not migrated"
    ready = db_state == "ok" and gov is not None
    body = {"status": "ready" if ready else "not ready", "database": db_state,
            "governance": gov.content_hash if gov else None}
    return body, 200 if ready else 503
