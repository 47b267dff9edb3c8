"""Lineage: OpenLineage events for ingest runs and steward actions, and record-level lineage queries.

- `events`: pure builders of `RunEvent`s, named as DESIGN.md §7 says.
- `emitter`: `LineageEmitter` stores every event in `lineage_event` and sends it with the OpenLineage
  client; it never raises, so lineage never breaks a request.
- `graph`: which systems, runs and source versions produced each golden value, and back.

The app's emitter lives in `app.extensions["mdm.lineage"]`; `emitter()` creates it on first use.
"""

from __future__ import annotations

from flask import Flask, current_app, has_app_context

from .emitter import LineageEmitter
from .events import run_event, steward_event

__all__ = ["LineageEmitter", "emitter", "run_event", "steward_event"]


def emitter(app: Flask | None = None) -> LineageEmitter | None:
    """The app's emitter (default: the current app's), or None outside an app.

    It is created on first use rather than in `create_app`, so that it resolves a relative file
    transport path against the instance folder in force then (tests move it after `create_app`).
    """
    if app is None:
        if not has_app_context():
            return None
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get("mdm.lineage")
    if found is None:
        found = app.extensions.setdefault("mdm.lineage", LineageEmitter(
            app.extensions["mdm.governance"], app.extensions["mdm.sessionmaker"], app.instance_path,
            background=bool(app.config.get("LINEAGE_BACKGROUND"))))
    return found
