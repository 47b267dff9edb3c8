"""ETags of golden records and tasks, and the If-Match that every steward write must send.

A golden record's ETag names its version (`"PRD-00000001.v3"`), a task's its revision and a
fingerprint of the records it shows (`"task-12.r2.3f1c0a9e2b7d"`). A steward write without If-Match gets 428; with an ETag that is no longer current,
412 (checked under the row lock, so of two stewards acting on the same state exactly one succeeds).
A merge lists the ETag of every golden record it involves.
"""

from __future__ import annotations

import re

from flask import request

from ..errors import PreconditionRequired

GOLDEN = re.compile(r'^(?:W/)?"?([A-Z]{3}-[0-9A-Za-z]+)\.v(\d+)"?$')
TASK = re.compile(r'^(?:W/)?"?task-(\d+)\.r(\d+)(?:\.([0-9a-f]{12}))?"?$')


def golden_etag(golden_id: str, version: int) -> str:
    return f'"{golden_id}.v{version}"'


def task_etag(task_id: int, revision: int, shown: str) -> str:
    """The task's revision and a fingerprint of the records it shows (`tasks.fingerprint`)."""
    return f'"task-{task_id}.r{revision}.{shown}"'


def _tags() -> list[str]:
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired("steward writes need If-Match with the ETag of what you looked at "
                                   "(GET the record or task first)")
    return [t.strip() for t in header.split(",") if t.strip()]


def expected_goldens(golden_ids: list[str]) -> dict[str, int]:
    """golden id -> version from If-Match; every id must be listed (428 otherwise)."""
    found: dict[str, int] = {}
    for tag in _tags():
        m = GOLDEN.match(tag)
        if m:
            found[m.group(1)] = int(m.group(2))
    missing = [g for g in golden_ids if g not in found]
    if missing:
        raise PreconditionRequired(f"If-Match must name the ETag of every golden record involved; missing: "
                                   f"{', '.join(missing)}")
    return {g: found[g] for g in golden_ids}


def expected_revision(task_id: int) -> tuple[int, str | None]:
    """(revision, fingerprint of the records shown) from If-Match; an ETag without the fingerprint
    (older clients) checks the revision only."""
    for tag in _tags():
        m = TASK.match(tag)
        if m and int(m.group(1)) == task_id:
            return int(m.group(2)), m.group(3)
    raise PreconditionRequired(f"If-Match must name the ETag of task {task_id} (\"task-{task_id}.r<revision>\")")
