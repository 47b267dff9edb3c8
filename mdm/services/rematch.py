"""`mdm rematch`: re-evaluate a whole domain under the match rules in force (after a rule change).

The domain's live source records are clustered afresh, independently of the order they arrived in:
equal identifiers and must-match decisions first, then every candidate pair at or above the link
threshold, strongest first, unless that would join two different identifiers of one kind or a pair
a steward marked never-match. Clusters keep the golden id most of their members already have;
records that move are relinked (xref history), golden records left empty are merged into the one
that took their records or retired, and pairs between review and link become review tasks.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ..audit import append as append_audit
from ..audit.log import entry as audit_entry
from ..governance.model import Governance
from ..matching import index
from ..matching.config import MatchConfig
from ..matching.scoring import score
from ..models import GoldenRecord, GoldenVersion, Identifier, MatchTask, SourceRecord, utcnow
from . import decisions, governance_versions, ids
from .golden_store import append_changes, lock_goldens, rebuild
from .merge import _relink


@dataclass
class _Rec:
    id: int
    system: str
    key: str
    site: str | None
    golden: str
    payload: dict[str, Any]
    idents: set[tuple[str, str, str]] = field(default_factory=set)


class _Clusters:
    """Union-find that refuses unions a steward or an identifier forbids."""

    def __init__(self, recs: list[_Rec], never: set[tuple[int, int]]) -> None:
        self.parent = {r.id: r.id for r in recs}
        self.members = {r.id: {r.id} for r in recs}
        self.idents: dict[int, dict[str, set[str]]] = {}
        for r in recs:
            d: dict[str, set[str]] = defaultdict(set)
            for kind, scope, value in r.idents:
                d[f"{kind}@{scope}"].add(value)
            self.idents[r.id] = d
        self.never: dict[int, set[int]] = defaultdict(set)
        for a, b in never:
            self.never[a].add(b)
            self.never[b].add(a)

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def allowed(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        small, big = sorted((ra, rb), key=lambda r: len(self.members[r]))
        if any(self.never.get(m, set()) & self.members[big] for m in self.members[small]):
            return False
        ia, ib = self.idents[ra], self.idents[rb]
        return not any(ia[k] and ib.get(k) and not ia[k] & ib[k] for k in list(ia))

    def union(self, a: int, b: int, force: bool = False) -> bool:
        if not force and not self.allowed(a, b):
            return False
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra] |= self.members.pop(rb)
        for k, v in self.idents.pop(rb).items():
            self.idents[ra][k] |= v
        return True


def rematch(factory: sessionmaker, gov: Governance, domain: str, *, actor: str,
            progress: Callable[[int], None] | None = None, on_total: Callable[[int], None] | None = None,
            dry_run: bool = False) -> dict[str, Any]:
    """Re-cluster `domain` under the rules in force; returns a summary of what moved."""
    cfg: MatchConfig = gov.rules[domain].match or MatchConfig()
    gv = governance_versions.ensure_recorded(factory, gov)
    with factory() as session:
        try:
            summary = _rematch(session, gov, domain, cfg, actor, gv, progress, on_total)
            if dry_run:
                session.rollback()
            else:
                session.commit()
            return {**summary, "dry_run": dry_run}
        except Exception:
            session.rollback()
            raise


def _load(session: Session, gov: Governance, domain: str) -> list[_Rec]:
    sr = SourceRecord
    listed = gov.rules[domain].identifiers
    ident_fields = [(f.name, f.check or "", f.identifier_scope) for f in gov.domains[domain].identifier_fields
                    if listed is None or f.name in listed]
    recs = []
    for sid, system, key, site, golden, payload in session.execute(
        select(sr.id, sr.system, sr.source_key, sr.site, sr.golden_id, sr.accepted_payload)
        .where(sr.domain == domain, sr.status != "deleted", sr.golden_id.is_not(None),
               sr.accepted_payload.is_not(None)).order_by(sr.id)
    ):
        rec = _Rec(sid, system, key, site, str(golden), payload)
        for name, kind, scope in ident_fields:
            if payload.get(name) is not None:
                rec.idents.add((kind, (site or "*") if scope == "site" else "*", str(payload[name])))
        recs.append(rec)
    return recs


def _rematch(session: Session, gov: Governance, domain: str, cfg: MatchConfig, actor: str, gv: int,
             progress: Callable[[int], None] | None, on_total: Callable[[int], None] | None) -> dict[str, Any]:
    site_bound = gov.domains[domain].site_bound
    recs = _load(session, gov, domain)
    if not recs:
        return {"domain": domain, "records": 0, "pairs_scored": 0, "moved": 0, "created": [], "merged": {},
                "retired": [], "tasks": 0, "capped_keys": 0}
    lock_goldens(session, sorted({r.golden for r in recs}))
    by_id = {r.id: r for r in recs}
    # the index follows the rules in force: a changed blocking key re-keys every record
    wanted = {r.id: index.all_keys(cfg, r.payload, r.site if site_bound else None) for r in recs} if cfg.fuzzy else \
        {r.id: set() for r in recs}
    index.sync(session, domain, wanted)
    held = decisions.of_records(session, list(by_id))
    clusters = _Clusters(recs, held["never"])
    for a, b in sorted(held["must"]):
        if a in by_id and b in by_id:
            clusters.union(a, b, force=True)
    first: dict[tuple[str, str, str], int] = {}
    for r in recs:
        for ident in sorted(r.idents):
            if ident in first:
                clusters.union(first[ident], r.id)
            else:
                first[ident] = r.id
    pairs, capped = _score_pairs(cfg, recs, wanted, progress, on_total) if cfg.fuzzy else ([], 0)
    for weight, prob, a, b in pairs:
        if prob >= cfg.link:
            clusters.union(a, b)
    new_of = _assign_ids(session, gov, domain, clusters, by_id)
    summary = _apply(session, gov, domain, actor, gv, recs, new_of)
    summary["tasks"] = _review_tasks(session, domain, cfg, pairs, clusters, new_of, held["never"], gv)
    return {"domain": domain, "records": len(recs), "pairs_scored": len(pairs), "capped_keys": capped, **summary}


def _score_pairs(cfg: MatchConfig, recs: list[_Rec], keys: dict[int, set[str]],
                 progress: Callable[[int], None] | None,
                 on_total: Callable[[int], None] | None) -> tuple[list[tuple[float, float, int, int]], int]:
    counts: Counter[str] = Counter(k for ks in keys.values() for k in ks)
    total = counts[index.TOTAL]

    def frequency(comparison: str, value: str) -> tuple[int, int] | None:
        n = counts[index.tf_key(comparison, value)]
        return (n, total) if n and total else None

    groups: dict[str, list[int]] = defaultdict(list)
    for r in recs:
        for k in keys[r.id]:
            if k != index.TOTAL and not k.startswith("tf."):
                groups[k].append(r.id)
    capped = sum(1 for g in groups.values() if len(g) > cfg.cap)
    candidate_pairs = sorted({(a, b) for g in groups.values() if len(g) <= cfg.cap
                              for i, a in enumerate(g) for b in g[i + 1:]})
    if on_total:
        on_total(len(candidate_pairs))
    by_id = {r.id: r for r in recs}
    out = []
    for n, (a, b) in enumerate(candidate_pairs, 1):
        s = score(cfg, by_id[a].payload, by_id[b].payload, frequency)
        if s.probability >= cfg.review:
            out.append((s.weight, s.probability, a, b))
        if progress and n % 1000 == 0:
            progress(1000)
    if progress:
        progress(len(candidate_pairs) % 1000)
    out.sort(key=lambda p: (-p[0], p[2], p[3]))
    return out, capped


def _assign_ids(session: Session, gov: Governance, domain: str, clusters: _Clusters,
                by_id: dict[int, _Rec]) -> dict[int, str]:
    """Golden id per record: each cluster keeps the id most of its members have (ties: smallest id)."""
    roots = sorted({clusters.find(i) for i in by_id})
    overlap = sorted(((-n, golden, root) for root in roots
                      for golden, n in Counter(by_id[m].golden for m in clusters.members[root]).items()),
                     key=lambda t: (t[0], t[1], t[2]))
    chosen: dict[int, str] = {}
    taken: set[str] = set()
    for _, golden, root in overlap:
        if root not in chosen and golden not in taken:
            chosen[root] = golden
            taken.add(golden)
    fresh = [r for r in roots if r not in chosen]
    for root, gid in zip(fresh, ids.allocate(session, domain, gov.domains[domain].id_prefix, len(fresh))):
        chosen[root] = gid
    return {i: chosen[clusters.find(i)] for i in by_id}


def _apply(session: Session, gov: Governance, domain: str, actor: str, gv: int, recs: list[_Rec],
           new_of: dict[int, str]) -> dict[str, Any]:
    now = utcnow()
    existing = {r.golden for r in recs}
    created = sorted(set(new_of.values()) - existing)
    for gid in created:
        session.execute(insert(GoldenRecord).values(id=gid, domain=domain, status="active", version=0, data={},
                                                    created_at=now, updated_at=now))
    moved = [r for r in recs if new_of[r.id] != r.golden]
    by_target: dict[str, list[int]] = defaultdict(list)
    for r in moved:
        by_target[new_of[r.id]].append(r.id)
    for target, sids in sorted(by_target.items()):
        _relink(session, sids, target, rule="rematch", actor=actor, reason="rematch under the rules in force",
                explanation={"rule": "rematch", "governance_version_id": gv}, run_id=None, now=now)
    affected = sorted({r.golden for r in moved} | {new_of[r.id] for r in moved})
    if not affected:
        return {"moved": 0, "created": [], "merged": {}, "retired": []}
    _reclaim(session, domain, affected, [r for r in recs if new_of[r.id] in affected], new_of)
    still = set(new_of.values())
    merged: dict[str, str] = {}
    for gid in sorted(existing - still):
        targets = {new_of[r.id] for r in recs if r.golden == gid}
        if len(targets) == 1:
            merged[gid] = targets.pop()
    for gid in affected:
        if gid in merged:
            continue
        rebuild(session, gov, gid, actor=actor, reason="rematch under the rules in force", force=True,
                action="rematch", explanation={"rule": "rematch"}, gov_version_id=gv, now=now,
                change_kind="created" if gid in created else None)
    for gid, survivor in sorted(merged.items()):
        row = lock_goldens(session, [gid])[gid]
        session.execute(update(GoldenRecord).where(GoldenRecord.id == gid).values(
            status="merged", merged_into=survivor, version=row.version + 1, updated_at=now))
        session.execute(update(GoldenRecord).where(GoldenRecord.merged_into == gid).values(merged_into=survivor))
        session.execute(insert(GoldenVersion).values(
            golden_id=gid, version=row.version + 1, status="merged", data=row.data,
            provenance={"merged_into": survivor}, explanation={"rule": "rematch", "merged_into": survivor},
            governance_version_id=gv, actor=actor, reason="rematch under the rules in force", created_at=now))
        append_audit(session, [audit_entry(actor, "merge", "golden_record", gid, reason="rematch",
                                           after={"status": "merged", "merged_into": survivor}, at=now)])
        append_changes(session, [{"golden_id": gid, "domain": domain, "kind": "merged", "version": row.version + 1,
                                  "data": {"merged_into": survivor}, "at": now}])
    retired = [g for g in sorted(existing - still) if g not in merged]
    return {"moved": len(moved), "created": created, "merged": merged, "retired": retired}


def _reclaim(session: Session, domain: str, affected: list[str], recs: list[_Rec], new_of: dict[int, str]) -> None:
    """Identifier claims of the affected golden records, from their members as they are now."""
    session.execute(delete(Identifier).where(Identifier.golden_id.in_(affected)))
    rows: dict[tuple[str, str, str], str] = {}
    taken = {(k, s, v) for k, s, v in session.execute(
        select(Identifier.kind, Identifier.scope, Identifier.value).where(
            Identifier.domain == domain, Identifier.value.in_(sorted({v for r in recs for _, _, v in r.idents}))))}
    for r in sorted(recs, key=lambda r: r.id):
        for ident in sorted(r.idents):
            if ident not in rows and ident not in taken:
                rows[ident] = new_of[r.id]
    if rows:
        session.execute(insert(Identifier), [{"domain": domain, "kind": k, "scope": s, "value": v, "golden_id": g}
                                             for (k, s, v), g in sorted(rows.items())])


def _review_tasks(session: Session, domain: str, cfg: MatchConfig, pairs: list[tuple[float, float, int, int]],
                  clusters: _Clusters, new_of: dict[int, str], never: set[tuple[int, int]], gv: int) -> int:
    open_pairs = {tuple(sorted([t.golden_id or "", *t.candidate_ids])) for t in session.scalars(
        select(MatchTask).where(MatchTask.domain == domain, MatchTask.status == "open"))}
    made: set[tuple[str, ...]] = set()
    rows = []
    for _, prob, a, b in pairs:
        if prob >= cfg.link or (min(a, b), max(a, b)) in never:
            continue
        ga, gb = new_of[a], new_of[b]
        pair = tuple(sorted((ga, gb)))
        if ga == gb or pair in made or pair in open_pairs:
            continue
        made.add(pair)
        rows.append({"domain": domain, "source_record_id": a, "golden_id": ga, "candidate_ids": [gb],
                     "reason": f"rematch: match probability {prob:.4f} between review {cfg.review} and link {cfg.link}",
                     "explanation": {"kind": "rematch", "probability": round(prob, 6)}, "score": round(prob, 6),
                     "status": "open", "governance_version_id": gv, "created_at": utcnow()})
    if rows:
        session.execute(insert(MatchTask), rows)
    return len(rows)


