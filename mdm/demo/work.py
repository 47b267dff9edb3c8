"""Steward work for the demo: near-duplicate customers that wait in the review queue, and one merge.

The generated data links across systems on identifiers; these hospitals arrive from SAP and the CRM
without a shared identifier and with their names reordered, so fuzzy matching scores them between
the review and link thresholds. The demo steward then merges the first pair (a signed decision),
leaving a merged record and its history to inspect and the other tasks open.
"""

from __future__ import annotations

from typing import Any

from ..services import steward
from ..services.ingest import Ingestor
from ..services.signatures import SignRequest

HOSPITALS = (
    ("Springfield General Hospital", "General Hospital Springfield", "Main Street 12", "Springfield", "62701", "sgh"),
    ("Lakeside Orthopedic Clinic", "Orthopedic Clinic Lakeside", "Harbor Road 3", "Duluth", "55802", "lakeside"),
    ("Riverside Heart Center", "Heart Center Riverside", "River Road 8", "Peoria", "61602", "riverside"),
    ("Mercy Surgical Hospital", "Surgical Hospital Mercy", "Elm Street 40", "Toledo", "43604", "mercy"),
)


def _sap(i: int, name: str, street: str, city: str, postcode: str, mail: str) -> dict[str, Any]:
    return {"KUNNR": f"90000{i}", "KTOKD": "Z001", "NAME1": name, "STRAS": street, "ORT01": city, "PSTLZ": postcode,
            "LAND1": "US", "SMTP_ADDR": f"orders@{mail}.example"}


def _crm(i: int, name: str, street: str, city: str, postcode: str, mail: str) -> dict[str, Any]:
    return {"Id": f"DEMO-{i}", "IsPersonAccount": "false", "RecordType": "Hospital", "Account_Name__c": name,
            "BillingStreet": f"{street} Building B", "BillingCity": city,
            "BillingPostalCode": str(int(postcode) + 1).zfill(5), "BillingCountry": "US", "Email": f"info@{mail}.example"}


def leave_work(factory: Any, gov: Any) -> dict[str, Any]:
    """Load the near-duplicates and merge the first review task as the demo steward."""
    sap = [_sap(i, name, street, city, pc, mail) for i, (name, _, street, city, pc, mail) in enumerate(HOSPITALS)]
    crm = [_crm(i, other, street, city, pc, mail) for i, (_, other, street, city, pc, mail) in enumerate(HOSPITALS)]
    Ingestor(factory, gov, "sap-erp", "customer", actor="cli:sap-erp").run(sap)
    summary = Ingestor(factory, gov, "crm", "customer", actor="cli:crm").run(crm)
    review = [r for r in summary.results if r.result == "review"]
    merged = None
    if review:
        from sqlalchemy import select

        from ..models import MatchTask

        with factory() as s:
            task_id = s.scalar(select(MatchTask.id).where(MatchTask.status == "open").order_by(MatchTask.id))
        if task_id is not None:
            sign = SignRequest("steward", "Dana Steward", "approval", method="demo")
            out = steward.decide(factory, gov, task_id, "merge", actor="steward", sign=sign,
                                 reason="same hospital: SAP sold-to and CRM account (demo)")
            merged = out.get("merge", {}).get("survivor")
    return {"review": len(review), "counts": summary.counts, "merged_into": merged}
