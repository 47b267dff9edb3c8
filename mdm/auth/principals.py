"""Principals and their credentials: users with passwords, system accounts, bearer tokens, sessions.

Passwords are hashed with Argon2id (memory-hard); tokens are 256-bit random secrets of which only the
SHA-256 is stored (a high-entropy secret needs no slow hash). Every change to who may do what is an
audit entry. Functions take a Session and plain values, and leave the commit to the caller.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from ..audit import append as append_audit
from ..audit.log import entry as audit_entry
from ..errors import Conflict, MDMError, NotFound, ValidationFailed
from ..models import ApiToken, Principal, SignInFailure, iso, to_utc, utcnow
from ..services.signatures import SignRequest
from .roles import ROLES

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
TOKEN_PREFIX = "mdm_"
MIN_PASSWORD = 12
# Guessing limits: failures per account and per remote address within the window.
WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_REMOTE = 20
SESSION_HOURS = 8
_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("no such principal, constant-time refusal")


class AuthenticationFailed(MDMError):
    status = 401
    title = "Unauthorized"


class Forbidden(MDMError):
    status = 403
    title = "Forbidden"


class TooManyAttempts(MDMError):
    status = 429
    title = "Too many attempts"


@dataclass(frozen=True)
class Caller:
    """Who is calling: the principal as the request sees it (detached from any session)."""

    id: int
    name: str
    kind: str
    role: str
    system: str | None
    display_name: str
    via: str  # "token", "session" or "cli"
    token_id: int | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"a password needs at least {MIN_PASSWORD} characters",
                               {"password": [f"at least {MIN_PASSWORD} characters"]})


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def view(p: Principal) -> dict[str, Any]:
    return {"name": p.name, "kind": p.kind, "role": p.role, "system": p.system, "display_name": p.display_name,
            "active": p.active, "has_password": p.password_hash is not None, "created_at": iso(p.created_at),
            "created_by": p.created_by}


def token_view(t: ApiToken, principal: str) -> dict[str, Any]:
    return {"id": t.id, "principal": principal, "prefix": t.prefix, "label": t.label, "kind": t.kind,
            "created_at": iso(t.created_at), "created_by": t.created_by, "expires_at": iso(t.expires_at),
            "revoked_at": iso(t.revoked_at), "last_used_at": iso(t.last_used_at)}


def get(session: Session, name: str) -> Principal:
    p = session.scalar(select(Principal).where(Principal.name == name))
    if p is None:
        raise NotFound("principal", name)
    return p


def create(session: Session, *, name: str, role: str, actor: str, kind: str | None = None,
           system: str | None = None, display_name: str | None = None, password: str | None = None,
           known_systems: set[str] | None = None) -> Principal:
    """Add a user (with a password) or a system account; a `source` principal is bound to one system.

    Raises:
        ValidationFailed: bad name, role, system binding or password.
        Conflict: the name is taken.
    """
    errors: dict[str, list[str]] = {}
    if not NAME.match(name or ""):
        errors["name"] = ["letters, digits and . _ @ - only, 1-64 characters, starting with a letter or digit"]
    if role not in ROLES:
        errors["role"] = [f"one of {', '.join(ROLES)}"]
    if role == "source" and not system:
        errors["system"] = ["a source principal is bound to one system: give its system"]
    if system and role != "source":
        errors["system"] = ["only a source principal is bound to a system"]
    if system and known_systems is not None and system not in known_systems:
        errors["system"] = [f"unknown system {system!r} (lineage/systems.yaml)"]
    kind = kind or ("system" if role == "source" else "user")
    if kind not in ("user", "system"):
        errors["kind"] = ["user or system"]
    if password is not None:
        try:
            check_password_strength(password)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed("the principal cannot be created", errors)
    if session.scalar(select(Principal.id).where(Principal.name == name)) is not None:
        raise Conflict(f"a principal named {name!r} exists already")
    p = Principal(name=name, kind=kind, role=role, system=system, display_name=display_name or name,
                  password_hash=hash_password(password) if password else None, active=True, created_by=actor)
    session.add(p)
    session.flush()
    after = view(p)
    after.pop("created_at")
    append_audit(session, [audit_entry(actor, "principal_create", "principal", name, after=after)])
    return p


def change(session: Session, name: str, *, actor: str, reason: str | None = None, role: str | None = None,
           active: bool | None = None, display_name: str | None = None,
           password: str | None = None) -> Principal:
    """Change a principal's role, state, printed name or password; disabling revokes its tokens."""
    p = get(session, name)
    before = {"role": p.role, "active": p.active, "display_name": p.display_name}
    if role is not None:
        if role not in ROLES:
            raise ValidationFailed("unknown role", {"role": [f"one of {', '.join(ROLES)}"]})
        if (role == "source") != (p.system is not None):
            raise ValidationFailed("a source principal is bound to a system; create a new principal instead",
                                   {"role": ["cannot change to or from source"]})
        p.role = role
    if display_name is not None:
        p.display_name = display_name
    if password is not None:
        check_password_strength(password)
        p.password_hash = hash_password(password)
    if active is not None:
        p.active = active
    revoked = 0
    if active is False or password is not None:
        revoked = _revoke_all(session, p.id, sessions_only=active is not False)
    after = {"role": p.role, "active": p.active, "display_name": p.display_name}
    if password is not None:
        after["password"] = "changed"
    if revoked:
        after["tokens_revoked"] = revoked
    action = "role_change" if role is not None and role != before["role"] else "principal_change"
    append_audit(session, [audit_entry(actor, action, "principal", name, reason=reason, before=before, after=after)])
    return p


