"""Console pages that read: dashboard, review queue, task, golden record, lineage, quarantine, audit,
dictionary. Lists are keyset-paginated (`after`); nothing loads a whole domain."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from sqlalchemy import func, select

from ..audit.log import verify as verify_chain
from ..audit.log import view as audit_view
from ..auth import masking, roles
from ..db import get_session
from ..governance import DOMAINS, current
from ..lineage import graph
from ..models import AuditEvent, GoldenRecord, MatchTask, SourceRecord
from ..services import golden as golden_svc
from ..services import quality, quarantine, tasks
from ..services.steward import pins_of
from . import bp, caller, may, require
from .svg import bars, lineage_svg

PAGE = 50


def _visible(value: Any, domain: str | None) -> Any:
    """`value` as the signed-in person may see it (personal and confidential fields masked without clearance)."""
    c = caller()
    clearance = roles.clearance(c.role) if c else frozenset()
    hidden = masking.sensitive_fields(current(), clearance, domain)
    return masking.mask(value, hidden) if hidden else value


def _domain(domain: str) -> str:
    if domain not in DOMAINS:
        abort(404)
    return domain


@bp.get("/")
def dashboard() -> str:
    require("self")
    # each section only for roles that may read it through the API too
    counts, open_tasks, held, summary = None, None, None, None
    s = get_session()
    if may("golden.read"):
        counts = dict(s.execute(select(GoldenRecord.domain, func.count()).where(GoldenRecord.status == "active")
                                .group_by(GoldenRecord.domain)).all())
    if may("task.read"):
        open_tasks = s.scalar(select(func.count()).select_from(MatchTask).where(MatchTask.status == "open")) or 0
    if may("quarantine.read"):
        held = s.scalar(select(func.count()).select_from(SourceRecord)
                        .where(SourceRecord.status == "quarantined")) or 0
    if may("quality.read"):
        summary = quality.summary(s, last_runs=8)
    rates = [(d["domain"], d["pass_rate"] or 0.0) for d in summary["domains"]] if summary else []
    return render_template("console/dashboard.html", counts=counts, domains=DOMAINS, open_tasks=open_tasks,
                           quarantined=held, summary=summary, chart=bars(rates))


@bp.get("/tasks")
def task_list() -> str:
    require("task.read")
    status = request.args.get("status", "open")
    domain = request.args.get("domain") or None
    after = request.args.get("after", type=int)
    s = get_session()
    rows = tasks.list_tasks(s, status=status if status in ("open", "closed", "all") else "open", domain=domain
                            if domain in DOMAINS else None, assignee=None, after=after, limit=PAGE + 1)
    items = [tasks.task_view(s, t) for t in rows[:PAGE]]
    return render_template("console/tasks.html", items=items, status=status, domain=domain, domains=DOMAINS,
                           next_after=items[-1]["id"] if len(rows) > PAGE else None)


def _comparisons(explanation: dict[str, Any] | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The field-by-field comparison of the best candidate, and its total and thresholds."""
    if not explanation:
        return [], {}
    match = explanation.get("match") or {}
    if not match and explanation.get("candidates"):
        match = explanation["candidates"][0].get("match") or {}
    return match.get("comparisons") or [], {"probability": match.get("probability", explanation.get("probability")),
                                             "thresholds": match.get("thresholds") or {},
                                             "detail": explanation.get("detail")}


@bp.get("/tasks/<int:task_id>")
def task_page(task_id: int) -> str:
    require("task.read")
    s = get_session()
    task = tasks.get_task(s, task_id)
    view = tasks.task_view(s, task, full=True)
    view["shown"] = tasks.fingerprint(s, task)
    domain = view["domain"]
    view = _visible(view, domain)
    comparisons, total = _comparisons(view.get("explanation"))
    sides = view.get("sides") or []
    rows = []
    for f in current().domains[domain].fields:
        values = [(side.get("data") or {}).get(f) for side in sides]
        if any(v is not None for v in values):
            rows.append((f, values, len({str(v) for v in values}) > 1))
    return render_template("console/task.html", task=view, sides=sides, rows=rows, comparisons=comparisons,
                           total=total, domain=domain)


