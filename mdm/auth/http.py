"""Who is calling and may they: authentication and authorisation around every API request.

A request to /api/v1 carries a bearer token (`Authorization: Bearer mdm_…`) or a browser session
cookie from /auth/sign-in; anything else gets 401. The route's permission comes from `roles.ROUTES`;
a wrong role, or a source system writing as another system, gets 403 and an audit entry. Unsafe
requests made with a session cookie also need the CSRF token (`X-CSRF-Token` header or `csrf_token`
form field), since a browser sends cookies along with forged cross-site requests.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Any

from flask import Flask, Response, current_app, g, request, session

from ..db import read_only
from ..errors import MDMError
from . import masking, principals, roles
from .principals import AuthenticationFailed, Caller, Forbidden

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1/"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def current_caller() -> Caller:
    """The authenticated caller of this request (set before the view runs)."""
    caller = g.get("caller")
    if caller is None:
        raise AuthenticationFailed("sign in or send a bearer token")
    return caller


def actor() -> str:
    return current_caller().name


def remote_addr() -> str:
    return (request.remote_addr or "unknown")[:64]


def csrf_token() -> str:
    """The CSRF token of this browser session (derived from a random seed kept in the signed cookie)."""
    seed = session.get("csrf_seed")
    if not seed:
        seed = session["csrf_seed"] = secrets.token_urlsafe(24)
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, seed.encode(), hashlib.sha256).hexdigest()


def csrf_ok() -> bool:
    sent = request.headers.get("X-CSRF-Token") or (request.form.get("csrf_token") if request.form else None) or ""
    return bool(session.get("csrf_seed")) and hmac.compare_digest(sent, csrf_token())


def _factory() -> Any:
    return current_app.extensions["mdm.sessionmaker"]


def _identify() -> Caller:
    header = request.headers.get("Authorization", "")
    # read-only: on SQLite every request's look-up would otherwise queue behind any writer
    with read_only(_factory()()) as s:
        if header:
            scheme, _, secret = header.partition(" ")
            caller = principals.caller_for_token(s, secret.strip()) if scheme.lower() == "bearer" else None
            if caller is None:
                raise AuthenticationFailed("the bearer token is unknown, expired or revoked")
            return caller
        sid = session.get("sid")
        if sid:
            caller = principals.caller_for_token(s, sid, kind="session")
            if caller is not None:
                if request.method not in SAFE and not csrf_ok():
                    raise Forbidden("a request made with a session cookie needs the CSRF token "
                                    "(X-CSRF-Token header)")
                return caller
    raise AuthenticationFailed("sign in or send a bearer token (Authorization: Bearer …)")


def _deny(caller: Caller, why: str) -> None:
    g.denied_audited = True
    with _factory()() as s:
        principals.record_denied(s, caller, request.method, request.path, why)
        s.commit()
    raise Forbidden(why)


def authorize() -> None:
    """before_request: identify the caller and check the route's permission."""
    if not request.path.startswith(API_PREFIX) or request.endpoint in roles.PUBLIC:
        return
    caller = _identify()
    g.caller = caller
    if request.endpoint is None:  # no such route or method: 404/405 for a known caller
        return
    if request.method == "OPTIONS":
        return
    needed = roles.permission_for(request.endpoint, request.method)
    if needed is None:
        log.error("route %s %s has no permission in mdm.auth.roles.ROUTES: refused", request.method, request.endpoint)
        _deny(caller, f"{request.method} {request.path} is open to no role")
        return
    if not roles.allowed(caller.role, needed):
        _deny(caller, f"the {caller.role} role may not {request.method} {request.path} (needs {needed})")
    view_args = request.view_args or {}
    # a source account acts for its own system only, on every route that names a system
    scoped = needed in roles.SYSTEM_SCOPED or "system" in view_args
    if caller.role == "source" and scoped and view_args.get("system") != caller.system:
        _deny(caller, f"{caller.name} acts for system {caller.system!r}, not {view_args.get('system')!r}")


def audit_refusal(status: int, detail: str) -> None:
    """A 403 raised after the route check (a domain the system may not write): audited like the others."""
    caller = g.get("caller")
    if status != 403 or caller is None or g.get("denied_audited"):
        return
    g.denied_audited = True
    try:
        with _factory()() as s:
            principals.record_denied(s, caller, request.method, request.path, detail)
            s.commit()
    except Exception:  # the refusal stands whether or not its audit entry could be written
        log.exception("could not audit a refusal")


def finish(response: Response) -> Response:
    """after_request: mask what the caller may not see, add security headers."""
    caller = g.get("caller")
    if (caller is not None and response.is_json and 200 <= response.status_code < 300
            # governance content defines fields; it holds no one's data
            and roles.permission_for(request.endpoint, request.method) != "governance.read"):
        masking.mask_response(response, roles.clearance(caller.role), request.view_args or {})
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.path.startswith(API_PREFIX) and request.endpoint != "api-docs.openapi_swagger_ui":
        headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        if caller is not None:
            headers.setdefault("Cache-Control", "no-store")
    elif request.endpoint == "api-docs.openapi_swagger_ui":
        # Swagger UI bootstraps itself with an inline script
        headers.setdefault("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                           "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
    else:
        # console and sign-in pages: no script at all, own styles; personal data must not be cached
        headers.setdefault("Content-Security-Policy", "default-src 'self'; script-src 'none'; img-src 'self' data:; "
                           "frame-ancestors 'none'; form-action 'self'")
        if request.endpoint != "console.static":
            headers.setdefault("Cache-Control", "no-store")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    app.before_request(authorize)
    app.after_request(finish)


__all__ = ["MDMError", "actor", "authorize", "csrf_token", "current_caller", "init_app"]
