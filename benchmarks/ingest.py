"""Ingest throughput through the batch API path (POST /api/v1/sources/{system}/{domain}/records).

Generates demo records (seed 1) until there are at least --records, writes them in each system's own
field names, and posts them in batches through the real Flask/WSGI stack (test client: no network,
everything else as in production: body parsing, mapping, validation, matching, survivorship, the
store, the JSON response). Each run starts from an empty database; the median of the runs is reported.

    python benchmarks/ingest.py --records 100000 --runs 3
    python benchmarks/ingest.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mdm import create_app
from mdm.db import normalize_url
from mdm.demo.export_files import LOAD_ORDER, to_source
from mdm.demo.generator import generate
from mdm.governance import load_governance
from mdm.migrate import upgrade


def build_batches(n: int, batch: int) -> list[tuple[str, str, list[dict]]]:
    gov = load_governance()
    per_scale = len(generate(seed=1, scale=1))
    # Scale units vary a little in size: ask for 5% more and cut to exactly n.
    records = generate(seed=1, scale=max(1, -(-n * 105 // (per_scale * 100))))[:n]
    grouped: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        grouped.setdefault((r.system, r.domain), []).append(to_source(gov, r.system, r.domain, r.source_key, r.data))
    out = []
    for domain in LOAD_ORDER:
        for (system, d), rows in sorted(grouped.items()):
            if d == domain:
                out += [(system, d, rows[i:i + batch]) for i in range(0, len(rows), batch)]
    return out


class Database:
    """A fresh database per run: an SQLite file, or a new PostgreSQL database dropped afterwards."""

    def __init__(self, url: str | None) -> None:
        self.admin_url = make_url(normalize_url(url)) if url else None
        self.tmp = tempfile.TemporaryDirectory()

    def __enter__(self) -> str:
        if self.admin_url is None:
            return f"sqlite:///{self.tmp.name}/bench-{uuid.uuid4().hex[:6]}.sqlite3"
        self.name = f"mdm_bench_{uuid.uuid4().hex[:8]}"
        with create_engine(self.admin_url, isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text(f'CREATE DATABASE "{self.name}"'))
        return self.admin_url.set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc: object) -> None:
        if self.admin_url is not None:
            with create_engine(self.admin_url, isolation_level="AUTOCOMMIT").connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.tmp.cleanup()


def source_token(app, system: str) -> dict[str, str]:
    """The Authorization header of a source account for `system` (created on first use)."""
    from mdm.auth import principals

    with app.extensions["mdm.sessionmaker"]() as s:
        name = f"bench-{system}"
        try:
            principals.get(s, name)
        except Exception:  # noqa: BLE001 - not there yet
            principals.create(s, name=name, role="source", system=system, actor="benchmark")
        secret, _ = principals.issue_token(s, name, actor="benchmark")
        s.commit()
    return {"Authorization": f"Bearer {secret}"}


def run_once(url: str | None, batches: list[tuple[str, str, list[dict]]], chunk: int, rules: bool = True) -> dict:
    with Database(url) as db_url:
        app = create_app({"DATABASE_URL": db_url, "INGEST_CHUNK_SIZE": chunk, "MAX_CONTENT_LENGTH": 512 * 1024 * 1024,
                          "QUALITY_RULES": rules})
        upgrade(app.extensions["mdm.engine"])
        client = app.test_client()
        tokens = {system: source_token(app, system) for system, _, _ in batches}
        counts: dict[str, int] = {}
        bodies = [(s, d, json.dumps(rows)) for s, d, rows in batches]
        started = time.perf_counter()
        for system, domain, body in bodies:
            resp = client.post(f"/api/v1/sources/{system}/{domain}/records?results=problems", data=body,
                               content_type="application/json", headers=tokens[system])
            assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
            for k, v in resp.get_json()["counts"].items():
                counts[k] = counts.get(k, 0) + v
        seconds = time.perf_counter() - started
        app.extensions["mdm.engine"].dispose()
    total = sum(counts.values())
    return {"records": total, "seconds": round(seconds, 2), "records_per_second": round(total / seconds),
            "counts": counts}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=100_000)
    p.add_argument("--batch", type=int, default=5_000, help="records per HTTP request")
    p.add_argument("--chunk", type=int, default=500, help="records per transaction (INGEST_CHUNK_SIZE)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--database-url", default=os.environ.get("MDM_BENCH_DATABASE_URL"),
                   help="PostgreSQL server to create a scratch database on; default SQLite")
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    p.add_argument("--no-rules", action="store_true", help="configured quality rules off (dictionary checks stay)")
    args = p.parse_args()

    batches = build_batches(args.records, args.batch)
    runs = []
    for i in range(args.runs):
        r = run_once(args.database_url, batches, args.chunk, rules=not args.no_rules)
        print(f"run {i + 1}: {r['records']} records in {r['seconds']} s = {r['records_per_second']} records/s "
              f"{r['counts']}", file=sys.stderr)
        runs.append(r)
    result = {
        "benchmark": "ingest via batch API",
        "database": "postgresql" if args.database_url else "sqlite",
        "records": runs[0]["records"], "batch": args.batch, "chunk": args.chunk, "quality_rules": not args.no_rules,
        "median_records_per_second": round(statistics.median(r["records_per_second"] for r in runs)),
        "runs": runs,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "date": time.strftime("%Y-%m-%d"),
    }
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
