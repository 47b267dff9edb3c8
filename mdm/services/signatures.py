"""Electronic signatures on steward decisions (21 CFR Part 11 §11.50 manifests, §11.70 linking).

A signature names the signer's printed name, the date and time and the meaning (review, approval,
responsibility), and is written in the same transaction as the golden version it signs. Its
`record_hash` is an HMAC (the audit key, kept out of the database) over the manifest and that
version's status, data and provenance, so neither can be changed, nor the signature moved to another
record, without `valid` turning false where the version is shown. Each signature is also an audit
entry, inside the hash chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import jsonutil
from ..audit import append as append_audit
from ..audit.log import audit_key
from ..audit.log import entry as audit_entry
from ..errors import ValidationFailed
from ..models import GoldenRecord, GoldenVersion, Signature, iso, to_utc, utcnow

MEANINGS = ("review", "approval", "responsibility")


@dataclass(frozen=True)
class SignRequest:
    """Who signs, as confirmed by their credentials for this action."""

    signer: str
    printed_name: str
    meaning: str
    method: str = "password"

    def __post_init__(self) -> None:
        if self.meaning not in MEANINGS:
            raise ValidationFailed(f"a signature's meaning is one of {', '.join(MEANINGS)}",
                                   {"signature": {"meaning": [self.meaning]}})


def _hash(golden_id: str, version: GoldenVersion, manifest: dict[str, Any]) -> str:
    # keyed like the audit chain: whoever can write the database but lacks the key cannot move a
    # signature to another record or re-date it and have it verify
    body = {"golden_id": golden_id, "version": version.version, "status": version.status, "data": version.data,
            "provenance": version.provenance, "manifest": manifest}
    return hmac.new(audit_key(), jsonutil.canonical(body), hashlib.sha256).hexdigest()


def _manifest(sig: Signature) -> dict[str, Any]:
    return {"signer": sig.signer, "printed_name": sig.printed_name, "meaning": sig.meaning,
            "signed_at": iso(to_utc(sig.signed_at)), "action": sig.action, "reason": sig.reason,
            "method": sig.method, "task_id": sig.task_id}


def sign(session: Session, req: SignRequest, action: str, golden_ids: Iterable[str | None], *, reason: str,
         task_id: int | None = None, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Sign the current version of each golden record an action touched; call after the action's writes."""
    now = now or utcnow()
    out = []
    entries = []
    for gid in dict.fromkeys(g for g in golden_ids if g):
        rec = session.get(GoldenRecord, gid)
        if rec is None:
            continue
        version = session.scalar(select(GoldenVersion).where(GoldenVersion.golden_id == gid,
                                                             GoldenVersion.version == rec.version))
        if version is None:
            continue
        sig = Signature(golden_id=gid, golden_version=version.version, action=action, meaning=req.meaning,
                        signer=req.signer, printed_name=req.printed_name, signed_at=now, reason=reason,
                        method=req.method, task_id=task_id, record_hash="")
        sig.record_hash = _hash(gid, version, _manifest(sig))
        session.add(sig)
        view = {"golden_id": gid, "version": version.version, **_manifest(sig), "record_hash": sig.record_hash}
        out.append(view)
        entries.append(audit_entry(req.signer, "sign", "golden_record", gid, reason=reason, at=now,
                                   after={k: v for k, v in view.items() if k != "golden_id"}))
    append_audit(session, entries)
    session.flush()
    return out


def of_versions(session: Session, golden_id: str, versions: Iterable[GoldenVersion]) -> dict[int, list[dict[str, Any]]]:
    """Signatures per version number, each with `valid`: its hash recomputed over that version now."""
    by_number = {v.version: v for v in versions}
    if not by_number:
        return {}
    out: dict[int, list[dict[str, Any]]] = {}
    for sig in session.scalars(select(Signature).where(Signature.golden_id == golden_id,
                                                       Signature.golden_version.in_(list(by_number)))
                               .order_by(Signature.id)):
        manifest = _manifest(sig)
        valid = _hash(golden_id, by_number[sig.golden_version], manifest) == sig.record_hash
        out.setdefault(sig.golden_version, []).append({**manifest, "record_hash": sig.record_hash, "valid": valid})
    return out
