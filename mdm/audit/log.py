"""Appending to the audit trail inside the writer's own transaction, and reading it back.

Appends take one lock for the whole trail (a PostgreSQL advisory lock held to commit; SQLite has a
single writer), read the last hash, and insert the new entries already chained: concurrent writers
therefore form one unbroken chain. Call `append` last before commit.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ..models import AuditEvent, utcnow
from .chain import GENESIS, chain, utc_text, verify_rows

AUDIT_LOCK = 0x415544  # "AUD"
DEFAULT_KEY = "dev-audit-key-not-secret"
_key_override: bytes | None = None


def audit_key() -> bytes:
    """The HMAC key: MDM_AUDIT_KEY in configuration (never stored in the database)."""
    if _key_override is not None:
        return _key_override
    if has_app_context():
        return str(current_app.config.get("AUDIT_KEY") or DEFAULT_KEY).encode()
    return DEFAULT_KEY.encode()


def use_key(key: str | None) -> None:
    """Set the key outside a Flask app (the CLI and batch jobs set it from the app's configuration)."""
    global _key_override
    _key_override = key.encode() if key else None


def entry(actor: str, action: str, entity_type: str, entity_id: str, *, reason: str | None = None,
          before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
          context: dict[str, Any] | None = None, at: Any = None) -> dict[str, Any]:
    return {"at": at or utcnow(), "actor": actor, "action": action, "entity_type": entity_type,
            "entity_id": entity_id, "reason": reason, "before": before, "after": after, "context": context}


def append(session: Session, entries: list[dict[str, Any]], key: bytes | None = None) -> None:
    if not entries:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(AUDIT_LOCK)))
    last = session.execute(_last_select()).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    session.execute(insert(AuditEvent.__table__), chain(key or audit_key(), prev, seq, entries))  # type: ignore[arg-type]


@functools.cache
def _last_select() -> Any:
    # every write reads it: built once (building the statement cost more than running it)
    t = AuditEvent.__table__
    return select(t.c.seq, t.c.hash).order_by(t.c.seq.desc()).limit(1)


def rows(session: Session, page: int = 5000) -> Iterator[dict[str, Any]]:
    """Every entry in chain order, read a page at a time."""
    after = 0
    cols = [getattr(AuditEvent, c) for c in ("seq", "at", "actor", "action", "entity_type", "entity_id", "body",
                                             "prev_hash", "hash")]
    while True:
        batch = session.execute(select(*cols).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(page)).all()
        if not batch:
            return
        for r in batch:
            yield dict(r._mapping)
        after = batch[-1].seq


def view(row: Any) -> dict[str, Any]:
    """An entry as auditors read it: the hashed body, unpacked, with its hashes."""
    m = row if isinstance(row, dict) else {c: getattr(row, c) for c in ("seq", "body", "prev_hash", "hash")}
    body = json.loads(m["body"])
    return {**body, "seq": m["seq"], "prev_hash": m["prev_hash"], "hash": m["hash"]}


def verify(session: Session, key: bytes | None = None) -> dict[str, Any]:
    def find(hash_: str) -> int | None:
        return session.scalar(select(AuditEvent.seq).where(AuditEvent.hash == hash_))

    return verify_rows(key or audit_key(), rows(session), find)


def anchor(session: Session) -> dict[str, Any]:
    """The chain's head now: how many entries and the newest hash, for an inspector to keep outside the hub.

    The chain proves that nothing inside it was changed, but removing the newest entries (or all of
    them) leaves a shorter chain that still verifies; an anchor kept elsewhere shows that.
    """
    last = session.execute(select(AuditEvent.seq, AuditEvent.hash, AuditEvent.at)
                           .order_by(AuditEvent.seq.desc()).limit(1)).first()
    if last is None:
        return {"entries": 0, "seq": 0, "hash": GENESIS, "at": None}
    return {"entries": last.seq, "seq": last.seq, "hash": last.hash, "at": utc_text(last.at)}


def check_anchor(session: Session, kept: dict[str, Any]) -> dict[str, Any] | None:
    """None when the chain still holds the anchored entry with its hash; else what is wrong."""
    seq, hash_ = int(kept.get("seq", 0)), str(kept.get("hash", ""))
    if seq == 0:
        return None
    found = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))
    if found is None:
        return {"seq": seq, "problem": "missing",
                "detail": f"the anchored entry {seq} is gone: the trail was cut back or emptied"}
    if found != hash_:
        return {"seq": seq, "problem": "changed", "detail": "the anchored entry's hash differs"}
    return None
