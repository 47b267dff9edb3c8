"""Write generated records as each source system would send them: its field names, codes and formats.

The generator speaks canonical values; the inverse of each system's mapping turns them back into the
system's own representation, so the demo exercises the same mappings real feeds go through.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..governance.model import DOMAINS, Governance
from ..governance.transforms import invert_chain

# How each kind of system typically hands over data.
FORMATS = {"sap-erp": "csv", "lims": "csv", "crm": "csv", "csv-import": "csv", "mes": "ndjson",
           "plm": "json", "supplier-portal": "json"}
# Referenced domains first, so references can resolve when the files are loaded in this order.
LOAD_ORDER = ("supplier", "product", "customer", "equipment", "lot")


def to_source(gov: Governance, system: str, domain: str, source_key: str, data: dict[str, Any]) -> dict[str, Any]:
    """One canonical record in `system`'s own field names and codes."""
    mapping = gov.mappings[(system, domain)]
    if mapping.identity:
        return {mapping.key: source_key, **data}
    domain_def = gov.domains[domain]
    row: dict[str, Any] = {mapping.key: source_key}
    for fm in mapping.fields:
        value = data.get(fm.target)
        if not fm.source or fm.source == mapping.key or value is None:
            continue
        if not _expressible(fm.specs, value, domain_def.code_lists.get(domain_def.fields[fm.target].code_list or "")):
            continue  # e.g. SAP's batch flag knows no 'recalled': the ERP simply does not carry it
        row[fm.source] = invert_chain(fm.specs, value)
    return row


def _expressible(specs: list[Any], value: Any, codes: list[str] | None) -> bool:
    """False when a valid canonical code has no source code in the system's code table.

    Invalid codes (generated `bad_code` defects) pass through, so they reach validation as sent.
    """
    tables = [s["code"] for s in specs if isinstance(s, dict) and "code" in s]
    if not tables or codes is None or value not in codes:
        return True
    return any(value in table.values() for table in tables)


def file_name(system: str, domain: str) -> str:
    return f"{system}__{domain}.{FORMATS.get(system, 'ndjson')}"


def write_files(gov: Governance, records: Iterable[Any], out: Path) -> list[tuple[str, str, Path, int]]:
    """Write one file per (system, domain) into `out`; returns (system, domain, path, count) in load order."""
    out.mkdir(parents=True, exist_ok=True)
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        grouped[(r.system, r.domain)].append(to_source(gov, r.system, r.domain, r.source_key, r.data))
    written = []
    for domain in LOAD_ORDER:
        # Feeds from operational systems first; file imports fill gaps afterwards.
        for (system, d), rows in sorted(grouped.items(), key=lambda kv: (kv[0][0] == "csv-import", kv[0])):
            if d != domain:
                continue
            path = out / file_name(system, domain)
            write_rows(path, rows)
            written.append((system, domain, path, len(rows)))
    return written


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    kind = path.suffix.lstrip(".")
    with path.open("w", encoding="utf-8", newline="") as fh:
        if kind == "json":
            json.dump(rows, fh, ensure_ascii=False, indent=1)
        elif kind == "ndjson":
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            header: list[str] = []
            for row in rows:
                header.extend(k for k in row if k not in header)
            writer = csv.DictWriter(fh, fieldnames=header)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _cell(v) for k, v in row.items()})


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def read_file(path: Path, fmt: str | None = None) -> list[Any]:
    """Records of a CSV, JSON or NDJSON file (by `fmt` or the file's extension)."""
    from ..api.body import parse_records

    kind = (fmt or path.suffix.lstrip(".")).lower()
    media = {"csv": "text/csv", "json": "application/json", "ndjson": "application/x-ndjson",
             "jsonl": "application/x-ndjson"}.get(kind)
    if media is None:
        from ..errors import InvalidInput

        raise InvalidInput(f"cannot tell the format of {path.name}: use --format csv|json|ndjson")
    return parse_records(path.read_text("utf-8-sig"), media)


__all__ = ["DOMAINS", "FORMATS", "LOAD_ORDER", "read_file", "to_source", "write_files"]
