"""Flat match cost: single-record upsert latency against 10,000 and 1,000,000 golden customer records.

Fills a fresh hub with N generated customers (CRM records: organisations and healthcare
professionals, unique names, addresses and identifiers; loaded through the normal ingestion path,
with blocking keys and match counts), then times single-record upserts through the real HTTP path
(`PUT /api/v1/sources/crm/customer/records/{key}`, Flask test client): a third brand-new customers,
a third near-duplicates of stored customers under a new key (a typo in the name: they go through
blocking and scoring and link or raise a task), a third updates of stored records. Reports p50 and
p99 per size and the ratio. Candidate retrieval is an indexed look-up, so the cost per record should
stay flat as the domain grows.

The process is prepared as a server is: start-up objects frozen out of the garbage collector's
view (`mdm.process.settle_heap`, as `mdm serve` and `mdm.wsgi` do), then `--warmup` upserts that are
not counted. Lineage events are emitted from a background thread, as `mdm serve` and `mdm.wsgi`
do (`--no-lineage-background`: before the response); the measurement waits for the last of them
and reports the throughput including that wait.

    python benchmarks/match_latency.py --sizes 10000 1000000 --upserts 2000

2,000 upserts by default: p99 of 600 is the sixth-slowest request, which one write-ahead log
checkpoint (a checkpoint every half second, two fsyncs each, slows the requests that overlap it) or
one slow disk read moves by milliseconds; 2,000 span a few dozen checkpoints at either size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import Database, source_token

from mdm import create_app
from mdm.demo import generator as G
from mdm.demo.defects import IdAllocator
from mdm.demo.export_files import to_source
from mdm.migrate import upgrade
from mdm.process import settle_heap
from mdm.services.ingest import Ingestor


def customers(seed: int, n: int, start: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
    rng = random.Random(seed)
    ids = IdAllocator(rng)
    for i in range(start, start + n):
        yield f"BENCH-{i:08d}", G._public(G._customer(rng, ids, i))


def typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:  # a stored name worn down by the updates of earlier runs
        return text + rng.choice("aeiou")
    i = rng.randrange(1, len(text) - 1)
    return text[:i] + text[i + 1:] if rng.random() < 0.5 else text[:i] + text[i] + text[i:]


def fill(app: Any, n: int) -> tuple[float, list[tuple[str, dict[str, Any]]]]:
    gov = app.extensions["mdm.governance"]
    kept: list[tuple[str, dict[str, Any]]] = []
    ing = Ingestor(app.extensions["mdm.sessionmaker"], gov, "crm", "customer", chunk_size=1000)

    def raws() -> Iterator[dict[str, Any]]:
        for k, (key, data) in enumerate(customers(1, n)):
            if k % max(1, n // 400) == 0:
                kept.append((key, data))
            yield to_source(gov, "crm", "customer", key, data)

    started = time.perf_counter()
    done = [0]

    def progress(k: int) -> None:
        done[0] += k
        if done[0] % 50_000 < k:
            print(f"  loaded {done[0]:,} in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    summary = ing.run(raws(), progress=progress)
    print(f"  fill {n:,}: {summary.counts}", file=sys.stderr)
    return time.perf_counter() - started, kept


def _stored(app: Any) -> int:
    """Customers already loaded (source records: a few generated customers link to one golden record)."""
    from sqlalchemy import func, select

    from mdm.models import SourceRecord

    with app.extensions["mdm.sessionmaker"]() as s:
        return s.scalar(select(func.count()).select_from(SourceRecord)) or 0


def _sample(app: Any) -> list[tuple[str, dict[str, Any]]]:
    """Stored customers to update and to copy with a typo, when a filled database is reused."""
    from sqlalchemy import select

    from mdm.models import SourceRecord, SourceVersion

    sr, sv = SourceRecord, SourceVersion
    with app.extensions["mdm.sessionmaker"]() as s:
        total = _stored(app)
        step = max(1, total // 400)
        ids = list(range(1, total + 1, step))
        rows = s.execute(select(sr.source_key, sv.payload).join(
            sv, (sv.source_record_id == sr.id) & (sv.version == sr.accepted_version)).where(sr.id.in_(ids))).all()
    return [(k, dict(p)) for k, p in rows]


def _read_through(path: Path) -> None:
    """Read a file once, so that its pages are in the operating system's cache."""
    with path.open("rb", buffering=0) as f:
        while f.read(8 << 20):
            pass


def python_loop_ms() -> float:
    """Median of five runs of a fixed pure-Python loop: this machine's speed varies from hour to hour,
    and results measured at different speeds are compared by it."""
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        sum(i * i for i in range(1_000_000))
        runs.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(runs), 1)


def page_reclaim() -> str | None:
    """The machine's proactive page reclaim, when there is one: this benchmark's machines run DAMON,
    which pages out memory not touched for a minute, so the database file is mostly not cached."""
    kdamond = Path("/sys/kernel/mm/damon/admin/kdamonds/0")
    try:
        if (kdamond / "state").read_text().strip() != "on":
            return None
        scheme = kdamond / "contexts/0/schemes/0"
        action = (scheme / "action").read_text().strip()
        age = int((scheme / "access_pattern/age/min").read_text())
        aggr_us = int((kdamond / "contexts/0/monitoring_attrs/intervals/aggr_us").read_text())
    except (OSError, ValueError):
        return None
    return f"DAMON {action} of memory unused for {age * aggr_us / 1e6:.0f} s"


