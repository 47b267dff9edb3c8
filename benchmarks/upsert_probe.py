"""Where a single-record upsert's time goes: statements, their time and the disk pages they read.

Runs the upserts of `match_latency.py` (new, near-duplicate and update in turn) against an already
filled SQLite hub (`match_latency.py --reuse DIR --fill-only`) and, for the request thread, times
every statement and counts the pages the process read from disk meanwhile (`read_bytes` of
`/proc/self/io`: pages not in the operating system's cache; other threads' reads, such as the
write-ahead log checkpoint's, can land in the same window). Prints the median per kind, the
statements by disk pages read, and the slowest requests with their three slowest statements. It
writes into the hub like the benchmark does: use a copy to keep the original as it was.

    python benchmarks/upsert_probe.py /tmp/latency-db/latency-1000000.sqlite3 --upserts 600
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import source_token
from match_latency import _sample, measure, plan_upserts
from sqlalchemy import event

from mdm import create_app
from mdm.migrate import upgrade
from mdm.process import settle_heap

PAGE = 4096


def _read_bytes() -> int:
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("read_bytes"):
                return int(line.split(":")[1])
    return 0


class Probe:
    """Statement timings and disk reads of one thread, per request and per statement text."""

    def __init__(self, engine: Any) -> None:
        self.thread = threading.get_ident()
        self.request: list[tuple[float, int, str]] = []  # (seconds, disk pages, statement)
        self.by_statement: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0])  # calls, seconds, pages
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, *_: Any) -> None:
        if threading.get_ident() == self.thread:
            conn.info["probe"] = (time.perf_counter(), _read_bytes())

    def _after(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        started = conn.info.pop("probe", None)
        if started is None or threading.get_ident() != self.thread:
            return
        seconds, pages = time.perf_counter() - started[0], (_read_bytes() - started[1]) // PAGE
        text = " ".join(statement.split())[:110]
        self.request.append((seconds, pages, text))
        row = self.by_statement[text]
        row[0] += 1
        row[1] += seconds
        row[2] += pages


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("database", type=Path, help="a filled SQLite hub (match_latency.py --reuse DIR --fill-only)")
    p.add_argument("--upserts", type=int, default=600)
    p.add_argument("--slowest", type=int, default=12, help="requests to show in detail")
    p.add_argument("--json", type=Path, help="write every request's figures here")
    args = p.parse_args()
    app = create_app({"DATABASE_URL": f"sqlite:///{args.database}", "LINEAGE_BACKGROUND": True})
    upgrade(app.extensions["mdm.engine"])
    kept = _sample(app)
    settle_heap()
    measure(app, kept, 30)  # warm-up, as the benchmark does
    probe = Probe(app.extensions["mdm.engine"])
    probe.by_statement.clear()
    client, auth = app.test_client(), source_token(app, "crm")
    lineage = app.extensions.get("mdm.lineage")
    collecting: list[float] = []  # the collector's pauses in this request, ms
    started: list[float] = []

    def on_gc(phase: str, _info: dict) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            collecting.append((time.perf_counter() - started.pop()) * 1000)

    gc.callbacks.append(on_gc)
    committing: list[float] = []  # the request thread's commits, ms (not statements: not in the SQL time)
    from mdm.db import GatedConnection

    plain_commit = GatedConnection.commit

    def timed_commit(conn: GatedConnection) -> None:
        t = time.perf_counter()
        try:
            plain_commit(conn)
        finally:
            if threading.get_ident() == probe.thread:
                committing.append((time.perf_counter() - t) * 1000)

    GatedConnection.commit = timed_commit  # type: ignore[method-assign]
    rows = []
    for kind, key, raw in plan_upserts(app.extensions["mdm.governance"], kept, args.upserts):
        probe.request = []
        collecting.clear()
        committing.clear()
        backlog = lineage._queue.qsize() if lineage is not None else 0
        before = _read_bytes()
        t0 = time.perf_counter()
        resp = client.put(f"/api/v1/sources/crm/customer/records/{key}", json=raw, headers=auth)
        wall = (time.perf_counter() - t0) * 1000
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        rows.append({"kind": kind, "result": resp.get_json()["result"], "wall_ms": round(wall, 2),
                     "statements": len(probe.request), "sql_ms": round(sum(s for s, _, _ in probe.request) * 1000, 2),
                     "disk_pages": (_read_bytes() - before) // PAGE,
                     "gc_ms": round(sum(collecting), 2), "commit_ms": round(sum(committing), 2),
                     "lineage_backlog": backlog,
                     "slowest": [(round(s * 1000, 2), pg, t) for s, pg, t in sorted(probe.request, reverse=True)[:3]]})
    gc.callbacks.remove(on_gc)
    GatedConnection.commit = plain_commit  # type: ignore[method-assign]
    if lineage is not None and lineage.background:
        lineage.flush(120)
    walls = sorted(r["wall_ms"] for r in rows)
    print(f"{len(rows)} upserts: p50 {walls[len(walls) // 2]:.2f} ms, p99 {walls[int(0.99 * len(walls))]:.2f} ms")
    for kind in ("new", "duplicate", "update"):
        of = [r for r in rows if r["kind"] == kind]
        med = {f: statistics.median(r[f] for r in of) for f in ("wall_ms", "statements", "sql_ms", "disk_pages")}
        print(f"  {kind:9} median: {med['wall_ms']:.2f} ms, {med['statements']:.0f} statements, "
              f"{med['sql_ms']:.2f} ms in SQL, {med['disk_pages']:.0f} pages from disk")
    print("statements by pages read from disk (calls, ms, pages):")
    for text, (calls, seconds, pages) in sorted(probe.by_statement.items(), key=lambda kv: -kv[1][2])[:20]:
        print(f"  {calls:5d} {seconds * 1000:8.1f} {pages:6d}  {text}")
    print("slowest requests:")
    for r in sorted(rows, key=lambda r: -r["wall_ms"])[:args.slowest]:
        print(f"  {r['kind']:9} {r['result']:8} {r['wall_ms']:6.2f} ms, {r['statements']} statements, "
              f"{r['sql_ms']:.2f} ms in SQL, {r['disk_pages']} pages from disk, "
              f"{r['gc_ms']:.2f} ms collecting, {r['commit_ms']:.2f} ms committing, "
              f"{r['lineage_backlog']} lineage events queued")
        for ms, pages, text in r["slowest"]:
            print(f"      {ms:6.2f} ms {pages:4d} pages  {text[:90]}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
