"""Steward work on the command line: tasks, decisions, merge, unmerge, pins, rematch."""

from __future__ import annotations

import getpass
import json
from typing import Any

import click

from ..governance.model import DOMAINS
from . import cli, make_app
from .quality import _table


def _actor_option(f: Any) -> Any:
    return click.option("--actor", envvar="MDM_ACTOR", default=lambda: f"cli:{getpass.getuser()}",
                        show_default="cli:<user>", help="who acts (goes into the audit trail)")(f)


def _signer_options(f: Any) -> Any:
    f = click.option("--password-stdin", is_flag=True, help="read the signer's password from standard input")(f)
    f = click.option("--meaning", type=click.Choice(["review", "approval", "responsibility"]), default="approval",
                     show_default=True, help="what the signature means")(f)
    return click.option("--as", "signer", envvar="MDM_STEWARD", required=True,
                        help="the steward who signs (asked for their password)")(f)


def _sign(app: Any, signer: str, meaning: str, password_stdin: bool) -> Any:
    """The steward confirms their password to sign (21 CFR Part 11 §11.200); refused: one line, exit 1."""
    from ..auth import principals
    from .users import read_password

    password = read_password(password_stdin, confirm=False, prompt=f"Password of {signer} (to sign)")
    with app.app_context():
        return principals.confirm_signature(app.extensions["mdm.sessionmaker"], signer, password, meaning,
                                            remote="cli")


def _ready(ctx: click.Context) -> Any:
    from ..migrate import require_current

    app = make_app(ctx)
    require_current(app.extensions["mdm.engine"])
    return app


def _echo(data: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, default=str) if as_json else text)


@cli.group()
def tasks() -> None:
    """The steward review queue."""


@tasks.command("list")
@click.option("--domain", type=click.Choice(DOMAINS))
@click.option("--status", type=click.Choice(["open", "closed", "all"]), default="open", show_default=True)
@click.option("--assignee")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def tasks_list(ctx: click.Context, domain: str | None, status: str, assignee: str | None, limit: int,
               as_json: bool) -> None:
    """Tasks in id order."""
    from ..db import get_session
    from ..services import tasks as svc

    app = _ready(ctx)
    with app.app_context():
        s = get_session()
        rows = [svc.task_view(s, t) for t in svc.list_tasks(s, status=status, domain=domain, assignee=assignee,
                                                             after=None, limit=limit)]
    _echo(rows, as_json, _table([{**r, "candidates": ",".join(r["candidate_ids"])} for r in rows],
                                ["id", "domain", "status", "score", "golden_id", "candidates", "assignee", "reason"]))


@tasks.command("show")
@click.argument("task_id", type=int)
@click.pass_context
def tasks_show(ctx: click.Context, task_id: int) -> None:
    """One task with both sides and the explanation, as JSON."""
    from ..db import get_session
    from ..services import tasks as svc

    app = _ready(ctx)
    with app.app_context():
        s = get_session()
        click.echo(json.dumps(svc.task_view(s, svc.get_task(s, task_id), full=True), indent=2, default=str))


@tasks.command("decide")
@click.argument("task_id", type=int)
@click.option("--decision", required=True, type=click.Choice(["merge", "not-a-match"]))
@click.option("--reason", required=True)
@click.option("--candidate", help="which candidate, when the task has several")
@_signer_options
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def tasks_decide(ctx: click.Context, task_id: int, decision: str, reason: str, candidate: str | None, signer: str,
                 meaning: str, password_stdin: bool, as_json: bool) -> None:
    """Merge the two sides, or remember them as not a match (signed)."""
    from ..services import steward

    app = _ready(ctx)
    sign = _sign(app, signer, meaning, password_stdin)
    with app.app_context():
        out = steward.decide(app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"], task_id,
                             decision.replace("-", "_"), actor=sign.signer, reason=reason, candidate=candidate,
                             sign=sign)
    _echo(out, as_json, f"task {task_id}: {decision}" + (
        f" -> {out['merge']['survivor']}" if "merge" in out else f" ({out.get('remembered', 0)} pairs remembered)"))


@tasks.command("assign")
@click.argument("task_id", type=int)
@click.option("--to", "assignee", required=True, help="steward name ('' unassigns)")
@_actor_option
@click.pass_context
def tasks_assign(ctx: click.Context, task_id: int, assignee: str, actor: str) -> None:
    """Assign a task to a steward."""
    from ..services import steward

    app = _ready(ctx)
    with app.app_context():
        out = steward.assign(app.extensions["mdm.sessionmaker"], task_id, assignee or None, actor=actor)
    click.echo(f"task {task_id}: assigned to {out['assignee'] or 'nobody'}")


