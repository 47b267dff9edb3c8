"""WSGI entry point for production servers: `gunicorn 'mdm.wsgi:app'`."""

from . import create_app

app = create_app()
