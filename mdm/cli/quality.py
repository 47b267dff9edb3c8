"""Quality on the command line: scorecards and the quarantine."""

from __future__ import annotations

import json
from typing import Any

import click

from ..governance.model import DOMAINS
from . import cli, make_app


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    if not rows:
        return "  (none)"
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  " + "  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  " + "  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


@cli.group()
def quality() -> None:
    """Data-quality scorecards."""


@quality.command("report")
@click.option("--domain", type=click.Choice(DOMAINS))
@click.option("--runs", default=10, show_default=True, type=click.IntRange(1, 500), help="runs in the trend")
@click.option("--json", "as_json", is_flag=True, help="print the scorecards as one JSON object")
@click.pass_context
def quality_report(ctx: click.Context, domain: str | None, runs: int, as_json: bool) -> None:
    """Pass rates per domain, system, rule and run, and golden-record quality scores."""
    from ..db import get_session
    from ..migrate import require_current
    from ..services.quality import summary

    app = make_app(ctx)
    require_current(app.extensions["mdm.engine"])
    with app.app_context():
        data = summary(get_session(), domain, runs)
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo("Records by domain (current versions)")
    click.echo(_table(data["domains"], ["domain", "records", "accepted", "quarantined", "pass_rate"]))
    click.echo("\nRecords by system")
    click.echo(_table(data["systems"], ["system", "domain", "records", "accepted", "quarantined", "pass_rate"]))
    click.echo("\nRules (all runs)")
    click.echo(_table(data["rules"], ["rule_id", "severity", "evaluated", "failed", "pass_rate"]))
    click.echo("\nRuns (oldest first)")
    click.echo(_table([{**r, "received": sum(r["counts"].values()), "quarantined": r["counts"].get("quarantined", 0)}
                       for r in data["runs"]],
                      ["started_at", "system", "domain", "received", "quarantined", "pass_rate"]))
    click.echo("\nGolden records")
    click.echo(_table(data["golden"], ["domain", "records", "average_score", "below_100"]))


@cli.group()
def quarantine() -> None:
    """Records held back by an error rule."""


def _filters(f: Any) -> Any:
    for opt in (click.option("--domain", type=click.Choice(DOMAINS)), click.option("--system"),
                click.option("--site"), click.option("--rule", help="rule id or prefix, e.g. lot.product")):
        f = opt(f)
    return f


@quarantine.command("list")
@_filters
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
@click.pass_context
def quarantine_list(ctx: click.Context, domain: str | None, system: str | None, site: str | None,
                    rule: str | None, limit: int, as_json: bool) -> None:
    """List quarantined records with their reasons."""
    from ..db import get_session
    from ..migrate import require_current
    from ..services.quarantine import page

    app = make_app(ctx)
    require_current(app.extensions["mdm.engine"])
    with app.app_context():
        items, _ = page(get_session(), domain=domain, system=system, site=site, rule=rule, limit=limit)
    for item in items:
        if as_json:
            click.echo(json.dumps(item))
        else:
            reasons = "; ".join(f"{i['rule']}: {i['message']}" for i in item["issues"] if i["severity"] == "error")
            click.echo(f"{item['system']}/{item['domain']}/{item['source_key']} v{item['version']}: {reasons}")
    if not as_json:
        click.echo(f"{len(items)} quarantined record(s) shown")


@quarantine.command("retry")
@_filters
@click.option("--key", "keys", multiple=True, help="only these source keys (repeatable)")
@click.option("--json", "as_json", is_flag=True, help="print the summary as one JSON object")
@click.pass_context
def quarantine_retry(ctx: click.Context, domain: str | None, system: str | None, site: str | None,
                     rule: str | None, keys: tuple[str, ...], as_json: bool) -> None:
    """Run quarantined records again under the rules and mappings in force now."""
    from ..lineage import emitter as lineage_emitter
    from ..migrate import require_current
    from ..services.quarantine import retry

    app = make_app(ctx)
    require_current(app.extensions["mdm.engine"])
    with app.app_context():
        result = retry(app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"], domain=domain,
                       system=system, site=site, rule=rule, keys=list(keys) or None, actor="cli:retry",
                       chunk_size=app.config["INGEST_CHUNK_SIZE"], lineage=lineage_emitter(app))
    if as_json:
        click.echo(json.dumps(result))
        return
    counts = result["counts"]
    click.echo(f"retried {result['retried']}: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
