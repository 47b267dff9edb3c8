"""The change feed: every created / updated / merged / unmerged / retired golden version, in order."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from ..db import get_session
from ..services import golden as svc
from .schemas import ChangePageSchema, ChangeQuerySchema

blp = Blueprint("changes", __name__, description="Change feed")


@blp.route("/changes")
class Changes(MethodView):
    @blp.arguments(ChangeQuerySchema, location="query")
    @blp.response(200, ChangePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Change events after sequence number `after`; poll again with `next_after`."""
        items = svc.changes(get_session(), args["after"], args["limit"], args.get("domain"))
        return {"items": items, "next_after": items[-1]["seq"] if items else args["after"]}