def _revoke_all(session: Session, principal_id: int, *, sessions_only: bool) -> int:
    q = update(ApiToken).where(ApiToken.principal_id == principal_id, ApiToken.revoked_at.is_(None))
    if sessions_only:
        q = q.where(ApiToken.kind == "session")
    return session.execute(q.values(revoked_at=utcnow())).rowcount or 0  # type: ignore[attr-defined]


def issue_token(session: Session, name: str, *, actor: str, days: int | None = None, label: str | None = None,
                kind: str = "api") -> tuple[str, ApiToken]:
    """A new token for `name`; the secret is returned once and never stored."""
    p = get(session, name)
    if not p.active:
        raise Conflict(f"{name} is disabled")
    if days is not None and days < 1:
        raise ValidationFailed("a token lives at least one day", {"expires": ["at least 1"]})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    expires: dt.datetime | None = None
    if kind == "session":
        expires = now + dt.timedelta(hours=SESSION_HOURS)
    elif days:
        expires = now + dt.timedelta(days=days)
    t = ApiToken(principal_id=p.id, kind=kind, token_hash=token_hash(secret), prefix=secret[:12], label=label,
                 created_at=now, created_by=actor, expires_at=expires)
    session.add(t)
    session.flush()
    if kind == "api":
        append_audit(session, [audit_entry(actor, "token_create", "principal", name,
                                           after={"token": t.id, "prefix": t.prefix, "expires_at": iso(expires)})])
    return secret, t


def revoke_token(session: Session, token_id: int, *, actor: str, reason: str | None = None) -> ApiToken:
    t = session.get(ApiToken, token_id)
    if t is None or t.kind != "api":
        raise NotFound("token", str(token_id))
    if t.revoked_at is not None:
        raise Conflict(f"token {token_id} was revoked at {iso(t.revoked_at)}")
    t.revoked_at = utcnow()
    owner = session.get(Principal, t.principal_id)
    append_audit(session, [audit_entry(actor, "token_revoke", "principal", owner.name if owner else "?",
                                       reason=reason, after={"token": t.id, "prefix": t.prefix})])
    return t


def tokens_of(session: Session, name: str | None = None) -> list[dict[str, Any]]:
    q = select(ApiToken, Principal.name).join(Principal, Principal.id == ApiToken.principal_id).where(
        ApiToken.kind == "api")
    if name is not None:
        q = q.where(Principal.name == name)
    return [token_view(t, n) for t, n in session.execute(q.order_by(ApiToken.id))]


