"""RFC 9457 problem details: one body shape for every error the hub returns."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from ..errors import MDMError

log = logging.getLogger(__name__)
PROBLEM_BASE = "https://meddev-mdm.example/problems/"


def problem(status: int, title: str, detail: str, errors: Any = None, type_: str | None = None,
            headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {
        "type": type_ or PROBLEM_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def from_mdm_error(exc: MDMError) -> Response:
    from ..auth.http import audit_refusal

    audit_refusal(exc.status, exc.detail)
    headers = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="meddev-mdm"'
    elif exc.status == 429:
        headers["Retry-After"] = "900"
    return problem(exc.status, exc.title, exc.detail, exc.errors, exc.type, headers=headers)


def from_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    errors = data.get("messages")
    detail = exc.description or exc.name
    if status == 422 and errors:
        # webargs nests messages by location ("json", "query"); keep them: they name the field.
        detail = "The request does not match the documented schema"
    # flask-smorest passes headers=None on some aborts
    headers = {k: v for k, v in (data.get("headers") or {}).items()}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    return problem(status, exc.name, detail, errors, headers=headers)


def from_unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return from_http_exception(exc)
    log.exception("unhandled error")
    return problem(500, "Internal Server Error", "The hub failed to handle the request; the error is logged.")


def from_database_error(exc: OperationalError) -> Response:
    log.error("database unavailable: %s", exc)
    return problem(503, "Database unavailable", "The database cannot be reached or is not migrated; "
                   "the operator is told in the log.", headers={"Retry-After": "30"})


def from_out_of_range(exc: Exception) -> Response:
    # an id or page cursor past what the database's integer columns hold (2**63 on SQLite and PostgreSQL)
    log.info("value out of range for the database: %s", exc)
    return problem(400, "Invalid input", "A number in the request is out of range (ids and cursors are below 2**63).")


def init_app(app: Flask) -> None:
    app.register_error_handler(OverflowError, from_out_of_range)
    app.register_error_handler(DataError, from_out_of_range)
    app.register_error_handler(OperationalError, from_database_error)
    app.register_error_handler(MDMError, from_mdm_error)
    app.register_error_handler(HTTPException, from_http_exception)
    app.register_error_handler(Exception, from_unexpected)
