"""Candidates for incoming records and their scores against each golden record, a batch at a time.

`prepare` reads everything a batch needs in a few indexed queries (term frequencies, key holders up
to the cap, the accepted payloads of a bounded shortlist per record); `rank` then works in memory.
Records decided earlier in the same batch are added with `add_local`, so duplicates that arrive
together find each other. A golden record scores as its best-matching member: a record is compared
with the source records it shares a blocking key with.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from . import index
from .config import MatchConfig
from .scoring import Scored, score


@dataclass
class Candidate:
    golden_id: str
    scored: Scored
    member: dict[str, Any]  # the source record it scored best against: system, source_key

    @property
    def probability(self) -> float:
        return self.scored.probability


@dataclass
class _Member:
    golden_id: str
    system: str
    source_key: str
    payload: dict[str, Any]
    source_id: int | None = None


@dataclass
class _Shortlist:
    """The stored records one incoming record will be scored against, filled in rounds."""

    payload: dict[str, Any]
    ranked: list[int]
    chosen: set[int] = field(default_factory=set)
    pos: int = 0  # ranked[:pos] were looked at

    def take(self, n: int) -> list[int]:
        out = self.ranked[self.pos:self.pos + max(0, n)]
        self.pos += len(out)
        return out


@dataclass
class Ranking:
    candidates: list[Candidate] = field(default_factory=list)
    capped: list[str] = field(default_factory=list)  # blocking keys skipped as over-frequent
    compared: int = 0
    not_scored: int = 0  # stored records sharing a key that were not shortlisted


class Matcher:
    """Blocking and scoring for one domain under one match configuration."""

    def __init__(self, session: Session, cfg: MatchConfig, domain: str) -> None:
        self.session = session
        self.cfg = cfg
        self.domain = domain
        self.counts: dict[str, int] = {}  # term frequencies and the domain's size
        self.held: dict[str, int] = {}  # stored holders of each blocking key, up to one over the cap
        self.holders: dict[str, list[_Member]] = defaultdict(list)
        self.local: dict[str, list[_Member]] = defaultdict(list)
        self.local_counts: Counter[str] = Counter()
        self._keys: dict[int, tuple[dict[str, Any], list[str]]] = {}
        # id(payload) -> (payload, shortlisted source record ids, how many were left out)
        self._shortlists: dict[int, tuple[dict[str, Any], set[int], int]] = {}

    def keys_of(self, payload: dict[str, Any], site: str | None) -> list[str]:
        """Blocking keys of `payload`, computed once per record of the batch."""
        found = self._keys.get(id(payload))
        if found is None or found[0] is not payload:
            found = self._keys[id(payload)] = (payload, index.blocking_keys(self.cfg, payload, site))
        return found[1]

    def prepare(self, records: list[tuple[dict[str, Any], str | None]], *,
                exclude_sources: frozenset[int] = frozenset(), exclude_goldens: frozenset[str] = frozenset()) -> None:
        """Read the keys, counts and candidate payloads the given (payload, site) pairs need.

        Each record scores at most `cfg.candidates` stored source records: live, linked ones sharing
        the most of its blocking keys, rarer keys first, outside `exclude_sources` (ids) and
        `exclude_goldens`. Who holds a key comes from the index alone; only shortlisted records'
        payloads are read (a second round fills places of records found deleted or excluded), so
        the work per record stays bounded however large the domain grows.
        """
        blocking: set[str] = set()
        tf: set[str] = set()
        for payload, site in records:
            blocking.update(self.keys_of(payload, site))
            tf.update(index.tf_keys(self.cfg, payload))
        self.counts = index.counts(self.session, self.domain, tf | {index.TOTAL})
        found_holders = index.holders(self.session, self.domain, blocking, self.cfg.cap + 1)
        self.held = {k: len(sids) for k, sids in found_holders.items()}
        held = {k: sids for k, sids in found_holders.items() if len(sids) <= self.cfg.cap}
        lists = [_Shortlist(payload, self._ranked(self.keys_of(payload, site), held, exclude_sources))
                 for payload, site in records]
        found: dict[int, tuple[str, str, str, dict[str, Any]]] = {}
        looked: set[int] = set()
        while True:
            trials = [(sl, sl.take(self.cfg.candidates - len(sl.chosen))) for sl in lists]
            trials = [(sl, sids) for sl, sids in trials if sids]
            if not trials:
                break
            fresh = sorted({sid for _, sids in trials for sid in sids} - looked)
            looked.update(fresh)
            found.update(index.members(self.session, fresh))
            for sl, sids in trials:
                sl.chosen.update(sid for sid in sids if sid in found and found[sid][0] not in exclude_goldens)
        for sl in lists:
            self._shortlists[id(sl.payload)] = (sl.payload, sl.chosen, len(sl.ranked) - sl.pos)
        chosen = set().union(*(sl.chosen for sl in lists))
        for key, sids in held.items():
            for sid in sids:
                if sid in chosen:
                    golden, system, source_key, payload = found[sid]
                    self.holders[key].append(_Member(golden, system, source_key, payload, sid))

    @staticmethod
    def _ranked(keys: list[str], held: dict[str, list[int]], exclude: frozenset[int]) -> list[int]:
        """Stored records sharing a key: most keys shared first, then rarer keys, then the newest."""
        shared: Counter[int] = Counter()
        rarity: dict[int, float] = defaultdict(float)
        for key in keys:
            sids = held.get(key, ())
            for sid in sids:
                if sid not in exclude:
                    shared[sid] += 1
                    rarity[sid] += 1 / len(sids)
        return sorted(shared, key=lambda sid: (-shared[sid], -rarity[sid], -sid))

    def add_local(self, golden_id: str, system: str, source_key: str, payload: dict[str, Any], site: str | None) -> None:
        """Make a record decided in this batch a candidate for the records after it."""
        member = _Member(golden_id, system, source_key, payload)
        for key in self.keys_of(payload, site):
            self.local[key].append(member)
            self.local_counts[key] += 1
        for key in index.tf_keys(self.cfg, payload):
            self.local_counts[key] += 1
        self.local_counts[index.TOTAL] += 1

    def frequency(self, comparison: str, value: str) -> tuple[int, int] | None:
        key = index.tf_key(comparison, value)
        n = self.counts.get(key, 0) + self.local_counts[key]
        total = self.counts.get(index.TOTAL, 0) + self.local_counts[index.TOTAL]
        return (n, total) if n and total else None

    def rank(self, payload: dict[str, Any], site: str | None, *, skip_sources: frozenset[tuple[str, str]] = frozenset(),
             skip_goldens: frozenset[str] = frozenset()) -> Ranking:
        """Golden records sharing a blocking key with `payload`, best first (probability, then id)."""
        ranking = Ranking()
        best: dict[str, Candidate] = {}
        seen: set[tuple[str, str]] = set()
        listed = self._shortlists.get(id(payload))
        chosen = None  # a payload prepare() did not see (none so far) is scored against every holder
        if listed is not None and listed[0] is payload:
            chosen, ranking.not_scored = listed[1], listed[2]
        for key in self.keys_of(payload, site):
            if self.held.get(key, 0) + self.local_counts[key] > self.cfg.cap:
                ranking.capped.append(key)
                continue
            for m in (*self.holders.get(key, ()), *self.local.get(key, ())):
                ref = (m.system, m.source_key)
                if ref in seen or ref in skip_sources or m.golden_id in skip_goldens:
                    continue
                if chosen is not None and m.source_id is not None and m.source_id not in chosen:
                    continue
                seen.add(ref)
                scored = score(self.cfg, payload, m.payload, self.frequency)
                ranking.compared += 1
                current = best.get(m.golden_id)
                if current is None or scored.weight > current.scored.weight:
                    best[m.golden_id] = Candidate(m.golden_id, scored, {"system": m.system, "source_key": m.source_key})
        ranking.candidates = sorted(best.values(), key=lambda c: (-c.scored.weight, c.golden_id))
        return ranking
