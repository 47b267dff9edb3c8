"""Running and administering the hub: serve, demo, db upgrade, check, init."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from ..governance import default_content_dir, load_governance
from ..settings import content_extra
from . import cli, make_app


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the API (development server; use gunicorn 'mdm.wsgi:app' in production)."""
    from ..demo.accounts import refuse_outside_demo
    from ..process import settle_heap
    from ..settings import SettingsError, require_secrets

    app = make_app(ctx, LINEAGE_BACKGROUND=True)
    try:
        require_secrets(app.config)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    _ensure_schema(app)
    refuse_outside_demo(app)
    click.echo(f"meddev-mdm on http://{host}:{port}/api/v1/docs  (database: {_safe_url(app)})")
    settle_heap()
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Apply Alembic migrations up to REVISION."""
    from ..migrate import current_revision, upgrade

    app = make_app(ctx)
    engine = app.extensions["mdm.engine"]
    upgrade(engine, revision)
    click.echo(f"database at revision {current_revision(engine)} ({_safe_url(app)})")


@cli.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Validate dictionary, mappings, rules and lineage content; list every problem."""
    root = ctx.obj["CONTENT_DIR"] or None
    gov = load_governance(root, content_extra(ctx.obj))
    fields = sum(len(d.fields) for d in gov.domains.values())
    click.echo(f"ok: {len(gov.domains)} domains, {fields} fields, {len(gov.systems)} systems, "
               f"{len(gov.mappings)} mappings, content {gov.content_hash[:12]} ({root or default_content_dir()})")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Write a copy of the default governance content into DIRECTORY to edit and version."""
    src = default_content_dir()
    for part in ("dictionary", "rules", "lineage"):
        if (directory / part).exists():
            raise click.ClickException(f"{directory / part} exists already; refusing to overwrite")
    for part in ("dictionary", "rules", "lineage"):
        shutil.copytree(src / part, directory / part)
    click.echo(f"governance content written to {directory}; use it with --content {directory} or MDM_CONTENT_DIR")


@cli.command()
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--scale", default=1, show_default=True, type=int)
@click.option("--serve/--no-serve", "do_serve", default=True, help="serve the hub after loading")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.pass_context
def demo(ctx: click.Context, seed: int, scale: int, do_serve: bool, host: str, port: int) -> None:
    """Generate demo data from six source systems and a CSV import, load it, then serve the hub."""
    from ..demo import accounts
    from .data import generate_files, load_file

    app = make_app(ctx, DEMO=True)
    _ensure_schema(app)
    out = Path(app.instance_path) / "demo-data"
    gov = app.extensions["mdm.governance"]
    files = generate_files(gov, seed, scale, out)
    click.echo(f"generated {sum(n for *_, n in files)} records from {len({s for s, *_ in files})} systems in {out}")
    totals: dict[str, int] = {}
    for system, domain, path, _ in files:
        summary = load_file(app, system, domain, path, None, progress=False)
        for k, v in summary.counts.items():
            totals[k] = totals.get(k, 0) + v
        click.echo(f"  {system:16} {domain:10} " + " ".join(f"{k}={v}" for k, v in summary.counts.items() if v))
    click.echo("loaded: " + ", ".join(f"{k} {v}" for k, v in totals.items()))
    from ..demo.work import leave_work

    signins = accounts.ensure(app.extensions["mdm.sessionmaker"])  # the steward signs the demo merge
    with app.app_context():
        work = leave_work(app.extensions["mdm.sessionmaker"], gov)
    click.echo(f"steward work: {work['review']} near-duplicate customers sent to review"
               + (f", one merged into {work['merged_into']} by the demo steward" if work["merged_into"] else ""))
    click.echo(f"database: {_safe_url(app)}")
    click.echo(f"console: http://{host}:{port}/  (sign in with a demo account; API tokens valid 30 days)")
    for a in signins:
        click.echo(f"  {a['role']:8} name {a['name']:8} password {a['password']:22} token {a['token']}")
    click.echo(f"  e.g. curl -H 'Authorization: Bearer <token>' http://{host}:{port}/api/v1/golden/product")
    if do_serve:
        click.echo(f"API docs: http://{host}:{port}/api/v1/docs")
        from ..process import settle_heap

        settle_heap()
        app.run(host=host, port=port, threaded=True, use_reloader=False)


def _ensure_schema(app) -> None:  # type: ignore[no-untyped-def]
    """The embedded SQLite default is migrated on first use, so `mdm demo` needs no set-up."""
    from ..migrate import upgrade

    upgrade(app.extensions["mdm.engine"])


def _safe_url(app) -> str:  # type: ignore[no-untyped-def]
    return app.extensions["mdm.engine"].url.render_as_string(hide_password=True)
