"""Access control: principals, tokens, browser sessions, roles, masking (issue: access control).

`init_app(app)` checks every /api/v1 request before its view runs (see `http`) and adds the sign-in
pages (see `web`).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import http, web

    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    http.init_app(app)
    app.register_blueprint(web.bp)
