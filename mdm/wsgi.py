"""WSGI entry point for production servers: `gunicorn 'mdm.wsgi:app'`."""

from . import create_app
from .demo.accounts import refuse_outside_demo
from .process import settle_heap
from .settings import require_secrets

# a server answers many requests: lineage events are emitted by a background worker after each one
app = create_app({"LINEAGE_BACKGROUND": True})
require_secrets(app.config)
refuse_outside_demo(app)
settle_heap()
