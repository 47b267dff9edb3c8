"""Fuzzy matching end to end: explanations, order independence, term frequencies, caps, rematch."""

from __future__ import annotations

import dataclasses
import functools
import random
from collections import defaultdict
from itertools import combinations
from typing import Any

import pytest
from conftest import _empty_tables
from sqlalchemy import func, select

from mdm.demo.generator import generate
from mdm.matching.config import MatchConfig, build
from mdm.matching.matcher import Matcher
from mdm.matching.scoring import score
from mdm.models import MatchKey, MatchKeyCount, XrefEvent
from mdm.services.ingest import Ingestor
from mdm.services.rematch import rematch


def _pairs(clusters: dict[Any, str]) -> set[tuple[Any, Any]]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for rec, cluster in clusters.items():
        groups[cluster].append(rec)
    return {tuple(sorted(p)) for members in groups.values() for p in combinations(sorted(members), 2)}


def _f1(a: dict[Any, str], b: dict[Any, str]) -> float:
    pa, pb = _pairs(a), _pairs(b)
    if not pa and not pb:
        return 1.0
    both = len(pa & pb)
    return 2 * both / (len(pa) + len(pb))


def _load(app, records: list, chunk: int) -> dict[tuple[str, str, str], str]:
    factory, gov = app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"]
    batches: dict[tuple[str, str], list] = defaultdict(list)
    order: list[tuple[str, str]] = []
    for r in records:
        if (r.system, r.domain) not in batches:
            order.append((r.system, r.domain))
        batches[(r.system, r.domain)].append(r)
    out = {}
    for system, domain in order:
        raw = [_raw(app, r) for r in batches[(system, domain)]]
        summary = Ingestor(factory, gov, system, domain, chunk_size=chunk).run(raw)
        for rec, res in zip(batches[(system, domain)], summary.results):
            if res.golden_id and res.result != "quarantined":
                out[(system, domain, rec.source_key)] = res.golden_id
    return out


def _raw(app, rec) -> dict[str, Any]:
    from mdm.demo.export_files import to_source

    return to_source(app.extensions["mdm.governance"], rec.system, rec.domain, rec.source_key, rec.data)


@pytest.fixture(scope="module")
def demo_records():
    return [r for r in generate(seed=7, scale=2) if r.domain in ("customer", "supplier", "equipment")]


def test_order_independence_on_generated_data(app, demo_records) -> None:
    """The same records in another order (systems reversed, records shuffled, other chunk size) give the same entities."""
    first = _load(app, demo_records, chunk=100)
    _empty_tables(app.extensions["mdm.engine"])
    shuffled = list(reversed(demo_records))
    random.Random(3).shuffle(shuffled)
    shuffled.sort(key=lambda r: {"csv-import": 0, "sap-erp": 1}.get(r.system, 2))  # other systems first
    second = _load(app, shuffled, chunk=37)
    common = set(first) & set(second)
    assert len(common) > 400
    for domain in ("customer", "supplier", "equipment"):
        a = {k: v for k, v in first.items() if k in common and k[1] == domain}
        b = {k: v for k, v in second.items() if k in common and k[1] == domain}
        assert _f1(a, b) >= 0.99, domain
    truth = {(r.system, r.domain, r.source_key): r.entity for r in demo_records}
    customers = {k: v for k, v in first.items() if k[1] == "customer"}
    assert _f1(customers, {k: truth[k] for k in customers}) >= 0.97


def test_fuzzy_link_stores_its_explanation(app, client) -> None:
    recs = [r for r in generate(seed=7, scale=1) if r.domain == "customer"]
    linked = _load(app, recs, chunk=500)
    with app.extensions["mdm.sessionmaker"]() as s:
        events = s.scalars(select(XrefEvent).where(XrefEvent.rule == "fuzzy")).all()
    assert events, "the generated customers include ERP accounts without GLN that only fuzzy matching links"
    exp = events[0].explanation
    assert exp["rule"] == "fuzzy" and exp["probability"] >= 0.95
    assert exp["governance_version_id"] is not None
    match = exp["match"]
    assert match["thresholds"] == {"link": 0.95, "review": 0.6}
    names = {c["name"] for c in match["comparisons"]}
    assert {"name", "address", "party_type"} <= names
    for c in match["comparisons"]:
        assert {"values", "level", "weight", "rule"} <= set(c)
    total = match["prior_weight"] + sum(c["weight"] for c in match["comparisons"])
    assert total == pytest.approx(match["weight"], abs=1e-3)
    assert len(set(linked.values())) < len(linked)