@cli.command()
@click.option("--domain", required=True, type=click.Choice(DOMAINS))
@click.option("--survivor", required=True, help="golden id that keeps its id")
@click.option("--merged", required=True, multiple=True, help="golden id merged into the survivor (repeatable)")
@click.option("--reason", required=True)
@_signer_options
@click.pass_context
def merge(ctx: click.Context, domain: str, survivor: str, merged: tuple[str, ...], reason: str, signer: str,
          meaning: str, password_stdin: bool) -> None:
    """Merge golden records into a survivor (signed)."""
    from ..services import steward

    app = _ready(ctx)
    sign = _sign(app, signer, meaning, password_stdin)
    with app.app_context():
        out = steward.merge_records(app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"], domain,
                                    survivor, list(merged), actor=sign.signer, reason=reason, sign=sign)
    click.echo(f"merged {', '.join(out['merged'])} into {out['survivor']} (version {out['version']}, "
               f"{out['moved']} source records moved)")


@cli.command()
@click.option("--domain", required=True, type=click.Choice(DOMAINS))
@click.option("--golden", "golden_id", required=True)
@click.option("--system", required=True)
@click.option("--key", "source_key", required=True)
@click.option("--reason", required=True)
@_signer_options
@click.pass_context
def unmerge(ctx: click.Context, domain: str, golden_id: str, system: str, source_key: str, reason: str,
            signer: str, meaning: str, password_stdin: bool) -> None:
    """Take a source record out of a golden record (signed)."""
    from ..services import steward

    app = _ready(ctx)
    sign = _sign(app, signer, meaning, password_stdin)
    with app.app_context():
        out = steward.unmerge_record(app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"], domain,
                                     golden_id, system, source_key, actor=sign.signer, reason=reason, sign=sign)
    click.echo(f"{system}/{source_key}: {golden_id} -> {out['target']} ({out['how']})")


@cli.command()
@click.option("--domain", required=True, type=click.Choice(DOMAINS))
@click.option("--golden", "golden_id", required=True)
@click.option("--field", "pins", multiple=True, metavar="FIELD=JSON",
              help="pin a value, e.g. name='\"Acme\"' or quantity=5 (JSON; plain text is taken as a string)")
@click.option("--release", multiple=True, metavar="FIELD", help="release the pin on a field")
@click.option("--reason", required=True)
@_signer_options
@click.pass_context
def pin(ctx: click.Context, domain: str, golden_id: str, pins: tuple[str, ...], release: tuple[str, ...],
        reason: str, signer: str, meaning: str, password_stdin: bool) -> None:
    """Pin (or release) field values of a golden record (signed)."""
    from ..services import steward

    values: dict[str, Any] = {}
    for item in pins:
        name, sep, raw = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: use FIELD=VALUE", param_hint="--field")
        try:
            values[name] = json.loads(raw)
        except json.JSONDecodeError:
            values[name] = raw
    app = _ready(ctx)
    sign = _sign(app, signer, meaning, password_stdin)
    with app.app_context():
        out = steward.set_pins(app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"], domain,
                               golden_id, pins=values, release=list(release), actor=sign.signer, reason=reason,
                               sign=sign)
    click.echo(f"{golden_id} version {out['version']}: pinned {', '.join(out['pinned']) or '-'}; "
               f"released {', '.join(out['released']) or '-'}")


@cli.command()
@click.option("--domain", required=True, type=click.Choice(DOMAINS))
@click.option("--dry-run", is_flag=True, help="report what would move, change nothing")
@_actor_option
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
@click.pass_context
def rematch(ctx: click.Context, domain: str, dry_run: bool, actor: str, as_json: bool) -> None:
    """Re-evaluate a domain under the match rules in force and report what moved."""
    from tqdm import tqdm

    from ..services.rematch import rematch as run

    app = _ready(ctx)
    bar = tqdm(unit=" pairs", disable=as_json, leave=False)
    with app.app_context():
        out = run(app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"], domain, actor=actor,
                  progress=bar.update, on_total=lambda n: setattr(bar, "total", n), dry_run=dry_run)
    bar.close()
    if as_json:
        click.echo(json.dumps(out))
        return
    click.echo(f"{domain}: {out['records']} source records, {out['pairs_scored']} candidate pairs at or above review"
               f"{', DRY RUN: nothing changed' if dry_run else ''}")
    click.echo(f"  moved: {out['moved']} records; new golden records: {len(out['created'])}; "
               f"merged: {len(out['merged'])}; retired: {len(out['retired'])}; review tasks: {out['tasks']}")
    for gid, survivor in sorted(out["merged"].items()):
        click.echo(f"  {gid} merged into {survivor}")
    if out["capped_keys"]:
        click.echo(f"  warning: {out['capped_keys']} blocking keys over the cap were skipped")
