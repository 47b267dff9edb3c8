"""The steward and auditor console: server-rendered pages at `/`, in English and Simplified Chinese.

Pages call the same services as the API; a person signs in at /auth/sign-in (a browser session,
see `mdm.auth.web`) and sees what their role may read. Write buttons show only for roles that may
write, and every form post is checked again here (role and CSRF token), so a forged post from an
auditor's session gets 403. The language comes from `?lang=`, else the browser's Accept-Language.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import Babel, gettext
from werkzeug.exceptions import HTTPException

from ..auth import principals, roles
from ..auth.http import csrf_ok, csrf_token
from ..db import read_only
from ..errors import MDMError
from ..governance import current

LANGUAGES = {"en": "English", "zh": "简体中文"}

bp = Blueprint("console", __name__, template_folder="templates", static_folder="static",
               static_url_path="/console-static")


def locale() -> str:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    for tag, _quality in request.accept_languages:  # best first; "zh-CN" and "zh-Hans" are Chinese
        primary = tag.split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return "en"


def caller() -> principals.Caller | None:
    if "console_caller" not in g:
        sid = session.get("sid")
        found = None
        if sid:
            with read_only(current_app.extensions["mdm.sessionmaker"]()) as s:
                found = principals.caller_for_token(s, sid, kind="session")
        g.console_caller = found
    return g.console_caller


def may(permission: str) -> bool:
    c = caller()
    return c is not None and roles.allowed(c.role, permission)


def require(permission: str) -> principals.Caller:
    """The signed-in person, when their role has `permission`; otherwise 403 (and an audit entry)."""
    c = caller()
    if c is None:
        abort(401)
    if request.method == "POST" and not csrf_ok():  # before anything is written, even an audit entry
        abort(400, gettext("The form expired; please reload the page and try again."))
    if not roles.allowed(c.role, permission):
        with current_app.extensions["mdm.sessionmaker"]() as s:
            principals.record_denied(s, c, request.method, request.path, f"the {c.role} role lacks {permission}")
            s.commit()
        abort(403)
    return c


@bp.errorhandler(HTTPException)
def error_page(exc: HTTPException) -> tuple[str, int]:
    """Pages answer errors with a page (the API answers problem+json)."""
    titles = {400: gettext("Bad request"), 401: gettext("Please sign in"), 403: gettext("Not allowed"),
              404: gettext("Not found")}
    details = {403: gettext("Your role may not open this page or do this."),
               404: gettext("There is no such page or record.")}
    code = exc.code or 500
    detail = details.get(code) or exc.description or ""
    return render_template("console/error.html", code=code, title=titles.get(code, exc.name), detail=detail), code


@bp.errorhandler(MDMError)
def refused_page(exc: MDMError) -> tuple[str, int]:
    """The hub's own errors (an unknown record or task: 404) as a page."""
    return render_template("console/error.html", code=exc.status, title=exc.title, detail=exc.detail), exc.status


@bp.before_request
def signed_in() -> Any:
    if caller() is None and request.endpoint != "console.static":
        return redirect(url_for("auth.sign_in_form", next=request.full_path.rstrip("?")))
    return None


# Words the pages show from data (domains, statuses, roles, meanings, results, classifications):
# translated when known, shown as they are otherwise (gettext on arbitrary data would be unsafe).
TERMS = frozenset({
    "product", "lot", "equipment", "supplier", "customer", "open", "closed", "active", "merged", "retired",
    "deleted", "quarantined", "source", "consumer", "steward", "auditor", "admin", "review", "approval",
    "responsibility", "merge", "not_a_match", "created", "linked", "unchanged", "rejected", "public", "internal",
    "personal", "confidential", "all",
})


def term(value: Any) -> str:
    text = "" if value is None else str(value)
    return gettext(text) if text in TERMS else text


def label(domain: str, field: str) -> str:
    """A field's label from the dictionary, in the page's language."""
    d = current().domains.get(domain)
    f = d.fields.get(field) if d else None
    if f is None:
        return field
    return f.label_zh if locale() == "zh" and f.label_zh else f.label


def init_app(app: Flask) -> None:
    import os

    from . import actions, views  # noqa: F401 - routes register on import

    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", os.path.join(os.path.dirname(__file__), "translations"))
    Babel(app, locale_selector=locale)
    app.register_blueprint(bp)

    @app.context_processor
    def _console_globals() -> dict[str, Any]:
        return {"caller": caller if request.blueprint in ("console", "auth") else (lambda: None),
                "may": may, "csrf_token": csrf_token, "label": label, "term": term, "current_locale": locale,
                "languages": LANGUAGES}