CFG = {
    "blocking": {"cap": 2, "keys": [{"name": "fam", "parts": [{"field": "family_name", "method": "normalised"}]}]},
    "comparisons": [
        {"name": "family_name", "fields": ["family_name"], "tf": True,
         "levels": [{"comparator": "exact", "m": 0.9, "u": 0.01},
                    {"comparator": "jaro_winkler", "min": 0.9, "m": 0.05, "u": 0.02}],
         "else": {"m": 0.05, "u": 0.97}},
        {"name": "date_of_birth", "fields": ["date_of_birth"],
         "levels": [{"comparator": "exact", "m": 0.9, "u": 0.001}], "else": {"m": 0.1, "u": 0.999}},
    ],
    "prior": 0.01, "thresholds": {"link": 0.9, "review": 0.5},
}


def _cfg(**over: Any) -> MatchConfig:
    problems: list[tuple[str, str]] = []
    cfg = build({**CFG, **over}, {"family_name", "date_of_birth", "given_name"}, lambda p, m: problems.append((p, m)))
    assert problems == []
    return cfg


@pytest.mark.parametrize(("a", "b", "level"), [
    ({"family_name": "Smith"}, {"family_name": "smith"}, 0),
    ({"family_name": "Smith"}, {"family_name": "Smithe"}, 1),
    ({"family_name": "Smith"}, {"family_name": "Jones"}, "else"),
    ({"family_name": "Smith"}, {"family_name": None}, "null"),
    ({"family_name": "  "}, {"family_name": "Smith"}, "null"),
])
def test_levels(a, b, level) -> None:
    got = score(_cfg(), a, b).comparisons[0]
    assert got["level"] == level
    if level == "null":
        assert got["weight"] == 0


def test_term_frequency_makes_common_values_count_less() -> None:
    cfg = _cfg()
    seen = {"smith": (5000, 100_000), "quist": (2, 100_000)}
    common = score(cfg, {"family_name": "Smith"}, {"family_name": "Smith"}, lambda c, v: seen.get(v))
    rare = score(cfg, {"family_name": "Quist"}, {"family_name": "Quist"}, lambda c, v: seen.get(v))
    plain = score(cfg, {"family_name": "Quist"}, {"family_name": "Quist"})
    assert rare.weight > plain.weight > common.weight
    assert common.comparisons[0]["tf"]["records"] == 5000


def test_term_frequency_never_makes_exact_agreement_weaker_than_a_fuzzy_one() -> None:
    cfg = _cfg()
    everyone = score(cfg, {"family_name": "Smith"}, {"family_name": "Smith"}, lambda c, v: (99_000, 100_000))
    fuzzy = score(cfg, {"family_name": "Smith"}, {"family_name": "Smithe"})
    assert everyone.comparisons[0]["weight"] >= fuzzy.comparisons[0]["weight"]


def test_term_frequency_in_a_small_hub_stays_near_the_configured_u() -> None:
    cfg = _cfg()
    tiny = score(cfg, {"family_name": "Smith"}, {"family_name": "Smith"}, lambda c, v: (1, 2))
    plain = score(cfg, {"family_name": "Smith"}, {"family_name": "Smith"})
    assert abs(tiny.comparisons[0]["weight"] - plain.comparisons[0]["weight"]) < 0.2


@pytest.mark.parametrize(("raw", "message"), [
    ({"blocking": {"keys": [{"name": "k", "parts": [{"field": "nope", "method": "normalised"}]}]}}, "not a field"),
    ({"blocking": {"keys": [{"name": "k", "parts": [{"field": "family_name", "method": "soundalike"}]}]}},
     "unknown key method"),
    ({"comparisons": [{"name": "x", "fields": ["family_name"], "levels": [{"comparator": "cosine", "m": .9, "u": .1}],
                       "else": {"m": .1, "u": .9}}]}, "unknown comparator"),
    ({"comparisons": [{"name": "x", "fields": ["family_name"],
                       "levels": [{"comparator": "levenshtein", "min": 1, "m": .9, "u": .1}],
                       "else": {"m": .1, "u": .9}}]}, "is a distance"),
    ({"thresholds": {"link": 0.5, "review": 0.9}}, "review must not be above link"),
])
def test_bad_match_settings_are_reported(raw, message) -> None:
    problems: list[tuple[str, str]] = []
    build(raw, {"family_name"}, lambda p, m: problems.append((p, m)))
    assert any(message in m for _, m in problems), problems


