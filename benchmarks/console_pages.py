"""Console page times on a hub holding 100,000+ golden records (issue: console, "pages stay fast").

Fills a fresh hub with generated records of every domain through the normal ingestion path (until
at least --golden golden records exist), signs a steward and an auditor in through /auth/sign-in,
then renders each main console page --runs times through the WSGI stack (Flask test client, session
cookie) and reports the median and the slowest time per page.

    python benchmarks/console_pages.py --golden 100000 --runs 7 --out benchmarks/results/console-pages-sqlite.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import Database, build_batches
from sqlalchemy import func, select

from mdm import create_app
from mdm.auth import principals
from mdm.migrate import upgrade
from mdm.models import AuditEvent, GoldenRecord, MatchTask
from mdm.services.ingest import Ingestor

PASSWORD = "benchmark-password-1"


def golden_count(app: Any) -> int:
    with app.extensions["mdm.sessionmaker"]() as s:
        return s.scalar(select(func.count()).select_from(GoldenRecord)) or 0


def fill(app: Any, golden: int) -> tuple[int, float]:
    gov = app.extensions["mdm.governance"]
    factory = app.extensions["mdm.sessionmaker"]
    records = int(golden * 2.05)  # about half the generated records link to an existing golden record
    started = time.perf_counter()
    for system, domain, rows in build_batches(records, 5000):
        Ingestor(factory, gov, system, domain, chunk_size=500).run(rows)
    return records, time.perf_counter() - started


def signed_in(app: Any, name: str, role: str) -> Any:
    with app.extensions["mdm.sessionmaker"]() as s:
        principals.create(s, name=name, role=role, password=PASSWORD, actor="benchmark")
        s.commit()
    client = app.test_client()
    form = client.get("/auth/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    resp = client.post("/auth/sign-in", data={"username": name, "password": PASSWORD, "csrf_token": csrf})
    assert resp.status_code == 303, resp.status_code
    return client


def pages(app: Any) -> dict[str, str]:
    with app.extensions["mdm.sessionmaker"]() as s:
        ids = s.scalars(select(GoldenRecord.id).where(GoldenRecord.domain == "product").order_by(GoldenRecord.id)).all()
        task = s.scalar(select(MatchTask.id).order_by(MatchTask.id).limit(1))
    middle, last = ids[len(ids) // 2], ids[-1]
    out = {"dashboard": "/", "review queue": "/tasks", "golden list (first page)": "/golden/product",
           "golden list (middle page)": f"/golden/product?after={middle}", "golden record": f"/golden/product/{last}",
           "lineage": f"/golden/product/{last}/lineage", "quarantine": "/quarantine",
           "dictionary": "/dictionary/product"}
    if task is not None:
        out["task"] = f"/tasks/{task}"
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--golden", type=int, default=100_000, help="at least this many golden records")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--database-url", help="PostgreSQL server to create a scratch database on; default SQLite")
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    with Database(args.database_url) as url:
        app = create_app({"DATABASE_URL": url})
        upgrade(app.extensions["mdm.engine"])
        records, fill_s = fill(app, args.golden)
        golden = golden_count(app)
        print(f"filled: {records:,} records -> {golden:,} golden records in {fill_s:.0f} s", file=sys.stderr)
        steward, auditor = signed_in(app, "bench-steward", "steward"), signed_in(app, "bench-auditor", "auditor")
        targets = [(name, path, steward) for name, path in pages(app).items()]
        with app.extensions["mdm.sessionmaker"]() as s:
            last_seq = s.scalar(select(func.max(AuditEvent.seq))) or 0
        targets += [("audit trail (first page)", "/audit", auditor),
                    ("audit trail (last page)", f"/audit?after={max(0, last_seq - 50)}", auditor)]
        rows = []
        for name, path, client in targets:
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                resp = client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                assert resp.status_code == 200, (path, resp.status_code)
            rows.append({"page": name, "path": path, "median_ms": round(statistics.median(times), 1),
                         "max_ms": round(max(times), 1), "bytes": len(resp.data)})
            print(json.dumps(rows[-1]), file=sys.stderr)
        app.extensions["mdm.engine"].dispose()
    result = {"benchmark": "console pages (Flask test client, signed-in session)", "golden_records": golden,
              "source_records": records, "fill_seconds": round(fill_s), "runs": args.runs,
              "database": "postgresql" if args.database_url else "sqlite", "pages": rows,
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "platform": platform.platform()}, "date": time.strftime("%Y-%m-%d")}
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
