"""Steps 5-8 of ingestion: persist source versions, match on identifiers, build golden records.

A batch is cut into chunks; each chunk commits in one transaction with everything it wrote
(source versions, golden versions, xref history, identifier claims, change events). Database reads
and writes are done per chunk, never per record, which is what keeps throughput up.

Concurrency: source records and golden records touched by a chunk are locked (`FOR UPDATE` on
PostgreSQL; SQLite has one writer), members are read after the lock, and identifier claims are
protected by a unique constraint. A chunk that loses a race (unique violation, deadlock) is rolled
back and run again, and then sees the winner's rows.
"""

from __future__ import annotations

import functools
import logging
import random
import re
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..audit import append as append_audit
from ..audit import audit_key
from ..audit.log import entry as audit_entry
from ..errors import DomainNotAllowed, UnknownDomain, UnknownSystem
from ..governance.model import DOMAINS, Governance
from ..matching import index as match_index
from ..matching.config import MatchConfig
from ..matching.matcher import Matcher
from ..models import (
    GoldenRecord,
    GoldenVersion,
    Identifier,
    IngestRun,
    MatchTask,
    QualityStat,
    QualityTotal,
    RejectedRecord,
    SourceRecord,
    SourceVersion,
    XrefEvent,
    utcnow,
)
from ..quality import Context
from ..quality.score import from_record, score
from ..quality.stats import RunStats
from . import governance_versions, ids
from .bulk import accumulate, inserter, table, update_by_id
from .golden_store import append_changes, load_members, load_pins, lock_goldens
from .mapping import Mapped, RecordMapper
from .merge import golden_identifiers_select
from .results import RESULTS, BatchSummary, RecordResult, info, same_issues
from .survivorship import Member, survive

if TYPE_CHECKING:
    from ..lineage import LineageEmitter

log = logging.getLogger(__name__)
_T = TypeVar("_T")

MAX_ATTEMPTS = 12
# a rule's running totals are kept per system and per kind and severity it had when it ran
TOTAL_KEYS = ("domain", "system", "rule_id", "kind", "severity")
_NEW = "\x00new:"
_WARNED: set[str] = set()
_PLACEHOLDER = re.compile("\x00new:[0-9]+")


@dataclass
class _State:
    """A source record as this chunk sees it, before its changes are written."""

    id: int | None
    golden_id: str | None
    latest_version: int
    latest_hash: str
    status: str
    accepted_version: int | None
    site: str | None
    touched: bool = False
    prev_issues: list[dict[str, Any]] | None = None  # of the latest version, read only when retrying
    accepted_payload: dict[str, Any] | None = None  # set when this chunk accepts a version
    stored: dict[str, Any] = field(init=False)  # columns as read: written only if changed

    def __post_init__(self) -> None:
        self.stored = {"site": self.site, "status": self.status, "golden_id": self.golden_id,
                       "accepted_version": self.accepted_version}


def check_target(gov: Governance, system: str, domain: str) -> None:
    """Refuse unknown systems and domains, and domains the system may not write."""
    if domain not in DOMAINS:
        raise UnknownDomain(f"unknown domain {domain!r}; domains are {', '.join(DOMAINS)}")
    if system not in gov.systems:
        raise UnknownSystem(f"unknown system {system!r}; declare it in lineage/systems.yaml")
    if domain not in gov.systems[system].writes or (system, domain) not in gov.mappings:
        raise DomainNotAllowed(f"system {system!r} may not write {domain!r} (lineage/systems.yaml)")