def test_over_frequent_blocking_keys_are_capped(app) -> None:
    """A key held by more records than the cap is skipped (and reported), never read."""
    from mdm.matching import index

    cfg = _cfg()
    factory = app.extensions["mdm.sessionmaker"]
    with factory() as s:
        keys = {i: index.all_keys(cfg, {"family_name": "Smith"}, None) for i in (1, 2, 3)}
        _source_rows(s, [1, 2, 3])
        index.sync(s, "customer", keys)
        s.commit()
        # term frequencies and the domain's size are counted; a blocking key's holders are read instead
        counts = dict(s.execute(select(MatchKeyCount.key, MatchKeyCount.n)).all())
        assert counts == {"*": 3, "tf.family_name=smith": 3}
        held = index.holders(s, "customer", {"fam=smith", "fam=jones"}, 2)  # at most 2: over a cap of 1
        assert list(held) == ["fam=smith"] and len(set(held["fam=smith"]) & {1, 2, 3}) == 2
        m = Matcher(s, cfg, "customer")
        m.prepare([({"family_name": "Smith"}, None)])
        ranking = m.rank({"family_name": "Smith"}, None)
        assert ranking.capped == ["fam=smith"] and ranking.candidates == []
        index.sync(s, "customer", {1: set(), 2: set()})  # deleted at source: keys and counts go
        s.commit()
        assert s.scalar(select(MatchKeyCount.n).where(MatchKeyCount.key == "tf.family_name=smith")) == 1
        assert index.holders(s, "customer", {"fam=smith"}, 101) == {"fam=smith": [3]}
        assert len(s.scalars(select(MatchKey)).all()) == 3  # record 3: fam, tf and *


def _source_rows(s, ids: list[int]) -> None:
    from mdm.models import SourceRecord

    for i in ids:
        s.add(SourceRecord(id=i, system="crm", domain="customer", source_key=f"K{i}", status="active",
                           latest_hash="x", latest_version=1))
    s.flush()


def test_rematch_after_a_rule_change_reports_what_moved(app) -> None:
    factory, gov = app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"]
    recs = [r for r in generate(seed=7, scale=1) if r.domain == "customer"]
    strict = dataclasses.replace(gov.rules["customer"].match, link=0.999999, review=0.999999)
    strict_gov = dataclasses.replace(gov, rules={**gov.rules, "customer": dataclasses.replace(
        gov.rules["customer"], match=strict)})
    app.extensions["mdm.governance"] = strict_gov
    before = _load(app, recs, chunk=500)
    unchanged = rematch(factory, strict_gov, "customer", actor="test")
    assert unchanged["moved"] == 0 and unchanged["merged"] == {}
    app.extensions["mdm.governance"] = gov
    dry = rematch(factory, gov, "customer", actor="test", dry_run=True)
    assert dry["moved"] > 0
    out = rematch(factory, gov, "customer", actor="test")
    assert out["moved"] == dry["moved"] and len(out["merged"]) > 0
    with factory() as s:
        from mdm.models import GoldenRecord

        for gid, survivor in out["merged"].items():
            rec = s.get(GoldenRecord, gid)
            assert rec.status == "merged" and rec.merged_into == survivor
    again = rematch(factory, gov, "customer", actor="test")
    assert again["moved"] == 0
    assert len(set(before.values())) > len(set(before.values())) - len(out["merged"])


def test_capped_keys_are_reported_on_the_record(app) -> None:
    from mdm.demo.export_files import to_source

    factory, gov = app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"]
    capped = dataclasses.replace(gov, rules={**gov.rules, "customer": dataclasses.replace(
        gov.rules["customer"], match=dataclasses.replace(gov.rules["customer"].match, cap=1))})
    rows = [to_source(gov, "crm", "customer", f"K{i}", {"party_type": "organization", "name": "Mercy Hospital",
                                                         "city": f"Town {i}", "country": "US"}) for i in range(3)]
    summary = Ingestor(factory, capped, "crm", "customer").run(rows)
    last = summary.results[-1]
    warning = [r for r in last.reasons if r["rule"] == "blocking_cap"]
    assert warning and "name_tokens=hospital mercy" in warning[0]["message"]


