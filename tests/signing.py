"""Test plumbing for access control: principals made on demand, and a client that signs requests.

`HubClient` is the Flask test client of every app in the test run. A request to /api/v1 without an
`Authorization` header is sent with the bearer token of a principal allowed to make it, chosen from
the route's permission in `mdm.auth.roles`: the source account of the system in the URL for source
writes, otherwise a steward, an auditor or an admin. The header `X-Test-As: NAME` (removed before
the request is sent) makes a steward called NAME act instead. For steward writes the client also
plays the person at the console: it adds If-Match with the ETags of the records involved as the
database holds them, and a signature confirmed with the principal's password, unless the test sends
its own (`"signature": None` sends none). Tests of access control itself use `raw_client`.
"""

from __future__ import annotations

import contextlib
import functools
import secrets
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException

from mdm.auth import principals, roles
from mdm.models import ApiToken, GoldenRecord, MatchTask, Principal
from mdm.services import tasks

PASSWORD = "correct horse battery staple"
STEWARD_WRITES = {"steward.TaskDecision", "steward.TaskAssign", "steward.Merge", "steward.Unmerge", "golden.Golden"}
SIGNED = {"steward.TaskDecision", "steward.Merge", "steward.Unmerge", "golden.Golden"}


@functools.cache
def _hash(password: str) -> str:
    return principals.hash_password(password)


def principal(app: Flask, name: str, role: str, *, system: str | None = None, password: str | None = PASSWORD,
              display_name: str | None = None) -> str:
    """A bearer token for `name` (created with `role` when missing).

    Rows are inserted directly, as fixture data: the requests under test see no audit entries of
    their own making (the services that create principals and tokens are tested by themselves).
    """
    cache = app.extensions.setdefault("test.tokens", {})
    if name in cache:
        return cache[name]
    secret = principals.TOKEN_PREFIX + secrets.token_urlsafe(32)
    with app.extensions["mdm.sessionmaker"]() as s:
        p = s.scalar(select(Principal).where(Principal.name == name))
        if p is None:
            p = Principal(name=name, kind="system" if role == "source" else "user", role=role, system=system,
                          display_name=display_name or name.title(), active=True, created_by="test",
                          password_hash=_hash(password) if password else None)
            s.add(p)
            s.flush()
        s.add(ApiToken(principal_id=p.id, kind="api", token_hash=principals.token_hash(secret), prefix=secret[:12],
                       created_by="test"))
        s.commit()
    cache[name] = secret
    return secret


def bearer(app: Flask, name: str, role: str, **kw: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {principal(app, name, role, **kw)}"}


def token_for(app: Flask, endpoint: str | None, method: str, view_args: dict[str, Any],
              as_name: str | None = None) -> str:
    """The token of a principal allowed to call `endpoint` (a steward called `as_name` when given)."""
    if as_name:
        return principal(app, as_name, "steward")
    needed = roles.permission_for(endpoint, method) or "golden.read"
    if needed == "source.write" or (needed in roles.SYSTEM_SCOPED and needed not in roles.PERMISSIONS["steward"]):
        system = view_args.get("system")
        if system not in app.extensions["mdm.governance"].systems:
            system = "crm"  # an unknown system in the URL: refused (403) before any handler runs
        return principal(app, f"src-{system}", "source", system=system, password=None)
    for role in ("steward", "auditor", "admin"):
        if roles.allowed(role, needed):
            return principal(app, role, role)
    return principal(app, "consumer", "consumer", password=None)


class HubClient(FlaskClient):
    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if args and isinstance(args[0], str) and args[0].startswith("/api/v1/"):
            self._sign(args[0].split("?", 1)[0], kwargs)
        return super().open(*args, **kwargs)

    def _sign(self, path: str, kwargs: dict[str, Any]) -> None:
        app = self.application
        headers = Headers(kwargs.get("headers") or {})
        as_name = headers.pop("X-Test-As", None)
        method = (kwargs.get("method") or "GET").upper()
        try:
            endpoint, view_args = app.url_map.bind("localhost").match(path, method=method)
        except HTTPException:  # 404 or 405: the app answers it, signed like any request
            endpoint, view_args = None, {}
        if "Authorization" not in headers:
            with contextlib.suppress(SQLAlchemyError):  # an unreachable test database: send it unsigned
                headers["Authorization"] = "Bearer " + self._token(endpoint, method, view_args, as_name)
        if endpoint in STEWARD_WRITES and method != "GET":
            body = kwargs.get("json")
            if endpoint in SIGNED and isinstance(body, dict):
                if "signature" not in body:
                    kwargs["json"] = {**body, "signature": {"meaning": "approval", "password": PASSWORD}}
                elif body["signature"] is None:
                    kwargs["json"] = {k: v for k, v in body.items() if k != "signature"}
            if "If-Match" not in headers:
                tag = self._etags(endpoint, view_args, body if isinstance(body, dict) else {})
                if tag:
                    headers["If-Match"] = tag
            elif headers["If-Match"] == "-":
                del headers["If-Match"]
        kwargs["headers"] = headers

    def _token(self, endpoint: str | None, method: str, view_args: dict[str, Any], as_name: str | None) -> str:
        return token_for(self.application, endpoint, method, view_args, as_name)

    def _etags(self, endpoint: str, view_args: dict[str, Any], body: dict[str, Any]) -> str:
        with self.application.extensions["mdm.sessionmaker"]() as s:
            if endpoint in ("steward.TaskDecision", "steward.TaskAssign"):
                task = s.get(MatchTask, view_args["task_id"])
                if task is None:
                    return f'"task-{view_args["task_id"]}.r0"'
                return f'"task-{task.id}.r{task.revision}.{tasks.fingerprint(s, task)}"'
            ids = [view_args["golden_id"]] if "golden_id" in view_args else [body.get("survivor"),
                                                                            *(body.get("merged") or [])]
            tags = []
            for gid in ids:
                if isinstance(gid, str):
                    rec = s.get(GoldenRecord, gid)
                    tags.append(f'"{gid}.v{rec.version if rec else 0}"')
            return ", ".join(tags)
