"""Configuration defaults and the order in which sources override them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    # Empty means an SQLite file in the instance folder, so the hub runs with zero set-up.
    "DATABASE_URL": "",
    # Folder holding dictionary/, rules/ and lineage/; empty means the copy beside the code.
    "CONTENT_DIR": "",
    # Folders layered on it (a benchmark's own systems, mappings and rules), separated by os.pathsep;
    # a file in one replaces the same file below it, lineage/systems.yaml adds to the one below.
    "CONTENT_EXTRA": "",
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "MAX_BATCH_RECORDS": 50_000,
    "INGEST_CHUNK_SIZE": 500,
    # Configured quality rules (rules/<domain>.yaml); dictionary validation always runs.
    "QUALITY_RULES": True,
    "DEFAULT_PAGE_SIZE": 50,
    "MAX_PAGE_SIZE": 1000,
    # Signs browser session cookies. The defaults below are refused by `mdm serve` and the WSGI app
    # unless DEMO or TESTING is on (require_secrets).
    "SECRET_KEY": "dev-only-not-secret",
    "DEMO": False,
    # the browser session cookie: no script may read it, and cross-site requests carry it only on
    # top-level GET navigations (CSRF tokens cover the rest)
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    # Reverse proxies in front of the hub whose X-Forwarded-For / -Proto to trust (0: none). Sign-in
    # limits count per client address: behind a proxy that is not declared, every client is the proxy.
    "TRUSTED_PROXIES": 0,
    # HMAC key of the audit chain. Set MDM_AUDIT_KEY in production and keep it out of the database:
    # whoever holds it can verify the trail, whoever lacks it cannot forge one that verifies.
    "AUDIT_KEY": "dev-audit-key-not-secret",
    # OpenLineage events built and sent by a background worker after the response (`mdm serve` and
    # the WSGI app turn it on) or before the request or command returns (the default).
    "LINEAGE_BACKGROUND": False,
    "API_TITLE": "meddev-mdm",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    # Swagger UI's assets are served by the hub itself (swagger-ui-bundle): no CDN, works offline.
    "OPENAPI_SWAGGER_UI_URL": "/api/v1/docs/assets/",
}


DEFAULT_SECRETS = {"SECRET_KEY": "dev-only-not-secret", "AUDIT_KEY": "dev-audit-key-not-secret"}

INTEGER_SETTINGS = ("MAX_CONTENT_LENGTH", "MAX_BATCH_RECORDS", "INGEST_CHUNK_SIZE", "DEFAULT_PAGE_SIZE",
                    "MAX_PAGE_SIZE")


class SettingsError(ValueError):
    """A setting has a value the hub cannot use; the message names the setting and the variable."""


def configure(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    """Apply defaults, instance config, `MDM_*` environment variables, then explicit overrides."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("MDM")
    if overrides:
        app.config.from_mapping(overrides)
    _check(app.config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if not app.config["DATABASE_URL"]:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "mdm.sqlite3")


def require_secrets(config: Mapping[str, Any]) -> None:
    """Refuse to serve with a secret anyone can read in this source code, outside demo and test mode.

    Raises:
        SettingsError: naming the settings to set.
    """
    if config.get("TESTING") or config.get("DEMO"):
        return
    weak = [name for name, default in DEFAULT_SECRETS.items()
            if not config.get(name) or config.get(name) == default or len(str(config.get(name))) < 16]
    if weak:
        raise SettingsError(f"{' and '.join(weak)} must be set to a secret of 16+ characters "
                            f"({', '.join('MDM_' + w for w in weak)}) before serving; MDM_DEMO=true runs a demo")


def content_extra(config: Mapping[str, Any]) -> list[str]:
    """The extra content folders of CONTENT_EXTRA: a text of os.pathsep-separated folders, or a list.

    Raises:
        SettingsError: the setting is neither.
    """
    value = config.get("CONTENT_EXTRA") or ""
    if isinstance(value, str):
        return [p for p in value.split(os.pathsep) if p]
    if isinstance(value, (list, tuple)) and all(isinstance(p, (str, os.PathLike)) for p in value):
        return [os.fspath(p) for p in value if p]
    raise SettingsError(f"CONTENT_EXTRA must be folders separated by {os.pathsep!r} (MDM_CONTENT_EXTRA), "
                        f"not {value!r}")


def _check(config: dict[str, Any]) -> None:
    content_extra(config)
    proxies = config.get("TRUSTED_PROXIES")
    if isinstance(proxies, bool) or not str(proxies).isdigit():
        raise SettingsError(f"TRUSTED_PROXIES must be 0 or a positive whole number (MDM_TRUSTED_PROXIES), "
                            f"not {proxies!r}")
    config["TRUSTED_PROXIES"] = int(proxies)
    for name in INTEGER_SETTINGS:
        value = config[name]
        try:
            # environment values arrive as text when they are not JSON ("1_000"): read them as numbers
            number = int(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or number < 1:
            raise SettingsError(f"{name} must be a positive whole number (MDM_{name}), not {value!r}")
        config[name] = number
