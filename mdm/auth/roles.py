"""Roles and what each may do: least privilege, decided per route before the view runs.

Every API route names one permission in `ROUTES` (keyed by Flask endpoint and method); a route that
is missing from the table is refused for everyone, so a new route is closed until someone decides
who may call it. A `source` principal is also bound to one system: the `system` in the URL must be
its own.
"""

from __future__ import annotations

ROLES = ("source", "consumer", "steward", "auditor", "admin")
MEANINGS = ("review", "approval", "responsibility")

READS = ("golden.read", "changes.read", "governance.read", "xref.read", "source.read", "task.read",
         "quality.read", "quarantine.read", "lineage.read", "audit.read", "principals.read")

PERMISSIONS: dict[str, frozenset[str]] = {
    # write only as its own system; read back its own records and xref; read its mapping
    "source": frozenset({"source.write", "source.read", "xref.read", "governance.read", "self"}),
    "consumer": frozenset({"golden.read", "changes.read", "governance.read", "xref.read", "self"}),
    "steward": frozenset({"golden.read", "changes.read", "governance.read", "xref.read", "source.read",
                          "task.read", "quality.read", "quarantine.read", "lineage.read", "steward.write",
                          "self"}),
    "auditor": frozenset({*READS, "self"}),
    "admin": frozenset({"principals.read", "principals.admin", "governance.read", "governance.admin", "self"}),
}

# Roles that see fields the dictionary classifies as personal or confidential; others get them masked.
CLEARANCE: dict[str, frozenset[str]] = {
    "steward": frozenset({"personal", "confidential"}),
    "auditor": frozenset({"personal", "confidential"}),
}

# Routes scoped to the caller's own system for `source` principals (the URL carries `system`).
SYSTEM_SCOPED = frozenset({"source.write", "source.read", "xref.read"})

ROUTES: dict[tuple[str, str], str] = {
    ("sources.Records", "POST"): "source.write",
    ("sources.Record", "PUT"): "source.write",
    ("sources.Record", "DELETE"): "source.write",
    ("sources.Record", "GET"): "source.read",
    ("golden.GoldenList", "GET"): "golden.read",
    ("golden.Golden", "GET"): "golden.read",
    ("golden.Golden", "PATCH"): "steward.write",
    ("golden.GoldenHistory", "GET"): "golden.read",
    ("steward.TaskList", "GET"): "task.read",
    ("steward.Task", "GET"): "task.read",
    ("steward.TaskDecision", "POST"): "steward.write",
    ("steward.TaskAssign", "POST"): "steward.write",
    ("steward.Merge", "POST"): "steward.write",
    ("steward.Unmerge", "POST"): "steward.write",
    ("xref.Xref", "GET"): "xref.read",
    ("dictionary.DictionaryIndex", "GET"): "governance.read",
    ("dictionary.DictionaryDomain", "GET"): "governance.read",
    ("dictionary.DictionarySchema", "GET"): "governance.read",
    ("dictionary.DictionaryMapping", "GET"): "governance.read",
    ("dictionary.GovernanceVersions", "GET"): "governance.read",
    ("dictionary.GovernanceVersionOne", "GET"): "governance.read",
    ("dictionary.GovernanceReload", "POST"): "governance.admin",
    ("dictionary.RulesIndex", "GET"): "governance.read",
    ("dictionary.RulesDomain", "GET"): "governance.read",
    ("quality.QualitySummary", "GET"): "quality.read",
    ("quality.Quarantine", "GET"): "quarantine.read",
    ("quality.QuarantineRetry", "POST"): "steward.write",
    ("changes.Changes", "GET"): "changes.read",
    ("audit.Audit", "GET"): "audit.read",
    ("audit.AuditVerify", "GET"): "audit.read",
    ("lineage.GoldenLineage", "GET"): "lineage.read",
    ("lineage.SourceLineage", "GET"): "lineage.read",
    ("lineage.Runs", "GET"): "lineage.read",
    ("lineage.Events", "GET"): "lineage.read",
    ("principals.Principals", "GET"): "principals.read",
    ("principals.Principals", "POST"): "principals.admin",
    ("principals.PrincipalItem", "GET"): "principals.read",
    ("principals.PrincipalItem", "PATCH"): "principals.admin",
    ("principals.Tokens", "GET"): "principals.read",
    ("principals.Tokens", "POST"): "principals.admin",
    ("principals.TokenItem", "DELETE"): "principals.admin",
    ("principals.Me", "GET"): "self",
}


# Public: the API description and its viewer, health probes.
PUBLIC = frozenset({"api-docs.openapi_json", "api-docs.openapi_swagger_ui", "health.swagger_assets",
                    "health.healthz", "health.readyz"})


def permission_for(endpoint: str | None, method: str) -> str | None:
    """The permission a route needs; None when the route is not in the table (refused)."""
    if endpoint is None:
        return None
    return ROUTES.get((endpoint, "GET" if method in ("HEAD", "OPTIONS") else method))


def allowed(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())


def clearance(role: str) -> frozenset[str]:
    return CLEARANCE.get(role, frozenset())