def plan_upserts(gov: Any, kept: list[tuple[str, dict[str, Any]]], upserts: int) -> list[tuple[str, str, dict]]:
    """(kind, source key, raw record) of `upserts` single-record upserts: new, duplicate, update in turn."""
    # every measurement writes new content, also on a reused database
    run = time.time_ns()
    rng = random.Random(run)
    fresh = customers(run % 10_000, upserts, start=10_000_000 + (run // 1000) % 10_000_000 * 10)
    plan = []
    for i in range(upserts):
        kind = ("new", "duplicate", "update")[i % 3]
        if kind == "new":
            key, data = next(fresh)
        else:
            old_key, old = rng.choice(kept)
            data = dict(old)
            field = "name" if "name" in data else "family_name"
            data[field] = typo(rng, data[field])
            if kind == "duplicate":
                key = f"DUP-{run}-{i:06d}"
                data.pop("national_id", None)
                data.pop("gln", None)
            else:
                key = old_key
        plan.append((kind, key, to_source(gov, "crm", "customer", key, data)))
    return plan


def measure(app: Any, kept: list[tuple[str, dict[str, Any]]], upserts: int) -> dict[str, Any]:
    client = app.test_client()
    auth = source_token(app, "crm")
    plan = plan_upserts(app.extensions["mdm.governance"], kept, upserts)
    timings: dict[str, list[float]] = {"new": [], "duplicate": [], "update": []}
    results: dict[str, int] = {}
    began = time.perf_counter()
    for kind, key, raw in plan:
        t0 = time.perf_counter()
        resp = client.put(f"/api/v1/sources/crm/customer/records/{key}", json=raw, headers=auth)
        timings[kind].append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        result = resp.get_json()["result"]
        results[result] = results.get(result, 0) + 1
    # events sent from the background are part of the work: wait for them, and say how long that took
    lineage = app.extensions.get("mdm.lineage")
    drained = time.perf_counter()
    if lineage is not None and lineage.background:
        lineage.flush(120)
    drain_ms = (time.perf_counter() - drained) * 1000
    wall_s = time.perf_counter() - began
    every = sorted(t for v in timings.values() for t in v)

    def pct(values: list[float], p: float) -> float:
        values = sorted(values)
        return round(values[min(len(values) - 1, int(p * len(values)))], 2)

    return {"upserts": upserts, "p50_ms": pct(every, 0.5), "p99_ms": pct(every, 0.99),
            "mean_ms": round(statistics.fmean(every), 2), "results": results,
            "upserts_per_s": round(upserts / wall_s, 1), "lineage_drain_ms": round(drain_ms, 1),
            "by_kind": {k: {"p50_ms": pct(v, 0.5), "p99_ms": pct(v, 0.99)} for k, v in timings.items()}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    p.add_argument("--upserts", type=int, default=2000)
    p.add_argument("--warmup", type=int, default=30, help="upserts before the measured ones, not counted")
    p.add_argument("--database-url", default=os.environ.get("MDM_BENCH_DATABASE_URL"),
                   help="PostgreSQL server to create a scratch database on; default SQLite")
    p.add_argument("--out", type=Path)
    p.add_argument("--reuse", type=Path, help="SQLite only: keep the filled databases in this folder and reuse them")
    p.add_argument("--fill-only", action="store_true", help="fill (with --reuse) and stop")
    p.add_argument("--warm-cache", action="store_true",
                   help="SQLite: read the database file once before measuring, as on a server whose page cache "
                        "holds its database (this machine pages out file pages unused for a minute)")
    p.add_argument("--lineage-background", action=argparse.BooleanOptionalAction, default=True,
                   help="emit OpenLineage events from a background thread, as `mdm serve` and mdm.wsgi do "
                        "(default); --no-lineage-background emits them before the response")
    args = p.parse_args()
    speed = python_loop_ms()
    rows = []
    for n in args.sizes:
        with Database(args.database_url) as url:
            reused = None
            if args.reuse:
                args.reuse.mkdir(parents=True, exist_ok=True)
                reused = args.reuse / f"latency-{n}.sqlite3"
                url = f"sqlite:///{reused}"
            app = create_app({"DATABASE_URL": url, "LINEAGE_BACKGROUND": args.lineage_background})
            upgrade(app.extensions["mdm.engine"])
            if reused is not None and _stored(app) >= n:
                fill_s, kept = None, _sample(app)
            else:
                fill_s, kept = fill(app, n)
                fill_s = round(fill_s, 1)
            if args.fill_only:
                app.extensions["mdm.engine"].dispose()
                continue
            settle_heap()  # as `mdm serve` and mdm.wsgi do once the app is loaded
            if args.warm_cache and reused is not None:
                _read_through(reused)
            if args.warmup:
                # a server that has answered a few requests: statement caches, the lineage client
                measure(app, kept, args.warmup)
            m = measure(app, kept, args.upserts)
            app.extensions["mdm.engine"].dispose()
        row = {"golden_records": n, "fill_seconds": fill_s, "warmup_upserts": args.warmup, **m}
        print(json.dumps(row), file=sys.stderr)
        rows.append(row)
    if not rows:  # --fill-only
        return
    result = {"benchmark": "single-record upsert latency (PUT, customer, fuzzy matching)",
              "database": "postgresql" if args.database_url else "sqlite",
              "lineage": "background" if args.lineage_background else "before the response",
              "page_cache": "warmed" if args.warm_cache else "as found", "sizes": rows,
              "p99_ratio_largest_to_smallest": round(rows[-1]["p99_ms"] / rows[0]["p99_ms"], 2),
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "platform": platform.platform(), "python_loop_ms": speed,
                          "page_reclaim": page_reclaim()},
              "date": time.strftime("%Y-%m-%d")}
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
