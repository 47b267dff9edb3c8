"""Match one stored source record against the domain again (after an unmerge)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..governance.model import Governance
from ..matching.config import MatchConfig
from ..matching.matcher import Matcher
from ..models import SourceRecord
from . import decisions


def rematch_one(session: Session, gov: Governance, domain: str, sr: SourceRecord,
                exclude: str) -> tuple[str | None, str, dict[str, Any] | None]:
    """The golden record `sr` links to above the link threshold, never `exclude` nor a record a steward
    said it is not; None when it needs a new golden record.

    Returns:
        (golden id or None, how, explanation of the best candidate or None)
    """
    cfg: MatchConfig = gov.rules[domain].match or MatchConfig()
    payload = sr.accepted_payload if cfg.fuzzy else None
    if payload is None:
        return None, "created", None
    site = sr.site if gov.domains[domain].site_bound else None
    matcher = Matcher(session, cfg, domain)
    matcher.prepare([(payload, site)], exclude_sources=frozenset({sr.id}),
                    exclude_goldens=frozenset({exclude}) if exclude else frozenset())
    never = decisions.of_records(session, [sr.id])["never"]
    banned = {b if a == sr.id else a for a, b in never}
    ranking = matcher.rank(payload, site, skip_sources=frozenset({(sr.system, sr.source_key)}),
                           skip_goldens=frozenset({exclude}))
    for c in ranking.candidates:
        if c.probability < cfg.link:
            break
        members = set(session.scalars(select(SourceRecord.id).where(SourceRecord.golden_id == c.golden_id,
                                                                     SourceRecord.status != "deleted")))
        if members & banned:
            continue
        return c.golden_id, "rematched", {"probability": round(c.probability, 6), "golden_id": c.golden_id,
                                          "member": c.member, "match": c.scored.explain(cfg)}
    return None, "created", None
