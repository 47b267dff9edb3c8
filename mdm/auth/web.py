"""Browser sign-in and sign-out: a server-side session behind an HttpOnly, SameSite cookie.

The cookie (Flask's signed session) holds only the session secret; the hub keeps its hash, expiry and
revocation like an API token, so sign-out and disabling a person end the session at once. Both forms
carry a CSRF token; failed sign-ins are counted per name and address, audited, and refused with 429
past the limit.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, session

from ..errors import MDMError
from . import principals
from .http import csrf_ok, remote_addr

bp = Blueprint("auth", __name__, url_prefix="/auth")

def _page(message: str = "", status: int = 200) -> Response:
    nxt = _safe_next(request.values.get("next"))
    return Response(render_template("console/sign_in.html", message=message, next=nxt), status=status,
                    mimetype="text/html")


def _safe_next(value: str | None) -> str:
    # only paths on this hub: an open redirect would let a phishing link borrow the sign-in page.
    # Browsers drop tabs and line breaks and read a backslash as a slash, so "/\t/evil" is "//evil".
    if (not value or not value.startswith("/") or len(value) > 2000
            or any(c.isspace() or ord(c) < 32 or ord(c) == 127 or c == "\\" for c in value)
            or value.startswith("//")):
        return "/"
    return value


def _factory() -> Any:
    return current_app.extensions["mdm.sessionmaker"]


@bp.get("/sign-in")
def sign_in_form() -> Response:
    return _page()


@bp.post("/sign-in")
def sign_in() -> Response:
    if not csrf_ok():
        return _page("The form expired; please try again.", 400)
    with _factory()() as s:
        try:
            if session.get("sid"):  # signing in again ends the session this browser had
                principals.sign_out(s, session["sid"])
            secret, _caller = principals.sign_in(s, request.form.get("username", ""), request.form.get("password", ""),
                                                 remote=remote_addr())
            s.commit()
        except MDMError as exc:
            s.commit()  # the failure record and its audit entry are the point
            return _page(exc.detail, exc.status)
    lang = session.get("lang")
    session.clear()  # a new session after sign-in: nothing chosen before it carries over but the language
    if lang:
        session["lang"] = lang
    session["sid"] = secret
    session["csrf_seed"] = secrets.token_urlsafe(24)
    session.permanent = True
    return redirect(_safe_next(request.form.get("next")), 303)  # type: ignore[return-value]


@bp.post("/sign-out")
def sign_out() -> Response:
    if not csrf_ok():
        return _page("The form expired; please try again.", 400)
    sid = session.get("sid")
    if sid:
        with _factory()() as s:
            principals.sign_out(s, sid)
            s.commit()
    session.clear()
    return redirect("/auth/sign-in", 303)  # type: ignore[return-value]
