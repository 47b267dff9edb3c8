"""Quarantine: records whose latest version failed an error rule, listed with every reason and retried.

A record leaves quarantine only by a new accepted version (the source resends, or a retry after a
rule or mapping fix finds it valid) or by deletion at source; both are versions of their own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from ..audit import append as append_audit
from ..audit.log import entry as audit_entry
from ..governance.model import Governance
from ..models import SourceRecord, SourceVersion
from .ingest import Ingestor
from .sources import version_view

if TYPE_CHECKING:
    from ..lineage import LineageEmitter


def _query(domain: str | None, system: str | None, site: str | None, keys: list[str] | None = None) -> Select:
    sr, sv = SourceRecord, SourceVersion
    q = (select(sr, sv).join(sv, (sv.source_record_id == sr.id) & (sv.version == sr.latest_version))
         .where(sr.status == "quarantined"))
    if domain:
        q = q.where(sr.domain == domain)
    if system:
        q = q.where(sr.system == system)
    if site:
        q = q.where(sr.site == site)
    if keys:
        q = q.where(sr.source_key.in_(keys))
    return q.order_by(sr.id)


def _has_rule(version: SourceVersion, rule: str | None) -> bool:
    return rule is None or any(i["rule"] == rule or i["rule"].startswith(rule + ".") for i in version.issues)


def page(session: Session, *, domain: str | None = None, system: str | None = None, site: str | None = None,
         rule: str | None = None, after: int = 0, limit: int = 50) -> tuple[list[dict[str, Any]], int | None]:
    """Quarantined records after source-record id `after`; `rule` matches a rule id or its prefix."""
    out: list[tuple[int, dict[str, Any]]] = []
    cursor = after
    while len(out) <= limit:
        rows = session.execute(_query(domain, system, site).where(SourceRecord.id > cursor).limit(500)).all()
        if not rows:
            break
        out.extend((sr.id, version_view(sr, v)) for sr, v in rows if _has_rule(v, rule))
        cursor = rows[-1][0].id
    items = out[:limit]
    return [i for _, i in items], (items[-1][0] if len(out) > limit else None)


def _groups(factory: sessionmaker, domain: str | None, system: str | None, site: str | None,
            rule: str | None, keys: list[str] | None) -> Iterator[tuple[str, str, list[Any]]]:
    with factory() as session:
        grouped: dict[tuple[str, str], list[Any]] = defaultdict(list)
        for sr, v in session.execute(_query(domain, system, site, keys)):
            if _has_rule(v, rule):
                grouped[(sr.system, sr.domain)].append(v.raw)
    for (sys_name, dom), raws in sorted(grouped.items()):
        yield sys_name, dom, raws


def retry(factory: sessionmaker, gov: Governance, *, domain: str | None = None, system: str | None = None,
          site: str | None = None, rule: str | None = None, keys: list[str] | None = None,
          actor: str = "steward", chunk_size: int = 500, reason: str | None = None,
          lineage: LineageEmitter | None = None) -> dict[str, Any]:
    """Run quarantined records again, as received, under the governance content in force now."""
    runs = []
    totals: dict[str, int] = defaultdict(int)
    for sys_name, dom, raws in _groups(factory, domain, system, site, rule, keys):
        if (sys_name, dom) not in gov.mappings:
            continue  # the system may no longer write this domain: they stay in quarantine
        summary = Ingestor(factory, gov, sys_name, dom, actor=actor, chunk_size=chunk_size,
                           retry_quarantined=True, lineage=lineage).run(raws)
        runs.append(summary.to_dict(with_results=False))
        for k, n in summary.counts.items():
            totals[k] += n
    result = {"retried": sum(totals.values()), "counts": dict(totals), "runs": runs}
    with factory() as session:
        filters = {k: v for k, v in {"domain": domain, "system": system, "site": site, "rule": rule,
                                     "keys": keys}.items() if v}
        append_audit(session, [audit_entry(actor, "retry", "quarantine", domain or "*", reason=reason,
                                           before=filters, after={"counts": dict(totals)},
                                           context={"runs": [r["run_id"] for r in runs]})])
        session.commit()
    return result
