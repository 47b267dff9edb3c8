"""The blocking index in the database: keys of source records, their counts, candidate look-ups.

Keys are strings `<key name>=<value>` (prefixed with `@<site>/` in site-bound domains, so that lots
and machines only meet candidates of their own site), `tf.<comparison>=<value>` for term
frequencies, and `*` (one per record: the size of the domain). Every read is by domain and key on
an index. The index covers (domain, key, source record), so finding who holds a key reads no table
rows. Term frequencies and the size of the domain are counted in `match_key_count`; a blocking key's
holders are read up to one more than the cap instead (a key reaching it is skipped), so that no
count per blocking key is read and rewritten with every record: in a large hub each is a random page.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import TextClause, bindparam, delete, select, text
from sqlalchemy.orm import Session

from ..models import MatchKey, MatchKeyCount, SourceRecord
from ..services.bulk import accumulate, inserter, table
from . import normalise
from .config import MatchConfig
from .keys import build_key

TOTAL = "*"


def blocking_keys(cfg: MatchConfig, payload: dict[str, Any], site: str | None) -> list[str]:
    prefix = f"@{site}/" if site else ""
    out = []
    for k in cfg.keys:
        value = build_key([(p.method, payload.get(p.field), p.params) for p in k.parts])
        if value is not None:
            out.append(f"{prefix}{k.name}={value}")
    return out


def tf_keys(cfg: MatchConfig, payload: dict[str, Any]) -> list[str]:
    out = []
    for c in cfg.comparisons:
        if c.tf:
            value = normalise.text(payload.get(c.fields[0]))
            if value:
                out.append(tf_key(c.name, value))
    return out


def tf_key(comparison: str, value: str) -> str:
    return f"tf.{comparison}={value}"[:240]


def all_keys(cfg: MatchConfig, payload: dict[str, Any], site: str | None) -> set[str]:
    return {TOTAL, *blocking_keys(cfg, payload, site), *tf_keys(cfg, payload)}


def counted(key: str) -> bool:
    """Keys whose holders are counted in `match_key_count`: the domain's size and term frequencies."""
    return key == TOTAL or key.startswith("tf.")


def counts(session: Session, domain: str, keys: set[str]) -> dict[str, int]:
    if not keys:
        return {}
    out: dict[str, int] = {}
    ordered = sorted(keys)
    for i in range(0, len(ordered), 5000):
        out.update(session.execute(_counts_select(), {"domain": domain, "keys": ordered[i:i + 5000]}).all())
    return out


def holders(session: Session, domain: str, keys: set[str], limit: int) -> dict[str, list[int]]:
    """Source record ids holding each key, at most `limit` per key, from the covering index alone."""
    out: dict[str, list[int]] = defaultdict(list)
    ordered = sorted(keys)
    # one limited look-up per key, in statements of at most 200 (SQLite allows 500 terms in a UNION)
    for i in range(0, len(ordered), 200):
        chunk = ordered[i:i + 200]
        params: dict[str, Any] = {f"k{j}": key for j, key in enumerate(chunk)}
        for key, sid in session.execute(_holders_sql(len(chunk)), {"domain": domain, "limit": limit, **params}):
            out[key].append(sid)
    return out


@lru_cache(maxsize=64)
def _holders_sql(n: int) -> TextClause:
    # written out once per size: building it from select() objects cost more than running it
    part = ('SELECT "key", source_record_id FROM (SELECT "key", source_record_id FROM match_key '
            'WHERE domain = :domain AND "key" = :k{0} LIMIT :limit) AS h{0}')
    return text(" UNION ALL ".join(part.format(j) for j in range(n)))


# Statements of every upsert, built once: building an ORM statement cost more than running it.
@cache
def _counts_select() -> Any:
    c = table(MatchKeyCount)
    return select(c.c.key, c.c.n).where(c.c.domain == bindparam("domain"), c.c.key.in_(bindparam("keys", expanding=True)))


@cache
def _members_select() -> Any:
    sr = table(SourceRecord)
    return (select(sr.c.id, sr.c.golden_id, sr.c.system, sr.c.source_key, sr.c.accepted_payload)
            .where(sr.c.id.in_(bindparam("ids", expanding=True)), sr.c.status != "deleted",
                   sr.c.golden_id.is_not(None), sr.c.accepted_payload.is_not(None)))


@cache
def _keys_select() -> Any:
    k = table(MatchKey)
    return select(k.c.source_record_id, k.c.key).where(k.c.source_record_id.in_(bindparam("ids", expanding=True)))


@cache
def _keys_delete() -> Any:
    k = table(MatchKey)
    return delete(k).where(k.c.source_record_id == bindparam("sid"), k.c.key.in_(bindparam("keys", expanding=True)))


def members(session: Session, sids: list[int]) -> dict[int, tuple[str, str, str, dict[str, Any]]]:
    """(golden id, system, source key, accepted payload) of those of `sids` that are live and linked."""
    out = {}
    for i in range(0, len(sids), 5000):
        for sid, golden, system, key, payload in session.execute(_members_select(), {"ids": sids[i:i + 5000]}):
            out[sid] = (str(golden), system, key, payload)
    return out


def sync(session: Session, domain: str, wanted: dict[int, set[str]]) -> None:
    """Make the stored keys of each source record in `wanted` exactly its set (empty: none), with counts."""
    if not wanted:
        return
    ids = sorted(wanted)
    have: dict[int, set[str]] = defaultdict(set)
    for i in range(0, len(ids), 5000):
        for sid, key in session.execute(_keys_select(), {"ids": ids[i:i + 5000]}):
            have[sid].add(key)
    delta: Counter[str] = Counter()
    to_insert: list[dict[str, Any]] = []
    for sid in ids:
        old, new = have.get(sid, set()), wanted[sid]
        if old == new:
            continue
        for key in new - old:
            to_insert.append({"domain": domain, "key": key, "source_record_id": sid})
            delta[key] += 1
        for key in old - new:
            delta[key] -= 1
        gone = old - new
        if gone:
            session.execute(_keys_delete(), {"sid": sid, "keys": sorted(gone)})
    if to_insert:
        # Core executemany: batched by the driver, without the ORM's per-row bookkeeping
        session.execute(inserter(MatchKey), to_insert)
    _add_counts(session, domain, {k: n for k, n in delta.items() if n and counted(k)})


def _add_counts(session: Session, domain: str, delta: dict[str, int]) -> None:
    rows = [{"domain": domain, "key": k, "n": n} for k, n in sorted(delta.items())]  # key order: no deadlocks
    accumulate(session, MatchKeyCount, ["domain", "key"], ["n"], rows)
