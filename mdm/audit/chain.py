"""The hash chain of the audit trail: pure functions, no database.

Each entry is kept as one canonical JSON text (`body`); its hash is
HMAC-SHA256(key, previous hash + "\\n" + body). Changing, deleting, inserting or reordering any
entry breaks the chain at that point, and without the key (which lives in configuration, never in
the database) nobody can compute a chain that verifies. The filter columns (time, actor, action,
entity) must equal what the body says, or the entry counts as changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from typing import Any

from .. import jsonutil

GENESIS = "0" * 64
FIELDS = ("seq", "at", "actor", "action", "entity_type", "entity_id", "reason", "before", "after", "context")
COLUMNS = ("at", "actor", "action", "entity_type", "entity_id")


def utc_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")
    return str(value)


def canonical(entry: dict[str, Any]) -> str:
    """The text an entry's hash covers: every audited field, sorted keys, UTC times."""
    body = {k: (utc_text(entry[k]) if k == "at" else entry.get(k)) for k in FIELDS}
    return jsonutil.canonical(body).decode()


def link_hash(key: bytes, prev_hash: str, body: str) -> str:
    return hmac.new(key, prev_hash.encode() + b"\n" + body.encode(), hashlib.sha256).hexdigest()


def chain(key: bytes, prev_hash: str, first_seq: int, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for `entries`, numbered and hashed after the entry whose hash is `prev_hash`."""
    out = []
    for i, entry in enumerate(entries):
        seq = first_seq + i
        body = canonical({**entry, "seq": seq})
        hash_ = link_hash(key, prev_hash, body)
        out.append({"seq": seq, **{c: entry[c] for c in COLUMNS}, "body": body, "prev_hash": prev_hash,
                    "hash": hash_})
        prev_hash = hash_
    return out


def _columns_agree(row: dict[str, Any], body: dict[str, Any]) -> bool:
    return all((utc_text(row[c]) if c == "at" else row[c]) == body.get(c) for c in COLUMNS) \
        and body.get("seq") == row["seq"]


def verify_rows(key: bytes, rows: Iterable[dict[str, Any]],
                find: Callable[[str], int | None] | None = None) -> dict[str, Any]:
    """Recompute the chain over `rows` (in `seq` order) and report the first entry that breaks it.

    `find(hash)` gives the seq of the entry holding that hash anywhere in the trail; it is asked only
    once a problem is found, to tell an entry moved forward (reordered) from a forged one (inserted).

    Returns:
        {"ok": bool, "entries": n, "first_problem": None or {"seq", "problem", "detail"}} where
        problem is "changed" (content or hash altered), "deleted" (a gap before this entry),
        "inserted" (an entry the chain does not lead to) or "reordered" (an earlier entry's successor).
    """
    expected_seq, prev_hash, n = 1, GENESIS, 0
    seen: dict[str, int] = {}
    for row in rows:
        n += 1
        seq = row["seq"]
        problem = None
        if seq > expected_seq:
            problem = ("deleted", f"entries {expected_seq}..{seq - 1} are missing")
        elif row["prev_hash"] != prev_hash:
            where = seen.get(row["prev_hash"]) or (find(row["prev_hash"]) if find else None)
            if where is not None:
                problem = ("reordered", f"it follows entry {where}, not entry {seq - 1}")
            else:
                problem = ("inserted", "its predecessor's hash is not the one before it in the chain")
        elif link_hash(key, prev_hash, row["body"]) != row["hash"]:
            problem = ("changed", "its content does not match its hash")
        else:
            try:
                agrees = _columns_agree(row, json.loads(row["body"]))
            except ValueError:
                agrees = False
            if not agrees:
                problem = ("changed", "its time, actor, action or entity differ from what was hashed")
        if problem:
            return {"ok": False, "entries": n, "first_problem": {"seq": seq, "problem": problem[0],
                                                                 "detail": problem[1]}}
        seen[row["hash"]] = seq
        expected_seq, prev_hash = seq + 1, row["hash"]
    return {"ok": True, "entries": n, "first_problem": None}