@bp.get("/golden/<domain>")
def golden_list(domain: str) -> str:
    require("golden.read")
    _domain(domain)
    after = request.args.get("after") or None
    status = request.args.get("status") or None
    s = get_session()
    rows = golden_svc.list_golden(s, current(), domain, status=status, after=after, limit=PAGE + 1,
                                  updated_since=None, identifier={})
    items = [golden_svc.golden_view(r) for r in rows[:PAGE]]
    gov_fields = list(current().domains[domain].fields)[:5]
    return render_template("console/golden_list.html", domain=domain, items=_visible(items, domain),
                           columns=gov_fields, status=status,
                           next_after=items[-1]["id"] if len(rows) > PAGE else None)


def _diffs(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    before: dict[str, Any] = {}
    for v in versions:
        data = v["data"] or {}
        changed = [(k, before.get(k), data.get(k)) for k in sorted(set(before) | set(data)) if before.get(k) != data.get(k)]
        out.append({**v, "changes": changed})
        before = data
    return list(reversed(out))


@bp.get("/golden/<domain>/<golden_id>")
def golden_page(domain: str, golden_id: str) -> str:
    require("golden.read")
    _domain(domain)
    s = get_session()
    rec = golden_svc.get_golden(s, domain, golden_id)
    version = golden_svc.version_at(s, rec)
    view = golden_svc.golden_view(rec, version)
    versions = golden_svc.history(s, rec)
    sources = golden_svc.sources_of(s, rec.id)
    pins = pins_of(s, rec.id)
    view = _visible(view, domain)
    return render_template("console/golden.html", domain=domain, rec=view, history=_diffs(_visible(versions, domain)),
                           sources=sources, pins=_visible(pins, domain),
                           fields=[f for f in current().domains[domain].fields],
                           signatures=versions[-1]["signatures"] if versions else [])


@bp.get("/golden/<domain>/<golden_id>/lineage")
def lineage_page(domain: str, golden_id: str) -> str:
    require("lineage.read")
    _domain(domain)
    s = get_session()
    lin = graph.golden_lineage(s, current(), domain, golden_id, request.args.get("version", type=int))
    lin = _visible(lin, domain)
    return render_template("console/lineage.html", domain=domain, lin=lin, svg=lineage_svg(lin))


@bp.get("/quarantine")
def quarantine_page() -> str:
    require("quarantine.read")
    args = {k: (request.args.get(k) or None) for k in ("domain", "system", "rule")}
    s = get_session()
    items, next_after = quarantine.page(s, domain=args["domain"] if args["domain"] in DOMAINS else None,
                                        system=args["system"], rule=args["rule"],
                                        after=request.args.get("after", type=int) or 0, limit=PAGE)
    return render_template("console/quarantine.html", items=[_visible(i, i["domain"]) for i in items],
                           next_after=next_after, filters={k: v for k, v in args.items() if v}, domains=DOMAINS, systems=sorted(current().systems))


@bp.get("/audit")
def audit_page() -> str:
    require("audit.read")
    filters = {k: (request.args.get(k) or None) for k in ("actor", "action", "entity_id")}
    after = request.args.get("after", type=int) or 0
    s = get_session()
    q = select(AuditEvent).where(AuditEvent.seq > after)
    for name, value in filters.items():
        if value:
            q = q.where(getattr(AuditEvent, name) == value)
    rows = s.scalars(q.order_by(AuditEvent.seq).limit(PAGE + 1)).all()
    items = [audit_view(r) for r in rows[:PAGE]]
    checked = verify_chain(s) if request.args.get("verify") else None
    return render_template("console/audit.html", items=items, filters={k: v for k, v in filters.items() if v},
                           checked=checked,
                           next_after=items[-1]["seq"] if len(rows) > PAGE else None)


@bp.get("/dictionary")
@bp.get("/dictionary/<domain>")
def dictionary_page(domain: str = "product") -> str:
    require("governance.read")
    gov = current()
    return render_template("console/dictionary.html", domain=_domain(domain), domains=DOMAINS,
                           d=gov.domains[domain])
