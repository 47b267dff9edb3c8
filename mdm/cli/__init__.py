"""The `mdm` command line: every command exits non-zero with a one-line reason on failure."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from ..errors import GovernanceError, MDMError


class HubGroup(click.Group):
    """Turns the hub's own errors into one line on stderr and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GovernanceError as exc:
            click.echo(exc.report(), err=True)
            click.echo(f"error: {exc.detail}", err=True)
            sys.exit(1)
        except MDMError as exc:
            click.echo(f"error: {exc.detail}{_why(exc.errors)}", err=True)
            sys.exit(1)
        except (OperationalError, ProgrammingError) as exc:
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            click.echo(f"error: the database is not ready ({first}); check MDM_DATABASE_URL and run "
                       "'mdm db upgrade'", err=True)
            sys.exit(1)
        except BrokenPipeError:
            # the reader stopped early (`mdm export ... | head`): that is its choice, not an error
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(0)
        except OSError as exc:
            click.echo(f"error: {exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}".rstrip(": "), err=True)
            sys.exit(1)


def _why(errors: Any) -> str:
    """Field errors on the same line: `; system: a source principal is bound to one system`."""
    if not isinstance(errors, dict) or not errors:
        return ""
    parts = []
    for name, problems in errors.items():
        text = "; ".join(map(str, problems)) if isinstance(problems, (list, tuple)) else str(problems)
        parts.append(f"{name}: {text}")
    return " (" + "; ".join(parts) + ")"


@click.group(cls=HubGroup)
@click.option("--database-url", envvar="MDM_DATABASE_URL", help="SQLAlchemy URL; default: an SQLite file in the instance folder")
@click.option("--content", "content_dir", envvar="MDM_CONTENT_DIR", type=click.Path(file_okay=False),
              help="folder with dictionary/, rules/ and lineage/")
@click.option("--content-extra", "content_extra", envvar="MDM_CONTENT_EXTRA", multiple=True,
              type=click.Path(file_okay=False),
              help=f"folder layered on the content (repeat, or separate with {os.pathsep!r} in MDM_CONTENT_EXTRA): "
                   "its files replace the same files, its lineage/systems.yaml adds systems")
@click.version_option(package_name="meddev-mdm")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, content_dir: str | None, content_extra: tuple[str, ...]) -> None:
    """meddev-mdm: master data hub for medical-device manufacturers."""
    ctx.obj = {"DATABASE_URL": database_url or "", "CONTENT_DIR": content_dir or "",
               "CONTENT_EXTRA": os.pathsep.join(content_extra)}


def make_app(ctx: click.Context, **extra: Any) -> Any:
    from .. import create_app

    overrides = {k: v for k, v in ctx.obj.items() if v}
    overrides.update(extra)
    return create_app(overrides)


from . import admin, audit, data, quality, steward, users

__all__ = ["admin", "audit", "cli", "data", "main", "make_app", "quality", "steward", "users"]


def main() -> None:
    cli(prog_name="mdm")
