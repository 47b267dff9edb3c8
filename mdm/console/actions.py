"""Console form posts: decide a task, pin or release a value, unmerge a source record, retry quarantine.

Each post is checked for role and CSRF token (`require`), names the version or revision the page
showed (stale: refused with a message), and signed steward actions need the person's password.
A refusal comes back to the page as a message; nothing is changed by it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from ..auth import principals
from ..auth.http import remote_addr
from ..errors import MDMError, PreconditionRequired, ValidationFailed
from ..governance import current
from ..governance.transforms import TRANSFORMS, TransformError
from ..lineage import emitter as lineage_emitter
from ..services import quarantine, steward
from ..services.signatures import MEANINGS, SignRequest
from . import bp, require


def _factory() -> Any:
    return current_app.extensions["mdm.sessionmaker"]


def _sign(c: principals.Caller) -> SignRequest:
    meaning = request.form.get("meaning", "")
    if meaning not in MEANINGS:
        raise ValidationFailed(gettext("Choose what your signature means."))
    return principals.confirm_signature(_factory(), c.name, request.form.get("password", ""), meaning,
                                        remote=remote_addr())


def _typed(domain: str, field: str, text: str) -> Any:
    """A pinned value from a text box, read as the dictionary's type by the mappings' own converters."""
    f = current().domains[domain].fields.get(field)
    convert = TRANSFORMS.get(f.type) if f and f.type in ("integer", "number", "boolean") else None
    if convert is None:
        return text
    if not text.strip():
        raise ValidationFailed(gettext("Give a value, or release the pin instead."))
    try:
        return convert.apply(text, None)
    except TransformError as exc:
        raise ValidationFailed(str(exc)) from None


def _form_int(name: str) -> int:
    """The version or revision the page showed; without it the post is refused (the API's 428)."""
    value = request.form.get(name, "")
    if not value.isdigit() or len(value) > 18:
        raise PreconditionRequired(gettext("The form does not say which version you saw; reload the page."))
    return int(value)


def _done(back: str, work: Any) -> Response:
    """Run `work` (returning a message, or a message and the page to go to); refusals go back to `back`."""
    try:
        out = work()
    except principals.AuthenticationFailed:
        flash(gettext("The password does not confirm your signature; nothing was changed."), "error")
    except MDMError as exc:
        flash(f"{exc.title}: {exc.detail}", "error")
    else:
        message, target = out if isinstance(out, tuple) else (out, back)
        flash(message, "ok")
        return redirect(target, 303)
    return redirect(back, 303)


@bp.post("/tasks/<int:task_id>/decide")
def decide(task_id: int) -> Response:
    c = require("steward.write")
    back = url_for("console.task_page", task_id=task_id)

    def work() -> str | tuple[str, str]:
        expect = (_form_int("revision"), request.form.get("shown") or "")
        sign = _sign(c)
        out = steward.decide(_factory(), current(), task_id, request.form.get("decision", ""), actor=c.name,
                             reason=request.form.get("reason"), sign=sign, expect_revision=expect,
                             candidate=request.form.get("candidate") or None)
        view = out["task_view"]
        if "merge" in out:
            survivor = out["merge"]["survivor"]
            return (gettext("Merged into %(id)s.", id=survivor),
                    url_for("console.golden_page", domain=view["domain"], golden_id=survivor))
        return gettext("Marked as not a match; the pair is remembered.")
    return _done(back, work)


@bp.post("/golden/<domain>/<golden_id>/pin")
def pin(domain: str, golden_id: str) -> Response:
    c = require("steward.write")
    back = url_for("console.golden_page", domain=domain, golden_id=golden_id)

    def work() -> str:
        field = request.form.get("field", "")
        release = request.form.get("release") == "1"
        version = _form_int("version")
        sign = _sign(c)
        pins = {} if release else {field: _typed(domain, field, request.form.get("value", ""))}
        steward.set_pins(_factory(), current(), domain, golden_id, pins=pins, release=[field] if release else [],
                         actor=c.name, reason=request.form.get("reason"), sign=sign,
                         expect={golden_id: version})
        return gettext("Released %(field)s.", field=field) if release else gettext("Pinned %(field)s.", field=field)
    return _done(back, work)


@bp.post("/golden/<domain>/<golden_id>/unmerge")
def unmerge(domain: str, golden_id: str) -> Response:
    c = require("steward.write")
    back = url_for("console.golden_page", domain=domain, golden_id=golden_id)

    def work() -> str:
        version = _form_int("version")
        sign = _sign(c)
        out = steward.unmerge_record(_factory(), current(), domain, golden_id, request.form.get("system", ""),
                                     request.form.get("source_key", ""), actor=c.name,
                                     reason=request.form.get("reason"), sign=sign,
                                     expect={golden_id: version})
        return gettext("%(key)s now belongs to %(id)s.", key=request.form.get("source_key", ""), id=out["target"])
    return _done(back, work)


@bp.post("/quarantine/retry")
def retry() -> Response:
    c = require("steward.write")
    back = url_for("console.quarantine_page")

    def work() -> str:
        domain = request.form.get("domain") or None
        out = quarantine.retry(_factory(), current(), domain=domain, system=request.form.get("system") or None,
                               rule=request.form.get("rule") or None, actor=c.name,
                               reason=request.form.get("reason") or None,
                               chunk_size=current_app.config["INGEST_CHUNK_SIZE"], lineage=lineage_emitter())
        return gettext("Retried %(n)s records.", n=out.get("retried", 0))
    return _done(back, work)
