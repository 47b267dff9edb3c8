"""Small helpers shared by tests: posting batches and reading results."""

from __future__ import annotations

from typing import Any

from stdnum import ean


def gtin(body13: str) -> str:
    """A valid GTIN-14 from 13 digits."""
    return body13 + ean.calc_check_digit(body13)


def gln(body12: str) -> str:
    return body12 + ean.calc_check_digit(body12)


def post(client, system: str, domain: str, records: list[dict[str, Any]], **kw) -> dict[str, Any]:
    resp = client.post(f"/api/v1/sources/{system}/{domain}/records", json=records, **kw)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def results(body: dict[str, Any]) -> list[str]:
    return [r["result"] for r in body["results"]]