def caller_for_token(session: Session, secret: str, *, kind: str = "api") -> Caller | None:
    """The principal a live token belongs to, or None (unknown, expired, revoked, disabled)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    t = session.execute(_token_select(), {"hash": token_hash(secret), "kind": kind}).first()
    if t is None:
        return None
    now = utcnow()
    expires = to_utc(t.expires_at)
    if t.revoked_at is not None or not t.active or (expires is not None and expires <= now):
        return None
    last = to_utc(t.last_used_at)
    # last use to the minute: a write per request would serialise readers on SQLite
    if last is None or now - last > dt.timedelta(minutes=1):
        session.commit()  # the look-up may have been read-only (mdm.db.read_only): the write gets its own
        session.execute(update(ApiToken).where(ApiToken.id == t.token_id).values(last_used_at=now))
        session.commit()
    return Caller(t.id, t.name, t.kind, t.role, t.system, t.display_name, "session" if kind == "session" else "token",
                  t.token_id)


@functools.cache
def _token_select() -> Any:
    # read by every API request: built once (building the statement cost more than running it)
    t, p = ApiToken.__table__, Principal.__table__
    return (select(p.c.id, p.c.name, p.c.kind, p.c.role, p.c.system, p.c.display_name, p.c.active,
                   t.c.id.label("token_id"), t.c.expires_at, t.c.revoked_at, t.c.last_used_at)
            .join_from(t, p, p.c.id == t.c.principal_id)
            .where(t.c.token_hash == bindparam("hash"), t.c.kind == bindparam("kind")))


def caller_for_principal(p: Principal, via: str) -> Caller:
    return Caller(p.id, p.name, p.kind, p.role, p.system, p.display_name, via)


def throttled(session: Session, key: str, remote: str, *, per_address: bool) -> bool:
    """Too many recent failures: for this key from this address (or from anywhere, for signatures),
    or from this address for any name.

    Counting a sign-in name per address means a stranger cannot lock a steward out by failing under
    her name from elsewhere; the per-address count stops one address from guessing many names.
    """
    since = utcnow() - WINDOW
    q = select(func.count()).select_from(SignInFailure).where(SignInFailure.name == key, SignInFailure.at >= since)
    if per_address:
        q = q.where(SignInFailure.remote == remote)
    by_key = session.scalar(q) or 0
    by_remote = session.scalar(select(func.count()).select_from(SignInFailure).where(
        SignInFailure.remote == remote, SignInFailure.at >= since)) if per_address else 0
    return by_key >= MAX_FAILURES_PER_NAME or (by_remote or 0) >= MAX_FAILURES_PER_REMOTE


def _audit_once(session: Session, action: str, name: str, remote: str) -> None:
    """One throttling entry per name and window: a flood of refused attempts does not flood the trail."""
    from ..models import AuditEvent

    since = utcnow() - WINDOW
    seen = session.scalar(select(AuditEvent.seq).where(
        AuditEvent.entity_type == "principal", AuditEvent.entity_id == (name or "?"), AuditEvent.action == action,
        AuditEvent.at >= since).limit(1))
    if seen is None:
        append_audit(session, [audit_entry(name or "?", action, "principal", name or "?",
                                           context={"remote": remote})])


def check_credentials(session: Session, name: str, password: str, *, remote: str,
                      purpose: str = "sign_in") -> Principal:
    """The active user `name` if `password` is theirs; every failure is counted and audited.

    Sign-in failures count per name and address; signature failures (the person is already
    authenticated) per name alone. The caller commits, also on failure (the failure record is the
    point): this function flushes the failure and the audit entry before raising.

    Raises:
        TooManyAttempts: too many recent failures.
        AuthenticationFailed: unknown name, wrong password, disabled or passwordless principal.
    """
    name = (name or "")[:100]
    key = name if purpose == "sign_in" else f"{purpose}:{name}"
    if throttled(session, key, remote, per_address=purpose == "sign_in"):
        _audit_once(session, f"{purpose}_throttled", name, remote)
        session.flush()
        raise TooManyAttempts(f"too many failed attempts for {name!r}; try again in "
                              f"{int(WINDOW.total_seconds() // 60)} minutes")
    p = session.scalar(select(Principal).where(Principal.name == name))
    ok = False
    try:
        ok = _hasher.verify(p.password_hash if p is not None and p.password_hash else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or p is None or not p.active or p.password_hash is None:
        session.add(SignInFailure(name=key, remote=remote[:64]))
        append_audit(session, [audit_entry(name or "?", f"{purpose}_failed", "principal", name or "?",
                                           context={"remote": remote})])
        session.flush()
        raise AuthenticationFailed("the name or password is wrong, or the account is disabled")
    return p


def confirm_signature(factory: Any, name: str, password: str, meaning: str, *, remote: str) -> SignRequest:
    """A signature request for `name`, once their password confirms it (21 CFR Part 11 §11.200).

    Only stewards sign steward decisions. A failure is counted toward the sign-in limit and audited
    (committed here, since the caller's work will not happen).

    Raises:
        AuthenticationFailed: wrong password, unknown or disabled principal.
        TooManyAttempts: too many recent failures.
        Forbidden: the principal is no steward.
    """
    with factory() as s:
        try:
            p = check_credentials(s, name, password, remote=remote, purpose="signature")
        finally:
            s.commit()
        if p.role != "steward":
            raise Forbidden(f"{name} is {p.role}, not a steward: cannot sign steward decisions")
        return SignRequest(p.name, p.display_name, meaning)


def sign_in(session: Session, name: str, password: str, *, remote: str) -> tuple[str, Caller]:
    """Check a person's password and open a browser session; returns the session secret."""
    p = check_credentials(session, name, password, remote=remote)
    if p.kind != "user":
        raise AuthenticationFailed("system accounts use bearer tokens, not sign-in")
    secret, t = issue_token(session, p.name, actor=p.name, kind="session", label=f"session from {remote}")
    append_audit(session, [audit_entry(p.name, "sign_in", "principal", p.name,
                                       context={"remote": remote, "session": t.id})])
    return secret, caller_for_principal(p, "session")


def sign_out(session: Session, secret: str) -> bool:
    t = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret), ApiToken.kind == "session"))
    if t is None or t.revoked_at is not None:
        return False
    t.revoked_at = utcnow()
    owner = session.get(Principal, t.principal_id)
    append_audit(session, [audit_entry(owner.name if owner else "?", "sign_out", "principal",
                                       owner.name if owner else "?", context={"session": t.id})])
    return True


def record_denied(session: Session, caller: Caller, method: str, path: str, why: str) -> None:
    append_audit(session, [audit_entry(caller.name, "access_denied", "route", f"{method} {path}"[:300],
                                       reason=why, context={"role": caller.role, "system": caller.system})])
