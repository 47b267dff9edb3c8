"""Reading batch bodies: a JSON array, NDJSON or CSV, parsed whole before anything is written."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Request

from .. import jsonutil
from ..errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

JSON_TYPES = ("application/json",)
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines")
CSV_TYPES = ("text/csv",)


def parse_json(text: str) -> Any:
    try:
        return jsonutil.loads(text)
    except jsonutil.JSONDecodeError as exc:
        raise InvalidInput(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


def parse_records(text: str, media_type: str) -> list[Any]:
    """Records of a batch body by media type; any syntax error refuses the whole body."""
    if media_type in JSON_TYPES:
        data = parse_json(text)
        if isinstance(data, dict) and isinstance(data.get("records"), list):
            data = data["records"]
        if not isinstance(data, list):
            raise InvalidInput("a batch body must be a JSON array of records (or an object with a 'records' array)")
        return data
    if media_type in NDJSON_TYPES:
        out = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(jsonutil.loads(line))
            except jsonutil.JSONDecodeError as exc:
                raise InvalidInput(f"malformed NDJSON on line {n}, column {exc.colno}: {exc.msg}") from None
        return out
    if media_type in CSV_TYPES:
        return parse_csv(text)
    raise UnsupportedMediaType(
        f"send records as {JSON_TYPES[0]}, {NDJSON_TYPES[0]} or {CSV_TYPES[0]}, not {media_type or 'no content type'}")


def parse_csv(text: str) -> list[dict[str, Any]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InvalidInput(f"malformed CSV on line {reader.line_num}: {exc}") from None
    if not rows:
        return []
    header = rows[0]
    if len(set(header)) != len(header) or any(not h.strip() for h in header):
        raise InvalidInput("the CSV header has empty or repeated column names")
    out = []
    for n, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InvalidInput(f"malformed CSV on line {n}: {len(row)} cells for {len(header)} columns")
        # An empty CSV cell is a missing value, not an empty string.
        out.append({h: c for h, c in zip(header, row) if c != ""})
    return out


def read_batch(request: Request, max_records: int) -> list[Any]:
    try:
        text = request.get_data(cache=False).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the body is not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    records = parse_records(text, request.mimetype)
    if len(records) > max_records:
        raise PayloadTooLarge(f"{len(records)} records in one batch; the limit is {max_records} (MDM_MAX_BATCH_RECORDS)")
    return records
