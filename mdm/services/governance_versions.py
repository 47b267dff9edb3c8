"""Governance versions: every loaded content hash is recorded once, with its snapshot."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..governance.model import Governance
from ..models import GovernanceVersion

_cache: dict[tuple[int, str], int] = {}


def ensure_recorded(factory: sessionmaker, gov: Governance) -> int:
    """Id of the governance version for `gov`, recorded in its own transaction if new."""
    key = (id(factory), gov.content_hash)
    if key in _cache:
        return _cache[key]
    with factory() as session:
        found = _find(session, gov.content_hash)
        if found is None:
            session.add(GovernanceVersion(content_hash=gov.content_hash, snapshot=gov.snapshot))
            try:
                session.commit()
            except IntegrityError:  # another worker recorded it first
                session.rollback()
            found = _find(session, gov.content_hash)
        assert found is not None
    _cache[key] = found
    return found


def _find(session: Session, content_hash: str) -> int | None:
    return session.scalar(select(GovernanceVersion.id).where(GovernanceVersion.content_hash == content_hash))


def forget() -> None:
    """Drop cached ids (tests reset the database between cases)."""
    _cache.clear()