def test_only_a_bounded_shortlist_is_scored(app) -> None:
    """Many stored records share a key: only `candidates` of them are scored, those sharing the most
    keys first, and the explanation says how many were left out."""
    from mdm.demo.export_files import to_source

    factory, gov = app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"]
    short = dataclasses.replace(gov, rules={**gov.rules, "customer": dataclasses.replace(
        gov.rules["customer"], match=dataclasses.replace(gov.rules["customer"].match, candidates=2))})

    def org(key: str, city: str, postal: str) -> dict[str, Any]:
        return to_source(gov, "crm", "customer", key, {
            "party_type": "organization", "name": "Mercy Hospital", "street": "Main Street",
            "street_number": "5", "postal_code": postal, "city": city, "country": "US"})

    decoys = [org(f"D{i}", f"Town {i}", f"9000{i}") for i in range(5)]
    stored = Ingestor(factory, short, "crm", "customer").run([org("TRUE", "Springfield", "12345")])
    Ingestor(factory, short, "crm", "customer").run(decoys)
    true_golden = stored.results[0].golden_id
    result = Ingestor(factory, short, "crm", "customer").run([org("NEW", "Springfield", "12345")]).results[0]
    assert (result.result, result.golden_id) == ("linked", true_golden)
    with factory() as s:
        xref = s.scalars(select(XrefEvent).where(XrefEvent.golden_id == true_golden)
                         .order_by(XrefEvent.id.desc())).first()
    # the decoys share the name tokens only; the true record shares name, city and street too
    assert xref.explanation["compared"] == 2 and xref.explanation["not_scored"] == 4


def _hospital(gov, key: str, gln: str | None) -> dict[str, Any]:
    """Mercy Hospital of Springfield as the CRM sends it, with the GLN whose first 12 digits are `gln`."""
    from mdm.demo.export_files import to_source
    from mdm.identifiers import gs1_check_digit

    data = {"party_type": "organization", "name": "Mercy Hospital", "street": "Main Street",
            "street_number": "5", "postal_code": "12345", "city": "Springfield", "country": "US",
            "email": "desk@mercy.example"}
    if gln:
        data["gln"] = gln + gs1_check_digit(gln)
    return to_source(gov, "crm", "customer", key, data)


def test_a_record_bridging_several_unmergeable_golden_records_raises_one_task(app) -> None:
    """Three hospitals of one name and address but different GLNs stay apart; a fourth record
    without a GLN scores above link with all three: linked to the best, one task names the others."""
    from mdm.models import MatchTask

    factory, gov = app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"]
    org = functools.partial(_hospital, gov)

    goldens = [Ingestor(factory, gov, "crm", "customer").run([org(f"H{i}", f"40123450000{i}")]).results[0].golden_id
               for i in range(3)]
    assert len(set(goldens)) == 3
    with factory() as s:
        before = s.scalar(select(func.count()).select_from(MatchTask))
    result = Ingestor(factory, gov, "crm", "customer").run([org("NOGLN", None)]).results[0]
    assert result.result == "linked" and result.golden_id in goldens
    with factory() as s:
        tasks = s.scalars(select(MatchTask).where(MatchTask.id > 0).order_by(MatchTask.id)).all()[before:]
    (task,) = tasks
    assert task.golden_id == result.golden_id
    assert sorted(task.candidate_ids) == sorted(set(goldens) - {result.golden_id})
    assert task.explanation["kind"] == "bridge" and set(task.explanation["refused"]) == set(task.candidate_ids)
    assert (task.status, task.revision, task.assignee) == ("open", 1, None)
    # one decision never merges all of them: the steward names the candidate
    from mdm.errors import ValidationFailed
    from mdm.models import GoldenRecord
    from mdm.services import steward

    with pytest.raises(ValidationFailed):
        steward.decide(factory, gov, task.id, "merge", actor="ana", reason="same hospital")
    chosen, other = sorted(task.candidate_ids)
    out = steward.decide(factory, gov, task.id, "merge", actor="ana", reason="same hospital", candidate=chosen)
    assert out["merge"]["survivor"] == chosen and out["merge"]["merged"] == [result.golden_id]
    with factory() as s:
        assert s.get(GoldenRecord, other).status == "active"


def _shortlisting(gov, n: int):
    return dataclasses.replace(gov, rules={**gov.rules, "customer": dataclasses.replace(
        gov.rules["customer"], match=dataclasses.replace(gov.rules["customer"].match, candidates=n))})


def _mercy(gov, key: str, city: str = "Springfield", postal: str = "12345") -> dict[str, Any]:
    from mdm.demo.export_files import to_source

    return to_source(gov, "crm", "customer", key, {
        "party_type": "organization", "name": "Mercy Hospital", "street": "Main Street",
        "street_number": "5", "postal_code": postal, "city": city, "country": "US"})


