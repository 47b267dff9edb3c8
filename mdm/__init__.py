"""meddev-mdm: master data management and governance hub for medical-device manufacturers.

`create_app(config)` builds the Flask application: defaults, then the instance folder's
`config.py`, then `MDM_*` environment variables, then the `config` mapping given by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

__version__ = "0.1.0"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the hub's Flask application.

    Args:
        config: settings that win over every other source (tests pass the database URL here).

    Returns:
        The configured application, with governance content loaded and validated.

    Raises:
        GovernanceError: the dictionary, rules or lineage content is invalid; the hub refuses to start.
    """
    from . import auth, console, db, settings
    from .api import init_api
    from .governance import init_governance

    app = Flask(__name__, instance_relative_config=True)
    settings.configure(app, config)
    db.init_app(app)
    init_governance(app)
    init_api(app)
    auth.init_app(app)
    console.init_app(app)
    return app
