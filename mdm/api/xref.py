"""Which golden record a source system's key belongs to."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from ..db import get_session
from ..errors import UnknownSystem
from ..governance import current
from ..services import golden as svc
from .golden import _domain
from .schemas import XrefSchema

blp = Blueprint("xref", __name__, description="Cross-references from source keys to golden ids")


@blp.route("/xref/<string:system>/<string:domain>/<path:key>")
class Xref(MethodView):
    @blp.response(200, XrefSchema)
    def get(self, system: str, domain: str, key: str) -> dict[str, Any]:
        """The golden id of a source key, with the history of its links."""
        gov = current()
        if system not in gov.systems:
            raise UnknownSystem(f"unknown system {system!r}; declare it in lineage/systems.yaml")
        mapping = gov.mappings.get((system, _domain(domain)))
        if mapping is not None:
            key = str(mapping.key_transform(key) or key)
        return svc.xref(get_session(), system, domain, key)
