"""Which golden record a source system's key belongs to."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from ..db import get_session
from ..services import golden as svc
from .keys import source_key
from .schemas import XrefSchema

blp = Blueprint("xref", __name__, description="Cross-references from source keys to golden ids")


@blp.route("/xref/<string:system>/<string:domain>/<path:key>")
class Xref(MethodView):
    @blp.response(200, XrefSchema)
    def get(self, system: str, domain: str, key: str) -> dict[str, Any]:
        """The golden id of a source key, with the history of its links."""
        return svc.xref(get_session(), system, domain, source_key(system, domain, key))
