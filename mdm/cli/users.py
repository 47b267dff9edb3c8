"""Principals and tokens on the command line: `mdm users …`, `mdm tokens …` (run by an operator)."""

from __future__ import annotations

import getpass
import json
import sys
from typing import Any

import click

from ..auth.roles import ROLES
from . import cli
from .steward import _ready


def operator() -> str:
    return f"cli:{getpass.getuser()}"


def read_password(from_stdin: bool, *, confirm: bool = True, prompt: str = "Password") -> str:
    """A password from standard input (first line) or a hidden prompt."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.ClickException("no password on standard input")
        return line
    return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)


def _in_session(ctx: click.Context, work: Any) -> Any:
    app = _ready(ctx)
    with app.app_context(), app.extensions["mdm.sessionmaker"]() as s:
        out = work(s, app)
        s.commit()
        return out


@cli.group()
def users() -> None:
    """People and system accounts, and their roles."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--system", help="the one system a source account writes as")
@click.option("--kind", type=click.Choice(["user", "system"]),
              help="user (signs in with a password) or system (tokens only); default: system for source, else user")
@click.option("--display-name", help="printed name on signatures (default: NAME)")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input instead of a prompt")
@click.pass_context
def users_add(ctx: click.Context, name: str, role: str, system: str | None, kind: str | None,
              display_name: str | None, password_stdin: bool) -> None:
    """Add a principal; a person is asked for a password."""
    from ..auth import principals

    kind = kind or ("system" if role == "source" else "user")
    password = read_password(password_stdin) if kind == "user" else None

    def work(s: Any, app: Any) -> Any:
        return principals.create(s, name=name, role=role, system=system, kind=kind, display_name=display_name,
                                 password=password, actor=operator(),
                                 known_systems=set(app.extensions["mdm.governance"].systems))
    p = _in_session(ctx, work)
    click.echo(f"added {p.kind} {p.name} ({p.role}{', system ' + p.system if p.system else ''})")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def users_list(ctx: click.Context, as_json: bool) -> None:
    """Every principal with its role and state."""
    from sqlalchemy import select

    from ..auth import principals
    from ..models import Principal

    rows = _in_session(ctx, lambda s, app: [principals.view(p) for p in s.scalars(select(Principal).order_by(
        Principal.name))])
    if as_json:
        click.echo(json.dumps(rows))
        return
    for r in rows:
        click.echo(f"{r['name']:24} {r['kind']:6} {r['role']:9} {r['system'] or '-':16} "
                   f"{'active' if r['active'] else 'disabled'}  {r['display_name']}")


@users.command("change")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES))
@click.option("--display-name")
@click.option("--disable", "active", flag_value=False, default=None, help="disable and revoke every token")
@click.option("--enable", "active", flag_value=True)
@click.option("--reset-password", is_flag=True, help="set a new password (ends the person's sessions)")
@click.option("--password-stdin", is_flag=True)
@click.option("--reason", required=True)
@click.pass_context
def users_change(ctx: click.Context, name: str, role: str | None, display_name: str | None, active: bool | None,
                 reset_password: bool, password_stdin: bool, reason: str) -> None:
    """Change a principal's role, printed name, password or state."""
    from ..auth import principals

    password = read_password(password_stdin) if reset_password else None
    p = _in_session(ctx, lambda s, app: principals.change(s, name, actor=operator(), reason=reason, role=role,
                                                          active=active, display_name=display_name,
                                                          password=password))
    click.echo(f"{p.name}: {p.role}, {'active' if p.active else 'disabled'}, {p.display_name}")


@cli.group()
def tokens() -> None:
    """Bearer tokens for the API."""


@tokens.command("create")
@click.option("--principal", "name", required=True)
@click.option("--expires", "days", type=click.IntRange(1, 3650), help="days until it expires (default: never)")
@click.option("--label")
@click.pass_context
def tokens_create(ctx: click.Context, name: str, days: int | None, label: str | None) -> None:
    """Issue a token; it is printed once and never stored."""
    from ..auth import principals

    secret, t = _in_session(ctx, lambda s, app: principals.issue_token(s, name, actor=operator(), days=days,
                                                                       label=label))
    click.echo(secret)
    click.echo(f"token {t.id} for {name}{f', expires {t.expires_at:%Y-%m-%d}' if t.expires_at else ''}; "
               "store it now: the hub keeps only its hash", err=True)


@tokens.command("list")
@click.option("--principal", "name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def tokens_list(ctx: click.Context, name: str | None, as_json: bool) -> None:
    """Tokens with their prefix, expiry, revocation and last use (never the secret)."""
    from ..auth import principals

    rows = _in_session(ctx, lambda s, app: principals.tokens_of(s, name))
    if as_json:
        click.echo(json.dumps(rows))
        return
    for r in rows:
        state = "revoked" if r["revoked_at"] else "live"
        click.echo(f"{r['id']:5} {r['principal']:24} {r['prefix']}…  {state:7} expires {r['expires_at'] or 'never'}"
                   f"  last used {r['last_used_at'] or 'never'}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@click.option("--reason")
@click.pass_context
def tokens_revoke(ctx: click.Context, token_id: int, reason: str | None) -> None:
    """Revoke a token at once."""
    from ..auth import principals

    t = _in_session(ctx, lambda s, app: principals.revoke_token(s, token_id, actor=operator(), reason=reason))
    click.echo(f"token {t.id} ({t.prefix}…) revoked")
