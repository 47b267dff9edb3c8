"""Demo sign-ins: a steward, an auditor and an admin with known passwords (demo databases only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..auth import principals
from ..errors import MDMError
from ..models import Principal

ACCOUNTS = (
    ("steward", "steward", "Dana Steward", "steward-demo-password"),
    ("auditor", "auditor", "Alex Auditor", "auditor-demo-password"),
    ("admin", "admin", "Sam Admin", "admin-demo-password"),
)


def ensure(factory: Any) -> list[dict[str, str]]:
    """Create the demo accounts when missing and issue each a fresh API token."""
    out = []
    with factory() as s:
        for name, role, display, password in ACCOUNTS:
            if s.scalar(select(Principal.id).where(Principal.name == name)) is None:
                principals.create(s, name=name, role=role, display_name=display, password=password, actor="demo")
            token, _ = principals.issue_token(s, name, actor="demo", days=30, label="demo")
            out.append({"name": name, "role": role, "password": password, "token": token})
        s.commit()
    return out


def refuse_outside_demo(app: Any) -> None:
    """Refuse to serve a database whose demo accounts (published passwords) are active, unless in demo mode.

    Raises:
        MDMError: naming the accounts and how to disable them.
    """
    if app.config.get("DEMO") or app.config.get("TESTING"):
        return
    from sqlalchemy.exc import DBAPIError

    try:
        with app.extensions["mdm.sessionmaker"]() as s:
            names = list(s.scalars(select(Principal.name).where(Principal.created_by == "demo",
                                                                Principal.active.is_(True))))
    except DBAPIError:  # not migrated yet: no accounts at all
        return
    if names:
        raise MDMError(f"the demo accounts {', '.join(names)} are active and their passwords are published: disable "
                       f"them (mdm users change NAME --disable --reason ...) or serve with MDM_DEMO=true")