class Ingestor:
    """Ingests records of one system and domain under one governance version."""

    def __init__(self, factory: sessionmaker, gov: Governance, system: str, domain: str,
                 actor: str = "system", chunk_size: int = 500, rules_enabled: bool = True,
                 retry_quarantined: bool = False, lineage: LineageEmitter | None = None) -> None:
        check_target(gov, system, domain)
        self.factory = factory
        self.gov = gov
        self.system = system
        self.domain = gov.domains[domain]
        self.rules = gov.rules[domain]
        self.actor = actor
        self.chunk_size = chunk_size
        self.mapper = RecordMapper(gov, gov.systems[system], self.domain, gov.mappings[(system, domain)],
                                   rules_enabled)
        # Re-evaluate quarantined records even when the source content is unchanged (a rule or
        # mapping was fixed, or a referenced record arrived since).
        self.retry_quarantined = retry_quarantined
        self.gov_version_id = governance_versions.ensure_recorded(factory, gov)
        self.stats = RunStats(self.domain)
        # OpenLineage START / COMPLETE / FAIL, each sent after its commit; None sends nothing
        self.lineage = lineage
        self.run_uuid: str | None = None
        self.audit_key = audit_key()  # read now: chunks may run where no app context exists

    # -- runs ---------------------------------------------------------------------------------

    def run(self, records: Iterable[Any], progress: Callable[[int], None] | None = None) -> BatchSummary:
        """Ingest `records` (raw source dicts) as one ingest run and report a result per record."""
        if isinstance(records, (list, tuple)) and len(records) <= self.chunk_size:
            return self._run_at_once(list(records), progress)
        started = time.perf_counter()
        run = self._start_run()
        self.run_uuid = run.run_uuid
        if self.lineage:
            self.lineage.submit(self.lineage.ingest_started, run.run_uuid, self.system, self.domain.name,
                                run.started_at, gov=self.gov)
        results: list[RecordResult] = []
        try:
            for chunk in _chunks(records, self.chunk_size, len(results)):
                mapped = [self.mapper.map(raw, pos) for pos, raw in chunk]
                results.extend(self._with_retries(run.id, mapped))
                self.stats.add(mapped)
                if progress:
                    progress(len(chunk))
        except Exception as exc:
            failed = self._finish_run(run.id, results, "failed", f"{type(exc).__name__}: {exc}")
            if self.lineage:
                self.lineage.submit(self.lineage.ingest_failed, run.run_uuid, self.system, self.domain.name, exc,
                                    stats=self._rule_rows(), counts=failed, gov=self.gov)
            raise
        counts = self._finish_run(run.id, results, "complete", None)
        if self.lineage:
            self.lineage.submit(self.lineage.ingest_completed, run.run_uuid, self.system, self.domain.name,
                                stats=self._rule_rows(), counts=counts, gov=self.gov)
        return BatchSummary(run.run_uuid, self.system, self.domain.name, counts, results,
                            time.perf_counter() - started)

    def _run_at_once(self, records: list[Any], progress: Callable[[int], None] | None) -> BatchSummary:
        """A run of one chunk (a single-record PUT, a small batch): the run row, the records and the
        rule counts commit together, and both lineage events are sent after that one commit.

        Three commits less than a run of many chunks, which is most of the difference for one record.
        """
        started = time.perf_counter()
        run = self._new_run()
        self.run_uuid = run.run_uuid
        mapped: list[Mapped] = []

        def work(session: Session) -> tuple[list[RecordResult], dict[str, int]]:
            # a fresh row per attempt: a rolled-back one keeps its stale id
            run_id = session.execute(_run_insert(), self._run_values(run)).scalar_one()
            results = _Chunk(self, session, run_id).process(mapped)
            self.stats = RunStats(self.domain)  # a retried attempt counts afresh
            self.stats.add(mapped)
            return results, self._record_finish(session, run_id, results, "complete", None)

        try:
            mapped = [self.mapper.map(raw, pos) for pos, raw in enumerate(records)]
            results, counts = self._transaction(work)
        except Exception as exc:
            self.stats = RunStats(self.domain)
            try:
                failed = self._finish_run(None, [], "failed", f"{type(exc).__name__}: {exc}", run=self._new_run(run))
            except Exception:
                log.exception("cannot record the failed run %s", run.run_uuid)
                failed = dict.fromkeys(RESULTS, 0)
            if self.lineage:
                self.lineage.submit(self.lineage.ingest_failed, run.run_uuid, self.system, self.domain.name, exc,
                                    stats=self._rule_rows(), counts=failed, gov=self.gov, started_at=run.started_at)
            raise
        if progress:
            progress(len(records))
        if self.lineage:
            self.lineage.submit(self.lineage.ingest_completed, run.run_uuid, self.system, self.domain.name,
                                stats=self._rule_rows(), counts=counts, gov=self.gov, started_at=run.started_at)
        return BatchSummary(run.run_uuid, self.system, self.domain.name, counts, results,
                            time.perf_counter() - started)

    def _new_run(self, like: IngestRun | None = None) -> IngestRun:
        return IngestRun(**self._run_values(like))

    def _run_values(self, like: IngestRun | None = None) -> dict[str, Any]:
        return {"run_uuid": like.run_uuid if like else str(uuid.uuid4()), "system": self.system,
                "domain": self.domain.name, "governance_version_id": self.gov_version_id, "actor": self.actor,
                "counts": {}, "status": "running", "started_at": like.started_at if like else utcnow()}

    def _start_run(self) -> IngestRun:
        with self.factory() as session:
            run = self._new_run()
            session.add(run)
            session.commit()
            return run

    def _rule_rows(self) -> list[dict[str, Any]]:
        """Evaluated and failed counts per rule so far (configured rules that never failed included)."""
        kinds = {c.rule.id: (c.kind, c.rule.severity) for c in self.rules.checks}
        return self.stats.rows(kinds)

    def _finish_run(self, run_id: int | None, results: list[RecordResult], status: str, error: str | None, *,
                    run: IngestRun | None = None) -> dict:
        """Close the run in its own transaction; `run`: a run row to add first (a run that never committed)."""
        with self.factory() as session:
            if run is not None:
                session.add(run)
                session.flush()
                run_id = run.id
            assert run_id is not None
            counts = self._record_finish(session, run_id, results, status, error)
            session.commit()
        return counts

    def _record_finish(self, session: Session, run_id: int, results: list[RecordResult], status: str,
                       error: str | None) -> dict[str, int]:
        counts = dict.fromkeys(RESULTS, 0)
        counts.update(Counter(r.result for r in results))
        stats = [{**row, "run_id": run_id, "domain": self.domain.name, "system": self.system,
                  "governance_version_id": self.gov_version_id} for row in self._rule_rows()]
        session.execute(_run_finish(), {"_id": run_id, "status": status, "finished_at": utcnow(),
                                        "counts": counts, "error": error})
        if stats:
            session.execute(inserter(QualityStat), stats)
            # added last, just before the commit: on PostgreSQL concurrent runs of one system wait
            # for each other's totals rows only that long
            totals = sorted(({k: row[k] for k in TOTAL_KEYS + ("evaluated", "failed")} for row in stats
                             if row["evaluated"] or row["failed"]),
                            key=lambda row: tuple(row[k] for k in TOTAL_KEYS))
            accumulate(session, QualityTotal, list(TOTAL_KEYS), ["evaluated", "failed"], totals)
        return counts

    def _with_retries(self, run_id: int, mapped: list[Mapped]) -> list[RecordResult]:
        return self._transaction(lambda session: _Chunk(self, session, run_id).process(mapped))

    def _transaction(self, work: Callable[[Session], _T]) -> _T:
        """`work` in a transaction of its own, retried when it lost a race with another writer."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            session = self.factory()
            try:
                out = work(session)
                session.commit()
                return out
            except (IntegrityError, OperationalError, DBAPIError) as exc:
                session.rollback()
                if attempt == MAX_ATTEMPTS or not _retryable(exc):
                    raise
                log.info("chunk lost a race (%s); retrying, attempt %d", type(exc.orig).__name__, attempt)
                time.sleep(random.uniform(0.005, 0.05) * attempt)
            finally:
                session.close()
        raise AssertionError("unreachable")


# Statements of every single-record upsert, built once: building and executing an ORM statement
# costs ~0.3 ms of Python each, a prepared Core one about a fifth of that.
@functools.cache
def _run_insert() -> Any:
    t = table(IngestRun)
    return insert(t).returning(t.c.id)


@functools.cache
def _run_finish() -> Any:
    t = table(IngestRun)
    return update(t).where(t.c.id == bindparam("_id")).values(
        {c: bindparam(c) for c in ("status", "finished_at", "counts", "error")})


@functools.cache
def _state_select() -> Any:
    t = table(SourceRecord)
    return (select(t.c.source_key, t.c.id, t.c.golden_id, t.c.latest_version, t.c.latest_hash, t.c.status,
                   t.c.accepted_version, t.c.site)
            .where(t.c.system == bindparam("system"), t.c.domain == bindparam("domain"),
                   t.c.source_key.in_(bindparam("keys", expanding=True)))
            .order_by(t.c.source_key).with_for_update())


@functools.cache
def _claims_select() -> Any:
    t = table(Identifier)
    return select(t.c.kind, t.c.scope, t.c.value, t.c.golden_id).where(
        t.c.domain == bindparam("domain"), t.c.value.in_(bindparam("values", expanding=True)))


def _resolve(value: Any, real: Callable[[str | None], str | None]) -> Any:
    """`value` with the chunk's placeholder golden ids replaced by the allocated ones."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda mo: str(real(mo.group(0))), value) if _NEW in value else value
    if isinstance(value, dict):
        # comparisons hold record values, never golden ids: the bulk of an explanation is skipped
        return {k: v if k == "comparisons" else _resolve(v, real) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, real) for v in value]
    return value


