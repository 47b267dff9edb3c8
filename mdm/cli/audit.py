"""The audit trail on the command line: verify the chain, export a copy for inspectors."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click

from . import cli, make_app


@cli.group()
def audit() -> None:
    """Audit trail."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True)
@click.option("--anchor", "anchor_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="an anchor written earlier by `mdm audit anchor`: the chain must still hold that entry")
@click.pass_context
def audit_verify(ctx: click.Context, as_json: bool, anchor_file: Path | None) -> None:
    """Recompute the hash chain; exit 1 and name the first broken entry if it was tampered with."""
    from ..audit.log import check_anchor, verify
    from ..db import get_session
    from ..migrate import require_current

    app = make_app(ctx)
    require_current(app.extensions["mdm.engine"])
    with app.app_context():
        result = verify(get_session())
        if anchor_file is not None and result["ok"]:
            problem = check_anchor(get_session(), json.loads(anchor_file.read_text()))
            if problem is not None:
                result = {**result, "ok": False, "first_problem": problem}
    if as_json:
        click.echo(json.dumps(result))
    elif result["ok"]:
        click.echo(f"ok: {result['entries']} entries, chain intact")
    else:
        p = result["first_problem"]
        click.echo(f"BROKEN at entry {p['seq']}: {p['problem']} ({p['detail']})")
    if not result["ok"]:
        sys.exit(1)


@audit.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "ndjson"]), default="ndjson", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="default: standard output")
@click.pass_context
def audit_export(ctx: click.Context, fmt: str, out: Path | None) -> None:
    """Every audit entry in chain order, with its hashes, for an inspector's own copy."""
    from ..audit.log import rows, view
    from ..db import get_session
    from ..migrate import require_current

    app = make_app(ctx)
    require_current(app.extensions["mdm.engine"])
    fh = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    columns = ["seq", "at", "actor", "action", "entity_type", "entity_id", "reason", "before", "after", "context",
               "prev_hash", "hash"]
    try:
        with app.app_context():
            writer = csv.DictWriter(fh, fieldnames=columns) if fmt == "csv" else None
            if writer:
                writer.writeheader()
            for raw in rows(get_session()):
                row = view(raw)
                if writer:
                    writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
                                     for k, v in row.items()})
                else:
                    fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    finally:
        if out:
            fh.close()


@audit.command("anchor")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="default: standard output")
@click.pass_context
def audit_anchor(ctx: click.Context, out: Path | None) -> None:
    """Print the chain's head (entry count and newest hash) to keep outside the hub.

    `mdm audit verify --anchor FILE` later shows whether entries were cut from the end.
    """
    from ..audit.log import anchor
    from ..db import get_session
    from ..migrate import require_current

    app = make_app(ctx)
    require_current(app.extensions["mdm.engine"])
    with app.app_context():
        text = json.dumps(anchor(get_session()))
    if out:
        out.write_text(text + "\n")
    else:
        click.echo(text)
