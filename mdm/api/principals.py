"""Principals and tokens over HTTP, for admins (write) and auditors (read); `/me` for everyone."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ..auth import principals as svc
from ..auth.http import actor, csrf_token, current_caller
from ..auth.roles import ROLES
from ..db import get_session
from ..governance import current
from ..models import Principal

blp = Blueprint("principals", __name__, description="Principals (users and system accounts) and API tokens")


class PrincipalSchema(Schema):
    name = fields.String(required=True)
    kind = fields.String(required=True)
    role = fields.String(required=True)
    system = fields.String(allow_none=True)
    display_name = fields.String(required=True)
    active = fields.Boolean(required=True)
    has_password = fields.Boolean(required=True)
    created_at = fields.String(allow_none=True)
    created_by = fields.String(required=True)


class PrincipalListSchema(Schema):
    items = fields.List(fields.Nested(PrincipalSchema), required=True)


class PrincipalCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    kind = fields.String(validate=validate.OneOf(["user", "system"]))
    system = fields.String(validate=validate.Length(max=64))
    display_name = fields.String(validate=validate.Length(min=1, max=200),
                                 metadata={"description": "printed name on signatures"})
    password = fields.String(load_only=True, validate=validate.Length(min=1, max=1024))


class PrincipalPatchSchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()
    display_name = fields.String(validate=validate.Length(min=1, max=200))
    password = fields.String(load_only=True, validate=validate.Length(min=1, max=1024))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class TokenSchema(Schema):
    id = fields.Integer(required=True)
    principal = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "first characters, to tell tokens apart"})
    label = fields.String(allow_none=True)
    kind = fields.String(required=True)
    created_at = fields.String(allow_none=True)
    created_by = fields.String(required=True)
    expires_at = fields.String(allow_none=True)
    revoked_at = fields.String(allow_none=True)
    last_used_at = fields.String(allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(required=True, metadata={"description": "the secret: shown this once, never stored"})


class TokenListSchema(Schema):
    items = fields.List(fields.Nested(TokenSchema), required=True)


class TokenCreateSchema(Schema):
    expires_days = fields.Integer(validate=validate.Range(min=1, max=3650))
    label = fields.String(validate=validate.Length(max=200))


class RevokeSchema(Schema):
    reason = fields.String(validate=validate.Length(max=2000))


class MeSchema(Schema):
    name = fields.String(required=True)
    kind = fields.String(required=True)
    role = fields.String(required=True)
    system = fields.String(allow_none=True)
    display_name = fields.String(required=True)
    via = fields.String(required=True, metadata={"description": "token or session"})
    csrf_token = fields.String(metadata={"description": "send as X-CSRF-Token on writes made with the session"})


def _factory() -> Any:
    return current_app.extensions["mdm.sessionmaker"]


@blp.route("/principals")
class Principals(MethodView):
    @blp.response(200, PrincipalListSchema)
    def get(self) -> dict[str, Any]:
        """Every principal with its role and state."""
        return {"items": [svc.view(p) for p in get_session().scalars(select(Principal).order_by(Principal.name))]}

    @blp.arguments(PrincipalCreateSchema)
    @blp.response(201, PrincipalSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add a user or a system account (a `source` principal is bound to one system)."""
        with _factory()() as s:
            p = svc.create(s, actor=actor(), known_systems=set(current().systems), **body)
            out = svc.view(p)
            s.commit()
        return out


@blp.route("/principals/<string:name>")
class PrincipalItem(MethodView):
    @blp.response(200, PrincipalSchema)
    def get(self, name: str) -> dict[str, Any]:
        """One principal."""
        return svc.view(svc.get(get_session(), name))

    @blp.arguments(PrincipalPatchSchema)
    @blp.response(200, PrincipalSchema)
    def patch(self, body: dict[str, Any], name: str) -> dict[str, Any]:
        """Change role, printed name or password, or disable (which revokes every token). Reason required."""
        with _factory()() as s:
            p = svc.change(s, name, actor=actor(), **body)
            out = svc.view(p)
            s.commit()
        return out


@blp.route("/principals/<string:name>/tokens")
class Tokens(MethodView):
    @blp.response(200, TokenListSchema)
    def get(self, name: str) -> dict[str, Any]:
        """A principal's API tokens (never their secrets)."""
        session = get_session()
        svc.get(session, name)
        return {"items": svc.tokens_of(session, name)}

    @blp.arguments(TokenCreateSchema)
    @blp.response(201, NewTokenSchema)
    def post(self, body: dict[str, Any], name: str) -> dict[str, Any]:
        """Issue an API token; the response is the only time its secret is shown."""
        with _factory()() as s:
            secret, t = svc.issue_token(s, name, actor=actor(), days=body.get("expires_days"),
                                        label=body.get("label"))
            out = {**svc.token_view(t, name), "token": secret}
            s.commit()
        return out


@blp.route("/tokens/<int:token_id>")
class TokenItem(MethodView):
    @blp.arguments(RevokeSchema, location="query")
    @blp.response(200, TokenSchema)
    def delete(self, args: dict[str, Any], token_id: int) -> dict[str, Any]:
        """Revoke an API token at once."""
        with _factory()() as s:
            t = svc.revoke_token(s, token_id, actor=actor(), reason=args.get("reason"))
            owner = s.get(Principal, t.principal_id)
            out = svc.token_view(t, owner.name if owner else "?")
            s.commit()
        return out


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self) -> dict[str, Any]:
        """Who the hub takes you for (and the CSRF token of a browser session)."""
        c = current_caller()
        out = {"name": c.name, "kind": c.kind, "role": c.role, "system": c.system, "display_name": c.display_name,
               "via": c.via}
        if c.via == "session":
            out["csrf_token"] = csrf_token()
        return out