def _retryable(exc: DBAPIError) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    text = str(exc.orig).lower()
    return any(s in text for s in ("deadlock", "could not serialize", "database is locked", "lock timeout"))


def _chunks(records: Iterable[Any], size: int, start: int) -> Iterator[list[tuple[int, Any]]]:
    chunk: list[tuple[int, Any]] = []
    for pos, raw in enumerate(records, start):
        chunk.append((pos, raw))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Chunk:
    """One transaction's worth of records: decide in memory, then write in bulk."""

    def __init__(self, ing: Ingestor, session: Session, run_id: int) -> None:
        self.ing = ing
        self.session = session
        self.run_id = run_id
        self.now = utcnow()
        self.domain = ing.domain.name
        self.results: list[RecordResult] = []
        self.versions: list[tuple[str, dict[str, Any]]] = []
        self.xrefs: list[tuple[str, dict[str, Any]]] = []
        self.tasks: list[tuple[str | None, dict[str, Any]]] = []
        self.rejected: list[dict[str, Any]] = []
        self.new_claims: list[tuple[tuple[str, str, str], str]] = []
        self.members: dict[str, dict[tuple[str, str], Member]] = defaultdict(dict)
        self.linked: dict[str, list[str]] = defaultdict(list)           # golden -> keys linked now
        self.new_goldens: list[str] = []
        self.changes: list[dict[str, Any]] = []
        self.accepted: dict[str, Mapped] = {}  # records accepted by this chunk, by key
        self.audit: list[dict[str, Any]] = []
        self.linked_positions: set[int] = set()
        self.link_notes: dict[tuple[str, str], dict[str, Any]] = {}
        self.cfg: MatchConfig = ing.rules.match or MatchConfig()
        self.matcher: Matcher | None = None
        # (survivor, others, record key, explanation): golden records a record bridged above the link threshold
        self.bridges: list[tuple[str, list[str], str, dict[str, Any]]] = []

    # -- decide -------------------------------------------------------------------------------

    def process(self, items: list[Mapped]) -> list[RecordResult]:
        keyed = [m for m in items if not m.rejected]
        self.state = self._load_state(sorted({m.key for m in keyed if m.key}))
        self._db_checks(keyed)
        self.claims, self.golden_idents = self._load_claims(keyed)
        if self.cfg.fuzzy:
            self._prepare_matching(keyed)
        for m in items:
            self._decide(m)
        self._write()
        return self.results

    def _load_state(self, keys: list[str]) -> dict[str, _State]:
        if not keys:
            return {}
        rows = self.session.execute(_state_select(), {"system": self.ing.system, "domain": self.domain,
                                                      "keys": keys}).all()
        state = {r[0]: _State(*r[1:]) for r in rows}
        if self.ing.retry_quarantined:
            quarantined = {st.id: st for st in state.values() if st.status == "quarantined"}
            if quarantined:
                for sid, issues in self.session.execute(
                    select(SourceVersion.source_record_id, SourceVersion.issues)
                    .join(SourceRecord, (SourceRecord.id == SourceVersion.source_record_id)
                          & (SourceRecord.latest_version == SourceVersion.version))
                    .where(SourceRecord.id.in_(sorted(quarantined)))
                ):
                    quarantined[sid].prev_issues = issues
        return state

    def _db_checks(self, keyed: list[Mapped]) -> None:
        """Rules that read the hub (references, uniqueness), batched over the records that will be written."""
        checks = self.ing.mapper.db_checks
        todo = []
        # A key sent twice in one chunk may be written twice whatever the stored state says.
        repeated = {k for k, n in Counter(m.key for m in keyed).items() if n > 1}
        for m in keyed:
            m.db_issues, m.db_evaluated = [], []  # a retried chunk evaluates afresh
            if checks and (m.key in repeated or self._will_write(m)):
                todo.append(m)
        if not todo:
            return
        lookups = {c.rule.id: c.load(self.session, [m.payload for m in todo]) for c in checks}
        for m in todo:
            st = self.state.get(m.key or "")
            ctx = Context(self.ing.system, m.site, self.ing.mapper.today, lookups, st.golden_id if st else None)
            # every reason is reported, but a field that failed its own rule is not judged again
            failed_fields = {i.get("field") for i in m.issues if i["severity"] == "error"}
            for check in checks:
                if (check.rule.sites and m.site not in check.rule.sites) or failed_fields & check.field_names:
                    continue
                failures = check.evaluate(m.payload, ctx)
                if failures is not None:
                    m.db_evaluated.append(check.rule.id)
                    m.db_issues.extend(f.to_issue() for f in failures)

    def _will_write(self, m: Mapped) -> bool:
        st = self.state.get(m.key or "")
        return st is None or self._changed(st, m)

    def _changed(self, st: _State, m: Mapped) -> bool:
        if st.status == "deleted" or st.latest_hash != m.content_hash:
            return True
        return self.ing.retry_quarantined and st.status == "quarantined"

    def _load_claims(self, keyed: list[Mapped]) -> tuple[dict, dict]:
        values = sorted({v for m in keyed if not m.has_errors for (_, _, v) in m.identifiers})
        claims: dict[tuple[str, str, str], str] = {}
        idents: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        if not values:
            return claims, idents
        for kind, scope, value, golden in self.session.execute(_claims_select(),
                                                               {"domain": self.domain, "values": values}):
            claims[(kind, scope, value)] = golden
        hits = sorted(set(claims.values()))
        if hits:
            for golden, kind, value in self.session.execute(golden_identifiers_select(), {"goldens": hits}):
                idents[golden][kind].add(value)
        return claims, idents

    def _site(self, m: Mapped) -> str | None:
        return m.site if self.ing.domain.site_bound else None

    def _prepare_matching(self, keyed: list[Mapped]) -> None:
        """Candidates of the records that may need a golden record, read in a few queries."""
        new = [m for m in keyed if not m.has_errors and (self.state.get(m.key or "") is None
                                                          or self.state[m.key or ""].golden_id is None)]
        self.matcher = Matcher(self.session, self.cfg, self.domain)
        if not new:
            return
        self.matcher.prepare([(m.payload, self._site(m)) for m in new])
        # identifiers of candidates only matter to a record that has identifiers of its own (a
        # different one of a kind excludes a candidate): a record without any reads none of them
        keys = {k for m in new if m.identifiers for k in self.matcher.keys_of(m.payload, self._site(m))}
        goldens = sorted({h.golden_id for k in keys for h in self.matcher.holders.get(k, ())}
                         - set(self.golden_idents))
        for start in range(0, len(goldens), 5000):
            for golden, kind, value in self.session.execute(golden_identifiers_select(),
                                                            {"goldens": goldens[start:start + 5000]}):
                self.golden_idents[golden][kind].add(value)

    def _decide(self, m: Mapped) -> None:
        if m.rejected:
            self.results.append(RecordResult(m.position, None, "rejected", reasons=m.issues))
            self.rejected.append({"run_id": self.run_id, "system": self.ing.system, "domain": self.domain,
                                  "position": m.position, "raw": m.raw, "reasons": m.issues,
                                  "received_at": self.now})
            return
        key = m.key
        assert key is not None
        st = self.state.get(key)
        if st is not None and not self._changed(st, m):
            why = [info("content_hash", f"same content as version {st.latest_version}")]
            if st.status == "quarantined":
                why.append({"rule": "still_quarantined", "severity": "warning",
                            "message": f"version {st.latest_version} is in quarantine; fix and resend, "
                                       "or retry after a rule or mapping fix"})
            self.results.append(RecordResult(m.position, key, "unchanged", st.golden_id, st.latest_version,
                                             why, m.unknown))
            return
        if st is not None and st.prev_issues is not None and m.has_errors and st.latest_hash == m.content_hash \
                and same_issues(st.prev_issues, m.all_issues):
            # retried and still failing for the same reasons: nothing new to record
            self.results.append(RecordResult(m.position, key, "quarantined", st.golden_id, st.latest_version,
                                             m.all_issues, m.unknown))
            return
        if st is None:
            st = self.state[key] = _State(None, None, 0, "", "new", None, m.site)
        # deleted at source earlier (its accepted version was dropped then): a new link when accepted again
        relink = st.golden_id is not None and (st.status == "deleted" or st.accepted_version is None)
        st.touched = True
        st.latest_version += 1
        st.latest_hash = m.content_hash
        st.site = m.site
        status = "quarantined" if m.has_errors else "accepted"
        self.versions.append((key, {
            "version": st.latest_version, "status": status, "payload": m.payload, "raw": m.raw,
            "unknown_fields": m.unknown, "issues": m.all_issues, "content_hash": m.content_hash,
            "run_id": self.run_id, "governance_version_id": self.ing.gov_version_id, "received_at": self.now,
        }))
        if m.has_errors:
            st.status = "quarantined"
            self.results.append(RecordResult(m.position, key, "quarantined", st.golden_id, st.latest_version,
                                             m.all_issues, m.unknown))
            return
        st.status = "active"
        st.accepted_version = st.latest_version
        st.accepted_payload = m.payload
        result, target, explanation = self._match(m, st)
        self.accepted[key] = m
        if self.matcher is not None:
            self.matcher.add_local(target, self.ing.system, key, m.payload, self._site(m))
        self.members[target][(self.ing.system, key)] = Member(self.ing.system, key, st.latest_version, self.now, m.payload)
        if st.golden_id != target or relink:
            st.golden_id = target
            self.linked[target].append(key)
            self.linked_positions.add(m.position)
            note = {"system": self.ing.system, "source_key": key, "rule": explanation["rule"]}
            if explanation.get("probability") is not None:
                note["probability"] = explanation["probability"]
            self.link_notes[(target, key)] = note
            self.xrefs.append((key, {"golden_id": target, "action": "link", "rule": explanation["rule"],
                                     "explanation": {**explanation, "governance_version_id": self.ing.gov_version_id},
                                     "run_id": self.run_id, "actor": self.ing.actor, "at": self.now}))
        for ident in m.identifiers:
            if ident not in self.claims:
                self.claims[ident] = target
                self.golden_idents[target][ident[0]].add(ident[2])
                self.new_claims.append((ident, target))
        reasons = [{"rule": explanation["rule"], "severity": "warning" if result == "review" else "info",
                    "message": explanation["detail"]}]
        if explanation.get("probability") is not None:
            reasons[0]["probability"] = explanation["probability"]
        if explanation.get("capped_keys"):
            capped = explanation["capped_keys"]
            reasons.append({"rule": "blocking_cap", "severity": "warning",
                            "message": f"blocking keys held by more than {self.cfg.cap} records were not read: "
                                       + ", ".join(capped)})
            fresh = [k for k in capped if k not in _WARNED]
            if fresh and len(_WARNED) < 10_000:  # once per key and process: a common key is common for good
                _WARNED.update(fresh)
                log.warning("%s domain: blocking keys held by more than %d source records are skipped: %s",
                            self.domain, self.cfg.cap, ", ".join(fresh))
        self.results.append(RecordResult(m.position, key, result, target, st.latest_version,
                                         reasons + m.all_issues, m.unknown))

    def _match(self, m: Mapped, st: _State) -> tuple[str, str, dict[str, Any]]:
        """Identifier matching (DESIGN.md §3 step 6): (result, golden id, explanation)."""
        hits: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for ident in m.identifiers:
            if ident in self.claims:
                hits[self.claims[ident]].append(ident)
        if st.golden_id is not None:
            others = sorted(g for g in hits if g != st.golden_id)
            if others:
                detail = f"identifiers of this record are held by {', '.join(others)} as well"
                self._task(m.key, st.golden_id, others, detail, hits)
                return "review", st.golden_id, {"rule": "update", "detail": detail}
            return "linked", st.golden_id, {"rule": "update",
                                            "detail": f"new version of a source record linked to {st.golden_id}"}
        if len(hits) == 1:
            (golden, matched), = hits.items()
            conflicts = [
                (kind, value) for kind, _, value in m.identifiers
                if self.golden_idents[golden].get(kind) and value not in self.golden_idents[golden][kind]
            ]
            if not conflicts:
                rule = "identifier:" + ",".join(sorted({k for k, _, _ in matched}))
                shared = ", ".join(f"{k} {v}" for k, _, v in matched)
                return "linked", golden, {"rule": rule, "detail": f"equal valid identifier: {shared}"}
            detail = (f"{golden} has an equal {matched[0][0]} but a different "
                      + ", ".join(f"{k} ({v})" for k, v in conflicts) + ": never merged automatically")
        elif len(hits) > 1:
            detail = f"identifiers of this record belong to different golden records: {', '.join(sorted(hits))}"
        else:
            detail = ("no golden record holds " + ", ".join(f"{k} {v}" for k, _, v in m.identifiers)
                      if m.identifiers else "the record carries no identifier to match on")
            if self.matcher is not None:
                return self._fuzzy(m, detail)
            return "created", self._new_golden(), {"rule": "new", "detail": detail}
        target = self._new_golden()
        self._task(m.key, target, sorted(hits), detail, hits)
        return "review", target, {"rule": "identifier_conflict", "detail": detail}

    def _conflicts(self, m: Mapped, golden: str) -> list[tuple[str, str]]:
        """Identifiers of `m` that `golden` holds a different valid value of: never an automatic merge."""
        held = self.golden_idents.get(golden, {})
        return [(kind, value) for kind, _, value in m.identifiers if held.get(kind) and value not in held[kind]]

    def _fuzzy(self, m: Mapped, ident_detail: str) -> tuple[str, str, dict[str, Any]]:
        """Blocking and scoring (DESIGN.md §3 step 6): link, review task, or a new golden record."""
        assert self.matcher is not None
        cfg = self.cfg
        ranking = self.matcher.rank(m.payload, self._site(m))
        base: dict[str, Any] = {"compared": ranking.compared}
        if ranking.not_scored:
            base["not_scored"] = ranking.not_scored
        if ranking.capped:
            base["capped_keys"] = ranking.capped
        # A golden record holding another valid identifier of a kind this record has is another
        # entity, whatever the other fields say: never linked, never proposed.
        excluded = {c.golden_id: self._conflicts(m, c.golden_id) for c in ranking.candidates}
        excluded = {g: v for g, v in excluded.items() if v}
        if excluded:
            base["excluded"] = [{"golden_id": g, "identifiers": [k for k, _ in v]} for g, v in sorted(excluded.items())]
        usable = [c for c in ranking.candidates if c.golden_id not in excluded]
        above = [c for c in usable if c.probability >= cfg.review]
        if not above:
            best = usable[0] if usable else None
            detail = ident_detail + (f"; best candidate {best.golden_id} at {best.probability:.3f}, below review "
                                     f"{cfg.review}" if best else "")
            out = {**base, "rule": "new", "detail": detail}
            if best is not None:
                out.update(probability=round(best.probability, 6), candidate=best.golden_id,
                           match=best.scored.explain(cfg))
            return "created", self._new_golden(), out
        top = above[0]
        out = {**base, "probability": round(top.probability, 6), "candidate": top.golden_id,
               "member": top.member, "match": top.scored.explain(cfg)}
        if top.probability >= cfg.link:
            others = [c.golden_id for c in above[1:] if c.probability >= cfg.link]
            detail = (f"match probability {top.probability:.4f} with {top.golden_id} (via {top.member['system']}/"
                      f"{top.member['source_key']}), at or above link {cfg.link}")
            if others:
                self.bridges.append((top.golden_id, others, m.key or "", out))
                detail += f"; also above link with {', '.join(others)}"
            return "linked", top.golden_id, {**out, "rule": "fuzzy", "detail": detail}
        detail = (f"match probability {top.probability:.4f} with {top.golden_id}: between review {cfg.review} "
                  f"and link {cfg.link}")
        target = self._new_golden()
        candidates = [c.golden_id for c in above[:5]]
        self.tasks.append((m.key, {
            "domain": self.domain, "golden_id": target, "candidate_ids": candidates, "reason": detail,
            "score": round(top.probability, 6),
            "explanation": {**out, "kind": "fuzzy", "detail": detail,
                            "candidates": [{"golden_id": c.golden_id, "probability": round(c.probability, 6),
                                            "member": c.member, "match": c.scored.explain(cfg)} for c in above[:5]],
                            "governance_version_id": self.ing.gov_version_id},
            "status": "open", "governance_version_id": self.ing.gov_version_id, "created_at": self.now,
        }))
        return "review", target, {**out, "rule": "fuzzy_review", "detail": detail}

    def _new_golden(self) -> str:
        placeholder = f"{_NEW}{len(self.new_goldens)}"
        self.new_goldens.append(placeholder)
        return placeholder

    def _task(self, key: str | None, golden: str, candidates: list[str], detail: str,
              hits: dict[str, list[tuple[str, str, str]]]) -> None:
        self.tasks.append((key, {
            "domain": self.domain, "golden_id": golden, "candidate_ids": candidates, "reason": detail,
            "explanation": {"kind": "identifier", "detail": detail,
                            "shared": {g: [list(i) for i in v] for g, v in sorted(hits.items()) if g != golden}},
            "status": "open", "governance_version_id": self.ing.gov_version_id, "created_at": self.now,
        }))

    # -- write --------------------------------------------------------------------------------

    def _write(self) -> None:
        s = self.session
        fresh = ids.allocate(s, self.domain, self.ing.domain.id_prefix, len(self.new_goldens))
        id_map = dict(zip(self.new_goldens, fresh))

        def real(g: str | None) -> str | None:
            return id_map.get(g, g) if g else g

        self._write_goldens(real)
        sr_ids = self._write_source_records(real)
        if self.versions:
            s.execute(inserter(SourceVersion), [{**v, "source_record_id": sr_ids[k]} for k, v in self.versions])
        if self.xrefs:
            s.execute(inserter(XrefEvent),
                      [{**x, "golden_id": real(x["golden_id"]), "explanation": _resolve(x["explanation"], real),
                        "source_record_id": sr_ids[k]} for k, x in self.xrefs])
        if self.new_claims:
            s.execute(inserter(Identifier), [
                {"domain": self.domain, "kind": k, "scope": sc, "value": v, "golden_id": real(g)}
                for (k, sc, v), g in self.new_claims
            ])
        if self.tasks:
            # one executemany needs the same keys in every row: identifier-conflict tasks have no score
            s.execute(inserter(MatchTask), [
                {"score": None, **_resolve(t, real), "source_record_id": sr_ids.get(k) if k else None}
                for k, t in self.tasks
            ])
        if self.rejected:
            s.execute(inserter(RejectedRecord), self.rejected)
        for r in self.results:
            r.golden_id = real(r.golden_id)
            r.reasons = _resolve(r.reasons, real)
        if self.cfg.fuzzy and self.accepted:
            match_index.sync(s, self.domain, {
                sr_ids[k]: match_index.all_keys(self.cfg, m.payload, self._site(m)) for k, m in self.accepted.items()})
        self._audit_sources()
        # audit first, change feed last: every writer takes the two locks in the same order
        append_audit(s, self.audit, self.ing.audit_key)
        append_changes(s, self.changes)
        for survivor, others, key, explanation in self.bridges:
            self._merge_bridge(str(real(survivor)), [str(real(o)) for o in others], key,
                               _resolve(explanation, real))

    def _merge_bridge(self, survivor: str, others: list[str], key: str, explanation: dict[str, Any]) -> None:
        """A record scored above link with several golden records: they are one entity, unless a
        steward decided otherwise or their identifiers differ (then one review task asks about all
        the refused ones: in a large hub a common name can meet dozens)."""
        from .merge import MergeRefused, identifier_clashes, merge_goldens
        from .tasks import resolve_many

        result = next((r for r in self.results if r.source_key == key and r.result == "linked"), None)
        # an earlier bridge of this chunk may have merged some of them already
        now = resolve_many(self.session, [survivor, *others])
        survivor = now[survivor]
        if result is not None:
            result.golden_id = survivor
        others = list(dict.fromkeys(g for g in (now[o] for o in others) if g != survivor))
        # a common name can bridge dozens of records of other identifiers: refused in one query,
        # before any of them is locked
        refused: dict[str, str] = identifier_clashes(self.session, survivor, others)
        for other in others:
            outcome = {"rule": "bridge", "severity": "info", "message": f"{other} merged into {survivor}"}
            if other not in refused:
                try:
                    merge_goldens(self.session, self.ing.gov, self.domain, survivor, [other], actor=self.ing.actor,
                                  reason=f"{self.ing.system}/{key} matched both above the link threshold",
                                  explanation={"rule": "bridge",
                                               "record": {"system": self.ing.system, "source_key": key},
                                               "match": explanation.get("match")},
                                  gov_version_id=self.ing.gov_version_id, run_id=self.run_id, automatic=True)
                except MergeRefused as exc:
                    refused[other] = str(exc)
            if other in refused:
                outcome = {"rule": "bridge", "severity": "warning",
                           "message": f"{other} not merged into {survivor}: {refused[other]}; a review task asks"}
            if result is not None:
                result.reasons.insert(1, outcome)
        if refused:
            st = self.state.get(key)
            first = next(iter(refused.values()))
            reason = first if len(refused) == 1 else (
                f"{self.ing.system}/{key} scored above the link threshold with {survivor} and with "
                f"{len(refused)} more golden records that were not merged into it; first: {first}")
            self.session.execute(inserter(MatchTask), [{
                "domain": self.domain, "golden_id": survivor, "candidate_ids": sorted(refused), "reason": reason,
                "source_record_id": st.id if st else None,
                "explanation": {"kind": "bridge", "detail": reason, "refused": refused, **explanation},
                "score": explanation.get("probability"), "status": "open",
                "governance_version_id": self.ing.gov_version_id, "created_at": self.now}])

    def _audit_context(self) -> dict[str, Any]:
        return {"run": self.ing.run_uuid, "governance_version_id": self.ing.gov_version_id}

    def _audit_sources(self) -> None:
        """One entry per source record this chunk changed: linked, updated, quarantined or rejected."""
        ctx = self._audit_context()
        prefix = f"{self.ing.system}/{self.domain}/"
        for r in self.results:
            if r.result == "rejected":
                self.audit.append(audit_entry(self.ing.actor, "reject", "source_record",
                                              f"{prefix}#{r.position}", after={"reasons": r.reasons},
                                              context=ctx, at=self.now))
                continue
            st = self.state.get(r.source_key or "")
            if st is None or not st.touched or r.result == "unchanged":
                continue  # nothing was written for it
            action = {"quarantined": "quarantine"}.get(r.result) or ("link" if r.position in self.linked_positions else "update")
            after: dict[str, Any] = {"version": r.version, "golden_id": r.golden_id}
            if action == "quarantine":
                after["rules"] = sorted({x["rule"] for x in r.reasons if x["severity"] == "error"})
            self.audit.append(audit_entry(self.ing.actor, action, "source_record", prefix + str(r.source_key),
                                          after=after, context=ctx, at=self.now))

    def _write_goldens(self, real: Callable[[str | None], str | None]) -> None:
        s = self.session
        existing = sorted(g for g in self.members if not g.startswith(_NEW))
        current = lock_goldens(s, existing)
        # Members written by this chunk are already in memory (setdefault keeps them); the rest is read
        # after the golden rows are locked, so a concurrent writer's committed link is seen.
        for golden, members in load_members(s, existing).items():
            for ref, member in members.items():
                self.members[golden].setdefault(ref, member)
        pins = load_pins(s, existing)
        new_rows, updates, versions, changes = [], [], [], []
        for golden in sorted(self.members, key=str):
            ordered = sorted(self.members[golden].values(), key=lambda m: (m.system, m.source_key))
            data, provenance = survive(self.ing.domain, self.ing.rules, ordered, pins.get(golden))
            gid = real(golden)
            linked = self.linked.get(golden, [])
            if golden.startswith(_NEW):
                version, kind = 1, "created"
            else:
                row = current[golden]
                if data == row.data and not linked and row.status == "active":
                    continue
                version, kind = row.version + 1, "updated"
            quality = self._quality(golden, ordered, data) if self.ing.mapper.rules_enabled else None
            quality_score = quality["score"] if quality else None
            if version == 1:
                new_rows.append({"id": gid, "domain": self.domain, "status": "active", "version": 1, "data": data,
                                 "quality_score": quality_score, "created_at": self.now, "updated_at": self.now})
            else:
                # the status is indexed: set only when it changes (update_by_id)
                updates.append({"id": gid, "version": version, "data": data, "quality_score": quality_score,
                                "updated_at": self.now, **({} if current[golden].status == "active"
                                                           else {"status": "active"})})
            versions.append({"golden_id": gid, "version": version, "status": "active", "data": data,
                             "provenance": provenance, "governance_version_id": self.ing.gov_version_id,
                             "quality": quality,
                             "explanation": {"linked": [self.link_notes[(golden, k)] for k in linked]},
                             "run_id": self.run_id, "actor": self.ing.actor, "created_at": self.now})
            changes.append({"golden_id": gid, "domain": self.domain, "kind": kind, "version": version,
                            "data": data, "at": self.now})
            before = None if version == 1 else {k: v for k, v in current[golden].data.items() if data.get(k) != v}
            after = data if version == 1 else {k: v for k, v in data.items() if current[golden].data.get(k) != v}
            self.audit.append(audit_entry(
                self.ing.actor, "create" if version == 1 else "update", "golden_record", str(gid), before=before,
                after={"version": version, "data": after}, context=self._audit_context(), at=self.now))
        if new_rows:
            s.execute(inserter(GoldenRecord), new_rows)
        if updates:
            update_by_id(s, GoldenRecord, updates)
        if versions:
            s.execute(inserter(GoldenVersion), versions)
        self.changes = changes

    def _quality(self, golden: str, members: list[Member], data: dict[str, Any]) -> dict[str, Any]:
        if len(members) == 1 and members[0].system == self.ing.system:
            m = self.accepted.get(members[0].source_key)
            if m is not None and m.payload is members[0].payload:
                return from_record(self.ing.rules, m.evaluated, m.issues)
        return score(self.ing.rules, data, self.ing.mapper.today)

    def _write_source_records(self, real: Callable[[str | None], str | None]) -> dict[str, int]:
        s = self.session
        touched = {k: st for k, st in self.state.items() if st.touched}
        new = [(k, st) for k, st in touched.items() if st.id is None]
        if new:
            rows = [{"system": self.ing.system, "domain": self.domain, "source_key": k, "site": st.site,
                     "status": st.status, "golden_id": real(st.golden_id), "latest_version": st.latest_version,
                     "latest_hash": st.latest_hash, "accepted_version": st.accepted_version,
                     "accepted_payload": st.accepted_payload, "created_at": self.now, "updated_at": self.now} for k, st in new]
            sr_table = table(SourceRecord)
            new_ids = s.scalars(insert(sr_table).returning(sr_table.c.id, sort_by_parameter_order=True), rows)
            for (_, st), new_id in zip(new, new_ids.all()):
                st.id = new_id
        new_keys = {k for k, _ in new}
        old = [st for k, st in touched.items() if k not in new_keys]
        if old:
            # status and golden id are indexed: set only when they changed, as each rewrite of an
            # index entry is a random page in a large hub (update_by_id); the accepted payload is
            # rewritten only with a newly accepted version
            update_by_id(s, SourceRecord, [
                {"id": st.id, **{k: v for k, v in (("site", st.site), ("status", st.status),
                                                   ("golden_id", real(st.golden_id))) if v != st.stored[k]},
                 **({"accepted_version": st.accepted_version, "accepted_payload": st.accepted_payload}
                    if st.accepted_version != st.stored["accepted_version"] else {}),
                 "latest_version": st.latest_version, "latest_hash": st.latest_hash,
                 "updated_at": self.now} for st in old
            ])
        return {k: st.id for k, st in touched.items() if st.id is not None}
