"""gunicorn entry point: ``gunicorn -c ops/gunicorn.conf.py wsgi:app``."""

from tenant_core.app import create_app

app = create_app()
