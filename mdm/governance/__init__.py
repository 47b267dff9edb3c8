"""Governance content: the dictionary, mappings, rules and systems the hub runs under.

The app holds the loaded `Governance` in `app.extensions["mdm.governance"]`; `current()` returns it.
"""

from __future__ import annotations

from flask import Flask, current_app

from .loader import default_content_dir, load_governance
from .model import DOMAINS, Governance

__all__ = ["DOMAINS", "Governance", "current", "default_content_dir", "init_governance", "load_governance"]


def init_governance(app: Flask) -> None:
    """Load content at start-up; invalid content raises GovernanceError and the hub does not start."""
    app.extensions["mdm.governance"] = load_governance(app.config["CONTENT_DIR"] or None)


def current() -> Governance:
    return current_app.extensions["mdm.governance"]