@pytest.mark.parametrize("candidates", [1, 2, 50])
def test_records_deleted_at_source_take_no_place_on_the_shortlist(app, candidates: int) -> None:
    from mdm.services.sources import delete_source

    factory, gov = app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"]
    short = _shortlisting(gov, candidates)
    true = Ingestor(factory, short, "crm", "customer").run([_mercy(gov, "TRUE")]).results[0]
    for key in ("X1", "X2"):
        assert Ingestor(factory, short, "crm", "customer").run([_mercy(gov, key)]).results[0].golden_id \
            == true.golden_id
    for key in ("X1", "X2"):
        delete_source(factory, short, "crm", "customer", key)
    with factory() as s:
        # deleting removes the record's keys: nobody's candidate, no longer counted
        assert s.scalar(select(MatchKeyCount.n).where(MatchKeyCount.key == "*")) == 1
    result = Ingestor(factory, short, "crm", "customer").run([_mercy(gov, "NEW")]).results[0]
    assert (result.result, result.golden_id) == ("linked", true.golden_id)


def test_a_stale_key_of_a_deleted_record_is_skipped_and_its_place_filled(app) -> None:
    """Keys left behind by an older hub (deletion did not remove them then) cost no place."""
    from mdm.matching import index
    from mdm.models import SourceRecord

    factory, gov = app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"]
    short = _shortlisting(gov, 1)
    true = Ingestor(factory, short, "crm", "customer").run([_mercy(gov, "TRUE")]).results[0]
    ghost = Ingestor(factory, short, "crm", "customer").run([_mercy(gov, "GHOST")]).results[0]
    with factory() as s:
        s.execute(SourceRecord.__table__.update().where(SourceRecord.source_key == "GHOST")
                  .values(status="deleted", golden_id=None))
        s.commit()
        assert index.holders(s, "customer", {"name_tokens=hospital mercy"}, 101)["name_tokens=hospital mercy"]
    assert ghost.golden_id == true.golden_id
    result = Ingestor(factory, short, "crm", "customer").run([_mercy(gov, "NEW")]).results[0]
    assert (result.result, result.golden_id) == ("linked", true.golden_id)


def test_rematching_one_record_does_not_spend_places_on_what_it_excludes(app) -> None:
    """Unmerge re-matches a record without its own golden record: the record itself and the members
    of the excluded golden record are not shortlisted, so the other candidate is found."""
    from mdm.models import SourceRecord
    from mdm.services.rematch_one import rematch_one

    factory, gov = app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"]
    short = _shortlisting(gov, 1)
    h = Ingestor(factory, short, "crm", "customer").run([_mercy(gov, "H")]).results[0]
    other = Ingestor(factory, short, "crm", "customer").run([_mercy(gov, "Z", "Elsewhere", "99999")]).results[0]
    a = Ingestor(factory, short, "crm", "customer").run([_mercy(gov, "A")]).results[0]
    moving = Ingestor(factory, short, "crm", "customer").run([_mercy(gov, "S")]).results[0]
    assert h.golden_id == a.golden_id == moving.golden_id != other.golden_id
    with factory() as s:  # H now lives in the other golden record, as if a steward had moved it
        s.execute(SourceRecord.__table__.update().where(SourceRecord.source_key == "H")
                  .values(golden_id=other.golden_id))
        s.commit()
    with factory() as s:
        sr = s.scalars(select(SourceRecord).where(SourceRecord.source_key == "S")).one()
        found, how, _ = rematch_one(s, short, "customer", sr, exclude=a.golden_id)
    assert (found, how) == (other.golden_id, "rematched")


@pytest.mark.parametrize("chunk", ["alone", "with a record without identifiers"])
def test_a_candidate_holding_another_identifier_of_a_kind_is_never_linked(app, chunk: str) -> None:
    """A hospital with a GLN no golden record holds scores above link with one of another GLN: it
    is another hospital (a new golden record, the candidate named as excluded). Read in one chunk
    with a record without identifiers, which does link, the exclusion still holds."""
    factory, gov = app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"]
    org = functools.partial(_hospital, gov)

    stored = Ingestor(factory, gov, "crm", "customer").run([org("H1", "401234500001")]).results[0].golden_id
    batch = [org("H2", "401234500002")] + ([org("NOGLN", None)] if chunk != "alone" else [])
    results = Ingestor(factory, gov, "crm", "customer").run(batch).results
    other = results[0]
    assert other.result == "created" and other.golden_id != stored
    fuzzy = next(r for r in other.reasons if r["rule"] == "new")
    assert "no golden record holds gln" in fuzzy["message"]
    with factory() as s:
        (event,) = s.scalars(select(XrefEvent).where(XrefEvent.golden_id == other.golden_id,
                                                     XrefEvent.rule == "new")).all()
    assert event.explanation["excluded"] == [{"golden_id": stored, "identifiers": ["gln"]}]
    if chunk != "alone":
        assert results[1].result == "linked" and results[1].golden_id in (stored, other.golden_id)
